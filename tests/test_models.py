"""The article's CNN and the image preparation."""

import numpy as np
import pytest

from cnnbook import models


def test_article_cnn_layers_and_parameter_count():
    model = models.build_article_cnn()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    assert [layer.name for layer in model.layers] == list(models.ARTICLE_LAYER_NAMES)
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


def test_layer_names_do_not_depend_on_what_was_built_before():
    """Keras numbers unnamed layers per process; the article's CNN names its own."""
    first, second = models.build_article_cnn(), models.build_article_cnn()
    assert [layer.name for layer in first.layers] == [layer.name for layer in second.layers]


def test_trained_article_cnn_trains_once_then_loads(tmp_path, monkeypatch):
    """The cache round trip, with a 1-epoch recipe on a small real subset to stay fast."""
    from cnnbook import data

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    monkeypatch.setattr(data, "load_mnist", lambda: ((x_train[:3000], y_train[:3000]), (x_test, y_test)))
    first = models.trained_article_cnn(epochs=1, cache_dir=tmp_path)
    saved = list(tmp_path.glob("article_cnn-*.keras"))
    assert [path.name for path in saved] == [models.article_cnn_cache_path(1, cache_dir=tmp_path).name]
    stamp = saved[0].stat().st_mtime_ns
    monkeypatch.setattr(models, "train_article_cnn", lambda *a, **k: pytest.fail("must load, not retrain"))
    second = models.trained_article_cnn(epochs=1, cache_dir=tmp_path)
    probe = models.prepare_images(x_test[:200])
    np.testing.assert_array_equal(first.predict(probe, verbose=0), second.predict(probe, verbose=0))
    assert saved[0].stat().st_mtime_ns == stamp and list(tmp_path.iterdir()) == saved


def test_quick_mode_prefers_the_full_model_when_it_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNBOOK_QUICK", "1")
    loaded = []
    monkeypatch.setattr(models, "_load_cached", lambda path: loaded.append(path.name) or path)
    monkeypatch.setattr(models, "train_article_cnn", lambda *a, **k: pytest.fail("must load, not retrain"))
    # The quick mode takes the full model when it is the only one, and prefers its own
    # (trained by the same Keras in the same run: Colab's Keras cannot read a newer save).
    for epochs in (models.ARTICLE_EPOCHS, models.QUICK_EPOCHS):
        models.article_cnn_cache_path(epochs, cache_dir=tmp_path).write_bytes(b"")
        models.trained_article_cnn(cache_dir=tmp_path)
    def name(epochs):
        return models.article_cnn_cache_path(epochs, cache_dir=tmp_path).name

    assert loaded == [name(models.ARTICLE_EPOCHS), name(models.QUICK_EPOCHS)]
    monkeypatch.setenv("CNNBOOK_QUICK", "0")
    models.trained_article_cnn(cache_dir=tmp_path)
    assert loaded[-1] == name(models.ARTICLE_EPOCHS)


def test_only_the_article_cnn_goes_into_its_cache(tmp_path):
    import keras

    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="dense_out")])
    with pytest.raises(ValueError, match="expected the article's CNN"):
        models.cache_article_cnn(other, epochs=5, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_caching_never_replaces_a_file(tmp_path):
    path = models.article_cnn_cache_path(5, cache_dir=tmp_path)
    path.write_bytes(b"kept")
    assert models.cache_article_cnn(models.build_article_cnn(), epochs=5, cache_dir=tmp_path) == path
    assert path.read_bytes() == b"kept"


def test_trained_article_cnn_reports_a_broken_cache_file(tmp_path):
    broken = models.article_cnn_cache_path(5, cache_dir=tmp_path)
    broken.write_bytes(b"not a keras file")
    with pytest.raises(RuntimeError, match="move that file away"):
        models.trained_article_cnn(cache_dir=tmp_path)
    assert broken.read_bytes() == b"not a keras file"
