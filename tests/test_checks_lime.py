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


def grad_cam_map(features, gradients):
    weights = gradients.mean(axis=(0, 1))
    return np.maximum((features * weights).sum(axis=-1), 0.0)


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
    checks.check_grad_cam_map: (
        grad_cam_map,
        [
            lambda f, g: np.maximum((f * g.sum(axis=(0, 1))).sum(axis=-1), 0),  # sum, not mean
            lambda f, g: (f * g.mean(axis=(0, 1))).sum(axis=-1),  # no ReLU
            lambda f, g: np.maximum((f * g).sum(axis=-1), 0),  # gradient x activation per position
            lambda f, g: np.maximum((f * np.abs(g).mean(axis=(0, 1))).sum(axis=-1), 0),  # |gradients|
            lambda f, g: (f * np.maximum(g.mean(axis=(0, 1)), 0)).sum(axis=-1),  # ReLU on the weights
            lambda f, g: np.maximum((f * g.mean(axis=(0, 1))).mean(axis=-1), 0),  # mean over channels
            lambda f, g: np.maximum((f * g.mean(axis=-1, keepdims=True)).sum(axis=-1), 0),  # wrong axis
            lambda f, g: np.maximum((f * g.mean(axis=(0, 1))).sum(axis=0), 0),  # sums the rows away
            lambda f, g: np.maximum(f.mean(axis=-1), 0),  # ignores the gradients
            lambda f, g: np.maximum((f * g.mean(axis=(0, 1))).sum(axis=-1), 0).T,  # transposed
        ],
    ),
}

NAMED_MISTAKES = [
    (CASES[checks.check_grad_cam_map][1][0], "*mean*"),
    (CASES[checks.check_grad_cam_map][1][1], "apply a ReLU"),
    (CASES[checks.check_grad_cam_map][1][2], "one weight per channel"),
    (CASES[checks.check_grad_cam_map][1][3], "signed gradients"),
    (CASES[checks.check_grad_cam_map][1][4], "not on the channel weights"),
    (CASES[checks.check_grad_cam_map][1][5], "don't average them"),
    (CASES[checks.check_grad_cam_map][1][6], "not over the channels"),
    (CASES[checks.check_grad_cam_map][1][7], "wrong shape"),
]


@pytest.mark.parametrize("wrong, words", NAMED_MISTAKES, ids=[words for _, words in NAMED_MISTAKES])
def test_grad_cam_mistakes_get_their_own_hint(wrong, words, capsys):
    assert not checks.check_grad_cam_map(wrong)
    assert words in capsys.readouterr().out


def test_grad_cam_check_cases_have_negative_sums_and_unequal_channel_weights():
    """Otherwise a missing ReLU or a sum in place of a mean could pass unnoticed."""
    from cnnbook.checks.chapter5_lime import _grad_cam_cases

    for features, gradients in _grad_cam_cases():
        signed = (features * gradients.mean(axis=(0, 1))).sum(axis=-1)
        assert signed.min() < 0 < signed.max()
        assert np.ptp(gradients.mean(axis=(0, 1))) > 0.05


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
