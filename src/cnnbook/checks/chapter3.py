"""Self-checks for chapter 3's exercises: convolution, pooling, dense and softmax by hand.

Every expected answer comes from Keras (a layer or ``keras.ops``) or from TensorFlow's
automatic differentiation, never from :mod:`cnnbook.ops`. ``cnnbook.ops`` is only used
to recognise the plausible *wrong* answers (a flipped kernel, a forgotten stride...)
so that the verdict can name the mistake.

The exercises work on single-channel 2-D arrays ``(height, width)``, as the notebooks'
loop versions do; the checks add and remove the batch and channel axes Keras needs.
The references run on the CPU, whose max-pooling gradient sends a tied maximum's
gradient to the first of them, as the exercise asks.
"""

import functools

import numpy as np

from cnnbook import ops
from cnnbook.checks.verdict import exercise_check, numeric_array, whole_number_verdict

_TOL = dict(rtol=1e-4, atol=1e-5)


def _seeded(seed):
    return np.random.default_rng(seed)


def _image(array):
    """``(H, W)`` -> ``(1, H, W, 1)``, the layout of Keras images."""
    return np.asarray(array, dtype="float32")[None, :, :, None]


def _plane(array):
    """``(1, H, W, 1)`` -> ``(H, W)``."""
    return np.asarray(array)[0, :, :, 0]


def _differs(answer, expected, case="this case"):
    """Why ``answer`` is not ``expected``: 'shape', 'not finite', 'values', or None."""
    answer = numeric_array(answer, case)
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

    with tf.device("/CPU:0"):
        tensors = [tf.constant(np.asarray(a, dtype="float32")) for a in inputs]
        with tf.GradientTape() as tape:
            for tensor in tensors:
                tape.watch(tensor)
            loss = tf.reduce_sum(forward(*tensors) * grad_out)
        return [gradient.numpy() for gradient in tape.gradient(loss, tensors)]


# ----------------------------------------------------------------------------
# 3.1 Convolution.
# ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)  # a pure function of whole numbers
def _keras_conv_output_size(n, k, stride, padding):
    from keras import layers

    # Keras has no "p zeros on each side" argument: ZeroPadding2D adds them explicitly.
    shape = layers.ZeroPadding2D(padding).compute_output_shape((1, n, n, 1))
    shape = layers.Conv2D(1, k, strides=stride).compute_output_shape(shape)
    return shape[1]


@exercise_check
def check_conv_output_size(conv_output_size):
    """Check ``conv_output_size(n, k, stride, padding)`` against Keras's layer shapes."""
    cases = [(28, 3, 1, 0), (28, 3, 2, 1), (28, 5, 3, 2), (7, 3, 2, 0),
             (10, 4, 3, 1), (5, 5, 1, 0), (32, 3, 2, 0), (9, 2, 4, 1)]
    expected = [_keras_conv_output_size(*case) for case in cases]
    round_down = ("a window that would stick out of the padded input is not used, so round the "
                  "division down (//)")
    return whole_number_verdict(
        conv_output_size, cases, expected, lambda n, k, s, p: f"n={n}, k={k}, stride={s}, padding={p}",
        [
            (lambda n, k, s, p: (n + 2 * p - k) // s,
             "off by one: the first window sits at position 0 and counts too, so add 1."),
            (lambda n, k, s, p: (n + p - k) // s + 1, "padding adds zeros on both sides: n + 2 * padding."),
            (lambda n, k, s, p: (n - k) // s + 1, "the padding widens the input: start from n + 2 * padding."),
            (lambda n, k, s, p: n + 2 * p - k + 1, "the window moves by `stride` pixels: divide by the stride."),
            (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1, round_down + ", not up."),
        ],
        "pad both sides, then count strides.",
        fraction_hint=round_down,
        near_hint="count window positions; a window as wide as the padded input fits exactly once.",
    )


def _keras_correlate(image, kernel, stride=1):
    import keras

    layer = keras.layers.Conv2D(1, kernel.shape, strides=stride, use_bias=False)
    layer.build((None, *image.shape, 1))
    layer.set_weights([np.asarray(kernel, dtype="float32")[:, :, None, None]])
    return _plane(keras.ops.convert_to_numpy(layer(_image(image))))


def _correlate(image, kernel, stride=1):
    return _plane(ops.conv2d(_image(image), np.asarray(kernel, "float32")[:, :, None, None], stride=stride))


@exercise_check(points=2)
def check_correlate2d(correlate2d):
    """Check ``correlate2d(image, kernel, stride)`` ('valid') against ``keras.layers.Conv2D``."""
    rng = _seeded(31)
    for shape, kernel_shape, stride in [((6, 7), (3, 3), 1), ((8, 9), (2, 3), 1),
                                        ((9, 8), (3, 2), 2), ((7, 7), (3, 3), 3)]:
        image = rng.uniform(-1, 1, shape).astype("float32")
        kernel = rng.uniform(-1, 1, kernel_shape).astype("float32")
        expected = _keras_correlate(image, kernel, stride)
        case = f"a {shape[0]}x{shape[1]} image, a {kernel_shape[0]}x{kernel_shape[1]} kernel and stride {stride}"
        answer = correlate2d(image, kernel, stride)
        why = _differs(answer, expected, case)
        if why is None:
            continue
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


@exercise_check(points=3)
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
        case = f"a {kernel_shape[0]}x{kernel_shape[1]} kernel and grad_out of shape {out_shape}"
        answer = conv_input_gradient(grad_out, kernel)
        why = _differs(answer, expected, case)
        if why is None:
            continue
        if why == "shape":
            return (f"your gradient has shape {np.shape(answer)} for {case}. Hint: it has the "
                    "shape of the input, so it is a *full* correlation (pad grad_out by k - 1).")
        padded = np.pad(grad_out, [(kernel_shape[0] - 1,) * 2, (kernel_shape[1] - 1,) * 2])
        if _same(answer, _correlate(padded, kernel)):
            return (f"wrong values for {case}. Hint: the kernel is flipped the wrong way. Input pixel "
                    "(i, j) meets kernel[p, q] at output (i - p, j - q): as a full correlation the kernel is "
                    "flipped in both axes; as a scatter (grad[i:i+kh, j:j+kw] += grad_out[i, j] * kernel) it is not.")
        if kernel_shape[0] == kernel_shape[1] and _same(answer, _correlate(padded, kernel.T[::-1, ::-1])):
            return f"wrong values for {case}. Hint: you transposed the kernel; flip it instead (kernel[::-1, ::-1])."
        return f"wrong values for {case}. Hint: each output (i, j) sends grad_out[i, j] * kernel[p, q] to input (i + p, j + q)."
    return None


# ----------------------------------------------------------------------------
# 3.2 Pooling.
# ----------------------------------------------------------------------------


def _pool_cases(seed):
    """Single-channel images with windows and strides: equal, overlapping and gapped.

    The last three have tied maxima: a ReLU's output, where whole windows are 0, and an
    image of three grey levels.
    """
    rng = _seeded(seed)
    for shape, size, stride in [((8, 8), 2, 2), ((7, 9), 3, 2), ((6, 7), 2, 1), ((9, 8), 2, 3)]:
        yield rng.standard_normal(shape).astype("float32"), size, stride
    relu = np.maximum(rng.standard_normal((8, 9)) - 0.5, 0).astype("float32")
    yield relu, 2, 2
    yield relu, 3, 1
    yield rng.integers(0, 3, (7, 8)).astype("float32"), 2, 1


def _pool_case_text(image, size, stride):
    ties = " (with tied maxima)" if len(np.unique(image)) < image.size else ""
    return f"a {image.shape[0]}x{image.shape[1]} input{ties}, window {size} and stride {stride}"


def _stride_hint(answer, image, size, stride):
    """A hint when the output size shows the stride was ignored or assumed, else None."""
    for wrong_stride, mistake in [(1, "moves the window by 1"), (size, "moves the window by its size")]:
        if wrong_stride != stride and np.shape(answer) == ops.max_pool2d(_image(image), size, wrong_stride).shape[1:3]:
            return (f"your output has shape {np.shape(answer)} for {_pool_case_text(image, size, stride)}. "
                    f"Hint: your code {mistake}; y(i, j) = max over p, q of x(i*s + p, j*s + q) with s = stride.")
    return None


@exercise_check(points=2)
def check_max_pool(max_pool):
    """Check ``max_pool(x, size, stride)`` ('valid') against ``keras.layers.MaxPooling2D``."""
    import keras

    for image, size, stride in _pool_cases(41):
        layer = keras.layers.MaxPooling2D(pool_size=size, strides=stride)
        expected = _plane(keras.ops.convert_to_numpy(layer(_image(image))))
        case = _pool_case_text(image, size, stride)
        answer = max_pool(image, size, stride)
        why = _differs(answer, expected, case)
        if why is None:
            continue
        hint = _stride_hint(answer, image, size, stride)
        if hint:
            return hint
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
        case = _pool_case_text(image, size, stride)
        answer = student(image, grad_out, size, stride)
        why = _differs(answer, expected, case)
        if why is None:
            continue
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


def _routed_to_maxima(image, grad_out, size, stride, share):
    """Each window's grad_out split over its maxima with weights ``share(is_max)``."""
    grad = np.zeros(image.shape)
    for i, j in np.ndindex(*grad_out.shape):
        rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
        is_max = (image[rows, cols] == image[rows, cols].max()).astype("float64")
        grad[rows, cols] += grad_out[i, j] * share(is_max)
    return grad


def _last_only(is_max):
    last = np.zeros(is_max.size)
    last[np.flatnonzero(is_max)[-1]] = 1
    return last.reshape(is_max.shape)


@exercise_check(points=3)
def check_max_pool_backward(max_pool_backward):
    """Check ``max_pool_backward(x, grad_out, size, stride)`` against TensorFlow's autodiff."""
    import keras

    tied = ("where a window has several equal maxima (a window of zeros after a ReLU, say), only the "
            "first of them, the one np.argmax finds, reached the output")

    def known_mistakes(image, grad_out, size, stride):
        yield (_routed(ops.avg_pool2d_backward, image, grad_out, size, stride),
               "that spreads the gradient evenly (average pooling); only the maximum reached the output.")
        yield (_routed(ops.max_pool2d_backward, image, np.ones_like(grad_out), size, stride),
               "the winner receives the upstream gradient grad_out[i, j], not 1.")
        yield (_routed_to_maxima(image, grad_out, size, stride, lambda is_max: is_max),
               f"{tied}; you sent grad_out[i, j] to every one of them.")
        yield (_routed_to_maxima(image, grad_out, size, stride, lambda is_max: is_max / is_max.sum()),
               f"{tied}; you split grad_out[i, j] between them.")
        yield (_routed_to_maxima(image, grad_out, size, stride, _last_only),
               f"{tied}; you chose the last one.")

    return _check_pool_gradient(max_pool_backward, keras.layers.MaxPooling2D, ops.max_pool2d_backward, 42,
                                known_mistakes, "send grad_out[i, j] to the argmax of window (i, j), 0 elsewhere.")


@exercise_check(points=2)
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
    """Logit batches ``(N, K)``: ordinary, huge positive, huge negative, mixed scales, and
    rows whose logits spread from -1000 to 1000 (where only a shift by each row's own
    maximum keeps every exponent finite)."""
    rng = _seeded(seed)
    yield rng.standard_normal((4, 5)).astype("float32")
    yield (1000 + rng.standard_normal((3, 10))).astype("float32")
    yield (-1000 + rng.standard_normal((2, 4))).astype("float32")
    yield np.array([[1000.0, 999.0, 998.0], [0.5, 1.0, -0.5]], dtype="float32")
    yield np.array([[1000.0, -1000.0, 0.0, 3.0], [-1000.0, 1000.0, 999.0, -5.0], [2.0, -1.0, 0.5, 0.0]],
                   dtype="float32")


def _logit_case_text(logits):
    return f"{logits.shape[0]} rows of {logits.shape[1]} logits from {logits.min():.1f} to {logits.max():.1f}"


def _global_max_softmax(logits):
    """The softmax with one maximum subtracted for the whole batch: rows far below it give 0/0."""
    e = np.exp(logits.astype("float64") - logits.max())
    return e / e.sum(axis=1, keepdims=True)


def _same_with_nans(answer, candidate):
    """True when ``answer`` has NaN exactly where ``candidate`` has, and agrees elsewhere."""
    answer = np.asarray(answer, dtype="float64")
    if answer.shape != candidate.shape or not np.array_equal(np.isnan(answer), np.isnan(candidate)):
        return False
    finite = ~np.isnan(candidate)
    return bool(np.allclose(answer[finite], candidate[finite], **_TOL))


def _shape_or_overflow(why, answer, logits, what):
    """The verdict for a wrong shape or a non-finite result on these logits, else None."""
    case = _logit_case_text(logits)
    if why == "shape":
        return f"your {what} has shape {np.shape(answer)} for {case}. Hint: one value per logit."
    if why == "not finite":
        p = answer if what == "softmax" else None
        if p is not None and _same_with_nans(p, _global_max_softmax(logits)):
            return (f"your softmax holds nan for {case}. Hint: you subtracted one maximum for the whole "
                    "batch, so rows far below it underflow to 0 / 0; subtract each row's own maximum.")
        return (f"your {what} holds inf or nan for {case}. Hint: exp overflows above about 88 in float32; "
                "subtract each row's own maximum before exponentiating, so that the largest term is "
                "exp(0) = 1 (a shift by the row's minimum or mean still overflows when logits spread widely).")
    return None


def _erases_differences(answer, logits):
    """True when some row gives the same (nonzero) probability to logits at least 1 apart."""
    differ = np.abs(logits[:, :, None] - logits[:, None, :]) >= 1
    same = np.isclose(answer[:, :, None], answer[:, None, :], rtol=1e-6, atol=0) & (answer[:, :, None] > 1e-30)
    return bool(np.any(differ & same))


@exercise_check
def check_softmax(softmax):
    """Check ``softmax(z)`` (rows of a 2-D array) against ``keras.ops.softmax``."""
    import keras

    for logits in _logit_cases(51):
        expected = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
        case = _logit_case_text(logits)
        answer = softmax(logits)
        why = _differs(answer, expected, case)
        if why is None:
            continue
        answer = numeric_array(answer, case)
        if why == "values" and _same(answer, ops.softmax(logits, axis=0)):
            return f"wrong values for {case}. Hint: each row is one sample; normalise along the last axis."
        if why in ("shape", "not finite"):
            return _shape_or_overflow(why, answer, logits, "softmax")
        if np.any(answer < 0) or not np.allclose(answer.sum(axis=1), 1, **_TOL):
            return (f"wrong values for {case}: your rows are not probability distributions. Hint: divide "
                    "each row's exponentials by their sum, so that every row is positive and sums to 1.")
        if _erases_differences(answer, logits):
            return (f"wrong values for {case}: logits that differ get the same probability, as if they "
                    "were clipped. Hint: softmax depends only on the differences between a row's logits; "
                    "clipping or rescaling the logits changes them, subtracting the row's maximum does not.")
        return (f"wrong values for {case}: your rows are probability distributions, but not the softmax of "
                "these logits. Hint: exp(z_k - m) / sum_j exp(z_j - m), with m the row's maximum; "
                "change the logits in no other way.")
    return None


@exercise_check(points=2)
def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad):
    """Check ``softmax_cross_entropy_grad(logits, labels)`` against TensorFlow's autodiff."""
    import keras
    import tensorflow as tf

    rng = _seeded(52)
    for logits in _logit_cases(52):
        labels = rng.integers(0, logits.shape[1], logits.shape[0])
        with tf.device("/CPU:0"):
            logits_tensor = tf.constant(logits)
            with tf.GradientTape() as tape:
                tape.watch(logits_tensor)
                loss = tf.reduce_mean(
                    keras.losses.sparse_categorical_crossentropy(labels, logits_tensor, from_logits=True))
            expected = tape.gradient(loss, logits_tensor).numpy()
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
        case = _logit_case_text(logits)
        answer = softmax_cross_entropy_grad(logits, labels)
        why = _differs(answer, expected, case)
        if why is None:
            continue
        if why in ("shape", "not finite"):
            return _shape_or_overflow(why, answer, logits, "gradient")
        n, k = logits.shape
        if _same(answer, expected * n):
            return f"wrong values for {case}. Hint: the loss is the mean over the batch, so divide by N."
        if _same(answer, expected * n / k):
            return (f"wrong values for {case}. Hint: you divided by the number of classes K = {k}; the loss "
                    f"is the mean over the N = {n} samples (rows), so divide by N.")
        if _same(answer, -expected) or _same(answer, -expected * n):
            return f"wrong values for {case}. Hint: check the sign: it is p - y, probabilities minus one-hot labels."
        if _same(answer, probabilities / n) or _same(answer, probabilities):
            return f"wrong values for {case}. Hint: start from the softmax probabilities p and subtract the one-hot labels y."
        return (f"wrong values for {case}. Hint: the gradient of the mean loss is (p - y) / N, with p the "
                "softmax of each row and y the one-hot labels.")
    return None


@exercise_check(points=2)
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
        case = f"x of shape {x.shape} and w of shape {w.shape}"
        answer = dense_backward(x, w, grad_out)
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            return "return three arrays: (grad_x, grad_w, grad_b). Hint: one gradient per input of x @ w + b."
        for name, shape_of, got, want in zip(["grad_x", "grad_w", "grad_b"], ["x", "w", "b"], answer, expected):
            why = _differs(got, want, case)
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
