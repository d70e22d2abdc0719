"""Animations for the published book, where no kernel runs: a window sliding over a digit.

Each animation comes in two parts. A *steps* function computes what every frame
shows (plain NumPy, unit-tested); an *animation* function draws those steps with
matplotlib and returns a ``FuncAnimation``. A notebook embeds it in the page with
``IPython.display.HTML(animations.to_html(animation, alt="..."))``: the frames are
stored as PNG images inside the HTML, and the player's buttons work in any browser.

Keep animations small (a few dozen frames, a 72 dpi figure): every frame adds its
image to the page. ``to_html`` stores each frame with a palette of
:data:`FRAME_COLOURS` colours, which makes the frames about three times smaller
than matplotlib's full-colour PNGs, with no difference a reader can see.
"""

import base64
import html
import io
import re
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.patches import Rectangle
from PIL import Image

from cnnbook import ops
from cnnbook.plots import MIN_FONT_PT

DPI = 72


def float_plane(fn, name, image):
    """``image`` as a 2-D float array ``(height, width)``; ValueError naming ``fn`` otherwise."""
    image = np.asarray(image)
    if image.ndim != 2 or not np.issubdtype(image.dtype, np.floating):
        raise ValueError(f"{fn}: {name} must be a 2-D float array (height, width); "
                         f"got dtype {image.dtype} and shape {image.shape}")
    return image


# The player's Font Awesome icons, drawn with characters that common fonts have
# (ASCII, and triangles from Unicode's geometric shapes; U+FE0E asks for the plain
# text glyph rather than a coloured emoji). The media-control symbols U+23E9 to U+23EF
# would be closer, but many fonts lack them and show empty boxes.
PLAY, BACK = "\u25b6\ufe0e", "\u25c0\ufe0e"
BUTTON_SYMBOLS = {
    "fa fa-minus": "\u2212",
    "fa fa-fast-backward": f"|{BACK}{BACK}",
    "fa fa-step-backward": f"|{BACK}",
    "fa fa-play fa-flip-horizontal": BACK,
    "fa fa-pause": "\u275a\u275a",
    "fa fa-play": PLAY,
    "fa fa-step-forward": f"{PLAY}|",
    "fa fa-fast-forward": f"{PLAY}{PLAY}|",
    "fa fa-plus": "+",
}


# Controls of matplotlib's player that change nothing a reader sees while it is paused:
# the speed buttons, and the repetition mode (once, loop, reflect). The player keeps
# them, hidden, since its script reads the repetition mode; every control left visible
# changes the frame shown.
HIDDEN_BUTTONS = ("Decrease speed", "Increase speed")
FRAME_COLOURS = 128
_FRAME = re.compile(r'(frames\[\d+\] = ")data:image/png;base64,([^"]*)(")')
SLIDER_LABEL = "Animation frame"


def compact_png(png):
    """A PNG's image with at most FRAME_COLOURS colours (a palette PNG), as PNG bytes."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=FRAME_COLOURS, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


def _compact_frame(match):
    png = base64.b64decode(match.group(2).replace("\\\n", ""))  # a JS string continued with backslashes
    data = base64.b64encode(compact_png(png)).decode("ascii")
    lines = "\\\n".join(data[i : i + 76] for i in range(0, len(data), 76))  # continued the same way
    return f"{match.group(1)}data:image/png;base64,{lines}{match.group(3)}"


def _button_symbol(icon):
    if icon[1] not in BUTTON_SYMBOLS:
        raise ValueError(f"to_html: matplotlib's player has an icon this book doesn't know: {icon[1]!r}")
    return BUTTON_SYMBOLS[icon[1]]


def to_html(anim, alt):
    """The animation as a self-contained HTML player (matplotlib's ``to_jshtml``), plus alt text.

    matplotlib's player starts from an ``<img>`` with neither ``src`` nor ``alt``; its
    script fills in the frames. We give that image the first frame and a description,
    so that screen readers, and pages shown without JavaScript, still get a picture.

    The player also links Font Awesome 4 from a CDN for its buttons' icons. We drop that
    link, since the book must load nothing from other sites, and write each icon as a
    Unicode symbol instead, which every browser draws without any font download: in
    the book, in Jupyter and in Colab alike.

    Each frame is stored with a palette (:func:`compact_png`). Its frame slider gets a
    name for screen readers (``aria-label``), and the controls
    that do nothing visible while the player is paused (:data:`HIDDEN_BUTTONS` and the
    repetition mode) are hidden.
    """
    if not isinstance(alt, str) or len(alt.strip()) < 20:
        raise ValueError(f"to_html: alt must describe the animation in at least 20 characters; got {alt!r}")
    player = _FRAME.sub(_compact_frame, anim.to_jshtml(default_mode="once"))
    player = re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">\s*', "", player)
    player = re.sub(r'<i class="(fa [^"]+)"></i>', _button_symbol, player)
    player = player.replace('type="range" class="anim-slider"',
                            f'type="range" class="anim-slider" aria-label="{SLIDER_LABEL}"', 1)
    for title in HIDDEN_BUTTONS:
        player = player.replace(f'<button title="{title}"', f'<button title="{title}" hidden', 1)
    player = re.sub(r'<form (?=[^>]*class="anim-state")', "<form hidden ", player, count=1)
    first = re.search(r'frames\[0\] = "(data:image/png;base64,[^"]*)"', player)
    image = re.search(r'<img id="(_anim_img\w+)">', player)
    changed = (f'aria-label="{SLIDER_LABEL}"' in player and "<form hidden " in player
               and all(f'<button title="{title}" hidden' in player for title in HIDDEN_BUTTONS))
    if first is None or image is None or not changed:
        raise ValueError("to_html: unexpected to_jshtml output: no first frame, no <img> to fill, "
                         "or no slider, speed buttons and repetition mode where matplotlib 3.x has them")
    source = first.group(1).replace("\\\n", "")  # the frames are JS strings continued with backslashes
    tag = f'<img id="{image.group(1)}" src="{source}" alt="{html.escape(alt)}">'
    return player[: image.start()] + tag + player[image.end() :]


class ConvStep(NamedTuple):
    """One window position of a convolution (cross-correlation): y[i, j] = products.sum()."""

    i: int
    j: int
    products: np.ndarray  # (kh, kw): image patch times kernel, element by element
    total: float


def conv_steps(image, kernel, row):
    """The window positions along output row ``row`` of a 'valid', stride-1 correlation.

    Returns one :class:`ConvStep` per output column: the window's top-left corner is
    ``(row, j)``, ``products`` are the ``kh * kw`` terms of the sum, ``total`` their sum.
    """
    image = float_plane("conv_steps", "image", image)
    kernel = float_plane("conv_steps", "kernel", kernel)
    kh, kw = kernel.shape
    out_h, out_w = ops.output_size(image.shape[0], kh), ops.output_size(image.shape[1], kw)
    if not 0 <= row < out_h:
        raise ValueError(f"conv_steps: row must be an output row in [0, {out_h}); got {row!r}")
    steps = []
    for j in range(out_w):
        products = image[row : row + kh, j : j + kw] * kernel
        steps.append(ConvStep(row, j, products, float(products.sum())))
    return steps


def conv_animation(image, kernel, row, interval=400):
    """Animate a 'valid' correlation of ``kernel`` along one row of ``image``.

    Left: the image with the window. Middle: the window's products
    ``image[row + p, j + q] * kernel[p, q]`` and their sum. Right: the output row
    ``y[row, j]`` filling in, one sum per frame. Returns a ``FuncAnimation``.
    """
    steps = conv_steps(image, kernel, row)
    kh, kw = np.shape(kernel)
    totals = np.array([step.total for step in steps])
    limit = np.abs([step.products for step in steps]).max() or 1.0

    fig, (ax_image, ax_products, ax_row) = plt.subplots(
        1, 3, figsize=(9.6, 3.3), dpi=DPI, gridspec_kw={"width_ratios": [1, 1, 1.5]}
    )
    ax_image.imshow(image, cmap="gray_r")
    ax_image.set_title("input x and the window")
    ax_image.set_xlabel("column")
    ax_image.set_ylabel("row")
    window = Rectangle((-0.5, row - 0.5), kw, kh, fill=False, edgecolor="crimson", linewidth=2)
    ax_image.add_patch(window)

    products_image = ax_products.imshow(steps[0].products, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax_products.set_xticks(range(kw))
    ax_products.set_yticks(range(kh))
    ax_products.set_xlabel("kernel column q")
    ax_products.set_ylabel("kernel row p")
    labels = [[ax_products.text(q, p, "", ha="center", va="center", fontsize=MIN_FONT_PT) for q in range(kw)]
              for p in range(kh)]

    ax_row.set_xlim(-0.5, len(steps) - 0.5)
    margin = 0.1 * (np.ptp(totals) or 1.0)
    ax_row.set_ylim(totals.min() - margin, totals.max() + margin)
    ax_row.axhline(0, color="gray", linewidth=0.8)
    ax_row.set_xlabel("output column j")
    ax_row.set_ylabel(f"y[{row}, j]")
    ax_row.set_title(f"output row {row}")
    (line,) = ax_row.plot([], [], "o-", color="crimson", markersize=4)
    fig.tight_layout()

    def draw(frame):
        step = steps[frame]
        window.set_x(step.j - 0.5)
        products_image.set_data(step.products)
        for (p, q), value in np.ndenumerate(step.products):
            labels[p][q].set_text(f"{value + 0.0:+.2f}")  # + 0.0 turns -0.0 into 0.0
        ax_products.set_title(f"x·K at j={step.j}: sum {step.total:+.2f}")
        line.set_data(np.arange(frame + 1), totals[: frame + 1])
        return [window, products_image, line, *np.ravel(labels)]

    anim = animation.FuncAnimation(fig, draw, frames=len(steps), interval=interval, blit=False)
    plt.close(fig)  # the animation is shown as HTML, not as a static figure
    return anim


class PoolStep(NamedTuple):
    """One window of a max pooling: the winner ``(row, col)`` in input coordinates."""

    i: int
    j: int
    winner: tuple
    value: float


def pool_steps(x, size=2, stride=None):
    """Every window of a 'valid' max pooling of ``x``, in row-major order.

    ``stride`` defaults to ``size``. The winner is the window's first maximum in
    row-major order, the one whose gradient :func:`cnnbook.ops.max_pool2d_backward`
    routes back.
    """
    x = float_plane("pool_steps", "x", x)
    stride = size if stride is None else stride
    out_h, out_w = (ops.output_size(n, size, stride) for n in x.shape)
    steps = []
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride : i * stride + size, j * stride : j * stride + size]
            p, q = np.unravel_index(window.argmax(), window.shape)
            steps.append(PoolStep(i, j, (i * stride + int(p), j * stride + int(q)), float(window.max())))
    return steps


def pool_animation(x, size=2, stride=None, interval=500):
    """Animate max pooling of the small 2-D array ``x``: each window picks its winner.

    Left: ``x`` with its values, the current window and the winners so far. Right: the
    pooled output filling in. Returns a ``FuncAnimation``.
    """
    steps = pool_steps(x, size, stride)
    stride = size if stride is None else stride
    out_shape = (steps[-1].i + 1, steps[-1].j + 1)
    vmax = float(np.max(x)) or 1.0

    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(7.6, 3.8), dpi=DPI,
                                        gridspec_kw={"width_ratios": [x.shape[1], max(out_shape[1], 4)]})
    ax_in.imshow(x, cmap="Greys", vmin=0, vmax=vmax)
    for (r, c), value in np.ndenumerate(x):
        ax_in.text(c, r, f"{value:.1f}", ha="center", va="center", fontsize=MIN_FONT_PT,
                   color="white" if value > vmax / 2 else "black")
    ax_in.set_title(f"input, {size}×{size} windows, stride {stride}")
    ax_in.set_xlabel("column")
    ax_in.set_ylabel("row")
    window = Rectangle((-0.5, -0.5), size, size, fill=False, edgecolor="crimson", linewidth=2)
    ax_in.add_patch(window)
    (winners,) = ax_in.plot([], [], "o", markersize=11, markerfacecolor="none", markeredgecolor="crimson")

    pooled = np.full(out_shape, np.nan)
    out_image = ax_out.imshow(pooled, cmap="Greys", vmin=0, vmax=vmax)
    out_labels = {(s.i, s.j): ax_out.text(s.j, s.i, "", ha="center", va="center", fontsize=MIN_FONT_PT)
                  for s in steps}
    ax_out.set_xticks(range(out_shape[1]))
    ax_out.set_yticks(range(out_shape[0]))
    ax_out.set_xlabel("output column j")
    ax_out.set_ylabel("output row i")
    fig.tight_layout()

    def draw(frame):
        step = steps[frame]
        window.set_xy((step.j * stride - 0.5, step.i * stride - 0.5))
        done = steps[: frame + 1]
        winners.set_data([s.winner[1] for s in done], [s.winner[0] for s in done])
        pooled[step.i, step.j] = step.value
        out_image.set_data(pooled)
        label = out_labels[(step.i, step.j)]
        label.set_text(f"{step.value:.1f}")
        label.set_color("white" if step.value > vmax / 2 else "black")
        ax_out.set_title(f"y[{step.i}, {step.j}] = max = {step.value:.2f}")
        return [window, winners, out_image, label]

    anim = animation.FuncAnimation(fig, draw, frames=len(steps), interval=interval, blit=False)
    plt.close(fig)
    return anim
