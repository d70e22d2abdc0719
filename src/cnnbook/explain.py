"""Explaining a digit classifier: LIME sized for 28x28 digits, occlusion, integrated gradients, Grad-CAM.

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
  superpixels in a given order and records how the class probability falls;
  :func:`ink_removed` gives it an x axis on which blank superpixels take no width.

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


def deletion_auc(curve, removed=None):
    """Area under a deletion curve, with the fraction of superpixels removed on the x axis (0 to 1).

    Trapezoidal rule; lower means the probability fell faster. ``removed`` gives another
    x axis running from 0 to 1, one value per point of the curve, such as the fraction of
    the ink removed (:func:`ink_removed`).
    """
    curve = np.asarray(curve, dtype="float64")
    if curve.ndim != 1 or len(curve) < 2:
        raise ValueError(f"deletion_auc: expected a 1-D curve with at least 2 points; got shape {curve.shape}")
    if removed is None:
        removed = np.linspace(0, 1, len(curve))
    removed = np.asarray(removed, dtype="float64")
    if removed.shape != curve.shape or np.any(np.diff(removed) < 0) or not np.allclose(removed[[0, -1]], [0, 1]):
        raise ValueError(f"deletion_auc: removed must rise from 0 to 1 with one value per point of the curve; "
                         f"got {removed.shape} values from {removed.min():.3g} to {removed.max():.3g}")
    return float(np.trapezoid(curve, removed))


def ink_removed(image, segments, order):
    """Fraction of the digit's ink (the sum of its pixel values) gone after 0, 1, ..., n removals in ``order``.

    An x axis for :func:`deletion_auc` on which blank superpixels take no width, so that
    segmentations with different numbers of blank superpixels can be compared.
    """
    ink = pool_by_segment(as_digit(image), segments)
    if ink.sum() <= 0:
        raise ValueError("ink_removed: the image is blank")
    cumulative = np.concatenate([[0.0], np.cumsum(ink[np.asarray(order)])])
    return cumulative / cumulative[-1]


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


def grad_cam(model, image, label, layer="conv2", relu=True):
    """Grad-CAM map of class ``label`` on the feature maps of the convolution ``layer``.

    With A^k the k-th feature map of ``layer`` (shape (h, w), 11 x 11 for the article
    CNN's ``conv2``) and y_c the score of class ``label`` *before* the softmax, as in
    Selvaraju et al. (2017), channel k gets the weight alpha_k = the spatial mean of
    dy_c / dA^k, and the map is sum_k alpha_k A^k. The paper keeps only its positive
    part (``relu=True``); ``relu=False`` returns the signed map, whose negative cells
    speak against the class.

    ``model`` is a Keras ``Sequential`` model whose last layer is a ``Dense`` layer with a
    softmax (the article's CNN); the gradient comes from TensorFlow's ``GradientTape``.
    Returns an (h, w) float64 array; :func:`cam_to_pixels` puts it on the 28 x 28 grid.
    """
    import tensorflow as tf

    names = [each.name for each in model.layers]
    if layer not in names[:-1]:
        raise ValueError(f"grad_cam: layer must name one of the model's hidden layers {names[:-1]}; got {layer!r}")
    last = model.layers[-1]
    if not hasattr(last, "kernel"):
        raise ValueError(f"grad_cam: expected the model to end in a Dense layer; its last layer is {last.name!r}")
    h = tf.constant(as_digit(image)[np.newaxis, :, :, np.newaxis].astype("float32"))
    with tf.GradientTape() as tape:
        for each in model.layers[:-1]:
            h = each(h)
            if each.name == layer:
                features = h
                tape.watch(features)
        score = (tf.matmul(h, tf.convert_to_tensor(last.kernel)) + tf.convert_to_tensor(last.bias))[0, label]
    gradients = tape.gradient(score, features).numpy()[0]  # (h, w, channels)
    weights = gradients.mean(axis=(0, 1))  # alpha_k: one weight per channel
    cam = np.tensordot(features.numpy()[0], weights, axes=([2], [0])).astype("float64")
    return np.maximum(cam, 0.0) if relu else cam


def cam_to_pixels(cam, stride=2, offset=3.5, size=IMAGE_SHAPE[0]):
    """Put a layer-resolution map (h, w) on the image's (size, size) pixel grid.

    Cell ``(i, j)`` is placed at the centre of the input patch it sees, pixel
    ``stride * i + offset``, and the pixels in between are linearly interpolated
    (pixels beyond the outermost centres take the nearest cell's value). The defaults fit
    the article CNN's ``conv2``: its cell ``i`` sees the input rows ``2i`` to ``2i + 7``
    (3 x 3 conv1, 2 x 2 pooling, 3 x 3 conv2), centred at ``2i + 3.5``.
    """
    cam = np.asarray(cam, dtype="float64")
    if cam.ndim != 2:
        raise ValueError(f"cam_to_pixels: expected a 2-D map (h, w); got shape {cam.shape}")

    def spread(cells):
        centres = stride * np.arange(cells) + offset
        pixels = np.arange(size)
        return np.stack([np.interp(pixels, centres, np.eye(cells)[k]) for k in range(cells)], axis=1)

    rows, cols = spread(cam.shape[0]), spread(cam.shape[1])
    return rows @ cam @ cols.T


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

    Positive scores (evidence for the class) are blue, negative ones red (the two ends
    of the colour-blind-safe ``RdBu`` map), with
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
        tint = np.array([0.13, 0.4, 0.67]) if scores[segment] > 0 else np.array([0.7, 0.09, 0.17])
        alpha = 0.25 + 0.5 * abs(scores[segment]) / largest
        region = big_segments == segment
        rgb[region] = (1 - alpha) * rgb[region] + alpha * tint
    return mark_boundaries(rgb, big_segments, color=(0.55, 0.55, 0.55), mode="inner")


def plot_attribution(ax, image, attribution, title=None, limit=None, extent=None, colorbar=True):
    """Draw one attribution map on ``ax``: a diverging map centred at 0, the digit's outline, a colour bar.

    ``attribution`` is a 2-D map, usually (28, 28) (a superpixel score per pixel is
    ``scores[segments]``); ``extent`` places a coarser map, such as an 11 x 11 Grad-CAM, on
    the image's pixel grid (matplotlib's ``(left, right, bottom, top)``). Blue is evidence
    for the class, red against it (the colour-blind-safe ``RdBu`` map), with the same
    strength for the same shade on both sides; ``limit`` fixes the range to
    ``[-limit, limit]`` (default: the map's largest absolute value). The digit's stroke is
    outlined in black. Returns the image drawn.
    """
    from cnnbook.plots import MIN_FONT_PT

    attribution = np.asarray(attribution, dtype="float64")
    limit = limit or float(np.abs(attribution).max()) or 1.0
    picture = ax.imshow(attribution, cmap="RdBu", vmin=-limit, vmax=limit, extent=extent,
                        interpolation="nearest")
    ax.contour(as_digit(image), levels=[0.25], colors="black", linewidths=0.8)
    ax.set_xlim(-0.5, IMAGE_SHAPE[1] - 0.5)
    ax.set_ylim(IMAGE_SHAPE[0] - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=MIN_FONT_PT)
    if colorbar:
        bar = ax.figure.colorbar(picture, ax=ax, fraction=0.046, pad=0.04)
        bar.ax.tick_params(labelsize=MIN_FONT_PT)
    return picture


def plot_explanations(images, explanations, classes=3, row_titles=None):
    """One row per digit: the digit, then LIME's weights for its ``classes`` most probable classes.

    Each superpixel is painted with its weight (:func:`plot_attribution`: blue for the
    class, red against it, one colour scale per row, shown by the colour bar at the row's
    end), and each panel is titled with the class and its probability. Returns the figure.
    """
    import matplotlib.pyplot as plt

    from cnnbook.plots import MIN_FONT_PT

    if len(images) != len(explanations):
        raise ValueError(f"plot_explanations: got {len(images)} images but {len(explanations)} explanations")
    fig, axes = plt.subplots(len(images), classes + 1, figsize=(2.3 * (classes + 1) + 0.6, 2.3 * len(images)),
                             squeeze=False)
    for row, (image, explanation) in enumerate(zip(images, explanations)):
        probabilities = explanation.probabilities
        labels = explanation.top_labels[:classes]
        maps = [lime_weights(explanation, label)[explanation.segments] for label in labels]
        limit = max(float(np.abs(m).max()) for m in maps) or 1.0
        axes[row, 0].imshow(as_digit(image), cmap="gray_r")
        axes[row, 0].set_title(row_titles[row] if row_titles else "digit", fontsize=MIN_FONT_PT)
        axes[row, 0].set_xticks([])
        axes[row, 0].set_yticks([])
        for column, (label, weights) in enumerate(zip(labels, maps), start=1):
            picture = plot_attribution(axes[row, column], image, weights, limit=limit, colorbar=False,
                                       title=f"class {label}: p={probabilities[label]:.2f}")
        bar = fig.colorbar(picture, ax=list(axes[row, 1:]), fraction=0.03, pad=0.02)
        bar.ax.tick_params(labelsize=MIN_FONT_PT)
        bar.set_label("LIME weight", fontsize=MIN_FONT_PT)
    return fig


def lime_explorer(images, weights, sample_counts, labels, names):
    """LIME's explanations of a few digits at several sample counts, for the browser.

    ``weights[d][s]`` is LIME's weight vector (one weight per superpixel, as
    :func:`lime_weights` returns it) for digit ``images[d]`` at ``sample_counts[s]``,
    for the class ``labels[d]``; ``names`` titles the digits. The explanations are
    computed beforehand (LIME needs the model), so the page only switches between them:
    see :func:`cnnbook.widgets.lime_explorer`, which this calls with the digits'
    superpixels (:func:`segment_digit`). Returns an ``IPython.display.HTML``.
    """
    from cnnbook import widgets

    if not len(images) == len(weights) == len(labels) == len(names):
        raise ValueError(
            "lime_explorer: expected as many weights, labels and names as the "
            f"{len(images)} images; got {len(weights)}, {len(labels)}, {len(names)}"
        )
    digits = [as_digit(image) for image in images]
    segments = [segment_digit(digit) for digit in digits]
    titles = [f"{name}: class {label}" for name, label in zip(names, labels)]
    return widgets.lime_explorer(digits, segments, weights, sample_counts, titles)
