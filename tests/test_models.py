"""The article's CNN and the image preparation."""

import numpy as np
import pytest

from cnnbook import models


def test_article_cnn_layers_and_parameter_count():
    model = models.build_article_cnn()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert [layer.count_params() for layer in model.layers] == [320, 0, 18496, 0, 0, 102464, 650]
    assert model.count_params() == 121_930
    assert model.output_shape == (None, 10)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert model.loss == "sparse_categorical_crossentropy"


def test_prepare_images_scales_and_adds_channel():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    ready = models.prepare_images(images)
    assert ready.shape == (1, 2, 2, 1) and ready.dtype == np.float32
    np.testing.assert_allclose(ready[0, :, :, 0], [[0.0, 1.0], [0.2, 0.4]])


@pytest.mark.parametrize("bad", [np.zeros((2, 28, 28), dtype=np.float32), np.zeros((2, 28, 28, 1), dtype=np.uint8)])
def test_prepare_images_refuses_what_it_cannot_handle(bad):
    with pytest.raises(ValueError, match=r"expected uint8 images of shape \(N, height, width\)"):
        models.prepare_images(bad)


def test_training_learns_on_a_small_real_subset():
    """Two epochs on 2,000 real digits already beat chance by far: the recipe trains."""
    from cnnbook.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist()
    model, history = models.train_article_cnn(models.prepare_images(x_train[:2000]), y_train[:2000], epochs=2)
    assert len(history.history["loss"]) == 2 and history.history["loss"][1] < history.history["loss"][0]
    _, accuracy = model.evaluate(models.prepare_images(x_test[:1000]), y_test[:1000], verbose=0)
    assert accuracy > 0.8


def test_trained_article_cnn_trains_once_then_loads(tmp_path, monkeypatch):
    """The cache round trip, with a 1-epoch recipe on a small real subset to stay fast."""
    from cnnbook import data

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    monkeypatch.setattr(data, "load_mnist", lambda: ((x_train[:3000], y_train[:3000]), (x_test, y_test)))
    first = models.trained_article_cnn(epochs=1, cache_dir=tmp_path)
    saved = list(tmp_path.glob("article_cnn-e1-s0-*.keras"))
    assert len(saved) == 1
    stamp = saved[0].stat().st_mtime_ns
    monkeypatch.setattr(models, "train_article_cnn", lambda *a, **k: pytest.fail("must load, not retrain"))
    second = models.trained_article_cnn(epochs=1, cache_dir=tmp_path)
    probe = models.prepare_images(x_test[:200])
    np.testing.assert_array_equal(first.predict(probe, verbose=0), second.predict(probe, verbose=0))
    assert saved[0].stat().st_mtime_ns == stamp and list(tmp_path.iterdir()) == saved


def test_trained_article_cnn_reports_a_broken_cache_file(tmp_path):
    import keras
    import tensorflow as tf

    broken = tmp_path / f"article_cnn-e5-s0-tf{tf.__version__}-keras{keras.__version__}.keras"
    broken.write_bytes(b"not a keras file")
    with pytest.raises(RuntimeError, match="move that file away"):
        models.trained_article_cnn(cache_dir=tmp_path)
    assert broken.read_bytes() == b"not a keras file"
