"""Figures the chapters share: digit grids, learning curves, confusion matrices.

Each function draws into a new figure and returns it; the notebook calls
``plt.show()`` so that no figure repr (with its memory address) ends up in the
stored outputs.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

# No text in the book's figures is smaller than this: at 100 dpi, 10 pt is 14 pixels in
# the image, and at least 9 on the screen as long as the page shows the figure at two
# thirds of its width or more (tests/test_browser.py checks the displayed size).
MIN_FONT_PT = 10


def show_digits(images, titles, ncols=10, title_colors=None, suptitle=None):
    """Show grayscale images in a grid, each with a short title above it.

    ``images`` is (N, H, W) or (N, H, W, 1); ``titles`` holds N strings.
    ``title_colors`` optionally colours each title (for example red for mistakes).
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(
            f"show_digits: expected images of shape (N, H, W) or (N, H, W, 1); got {images.shape}"
        )
    if len(titles) != len(images):
        raise ValueError(f"show_digits: got {len(images)} images but {len(titles)} titles")
    ncols = min(ncols, len(images))
    nrows = math.ceil(len(images) / ncols)
    title_lines = max(str(title).count("\n") + 1 for title in titles)
    row_height = 1.0 + 0.22 * title_lines
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.1 * ncols, row_height * nrows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(images[index], cmap="gray_r")
            color = title_colors[index] if title_colors is not None else "black"
            ax.set_title(titles[index], fontsize=MIN_FONT_PT, color=color)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_history(history):
    """Loss and accuracy per epoch, training vs validation, from ``model.fit``'s history."""
    metrics = history.history if hasattr(history, "history") else history
    epochs = np.arange(1, len(metrics["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, name, label in ((ax_loss, "loss", "cross-entropy loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(epochs, metrics[name], "o-", label="training")
        if f"val_{name}" in metrics:
            ax.plot(epochs, metrics[f"val_{name}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_xticks(epochs)
        ax.grid(alpha=0.3)
        ax.legend()
    ax_loss.set_title("Loss per epoch")
    ax_acc.set_title("Accuracy per epoch")
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix, class_names):
    """Heat map of a confusion matrix: rows are true classes, columns predictions.

    The diagonal is drawn in a muted colour so that the off-diagonal mistakes,
    which are what a reader looks for, are not washed out by it.
    """
    matrix = np.asarray(matrix)
    off_diagonal = matrix * (1 - np.eye(len(matrix), dtype=matrix.dtype))
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    image = ax.imshow(off_diagonal, cmap="Reds")
    fig.colorbar(image, ax=ax, label="misclassified images")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names)
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    threshold = off_diagonal.max() / 2 if off_diagonal.max() else 1
    for (row, col), count in np.ndenumerate(matrix):
        on_diagonal = row == col
        color = "gray" if on_diagonal else ("white" if count > threshold else "black")
        ax.text(col, row, str(count), ha="center", va="center", fontsize=MIN_FONT_PT, color=color)
    ax.set_title("Confusion matrix (off-diagonal cells coloured)")
    fig.tight_layout()
    return fig
