"""Every chapter-5 exercise check passes the solution, reports a stub, and catches wrong answers."""

import numpy as np
import pytest

from cnnbook import checks


def class_weights(labels, num_classes):
    counts = np.bincount(labels, minlength=num_classes)
    return len(labels) / (num_classes * counts)


def macro_f1(y_true, y_pred, num_classes):
    scores = []
    for c in range(num_classes):
        tp = np.sum((y_pred == c) & (y_true == c))
        predicted, actual = np.sum(y_pred == c), np.sum(y_true == c)
        scores.append(0.0 if tp == 0 else 2 * tp / (predicted + actual))
    return float(np.mean(scores))


def clip_gradients(per_example_grads, l2_norm_clip):
    norms = np.linalg.norm(per_example_grads, axis=1, keepdims=True)
    return per_example_grads * np.minimum(1.0, l2_norm_clip / norms)


def membership_auc(member_scores, nonmember_scores):
    diff = member_scores[:, None] - nonmember_scores[None, :]
    return float(np.mean((diff > 0) + 0.5 * (diff == 0)))


def conv2d_macs(input_shape, kernel_size, filters, padding):
    height, width, channels = input_shape
    if padding == "valid":
        height, width = height - kernel_size + 1, width - kernel_size + 1
    return height * width * filters * kernel_size * kernel_size * channels


def quantize_int8(weights):
    scale = np.abs(weights).max() / 127
    return np.round(weights / scale).astype(np.int8), scale


def _macro_f1_weighted(y_true, y_pred, num_classes):
    from sklearn.metrics import f1_score

    return f1_score(y_true, y_pred, average="weighted")


# Plausible wrong answers a student might write, per check.
CASES = {
    checks.check_class_weights: (
        class_weights,
        [
            lambda y, k: np.bincount(y, minlength=k) / len(y),  # class frequencies: rare classes get less
            lambda y, k: 1 / np.bincount(y, minlength=k),  # right ratios, wrong scale
            lambda y, k: len(y) / np.bincount(y, minlength=k),  # forgot the number of classes
            lambda y, k: np.ones(k),  # no weighting at all
        ],
    ),
    checks.check_macro_f1: (
        macro_f1,
        [
            lambda t, p, k: float(np.mean(t == p)),  # accuracy (micro average)
            _macro_f1_weighted,  # weighted by class size
            lambda t, p, k: float(np.mean([np.mean(p[t == c] == c) for c in range(k)])),  # mean recall
        ],
    ),
    checks.check_clip_gradients: (
        clip_gradients,
        [
            lambda g, c: np.clip(g, -c, c),  # clips entries, not norms
            lambda g, c: g * c / np.linalg.norm(g, axis=1, keepdims=True),  # rescales every gradient
            lambda g, c: g * min(1.0, c / np.linalg.norm(g)),  # one norm for the whole batch
        ],
    ),
    checks.check_membership_auc: (
        membership_auc,
        [
            lambda m, n: membership_auc(n, m),  # swapped groups
            lambda m, n: float(np.mean(m[:, None] > n[None, :])),  # ties count zero
            lambda m, n: float(np.mean(m > np.median(np.r_[m, n]))),  # accuracy at one threshold
        ],
    ),
    checks.check_conv2d_macs: (
        conv2d_macs,
        [
            lambda s, k, f, p: 2 * conv2d_macs(s, k, f, p),  # FLOPs, not MACs
            lambda s, k, f, p: conv2d_macs(s, k, f, p) // s[2],  # forgot the input channels
            lambda s, k, f, p: s[0] * s[1] * f * k * k * s[2],  # output as big as the input
            lambda s, k, f, p: conv2d_macs(s, k, f, p) + f,  # counted the biases
        ],
    ),
    checks.check_quantize_int8: (
        quantize_int8,
        [
            lambda w: ((w / (np.abs(w).max() / 255)).round().astype(np.int8), np.abs(w).max() / 255),  # uint8 range
            lambda w: ((w / (np.abs(w).max() / 127)).astype(np.int8), np.abs(w).max() / 127),  # truncates
            lambda w: ((w / (w.max() / 127)).round().astype(np.int8), w.max() / 127),  # max, not max |w|
            lambda w: (np.round(w / (np.abs(w).max() / 100)).astype(np.int8), np.abs(w).max() / 100),  # wastes range
            # maps the largest |w| to 128 and clips to int8's full range: -128 is used
            lambda w: (np.clip(np.round(w / (np.abs(w).max() / 128)), -128, 127).astype(np.int8), np.abs(w).max() / 128),
        ],
    ),
}
