"""MAC counting, TensorFlow Lite conversion and latency measurement."""

import keras
import numpy as np
import pytest

from cnnbook import efficiency
from cnnbook.models import build_article_cnn


def test_count_macs_of_the_article_cnn_by_hand():
    macs = efficiency.count_macs(build_article_cnn())
    assert list(macs) == ["conv1", "pool1", "conv2", "pool2", "flatten", "dense_hidden", "dense_out"]
    assert list(macs.values()) == [26 * 26 * 32 * (3 * 3 * 1), 0, 11 * 11 * 64 * (3 * 3 * 32), 0, 0, 1600 * 64, 64 * 10]


def test_count_macs_with_same_padding_and_rectangular_kernels():
    model = keras.Sequential([keras.Input((10, 8, 3)), keras.layers.Conv2D(5, (3, 1), padding="same")])
    assert efficiency.count_macs(model) == {model.layers[0].name: 10 * 8 * 5 * 3 * 1 * 3}


def test_count_macs_rejects_unknown_layers():
    model = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.DepthwiseConv2D(3)])
    with pytest.raises(ValueError, match="DepthwiseConv2D"):
        efficiency.count_macs(model)


@pytest.fixture(scope="module")
def small_model_and_variants():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    images = np.random.default_rng(0).random((64, 8, 8, 1)).astype("float32")
    return model, images, efficiency.tflite_variants(model, images[:32])


def test_tflite_variants_shrink_and_agree_with_keras(small_model_and_variants):
    model, images, variants = small_model_and_variants
    assert list(variants) == ["float32", "float16", "int8"]
    assert len(variants["float32"]) > len(variants["float16"]) > len(variants["int8"])
    expected = model.predict(images, verbose=0)
    assert np.allclose(efficiency.tflite_predict(variants["float32"], images), expected, atol=1e-5)
    assert np.allclose(efficiency.tflite_predict(variants["float16"], images), expected, atol=1e-2)
    assert np.allclose(efficiency.tflite_predict(variants["int8"], images), expected, atol=0.05)


def test_single_image_predictor_and_latency(small_model_and_variants):
    _, images, variants = small_model_and_variants
    predict_one = efficiency.tflite_single_image_predictor(variants["float32"])
    assert np.allclose(predict_one(images[:1]), efficiency.tflite_predict(variants["float32"], images[:1]))
    calls = []
    seconds = efficiency.latency_per_image(lambda image: calls.append(image.shape), images[:5], repeats=2)
    assert calls == [(1, 8, 8, 1)] * 11  # one warm-up, then 5 images twice
    assert 0 <= seconds < 0.01


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="representative images"):
        efficiency.tflite_variants(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="at least one image"):
        efficiency.latency_per_image(lambda image: None, np.zeros((0, 2, 2, 1)))


def test_latency_samples_times_every_call(small_model_and_variants):
    _, images, _ = small_model_and_variants
    times = efficiency.latency_samples(lambda image: None, images[:4], repeats=3)
    assert times.shape == (12,) and (times >= 0).all()
    with pytest.raises(ValueError, match="at least one image"):
        efficiency.latency_samples(lambda image: None, np.zeros((0, 2, 2, 1)))


def test_int8_weights_use_the_symmetric_range(small_model_and_variants):
    model, _, variants = small_model_and_variants
    weights = efficiency.int8_weights(variants["int8"])
    assert [w["op"] for w in weights] == ["CONV_2D", "FULLY_CONNECTED"]
    for w in weights:
        assert w["values"].dtype == np.int8
        # symmetric weight quantisation: [-127, 127], -128 unused, largest |q| is 127
        assert w["values"].min() >= -127 and np.abs(w["values"]).max() == 127
    assert len(weights[0]["scales"]) == 4  # one scale per output channel of the conv
    conv_kernel = model.layers[0].kernel.numpy()  # (3, 3, 1, 4); TFLite stores (4, 3, 3, 1)
    restored = weights[0]["values"] * weights[0]["scales"][:, None, None, None]
    assert np.allclose(restored, np.moveaxis(conv_kernel, -1, 0), atol=weights[0]["scales"].max())
