"""Draw the figures of chapter 1 into this folder.

    CNNBOOK_DATA_DIR=/path/to/idx/files python book/images/make_figures.py

mnist_and_fashion.png shows real images (the first training image of each class);
imagenet_top5.png plots published ImageNet results, each cited in book/01_background.md.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from cnnbook import data  # noqa: E402

HERE = Path(__file__).parent

# Winning top-5 error (%) of the ILSVRC classification task. 2010-2014: Russakovsky et
# al. (2015); 2012 as reported by Krizhevsky et al. (2012); 2015: He et al. (2016).
IMAGENET_WINNERS = [
    (2010, "NEC-UIUC", 28.2, False),
    (2011, "XRCE", 25.8, False),
    (2012, "AlexNet", 15.3, True),
    (2013, "Clarifai", 11.7, True),
    (2014, "GoogLeNet", 6.7, True),
    (2015, "ResNet", 3.6, True),
]


def first_of_each_class(images, labels):
    return np.stack([images[np.flatnonzero(labels == c)[0]] for c in range(10)])


def samples_figure(path):
    (mnist, mnist_labels), _ = data.load_mnist()
    (fashion, fashion_labels), _ = data.load_fashion_mnist()
    rows = [
        ("MNIST", first_of_each_class(mnist, mnist_labels), data.MNIST_CLASSES),
        ("Fashion-MNIST", first_of_each_class(fashion, fashion_labels), data.FASHION_MNIST_CLASSES),
    ]
    fig, axes = plt.subplots(2, 10, figsize=(11, 2.8))
    for row, (name, images, classes) in enumerate(rows):
        for column, ax in enumerate(axes[row]):
            ax.imshow(images[column], cmap="gray_r")
            ax.set_title(str(classes[column]), fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(name, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def imagenet_figure(path):
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for year, name, error, deep in IMAGENET_WINNERS:
        ax.bar(year, error, color="tab:orange" if deep else "tab:gray")
        ax.text(year, error + 0.6, f"{name}\n{error}%", ha="center", fontsize=8)
    legend = [Patch(color="tab:gray", label="hand-designed features"), Patch(color="tab:orange", label="deep convolutional network")]
    ax.set_xlabel("ImageNet challenge (ILSVRC) year")
    ax.set_ylabel("winning top-5 error (%)")
    ax.set_ylim(0, 33)
    ax.legend(handles=legend)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    samples_figure(HERE / "mnist_and_fashion.png")
    imagenet_figure(HERE / "imagenet_top5.png")
    print("wrote", HERE / "mnist_and_fashion.png", "and", HERE / "imagenet_top5.png")
