"""The explorers' pure functions, their figures, and the HTML of the in-browser explorers.

The browser test (tests/test_browser.py) drives the explorers in Chromium; here we check
what they embed, their ids and their errors.
"""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from cnnbook import ops, widgets  # noqa: E402

@pytest.fixture
def digit():
    """A synthetic 'digit': a vertical bar, so edge responses are known exactly."""
    image = np.zeros((12, 10), dtype="float32")
    image[2:10, 4:6] = 1.0
    return image


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_feature_map_of_the_identity_kernel_is_the_cropped_image(digit):
    assert_allclose(widgets.feature_map(digit, widgets.KERNELS["identity"]), digit[1:-1, 1:-1])
    assert_allclose(widgets.feature_map(digit, widgets.KERNELS["identity"], padding="same"), digit)


def test_vertical_edge_kernel_responds_to_the_bar_edges_only(digit):
    result = widgets.feature_map(digit, widgets.KERNELS["vertical edge"])
    middle_row = result[5]  # rows 1..7 of the output lie fully inside the bar's height
    # Cross-correlation: the left column of the kernel is +1, so "ink on the left" is positive.
    assert_allclose(middle_row, [0, 0, -4, -4, 4, 4, 0, 0])


@pytest.mark.parametrize("stride, padding", [(1, "valid"), (2, "valid"), (3, "same")])
def test_feature_map_size_follows_the_output_size_formula(digit, stride, padding):
    result = widgets.feature_map(digit, widgets.KERNELS["blur"], stride, padding)
    assert result.shape == tuple(ops.output_size(n, 3, stride, padding) for n in digit.shape)


def test_pool_max_and_average_on_a_known_grid():
    grid = np.arange(16, dtype="float32").reshape(4, 4)
    assert_allclose(widgets.pool(grid, 2), [[5, 7], [13, 15]])
    assert_allclose(widgets.pool(grid, 2, kind="average"), [[2.5, 4.5], [10.5, 12.5]])
    assert_allclose(widgets.pool(grid, 2, stride=1), [[5, 6, 7], [9, 10, 11], [13, 14, 15]])
    with pytest.raises(ValueError, match="kind must be 'max' or 'average'"):
        widgets.pool(grid, 2, kind="min")


def test_softmax_temperature_sharpens_and_flattens_but_keeps_the_ranking():
    logits = np.array([2.0, 1.0, 0.1, -3.0])
    assert_allclose(widgets.softmax_with_temperature(logits, 1.0), ops.softmax(logits))
    cold, hot = widgets.softmax_with_temperature(logits, 0.05), widgets.softmax_with_temperature(logits, 100.0)
    assert cold[0] > 0.999 and np.all(np.abs(hot - 0.25) < 0.02)
    for probabilities in (cold, hot):
        assert_allclose(probabilities.sum(), 1.0)
        assert list(np.argsort(probabilities)) == list(np.argsort(logits))
    for bad in [0, -1.0, "warm"]:
        with pytest.raises(ValueError, match="temperature must be a positive number"):
            widgets.softmax_with_temperature(logits, bad)


@pytest.mark.parametrize("call", [
    lambda image: widgets.feature_map(image, widgets.KERNELS["blur"]),
    widgets.pool,
    widgets.conv_explorer,
    widgets.pooling_explorer,
], ids=["feature_map", "pool", "conv_explorer", "pooling_explorer"])
def test_images_must_be_2d_floats(call):
    for bad in [np.zeros((1, 8, 8, 1), dtype="float32"), np.zeros((8, 8), dtype="uint8")]:
        with pytest.raises(ValueError, match="must be a 2-D float array"):
            call(bad)


def test_plots_have_labelled_axes(digit):
    figures = [
        widgets.plot_feature_map(digit, widgets.KERNELS["sharpen"], 2, "same"),
        widgets.plot_pooling(digit, 3, 2, "average"),
        widgets.plot_softmax(np.arange(10.0), 2.0, [str(k) for k in range(10)]),
    ]
    for fig in figures:
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert ax.get_xlabel() and ax.get_ylabel(), fig
    assert "6×5 (stride 2, same)" in figures[0].axes[2].get_title()


def root_id(explorer):
    return re.search(r'class="cnnbook-explorer" id="([^"]+)"', explorer.data).group(1)


def test_conv_explorer_embeds_the_exact_digit_and_kernels(digit):
    explorer = widgets.conv_explorer(digit)
    embedded = widgets.explorer_data(explorer)
    # Nine significant digits bring every float32 back exactly.
    assert np.array_equal(np.float32(embedded["image"]), digit)
    assert set(embedded["kernels"]) == set(widgets.KERNELS)
    for name, kernel in widgets.KERNELS.items():
        assert np.array_equal(np.float32(embedded["kernels"][name]), kernel), name
    assert np.array_equal(np.float32(embedded["custom"]), widgets.CUSTOM_START)


def test_pooling_and_softmax_explorers_embed_the_real_data(digit):
    assert np.array_equal(np.float32(widgets.explorer_data(widgets.pooling_explorer(digit))["image"]),
                          digit)
    logits = np.random.default_rng(0).standard_normal((3, 10)) * 7
    explorer = widgets.softmax_explorer(logits, [7, 2, 1], images=np.stack([digit] * 3))
    embedded = widgets.explorer_data(explorer)
    assert_allclose(embedded["logits"], logits, rtol=1e-8)
    assert_allclose(embedded["images"], np.stack([digit] * 3), atol=1e-4)
    assert embedded["names"] == [str(k) for k in range(10)]
    assert "test digit 2 (true class 1)" in explorer.data


def test_every_control_has_a_label_and_every_id_is_unique(digit):
    explorers = [widgets.conv_explorer(digit), widgets.conv_explorer(digit),
                 widgets.pooling_explorer(digit), widgets.softmax_explorer(np.zeros((2, 10)), [0, 1]),
                 widgets.lime_explorer(np.stack([digit]), np.zeros((1, *digit.shape), int), np.zeros((1, 2, 1)),
                                       [100, 300], ["a"])]
    page = "".join(explorer.data for explorer in explorers)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    controls = re.findall(r'<(?:select|input)[^>]*\bid="([^"]+)"', page)
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    assert controls and set(controls) <= labelled, set(controls) - labelled
    assert "ipywidgets" not in page and "require(" not in page and "http" not in page


def test_same_inputs_give_the_same_html_but_for_the_counter(digit):
    first, second = widgets.conv_explorer(digit), widgets.conv_explorer(digit)
    a, b = root_id(first), root_id(second)
    assert a.rsplit("-", 1)[0] == b.rsplit("-", 1)[0] and a != b
    assert first.data.replace(a, "X") == second.data.replace(b, "X")
    other = digit.copy()
    other[0, 0] = 0.5
    assert root_id(widgets.conv_explorer(other)).rsplit("-", 1)[0] != a.rsplit("-", 1)[0]


def test_lime_explorer_embeds_its_superpixels_weights_and_limits(digit):
    segments = np.arange(digit.size).reshape(digit.shape) % 7
    weights = np.random.default_rng(1).standard_normal((2, 3, 7))
    explorer = widgets.lime_explorer(np.stack([digit, digit]), np.stack([segments] * 2), weights,
                                     [100, 300, 1000], ["a", "b"])
    embedded = widgets.explorer_data(explorer)
    assert np.array_equal(embedded["segments"], np.stack([segments] * 2))
    assert_allclose(embedded["weights"], weights, rtol=1e-8)
    assert_allclose(embedded["limits"], np.abs(weights).max(axis=(1, 2)), rtol=1e-8)
    assert embedded["samples"] == [100, 300, 1000] and embedded["titles"] == ["a", "b"]
    assert "1,000" in explorer.data


@pytest.mark.parametrize("call, message", [
    (lambda d: widgets.conv_explorer(d, kernel="emboss"), "kernel must be one of"),
    (lambda d: widgets.conv_explorer(d, stride=4), "stride must be one of"),
    (lambda d: widgets.conv_explorer(d, padding="full"), "padding must be one of"),
    (lambda d: widgets.pooling_explorer(d, size=4), "size must be one of"),
    (lambda d: widgets.pooling_explorer(d, kind="min"), "kind must be one of"),
    (lambda d: widgets.softmax_explorer(np.zeros((3, 10)), [7, 2]), "expected logits"),
    (lambda d: widgets.softmax_explorer(np.zeros((2, 10)), [7, 2], class_names="ab"),
     "expected 10 class names"),
    (lambda d: widgets.softmax_explorer(np.zeros((2, 10)), [7, 2], images=np.stack([d])),
     "expected images"),
    (lambda d: widgets.lime_explorer(np.stack([d]), np.zeros((1, 3, 3), int), np.zeros((1, 2, 1)),
                                     [100, 300], ["a"]), "expected digits"),
    (lambda d: widgets.lime_explorer(np.stack([d]), np.zeros((1, *d.shape), int), np.zeros((1, 3, 1)),
                                     [100, 300], ["a"]), "one weight per superpixel"),
    (lambda d: widgets.lime_explorer(np.stack([d]), np.zeros((1, *d.shape), int), np.zeros((1, 2, 1)),
                                     [100, 300], []), "expected 1 titles"),
    (lambda d: widgets.explorer_data("<div>no data</div>"), "expected the HTML of a cnnbook explorer"),
], ids=["kernel", "stride", "padding", "size", "kind", "labels", "names", "images", "segments",
        "weights", "titles", "data"])
def test_bad_settings_raise_a_clear_error(digit, call, message):
    with pytest.raises(ValueError, match=message):
        call(digit)
