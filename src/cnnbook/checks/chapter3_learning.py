"""Self-checks for chapter 3.4's exercises: how a CNN learns.

Every expected answer comes from TensorFlow or Keras, computed *before* the student's
function runs: a gradient from ``tf.GradientTape``, a step from ``keras.optimizers.SGD``
or ``keras.optimizers.Adam``, a receptive field measured as the nonzero input gradient
of a Keras ``Conv1D`` stack. The student's function gets copies of the inputs; the
optimizer exercises must also leave those copies unchanged (they return new arrays).
The plausible wrong answers are recognised with small NumPy formulas, to name the
mistake; the verdict never shows the expected values.
"""

import numpy as np

from cnnbook.checks.verdict import exercise_check


def _differs(answer, expected, rtol=1e-4, atol=1e-6):
    """Why ``answer`` is not ``expected``: 'shape', 'not finite', 'values', or None."""
    try:
        answer = np.asarray(answer, dtype="float64")
    except (TypeError, ValueError):
        return "shape"
    if answer.shape != np.shape(expected):
        return "shape"
    if not np.all(np.isfinite(answer)):
        return "not finite"
    if not np.allclose(answer, expected, rtol=rtol, atol=atol):
        return "values"
    return None


def _same(answer, candidate, rtol=1e-4, atol=1e-6):
    return _differs(answer, candidate, rtol, atol) is None


def _changed(originals, passed):
    """The names of the arrays in ``passed`` that no longer equal their ``originals``."""
    return [name for name, before in originals.items()
            if not np.array_equal(before, passed[name], equal_nan=True)]


# ----------------------------------------------------------------------------
# Exercise: the gradients of a two-layer chain.
# ----------------------------------------------------------------------------


def _tape_two_layer(x, w1, w2, labels):
    """TensorFlow's gradients of the mean cross-entropy of relu(x @ w1) @ w2."""
    import keras
    import tensorflow as tf

    w1_t, w2_t = tf.Variable(w1), tf.Variable(w2)
    with tf.GradientTape() as tape:
        logits = tf.matmul(tf.nn.relu(tf.matmul(tf.constant(x), w1_t)), w2_t)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    return [g.numpy() for g in tape.gradient(loss, [w1_t, w2_t])]


def _two_layer_mistakes(x, w1, w2, labels):
    """``(grad_w1, grad_w2, hint)`` of the plausible mistakes, computed in float64."""
    z = x @ w1
    h = np.maximum(z, 0)
    logits = h @ w2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    g = (p - np.eye(w2.shape[1])[labels]) / len(labels)
    masked = (g @ w2.T) * (z > 0)
    yield (x.T @ (g @ w2.T), h.T @ g,
           "ReLU passes the gradient back only where its input was positive: multiply by (x @ w1 > 0).")
    yield (len(labels) * x.T @ masked, len(labels) * h.T @ g,
           "the loss is the mean over the batch, so the gradient at the logits is (p - y) / N.")
    yield (-x.T @ masked, -h.T @ g, "check the sign: the gradient at the logits is p - y, not y - p.")
    yield (x.T @ masked, z.T @ g, "grad_w2 multiplies the hidden layer's output, after the ReLU.")


@exercise_check(points=3)
def check_two_layer_gradients(two_layer_gradients):
    """Check ``two_layer_gradients(x, w1, w2, labels) -> (grad_w1, grad_w2)`` against autodiff.

    The network is ``logits = relu(x @ w1) @ w2`` with the mean cross-entropy loss.
    """
    rng = np.random.default_rng(71)
    cases = []
    for batch, n_in, n_hidden, n_classes in [(6, 5, 4, 3), (1, 3, 7, 2), (9, 8, 6, 10)]:
        x = rng.standard_normal((batch, n_in)).astype("float32")
        w1 = rng.standard_normal((n_in, n_hidden)).astype("float32")
        w2 = rng.standard_normal((n_hidden, n_classes)).astype("float32")
        labels = rng.integers(0, n_classes, batch)
        cases.append(((x, w1, w2, labels), _tape_two_layer(x, w1, w2, labels)))
    for (x, w1, w2, labels), expected in cases:
        answer = two_layer_gradients(x.copy(), w1.copy(), w2.copy(), labels.copy())
        case = f"x of shape {x.shape}, w1 {w1.shape} and w2 {w2.shape}"
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            return "return two arrays: (grad_w1, grad_w2). Hint: one gradient per weight matrix."
        whys = [_differs(got, want) for got, want in zip(answer, expected)]
        if whys == [None, None]:
            continue
        for name, why, got, want in zip(["grad_w1", "grad_w2"], whys, answer, expected):
            if why == "shape":
                return (f"{name} has shape {np.shape(got)} for {case}. Hint: a gradient has the "
                        f"shape of its weight matrix, {want.shape}.")
        x64, w1_64, w2_64 = (a.astype("float64") for a in (x, w1, w2))
        for wrong_w1, wrong_w2, hint in _two_layer_mistakes(x64, w1_64, w2_64, labels):
            if _same(answer[0], wrong_w1) and (_same(answer[1], wrong_w2) or whys[1] is None):
                return f"wrong gradients for {case}. Hint: {hint}"
        wrong = "grad_w1" if whys[0] else "grad_w2"
        return (f"{wrong} is wrong for {case}. Hint: go back one step at a time: logits -> "
                "(p - y)/N, then through w2, then through the ReLU, then through w1.")
    return None


# ----------------------------------------------------------------------------
# Exercise: one step of gradient descent.
# ----------------------------------------------------------------------------


def _keras_step(optimizer, weights, grad_sequence):
    """Keras's weights after ``optimizer`` applies each list of gradients in turn."""
    import keras

    variables = [keras.Variable(w) for w in weights]
    for grads in grad_sequence:
        # Tensors of the backend: PyTorch's optimizers refuse NumPy arrays.
        tensors = [keras.ops.convert_to_tensor(np.asarray(g)) for g in grads]
        optimizer.apply_gradients(zip(tensors, variables))
    return [keras.ops.convert_to_numpy(v) for v in variables]


@exercise_check
def check_sgd_step(sgd_step):
    """Check ``sgd_step(weights, grads, learning_rate) -> new weights`` against Keras's SGD."""
    import keras

    rng = np.random.default_rng(72)
    cases = []
    for shapes, rate in [([(3, 3, 1, 4), (4,), (12, 3), (3,)], 0.1), ([(5, 2), (2,)], 0.01), ([(7,)], 1.0)]:
        weights = [rng.standard_normal(s).astype("float32") for s in shapes]
        grads = [rng.standard_normal(s).astype("float32") for s in shapes]
        expected = _keras_step(keras.optimizers.SGD(learning_rate=rate), weights, [grads])
        cases.append((weights, grads, rate, expected))
    for weights, grads, rate, expected in cases:
        passed = {f"weights[{i}]": w.copy() for i, w in enumerate(weights)}
        passed |= {f"grads[{i}]": g.copy() for i, g in enumerate(grads)}
        originals = {name: a.copy() for name, a in passed.items()}
        answer = sgd_step([passed[f"weights[{i}]"] for i in range(len(weights))],
                          [passed[f"grads[{i}]"] for i in range(len(grads))], rate)
        changed = _changed(originals, passed)
        if changed:
            return (f"your function changed {', '.join(changed)}. Hint: return new arrays "
                    "(w - learning_rate * g) and leave the ones you were given as they were.")
        case = f"{len(weights)} weight arrays and learning rate {rate}"
        if not isinstance(answer, (list, tuple)) or len(answer) != len(weights):
            return (f"return a list with one new array per weight array ({len(weights)}) for {case}. "
                    "Hint: loop over zip(weights, grads).")
        whys = [_differs(a, e, rtol=1e-5, atol=1e-6) for a, e in zip(answer, expected)]
        if all(why is None for why in whys):
            continue
        if "shape" in whys:
            return f"an array has the wrong shape for {case}. Hint: each new array has its weight's shape."
        if all(_same(a, w + rate * g) for a, w, g in zip(answer, weights, grads)):
            return f"wrong for {case}. Hint: step *against* the gradient (w - ...): it points uphill."
        if all(_same(a, w - g) for a, w, g in zip(answer, weights, grads)):
            return f"wrong for {case}. Hint: the step is the gradient times the learning rate."
        if all(_same(a, -rate * g) for a, g in zip(answer, grads)):
            return f"wrong for {case}. Hint: return the new weights, not the change."
        wrong = [i for i, why in enumerate(whys) if why]
        return f"weights[{wrong[0]}] is wrong for {case}. Hint: every array moves by -learning_rate * its gradient."
    return None


# ----------------------------------------------------------------------------
# Exercise: adam with its bias correction.
# ----------------------------------------------------------------------------


def _adam_mistakes(w, grad_sequence, rate, beta_1, beta_2, epsilon):
    """Final weights of plausible wrong adams, each with the hint that names its mistake."""

    def run(moment_1, moment_2, correct_1, correct_2, root=np.sqrt):
        w_t, m, v = w.astype("float64"), np.zeros(w.shape), np.zeros(w.shape)
        for t, g in enumerate(grad_sequence, start=1):
            m, v = moment_1(m, g), moment_2(v, g)
            w_t = w_t - rate * correct_1(m, t) / (root(correct_2(v, t)) + epsilon)
        return w_t

    m_right = lambda m, g: beta_1 * m + (1 - beta_1) * g  # noqa: E731
    v_right = lambda v, g: beta_2 * v + (1 - beta_2) * g * g  # noqa: E731
    m_hat = lambda m, t: m / (1 - beta_1**t)  # noqa: E731
    v_hat = lambda v, t: v / (1 - beta_2**t)  # noqa: E731
    plain = lambda a, t: a  # noqa: E731
    yield (run(m_right, v_right, plain, plain),
           "no bias correction: m and v start at 0, so divide them by (1 - beta**t) before the step.")
    yield (run(m_right, v_right, lambda m, t: m / (1 - beta_1 ** (t + 1)), lambda v, t: v / (1 - beta_2 ** (t + 1))),
           "t is the number of the step being made, 1 for the first: the correction is 1 - beta**t.")
    yield (run(m_right, v_right, lambda m, t: m / (1 - beta_2**t), lambda v, t: v / (1 - beta_1**t)),
           "m is corrected with beta_1, v with beta_2.")
    yield (run(lambda m, g: (1 - beta_1) * m + beta_1 * g, lambda v, g: (1 - beta_2) * v + beta_2 * g * g, m_hat, v_hat),
           "the moving average keeps beta of the old value: m = beta_1 * m + (1 - beta_1) * g.")
    yield (run(m_right, lambda v, g: beta_2 * v + (1 - beta_2) * np.abs(g), m_hat, v_hat),
           "v averages the *squared* gradients, g ** 2.")
    yield (run(m_right, v_right, m_hat, v_hat, root=lambda a: a),
           "divide by the square root of v_hat, which has the units of the gradient.")


@exercise_check(points=2)
def check_adam_step(adam_step):
    """Check ``adam_step(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon)`` against Keras.

    It returns ``(w, m, v)`` after step number ``t`` (1 for the first). The check makes
    several steps in a row, feeding back the student's own ``m`` and ``v``, and compares
    the weights with those of ``keras.optimizers.Adam`` after the same gradients.
    """
    import keras

    rng = np.random.default_rng(73)
    cases = []
    for shape, steps, rate, beta_1, beta_2 in [((4, 3), 4, 0.01, 0.9, 0.999), ((6,), 3, 0.1, 0.8, 0.99),
                                               ((2, 5), 5, 0.001, 0.9, 0.999)]:
        w = rng.standard_normal(shape).astype("float32")
        # Gradients no smaller than 0.05, so that where epsilon sits changes nothing visible.
        grads = [(np.sign(n) * (0.05 + np.abs(n))).astype("float32") for n in rng.standard_normal((steps, *shape))]
        optimizer = keras.optimizers.Adam(learning_rate=rate, beta_1=beta_1, beta_2=beta_2, epsilon=1e-7)
        expected = _keras_step(optimizer, [w], [[g] for g in grads])[0]
        cases.append((w, grads, rate, beta_1, beta_2, expected))
    for w, grads, rate, beta_1, beta_2, expected in cases:
        case = f"{len(grads)} steps on an array of shape {w.shape}, learning rate {rate}, betas {beta_1}, {beta_2}"
        current, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
        for t, g in enumerate(grads, start=1):
            passed = {"w": current.copy(), "g": g.copy(), "m": np.array(m, copy=True), "v": np.array(v, copy=True)}
            originals = {name: a.copy() for name, a in passed.items()}
            answer = adam_step(passed["w"], passed["g"], passed["m"], passed["v"], t, rate, beta_1, beta_2, 1e-7)
            changed = _changed(originals, passed)
            if changed:
                return (f"your function changed {', '.join(changed)} at step {t}. Hint: compute new "
                        "arrays (m = beta_1 * m + ..., not m *= ...) and return them.")
            if not isinstance(answer, (tuple, list)) or len(answer) != 3:
                return "return three arrays: (w, m, v). Hint: the next step needs the new m and v."
            current, m, v = answer
            if _differs(current, w) == "shape" or np.shape(m) != w.shape or np.shape(v) != w.shape:
                return (f"w, m and v must keep the shape {w.shape} of the weights (step {t} of {case}). "
                        "Hint: every operation of adam is elementwise.")
            if not np.all(np.isfinite(current)):
                return (f"your weights hold inf or nan after step {t} of {case}. Hint: the first "
                        "step has t = 1, so that 1 - beta**t is not 0.")
        why = _differs(current, expected, rtol=1e-4, atol=1e-3 * rate)
        if why is None:
            continue
        for wrong, hint in _adam_mistakes(w, grads, rate, beta_1, beta_2, 1e-7):
            if _same(current, wrong, rtol=1e-4, atol=1e-3 * rate):
                return f"wrong weights after {case}. Hint: {hint}"
        return (f"wrong weights after {case}. Hint: update m and v, correct them by 1 - beta**t, "
                "then step by learning_rate * m_hat / (sqrt(v_hat) + epsilon).")
    return None


# ----------------------------------------------------------------------------
# Exercise: where a unit looks, with padding.
# ----------------------------------------------------------------------------


def _measured_window(layers, unit, length=96):
    """First and last input index that unit ``unit`` of the last layer depends on, by autodiff.

    The stack is Keras's ``ZeroPadding1D(p)`` + ``Conv1D(1, k, strides=s)`` per layer, all
    kernels 1 and no bias: every path from an input to the unit then has weight > 0, so
    the unit's gradient is positive exactly on the inputs it sees.
    """
    import keras
    import tensorflow as tf

    stack = [keras.Input((length, 1), name="signal")]
    for number, (kernel, stride, padding) in enumerate(layers):
        stack.append(keras.layers.ZeroPadding1D(padding, name=f"pad{number}"))
        stack.append(keras.layers.Conv1D(1, kernel, strides=stride, use_bias=False,
                                         kernel_initializer="ones", name=f"conv{number}"))
    model = keras.Sequential(stack, name="window_probe")
    x = tf.constant(np.ones((1, length, 1), dtype="float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model(x)[0, unit, 0]
    seen = np.flatnonzero(tape.gradient(out, x).numpy()[0, :, 0] > 0)
    return int(seen[0]), int(seen[-1])


def _window(layers, unit, padding=True, own_stride=False, skip_strides=False):
    """A window by the formula, with plausible mistakes: padding ignored, a wrong jump."""
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in layers:
        start -= pad * jump if padding else 0
        size += (kernel - 1) * (1 if skip_strides else stride if own_stride else jump)
        jump *= stride
    return start + unit * jump, start + unit * jump + size - 1


@exercise_check(points=2)
def check_input_window(input_window):
    """Check ``input_window(layers, i) -> (first, last)`` against a measured Keras stack.

    ``layers`` lists ``(kernel, stride, padding)`` per layer along one axis, ``padding``
    being the zeros added on each side; ``(first, last)`` are the first and last input
    positions that unit ``i`` of the last layer sees.
    """
    cases = [
        ([(3, 1, 0), (2, 2, 0), (3, 1, 0), (2, 2, 0)], 2),  # the article's CNN, along one axis
        ([(3, 1, 1), (2, 2, 0), (3, 1, 1), (2, 2, 0)], 3),  # the same with 'same' convolutions
        ([(5, 2, 2), (3, 2, 1), (3, 1, 1)], 4),
        ([(7, 2, 3), (3, 3, 0), (2, 1, 1), (3, 2, 1)], 2),
    ]
    expected = [_measured_window(layers, unit) for layers, unit in cases]
    for (layers, unit), want in zip(cases, expected):
        answer = input_window([tuple(layer) for layer in layers], unit)
        case = f"unit {unit} of the stack (kernel, stride, padding) = {layers}"
        try:
            first, last = (int(a) for a in answer)
            if (first, last) != tuple(answer):
                raise ValueError
        except (TypeError, ValueError):
            return (f"got {answer!r} for {case}. Hint: return two whole numbers (first, last), "
                    "positions of the input.")
        if (first, last) == want:
            continue
        mistakes = [
            (dict(padding=False), "your window has the right size but ignores the padding; p zeros in "
                                  "front move every window of that layer p of its input steps back."),
            (dict(own_stride=True), "a layer's kernel spans (k - 1) steps of the layer *below* it: "
                                    "multiply by the jump so far, not by this layer's own stride."),
            (dict(skip_strides=True), "after a stride, neighbouring units are several input pixels "
                                      "apart, so each later kernel covers more of the input."),
        ]
        for mistake, hint in mistakes:
            if (first, last) == _window(layers, unit, **mistake):
                return f"wrong for {case}. Hint: {hint}"
        if first == want[0] and abs(last - want[1]) == 1:
            return f"off by one for {case}. Hint: a window of size r runs from first to first + r - 1."
        if last - first != want[1] - want[0]:
            return f"wrong size for {case}. Hint: r grows by (k - 1) times the product of the strides below."
        return (f"right size, wrong place for {case}. Hint: unit i starts i times the product of all "
                "strides further, minus what the padding shifts.")
    return None
