"""The long-tailed split and the per-class report."""

import numpy as np
import pytest

from cnnbook.imbalance import class_report, long_tailed_indices


def test_long_tailed_indices_cut_the_rare_classes():
    labels = np.repeat(np.arange(4), [300, 250, 400, 200])
    chosen = long_tailed_indices(labels, rare_classes=[1, 3], keep_fraction=0.02, per_class=200, seed=1)
    assert np.all(np.diff(chosen) > 0)
    assert np.bincount(labels[chosen]).tolist() == [200, 4, 200, 4]
    again = long_tailed_indices(labels, rare_classes=[1, 3], keep_fraction=0.02, per_class=200, seed=1)
    assert np.array_equal(chosen, again)
    other_seed = long_tailed_indices(labels, rare_classes=[1, 3], keep_fraction=0.02, per_class=200, seed=2)
    assert not np.array_equal(chosen, other_seed)


def test_every_rare_class_keeps_at_least_one_image():
    labels = np.repeat(np.arange(3), 10)
    chosen = long_tailed_indices(labels, rare_classes=[0], keep_fraction=0.01)
    assert np.bincount(labels[chosen]).tolist() == [1, 10, 10]


@pytest.mark.parametrize(
    "labels, rare, fraction, message",
    [
        (np.array([0.0, 1.0]), [0], 0.1, "integer labels"),
        (np.array([0, 1]), [5], 0.1, r"rare_classes \[5\]"),
        (np.array([0, 1]), [0], 0.0, "keep_fraction"),
    ],
)
def test_long_tailed_indices_reject_bad_input(labels, rare, fraction, message):
    with pytest.raises(ValueError, match=message):
        long_tailed_indices(labels, rare, fraction)


def test_class_report_by_hand():
    y_true = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 0, 1, 1, 0, 2, 2])
    report = class_report(y_true, y_pred, num_classes=4)
    assert np.allclose(report["recall"], [3 / 4, 1 / 2, 1, 0])
    assert report["worst_recall"] == 0
    # F1 per class: 0 -> 2*3/(4+4), 1 -> 2*1/(2+2), 2 -> 1, 3 -> 0 (never occurs, never predicted)
    assert report["macro_f1"] == pytest.approx((0.75 + 0.5 + 1 + 0) / 4)
    assert report["accuracy"] == 6 / 8


def test_class_report_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="same length"):
        class_report([0, 1], [0])
