"""Chapter 2's checks pass the solution, report a stub, and catch plausible wrong answers."""

import numpy as np
import pytest
from scipy import ndimage

from cnnbook import checks


def per_class_accuracy(y_true, y_pred, n_classes):
    return np.array([np.mean(y_pred[y_true == c] == c) for c in range(n_classes)])


def hog_feature_length(side, pixels_per_cell, cells_per_block, orientations):
    blocks = side // pixels_per_cell - cells_per_block + 1
    return blocks * blocks * cells_per_block * cells_per_block * orientations


def neuron(x, w, b):
    return 1 / (1 + np.exp(-(x @ w + b)))


def mlp_param_count(layer_sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def shift_image(image, dy, dx):
    return ndimage.shift(image, (dy, dx), order=0, mode="constant", cval=0)


def dense_equivalent_params(side, kernel_size, filters):
    outputs = (side - kernel_size + 1) ** 2 * filters
    return side * side * outputs + outputs


def _roll_in_place(image, dy, dx):
    image[:] = np.roll(image, (dy, dx), axis=(0, 1))
    return image


# Plausible wrong answers a student might write, per check.
CASES = {
    checks.check_per_class_accuracy: (
        per_class_accuracy,
        [
            lambda t, p, n: np.array([np.mean(t[p == c] == c) if np.any(p == c) else 0.0 for c in range(n)]),  # precision
            lambda t, p, n: np.array([np.sum((t == c) & (p == c)) for c in range(n)]),  # counts
            lambda t, p, n: np.full(n, np.mean(t == p)),  # overall accuracy for every class
            lambda t, p, n: np.array([np.mean(p[t == c] == c) for c in range(n - 1)]),  # off by one class
        ],
    ),
    checks.check_hog_feature_length: (
        hog_feature_length,
        [
            lambda s, c, b, o: (s // c) ** 2 * o,  # one histogram per cell, no blocks
            lambda s, c, b, o: (s // c // b) ** 2 * b * b * o,  # blocks that don't overlap
            lambda s, c, b, o: (s // c - b + 1) ** 2 * o,  # one histogram per block
            lambda s, c, b, o: (-(-s // c) - b + 1) ** 2 * b * b * o,  # partial cells counted
        ],
    ),
    checks.check_neuron: (
        neuron,
        [
            lambda x, w, b: x @ w + b,  # no activation
            lambda x, w, b: 1 / (1 + np.exp(-(x @ w))),  # no bias
            lambda x, w, b: np.maximum(x @ w + b, 0),  # ReLU
            lambda x, w, b: 1 / (1 + np.exp(-(x * w).sum(axis=0)[: len(x)] - b)),  # summed the wrong axis
        ],
    ),
    checks.check_mlp_param_count: (
        mlp_param_count,
        [
            lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])),  # no biases
            lambda sizes: sum(a * b + a for a, b in zip(sizes[:-1], sizes[1:])),  # biases on the inputs
            lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes),  # biases on every layer
            lambda sizes: sizes[0] * sizes[-1] + sizes[-1],  # hidden layers ignored
        ],
    ),
    checks.check_shift_image: (
        shift_image,
        [
            lambda image, dy, dx: np.roll(image, (dy, dx), axis=(0, 1)),  # wraps around
            lambda image, dy, dx: ndimage.shift(image, (dx, dy), order=0),  # axes swapped
            lambda image, dy, dx: ndimage.shift(image, (-dy, -dx), order=0),  # direction reversed
            lambda image, dy, dx: ndimage.shift(image, (dy, dx), order=0)[1:],  # lost a row
            _roll_in_place,  # modifies the caller's image
        ],
    ),
    checks.check_dense_equivalent_params: (
        dense_equivalent_params,
        [
            lambda s, k, f: s * s * (s - k + 1) ** 2 * f,  # no biases
            lambda s, k, f: s**4 * f + s * s * f,  # 'same'-sized feature map
            lambda s, k, f: k * k * f + f,  # the convolution's own count
            lambda s, k, f: s * s * (s - k) ** 2 * f + (s - k) ** 2 * f,  # output side off by one
        ],
    ),
}


def test_the_expected_answer_is_never_printed(capsys):
    checks.check_mlp_param_count(lambda sizes: 0)
    assert str(784 * 10 + 10) not in capsys.readouterr().out
