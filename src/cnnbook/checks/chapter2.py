"""Self-checks for chapter 2's exercises: features, neurons, networks and shifts.

Every expected answer comes from an independent library: scikit-learn (per-class
recall), scikit-image (HOG), Keras (a neuron, parameter counts) or SciPy (shifting
an image). The checks only compute the plausible *wrong* answers themselves, so
that a verdict can name the mistake.
"""

import functools

import numpy as np

from cnnbook.checks.verdict import exercise_check, numeric_array, whole_number_verdict


def _close(answer, expected):
    answer = np.asarray(answer, dtype="float64")
    return answer.shape == np.shape(expected) and np.allclose(answer, expected, rtol=1e-4, atol=1e-5)


# --- 2.1: machine learning vs deep learning --------------------------------------------


def _label_cases():
    """(y_true, y_pred, n_classes) cases; every class occurs in y_true, some never predicted."""
    rng = np.random.default_rng(21)
    cases = []
    for n_classes, size in [(3, 12), (10, 200), (4, 9)]:
        y_true = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, size - n_classes)])
        y_pred = np.where(rng.random(size) < 0.6, y_true, rng.integers(0, n_classes, size))
        y_pred[y_pred == n_classes - 1] = 0  # the last class is never predicted
        cases.append((y_true, y_pred, n_classes))
    return cases


@exercise_check
def check_per_class_accuracy(per_class_accuracy):
    """Check ``per_class_accuracy(y_true, y_pred, n_classes)`` against scikit-learn's recall."""
    from sklearn.metrics import recall_score

    for y_true, y_pred, n_classes in _label_cases():
        labels = np.arange(n_classes)
        expected = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
        case = f"for {len(y_true)} labels of {n_classes} classes"
        answer = numeric_array(per_class_accuracy(y_true, y_pred, n_classes), case)
        if _close(answer, expected):
            continue
        if np.shape(answer) != expected.shape:
            return f"returned shape {np.shape(answer)} {case}. Hint: one number per class, in class order."
        hits = np.array([np.sum((y_true == c) & (y_pred == c)) for c in labels])
        predicted = np.array([np.sum(y_pred == c) for c in labels])
        if _close(answer, hits / np.maximum(predicted, 1)):
            return f"wrong {case}. Hint: divide by how many images truly belong to the class, not by how many were predicted as it."
        if _close(answer, hits):
            return f"wrong {case}. Hint: return fractions between 0 and 1, not counts."
        if _close(answer, np.full(n_classes, np.mean(y_true == y_pred))):
            return f"wrong {case}. Hint: that is the overall accuracy, the same for every class; count each class apart."
        return f"wrong {case}. Hint: among the images whose true label is c, which fraction got label c?"
    return None


@functools.lru_cache(maxsize=None)  # a pure function of whole numbers
def _hog_length(side, cell, block, orientations):
    from skimage.feature import hog

    return hog(np.zeros((side, side)), orientations=orientations, pixels_per_cell=(cell, cell),
               cells_per_block=(block, block)).size


@exercise_check(points=2)
def check_hog_feature_length(hog_feature_length):
    """Check ``hog_feature_length(side, pixels_per_cell, cells_per_block, orientations)`` against scikit-image."""
    cases = [(28, 7, 2, 9), (28, 4, 2, 9), (32, 8, 3, 6), (30, 7, 2, 9), (28, 14, 1, 8)]
    expected = [_hog_length(*case) for case in cases]
    return whole_number_verdict(
        hog_feature_length, cases, expected,
        lambda s, c, b, o: f"side={s}, pixels_per_cell={c}, cells_per_block={b}, orientations={o}",
        [
            (lambda s, c, b, o: (s // c) ** 2 * o, "the features are read per block, and blocks overlap."),
            (lambda s, c, b, o: (s // c // b) ** 2 * b * b * o, "blocks slide one cell at a time, so they overlap."),
            (lambda s, c, b, o: (s // c - b + 1) ** 2 * o,
             "each block contributes a histogram for every cell it contains."),
            (lambda s, c, b, o: (-(-s // c) - b + 1) ** 2 * b * b * o,
             "a cell that doesn't fit entirely in the image is dropped: round the cells per side down."),
        ],
        "count cells per side, then blocks per side.",
    )


# --- 2.2: from a neuron to a network ------------------------------------------------------


def _keras_neuron(x, w, b):
    import keras

    layer = keras.layers.Dense(1, activation="sigmoid")
    layer.build((None, len(w)))
    layer.set_weights([np.asarray(w, dtype="float32")[:, None], np.array([b], dtype="float32")])
    return np.asarray(layer(np.asarray(x, dtype="float32")))[:, 0]


@exercise_check
def check_neuron(neuron):
    """Check ``neuron(x, w, b)``, a sigmoid neuron applied to a batch, against a Keras Dense(1) layer."""
    rng = np.random.default_rng(22)
    for n_samples, n_inputs in [(5, 3), (1, 784), (8, 1)]:
        x = rng.normal(size=(n_samples, n_inputs))
        w = rng.normal(size=n_inputs) / np.sqrt(n_inputs)
        b = float(rng.normal())
        expected = _keras_neuron(x, w, b)
        case = f"for {n_samples} inputs of length {n_inputs}"
        answer = numeric_array(neuron(x, w, b), case)
        if _close(answer, expected):
            continue
        if np.shape(answer) != expected.shape:
            return f"returned shape {np.shape(answer)} {case}. Hint: one output per row of x."
        z = x @ w + b
        if _close(answer, z):
            return f"wrong {case}. Hint: the weighted sum still goes through the sigmoid."
        if _close(answer, 1 / (1 + np.exp(-(x @ w)))):
            return f"wrong {case}. Hint: don't forget the bias."
        if _close(answer, np.maximum(z, 0)):
            return f"wrong {case}. Hint: this neuron's activation is the sigmoid, not ReLU."
        return f"wrong {case}. Hint: weighted sum of the inputs, plus the bias, then the activation."
    return None


@functools.lru_cache(maxsize=None)  # a pure function of whole numbers
def _keras_param_count(layer_sizes):
    import keras

    model = keras.Sequential(
        [keras.Input((layer_sizes[0],))] + [keras.layers.Dense(units) for units in layer_sizes[1:]]
    )
    return model.count_params()


@exercise_check
def check_mlp_param_count(mlp_param_count):
    """Check ``mlp_param_count(layer_sizes)``, the parameters of a dense network, against Keras."""
    cases = [([784, 10],), ([784, 128, 10],), ([3, 5, 2],), ([784, 64, 32, 10],), ([1, 1],)]
    expected = [_keras_param_count(tuple(sizes)) for sizes, in cases]

    def weights(sizes):
        return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))

    return whole_number_verdict(
        mlp_param_count, cases, expected, lambda sizes: f"layer_sizes={sizes}",
        [
            (weights, "every unit also has a bias."),
            (lambda sizes: weights(sizes) + sum(sizes[:-1]),
             "the biases belong to the units a layer computes, not to its inputs."),
            (lambda sizes: weights(sizes) + sum(sizes), "the input layer computes nothing, so it has no biases."),
            (lambda sizes: sizes[0] * sizes[-1] + sizes[-1], "every hidden layer adds its own weights and biases."),
        ],
        "add up weights and biases layer by layer.",
    )


# --- 2.3: why convolution -------------------------------------------------------------------


@exercise_check(points=2)
def check_shift_image(shift_image):
    """Check ``shift_image(image, dy, dx)``, a zero-filled shift, against ``scipy.ndimage.shift``."""
    from scipy import ndimage

    rng = np.random.default_rng(23)
    image = rng.integers(1, 256, size=(6, 7)).astype("uint8")
    for dy, dx in [(2, 1), (0, 3), (-1, 2), (-2, -3), (0, 0)]:
        expected = ndimage.shift(image, (dy, dx), order=0, mode="constant", cval=0)
        case = f"for dy={dy}, dx={dx}"
        answer = numeric_array(shift_image(image, dy, dx), case)
        if np.shape(answer) == expected.shape and np.array_equal(answer, expected):
            continue
        if np.shape(answer) != expected.shape:
            return f"returned shape {np.shape(answer)} {case}. Hint: the shifted image keeps the original size."
        if np.array_equal(answer, np.roll(image, (dy, dx), axis=(0, 1))):
            return f"wrong {case}. Hint: pixels pushed past one edge must not reappear at the other; fill with zeros."
        if np.array_equal(answer, ndimage.shift(image, (dx, dy), order=0, mode="constant", cval=0)):
            return f"wrong {case}. Hint: dy moves rows (axis 0), dx moves columns (axis 1)."
        if np.array_equal(answer, ndimage.shift(image, (-dy, -dx), order=0, mode="constant", cval=0)):
            return f"wrong {case}. Hint: a positive dy moves the content down, a positive dx to the right."
        return f"wrong {case}. Hint: pixel (i, j) moves to (i + dy, j + dx); everything else is 0."
    return None


@functools.lru_cache(maxsize=None)  # a pure function of whole numbers
def _keras_dense_equivalent(side, kernel_size, filters):
    import keras

    conv = keras.Sequential([keras.Input((side, side, 1)), keras.layers.Conv2D(filters, kernel_size)])
    outputs = int(np.prod(conv.output_shape[1:]))
    dense = keras.Sequential([keras.Input((side * side,)), keras.layers.Dense(outputs)])
    return dense.count_params()


@exercise_check(points=2)
def check_dense_equivalent_params(dense_equivalent_params):
    """Check ``dense_equivalent_params(side, kernel_size, filters)`` against Keras layers."""
    cases = [(28, 3, 32), (10, 3, 4), (8, 5, 2), (28, 1, 1), (16, 4, 3)]
    expected = [_keras_dense_equivalent(*case) for case in cases]

    def outputs(side, kernel_size, filters):
        return (side - kernel_size + 1) ** 2 * filters

    return whole_number_verdict(
        dense_equivalent_params, cases, expected,
        lambda s, k, f: f"side={s}, kernel_size={k}, filters={f}",
        [
            (lambda s, k, f: s * s * outputs(s, k, f), "every output unit of the dense layer has a bias."),
            (lambda s, k, f: s**4 * f + s * s * f, "a 'valid' convolution's feature map is smaller than the image."),
            (lambda s, k, f: k * k * f + f,
             "that is the convolution's count; the dense layer connects every pixel to every output."),
        ],
        "inputs times outputs, plus one bias per output.",
    )
