"""Cases for the checks of "Training faster" (run by tests/test_exercises.py), and their hints."""

import math

import numpy as np

from cnnbook import checks


def optimizer_steps(n_images, batch_size, epochs):
    return math.ceil(n_images / batch_size) * epochs


def predict_seconds(images, seconds, new_images):
    per_image, fixed = np.polyfit(images, seconds, deg=1)
    return fixed + per_image * new_images


CASES = {
    checks.check_optimizer_steps: (
        optimizer_steps,
        [
            lambda n, b, e: n // b * e,  # drops each epoch's short last batch
            lambda n, b, e: math.ceil(n * e / b),  # one long pass instead of e epochs
            lambda n, b, e: math.ceil(n / b),  # forgot the epochs
            lambda n, b, e: n * e // b + 1,  # always adds one
        ],
    ),
    checks.check_predict_seconds: (
        predict_seconds,
        [
            lambda n, t, new: new * sum(t) / sum(n),  # proportional: no fixed cost
            lambda n, t, new: t[-1] * new / n[-1],  # scales the largest run
            lambda n, t, new: np.interp(new, n, t),  # interpolates, flat outside the range
            lambda n, t, new: t[0] + (t[-1] - t[0]) / (n[-1] - n[0]) * (new - n[0]),  # line through the ends
        ],
    ),
}


def test_the_fixed_cost_hint_names_the_intercept(capsys):
    assert not checks.check_predict_seconds(lambda n, t, new: new * sum(t) / sum(n))
    assert "intercept" in capsys.readouterr().out
