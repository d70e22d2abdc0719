"""Explorers that compute in the reader's browser: kernels, pooling, softmax, LIME.

The published book has no kernel, so an explorer cannot call Python when a reader
moves a control. Each explorer here is therefore an ``IPython.display.HTML`` object
holding one self-contained fragment: its controls, a ``<canvas>`` or two, the data
(a digit's pixels, a network's logits) as JSON, and a few dozen lines of plain
JavaScript that redo the computation on every change. Nothing is loaded from
anywhere, and no ``require`` or module is used, so the same output works in the
static page, in Jupyter (trusted notebooks run output scripts) and in Colab's
output frames.

Every explorer mirrors a pure Python function that computes what it shows
(:func:`feature_map`, :func:`pool`, :func:`softmax_with_temperature`); the browser
test drives the controls and checks the page's numbers against :mod:`cnnbook.ops`.
Each script writes what it computed to its root element's ``data-result`` (JSON),
and :func:`explorer_data` reads back the data a fragment embeds. The plot functions
draw one state as a static matplotlib figure.
"""

import hashlib
import html
import itertools
import json
import re

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
# Where the nine typed numbers start when a reader picks "custom": a Laplacian.
CUSTOM_START = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype="float32")
STRIDES = (1, 2, 3)
POOL_SIZES = (2, 3)
POOL_KINDS = ("max", "average")


def feature_map(image, kernel, stride=1, padding="valid"):
    """The feature map of one grayscale ``image`` (H, W) under one ``kernel`` (kh, kw).

    What a ``Conv2D`` layer with a single filter and no bias computes, as a 2-D array.
    """
    image = float_plane("feature_map", "image", image)
    kernel = float_plane("feature_map", "kernel", kernel)
    x, k = image[None, :, :, None], kernel[:, :, None, None]
    return ops.conv2d(x, k, stride=stride, padding=padding)[0, :, :, 0]


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
    number = (int, float, np.floating, np.integer)
    if not isinstance(temperature, number) or not temperature > 0:
        raise ValueError(
            "softmax_with_temperature: temperature must be a positive number; "
            f"got {temperature!r}"
        )
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
    shown = ax_map.imshow(
        result, cmap="RdBu_r", vmin=-np.abs(result).max(), vmax=np.abs(result).max()
    )
    fig.colorbar(shown, ax=ax_map, fraction=0.046)
    ax_map.set_title(
        f"feature map {result.shape[0]}×{result.shape[1]} (stride {stride}, {padding})"
    )
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
    for ax, shown, title in [
        (ax_in, image, f"input {image.shape[0]}×{image.shape[1]}"),
        (
            ax_out,
            result,
            f"{kind} pooling {size}×{size}, stride {stride}: "
            f"{result.shape[0]}×{result.shape[1]}",
        ),
    ]:
        ax.imshow(shown, cmap="gray_r", vmin=0, vmax=max(float(np.max(image)), 1e-12))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("column")
        ax.set_ylabel("row")
    fig.tight_layout()
    return fig


def plot_softmax(logits, temperature=1.0, class_names=None):
    """Bar chart of the softmax probabilities of one logit vector at a temperature."""
    probabilities = softmax_with_temperature(logits, temperature)
    names = (
        [str(k) for k in range(len(probabilities))]
        if class_names is None
        else list(class_names)
    )
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    colors = [
        "crimson" if k == probabilities.argmax() else "steelblue"
        for k in range(len(probabilities))
    ]
    ax.bar(names, probabilities, color=colors)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("class")
    ax.set_ylabel("probability")
    ax.set_title(f"softmax(z / T) at temperature T = {temperature:g}")
    fig.tight_layout()
    return fig


# -------------------------------------------------------------------------------------
# The browser layer: one HTML fragment per explorer.

# Shared by every fragment: its look (light and dark themes alike: text and borders
# take the page's colour) and the drawing helpers of its script.
STYLE = """<style>
.cnnbook-explorer {font-size: 0.9rem; line-height: 1.4; margin: 0.5em 0;}
.cnnbook-explorer .cx-row {display: flex; flex-wrap: wrap; gap: 0.4em 1.2em;
  align-items: flex-start; margin: 0.4em 0;}
.cnnbook-explorer select, .cnnbook-explorer input {font: inherit; color: inherit;
  background: transparent; border: 1px solid currentColor; border-radius: 3px;}
.cnnbook-explorer option {color: #111; background: #fff;}
.cnnbook-explorer input[type=number] {width: 4.6em;}
.cnnbook-explorer canvas {width: 168px; height: auto; image-rendering: pixelated;
  border: 1px solid #767676; display: block; cursor: crosshair;}
.cnnbook-explorer .cx-grid {display: grid; grid-template-columns: repeat(3, auto);
  gap: 2px 4px; justify-content: start;}
.cnnbook-explorer .cx-bar {height: 0.9em; background: #2166ac; display: inline-block;
  vertical-align: middle;}
.cnnbook-explorer .cx-top {background: #e66101;}
.cnnbook-explorer .cx-pair {white-space: nowrap;}
.cnnbook-explorer .cx-hidden {position: absolute; width: 1px; height: 1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;}
</style>"""

# Blue for negative values, orange for positive (colour-blind safe); grey for ink.
HELPERS = r"""
  const part = role => root.querySelector(`[data-role="${role}"]`);
  const low = [33, 102, 172], mid = [247, 247, 247], high = [230, 97, 1];
  const diverging = t => {
    const end = t < 0 ? low : high, u = Math.min(1, Math.abs(t));
    return mid.map((v, i) => Math.round(v + (end[i] - v) * u));
  };
  const grey = v => {
    const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
    return [g, g, g];
  };
  const limit = grid => Math.max(...grid.flat().map(Math.abs)) || 1;
  const fmt = v => (Math.abs(v) < 5e-5 ? 0 : v).toFixed(Math.abs(v) >= 10 ? 1 : 3);
  const draw = (canvas, grid, colour, box) => {
    const rows = grid.length, cols = grid[0].length;
    const cell = Math.max(2, Math.floor(168 / Math.max(rows, cols)));
    canvas.width = cols * cell;
    canvas.height = rows * cell;
    const ctx = canvas.getContext("2d");
    grid.forEach((row, r) => row.forEach((v, c) => {
      ctx.fillStyle = `rgb(${colour(v)})`;
      ctx.fillRect(c * cell, r * cell, cell, cell);
    }));
    if (box) {  // [row, column, height, width] in grid cells: black, then white
      [["#000", 3], ["#fff", 1]].forEach(([style, width]) => {
        ctx.strokeStyle = style;
        ctx.lineWidth = width;
        ctx.strokeRect(box[1] * cell, box[0] * cell, box[3] * cell, box[2] * cell);
      });
    }
    return cell;
  };
  const colourBar = (canvas, top) => {
    const ctx = canvas.getContext("2d");
    for (let x = 0; x < canvas.width; x++) {
      ctx.fillStyle = `rgb(${diverging(top * (2 * x / (canvas.width - 1) - 1))})`;
      ctx.fillRect(x, 0, 1, canvas.height);
    }
  };
  const publish = result => {
    root.dataset.result = JSON.stringify(result);
    (window.cnnbookExplorers = window.cnnbookExplorers || {})[root.id] = result;
  };
"""

_ids = itertools.count()
_DATA = re.compile(r'<script type="application/json"[^>]*>(.*?)</script>', re.S)


def _numbers(array, digits=9):
    """A float array as nested lists of numbers that JSON keeps exactly to float32."""
    return json.loads(
        np.array2string(
            np.asarray(array, dtype="float64"),
            separator=",",
            threshold=np.inf,
            max_line_width=np.inf,
            formatter={"float_kind": lambda v: f"{v:.{digits}g}"},
        )
    )


def _fragment(kind, data, body, script):
    """The HTML object of one explorer: ``body`` and ``script`` say ``@ID`` for its id.

    The id is ``cnnbook-<kind>-<hash of the data>-<counter>``: the same in every fresh
    run, and different for every explorer of a page or of a kernel session.
    """
    from IPython.display import HTML

    payload = json.dumps(data, separators=(",", ":"))
    digest = hashlib.sha1(f"{kind}:{payload}".encode()).hexdigest()[:8]
    uid = f"cnnbook-{kind}-{digest}-{next(_ids)}"
    safe = payload.replace("</", "<\\/")
    text = (
        f'<div class="cnnbook-explorer" id="{uid}" data-kind="{kind}">{STYLE}'
        f'<script type="application/json">{safe}</script>{body}'
        "<script>(function () {\n"
        "  // Found from its own script (Jupyter may run a copy of it).\n"
        "  const own = document.currentScript;\n"
        f"  const root = (own && own.closest(\".cnnbook-explorer\")) ||\n"
        f"    document.getElementById(\"{uid}\");\n"
        "  if (!root || root.dataset.ready) return;\n  root.dataset.ready = \"1\";\n"
        "  const data = JSON.parse(\n"
        "    root.querySelector('script[type=\"application/json\"]')"
        ".textContent);\n" + HELPERS + script + "\n})();</script></div>"
    )
    return HTML(text.replace("@ID", uid))


def explorer_data(explorer):
    """The data an explorer embeds (its JSON), from the HTML object or its text."""
    text = getattr(explorer, "data", explorer)
    found = _DATA.search(str(text))
    if not found:
        raise ValueError(
            "explorer_data: expected the HTML of a cnnbook explorer, with an "
            "embedded <script type=\"application/json\">; found none"
        )
    return json.loads(found.group(1))


def _select(role, label, options, value=None):
    """A labelled ``<select>``; ``options`` are (value, text) pairs."""
    items = "".join(
        f'<option value="{html.escape(str(v))}"{" selected" if v == value else ""}>'
        f"{html.escape(str(text))}</option>"
        for v, text in options
    )
    return (
        f'<span class="cx-pair"><label for="@ID-{role}">{label}</label> '
        f'<select id="@ID-{role}" data-role="{role}">{items}</select></span>'
    )


def _number(role, label, value, hidden_label=False, **limits):
    """A labelled number ``<input>``; a hidden label is for screen readers only."""
    attributes = "".join(f' {name}="{v}"' for name, v in limits.items())
    css = ' class="cx-hidden"' if hidden_label else ""
    return (
        f'<span class="cx-pair"><label for="@ID-{role}"{css}>{label}</label> '
        f'<input type="number" id="@ID-{role}" data-role="{role}" value="{value}"'
        f"{attributes}></span>"
    )


def _canvas(role, label):
    return f'<canvas data-role="{role}" role="img" aria-label="{label}"></canvas>'


def _colour_bar(title, colours):
    """A titled colour bar (the script draws it), with its two ends and 0 under it."""
    return (
        f'<div><div>{title}</div><canvas data-role="bar" width="168" height="14" '
        f'role="img" aria-label="colour bar from {colours}" style="height: 14px">'
        '</canvas><div style="display: flex; justify-content: space-between; '
        'width: 168px"><span data-role="low"></span><span>0</span>'
        '<span data-role="high"></span></div></div>'
    )


def _choice(fn, name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{fn}: {name} must be one of {list(allowed)}; got {value!r}")
    return value


CONV_SCRIPT = r"""
  const kernels = data.kernels, image = data.image;
  const n = image.length, m = image[0].length;
  const cells = [...root.querySelectorAll("input[data-role^=k]")];
  let kernel = kernels[part("preset").value];
  const show = k => cells.forEach((cell, i) => {
    cell.value = +k[Math.floor(i / 3)][i % 3].toFixed(4);
  });
  const geometry = (size, stride, same) => {
    if (!same) return [0, Math.floor((size - 3) / stride) + 1];
    const out = Math.ceil(size / stride);
    return [Math.floor(Math.max((out - 1) * stride + 3 - size, 0) / 2), out];
  };
  const pixel = (r, c) => (r >= 0 && r < n && c >= 0 && c < m ? image[r][c] : 0);
  const update = () => {
    const stride = +part("stride").value, same = part("padding").value === "same";
    const [top, rows] = geometry(n, stride, same);
    const [left, cols] = geometry(m, stride, same);
    const map = [];
    for (let i = 0; i < rows; i++) {
      map.push([]);
      for (let j = 0; j < cols; j++) {
        let sum = 0;
        for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++)
          sum += pixel(i * stride + u - top, j * stride + v - left) * kernel[u][v];
        map[i].push(sum);
      }
    }
    const row = part("row"), col = part("col");
    row.max = rows - 1; col.max = cols - 1;
    const i = Math.min(Math.max(+row.value || 0, 0), rows - 1);
    const j = Math.min(Math.max(+col.value || 0, 0), cols - 1);
    row.value = i; col.value = j;
    const r0 = i * stride - top, c0 = j * stride - left, top_ = limit(map);
    draw(part("input"), image, grey, [r0, c0, 3, 3]);
    draw(part("map"), map, v => diverging(v / top_), [i, j, 1, 1]);
    colourBar(part("bar"), 1);
    part("low").textContent = fmt(-top_);
    part("high").textContent = fmt(top_);
    const flat = map.flat();
    part("size").textContent = `${rows} × ${cols}, values from ` +
      `${fmt(Math.min(...flat))} to ${fmt(Math.max(...flat))}`;
    const terms = [];
    part("window").innerHTML = "";
    for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) {
      const x = pixel(r0 + u, c0 + v), span = document.createElement("span");
      span.textContent = `${x.toFixed(2)}×${+kernel[u][v].toFixed(3)}`;
      part("window").appendChild(span);
      terms.push(x * kernel[u][v]);
    }
    part("sum").textContent =
      `y[${i}, ${j}] = sum of the 9 products = ${fmt(map[i][j])}`;
    publish({map, kernel, stride, padding: same ? "same" : "valid", row: i, col: j});
  };
  part("preset").addEventListener("change", () => {
    const name = part("preset").value;
    kernel = name === "custom" ? data.custom : kernels[name];
    show(kernel);
    update();
  });
  cells.forEach(cell => cell.addEventListener("input", () => {
    const typed = cells.map(c => parseFloat(c.value));
    if (typed.some(Number.isNaN)) {
      part("sum").textContent = "Type a number in each of the nine kernel cells.";
      return;
    }
    kernel = [0, 1, 2].map(r => typed.slice(3 * r, 3 * r + 3));
    part("preset").value = "custom";
    update();
  }));
  ["stride", "padding", "row", "col"].forEach(
    role => part(role).addEventListener("input", update));
  part("map").addEventListener("click", event => {
    const box = event.target.getBoundingClientRect();
    const map = JSON.parse(root.dataset.result).map;
    part("row").value = Math.floor((event.clientY - box.top) / box.height * map.length);
    part("col").value =
      Math.floor((event.clientX - box.left) / box.width * map[0].length);
    update();
  });
  show(kernel);
  update();
"""


def conv_explorer(image, kernel="vertical edge", stride=1, padding="valid"):
    """An explorer of :func:`feature_map` on ``image`` that computes in the browser.

    The reader picks a kernel from :data:`KERNELS` (or types nine numbers), a stride
    (1 to 3) and a padding ('valid' or 'same'), and sees the feature map in a blue to
    orange colour map with its range, and, for the output position picked (click the
    map, or type its row and column), the 3x3 window and its sum of products.
    ``kernel``, ``stride`` and ``padding`` are the settings shown first. Returns an
    ``IPython.display.HTML``; display it as a cell's last line.
    """
    image = float_plane("conv_explorer", "image", image)
    _choice("conv_explorer", "kernel", kernel, KERNELS)
    _choice("conv_explorer", "stride", stride, STRIDES)
    _choice("conv_explorer", "padding", padding, ("valid", "same"))
    # The position shown first: the strongest response, where there is something to see.
    shown = np.abs(feature_map(image, KERNELS[kernel], stride, padding))
    start = np.unravel_index(shown.argmax(), shown.shape)
    data = {
        "image": _numbers(image),
        "custom": _numbers(CUSTOM_START),
        "kernels": {name: _numbers(k) for name, k in KERNELS.items()},
    }
    presets = [(name, name) for name in KERNELS] + [
        ("custom", "custom (type 9 numbers)")
    ]
    cells = "".join(
        _number(
            f"k{u}{v}",
            f"kernel row {u + 1}, column {v + 1}",
            0,
            hidden_label=True,
            step="any",
        )
        for u in range(3)
        for v in range(3)
    )
    body = (
        '<div class="cx-row">'
        + _select("preset", "kernel", presets, kernel)
        + _select("stride", "stride", [(s, s) for s in STRIDES], stride)
        + _select("padding", "padding", [(p, p) for p in ("valid", "same")], padding)
        + "</div>"
        '<div class="cx-row"><div><div>kernel K (type to change)</div>'
        f'<div class="cx-grid">{cells}</div></div>'
        "<div>"
        + _number("row", "output row", int(start[0]), min=0)
        + " "
        + _number("col", "column", int(start[1]), min=0)
        + '<div>window × kernel:</div><div class="cx-grid" data-role="window"></div>'
        '<div data-role="sum" aria-live="polite"></div></div></div>'
        '<div class="cx-row"><div><div>input digit, window outlined</div>'
        + _canvas("input", "the input digit with the 3 by 3 window outlined")
        + "</div><div><div>feature map (click a position)</div>"
        + _canvas("map", "the feature map in blue (negative) to orange (positive)")
        + '<div data-role="size"></div></div>'
        + _colour_bar("colour scale", "blue (negative) to orange (positive)")
        + "</div>"
    )
    return _fragment("conv", data, body, CONV_SCRIPT)


POOL_SCRIPT = r"""
  const image = data.image, top_ = Math.max(...image.flat()) || 1;
  const update = () => {
    const size = +part("size").value, stride = +part("stride").value;
    const average = part("kind").value === "average";
    const rows = Math.floor((image.length - size) / stride) + 1;
    const cols = Math.floor((image[0].length - size) / stride) + 1;
    const map = [];
    for (let i = 0; i < rows; i++) {
      map.push([]);
      for (let j = 0; j < cols; j++) {
        const window = [];
        for (let u = 0; u < size; u++) for (let v = 0; v < size; v++)
          window.push(image[i * stride + u][j * stride + v]);
        map[i].push(average ? window.reduce((a, b) => a + b, 0) / window.length
                            : Math.max(...window));
      }
    }
    draw(part("input"), image, v => grey(v / top_), [0, 0, size, size]);
    draw(part("map"), map, v => grey(v / top_));
    part("out").textContent = `${average ? "average" : "max"} pooling ` +
      `${size} × ${size}, stride ${stride}: ${rows} × ${cols}`;
    publish({map, size, stride, kind: average ? "average" : "max"});
  };
  ["size", "stride", "kind"].forEach(
    role => part(role).addEventListener("input", update));
  update();
"""


def pooling_explorer(image, size=2, stride=2, kind="max"):
    """An explorer of :func:`pool` on ``image`` ('valid' padding), run in the browser.

    The reader picks the window (2 or 3), the stride (1 to 3) and max or average
    pooling, and sees the input, with the first window outlined, and the pooled map at
    the same display size. ``size``, ``stride`` and ``kind`` are the first settings.
    """
    image = float_plane("pooling_explorer", "image", image)
    _choice("pooling_explorer", "size", size, POOL_SIZES)
    _choice("pooling_explorer", "stride", stride, STRIDES)
    _choice("pooling_explorer", "kind", kind, POOL_KINDS)
    body = (
        '<div class="cx-row">'
        + _select("size", "window", [(s, f"{s} × {s}") for s in POOL_SIZES], size)
        + _select("stride", "stride", [(s, s) for s in STRIDES], stride)
        + _select("kind", "type", [(k, k) for k in POOL_KINDS], kind)
        + "</div>"
        '<div class="cx-row"><div><div>input, first window outlined</div>'
        + _canvas("input", "the input digit with the first pooling window outlined")
        + "</div><div><div>pooled map</div>"
        + _canvas("map", "the pooled map, drawn at the same size as the input")
        + '<div data-role="out"></div></div></div>'
    )
    return _fragment("pool", {"image": _numbers(image)}, body, POOL_SCRIPT)


SOFTMAX_SCRIPT = r"""
  const names = data.names;
  const update = () => {
    const row = +part("digit").value, temperature = Math.pow(10, +part("log_t").value);
    const z = data.logits[row], top = Math.max(...z);
    const e = z.map(v => Math.exp((v - top) / temperature));
    const total = e.reduce((a, b) => a + b, 0), probabilities = e.map(v => v / total);
    const best = probabilities.indexOf(Math.max(...probabilities));
    part("t").textContent = `T = ${temperature.toPrecision(3)}`;
    part("bars").innerHTML = "";
    probabilities.forEach((p, k) => {
      const line = document.createElement("div");
      line.innerHTML =
        `<span style="display: inline-block; width: 5em">class ${names[k]}` +
        `</span><span class="cx-bar${k === best ? " cx-top" : ""}" ` +
        `style="width: ${(p * 12).toFixed(3)}em"></span> ${p.toFixed(3)}`;
      part("bars").appendChild(line);
    });
    if (data.images) draw(part("image"), data.images[row], grey);
    publish({probabilities, row, temperature});
  };
  ["digit", "log_t"].forEach(role => part(role).addEventListener("input", update));
  update();
"""


def softmax_explorer(logits, labels, images=None, class_names=None):
    """An explorer of :func:`softmax_with_temperature` over real logits, in the browser.

    ``logits`` is ``(N, classes)``, ``labels`` the N true classes, ``images`` (optional)
    the N digits. The reader picks a digit and a temperature from 0.1 to 10 on a log
    scale, and sees the probabilities as bars with their values (top class in orange).
    """
    logits = np.asarray(logits, dtype="float64")
    if logits.ndim != 2 or len(labels) != len(logits):
        raise ValueError(
            "softmax_explorer: expected logits (N, classes) and N labels; "
            f"got logits of shape {logits.shape} and {len(labels)} labels"
        )
    names = (
        [str(k) for k in range(logits.shape[1])] if class_names is None else class_names
    )
    if len(names) != logits.shape[1]:
        raise ValueError(
            f"softmax_explorer: expected {logits.shape[1]} class names; "
            f"got {len(names)}"
        )
    data = {"logits": _numbers(logits), "names": [str(name) for name in names]}
    if images is not None:
        images = np.asarray(images)
        if images.ndim != 3 or len(images) != len(logits):
            raise ValueError(
                "softmax_explorer: expected images (N, height, width) for "
                f"the N = {len(logits)} logits; got shape {images.shape}"
            )
        data["images"] = [
            _numbers(float_plane("softmax_explorer", "image", image), 4)
            for image in images
        ]
    options = [
        (n, f"test digit {n} (true class {label})") for n, label in enumerate(labels)
    ]
    body = (
        '<div class="cx-row">'
        + _select("digit", "digit", options, 0)
        + '<label for="@ID-log_t">temperature (log scale, 0.1 to 10)</label>'
        '<input type="range" id="@ID-log_t" data-role="log_t" min="-1" max="1" '
        'step="0.01" value="0"> <output for="@ID-log_t" data-role="t"></output></div>'
        '<div class="cx-row">'
        + (
            _canvas("image", "the digit whose logits are shown")
            if images is not None
            else ""
        )
        + '<div data-role="bars"></div></div>'
    )
    return _fragment("softmax", data, body, SOFTMAX_SCRIPT)


LIME_SCRIPT = r"""
  const update = () => {
    const d = +part("digit").value, s = +part("samples").value;
    const digit = data.digits[d], weights = data.weights[d][s], top_ = data.limits[d];
    const map = data.segments[d].map(row => row.map(segment => weights[segment]));
    const ink = v => v > 0.25;
    // LIME's weights, blue for the class and orange against it; the stroke darker.
    draw(part("map"), map.map((row, r) => row.map((w, c) => [w, digit[r][c]])),
         ([w, x]) => diverging(-w / top_).map(v => Math.round(v * (ink(x) ? 0.6 : 1))));
    draw(part("input"), digit, grey);
    colourBar(part("bar"), -1);
    part("low").textContent = fmt(-top_);
    part("high").textContent = fmt(top_);
    const samples = data.samples[s].toLocaleString("en");
    part("title").textContent = `${data.titles[d]}, ${samples} samples`;
    publish({map, digit: d, samples: data.samples[s]});
  };
  ["digit", "samples"].forEach(role => part(role).addEventListener("input", update));
  update();
"""


def lime_explorer(digits, segments, weights, sample_counts, titles):
    """Switch between pre-computed LIME explanations in the browser: digit and samples.

    LIME needs the model, so the static page cannot compute an explanation; instead it
    embeds one per digit and sample count, and paints each superpixel with its weight.
    ``digits`` is ``(D, H, W)``, ``segments`` the D superpixel maps (integers from 0),
    and ``weights[d][s]`` digit d's weight vector (one per superpixel) for the explained
    class at ``sample_counts[s]``; ``titles`` names the D digits. One colour scale per
    digit, shared by its sample counts, so that the maps can be compared.
    """
    digits, segments = np.asarray(digits), np.asarray(segments)
    if digits.ndim != 3 or segments.shape != digits.shape:
        raise ValueError(
            "lime_explorer: expected digits (D, H, W) and segments of the same shape; "
            f"got {digits.shape} and {segments.shape}"
        )
    counts = [int(s.max()) + 1 for s in segments]
    shapes = [np.shape(w) for w in weights]
    if shapes != [(len(sample_counts), n) for n in counts]:
        raise ValueError(
            f"lime_explorer: expected for each digit {len(sample_counts)} weight "
            f"vectors, one weight per superpixel ({counts}); got shapes {shapes}"
        )
    if len(titles) != len(digits):
        raise ValueError(
            f"lime_explorer: expected {len(digits)} titles; got {len(titles)}"
        )
    data = {
        "digits": [
            _numbers(float_plane("lime_explorer", "digit", d), 4) for d in digits
        ],
        "segments": [s.astype(int).tolist() for s in segments],
        "weights": [_numbers(w) for w in weights],
        "limits": [float(f"{np.abs(w).max() or 1.0:.9g}") for w in weights],
        "samples": [int(s) for s in sample_counts],
        "titles": [str(t) for t in titles],
    }
    body = (
        '<div class="cx-row">'
        + _select("digit", "digit", [(d, t) for d, t in enumerate(titles)], 0)
        + _select(
            "samples",
            "num_samples",
            [(s, f"{n:,}") for s, n in enumerate(sample_counts)],
            0,
        )
        + "</div>"
        '<div data-role="title" aria-live="polite"></div><div class="cx-row"><div>'
        + _canvas("input", "the digit explained")
        + "</div><div>"
        + _canvas(
            "map",
            "LIME's weight of each superpixel: blue for the class, orange "
            "against it",
        )
        + "</div>"
        + _colour_bar("LIME weight", "orange (against the class) to blue (for it)")
        + "</div>"
    )
    return _fragment("lime", data, body, LIME_SCRIPT)
