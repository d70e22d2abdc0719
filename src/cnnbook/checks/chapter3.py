"""Self-checks for chapter 3's exercises: convolution, pooling, dense and softmax by hand.

Every expected answer comes from Keras (a layer or ``keras.ops``) or from TensorFlow's
automatic differentiation, never from :mod:`cnnbook.ops`. ``cnnbook.ops`` is only used
to recognise the plausible *wrong* answers (a flipped kernel, a forgotten stride...)
so that the verdict can name the mistake.

The exercises work on single-channel 2-D arrays ``(height, width)``, as the notebooks'
loop versions do; the checks add and remove the batch and channel axes Keras needs.
"""

import numpy as np

from cnnbook import ops
from cnnbook.checks.verdict import exercise_check

_TOL = dict(rtol=1e-4, atol=1e-5)


def _seeded(seed):
    return np.random.default_rng(seed)


def _image(array):
    """``(H, W)`` -> ``(1, H, W, 1)``, the layout of Keras images."""
    return np.asarray(array, dtype="float32")[None, :, :, None]


def _plane(array):
    """``(1, H, W, 1)`` -> ``(H, W)``."""
    return np.asarray(array)[0, :, :, 0]


def _differs(answer, expected):
    """Why ``answer`` is not ``expected``: 'shape', 'not finite', 'values', or None."""
    answer = np.asarray(answer, dtype="float64")
    if answer.shape != np.shape(expected):
        return "shape"
    if not np.all(np.isfinite(answer)):
        return "not finite"
    if not np.allclose(answer, expected, **_TOL):
        return "values"
    return None


def _same(answer, candidate):
    """True when ``answer`` equals a known wrong ``candidate`` (same shape, close values)."""
    return _differs(answer, candidate) is None


def _tape_gradient(forward, inputs, grad_out):
    """TensorFlow's gradients of ``sum(forward(*inputs) * grad_out)`` for every input."""
    import tensorflow as tf

    tensors = [tf.constant(np.asarray(a, dtype="float32")) for a in inputs]
    with tf.GradientTape() as tape:
        for tensor in tensors:
            tape.watch(tensor)
        loss = tf.reduce_sum(forward(*tensors) * grad_out)
    return [gradient.numpy() for gradient in tape.gradient(loss, tensors)]


# ----------------------------------------------------------------------------
# 3.1 Convolution.
# ----------------------------------------------------------------------------


def _keras_conv_output_size(n, k, stride, padding):
    from keras import layers

    # Keras has no "p zeros on each side" argument: ZeroPadding2D adds them explicitly.
    shape = layers.ZeroPadding2D(padding).compute_output_shape((1, n, n, 1))
    shape = layers.Conv2D(1, k, strides=stride).compute_output_shape(shape)
    return shape[1]


@exercise_check
def check_conv_output_size(conv_output_size):
    """Check ``conv_output_size(n, k, stride, padding)`` against Keras's layer shapes."""
    for n, k, stride, padding in [(28, 3, 1, 0), (28, 3, 2, 1), (28, 5, 3, 2), (7, 3, 2, 0),
                                  (10, 4, 3, 1), (5, 5, 1, 0), (32, 3, 2, 0), (9, 2, 4, 1)]:
        answer = conv_output_size(n, k, stride, padding)
        expected = _keras_conv_output_size(n, k, stride, padding)
        if answer == expected and isinstance(answer, (int, np.integer)):
            continue
        case = f"n={n}, k={k}, stride={stride}, padding={padding}"
        if not isinstance(answer, (int, np.integer)) and answer == int(answer):
            return f"returned {answer!r} for {case}. Hint: a size is a whole number; use // or int()."
        if not isinstance(answer, (int, np.integer)):
            return (f"returned {answer!r} for {case}. Hint: a window that would stick out of "
                    "the padded input is not used, so round the division down (//).")
        if answer in (expected - 1, expected + 1):
            return (f"off by one for {case}. Hint: count window positions; a window as wide as "
                    "the padded input fits exactly once.")
        return f"wrong for {case} (you returned {answer!r}). Hint: pad both sides, then count strides."
    return None


def _keras_correlate(image, kernel, stride=1):
    import keras

    layer = keras.layers.Conv2D(1, kernel.shape, strides=stride, use_bias=False)
    layer.build((None, *image.shape, 1))
    layer.set_weights([np.asarray(kernel, dtype="float32")[:, :, None, None]])
    return _plane(keras.ops.convert_to_numpy(layer(_image(image))))


def _correlate(image, kernel, stride=1):
    return _plane(ops.conv2d(_image(image), np.asarray(kernel, "float32")[:, :, None, None], stride=stride))


@exercise_check
def check_correlate2d(correlate2d):
    """Check ``correlate2d(image, kernel, stride)`` ('valid') against ``keras.layers.Conv2D``."""
    rng = _seeded(31)
    for shape, kernel_shape, stride in [((6, 7), (3, 3), 1), ((8, 9), (2, 3), 1),
                                        ((9, 8), (3, 2), 2), ((7, 7), (3, 3), 3)]:
        image = rng.uniform(-1, 1, shape).astype("float32")
        kernel = rng.uniform(-1, 1, kernel_shape).astype("float32")
        answer = correlate2d(image, kernel, stride)
        expected = _keras_correlate(image, kernel, stride)
        why = _differs(answer, expected)
        if why is None:
            continue
        case = f"a {shape[0]}x{shape[1]} image, a {kernel_shape[0]}x{kernel_shape[1]} kernel and stride {stride}"
        if why == "shape":
            return (f"your output has shape {np.shape(answer)} for {case}. Hint: 'valid' means no "
                    "padding, and the window moves by `stride` pixels: floor((n - k) / s) + 1 per axis.")
        if _same(answer, _correlate(image, kernel[::-1, ::-1], stride)):
            return (f"wrong values for {case}. Hint: you flipped the kernel, which is true "
                    "convolution; CNN layers compute cross-correlation, without the flip.")
        if kernel_shape[0] == kernel_shape[1] and _same(answer, _correlate(image, kernel.T, stride)):
            return f"wrong values for {case}. Hint: kernel[p, q] multiplies image[i + p, j + q]; rows and columns are swapped."
        return f"wrong values for {case}. Hint: output (i, j) sums image[i*s + p, j*s + q] * kernel[p, q]."
    return None


@exercise_check
def check_conv_input_gradient(conv_input_gradient):
    """Check ``conv_input_gradient(grad_out, kernel)`` against TensorFlow's autodiff."""
    import tensorflow as tf

    rng = _seeded(32)
    for shape, kernel_shape in [((6, 7), (3, 3)), ((7, 6), (2, 3)), ((5, 5), (3, 2))]:
        image = rng.uniform(-1, 1, shape).astype("float32")
        kernel = rng.uniform(-1, 1, kernel_shape).astype("float32")
        out_shape = (shape[0] - kernel_shape[0] + 1, shape[1] - kernel_shape[1] + 1)
        grad_out = rng.standard_normal(out_shape).astype("float32")
        expected = _plane(_tape_gradient(
            lambda x: tf.nn.conv2d(x, kernel[:, :, None, None], strides=1, padding="VALID"),
            [_image(image)], _image(grad_out))[0])
        answer = conv_input_gradient(grad_out, kernel)
        why = _differs(answer, expected)
        if why is None:
            continue
        case = f"a {kernel_shape[0]}x{kernel_shape[1]} kernel and grad_out of shape {out_shape}"
        if why == "shape":
            return (f"your gradient has shape {np.shape(answer)} for {case}. Hint: it has the "
                    "shape of the input, so it is a *full* correlation (pad grad_out by k - 1).")
        padded = np.pad(grad_out, [(kernel_shape[0] - 1,) * 2, (kernel_shape[1] - 1,) * 2])
        if _same(answer, _correlate(padded, kernel)):
            return (f"wrong values for {case}. Hint: input pixel (i, j) meets kernel[p, q] at "
                    "output (i - p, j - q): correlate with the kernel flipped in both axes.")
        if kernel_shape[0] == kernel_shape[1] and _same(answer, _correlate(padded, kernel.T[::-1, ::-1])):
            return f"wrong values for {case}. Hint: you transposed the kernel; flip it instead (kernel[::-1, ::-1])."
        return f"wrong values for {case}. Hint: each output (i, j) sends grad_out[i, j] * kernel[p, q] to input (i + p, j + q)."
    return None


# ----------------------------------------------------------------------------
# 3.2 Pooling.
# ----------------------------------------------------------------------------


def _pool_cases(seed):
    """Single-channel images with windows and strides: equal, overlapping and gapped."""
    rng = _seeded(seed)
    for shape, size, stride in [((8, 8), 2, 2), ((7, 9), 3, 2), ((6, 7), 2, 1), ((9, 8), 2, 3)]:
        yield rng.standard_normal(shape).astype("float32"), size, stride


def _pool_case_text(image, size, stride):
    return f"a {image.shape[0]}x{image.shape[1]} input, window {size} and stride {stride}"


def _stride_hint(answer, image, size, stride):
    """A hint when the output size shows the stride was ignored or assumed, else None."""
    for wrong_stride, mistake in [(1, "moves the window by 1"), (size, "moves the window by its size")]:
        if wrong_stride != stride and np.shape(answer) == ops.max_pool2d(_image(image), size, wrong_stride).shape[1:3]:
            return (f"your output has shape {np.shape(answer)} for {_pool_case_text(image, size, stride)}. "
                    f"Hint: your code {mistake}; y(i, j) = max over p, q of x(i*s + p, j*s + q) with s = stride.")
    return None


@exercise_check
def check_max_pool(max_pool):
    """Check ``max_pool(x, size, stride)`` ('valid') against ``keras.layers.MaxPooling2D``."""
    import keras

    for image, size, stride in _pool_cases(41):
        layer = keras.layers.MaxPooling2D(pool_size=size, strides=stride)
        expected = _plane(keras.ops.convert_to_numpy(layer(_image(image))))
        answer = max_pool(image, size, stride)
        why = _differs(answer, expected)
        if why is None:
            continue
        hint = _stride_hint(answer, image, size, stride)
        if hint:
            return hint
        case = _pool_case_text(image, size, stride)
        if why == "shape":
            return (f"your output has shape {np.shape(answer)} for {case}. Hint: keep only windows "
                    "that fit entirely inside the input: floor((n - size) / stride) + 1.")
        if _same(answer, ops.avg_pool2d(_image(image), size, stride)[0, :, :, 0]):
            return f"wrong values for {case}. Hint: that is the average of each window; take its maximum."
        return f"wrong values for {case}. Hint: window (i, j) starts at row i*stride, column j*stride."
    return None


def _overlap_hint(answer, image, grad_out, size, stride, backward):
    """A hint when ``answer`` overwrites instead of adding where windows overlap, else None."""
    if stride >= size:
        return None
    overwritten = np.zeros(image.shape)
    for i in range(grad_out.shape[0]):
        for j in range(grad_out.shape[1]):
            single = np.zeros_like(grad_out)
            single[i, j] = grad_out[i, j]
            window = backward(_image(image), _image(single), size, stride)[0, :, :, 0]
            rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
            overwritten[rows, cols] = np.where(window[rows, cols] != 0, window[rows, cols], overwritten[rows, cols])
    if _same(answer, overwritten):
        return (f"wrong where windows overlap ({_pool_case_text(image, size, stride)}). Hint: a pixel "
                "inside several windows receives the sum of their gradients: use += , not =.")
    return None


def _check_pool_gradient(student, keras_layer, backward, seed, known_mistakes, fallback):
    """Shared body of the pooling-gradient checks.

    The expected gradient comes from ``tf.GradientTape`` through ``keras_layer``.
    ``known_mistakes(image, grad_out, size, stride)`` yields ``(wrong_gradient,
    hint)`` pairs; ``backward`` (the matching ``cnnbook.ops`` function) is used only to
    recognise overlapping windows that overwrite instead of adding.
    """
    rng = _seeded(seed + 100)
    for image, size, stride in _pool_cases(seed):
        layer = keras_layer(pool_size=size, strides=stride)
        out_shape = layer.compute_output_shape((1, *image.shape, 1))[1:3]
        grad_out = rng.standard_normal(out_shape).astype("float32")
        expected = _plane(_tape_gradient(layer, [_image(image)], _image(grad_out))[0])
        answer = student(image, grad_out, size, stride)
        why = _differs(answer, expected)
        if why is None:
            continue
        case = _pool_case_text(image, size, stride)
        if why == "shape":
            return f"your gradient has shape {np.shape(answer)} for {case}. Hint: it has the shape of x."
        for wrong, hint in known_mistakes(image, grad_out, size, stride):
            if _same(answer, wrong):
                return f"wrong values for {case}. Hint: {hint}"
        return (_overlap_hint(answer, image, grad_out, size, stride, backward)
                or f"wrong values for {case}. Hint: {fallback}")
    return None


def _routed(backward, image, grad_out, size, stride):
    return backward(_image(image), _image(grad_out), size, stride)[0, :, :, 0]


@exercise_check
def check_max_pool_backward(max_pool_backward):
    """Check ``max_pool_backward(x, grad_out, size, stride)`` against TensorFlow's autodiff."""
    import keras

    def known_mistakes(image, grad_out, size, stride):
        yield (_routed(ops.avg_pool2d_backward, image, grad_out, size, stride),
               "that spreads the gradient evenly (average pooling); only the maximum reached the output.")
        yield (_routed(ops.max_pool2d_backward, image, np.ones_like(grad_out), size, stride),
               "the winner receives the upstream gradient grad_out[i, j], not 1.")

    return _check_pool_gradient(max_pool_backward, keras.layers.MaxPooling2D, ops.max_pool2d_backward, 42,
                                known_mistakes, "send grad_out[i, j] to the argmax of window (i, j), 0 elsewhere.")


@exercise_check
def check_avg_pool_backward(avg_pool_backward):
    """Check ``avg_pool_backward(x, grad_out, size, stride)`` against TensorFlow's autodiff."""
    import keras

    def known_mistakes(image, grad_out, size, stride):
        spread = _routed(ops.avg_pool2d_backward, image, grad_out, size, stride)
        hint = "each of the size*size pixels contributed 1/(size*size) of the average, so it gets that share of grad_out."
        yield spread * size * size, hint
        yield spread * size, hint

    return _check_pool_gradient(avg_pool_backward, keras.layers.AveragePooling2D, ops.avg_pool2d_backward, 43,
                                known_mistakes, "every pixel of window (i, j) gets grad_out[i, j] / (size*size).")


# ----------------------------------------------------------------------------
# 3.3 Dense layer and softmax.
# ----------------------------------------------------------------------------


def _logit_cases(seed):
    """Logit batches ``(N, K)``: ordinary, huge positive, huge negative, mixed scales."""
    rng = _seeded(seed)
    yield rng.standard_normal((4, 5)).astype("float32")
    yield (1000 + rng.standard_normal((3, 10))).astype("float32")
    yield (-1000 + rng.standard_normal((2, 4))).astype("float32")
    yield np.array([[1000.0, 999.0, 998.0], [0.5, 1.0, -0.5]], dtype="float32")


def _logit_case_text(logits):
    return f"{logits.shape[0]} rows of {logits.shape[1]} logits from {logits.min():.1f} to {logits.max():.1f}"


def _shape_or_overflow(why, answer, logits, what):
    """The verdict for a wrong shape or a non-finite result on these logits, else None."""
    if why == "shape":
        return f"your {what} has shape {np.shape(answer)} for {_logit_case_text(logits)}. Hint: one value per logit."
    if why == "not finite":
        return (f"your {what} holds inf or nan for {_logit_case_text(logits)}. Hint: exp(1000) overflows; "
                "subtract each row's own maximum before exponentiating (it cancels in the ratio).")
    return None


@exercise_check
def check_softmax(softmax):
    """Check ``softmax(z)`` (rows of a 2-D array) against ``keras.ops.softmax``."""
    import keras

    for logits in _logit_cases(51):
        expected = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
        answer = softmax(logits.copy())
        why = _differs(answer, expected)
        if why is None:
            continue
        case = _logit_case_text(logits)
        if why in ("shape", "not finite"):
            return _shape_or_overflow(why, answer, logits, "softmax")
        if _same(answer, ops.softmax(logits, axis=0)):
            return f"wrong values for {case}. Hint: each row is one sample; normalise along the last axis."
        return f"wrong values for {case}. Hint: every row must be positive and sum to 1."
    return None


@exercise_check
def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad):
    """Check ``softmax_cross_entropy_grad(logits, labels)`` against TensorFlow's autodiff."""
    import keras
    import tensorflow as tf

    rng = _seeded(52)
    for logits in _logit_cases(52):
        labels = rng.integers(0, logits.shape[1], logits.shape[0])
        logits_tensor = tf.constant(logits)
        with tf.GradientTape() as tape:
            tape.watch(logits_tensor)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, logits_tensor, from_logits=True))
        expected = tape.gradient(loss, logits_tensor).numpy()
        answer = softmax_cross_entropy_grad(logits.copy(), labels)
        why = _differs(answer, expected)
        if why is None:
            continue
        case = _logit_case_text(logits)
        if why in ("shape", "not finite"):
            return _shape_or_overflow(why, answer, logits, "gradient")
        if _same(answer, expected * len(labels)):
            return f"wrong values for {case}. Hint: the loss is the mean over the batch, so divide by N."
        if _same(answer, -expected) or _same(answer, -expected * len(labels)):
            return f"wrong values for {case}. Hint: check the sign: it is p - y, probabilities minus one-hot labels."
        return f"wrong values for {case}. Hint: start from the softmax probabilities p and subtract the one-hot labels y."
    return None


@exercise_check
def check_dense_backward(dense_backward):
    """Check ``dense_backward(x, w, grad_out) -> (grad_x, grad_w, grad_b)`` against autodiff."""
    import tensorflow as tf

    rng = _seeded(53)
    for batch, n_in, n_out in [(4, 5, 3), (1, 6, 2), (7, 3, 4)]:
        x = rng.standard_normal((batch, n_in)).astype("float32")
        w = rng.standard_normal((n_in, n_out)).astype("float32")
        b = rng.standard_normal(n_out).astype("float32")
        grad_out = rng.standard_normal((batch, n_out)).astype("float32")
        expected = _tape_gradient(lambda x, w, b: tf.matmul(x, w) + b, [x, w, b], grad_out)
        answer = dense_backward(x, w, grad_out)
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            return "return three arrays: (grad_x, grad_w, grad_b). Hint: one gradient per input of x @ w + b."
        case = f"x of shape {x.shape} and w of shape {w.shape}"
        for name, shape_of, got, want in zip(["grad_x", "grad_w", "grad_b"], ["x", "w", "b"], answer, expected):
            why = _differs(got, want)
            if why == "shape":
                return f"{name} has shape {np.shape(got)} for {case}. Hint: a gradient has the shape of {shape_of}."
            if why is None:
                continue
            if name == "grad_b" and _same(got, want / batch):
                return f"{name} is wrong for {case}. Hint: every sample adds b once, so sum grad_out over the batch."
            if name == "grad_w" and _same(got, want / batch):
                return f"{name} is wrong for {case}. Hint: x.T @ grad_out already sums over the batch; don't average."
            return f"{name} is wrong for {case}. Hint: write y[n, j] = sum_i x[n, i] w[i, j] + b[j] and differentiate."
    return None
