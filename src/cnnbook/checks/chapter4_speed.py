"""Self-checks for the exercises of chapter 4's "Training faster" notebook."""

import numpy as np

from cnnbook.checks.verdict import exercise_check


def _steps_counted_by_tf_data(n_images, batch_size, epochs):
    import tensorflow as tf

    batches = tf.data.Dataset.range(n_images).batch(batch_size).repeat(epochs)
    return int(batches.cardinality())


@exercise_check
def check_optimizer_steps(optimizer_steps):
    """Check ``optimizer_steps(n_images, batch_size, epochs)`` against a ``tf.data`` pipeline's batch count."""
    for n_images, batch_size, epochs in [(60_000, 32, 5), (60_000, 128, 5), (1000, 128, 3), (100, 7, 2), (5, 10, 4)]:
        answer = optimizer_steps(n_images, batch_size, epochs)
        expected = _steps_counted_by_tf_data(n_images, batch_size, epochs)
        if answer == expected:
            continue
        case = f"n_images={n_images}, batch_size={batch_size}, epochs={epochs}"
        if answer == (n_images // batch_size) * epochs:
            return f"wrong for {case}. Hint: the last batch of an epoch may be smaller, but it is still a step."
        if answer == -(-n_images * epochs // batch_size):
            return f"wrong for {case}. Hint: every epoch starts a new pass, so its last short batch is a step of its own."
        if answer == -(-n_images // batch_size):
            return f"wrong for {case}. Hint: count the steps of all the epochs."
        return f"wrong for {case} (you returned {answer!r}). Hint: steps per epoch, rounded up, times epochs."
    return None


# Measured-looking (training images, seconds) pairs: a fixed cost plus a cost per image.
_COST_CASES = [
    ([6_000, 15_000, 30_000, 60_000], [4.1, 7.9, 14.2, 26.0], 120_000),
    ([1_000, 2_000, 4_000], [10.0, 10.5, 11.6], 50_000),
    ([5_000, 10_000, 20_000], [2.0, 4.0, 8.0], 7_500),
    ([10_000, 20_000, 40_000, 80_000], [30.0, 32.0, 41.0, 55.0], 1_000),
]


def _least_squares_prediction(images, seconds, new_images):
    design = np.column_stack([np.ones(len(images)), np.asarray(images, dtype=float)])
    (fixed, per_image), *_ = np.linalg.lstsq(design, np.asarray(seconds, dtype=float), rcond=None)
    return fixed + per_image * new_images


@exercise_check
def check_predict_seconds(predict_seconds):
    """Check ``predict_seconds(images, seconds, new_images)``: a least-squares line, evaluated at new_images."""
    for images, seconds, new_images in _COST_CASES:
        answer = predict_seconds(list(images), list(seconds), new_images)
        expected = _least_squares_prediction(images, seconds, new_images)
        if np.isclose(answer, expected, rtol=1e-6):
            continue
        case = f"{len(images)} measurements, predicting {new_images:,} images"
        proportional = new_images * sum(seconds) / sum(images)
        if np.isclose(answer, proportional, rtol=1e-6) or np.isclose(answer, seconds[-1] * new_images / images[-1]):
            return (f"wrong for {case}. Hint: part of the time doesn't grow with the data "
                    "(start-up, compilation): fit a line with an intercept.")
        return f"wrong for {case}. Hint: fit seconds = a + b * images by least squares over all the measurements."
    return None
