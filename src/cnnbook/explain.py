"""Explaining a digit classifier: LIME sized for 28x28 digits, occlusion, integrated gradients.

Everything here works on one grayscale digit at a time, given as a (28, 28) array
(or (28, 28, 1), or lime's (28, 28, 3) copy of it) with values in [0, 1]. The
classifier is a Keras model or any function mapping (N, 28, 28, 1) images to
(N, classes) probabilities.

Three ideas carry the module:

- **Superpixels that fit a digit.** lime's default segmentation (quickshift with
  ``kernel_size=4``) finds one or two regions in a 28x28 digit, so its explanation
  can only say "the whole image". :data:`SEGMENTATIONS` holds alternatives;
  :data:`DEFAULT_SEGMENTATION` is the one the book uses.
- **Removing a superpixel means setting it to the background (0).** LIME's
  perturbations, the occlusion scores and the deletion test all use that one rule,
  so their results can be compared.
- **Faithfulness is measured, not assumed.** :func:`deletion_curve` removes
  superpixels in a given order and records how the class probability falls.

Neither TensorFlow nor lime is imported when this module is; they are imported by
the functions that need them.
"""

import functools
import os

import numpy as np

IMAGE_SHAPE = (28, 28)

# lime calls the classifier once per batch of perturbed images: 100 calls for 1,000
# samples at its default of 10. Each model.predict call pays tens of milliseconds of
# set-up; classifier_fn uses predict_on_batch, which removes most of that, and large
# batches remove the rest, which matters most on a GPU (benchmarks/bench_lime.py).
BATCH_SIZE = 500


def _quickshift(image, **params):
    from skimage.color import gray2rgb
    from skimage.segmentation import quickshift

    return quickshift(gray2rgb(image), **params)


def _slic(image, **params):
    from skimage.segmentation import slic

    # start_label=0 matters: lime numbers superpixels from 0.
    return slic(image, channel_axis=None, start_label=0, **params)


def grid_segments(image, cells=4):
    """A ``cells`` x ``cells`` grid of rectangular superpixels, numbered row by row."""
    rows = np.arange(image.shape[0]) * cells // image.shape[0]
    cols = np.arange(image.shape[1]) * cells // image.shape[1]
    return rows[:, None] * cells + cols[None, :]


# name -> (function of a (28, 28) float image, its parameters)
SEGMENTATIONS = {
    "lime default": (_quickshift, {"kernel_size": 4, "max_dist": 200, "ratio": 0.2}),
    "quickshift": (_quickshift, {"kernel_size": 1, "max_dist": 5, "ratio": 0.2}),
    "slic": (_slic, {"n_segments": 30, "compactness": 1, "sigma": 0.5}),
    "grid": (grid_segments, {"cells": 4}),
}
DEFAULT_SEGMENTATION = "slic"


def as_digit(image):
    """Return one digit as a (28, 28) float64 array in [0, 1].

    Accepts (28, 28), (28, 28, 1) or (28, 28, 3) with three equal channels (lime's
    RGB copy). uint8 images are divided by 255.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 3:
        if not np.array_equal(image[..., 0], image[..., 1]) or not np.array_equal(image[..., 0], image[..., 2]):
            raise ValueError("as_digit: an RGB image must be a gray image copied into 3 equal channels")
        image = image[..., 0]
    elif image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.shape != IMAGE_SHAPE:
        raise ValueError(
            f"as_digit: expected one digit of shape (28, 28), (28, 28, 1) or (28, 28, 3); "
            f"got shape {np.shape(image)}. Pass a single image, not a batch."
        )
    if image.dtype == np.uint8:
        return image / 255.0
    image = image.astype("float64")
    if image.min() < 0 or image.max() > 1:
        raise ValueError(
            f"as_digit: expected pixel values in [0, 1] (or uint8); got {image.min():.3g} to {image.max():.3g}"
        )
    return image


def segment_digit(image, method=DEFAULT_SEGMENTATION):
    """Split a digit into superpixels: a (28, 28) int array labelled 0, 1, ..., n-1.

    ``method`` is a key of :data:`SEGMENTATIONS`. The labels are renumbered to be
    consecutive from 0, as lime requires.
    """
    if method not in SEGMENTATIONS:
        raise ValueError(f"segment_digit: method must be one of {sorted(SEGMENTATIONS)}; got {method!r}")
    function, params = SEGMENTATIONS[method]
    labels = function(as_digit(image), **params)
    return np.unique(labels, return_inverse=True)[1].reshape(IMAGE_SHAPE)


def classifier_fn(model):
    """Wrap a model for lime: RGB batches (N, 28, 28, 3) in, (N, classes) probabilities out.

    lime hands the classifier RGB copies of the gray digit; the wrapper keeps one
    channel. It also accepts (N, 28, 28) and (N, 28, 28, 1). Keras models are called
    with ``predict_on_batch``, which skips the per-call set-up of ``predict``; any
    other callable is called directly. A result that is not one row of
    probabilities (summing to 1) per image raises ValueError.
    """
    predict = getattr(model, "predict_on_batch", model)
    if not callable(predict):
        raise ValueError(f"classifier_fn: expected a Keras model or a function; got {type(model).__name__}")

    def classify(images):
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[..., np.newaxis]
        if images.ndim != 4 or images.shape[1:3] != IMAGE_SHAPE or images.shape[-1] not in (1, 3):
            raise ValueError(
                f"classifier: expected a batch of shape (N, 28, 28), (N, 28, 28, 1) or (N, 28, 28, 3); "
                f"got {images.shape}"
            )
        probabilities = np.asarray(predict(images[..., :1].astype("float32")))
        if probabilities.ndim != 2 or len(probabilities) != len(images):
            raise ValueError(
                f"classifier: the model must return one row of class probabilities per image, "
                f"shape ({len(images)}, classes); it returned shape {probabilities.shape}"
            )
        if not np.allclose(probabilities.sum(axis=1), 1, atol=1e-3):
            raise ValueError(
                "classifier: each row must hold class probabilities that sum to 1 "
                "(end the model with a softmax; logits won't do)"
            )
        return probabilities

    return classify


def _lime_image():
    """Import lime's image module with its progress bar switched off."""
    # tqdm reads TQDM_DISABLE when it is first imported; if something imported it
    # earlier, the partial below still keeps lime's bar out of notebook outputs.
    os.environ.setdefault("TQDM_DISABLE", "1")
    from lime import lime_image

    lime_image.tqdm = functools.partial(lime_image.tqdm, disable=True)
    return lime_image


def explain_digit(image, model, num_samples=1000, random_state=0, segmentation=DEFAULT_SEGMENTATION,
                  top_labels=3, batch_size=BATCH_SIZE):
    """Explain a model's prediction for one digit with lime's ``LimeImageExplainer``.

    LIME switches random subsets of superpixels off (sets them to the background, 0),
    asks the model for the class probabilities of each of the ``num_samples``
    perturbed images, and fits a weighted linear model per class; its weights are
    the explanation. The same ``random_state`` gives the same explanation.

    Returns lime's ``ImageExplanation`` for the ``top_labels`` most probable classes,
    with the model's probabilities for the digit added as ``.probabilities``;
    :func:`lime_weights` turns it into one weight per superpixel.
    """
    digit = as_digit(image)
    if not isinstance(num_samples, int) or num_samples < 2:
        raise ValueError(f"explain_digit: num_samples must be an int >= 2; got {num_samples!r}")
    segments = segment_digit(digit, segmentation)
    classify = classifier_fn(model)
    explainer = _lime_image().LimeImageExplainer(random_state=random_state)
    explanation = explainer.explain_instance(
        digit,
        classify,
        top_labels=top_labels,
        hide_color=0.0,
        num_samples=num_samples,
        batch_size=batch_size,
        segmentation_fn=lambda _: segments,
    )
    explanation.probabilities = classify(digit[np.newaxis])[0]  # for titles and checks
    return explanation


def lime_weights(explanation, label):
    """LIME's weight of every superpixel for class ``label``, as an array indexed by segment."""
    if label not in explanation.local_exp:
        raise ValueError(f"lime_weights: class {label} was not explained; explained: {sorted(explanation.local_exp)}")
    weights = np.zeros(explanation.segments.max() + 1)
    for segment, weight in explanation.local_exp[label]:
        weights[segment] = weight
    return weights


def importance_order(scores):
    """Segment indices from the most to the least important (highest score first; ties by index)."""
    return np.argsort(-np.asarray(scores), kind="stable")


def remove_segments(image, segments, removed):
    """A copy of the digit with the superpixels in ``removed`` set to the background (0)."""
    digit = as_digit(image).copy()
    digit[np.isin(segments, removed)] = 0.0
    return digit


def _class_probabilities(images, model, label):
    return classifier_fn(model)(np.stack(images))[:, label]


def deletion_curve(image, segments, order, model, label):
    """Probability of ``label`` as the superpixels are removed one by one in ``order``.

    Returns n + 1 values for n superpixels: before any removal, after the first, ...,
    after all of them. A faithful importance order makes it fall fast.
    """
    order = np.asarray(order)
    if sorted(order.tolist()) != list(range(segments.max() + 1)):
        raise ValueError(f"deletion_curve: order must list every segment 0..{segments.max()} once; got {order}")
    images = [remove_segments(image, segments, order[:k]) for k in range(len(order) + 1)]
    return _class_probabilities(images, model, label)


def random_deletion_curve(image, segments, model, label, repeats=10, seed=0, ink_first=False):
    """Mean :func:`deletion_curve` over ``repeats`` random orders: the baseline to beat.

    With ``ink_first=True`` each random order removes the superpixels that hold ink
    (a pixel above 0.25) before the blank ones: a harder baseline, since removing
    background changes nothing.
    """
    rng = np.random.default_rng(seed)
    n = segments.max() + 1
    has_ink = pool_by_segment(as_digit(image) > 0.25, segments) > 0 if ink_first else np.zeros(n, bool)
    curves = []
    for _ in range(repeats):
        order = rng.permutation(n)
        order = np.concatenate([order[has_ink[order]], order[~has_ink[order]]])
        curves.append(deletion_curve(image, segments, order, model, label))
    return np.mean(curves, axis=0)


def deletion_auc(curve):
    """Area under a deletion curve, with the fraction of superpixels removed on the x axis (0 to 1).

    Trapezoidal rule; lower means the probability fell faster.
    """
    curve = np.asarray(curve, dtype="float64")
    if curve.ndim != 1 or len(curve) < 2:
        raise ValueError(f"deletion_auc: expected a 1-D curve with at least 2 points; got shape {curve.shape}")
    return float(np.trapezoid(curve, np.linspace(0, 1, len(curve))))


def resample_curve(curve, points=21):
    """A deletion curve interpolated at ``points`` evenly spaced fractions removed, for averaging digits."""
    curve = np.asarray(curve, dtype="float64")
    return np.interp(np.linspace(0, 1, points), np.linspace(0, 1, len(curve)), curve)


def occlusion_scores(image, segments, model, label):
    """How much the probability of ``label`` drops when each superpixel alone is removed."""
    n = segments.max() + 1
    images = [as_digit(image)] + [remove_segments(image, segments, [s]) for s in range(n)]
    probabilities = _class_probabilities(images, model, label)
    return probabilities[0] - probabilities[1:]


def integrated_gradients(model, image, label, steps=32):
    """Integrated gradients of the probability of ``label``, per pixel (28, 28), from a black baseline.

    Averages the gradient along the straight path from the background (all 0) to the
    digit, at ``steps`` midpoints, and multiplies by the pixel values. The pixel scores
    sum to about p(digit) - p(background) (the completeness property).
    Uses TensorFlow's automatic differentiation.
    """
    import tensorflow as tf

    digit = as_digit(image).astype("float32")
    alphas = (np.arange(steps, dtype="float32") + 0.5) / steps
    path = tf.constant(alphas[:, None, None, None] * digit[None, :, :, None])
    with tf.GradientTape() as tape:
        tape.watch(path)
        probabilities = model(path, training=False)[:, label]
    gradients = tape.gradient(probabilities, path).numpy()[..., 0]
    return digit * gradients.mean(axis=0)


def pool_by_segment(pixel_scores, segments):
    """Sum pixel scores over each superpixel: one score per segment."""
    pixel_scores = np.asarray(pixel_scores)
    if pixel_scores.shape != segments.shape:
        raise ValueError(f"pool_by_segment: scores {pixel_scores.shape} and segments {segments.shape} differ in shape")
    return np.bincount(segments.ravel(), weights=pixel_scores.ravel(), minlength=segments.max() + 1)


def top_k_overlap(score_lists, k=5):
    """Mean fraction of shared top-k segments over all pairs of score vectors.

    1 means every run picked the same k most important superpixels; the order
    within the top k does not matter.
    """
    tops = [set(importance_order(scores)[:k].tolist()) for scores in score_lists]
    if len(tops) < 2:
        raise ValueError("top_k_overlap: need at least two score vectors to compare")
    pairs = [(a, b) for i, a in enumerate(tops) for b in tops[i + 1:]]
    return float(np.mean([len(a & b) / k for a, b in pairs]))


def overlay(image, segments, scores, num_features=5, scale=4):
    """RGB picture of a digit with its ``num_features`` strongest superpixels tinted.

    Positive scores (evidence for the class) are green, negative ones red, with
    opacity growing with the score's size; superpixel boundaries are drawn in grey.
    The image is enlarged ``scale`` times so the boundaries stay thin.
    """
    from skimage.segmentation import mark_boundaries

    scores = np.asarray(scores, dtype="float64")
    digit = np.kron(as_digit(image), np.ones((scale, scale)))
    big_segments = np.kron(segments, np.ones((scale, scale), dtype=int))
    rgb = np.repeat(1.0 - digit[..., None], 3, axis=-1)  # black ink on white
    largest = np.abs(scores).max() or 1.0
    for segment in np.argsort(-np.abs(scores), kind="stable")[:num_features]:
        if scores[segment] == 0:
            continue
        tint = np.array([0.1, 0.65, 0.2]) if scores[segment] > 0 else np.array([0.85, 0.1, 0.1])
        alpha = 0.25 + 0.5 * abs(scores[segment]) / largest
        region = big_segments == segment
        rgb[region] = (1 - alpha) * rgb[region] + alpha * tint
    return mark_boundaries(rgb, big_segments, color=(0.55, 0.55, 0.55), mode="inner")


def plot_explanations(images, explanations, num_features=5, classes=3, row_titles=None):
    """One row per digit: the digit, then LIME's evidence for its ``classes`` most probable classes.

    Each panel is titled with the class and its probability; green superpixels speak
    for that class, red ones against it. Returns the figure.
    """
    import matplotlib.pyplot as plt

    if len(images) != len(explanations):
        raise ValueError(f"plot_explanations: got {len(images)} images but {len(explanations)} explanations")
    fig, axes = plt.subplots(len(images), classes + 1, figsize=(2.0 * (classes + 1), 2.2 * len(images)),
                             squeeze=False)
    for row, (image, explanation) in enumerate(zip(images, explanations)):
        probabilities = explanation.probabilities
        axes[row, 0].imshow(as_digit(image), cmap="gray_r")
        axes[row, 0].set_title(row_titles[row] if row_titles else "digit", fontsize=9)
        for column, label in enumerate(explanation.top_labels[:classes], start=1):
            picture = overlay(image, explanation.segments, lime_weights(explanation, label), num_features)
            axes[row, column].imshow(picture)
            axes[row, column].set_title(f"class {label}: p={probabilities[label]:.2f}", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def lime_explorer(images, model, sample_options=(100, 300, 1000, 3000)):
    """An ipywidgets explorer: pick a digit, the superpixels shown and LIME's num_samples.

    ``images`` are digits such as ``x_test[:100]``. Uses only widget API shared by
    ipywidgets 7.7 (Colab) and 8. Returns the widget; display it as a cell's last line.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def show(index, num_features, num_samples):
        explanation = explain_digit(images[index], model, num_samples=num_samples)
        plot_explanations([images[index]], [explanation], num_features=num_features,
                          row_titles=[f"digit #{index}"])
        plt.show()

    default_samples = 1000 if 1000 in sample_options else sample_options[0]
    return widgets.interactive(
        show,
        index=widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="digit",
                                continuous_update=False),
        num_features=widgets.IntSlider(value=5, min=1, max=15, description="superpixels",
                                       continuous_update=False),
        num_samples=widgets.Dropdown(options=list(sample_options), value=default_samples, description="num_samples"),
    )
