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
