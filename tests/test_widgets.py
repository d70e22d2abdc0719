"""The explorers' pure functions, their figures, and building the widgets without a browser."""

import ast
import inspect

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from cnnbook import ops, widgets  # noqa: E402

# The ipywidgets API that Colab's 7.7 and our 8.x share, as far as this book uses it.
SHARED_API = {"interactive", "interact", "IntSlider", "FloatSlider", "Dropdown", "ToggleButtons",
              "Output", "HBox", "VBox", "Textarea", "Text"}


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


def controls(explorer):
    """The explorer's controls by description (the last child is its output area)."""
    return {child.description: child for child in explorer.children[:-1]}


def test_only_the_widget_api_shared_by_ipywidgets_7_and_8_is_used():
    tree = ast.parse(inspect.getsource(widgets))
    imported = {alias.name for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module == "ipywidgets" for alias in node.names}
    assert imported and imported <= SHARED_API, imported - SHARED_API


def test_parse_kernel_reads_rows_and_refuses_anything_but_3x3():
    assert_allclose(widgets.parse_kernel("1 0 -1\n2,0,-2; 1 0 -1"), widgets.KERNELS["vertical edge"])
    for bad in ["1 2 3; 4 5 6", "1 2 3 4; 5 6 7 8; 9 1 2 3", "a b c; 1 2 3; 4 5 6", ""]:
        with pytest.raises(ValueError, match="parse_kernel: expected"):
            widgets.parse_kernel(bad)


def test_kernel_by_name():
    assert_allclose(widgets.kernel_by_name("blur").sum(), 1.0, rtol=1e-6)
    assert_allclose(widgets.kernel_by_name(widgets.CUSTOM, "0 0 0; 0 2 0; 0 0 0")[1, 1], 2.0)
    with pytest.raises(ValueError, match="name must be one of"):
        widgets.kernel_by_name("emboss")


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


def test_conv_explorer_builds_and_follows_its_controls(digit):
    explorer = widgets.conv_explorer(digit)
    assert set(controls(explorer)) == {"kernel", "custom 3×3", "stride", "padding"}
    assert_allclose(explorer.result, widgets.feature_map(digit, widgets.KERNELS["vertical edge"]))
    controls(explorer)["stride"].value = 2
    controls(explorer)["padding"].value = "same"
    controls(explorer)["kernel"].value = "blur"
    assert_allclose(explorer.result, widgets.feature_map(digit, widgets.KERNELS["blur"], 2, "same"))
    controls(explorer)["kernel"].value = widgets.CUSTOM
    controls(explorer)["custom 3×3"].value = "0 0 0; 0 3 0; 0 0 0"
    assert_allclose(explorer.result, 3 * widgets.feature_map(digit, widgets.KERNELS["identity"], 2, "same"))
    controls(explorer)["custom 3×3"].value = "1 2"
    assert explorer.result is None  # a typo shows a message instead of raising


def test_pooling_explorer_builds_and_follows_its_controls(digit):
    explorer = widgets.pooling_explorer(digit)
    assert set(controls(explorer)) == {"window", "stride", "type"}
    assert explorer.result.shape == (6, 5)
    controls(explorer)["window"].value = 3
    controls(explorer)["stride"].value = 1
    controls(explorer)["type"].value = "average"
    assert_allclose(explorer.result, widgets.pool(digit, 3, 1, "average"))


def test_softmax_explorer_builds_and_follows_its_controls():
    logits = np.random.default_rng(0).standard_normal((3, 10))
    explorer = widgets.softmax_explorer(logits, [7, 2, 1])
    assert [label for label, _ in controls(explorer)["image"].options][2] == "image 2 (true class 1)"
    assert_allclose(explorer.result, ops.softmax(logits[0]))
    controls(explorer)["image"].value = 2
    controls(explorer)["temperature"].value = 3.0
    assert_allclose(explorer.result, ops.softmax(logits[2] / 3.0))
    with pytest.raises(ValueError, match="expected logits"):
        widgets.softmax_explorer(logits, [7, 2])
