"""Chapter 5.3's exercise checks pass the solution, report a stub, and catch wrong answers."""

import numpy as np
import pytest

from cnnbook import checks


def occlusion_map_filled_with(fill):
    """The exercise's solution, with the occluded patch set to ``fill`` (0 is right)."""

    def occlusion(image, predict, label, patch=7):
        cells = 28 // patch
        p_digit = predict(image[np.newaxis])[0, label]
        drops = np.zeros((cells, cells))
        for i in range(cells):
            for j in range(cells):
                occluded = image.copy()
                occluded[i * patch:(i + 1) * patch, j * patch:(j + 1) * patch] = fill
                drops[i, j] = p_digit - predict(occluded[np.newaxis])[0, label]
        return drops

    return occlusion


occlusion_map = occlusion_map_filled_with(0.0)


def deletion_auc(curve):
    curve = np.asarray(curve, dtype=float)
    return float(np.sum((curve[1:] + curve[:-1]) / 2) / (len(curve) - 1))


# Plausible wrong answers a student might write, per check.
CASES = {
    checks.check_occlusion_map: (
        occlusion_map,
        [
            lambda image, predict, label, patch=7: -occlusion_map(image, predict, label, patch),  # sign
            lambda image, predict, label, patch=7: (  # the probability left, not the drop
                predict(image[np.newaxis])[0, label] - occlusion_map(image, predict, label, patch)
            ),
            lambda image, predict, label, patch=7: occlusion_map(image, predict, label, patch).T,  # transposed
            occlusion_map_filled_with(1.0),  # occluded with ink
            lambda image, predict, label, patch=7: occlusion_map(  # explains the predicted class, not `label`
                image, predict, int(predict(image[np.newaxis])[0].argmax()), patch
            ),
            lambda image, predict, label, patch=7: occlusion_map(image, predict, label, 7),  # ignores patch
        ],
    ),
    checks.check_deletion_auc: (
        deletion_auc,
        [
            lambda curve: float(np.mean(curve)),  # plain mean
            lambda curve: float(np.trapezoid(curve)),  # x axis 0..n instead of 0..1
            lambda curve: float(np.mean(np.asarray(curve)[:-1])),  # left rectangles
            lambda curve: float(np.trapezoid(curve, np.linspace(0, 1, len(curve) + 1)[1:])),  # x starts at 1/n
        ],
    ),
}


def test_stand_in_classifier_gives_occlusion_something_to_find():
    """If every patch changed nothing, wrong signs and transposes would pass unnoticed."""
    from cnnbook.checks.chapter5_lime import _template_classifier_and_digits

    predict, digits = _template_classifier_and_digits()
    probabilities = predict(digits)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1)
    assert probabilities.argmax(axis=1).tolist() == [7, 2, 1], "the test digits are 7, 2, 1"
    drops = occlusion_map(digits[0], predict, 7, patch=7)
    assert np.abs(drops).max() > 0.05
    assert not np.allclose(drops, drops.T, atol=1e-3)
