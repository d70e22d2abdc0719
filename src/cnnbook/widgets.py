"""Interactive explorers (Jupyter, Colab): kernels, pooling and softmax temperature.

Colab ships ipywidgets 7.7, so only the API that 7.7 and 8 share is used:
``interactive`` with ``Dropdown``, ``IntSlider``, ``FloatSlider``, ``ToggleButtons``
and ``Text`` controls.

Every explorer comes in three layers, so that everything but the browser is testable:

1. a pure function computing what the explorer shows (:func:`feature_map`,
   :func:`pool`, :func:`softmax_with_temperature`);
2. a plot function drawing it (:func:`plot_feature_map`, :func:`plot_pooling`,
   :func:`plot_softmax`), which a notebook also calls to show a static figure in the
   published book, where widgets cannot react;
3. the explorer (:func:`conv_explorer`, :func:`pooling_explorer`,
   :func:`softmax_explorer`): an ``ipywidgets.interactive`` whose ``result``
   attribute holds the array behind the figure on display.
"""

import matplotlib.pyplot as plt
import numpy as np

from cnnbook import ops
from cnnbook.animations import float_plane

# 3x3 kernels a reader can pick. Each is applied as Keras applies kernels:
# cross-correlation, no flip, so "vertical edge" responds to left-to-right changes.
KERNELS = {
    "vertical edge": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype="float32"),
    "horizontal edge": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype="float32"),
    "blur": np.full((3, 3), 1 / 9, dtype="float32"),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype="float32"),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype="float32"),
}
CUSTOM = "custom (type 9 numbers)"
DEFAULT_CUSTOM = "0 1 0; 1 -4 1; 0 1 0"


def parse_kernel(text):
    """Read a 3x3 kernel from text: 9 numbers, rows separated by ``;`` or new lines.

    >>> parse_kernel("0 1 0; 1 -4 1; 0 1 0").tolist()[1]
    [1.0, -4.0, 1.0]
    """
    rows = [row.replace(",", " ").split() for row in str(text).replace("\n", ";").split(";") if row.strip()]
    try:
        values = [float(value) for row in rows for value in row]
    except ValueError:
        raise ValueError(f"parse_kernel: expected 9 numbers like '0 1 0; 1 -4 1; 0 1 0'; got {text!r}") from None
    if len(rows) != 3 or any(len(row) != 3 for row in rows):
        raise ValueError(f"parse_kernel: expected 3 rows of 3 numbers like '0 1 0; 1 -4 1; 0 1 0'; got {text!r}")
    return np.array(values, dtype="float32").reshape(3, 3)


def kernel_by_name(name, custom_text=DEFAULT_CUSTOM):
    """One of :data:`KERNELS`, or the kernel typed in ``custom_text`` when ``name`` is :data:`CUSTOM`."""
    if name == CUSTOM:
        return parse_kernel(custom_text)
    if name not in KERNELS:
        raise ValueError(f"kernel_by_name: name must be one of {[*KERNELS, CUSTOM]}; got {name!r}")
    return KERNELS[name]


def feature_map(image, kernel, stride=1, padding="valid"):
    """The feature map of one grayscale ``image`` (H, W) under one ``kernel`` (kh, kw).

    What a ``Conv2D`` layer with a single filter and no bias computes, as a 2-D array.
    """
    image = float_plane("feature_map", "image", image)
    kernel = float_plane("feature_map", "kernel", kernel)
    return ops.conv2d(image[None, :, :, None], kernel[:, :, None, None], stride=stride, padding=padding)[0, :, :, 0]


def pool(image, size=2, stride=None, kind="max"):
    """Max or average pooling of one 2-D ``image``; ``stride`` defaults to ``size``."""
    image = float_plane("pool", "image", image)
    functions = {"max": ops.max_pool2d, "average": ops.avg_pool2d}
    if kind not in functions:
        raise ValueError(f"pool: kind must be 'max' or 'average'; got {kind!r}")
    return functions[kind](image[None, :, :, None], size, stride)[0, :, :, 0]


def softmax_with_temperature(logits, temperature=1.0):
    r"""Softmax of ``logits / temperature``: :math:`p_k = e^{z_k/T} / \sum_j e^{z_j/T}`.

    :math:`T < 1` sharpens the distribution towards the largest logit, :math:`T > 1`
    flattens it towards uniform; the ranking of the classes never changes.
    """
    if not isinstance(temperature, (int, float, np.floating, np.integer)) or not temperature > 0:
        raise ValueError(f"softmax_with_temperature: temperature must be a positive number; got {temperature!r}")
    return ops.softmax(np.asarray(logits, dtype="float64") / temperature)


def plot_feature_map(image, kernel, stride=1, padding="valid"):
    """Three panels: the image, the kernel with its values, and the feature map."""
    result = feature_map(image, kernel, stride, padding)
    fig, (ax_image, ax_kernel, ax_map) = plt.subplots(
        1, 3, figsize=(9.5, 3.3), gridspec_kw={"width_ratios": [1, 0.8, 1.2]}
    )
    ax_image.imshow(image, cmap="gray_r")
    ax_image.set_title(f"input {image.shape[0]}×{image.shape[1]}")
    limit = np.abs(kernel).max() or 1.0
    ax_kernel.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (p, q), value in np.ndenumerate(kernel):
        ax_kernel.text(q, p, f"{value:.2g}", ha="center", va="center", fontsize=10)
    ax_kernel.set_title("kernel K")
    ax_kernel.set_xticks(range(kernel.shape[1]))
    ax_kernel.set_yticks(range(kernel.shape[0]))
    shown = ax_map.imshow(result, cmap="RdBu_r", vmin=-np.abs(result).max(), vmax=np.abs(result).max())
    fig.colorbar(shown, ax=ax_map, fraction=0.046)
    ax_map.set_title(f"feature map {result.shape[0]}×{result.shape[1]} (stride {stride}, {padding})")
    for ax in (ax_image, ax_kernel, ax_map):
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    fig.tight_layout()
    return fig


def plot_pooling(image, size=2, stride=None, kind="max"):
    """Two panels: the image and its pooled version, at the same scale."""
    result = pool(image, size, stride, kind)
    stride = size if stride is None else stride
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(7, 3.4))
    for ax, shown, title in [(ax_in, image, f"input {image.shape[0]}×{image.shape[1]}"),
                             (ax_out, result, f"{kind} pooling {size}×{size}, stride {stride}: "
                                              f"{result.shape[0]}×{result.shape[1]}")]:
        ax.imshow(shown, cmap="gray_r", vmin=0, vmax=max(float(np.max(image)), 1e-12))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    fig.tight_layout()
    return fig


def plot_softmax(logits, temperature=1.0, class_names=None):
    """Bar chart of the softmax probabilities of one logit vector at a temperature."""
    probabilities = softmax_with_temperature(logits, temperature)
    names = [str(k) for k in range(len(probabilities))] if class_names is None else list(class_names)
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    colors = ["crimson" if k == probabilities.argmax() else "steelblue" for k in range(len(probabilities))]
    ax.bar(names, probabilities, color=colors)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("class")
    ax.set_ylabel("probability")
    ax.set_title(f"softmax(z / T) at temperature T = {temperature:g}")
    fig.tight_layout()
    return fig


def _show(plot, *args):
    """Draw a figure inside a widget's output area and close it, so figures don't pile up."""
    fig = plot(*args)
    plt.show()
    plt.close(fig)


def conv_explorer(image):
    """Pick a kernel (or type one), a stride and a padding; see the feature map of ``image``."""
    from ipywidgets import Dropdown, IntSlider, Text, ToggleButtons, interactive

    image = float_plane("conv_explorer", "image", image)

    def update(kernel, custom, stride, padding):
        try:
            chosen = kernel_by_name(kernel, custom)
        except ValueError as error:
            print(error)
            return None
        _show(plot_feature_map, image, chosen, stride, padding)
        return feature_map(image, chosen, stride, padding)

    return interactive(
        update,
        kernel=Dropdown(options=[*KERNELS, CUSTOM], value="vertical edge", description="kernel"),
        custom=Text(value=DEFAULT_CUSTOM, description="custom 3×3"),
        stride=IntSlider(value=1, min=1, max=4, description="stride"),
        padding=ToggleButtons(options=["valid", "same"], value="valid", description="padding"),
    )


def pooling_explorer(image):
    """Pick the pooling window, stride and type; see ``image`` pooled."""
    from ipywidgets import IntSlider, ToggleButtons, interactive

    image = float_plane("pooling_explorer", "image", image)

    def update(size, stride, kind):
        _show(plot_pooling, image, size, stride, kind)
        return pool(image, size, stride, kind)

    return interactive(
        update,
        size=IntSlider(value=2, min=1, max=5, description="window"),
        stride=IntSlider(value=2, min=1, max=5, description="stride"),
        kind=ToggleButtons(options=["max", "average"], value="max", description="type"),
    )


def softmax_explorer(logits, labels, class_names=None):
    """Pick one of the rows of ``logits`` (``labels`` are their true classes) and a temperature."""
    from ipywidgets import Dropdown, FloatSlider, interactive

    logits = np.asarray(logits)
    if logits.ndim != 2 or len(labels) != len(logits):
        raise ValueError("softmax_explorer: expected logits (N, classes) and N labels; "
                         f"got logits of shape {logits.shape} and {len(labels)} labels")

    def update(row, temperature):
        _show(plot_softmax, logits[row], temperature, class_names)
        return softmax_with_temperature(logits[row], temperature)

    return interactive(
        update,
        row=Dropdown(options=[(f"image {n} (true class {label})", n) for n, label in enumerate(labels)],
                     value=0, description="image"),
        temperature=FloatSlider(value=1.0, min=0.1, max=5.0, step=0.1, description="temperature"),
    )
