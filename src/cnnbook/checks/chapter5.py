"""Self-checks for chapter 5's exercises: class imbalance, privacy and efficiency."""

import functools

import numpy as np

from cnnbook.checks.verdict import exercise_check, formula_verdict, numeric_array, real_number, whole_number_verdict

_LABEL_SETS = [
    np.array([0] * 50 + [1] * 5 + [2] * 20),
    np.array([0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3]),
    np.repeat(np.arange(10), [600, 700, 6, 600, 650, 5, 620, 640, 7, 610]),
]


@exercise_check
def check_class_weights(class_weights):
    """Check ``class_weights(labels, num_classes)`` against scikit-learn's "balanced" weights."""
    from sklearn.utils.class_weight import compute_class_weight

    for labels in _LABEL_SETS:
        num_classes = int(labels.max()) + 1
        expected = compute_class_weight("balanced", classes=np.arange(num_classes), y=labels)
        answer = numeric_array(class_weights(labels, num_classes), f"{len(labels)} labels of {num_classes} classes")
        if answer.shape != expected.shape:
            return f"returned shape {answer.shape} for {num_classes} classes. Hint: one weight per class."
        if np.allclose(answer, expected):
            continue
        counts = np.bincount(labels, minlength=num_classes)
        if answer[counts.argmin()] < answer[counts.argmax()]:
            return "the rare classes get the smallest weights. Hint: a weight should grow as its class gets rarer."
        if np.allclose(answer / answer.mean(), expected / expected.mean()):
            return (
                "the ratios between classes are right but the scale is not. "
                "Hint: scale so that the weights average 1 over the training examples."
            )
        return "wrong weights. Hint: divide the number of examples by (number of classes × examples in the class)."
    return None


def _macro_f1_cases():
    rng = np.random.default_rng(5)
    cases = []
    for labels in _LABEL_SETS:
        noisy = np.where(rng.random(len(labels)) < 0.3, rng.integers(0, labels.max() + 1, len(labels)), labels)
        cases.append((labels, noisy, int(labels.max()) + 1))
    cases.append((np.array([0, 0, 0, 1, 2]), np.array([0, 0, 0, 0, 0]), 3))  # two classes never predicted
    return cases


@exercise_check(points=2)
def check_macro_f1(macro_f1):
    """Check ``macro_f1(y_true, y_pred, num_classes)`` against scikit-learn."""
    from sklearn.metrics import f1_score, recall_score

    def sklearn_average(average, score=f1_score):
        return lambda y_true, y_pred, k: score(y_true, y_pred, labels=np.arange(k), average=average, zero_division=0)

    cases = _macro_f1_cases()
    expected = [sklearn_average("macro")(*case) for case in cases]
    return formula_verdict(
        macro_f1, cases, expected, lambda y_true, y_pred, k: f"{len(y_true)} labels of {k} classes",
        [
            (lambda y_true, y_pred, k: np.mean(y_true == y_pred),
             "you returned the accuracy. Compute F1 for each class, then average the classes."),
            (sklearn_average("weighted"),
             "you weighted the classes by their size. In a macro average every class counts equally."),
            (sklearn_average("macro", recall_score), "you averaged the recalls; F1 combines precision and recall."),
        ],
        "F1 = 2·precision·recall / (precision + recall) per class; a class never predicted has F1 0.",
    )


@exercise_check(points=2)
def check_clip_gradients(clip_gradients):
    """Check ``clip_gradients(per_example_grads, l2_norm_clip)`` against ``tf.clip_by_norm``."""
    import tensorflow as tf

    rng = np.random.default_rng(7)
    for batch, size, bound in [(4, 6, 1.0), (8, 30, 0.5), (3, 5, 10.0)]:
        grads = rng.normal(size=(batch, size)) * rng.uniform(0.05, 3, size=(batch, 1))
        expected = np.stack([tf.clip_by_norm(g, bound).numpy() for g in grads])
        answer = numeric_array(clip_gradients(grads, bound), f"gradients of shape {grads.shape}")
        if answer.shape != grads.shape:
            return f"returned shape {answer.shape} for gradients of shape {grads.shape}. Hint: clip, don't reduce."
        if np.allclose(answer, expected):
            continue
        if np.allclose(answer, np.clip(grads, -bound, bound)):
            return "you clipped each entry. Hint: bound the L2 norm of each example's whole gradient vector."
        norms = np.linalg.norm(answer, axis=1)
        if np.allclose(norms, bound):
            return "every gradient now has norm exactly the bound. Hint: gradients already shorter must stay unchanged."
        return "wrong values. Hint: handle each example (row) on its own and scale it by min(1, bound / its norm)."
    return None


@exercise_check(points=3)
def check_membership_auc(membership_auc):
    """Check ``membership_auc(member_scores, nonmember_scores)`` against scikit-learn's ROC AUC."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    cases = [
        (np.array([0.9, 0.8, 0.99]), np.array([0.7, 0.95])),
        (np.array([1.0, 1.0, 0.5]), np.array([1.0, 0.2, 0.5, 0.5])),  # ties between the groups
        (np.round(rng.normal(0.3, 1, 200), 1), np.round(rng.normal(0, 1, 300), 1)),
    ]

    def auc(members, nonmembers):
        return roc_auc_score(np.r_[np.ones(len(members)), np.zeros(len(nonmembers))], np.r_[members, nonmembers])

    def wins(members, nonmembers, tie):
        difference = members[:, None] - nonmembers[None, :]
        return np.mean((difference > 0) + tie * (difference == 0))

    expected = [auc(*case) for case in cases]
    return formula_verdict(
        membership_auc, cases, expected, lambda m, n: f"{len(m)} member and {len(n)} non-member scores",
        [
            (lambda m, n: 1 - auc(m, n), "members and non-members are swapped: members should get the higher scores."),
            (lambda m, n: wins(m, n, 0), "a tie between a member and a non-member counts one half, not 0."),
            (lambda m, n: wins(m, n, 1), "a tie between a member and a non-member counts one half, not 1."),
        ],
        "compare every member with every non-member; a tie counts one half.",
    )


@functools.lru_cache(maxsize=None)  # a pure function of whole numbers
def _keras_conv_output_elements(input_shape, kernel_size, filters, padding):
    from keras import layers

    layer = layers.Conv2D(filters, kernel_size, padding=padding)
    return int(np.prod(layer.compute_output_shape((1, *input_shape))[1:]))


@exercise_check(points=2)
def check_conv2d_macs(conv2d_macs):
    """Check ``conv2d_macs(input_shape, kernel_size, filters, padding)`` using Keras's output shapes."""
    cases = [((28, 28, 1), 3, 32, "valid"), ((13, 13, 32), 3, 64, "valid"),
             ((32, 32, 3), 5, 16, "same"), ((10, 12, 8), 1, 4, "valid")]

    def macs(input_shape, kernel_size, filters, padding):
        per_output = kernel_size * kernel_size * input_shape[2]
        return _keras_conv_output_elements(input_shape, kernel_size, filters, padding) * per_output

    expected = [macs(*case) for case in cases]
    return whole_number_verdict(
        conv2d_macs, cases, expected,
        lambda s, k, f, p: f"input {s}, {k}x{k} kernels, {f} filters, padding {p!r}",
        [
            (lambda s, k, f, p: 2 * macs(s, k, f, p),
             "one multiply-accumulate is a multiplication plus an addition; count it once."),
            (lambda s, k, f, p: macs(s, k, f, p) // s[2], "every kernel spans all the input channels."),
            (lambda s, k, f, p: s[0] * s[1] * f * k * k * s[2], "without padding the output is smaller than the input."),
            (lambda s, k, f, p: macs(s, k, f, p) + f, "a bias is an addition, not a multiply-accumulate; leave it out."),
        ],
        "output values × multiplications per output value.",
    )


@exercise_check(points=2)
def check_quantize_int8(quantize_int8):
    """Check ``quantize_int8(weights) -> (q, scale)``: symmetric in [-127, 127], round to nearest."""
    rng = np.random.default_rng(11)
    cases = [rng.normal(0, 0.05, (3, 3, 1, 8)), rng.normal(0.2, 0.3, 200), np.array([-2.0, -0.5, 0.0, 0.25, 1.0])]
    for weights in cases:
        expected_scale = np.abs(weights).max() / 127
        answer = quantize_int8(weights.copy())
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            return "return two things: (q, scale). Hint: the int8 values and the one scale that maps them back."
        q, scale = np.asarray(answer[0]), real_number(answer[1], f"weights of shape {weights.shape}")
        if q.dtype != np.int8 or q.shape != weights.shape:
            return f"q has dtype {q.dtype} and shape {q.shape}. Hint: return int8 values, one per weight."
        if q.min() < -127:
            return ("q uses -128. Hint: symmetric quantisation keeps q in [-127, 127], "
                    "so that +max |w| and -max |w| map to the same |q|.")
        error = np.abs(q.astype(float) * scale - weights)
        if error.max() > scale:
            return "some weights come back far from their value. Hint: map the largest |w| to 127, the edge of int8's range."
        if not np.isclose(scale, expected_scale):
            return "the scale does not use int8's range symmetrically. Hint: scale = max |w| / 127."
        if error.max() > scale / 2 + 1e-12:
            return "errors reach a whole quantisation step. Hint: round to the nearest integer instead of truncating."
    return None
