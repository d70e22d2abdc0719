"""Chapter 3's exercise checks pass the solutions, report stubs, and catch wrong answers."""

import numpy as np
import pytest

from cnnbook import checks

# Some wrong answers overflow on purpose (a softmax without the max subtraction).
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                                        "ignore:invalid value encountered:RuntimeWarning")

# ----------------------------------------------------------------------------
# Solutions, written as loops the way a student would, and plausible mistakes.
# ----------------------------------------------------------------------------


def conv_output_size(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def correlate2d(image, kernel, stride=1, flip=False, transpose=False):
    """Solution when both flags are False; each flag is one plausible mistake."""
    kernel = kernel[::-1, ::-1] if flip else kernel.T if transpose else kernel
    kh, kw = kernel.shape
    out = np.zeros(((image.shape[0] - kh) // stride + 1, (image.shape[1] - kw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i * stride : i * stride + kh, j * stride : j * stride + kw] * kernel)
    return out


def conv_input_gradient(grad_out, kernel, flip=True, transpose=False):
    """Full correlation of grad_out with the flipped kernel (the solution) or a mistake."""
    kh, kw = kernel.shape
    padded = np.pad(grad_out, [(kh - 1, kh - 1), (kw - 1, kw - 1)])
    kernel = kernel.T if transpose else kernel
    return correlate2d(padded, kernel[::-1, ::-1] if flip else kernel)


def conv_input_gradient_scatter(grad_out, kernel):
    """The same gradient written as a scatter: every output sends g * K back to its window."""
    kh, kw = kernel.shape
    grad = np.zeros((grad_out.shape[0] + kh - 1, grad_out.shape[1] + kw - 1))
    for i, j in np.ndindex(grad_out.shape):
        grad[i : i + kh, j : j + kw] += grad_out[i, j] * kernel
    return grad


def windows(x, size, stride):
    """(i, j, rows, cols) of every 'valid' window; ``stride=None`` plays 'ignores the stride'."""
    step = 1 if stride is None else stride
    for i in range((x.shape[0] - size) // step + 1):
        for j in range((x.shape[1] - size) // step + 1):
            yield i, j, slice(i * step, i * step + size), slice(j * step, j * step + size)


def max_pool(x, size, stride, reduce=np.max, ignore_stride=False, ceil=False):
    step = None if ignore_stride else stride
    if ceil:  # partial windows at the border kept, as if sizes were rounded up
        rows, cols = (-(-(n - size) // stride) + 1 for n in x.shape)
        x = np.pad(x, [(0, (rows - 1) * stride + size - x.shape[0]), (0, (cols - 1) * stride + size - x.shape[1])],
                   constant_values=-np.inf)
    found = list(windows(x, size, step))
    out = np.zeros((found[-1][0] + 1, found[-1][1] + 1))
    for i, j, rows, cols in found:
        out[i, j] = reduce(x[rows, cols])
    return out


def max_pool_backward(x, grad_out, size, stride, add=True, spread=False, unit=False, ties=None):
    """The solution, or a mistake; ``ties`` is what a mask ``window == window.max()`` does
    with tied maxima: "all" sends the gradient to each, "split" divides it, "last" picks the last."""
    grad = np.zeros_like(x)
    for i, j, rows, cols in windows(x, size, stride):
        g = 1.0 if unit else grad_out[i, j]
        mask = (x[rows, cols] == x[rows, cols].max()).astype(float)
        if spread:
            share = np.full((size, size), g / size**2)
        elif ties == "all":
            share = g * mask
        elif ties == "split":
            share = g * mask / mask.sum()
        elif ties == "last":
            share = np.zeros(size * size)
            share[np.flatnonzero(mask)[-1]] = g
            share = share.reshape(size, size)
        else:
            share = np.zeros((size, size))
            share[np.unravel_index(x[rows, cols].argmax(), (size, size))] = g
        if add:
            grad[rows, cols] += share
        else:
            grad[rows, cols] = np.where(share != 0, share, grad[rows, cols])
    return grad


def avg_pool_backward(x, grad_out, size, stride, divide_by=None, add=True):
    grad = np.zeros_like(x)
    for i, j, rows, cols in windows(x, size, stride):
        share = grad_out[i, j] / (size * size if divide_by is None else divide_by)
        if add:
            grad[rows, cols] += share
        else:
            grad[rows, cols] = share
    return grad


def softmax(z, shift="row max", axis=-1):
    if shift == "row max":
        z = z - z.max(axis=axis, keepdims=True)
    elif shift == "global max":
        z = z - z.max()
    elif shift == "row min":
        z = z - z.min(axis=axis, keepdims=True)
    elif shift == "row mean":
        z = z - z.mean(axis=axis, keepdims=True)
    elif shift == "clip":
        z = np.clip(z, -80, 80)
    e = np.exp(z.astype("float64"))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_cross_entropy_grad(logits, labels, mean=True, sign=1, one_hot=True, shift="row max", divide_by_k=False):
    p = softmax(logits, shift=shift)
    y = np.eye(logits.shape[1])[labels] if one_hot else 0
    return sign * (p - y) / (logits.shape[1] if divide_by_k else len(labels) if mean else 1)


def zeroes_the_image(image, kernel, stride=1):
    """The issue's false accept: blank the caller's image, then return what a blank image gives."""
    image[:] = 0
    return correlate2d(image, kernel, stride)


def flips_the_kernel_in_place(image, kernel, stride=1):
    kernel[:] = kernel[::-1, ::-1]
    return correlate2d(image, kernel, stride)


def dense_backward(x, w, grad_out, bias_reduce=np.sum, w_scale=1.0, transpose_w=False):
    grad_w = grad_out.T @ x if transpose_w else x.T @ grad_out * w_scale
    return grad_out @ w.T, grad_w, bias_reduce(grad_out, axis=0)


CASES = {
    checks.check_conv_output_size: (
        conv_output_size,
        [
            lambda n, k, s, p: (n + 2 * p - k) // s,  # off by one: forgot the first position
            lambda n, k, s, p: (n + 2 * p - k + 1) // s + 1,  # off by one inside the division
            lambda n, k, s, p: (n + 2 * p - k) / s + 1,  # no rounding down
            lambda n, k, s, p: (n + p - k) // s + 1,  # padding on one side only
            lambda n, k, s, p: n + 2 * p - k + 1,  # ignores the stride
        ],
    ),
    checks.check_correlate2d: (
        correlate2d,
        [
            lambda x, k, s: correlate2d(x, k, s, flip=True),  # true convolution
            lambda x, k, s: correlate2d(x, k, s, transpose=True),  # transposed kernel
            lambda x, k, s: correlate2d(x, k, 1),  # ignores the stride
            lambda x, k, s: correlate2d(np.pad(x, 1), k, s),  # 'same'-style zero padding
            zeroes_the_image,  # changes the input so that the check's reference is zero too
            flips_the_kernel_in_place,  # true convolution, hidden by flipping the caller's kernel
        ],
    ),
    checks.check_conv_input_gradient: (
        conv_input_gradient,
        [
            lambda g, k: conv_input_gradient(g, k, flip=False),  # no flip
            lambda g, k: conv_input_gradient(g, k, transpose=True),  # transposed kernel
            lambda g, k: correlate2d(g, k),  # a 'valid' correlation: wrong shape
            lambda g, k: conv_input_gradient_scatter(g, k[::-1, ::-1]),  # flips in the scatter form too
        ],
    ),
    checks.check_max_pool: (
        max_pool,
        [
            lambda x, size, s: max_pool(x, size, s, ignore_stride=True),  # pooling that ignores the stride
            lambda x, size, s: max_pool(x, size, size),  # stride assumed equal to the window
            lambda x, size, s: max_pool(x, size, s, reduce=np.mean),  # average instead of max
            lambda x, size, s: max_pool(x, size, s, ceil=True),  # keeps partial windows
        ],
    ),
    checks.check_max_pool_backward: (
        max_pool_backward,
        [
            lambda x, g, size, s: max_pool_backward(x, g, size, s, add=False),  # overwrites overlaps
            lambda x, g, size, s: max_pool_backward(x, g, size, s, spread=True),  # spreads like avg
            lambda x, g, size, s: max_pool_backward(x, g, size, s, unit=True),  # forgets grad_out
            lambda x, g, size, s: max_pool_backward(x, g, size, s)[:-1],  # drops the last row
            lambda x, g, size, s: max_pool_backward(x, g, size, s, ties="all"),  # every tied maximum
            lambda x, g, size, s: max_pool_backward(x, g, size, s, ties="split"),  # shares among ties
            lambda x, g, size, s: max_pool_backward(x, g, size, s, ties="last"),  # the last tied maximum
        ],
    ),
    checks.check_avg_pool_backward: (
        avg_pool_backward,
        [
            lambda x, g, size, s: avg_pool_backward(x, g, size, s, divide_by=1),  # forgot to divide
            lambda x, g, size, s: avg_pool_backward(x, g, size, s, divide_by=size),  # divides by size only
            lambda x, g, size, s: avg_pool_backward(x, g, size, s, add=False),  # overwrites overlaps
        ],
    ),
    checks.check_softmax: (
        softmax,
        [
            lambda z: softmax(z, shift=None),  # overflows at logits around 1000
            lambda z: softmax(z, shift="global max"),  # one max for the whole batch underflows
            lambda z: softmax(z, axis=0),  # normalises the wrong axis
            lambda z: np.exp(z - z.max(axis=-1, keepdims=True)),  # forgot to normalise
            lambda z: softmax(z, shift="row min"),  # overflows where a row spreads from -1000 to 1000
            lambda z: softmax(z, shift="row mean"),  # the same
            lambda z: softmax(z, shift="clip"),  # clips the logits to [-80, 80]
        ],
    ),
    checks.check_softmax_cross_entropy_grad: (
        softmax_cross_entropy_grad,
        [
            lambda z, t: softmax_cross_entropy_grad(z, t, mean=False),  # forgot the 1/N
            lambda z, t: softmax_cross_entropy_grad(z, t, sign=-1),  # y - p
            lambda z, t: softmax_cross_entropy_grad(z, t, one_hot=False),  # p only
            lambda z, t: softmax_cross_entropy_grad(z, t, shift=None),  # overflowing softmax
            lambda z, t: softmax_cross_entropy_grad(z, t, divide_by_k=True),  # the mean over classes
        ],
    ),
    checks.check_dense_backward: (
        dense_backward,
        [
            lambda x, w, g: dense_backward(x, w, g, bias_reduce=np.mean),  # averages the bias gradient
            lambda x, w, g: dense_backward(x, w, g, transpose_w=True),  # G^T x, W's transpose
            lambda x, w, g: dense_backward(x, w, g, w_scale=1 / len(x)),  # divides by N
            lambda x, w, g: dense_backward(x, w, g)[:2],  # forgot the bias
        ],
    ),
}


def test_the_scatter_form_of_the_conv_input_gradient_passes_too(capsys):
    assert checks.check_conv_input_gradient(conv_input_gradient_scatter)


# The five mistakes the issue names, each with the hint that names it.
NAMED_MISTAKES = [
    (checks.check_correlate2d, CASES[checks.check_correlate2d][1][0], "true convolution"),
    (checks.check_conv_output_size, CASES[checks.check_conv_output_size][1][0], "off by one"),
    (checks.check_max_pool, CASES[checks.check_max_pool][1][0], "moves the window by 1"),
    (checks.check_softmax, CASES[checks.check_softmax][1][0], "overflows"),
    (checks.check_conv_input_gradient, CASES[checks.check_conv_input_gradient][1][1], "transposed the kernel"),
]


@pytest.mark.parametrize("check, wrong, words", NAMED_MISTAKES, ids=[m[2] for m in NAMED_MISTAKES])
def test_the_named_mistakes_get_their_own_hint(check, wrong, words, capsys):
    assert not check(wrong)
    assert words in capsys.readouterr().out


def test_verdicts_never_print_the_expected_output_size(capsys):
    checks.check_conv_output_size(lambda n, k, s, p: 0)
    verdict = capsys.readouterr().out
    assert "26" not in verdict and "Hint" in verdict


# The false accepts and false rejects found by trying wrong answers as a student would
# write them: each wrong answer now fails with the hint that names its mistake, and each
# right answer passes.
MISTAKES_AND_THEIR_HINTS = [
    (checks.check_correlate2d, zeroes_the_image, "changed `image`"),
    (checks.check_correlate2d, flips_the_kernel_in_place, "changed `kernel`"),
    (checks.check_softmax, lambda z: softmax(z, shift="row min"), "subtract each row's own maximum"),
    (checks.check_softmax, lambda z: softmax(z, shift="row mean"), "subtract each row's own maximum"),
    (checks.check_softmax, lambda z: softmax(z, shift="global max"), "one maximum for the whole batch"),
    (checks.check_softmax, lambda z: softmax(z, shift="clip"), "clipped"),
    (checks.check_max_pool_backward, lambda x, g, n, s: max_pool_backward(x, g, n, s, ties="all"),
     "to every one of them"),
    (checks.check_max_pool_backward, lambda x, g, n, s: max_pool_backward(x, g, n, s, ties="split"),
     "split grad_out[i, j] between them"),
    (checks.check_max_pool_backward, lambda x, g, n, s: max_pool_backward(x, g, n, s, ties="last"),
     "the last one"),
    (checks.check_softmax_cross_entropy_grad, lambda z, t: softmax_cross_entropy_grad(z, t, divide_by_k=True),
     "divided by the number of classes"),
]


@pytest.mark.parametrize("check, wrong, words", MISTAKES_AND_THEIR_HINTS, ids=[m[2] for m in MISTAKES_AND_THEIR_HINTS])
def test_each_mistake_gets_the_hint_that_names_it(check, wrong, words, capsys):
    assert not check(wrong)
    verdict = capsys.readouterr().out
    assert words in verdict, verdict


def test_clipped_logits_are_not_told_to_sum_to_one(capsys):
    """Clipped logits give rows that are positive and sum to 1: the hint must not say otherwise."""
    checks.check_softmax(lambda z: softmax(z, shift="clip"))
    assert "sum to 1" not in capsys.readouterr().out


def test_the_softmax_cases_spread_from_minus_to_plus_1000_in_one_row():
    from cnnbook.checks.chapter3 import _logit_cases

    assert any(np.any((row.max() >= 1000) & (row.min() <= -1000)) for batch in _logit_cases(51) for row in batch)


def test_the_max_pool_cases_hold_windows_of_tied_zeros():
    """ReLU outputs tie in whole windows of zeros; random floats never tie."""
    from cnnbook.checks.chapter3 import _pool_cases

    tied = 0
    for image, size, stride in _pool_cases(42):
        for _, _, rows, cols in windows(image, size, stride):
            window = image[rows, cols]
            tied += np.count_nonzero(window == window.max()) > 1 and window.max() == 0
    assert tied >= 5


@pytest.mark.parametrize("form", [np.array, np.int64, float, np.float32], ids=["0-d array", "np.int64", "float", "np.float32"])
def test_a_size_is_accepted_in_any_numeric_form(form, capsys):
    assert checks.check_conv_output_size(lambda n, k, s, p: form((n + 2 * p - k) // s + 1))


def test_a_size_that_is_not_whole_is_told_to_round_down(capsys):
    assert not checks.check_conv_output_size(lambda n, k, s, p: (n + 2 * p - k) / s + 1)
    assert "round the division down" in capsys.readouterr().out


@pytest.mark.parametrize("answer", ["26", [26], np.array([26]), True, None], ids=["str", "list", "1-element array", "bool", "None"])
def test_a_size_that_is_not_one_number_is_rejected_with_a_hint(answer, capsys):
    assert not checks.check_conv_output_size(lambda n, k, s, p: answer)
    assert "Hint" in capsys.readouterr().out
