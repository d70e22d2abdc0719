"""Class imbalance for chapter 5.1: a long-tailed training split and per-class metrics."""

import numpy as np


def long_tailed_indices(labels, rare_classes, keep_fraction=0.01, per_class=None, seed=0):
    """Indices of a training subset in which ``rare_classes`` are cut to ``keep_fraction``.

    Every class first gets ``per_class`` randomly chosen images (all of them when
    ``None``); each rare class then keeps only ``keep_fraction`` of those, at least one.
    The indices come back sorted, so the subset keeps the dataset's order.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"long_tailed_indices: expected a 1-D array of integer labels; got {labels.dtype} {labels.shape}")
    classes = np.unique(labels)
    unknown = set(rare_classes) - set(classes.tolist())
    if unknown:
        raise ValueError(f"long_tailed_indices: rare_classes {sorted(unknown)} do not occur in the labels")
    if not 0 < keep_fraction <= 1:
        raise ValueError(f"long_tailed_indices: keep_fraction must lie in (0, 1]; got {keep_fraction!r}")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in classes:
        members = rng.permutation(np.flatnonzero(labels == label))[:per_class]
        if label in rare_classes:
            members = members[: max(1, round(keep_fraction * len(members)))]
        chosen.append(members)
    return np.sort(np.concatenate(chosen))


def class_report(y_true, y_pred, num_classes=10):
    """Per-class recall, macro-averaged F1 and overall accuracy of a set of predictions.

    Returns a dict: ``recall`` (array, one value per class), ``worst_recall``,
    ``macro_f1`` (the unweighted mean of the classes' F1 scores, so a rare class counts
    as much as a common one) and ``accuracy``.
    """
    from sklearn.metrics import f1_score, recall_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"class_report: expected two 1-D label arrays of the same length; got {y_true.shape} and {y_pred.shape}"
        )
    labels = np.arange(num_classes)
    recall = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "recall": recall,
        "worst_recall": float(recall.min()),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "accuracy": float(np.mean(y_true == y_pred)),
    }
