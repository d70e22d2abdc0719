"""Self-checks for chapter 2's exercises: features, neurons, networks and shifts.

Every expected answer comes from an independent library: scikit-learn (per-class
recall), scikit-image (HOG), Keras (a neuron, parameter counts) or SciPy (shifting
an image). The checks only compute the plausible *wrong* answers themselves, so
that a verdict can name the mistake.
"""

import numpy as np

from cnnbook.checks.verdict import exercise_check


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
        answer = per_class_accuracy(y_true.copy(), y_pred.copy(), n_classes)
        labels = np.arange(n_classes)
        expected = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
        if _close(answer, expected):
            continue
        case = f"for {len(y_true)} labels of {n_classes} classes"
        if np.shape(answer) != expected.shape:
            return f"returned shape {np.shape(answer)} {case}. Hint: one number per class, in class order."
        hits = np.array([np.sum((y_true == c) & (y_pred == c)) for c in labels])
        predicted = np.array([np.sum(y_pred == c) for c in labels])
        if _close(answer, hits / np.maximum(predicted, 1)):
            return f"wrong {case}. Hint: divide by how many images truly belong to the class, not by how many were predicted as it."
        if _close(answer, hits):
            return f"wrong {case}. Hint: return fractions between 0 and 1, not counts."
        return f"wrong {case}. Hint: among the images whose true label is c, which fraction got label c?"
    return None


@exercise_check
def check_hog_feature_length(hog_feature_length):
    """Check ``hog_feature_length(side, pixels_per_cell, cells_per_block, orientations)`` against scikit-image."""
    from skimage.feature import hog

    for side, cell, block, orientations in [(28, 7, 2, 9), (28, 4, 2, 9), (32, 8, 3, 6), (30, 7, 2, 9), (28, 14, 1, 8)]:
        answer = hog_feature_length(side, cell, block, orientations)
        expected = hog(
            np.zeros((side, side)),
            orientations=orientations,
            pixels_per_cell=(cell, cell),
            cells_per_block=(block, block),
        ).size
        if answer == expected:
            continue
        case = f"side={side}, pixels_per_cell={cell}, cells_per_block={block}, orientations={orientations}"
        cells = side // cell
        if answer == cells * cells * orientations:
            return f"wrong for {case}. Hint: the features are read per block, and blocks overlap."
        if answer == (cells // block) ** 2 * block * block * orientations:
            return f"wrong for {case}. Hint: blocks slide one cell at a time, so they overlap."
        if answer == (cells - block + 1) ** 2 * orientations:
            return f"wrong for {case}. Hint: each block contributes a histogram for every cell it contains."
        return f"wrong for {case} (you returned {answer!r}). Hint: count cells per side, then blocks per side."
    return None


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
        answer = neuron(x.copy(), w.copy(), b)
        expected = _keras_neuron(x, w, b)
        if _close(answer, expected):
            continue
        case = f"for {n_samples} inputs of length {n_inputs}"
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


def _keras_param_count(layer_sizes):
    import keras

    model = keras.Sequential(
        [keras.Input((layer_sizes[0],))] + [keras.layers.Dense(units) for units in layer_sizes[1:]]
    )
    return model.count_params()


@exercise_check
def check_mlp_param_count(mlp_param_count):
    """Check ``mlp_param_count(layer_sizes)``, the parameters of a dense network, against Keras."""
    for sizes in [[784, 10], [784, 128, 10], [3, 5, 2], [784, 64, 32, 10], [1, 1]]:
        answer = mlp_param_count(list(sizes))
        expected = _keras_param_count(sizes)
        if answer == expected:
            continue
        case = f"layer_sizes={sizes}"
        weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        if answer == weights:
            return f"wrong for {case}. Hint: every unit also has a bias."
        if answer == weights + sum(sizes[:-1]):
            return f"wrong for {case}. Hint: the biases belong to the units a layer computes, not to its inputs."
        if answer == weights + sum(sizes):
            return f"wrong for {case}. Hint: the input layer computes nothing, so it has no biases."
        return f"wrong for {case} (you returned {answer!r}). Hint: add up weights and biases layer by layer."
    return None


# --- 2.3: why convolution -------------------------------------------------------------------


@exercise_check
def check_shift_image(shift_image):
    """Check ``shift_image(image, dy, dx)``, a zero-filled shift, against ``scipy.ndimage.shift``."""
    from scipy import ndimage

    rng = np.random.default_rng(23)
    image = rng.integers(1, 256, size=(6, 7)).astype("uint8")
    for dy, dx in [(2, 1), (0, 3), (-1, 2), (-2, -3), (0, 0)]:
        original = image.copy()
        answer = shift_image(image, dy, dx)
        if not np.array_equal(image, original):
            return "it changed the input image. Hint: work on a copy."
        expected = ndimage.shift(image, (dy, dx), order=0, mode="constant", cval=0)
        if np.shape(answer) == expected.shape and np.array_equal(answer, expected):
            continue
        case = f"for dy={dy}, dx={dx}"
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


def _keras_dense_equivalent(side, kernel_size, filters):
    import keras

    conv = keras.Sequential([keras.Input((side, side, 1)), keras.layers.Conv2D(filters, kernel_size)])
    outputs = int(np.prod(conv.output_shape[1:]))
    dense = keras.Sequential([keras.Input((side * side,)), keras.layers.Dense(outputs)])
    return dense.count_params()


@exercise_check
def check_dense_equivalent_params(dense_equivalent_params):
    """Check ``dense_equivalent_params(side, kernel_size, filters)`` against Keras layers."""
    for side, kernel_size, filters in [(28, 3, 32), (10, 3, 4), (8, 5, 2), (28, 1, 1), (16, 4, 3)]:
        answer = dense_equivalent_params(side, kernel_size, filters)
        expected = _keras_dense_equivalent(side, kernel_size, filters)
        if answer == expected:
            continue
        case = f"side={side}, kernel_size={kernel_size}, filters={filters}"
        outputs = (side - kernel_size + 1) ** 2 * filters
        if answer == side * side * outputs:
            return f"wrong for {case}. Hint: every output unit of the dense layer has a bias."
        if answer == side**2 * side**2 * filters + side**2 * filters:
            return f"wrong for {case}. Hint: a 'valid' convolution's feature map is smaller than the image."
        if answer == kernel_size**2 * filters + filters:
            return f"wrong for {case}. Hint: that is the convolution's count; the dense layer connects every pixel to every output."
        return f"wrong for {case} (you returned {answer!r}). Hint: inputs times outputs, plus one bias per output."
    return None
