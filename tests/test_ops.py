"""Tests of cnnbook.ops against Keras/TensorFlow and against finite differences."""

import doctest
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from typing import NamedTuple  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from cnnbook import ops  # noqa: E402

FORWARD_TOL = dict(rtol=1e-5, atol=1e-5)
GRAD_TOL = dict(rtol=1e-4, atol=1e-4)
examples = settings(max_examples=30, deadline=None)


# ----------------------------------------------------------------------------
# Random cases: small images, windows, strides, paddings and channel counts.
# ----------------------------------------------------------------------------


class WindowCase(NamedTuple):
    x: np.ndarray  # (N, H, W, C) float32 in [-1, 1]
    window: tuple  # (kh, kw)
    stride: tuple  # (sh, sw)
    padding: str
    c_out: int
    rng: np.random.Generator

    def kernel(self):
        return self.rng.uniform(-1, 1, (*self.window, self.x.shape[3], self.c_out)).astype("float32")

    def like(self, shape):
        return self.rng.standard_normal(shape).astype("float32")


@st.composite
def window_cases(draw):
    padding = draw(st.sampled_from(["valid", "same"]))
    window = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    # 'valid' needs the window to fit; 'same' works for any image size.
    smallest = window if padding == "valid" else (1, 1)
    height, width = draw(st.integers(smallest[0], 9)), draw(st.integers(smallest[1], 9))
    batch, channels, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.uniform(-1, 1, (batch, height, width, channels)).astype("float32")
    return WindowCase(x, window, stride, padding, c_out, rng)


def keras_np(tensor):
    return keras.ops.convert_to_numpy(tensor)


def tape_gradients(forward, inputs, grad_out):
    """TensorFlow's gradients of sum(forward(*inputs) * grad_out) w.r.t. each input."""
    tensors = [tf.constant(a) for a in inputs]
    with tf.GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        loss = tf.reduce_sum(forward(*tensors) * grad_out)
    return [g.numpy() for g in tape.gradient(loss, tensors)]


def numerical_gradient(loss, a, eps=1e-6):
    """Central differences of the scalar ``loss()`` w.r.t. every entry of ``a`` (changed in place)."""
    grad = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        original = a[index]
        a[index] = original + eps
        up = loss()
        a[index] = original - eps
        down = loss()
        a[index] = original
        grad[index] = (up - down) / (2 * eps)
    return grad


# ----------------------------------------------------------------------------
# Sizes and padding.
# ----------------------------------------------------------------------------


def test_output_size_and_same_padding_examples():
    assert ops.output_size(28, 3) == 26
    assert ops.output_size(28, 3, stride=2) == 13
    assert ops.output_size(28, 3, stride=2, padding="same") == 14
    assert ops.same_padding(28, 3) == (1, 1)
    assert ops.same_padding(28, 2) == (0, 1)  # even window: the extra zero goes after
    assert ops.same_padding(5, 4, stride=2) == (1, 2)
    assert ops.same_padding(8, 1, stride=3) == (0, 0)


def test_docstring_examples_run():
    result = doctest.testmod(ops)
    assert result.attempted >= 4 and result.failed == 0


@examples
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4))
def test_output_size_matches_the_padding_formula(n, k, s):
    before, after = ops.same_padding(n, k, s)
    assert ops.output_size(n, k, s, "same") == (n + before + after - k) // s + 1 == -(-n // s)
    assert 0 <= after - before <= 1
    if k <= n:
        assert ops.output_size(n, k, s, "valid") == (n - k) // s + 1


# ----------------------------------------------------------------------------
# Forward passes against Keras.
# ----------------------------------------------------------------------------


@examples
@given(case=window_cases())
def test_conv2d_matches_keras_ops_conv(case):
    kernel, bias = case.kernel(), case.like((case.c_out,))
    expected = keras_np(keras.ops.conv(case.x, kernel, case.stride, case.padding)) + bias
    ours = ops.conv2d(case.x, kernel, bias, stride=case.stride, padding=case.padding)
    assert ours.dtype == np.float32
    assert_allclose(ours, expected, **FORWARD_TOL)


@examples
@given(case=window_cases())
def test_max_pool2d_matches_keras_ops_max_pool(case):
    expected = keras_np(keras.ops.max_pool(case.x, case.window, case.stride, case.padding))
    ours = ops.max_pool2d(case.x, case.window, case.stride, case.padding)
    assert ours.dtype == np.float32
    assert_allclose(ours, expected, **FORWARD_TOL)


@examples
@given(case=window_cases())
def test_avg_pool2d_matches_keras_ops_average_pool(case):
    expected = keras_np(keras.ops.average_pool(case.x, case.window, case.stride, case.padding))
    ours = ops.avg_pool2d(case.x, case.window, case.stride, case.padding)
    assert ours.dtype == np.float32
    assert_allclose(ours, expected, **FORWARD_TOL)


def test_conv2d_matches_a_keras_conv2d_layer_with_even_kernel_and_same_padding():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (2, 28, 28, 1)).astype("float32")
    layer = keras.layers.Conv2D(4, (4, 2), strides=(2, 3), padding="same")
    layer.build(x.shape)
    kernel = rng.standard_normal((4, 2, 1, 4)).astype("float32")
    bias = rng.standard_normal(4).astype("float32")
    layer.set_weights([kernel, bias])
    ours = ops.conv2d(x, kernel, bias, stride=(2, 3), padding="same")
    assert ours.shape == (2, 14, 10, 4)
    assert_allclose(ours, keras_np(layer(x)), **FORWARD_TOL)


def test_conv2d_matches_the_article_first_layer():
    # 32 filters of 3x3 on 28x28x1, stride 1, 'valid': the article's first Conv2D.
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (3, 28, 28, 1)).astype("float32")
    layer = keras.layers.Conv2D(32, 3)
    layer(x)  # builds the layer with Keras's own initial weights
    kernel, bias = (w.numpy() for w in (layer.kernel, layer.bias))
    ours = ops.conv2d(x, kernel, bias)
    assert ours.shape == (3, 26, 26, 32)
    assert_allclose(ours, keras_np(layer(x)), **FORWARD_TOL)


@pytest.mark.parametrize(
    "pool_size, strides, padding", [(2, None, "valid"), (3, 2, "valid"), (2, 1, "same"), (3, 2, "same")]
)
def test_pooling_matches_keras_pooling_layers(pool_size, strides, padding):
    x = np.random.default_rng(2).standard_normal((2, 13, 11, 3)).astype("float32")
    max_layer = keras.layers.MaxPooling2D(pool_size, strides, padding)
    avg_layer = keras.layers.AveragePooling2D(pool_size, strides, padding)
    args = (pool_size, strides, padding)
    assert_allclose(ops.max_pool2d(x, *args), keras_np(max_layer(x)), **FORWARD_TOL)
    assert_allclose(ops.avg_pool2d(x, *args), keras_np(avg_layer(x)), **FORWARD_TOL)


def test_avg_pool2d_same_excludes_padding_from_the_count():
    x = np.ones((1, 3, 3, 1), dtype="float32")
    # Every window averages ones only, however many of its cells are padding.
    assert_allclose(ops.avg_pool2d(x, 2, padding="same"), np.ones((1, 2, 2, 1)))


def test_dense_matches_a_keras_dense_layer():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 7)).astype("float32")
    layer = keras.layers.Dense(4)
    layer.build(x.shape)
    w, b = rng.standard_normal((7, 4)).astype("float32"), rng.standard_normal(4).astype("float32")
    layer.set_weights([w, b])
    assert_allclose(ops.dense(x, w, b), keras_np(layer(x)), **FORWARD_TOL)
    assert_allclose(ops.dense(x, w), x @ w, **FORWARD_TOL)


def test_flatten_matches_keras_flatten():
    x = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)
    assert_allclose(ops.flatten(x), keras_np(keras.layers.Flatten()(x)))


def test_relu_zeroes_negatives_only():
    x = np.array([[-2.0, -0.0, 0.5, 3.0]], dtype="float32")
    assert_allclose(ops.relu(x), [[0.0, 0.0, 0.5, 3.0]])
    assert_allclose(ops.relu(x), keras_np(keras.ops.relu(x)))


@examples
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(2, 10)),
    scale=st.sampled_from([1.0, 30.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_log_softmax_and_loss_match_keras(shape, scale, seed):
    rng = np.random.default_rng(seed)
    logits = (scale * rng.standard_normal(shape)).astype("float32")
    labels = rng.integers(0, shape[1], shape[0])
    assert_allclose(ops.softmax(logits), keras_np(keras.ops.softmax(logits)), **FORWARD_TOL)
    assert_allclose(ops.log_softmax(logits), keras_np(keras.ops.log_softmax(logits)), **FORWARD_TOL)
    keras_loss = keras_np(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    assert_allclose(ops.cross_entropy_from_logits(logits, labels), keras_loss.mean(), **FORWARD_TOL)


def test_softmax_along_another_axis():
    z = np.random.default_rng(4).standard_normal((3, 4))
    assert_allclose(ops.softmax(z, axis=0), np.exp(z) / np.exp(z).sum(axis=0))
    assert_allclose(ops.log_softmax(z, axis=0), np.log(np.exp(z) / np.exp(z).sum(axis=0)))


def test_softmax_and_loss_are_stable_for_huge_logits():
    logits = np.array([[1000.0, 999.0, -1000.0], [1000.0, 1000.0, 1000.0]], dtype="float32")
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no overflow, no log(0)
        probs = ops.softmax(logits)
        log_probs = ops.log_softmax(logits)
        loss = ops.cross_entropy_from_logits(logits, np.array([2, 0]))
    assert np.all(np.isfinite(probs)) and np.all(np.isfinite(log_probs))
    assert_allclose(probs.sum(axis=1), [1.0, 1.0], rtol=1e-6)
    e = np.exp(-1.0)
    assert_allclose(probs[0], [1 / (1 + e), e / (1 + e), 0.0], rtol=1e-6)
    assert_allclose(probs[1], [1 / 3] * 3, rtol=1e-6)
    # -log p(class 2) = 2000 + log(1 + e^-1) for row 0, log 3 for row 1.
    assert_allclose(loss, (2000 + np.log1p(e) + np.log(3)) / 2, rtol=1e-6)
    assert_allclose(ops.softmax_cross_entropy_backward(logits, np.array([2, 0])).sum(), 0.0, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_dtypes_are_accepted_and_kept(dtype):
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (1, 6, 6, 2)).astype(dtype)
    kernel = rng.uniform(-1, 1, (3, 3, 2, 2)).astype(dtype)
    reference = ops.conv2d(x.astype("float64"), kernel.astype("float64"))
    results = (ops.conv2d(x, kernel), ops.max_pool2d(x), ops.avg_pool2d(x, padding="same"), ops.relu(x))
    for result in results:
        assert result.dtype == dtype
    assert_allclose(ops.conv2d(x, kernel), reference, rtol=1e-2, atol=1e-2)


def ulps(error, exact):
    """``error`` in units of float16's spacing at ``exact``."""
    return np.abs(error) / np.spacing(np.abs(exact).astype("float16"))


def test_float16_sums_accumulate_in_float32():
    # Bias gradients sum grad_out over every sample (and pixel): a long axis. Summed
    # in float16, each small term is rounded against a large running sum.
    rng = np.random.default_rng(11)
    n = 20_000
    x = rng.uniform(0, 1, (n, 3)).astype("float16")
    w = rng.standard_normal((3, 2)).astype("float16")
    grad_out = (0.01 * rng.uniform(-1, 0.5, (n, 2))).astype("float16")
    grad_x, grad_w, grad_b = ops.dense_backward(x, w, grad_out)
    assert grad_x.dtype == grad_w.dtype == grad_b.dtype == np.float16
    exact_b = grad_out.astype("float64").sum(axis=0)
    exact_w = x.astype("float64").T @ grad_out.astype("float64")
    # The old way, summing in float16, is tens or hundreds of float16 steps off; ours
    # is within one.
    assert ulps(grad_out.sum(axis=0) - exact_b, exact_b).min() > 20
    assert ulps(grad_b - exact_b, exact_b).max() <= 1
    assert ulps(grad_w - exact_w, exact_w).max() <= 1

    images = rng.uniform(0, 1, (16, 28, 28, 1)).astype("float16")
    kernel = rng.standard_normal((3, 3, 1, 2)).astype("float16")
    grad_maps = (0.01 * rng.uniform(-1, 0.5, (16, 26, 26, 2))).astype("float16")
    _, grad_kernel, grad_bias = ops.conv2d_backward(images, kernel, grad_maps)
    exact_bias = grad_maps.astype("float64").sum(axis=(0, 1, 2))
    exact_kernel = ops.conv2d_backward(images.astype("float64"), kernel.astype("float64"),
                                       grad_maps.astype("float64"))[1]
    assert ulps(grad_maps.reshape(-1, 2).sum(axis=0) - exact_bias, exact_bias).min() > 20
    assert ulps(grad_bias - exact_bias, exact_bias).max() <= 1
    assert ulps(grad_kernel - exact_kernel, exact_kernel).max() <= 1


def test_max_pool2d_propagates_nan_where_tensorflow_skips_it():
    nan = np.nan
    x = np.array([[1, nan, 4, 5, nan, nan], [2, 3, 6, 7, nan, nan]], "float32")[None, :, :, None]
    assert_allclose(ops.max_pool2d(x)[0, :, :, 0], [[nan, 7, nan]])
    grad = ops.max_pool2d_backward(x, np.ones((1, 1, 3, 1), "float32"))[0, :, :, 0]
    # Each window's gradient goes to what max_pool2d returned: its first NaN, or its maximum.
    assert_allclose(grad, [[0, 1, 0, 0, 1, 0], [0, 0, 0, 1, 0, 0]])
    # TensorFlow's CPU kernel (the docstring's claim): NaN skipped, the lowest float
    # for a window of NaNs only.
    with tf.device("/CPU:0"):
        theirs = keras_np(keras.layers.MaxPooling2D()(x))
    assert_allclose(theirs[0, :, :, 0], [[3, 7, np.finfo("float32").min]])


@pytest.mark.parametrize("pool_size, stride", [(3, 1), (2, 1), (4, 3)])
def test_max_pool2d_same_over_minus_infinity_keeps_the_gradient(pool_size, stride):
    x = np.full((1, 5, 5, 2), -np.inf, "float32")
    x[0, 3, 1, 1] = 0.5  # one finite pixel among the -inf
    args = (pool_size, stride, "same")
    assert np.all(ops.max_pool2d(x, *args)[..., 0] == -np.inf)  # the true maximum
    grad_out = np.random.default_rng(12).uniform(1, 2, ops.max_pool2d(x, *args).shape)
    grad_out = grad_out.astype("float32")
    ours = ops.max_pool2d_backward(x, grad_out, *args)
    # Every window sends its gradient to one of its real pixels: none is lost.
    assert_allclose(ours.sum(axis=(1, 2)), grad_out.sum(axis=(1, 2)), rtol=1e-6)
    (expected,) = tape_gradients(lambda t: keras.ops.max_pool(t, *args), [x], grad_out)
    assert_allclose(ours, expected, rtol=1e-6)


def test_an_empty_batch_gives_empty_results():
    images, kernel = np.zeros((0, 6, 6, 3), "float32"), K
    assert ops.conv2d(images, kernel, np.zeros(4, "float32")).shape == (0, 4, 4, 4)
    grads = ops.conv2d_backward(images, kernel, np.zeros((0, 4, 4, 4), "float32"))
    assert [g.shape for g in grads] == [(0, 6, 6, 3), (3, 3, 3, 4), (4,)]
    assert not grads[1].any() and not grads[2].any()  # no sample, no gradient
    for forward, backward in ((ops.max_pool2d, ops.max_pool2d_backward),
                              (ops.avg_pool2d, ops.avg_pool2d_backward)):
        assert forward(images, 2, padding="same").shape == (0, 3, 3, 3)
        assert backward(images, np.zeros((0, 3, 3, 3), "float32"), 2, padding="same").shape == (0, 6, 6, 3)
    assert ops.dense(np.zeros((0, 3), "float32"), np.zeros((3, 2), "float32")).shape == (0, 2)
    assert ops.softmax(np.zeros((0, 10), "float32")).shape == (0, 10)
    assert ops.flatten(images).shape == (0, 108)


# ----------------------------------------------------------------------------
# Backward passes against tf.GradientTape.
# ----------------------------------------------------------------------------


@examples
@given(case=window_cases())
def test_conv2d_backward_matches_gradient_tape(case):
    kernel = case.kernel()
    grad_out = case.like(ops.conv2d(case.x, kernel, stride=case.stride, padding=case.padding).shape)
    ours = ops.conv2d_backward(case.x, kernel, grad_out, case.stride, case.padding)
    bias = np.zeros(case.c_out, dtype="float32")

    def forward(x, k, b):
        return keras.ops.conv(x, k, case.stride, case.padding) + b

    expected = tape_gradients(forward, [case.x, kernel, bias], grad_out)
    for name, mine, theirs in zip(("x", "kernel", "bias"), ours, expected):
        assert mine.shape == theirs.shape and mine.dtype == np.float32, name
        assert_allclose(mine, theirs, **GRAD_TOL, err_msg=f"gradient w.r.t. {name}")


@examples
@given(case=window_cases())
def test_pooling_backward_matches_gradient_tape(case):
    args = (case.window, case.stride, case.padding)
    grad_out = case.like(ops.max_pool2d(case.x, *args).shape)
    (expected_max,) = tape_gradients(lambda x: keras.ops.max_pool(x, *args), [case.x], grad_out)
    (expected_avg,) = tape_gradients(lambda x: keras.ops.average_pool(x, *args), [case.x], grad_out)
    assert_allclose(ops.max_pool2d_backward(case.x, grad_out, *args), expected_max, **GRAD_TOL)
    assert_allclose(ops.avg_pool2d_backward(case.x, grad_out, *args), expected_avg, **GRAD_TOL)


@pytest.mark.parametrize("stride", [1, 2])
def test_max_pool2d_backward_sends_ties_to_the_first_maximum_like_tensorflow(stride):
    x = np.zeros((1, 4, 4, 1), dtype="float32")  # every window of zeros is a tie
    x[0, 1, 2:4, 0] = 1.0  # a tie of two ones in the top-right window
    grad_out = np.ones(ops.max_pool2d(x, 2, stride).shape, dtype="float32")
    ours = ops.max_pool2d_backward(x, grad_out, 2, stride)
    (expected,) = tape_gradients(lambda t: tf.nn.max_pool2d(t, 2, stride, "VALID"), [x], grad_out)
    assert_allclose(ours, expected)
    if stride == 2:
        assert_allclose(ours[0, :, :, 0], [[1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0]])


def test_dense_relu_and_loss_backward_match_gradient_tape():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((5, 7)).astype("float32"), rng.standard_normal((7, 4)).astype("float32")
    b, grad_out = rng.standard_normal(4).astype("float32"), rng.standard_normal((5, 4)).astype("float32")
    expected = tape_gradients(lambda x, w, b: x @ w + b, [x, w, b], grad_out)
    for ours, theirs in zip(ops.dense_backward(x, w, grad_out), expected):
        assert_allclose(ours, theirs, **GRAD_TOL)

    (expected_relu,) = tape_gradients(tf.nn.relu, [x], x)
    assert_allclose(ops.relu_backward(x, x), expected_relu, **GRAD_TOL)

    labels = rng.integers(0, 4, 5)
    logits = tf.constant(x @ w)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = tf.reduce_mean(
            keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        )
    expected_logits = tape.gradient(loss, logits).numpy()
    assert_allclose(ops.softmax_cross_entropy_backward(x @ w, labels), expected_logits, **GRAD_TOL)


def test_conv2d_input_gradient_is_a_full_correlation_with_the_flipped_kernel():
    # The identity stated in conv2d_backward's docstring, for a strided 'valid' conv.
    rng = np.random.default_rng(7)
    x, kernel = rng.standard_normal((2, 9, 9, 2)), rng.standard_normal((3, 2, 2, 4))
    stride = 2
    grad_out = rng.standard_normal(ops.conv2d(x, kernel, stride=stride).shape)
    # Insert stride - 1 zeros between grad_out's pixels, pad by kernel size - 1 on every side.
    out_h, out_w = grad_out.shape[1:3]
    dilated = np.zeros((2, (out_h - 1) * stride + 1, (out_w - 1) * stride + 1, 4))
    dilated[:, ::stride, ::stride] = grad_out
    flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)  # (kh, kw, C_out, C_in)
    full = ops.conv2d(np.pad(dilated, ((0, 0), (2, 2), (1, 1), (0, 0))), flipped)
    grad_x = ops.conv2d_backward(x, kernel, grad_out, stride)[0]
    h, w = full.shape[1:3]
    assert (h, w) == (9, 8)  # the last column is never read by any window
    assert_allclose(grad_x[:, :h, :w], full, atol=1e-12)
    assert_allclose(grad_x[:, :, w:], 0.0)


# ----------------------------------------------------------------------------
# Backward passes against finite differences, in float64.
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("stride, padding", [(1, "valid"), (2, "same"), ((2, 1), "valid")])
def test_conv2d_backward_matches_finite_differences(stride, padding):
    rng = np.random.default_rng(8)
    x, kernel = rng.standard_normal((2, 5, 6, 2)), rng.standard_normal((3, 2, 2, 3))
    bias = rng.standard_normal(3)
    weights = rng.standard_normal(ops.conv2d(x, kernel, stride=stride, padding=padding).shape)

    def loss():
        return np.sum(ops.conv2d(x, kernel, bias, stride, padding) * weights)

    grad_x, grad_kernel, grad_bias = ops.conv2d_backward(x, kernel, weights, stride, padding)
    assert_allclose(grad_x, numerical_gradient(loss, x), rtol=1e-6, atol=1e-7)
    assert_allclose(grad_kernel, numerical_gradient(loss, kernel), rtol=1e-6, atol=1e-7)
    assert_allclose(grad_bias, numerical_gradient(loss, bias), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "pool_size, stride, padding", [(2, None, "valid"), (3, 2, "same"), ((2, 3), 1, "valid")]
)
def test_pooling_backward_matches_finite_differences(pool_size, stride, padding):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 5, 6, 2))
    pairs = ((ops.max_pool2d, ops.max_pool2d_backward), (ops.avg_pool2d, ops.avg_pool2d_backward))
    for forward, backward in pairs:
        weights = rng.standard_normal(forward(x, pool_size, stride, padding).shape)

        def loss():
            return np.sum(forward(x, pool_size, stride, padding) * weights)

        expected = numerical_gradient(loss, x)
        assert_allclose(backward(x, weights, pool_size, stride, padding), expected, rtol=1e-6, atol=1e-7)


def test_dense_and_softmax_cross_entropy_backward_match_finite_differences():
    rng = np.random.default_rng(10)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    labels = np.array([0, 2, 1, 2])

    def loss():  # the classifier head: dense, then softmax cross-entropy
        return ops.cross_entropy_from_logits(ops.dense(x, w, b), labels)

    grad_logits = ops.softmax_cross_entropy_backward(ops.dense(x, w, b), labels)
    grad_x, grad_w, grad_b = ops.dense_backward(x, w, grad_logits)
    assert_allclose(grad_x, numerical_gradient(loss, x), rtol=1e-6, atol=1e-8)
    assert_allclose(grad_w, numerical_gradient(loss, w), rtol=1e-6, atol=1e-8)
    assert_allclose(grad_b, numerical_gradient(loss, b), rtol=1e-6, atol=1e-8)


def test_relu_backward_uses_zero_slope_at_zero():
    x = np.array([-1.0, 0.0, 2.0])
    assert_allclose(ops.relu_backward(x, np.array([5.0, 6.0, 7.0])), [0.0, 0.0, 7.0])


# ----------------------------------------------------------------------------
# Bad input: a ValueError that says what was expected and what was received.
# ----------------------------------------------------------------------------

X = np.zeros((2, 6, 6, 3), dtype="float32")
K = np.zeros((3, 3, 3, 4), dtype="float32")
LOGITS = np.zeros((2, 3), dtype="float32")

# name: (call, regex the message must match)
BAD_INPUTS = {
    "conv2d 2-D image": (
        lambda: ops.conv2d(np.zeros((28, 28), "float32"), K),
        r"conv2d: x must be 4-D \(batch, height, width, channels\); got shape \(28, 28\); "
        r".*x\[None, :, :, None\]",
    ),
    "conv2d 3-D image": (
        lambda: ops.conv2d(X[0], K),
        r"got shape \(6, 6, 3\); for one image use x\[None\]",
    ),
    "conv2d 3-D kernel": (
        lambda: ops.conv2d(X, K[..., 0]),
        r"kernel must be 4-D \(kernel_height, kernel_width, in_channels, out_channels\); "
        r"got shape \(3, 3, 3\)",
    ),
    "conv2d channel mismatch": (
        lambda: ops.conv2d(X[..., :1], K),
        r"kernel expects 3 input channels .* but x has 1",
    ),
    "conv2d kernel too large": (
        lambda: ops.conv2d(X[:, :3, :3], np.zeros((5, 5, 3, 1), "float32")),
        r"kernel \(5x5\) must fit inside the valid-padded input \(3x3\)",
    ),
    "conv2d stride 0": (
        lambda: ops.conv2d(X, K, stride=0),
        r"stride must be a positive integer or a pair .*; got 0",
    ),
    "conv2d negative stride": (
        lambda: ops.conv2d(X, K, stride=(1, -2)),
        r"stride must be a positive integer .*; got \(1, -2\)",
    ),
    "conv2d float stride": (
        lambda: ops.conv2d(X, K, stride=1.5),
        r"stride must be a positive integer .*; got 1.5",
    ),
    "conv2d three strides": (
        lambda: ops.conv2d(X, K, stride=(1, 1, 1)),
        r"pair of positive integers; got \(1, 1, 1\)",
    ),
    "conv2d unknown padding": (
        lambda: ops.conv2d(X, K, padding="full"),
        r"padding must be 'valid' or 'same'; got 'full'",
    ),
    "conv2d uint8 image": (
        lambda: ops.conv2d(X.astype("uint8"), K),
        r"x must be a floating-point array .* got dtype uint8\. .*x\.astype\('float32'\) / 255",
    ),
    "conv2d int kernel": (
        lambda: ops.conv2d(X, K.astype("int32")),
        r"kernel must be a floating-point array .* got dtype int32",
    ),
    "conv2d bias shape": (
        lambda: ops.conv2d(X, K, np.zeros(3, "float32")),
        r"bias must have shape \(4,\), .* got shape \(3,\)",
    ),
    "conv2d_backward grad_out shape": (
        lambda: ops.conv2d_backward(X, K, np.zeros((2, 6, 6, 4), "float32")),
        r"grad_out must have the shape of the forward output, \(2, 4, 4, 4\); got shape \(2, 6, 6, 4\)",
    ),
    "max_pool2d window too large": (
        lambda: ops.max_pool2d(X, 7),
        r"pool window \(7x7\) must fit inside the valid-padded input \(6x6\)",
    ),
    "max_pool2d pool_size 0": (
        lambda: ops.max_pool2d(X, 0),
        r"pool_size must be a positive integer .*; got 0",
    ),
    "max_pool2d int image": (
        lambda: ops.max_pool2d(X.astype("int64")),
        r"max_pool2d: x must be a floating-point array",
    ),
    "avg_pool2d unknown padding": (
        lambda: ops.avg_pool2d(X, padding="causal"),
        r"avg_pool2d: padding must be 'valid' or 'same'; got 'causal'",
    ),
    "avg_pool2d stride 0": (
        lambda: ops.avg_pool2d(X, 2, stride=(0, 1)),
        r"stride must be a positive integer .*; got \(0, 1\)",
    ),
    "max_pool2d_backward grad_out shape": (
        lambda: ops.max_pool2d_backward(X, np.zeros((2, 2, 2, 3), "float32")),
        r"grad_out must have the shape of the forward output, \(2, 3, 3, 3\); got shape \(2, 2, 2, 3\)",
    ),
    "dense feature mismatch": (
        lambda: ops.dense(LOGITS, np.zeros((4, 2), "float32")),
        r"w expects 4 input features .* but x has 3",
    ),
    "dense 1-D x": (
        lambda: ops.dense(np.zeros(3, "float32"), np.zeros((3, 2), "float32")),
        r"x must be 2-D \(batch, features\); got shape \(3,\)",
    ),
    "dense int8 x": (
        lambda: ops.dense(LOGITS.astype("int8"), np.zeros((3, 2), "float32")),
        r"got dtype int8",
    ),
    "softmax int logits": (
        lambda: ops.softmax(np.array([1, 2, 3])),
        r"softmax: z must be a floating-point array .* got dtype int64",
    ),
    "relu int": (
        lambda: ops.relu(np.array([1, -1])),
        r"relu: x must be a floating-point array",
    ),
    "loss float labels": (
        lambda: ops.cross_entropy_from_logits(LOGITS, np.array([0.0, 1.0])),
        r"labels must be integer class ids .* got dtype float64",
    ),
    "loss labels out of range": (
        lambda: ops.cross_entropy_from_logits(LOGITS, np.array([0, 3])),
        r"labels must lie in \[0, 3\) for 3 classes; got values from 0 to 3",
    ),
    "loss labels shape": (
        lambda: ops.softmax_cross_entropy_backward(LOGITS, np.array([0, 1, 2])),
        r"labels must have shape \(2,\), .* got shape \(3,\)",
    ),
    "conv2d kernel of height 0": (
        lambda: ops.conv2d(X, np.zeros((0, 3, 3, 4), "float32")),
        r"conv2d: kernel has length 0 along its kernel_height axis \(shape \(0, 3, 3, 4\)",
    ),
    "conv2d kernel of 0 filters": (
        lambda: ops.conv2d(X, np.zeros((3, 3, 3, 0), "float32")),
        r"kernel has length 0 along its out_channels axis .* every axis but the batch",
    ),
    "conv2d image of 0 channels": (
        lambda: ops.conv2d(X[..., :0], K[:, :, :0]),
        r"conv2d: x has length 0 along its channels axis \(shape \(2, 6, 6, 0\)",
    ),
    "conv2d_backward image of height 0, same": (
        lambda: ops.conv2d_backward(X[:, :0], K, np.zeros((2, 0, 6, 4), "float32"), padding="same"),
        r"conv2d_backward: x has length 0 along its height axis",
    ),
    "max_pool2d image of width 0": (
        lambda: ops.max_pool2d(X[:, :, :0]),
        r"max_pool2d: x has length 0 along its width axis",
    ),
    "avg_pool2d_backward image of 0 channels": (
        lambda: ops.avg_pool2d_backward(X[..., :0], np.zeros((2, 3, 3, 0), "float32")),
        r"avg_pool2d_backward: x has length 0 along its channels axis",
    ),
    "dense 0 features": (
        lambda: ops.dense(np.zeros((2, 0), "float32"), np.zeros((0, 3), "float32")),
        r"dense: x has length 0 along its features axis",
    ),
    "dense_backward 0 outputs": (
        lambda: ops.dense_backward(LOGITS, np.zeros((3, 0), "float32"), np.zeros((2, 0), "float32")),
        r"dense_backward: w has length 0 along its out_features axis",
    ),
    "softmax of 0 classes": (
        lambda: ops.softmax(np.zeros((5, 0), "float32")),
        r"softmax: z has length 0 along axis 1 \(shape \(5, 0\)\); a softmax needs at least one class",
    ),
    "log_softmax of 0 classes": (
        lambda: ops.log_softmax(np.zeros((5, 0), "float32")),
        r"log_softmax: z has length 0 along axis 1",
    ),
    "softmax axis out of range": (
        lambda: ops.softmax(LOGITS, axis=2),
        r"softmax: axis 2 is out of range for z of shape \(2, 3\); use an axis from -2 to 1",
    ),
    "log_softmax negative axis out of range": (
        lambda: ops.log_softmax(LOGITS, axis=-3),
        r"log_softmax: axis -3 is out of range for z of shape \(2, 3\)",
    ),
    "softmax float axis": (
        lambda: ops.softmax(LOGITS, axis=1.0),
        r"softmax: axis must be an integer or a tuple of integers; got 1.0",
    ),
    "softmax repeated axis": (
        lambda: ops.softmax(LOGITS, axis=(1, -1)),
        r"softmax: axis \(1, -1\) names the same axis twice",
    ),
    "softmax scalar": (
        lambda: ops.softmax(np.float32(2.0)),
        r"softmax: z must have at least one axis, .* got a scalar",
    ),
    "loss of 0 classes": (
        lambda: ops.cross_entropy_from_logits(np.zeros((2, 0), "float32"), np.array([0, 0])),
        r"cross_entropy_from_logits: logits has length 0 along its classes axis",
    ),
    "loss of an empty batch": (
        lambda: ops.cross_entropy_from_logits(np.zeros((0, 3), "float32"), np.zeros(0, int)),
        r"logits has no rows \(shape \(0, 3\)\); the mean loss over an empty batch is undefined",
    ),
    "output_size stride 0": (
        lambda: ops.output_size(28, 3, stride=0),
        r"output_size: stride must be a positive integer; got 0",
    ),
    "output_size window too large": (
        lambda: ops.output_size(2, 3),
        r"window 3 is larger than the input length 2",
    ),
}


@pytest.mark.parametrize("call, message", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_raises_a_helpful_value_error(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert type(error.value) is ValueError  # our own, not NumPy's AxisError


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "bool"])
def test_integer_and_bool_images_are_refused_everywhere(dtype):
    x = X.astype(dtype)
    for call in (
        lambda: ops.conv2d(x, K),
        lambda: ops.max_pool2d(x),
        lambda: ops.avg_pool2d(x),
        lambda: ops.relu(x),
        lambda: ops.softmax(x),
    ):
        with pytest.raises(ValueError, match=f"floating-point array .* got dtype {dtype}"):
            call()
