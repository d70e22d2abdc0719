"""cnnbook.explain: superpixels on real digits, LIME's determinism, the wrapper, the attribution tools."""

import subprocess
import sys

import numpy as np
import pytest

from cnnbook import data, explain, models


@pytest.fixture(scope="module")
def digits():
    """The first 200 test digits as (N, 28, 28, 1) floats, and their labels."""
    _, (x_test, y_test) = data.load_mnist()
    return models.prepare_images(x_test[:200]), y_test[:200]


@pytest.fixture(scope="module")
def model():
    """The article's CNN after one epoch on 3,000 training digits (about 90% accurate)."""
    (x_train, y_train), _ = data.load_mnist()
    trained, _ = models.train_article_cnn(models.prepare_images(x_train[:3000]), y_train[:3000], epochs=1)
    return trained


@pytest.fixture(scope="module")
def correct(digits, model):
    """Five test digits the model classifies correctly, with their labels."""
    x, y = digits
    predicted = model.predict_on_batch(x).argmax(axis=1)
    keep = np.flatnonzero(predicted == y)[:5]
    return x[keep], y[keep]


def test_importing_explain_imports_neither_tensorflow_nor_lime():
    code = "import sys, cnnbook.explain; print(sorted({'tensorflow', 'lime', 'keras'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_lime_default_segmentation_finds_almost_nothing_in_a_digit(digits):
    counts = [explain.segment_digit(image, "lime default").max() + 1 for image in digits[0][:50]]
    assert np.median(counts) <= 3


@pytest.mark.parametrize("method, fewest", [("slic", 30), ("quickshift", 8), ("grid", 16)])
def test_segmentations_split_real_digits_into_many_superpixels(digits, method, fewest):
    for image in digits[0][:50]:
        segments = explain.segment_digit(image, method)
        assert segments.shape == (28, 28) and segments.dtype.kind == "i"
        labels = np.unique(segments)
        assert labels.tolist() == list(range(len(labels))), "lime needs labels 0..n-1"
        assert len(labels) >= fewest


def test_default_slic_cuts_the_stroke_into_several_pieces(digits):
    """The superpixels that hold ink are what LIME can explain with."""
    ink_pieces = []
    for image in digits[0][:50]:
        segments = explain.segment_digit(image)
        ink_pieces.append(len(np.unique(segments[image[..., 0] > 0.25])))
    assert min(ink_pieces) >= 3 and np.median(ink_pieces) >= 6


def test_segmentation_rejects_an_unknown_method(digits):
    with pytest.raises(ValueError, match="method must be one of"):
        explain.segment_digit(digits[0][0], "watershed")


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((1, 28, 28)), "single image"),
        (np.zeros((28, 28, 2)), "shape"),
        (np.zeros((32, 32)), "shape"),
        (np.full((28, 28), 255.0), r"\[0, 1\]"),
        (np.stack([np.zeros((28, 28)), np.ones((28, 28)), np.zeros((28, 28))], axis=-1), "3 equal channels"),
    ],
)
def test_wrong_images_raise_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        explain.as_digit(bad)


def test_as_digit_accepts_the_shapes_lime_and_keras_use(digits):
    image = digits[0][0]
    gray = explain.as_digit(image)
    assert gray.shape == (28, 28)
    np.testing.assert_array_equal(explain.as_digit(np.repeat(image, 3, axis=-1)), gray)
    raw = (image[..., 0] * 255).round().astype(np.uint8)
    np.testing.assert_allclose(explain.as_digit(raw), gray, atol=1e-6)


def test_wrapper_turns_lime_rgb_batches_into_model_probabilities(digits, model):
    x = digits[0][:7]
    classify = explain.classifier_fn(model)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(classify(np.repeat(x, 3, axis=-1)), expected, atol=1e-6)
    np.testing.assert_allclose(classify(x[..., 0]), expected, atol=1e-6)


def test_wrapper_rejects_wrong_batches_and_wrong_classifier_outputs(digits):
    x = digits[0][:4]
    with pytest.raises(ValueError, match="batch of shape"):
        explain.classifier_fn(lambda images: np.ones((len(images), 10)) / 10)(x[0])
    with pytest.raises(ValueError, match="one row of class probabilities per image"):
        explain.classifier_fn(lambda images: np.ones(len(images)))(x)
    with pytest.raises(ValueError, match="one row of class probabilities per image"):
        explain.classifier_fn(lambda images: np.ones((1, 10)))(x)
    with pytest.raises(ValueError, match="Keras model or a function"):
        explain.classifier_fn("model")


def test_explain_digit_reports_a_classifier_with_the_wrong_output(digits, model):
    with pytest.raises(ValueError, match="one row of class probabilities per image"):
        explain.explain_digit(digits[0][0], lambda images: model.predict_on_batch(images)[:, 0], num_samples=20)
    with pytest.raises(ValueError, match="sum to 1"):
        explain.explain_digit(digits[0][0], lambda images: images.reshape(len(images), -1), num_samples=20)


def test_same_random_state_gives_identical_explanations(correct, model):
    image, label = correct[0][0], correct[1][0]
    first = explain.explain_digit(image, model, random_state=0)
    second = explain.explain_digit(image, model, random_state=0)
    other = explain.explain_digit(image, model, random_state=1)
    assert first.top_labels == second.top_labels and first.top_labels[0] == label
    np.testing.assert_array_equal(explain.lime_weights(first, label), explain.lime_weights(second, label))
    assert not np.array_equal(explain.lime_weights(first, label), explain.lime_weights(other, label))


def test_explanations_print_no_progress_bar(correct, model, capfd):
    explain.explain_digit(correct[0][1], model, num_samples=50)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_lime_weights_cover_every_superpixel_and_only_explained_classes(correct, model):
    image, label = correct[0][0], correct[1][0]
    explanation = explain.explain_digit(image, model, top_labels=2)
    weights = explain.lime_weights(explanation, label)
    assert weights.shape == (explanation.segments.max() + 1,)
    assert np.allclose(explanation.probabilities.sum(), 1, atol=1e-5)
    missing = next(c for c in range(10) if c not in explanation.top_labels)
    with pytest.raises(ValueError, match="was not explained"):
        explain.lime_weights(explanation, missing)


def test_lime_order_deletes_faster_than_random_order(correct, model):
    """Faithfulness on five digits: the full test on 60 digits lives in the notebook."""
    for image, label in zip(*correct):
        explanation = explain.explain_digit(image, model)
        segments = explanation.segments
        order = explain.importance_order(explain.lime_weights(explanation, label))
        lime_auc = explain.deletion_auc(explain.deletion_curve(image, segments, order, model, label))
        random_auc = explain.deletion_auc(explain.random_deletion_curve(image, segments, model, label))
        assert lime_auc < random_auc - 0.1, (lime_auc, random_auc)


def test_deletion_curve_starts_at_the_digit_and_ends_at_a_blank_image(correct, model):
    image, label = correct[0][0], correct[1][0]
    segments = explain.segment_digit(image)
    order = np.arange(segments.max() + 1)[::-1]
    curve = explain.deletion_curve(image, segments, order, model, label)
    probabilities = model.predict(np.stack([image, np.zeros_like(image)]), verbose=0)[:, label]
    assert len(curve) == segments.max() + 2
    np.testing.assert_allclose(curve[[0, -1]], probabilities, atol=1e-5)
    with pytest.raises(ValueError, match="every segment"):
        explain.deletion_curve(image, segments, order[:-1], model, label)


def test_ink_first_random_baseline_is_harder_to_beat(correct, model):
    image, label = correct[0][2], correct[1][2]
    segments = explain.segment_digit(image)
    anywhere = explain.random_deletion_curve(image, segments, model, label)
    ink_first = explain.random_deletion_curve(image, segments, model, label, ink_first=True)
    assert explain.deletion_auc(ink_first) < explain.deletion_auc(anywhere)


def test_deletion_auc_is_the_trapezoid_over_the_fraction_removed():
    assert explain.deletion_auc([1.0, 0.0]) == pytest.approx(0.5)
    assert explain.deletion_auc([1.0, 1.0, 0.0]) == pytest.approx(0.75)
    assert explain.deletion_auc(np.ones(37)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 2 points"):
        explain.deletion_auc([0.3])
    np.testing.assert_allclose(explain.resample_curve([1.0, 0.0], points=5), [1, 0.75, 0.5, 0.25, 0])


def test_occlusion_scores_are_the_drop_when_one_superpixel_is_removed(correct, model):
    image, label = correct[0][3], correct[1][3]
    segments = explain.segment_digit(image)
    scores = explain.occlusion_scores(image, segments, model, label)
    assert scores.shape == (segments.max() + 1,)
    for segment in [0, int(np.argmax(scores))]:
        removed = image.copy()
        removed[segments == segment] = 0
        p_before, p_after = model.predict(np.stack([image, removed]), verbose=0)[:, label]
        assert scores[segment] == pytest.approx(p_before - p_after, abs=1e-5)


def test_integrated_gradients_add_up_to_the_probability_change(correct, model):
    image, label = correct[0][4], correct[1][4]
    attributions = explain.integrated_gradients(model, image, label, steps=128)
    assert attributions.shape == (28, 28)
    assert np.all(attributions[image[..., 0] == 0] == 0), "a blank pixel gets no credit from a blank baseline"
    p_digit, p_blank = model.predict(np.stack([image, np.zeros_like(image)]), verbose=0)[:, label]
    assert attributions.sum() == pytest.approx(p_digit - p_blank, abs=0.03)


def test_pool_by_segment_and_top_k_overlap():
    segments = np.repeat(np.arange(4), 196).reshape(28, 28)
    np.testing.assert_allclose(explain.pool_by_segment(np.ones((28, 28)), segments), [196] * 4)
    with pytest.raises(ValueError, match="differ in shape"):
        explain.pool_by_segment(np.ones((28, 27)), segments)
    a, b = np.array([4.0, 3, 2, 1, 0]), np.array([0.0, 1, 2, 3, 4])
    assert explain.top_k_overlap([a, a, a], k=2) == 1.0
    assert explain.top_k_overlap([a, b], k=2) == 0.0
    assert explain.top_k_overlap([a, b], k=3) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="at least two"):
        explain.top_k_overlap([a])


def test_overlay_tints_evidence_for_blue_and_against_red(correct):
    image = correct[0][0]
    segments = explain.segment_digit(image)
    scores = np.zeros(segments.max() + 1)
    scores[segments[14, 14]] = 1.0
    scores[segments[0, 0]] = -0.5
    picture = explain.overlay(image, segments, scores, num_features=2, scale=4)
    assert picture.shape == (112, 112, 3)
    big_segments = np.kron(segments, np.ones((4, 4), dtype=int))
    red, green, blue = picture[big_segments == segments[14, 14]].mean(axis=0)
    assert blue > red and blue > green
    red, green, blue = picture[big_segments == segments[0, 0]].mean(axis=0)
    assert red > green and red > blue


def _article_head_logits(features, model):
    """The article CNN after conv2, in NumPy float64: 2x2 max pooling, flatten, dense + ReLU, dense."""
    h, w, k = features.shape
    pooled = features[:h // 2 * 2, :w // 2 * 2].reshape(h // 2, 2, w // 2, 2, k).max(axis=(1, 3))
    hidden_kernel, hidden_bias = (np.asarray(v, dtype="float64") for v in model.get_layer("dense_hidden").get_weights())
    out_kernel, out_bias = (np.asarray(v, dtype="float64") for v in model.get_layer("dense_out").get_weights())
    hidden = np.maximum(pooled.reshape(-1) @ hidden_kernel + hidden_bias, 0)
    return hidden @ out_kernel + out_bias


def test_grad_cam_matches_finite_differences_of_the_class_score(correct, model):
    """alpha_k * h * w is the slope of the class score when all of channel k rises together."""
    import keras

    image, label = correct[0][1], int(correct[1][1])
    features = keras.Model(model.inputs[0], model.get_layer("conv2").output)(image[np.newaxis]).numpy()[0]
    features = features.astype("float64")
    probabilities = model.predict_on_batch(image[np.newaxis])[0]
    logits = _article_head_logits(features, model)  # the NumPy head is the model's head
    np.testing.assert_allclose(np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum(),
                               probabilities, atol=1e-4)
    eps = 1e-4
    weights = np.empty(features.shape[-1])
    for k in range(features.shape[-1]):
        shift = np.zeros_like(features)
        shift[..., k] = eps
        up, down = _article_head_logits(features + shift, model), _article_head_logits(features - shift, model)
        weights[k] = (up[label] - down[label]) / (2 * eps) / (features.shape[0] * features.shape[1])
    expected = np.tensordot(features, weights, axes=([2], [0]))
    signed = explain.grad_cam(model, image, label, relu=False)
    assert signed.shape == (11, 11)
    np.testing.assert_allclose(signed, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())
    np.testing.assert_allclose(explain.grad_cam(model, image, label), np.maximum(expected, 0),
                               rtol=1e-3, atol=1e-3 * np.abs(expected).max())
    assert not np.allclose(explain.grad_cam(model, image, (label + 1) % 10, relu=False), signed)


def test_grad_cam_rejects_a_layer_the_model_lacks(correct, model):
    with pytest.raises(ValueError, match="hidden layers"):
        explain.grad_cam(model, correct[0][0], 0, layer="conv3")
    with pytest.raises(ValueError, match="hidden layers"):
        explain.grad_cam(model, correct[0][0], 0, layer="dense_out")


def test_cam_to_pixels_puts_each_cell_at_the_centre_of_its_input_patch():
    cam = np.zeros((11, 11))
    cam[0, 10] = 1.0
    pixels = explain.cam_to_pixels(cam)
    assert pixels.shape == (28, 28)
    assert pixels[:4, 24:].min() == 1.0, "beyond the outermost centres the nearest cell's value is kept"
    assert pixels[5, 24] == pytest.approx(0.25) and pixels[3, 22] == pytest.approx(0.25)
    assert pixels[6:, :].max() == 0 and pixels[:, :22].max() == 0
    np.testing.assert_allclose(explain.cam_to_pixels(np.full((11, 11), 2.0)), 2.0)
    ramp = np.tile(np.arange(11.0), (11, 1))
    np.testing.assert_allclose(explain.cam_to_pixels(ramp)[5, 5:24], (np.arange(5, 24) - 3.5) / 2)
    with pytest.raises(ValueError, match="2-D map"):
        explain.cam_to_pixels(np.zeros((11, 11, 1)))


def test_ink_removed_gives_blank_superpixels_no_width(correct):
    image = correct[0][0]
    segments = explain.segment_digit(image)
    order = np.arange(segments.max() + 1)
    removed = explain.ink_removed(image, segments, order)
    assert removed.shape == (len(order) + 1,) and removed[0] == 0 and removed[-1] == pytest.approx(1)
    ink = explain.pool_by_segment(image[..., 0], segments)
    steps = np.diff(removed)
    np.testing.assert_allclose(steps, ink / ink.sum())
    assert np.all(steps[ink == 0] == 0)
    assert explain.deletion_auc([1.0, 1.0, 0.0], removed=[0.0, 0.8, 1.0]) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="rise from 0 to 1"):
        explain.deletion_auc([1.0, 0.0], removed=[0.0, 0.5])


def test_lime_explorer_embeds_the_superpixels_and_their_weights(digits):
    from cnnbook import widgets

    images = digits[0][:2]
    segments = [explain.segment_digit(image) for image in images]
    rng = np.random.default_rng(0)
    weights = [[rng.standard_normal(s.max() + 1) for _ in range(2)] for s in segments]
    explorer = explain.lime_explorer(images, weights, [100, 300], labels=[7, 2], names=["a", "b"])
    embedded = widgets.explorer_data(explorer)
    assert np.array_equal(embedded["segments"], segments)
    for d in range(2):  # digits have different numbers of superpixels
        np.testing.assert_allclose(embedded["weights"][d], weights[d], rtol=1e-8)
    assert embedded["titles"] == ["a: class 7", "b: class 2"]
    with pytest.raises(ValueError, match="expected as many weights"):
        explain.lime_explorer(images, weights[:1], [100, 300], labels=[7, 2], names=["a", "b"])
    with pytest.raises(ValueError, match="weight vectors"):
        explain.lime_explorer(images, [w[:1] for w in weights], [100, 300], labels=[7, 2],
                              names=["a", "b"])
