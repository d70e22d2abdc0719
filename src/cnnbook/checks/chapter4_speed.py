"""Self-checks for the exercises of chapter 4's "Training faster" notebook."""

import functools

import numpy as np

from cnnbook.checks.verdict import exercise_check, formula_verdict, whole_number_verdict


@functools.lru_cache(maxsize=None)  # a pure function of whole numbers
def _steps_counted_by_tf_data(n_images, batch_size, epochs):
    import tensorflow as tf

    batches = tf.data.Dataset.range(n_images).batch(batch_size).repeat(epochs)
    return int(batches.cardinality())


@exercise_check
def check_optimizer_steps(optimizer_steps):
    """Check ``optimizer_steps(n_images, batch_size, epochs)`` against a ``tf.data`` pipeline's batch count."""
    cases = [(60_000, 32, 5), (60_000, 128, 5), (1000, 128, 3), (100, 7, 2), (5, 10, 4)]
    expected = [_steps_counted_by_tf_data(*case) for case in cases]
    return whole_number_verdict(
        optimizer_steps, cases, expected, lambda n, b, e: f"n_images={n}, batch_size={b}, epochs={e}",
        [
            (lambda n, b, e: (n // b) * e, "the last batch of an epoch may be smaller, but it is still a step."),
            (lambda n, b, e: -(-n * e // b),
             "every epoch starts a new pass, so its last short batch is a step of its own."),
            (lambda n, b, e: -(-n // b), "count the steps of all the epochs."),
        ],
        "steps per epoch, rounded up, times epochs.",
    )


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


@exercise_check(points=2)
def check_predict_seconds(predict_seconds):
    """Check ``predict_seconds(images, seconds, new_images)``: a least-squares line, evaluated at new_images."""
    cases = [(list(images), list(seconds), new_images) for images, seconds, new_images in _COST_CASES]
    expected = [_least_squares_prediction(*case) for case in cases]
    fixed_cost = ("part of the time doesn't grow with the data (start-up, compilation): "
                  "fit a line with an intercept.")
    return formula_verdict(
        predict_seconds, cases, expected,
        lambda images, seconds, new: f"{len(images)} measurements, predicting {new:,} images",
        [
            (lambda images, seconds, new: new * sum(seconds) / sum(images), fixed_cost),
            (lambda images, seconds, new: seconds[-1] * new / images[-1], fixed_cost),
            (lambda images, seconds, new: float(np.interp(new, images, seconds)),
             "a prediction outside the measured range extends the fitted line; interpolation stays flat there."),
            (lambda images, seconds, new: seconds[0] + (seconds[-1] - seconds[0]) / (images[-1] - images[0])
             * (new - images[0]), "fit the line to all the measurements by least squares, not only to the first and last."),
        ],
        "fit seconds = a + b * images by least squares over all the measurements.",
    )
