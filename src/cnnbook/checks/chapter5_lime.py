"""Self-checks for chapter 5.3's exercises: explaining the CNN's decisions."""

import functools

import numpy as np

from cnnbook.checks.verdict import exercise_check, formula_verdict, numeric_array


@functools.lru_cache(maxsize=1)
def _template_classifier_and_digits():
    """A stand-in classifier and three real test digits.

    The classifier scores each class by how much of a digit's ink falls on that
    class's average training image (from 2,000 real digits), through a softmax.
    It is simple, but it depends on where the ink is, which is what occlusion probes.
    """
    from cnnbook.data import load_mnist
    from cnnbook.models import prepare_images

    (x_train, y_train), (x_test, _) = load_mnist()
    train = prepare_images(x_train[:2000])[..., 0]
    templates = np.stack([train[y_train[:2000] == c].mean(axis=0) for c in range(10)])
    templates /= np.linalg.norm(templates.reshape(10, -1), axis=1)[:, None, None]

    def predict(images):
        logits = np.einsum("nhw,chw->nc", np.asarray(images, dtype="float64")[..., 0], templates)
        logits -= logits.max(axis=1, keepdims=True)
        return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)

    return predict, prepare_images(x_test[:3])


def _occluded_probabilities(image, predict, label, patch, fill):
    """Probability of ``label`` with each patch in turn set to ``fill``, straight from the definition."""
    cells = 28 // patch
    images = []
    for i in range(cells):
        for j in range(cells):
            occluded = image.copy()
            occluded[i * patch:(i + 1) * patch, j * patch:(j + 1) * patch] = fill
            images.append(occluded)
    return predict(np.stack(images))[:, label].reshape(cells, cells)


@exercise_check(points=2)
def check_occlusion_map(occlusion_map):
    """Check ``occlusion_map(image, predict, label, patch)`` on real digits and a stand-in classifier."""
    predict, digits = _template_classifier_and_digits()
    for index, image in enumerate(digits):
        p_digit = predict(image[np.newaxis])[0]
        for label in [int(p_digit.argmax()), int(p_digit.argsort()[-3])]:
            for patch in [7, 4]:
                occluded = _occluded_probabilities(image, predict, label, patch, fill=0.0)
                expected = p_digit[label] - occluded
                case = f"test digit #{index}, label={label}, patch={patch}"
                answer = numeric_array(occlusion_map(image, predict, label, patch), case)
                if answer.shape != expected.shape:
                    return (f"wrong shape for {case}: got {answer.shape}. "
                            "Hint: one value per patch position, rows of patches by columns of patches.")
                if np.allclose(answer, expected, atol=1e-6):
                    continue
                if np.allclose(answer, -expected, atol=1e-6):
                    return f"wrong sign for {case}. Hint: a patch that supports the class should score positive."
                if np.allclose(answer, occluded, atol=1e-6):
                    return (f"wrong values for {case}. Hint: report how much the probability drops, "
                            "not the probability that is left.")
                if np.allclose(answer, expected.T, atol=1e-6):
                    return f"wrong for {case}. Hint: row i of the map is the patch covering image rows i*patch onward."
                if np.allclose(answer, p_digit[label] - _occluded_probabilities(image, predict, label, patch, 1.0),
                               atol=1e-6):
                    return f"wrong for {case}. Hint: an occluded patch becomes background (0), not ink."
                top = int(p_digit.argmax())
                if label != top and np.allclose(
                        answer, p_digit[top] - _occluded_probabilities(image, predict, top, patch, 0.0), atol=1e-6):
                    return (f"wrong for {case}. Hint: you explained the class the model predicts; "
                            "explain the class given by `label`.")
                return (f"wrong values for {case}. Hint: for each patch, set it to 0 in a copy of the image "
                        "and compare the probability of `label` with the unoccluded one.")
    return None


@exercise_check(points=2)
def check_deletion_auc(deletion_auc):
    """Check ``deletion_auc(curve)`` against NumPy's trapezoidal rule over x in [0, 1]."""
    cases = [(np.array(curve, dtype="float64"),) for curve in [
        [1.0, 0.0],
        [1.0, 1.0, 0.0],
        [0.99, 0.97, 0.62, 0.21, 0.05, 0.01],
        [0.9, 0.2, 0.25, 0.1, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        list(np.linspace(1, 0.5, 37) ** 2),
    ]]
    expected = [np.trapezoid(curve, dx=1 / (len(curve) - 1)) for curve, in cases]
    return formula_verdict(
        deletion_auc, cases, expected, lambda curve: f"a curve of {len(curve)} points",
        [
            (lambda curve: np.trapezoid(curve), "the x axis is the fraction of superpixels removed, from 0 to 1."),
            (np.mean, "a plain mean gives the end points full weight; the trapezoid rule halves them."),
            (lambda curve: np.mean(curve[:-1]), "use trapezoids between neighbouring points, not rectangles."),
            (lambda curve: np.mean(curve[1:]), "use trapezoids between neighbouring points, not rectangles."),
        ],
        "area under the curve with x running from 0 to 1.",
    )


def _grad_cam_cases():
    """Feature maps (ReLU outputs, with zeros) and signed gradients of three shapes, one an 11 x 11 x 64 layer."""
    rng = np.random.default_rng(7)
    cases = []
    for shape in [(11, 11, 64), (5, 7, 3), (4, 6, 2)]:
        features = np.maximum(rng.normal(size=shape), 0.0)
        # each channel's gradients share an offset, of alternating sign, so that the channel
        # weights differ and the weighted sum has cells of both signs
        offsets = (0.05 + 0.1 * np.abs(rng.normal(size=shape[-1]))) * (-1.0) ** np.arange(shape[-1])
        gradients = 0.05 * rng.normal(size=shape) + offsets
        cases.append((features, gradients))
    return cases


def _grad_cam_from_weights(features, weights):
    return np.maximum(np.tensordot(features, weights, axes=([2], [0])), 0.0)


@exercise_check(points=2)
def check_grad_cam_map(grad_cam_map):
    """Check ``grad_cam_map(features, gradients)``: ReLU(sum_k alpha_k A^k), alpha_k the spatial mean of the gradients."""
    cases = _grad_cam_cases()
    expected = [_grad_cam_from_weights(f, g.mean(axis=(0, 1))) for f, g in cases]
    mistakes = [
        (lambda f, g: _grad_cam_from_weights(f, g.sum(axis=(0, 1))),
         "alpha_k is the *mean* of the gradients over the positions, not their sum."),
        (lambda f, g: np.tensordot(f, g.mean(axis=(0, 1)), axes=([2], [0])),
         "Grad-CAM keeps only the positive part of the map: apply a ReLU at the end."),
        (lambda f, g: np.maximum((f * g).sum(axis=-1), 0.0),
         "that is gradient times activation at each position; Grad-CAM first averages the "
         "gradients of each channel over all positions, to get one weight per channel."),
        (lambda f, g: _grad_cam_from_weights(f, np.abs(g).mean(axis=(0, 1))),
         "average the signed gradients; a channel whose gradient is negative counts against the class."),
        (lambda f, g: _grad_cam_from_weights(f, np.maximum(g.mean(axis=(0, 1)), 0.0)),
         "the ReLU goes on the weighted sum of the maps, not on the channel weights."),
        (lambda f, g: _grad_cam_from_weights(f, g.mean(axis=(0, 1))) / f.shape[-1],
         "add up the weighted maps over the channels; don't average them."),
        (lambda f, g: np.maximum((f * g.mean(axis=-1, keepdims=True)).sum(axis=-1), 0.0),
         "average over the positions (axes 0 and 1), once per channel, not over the channels."),
    ]
    answers = []
    for (features, gradients), right in zip(cases, expected):
        case = f"features and gradients of shape {features.shape}"
        answer = numeric_array(grad_cam_map(features, gradients), case)
        if answer.shape != right.shape:
            return (f"wrong shape for {case}: got {answer.shape}, expected {right.shape}. Hint: one value "
                    "per position (height, width); the channels are summed away.")
        answers.append(answer)
    wrong = [index for index, (answer, right) in enumerate(zip(answers, expected))
             if not np.allclose(answer, right, rtol=1e-6, atol=1e-9)]
    if not wrong:
        return None
    for formula, hint in mistakes:
        if all(np.allclose(answer, formula(*case), rtol=1e-6, atol=1e-9) for answer, case in zip(answers, cases)):
            return f"wrong values for features of shape {cases[wrong[0]][0].shape}. Hint: {hint}"
    return (f"wrong values for features of shape {cases[wrong[0]][0].shape}. Hint: weight each channel's map "
            "by the mean of its gradients over all positions, add the weighted maps up, then apply a ReLU.")
