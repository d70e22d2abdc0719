r"""NumPy reference layers of a small CNN: forward and backward passes.

Every function here computes what the matching Keras layer computes, with plain
NumPy, vectorised, so that a notebook can put our result next to Keras's and show
they agree. (One difference, at the edge: a NaN inside a max-pooling window gives
NaN here, while TensorFlow's kernels skip it; see :func:`max_pool2d`.) The readable loop versions that teach each formula live in the
notebooks; this module holds the fast, tested ones.

Layout (channels-last, as in Keras):

* images ``x``: ``(N, H, W, C)``, batch, height, width, channels;
* convolution kernels: ``(kh, kw, C_in, C_out)``, the layout of
  ``keras.layers.Conv2D(...).kernel``; biases: ``(C_out,)``;
* dense weights: ``(in, out)``, the layout of ``keras.layers.Dense(...).kernel``;
* class labels: integer class ids ``(N,)``, as in ``sparse_categorical_crossentropy``.

Every axis but the batch must be non-empty; an empty batch (``N = 0``) gives an
empty result, except in the loss, whose mean over no samples is undefined.

Any floating-point dtype works, and the result has the inputs' dtype. float16 inputs
are summed in float32 (matrix products, bias gradients, softmax denominators) and
the result is rounded to float16 once: summed in float16, a bias gradient over a
large batch loses most of its digits.

Every ``*_backward`` function takes the upstream gradient ``grad_out`` =
:math:`\partial L / \partial y` of a scalar loss :math:`L` with respect to the layer's
output :math:`y`, and returns the gradients with respect to the layer's inputs and
parameters (the chain rule, one layer at a time).

Bad input raises ``ValueError`` with a message that names the function, what it
expected and what it received.
"""

import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "output_size",
    "same_padding",
    "conv2d",
    "conv2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "dense",
    "dense_backward",
    "relu",
    "relu_backward",
    "flatten",
    "softmax",
    "log_softmax",
    "cross_entropy_from_logits",
    "softmax_cross_entropy_backward",
]

_IMAGE_AXES = "(batch, height, width, channels)"


# ----------------------------------------------------------------------------
# Argument checking: every public function fails early, saying what it expected.
# ----------------------------------------------------------------------------


def _float_array(fn, name, a, axes=None):
    """``a`` as a floating-point array, checking its number of axes if ``axes`` is given.

    ``axes`` is a string such as ``"(batch, height, width, channels)"``: its number of
    comma-separated names is the required ``ndim``.
    """
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(
            f"{fn}: {name} must be a floating-point array (float16, float32 or float64); "
            f"got dtype {a.dtype}. Convert it with {name}.astype('float32') "
            f"(8-bit images: {name}.astype('float32') / 255)."
        )
    if axes is not None:
        names = [axis.strip() for axis in axes.strip("()").split(",") if axis.strip()]
        ndim = len(names)
        if a.ndim != ndim:
            hint = ""
            if axes == _IMAGE_AXES and a.ndim == 2:
                hint = f"; for one grayscale image use {name}[None, :, :, None]"
            elif axes == _IMAGE_AXES and a.ndim == 3:
                hint = f"; for one image use {name}[None]"
            raise ValueError(f"{fn}: {name} must be {ndim}-D {axes}; got shape {a.shape}{hint}")
        for axis_name, length in zip(names, a.shape):
            if length == 0 and axis_name != "batch":
                raise ValueError(
                    f"{fn}: {name} has length 0 along its {axis_name} axis (shape {a.shape}, "
                    f"axes {axes}); every axis but the batch needs at least one element"
                )
    return a


def _labels_array(fn, labels, batch, classes):
    """Integer class ids ``(batch,)`` with values in ``[0, classes)``."""
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{fn}: labels must be integer class ids (like sparse_categorical_crossentropy); "
            f"got dtype {labels.dtype}. For one-hot labels use labels.argmax(axis=-1)."
        )
    if labels.shape != (batch,):
        raise ValueError(f"{fn}: labels must have shape ({batch},), one id per row of logits; "
                         f"got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"{fn}: labels must lie in [0, {classes}) for {classes} classes; "
                         f"got values from {labels.min()} to {labels.max()}")
    return labels


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_positive_int(value):
    return _is_int(value) and value > 0


def _positive_int(fn, name, value):
    if not _is_positive_int(value):
        raise ValueError(f"{fn}: {name} must be a positive integer; got {value!r}")
    return int(value)


def _positive_pair(fn, name, value):
    """An int or a pair of ints, all > 0, as a tuple ``(rows, cols)``."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(_is_positive_int(v) for v in pair):
        raise ValueError(f"{fn}: {name} must be a positive integer or a pair of positive "
                         f"integers; got {value!r}")
    return int(pair[0]), int(pair[1])


def _padding_mode(fn, padding):
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"{fn}: padding must be 'valid' or 'same'; got {padding!r}")
    return mode


def _check_grad_out(fn, grad_out, expected_shape):
    grad_out = _float_array(fn, "grad_out", grad_out)
    if grad_out.shape != tuple(expected_shape):
        raise ValueError(f"{fn}: grad_out must have the shape of the forward output, "
                         f"{tuple(expected_shape)}; got shape {grad_out.shape}")
    return grad_out


# ----------------------------------------------------------------------------
# Sums: float16 accumulates in float32.
# ----------------------------------------------------------------------------


def _matmul(a, b):
    """``a @ b``; for float16, computed in float32 and rounded to float16 once."""
    if np.result_type(a, b) == np.float16:
        return (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    return a @ b


def _sum(a, axis, keepdims=False):
    """``a.sum(axis)``; for float16, accumulated in float32 and rounded to float16 once."""
    if a.dtype == np.float16:
        return a.sum(axis=axis, keepdims=keepdims, dtype=np.float32).astype(np.float16)
    return a.sum(axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------------------
# Output sizes and padding.
# ----------------------------------------------------------------------------


def output_size(n, k, stride=1, padding="valid"):
    r"""Length of a convolution or pooling output along one axis.

    With input length :math:`n`, window :math:`k`, stride :math:`s` and :math:`p`
    zeros added on each side, the window fits at

    .. math:: n_\text{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1

    positions. ``'valid'`` means :math:`p = 0`, so
    :math:`\lfloor (n - k)/s \rfloor + 1`; ``'same'`` pads just enough that
    :math:`n_\text{out} = \lceil n / s \rceil` (see :func:`same_padding`).

    >>> output_size(28, 3)
    26
    >>> output_size(28, 3, stride=2, padding="same")
    14
    """
    n, k, s = (_positive_int("output_size", name, v) for name, v in
               (("n", n), ("k", k), ("stride", stride)))
    if _padding_mode("output_size", padding) == "same":
        return -(-n // s)
    if k > n:
        raise ValueError(f"output_size: window {k} is larger than the input length {n} "
                         "with 'valid' padding")
    return (n - k) // s + 1


def same_padding(n, k, stride=1):
    r"""Zeros ``(before, after)`` that TensorFlow/Keras add along one axis for ``'same'``.

    The total is the smallest padding that lets :math:`\lceil n/s \rceil` windows fit:

    .. math:: p_\text{total} = \max\big((\lceil n/s \rceil - 1)\, s + k - n,\; 0\big)

    split as ``before = p_total // 2`` and ``after = p_total - before``. For an even
    window the extra zero therefore goes *after* (bottom/right), as in TensorFlow.

    >>> same_padding(28, 3)
    (1, 1)
    >>> same_padding(28, 2, stride=1)
    (0, 1)
    """
    n, k, s = (_positive_int("same_padding", name, v) for name, v in
               (("n", n), ("k", k), ("stride", stride)))
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


# ----------------------------------------------------------------------------
# Sliding windows, shared by convolution and pooling.
# ----------------------------------------------------------------------------


class _Windows(NamedTuple):
    """Where a ``(kh, kw)`` window visits a padded image: the geometry of conv and pooling."""

    size: tuple  # (kh, kw)
    stride: tuple  # (sh, sw)
    pads: tuple  # ((top, bottom), (left, right))
    out: tuple  # (out_h, out_w)


def _window_geometry(fn, image_hw, size, stride, padding, window_name):
    """Padding and output size for windows of ``size`` over an image of ``image_hw``."""
    if padding == "same":
        pads = tuple(same_padding(n, k, s) for n, k, s in zip(image_hw, size, stride))
    else:
        pads = ((0, 0), (0, 0))
    padded = tuple(n + before + after for n, (before, after) in zip(image_hw, pads))
    if size[0] > padded[0] or size[1] > padded[1]:
        raise ValueError(
            f"{fn}: the {window_name} ({size[0]}x{size[1]}) must fit inside the "
            f"{padding}-padded input ({padded[0]}x{padded[1]}); use a smaller {window_name}, "
            "a larger input or padding='same'"
        )
    out = tuple((p - k) // s + 1 for p, k, s in zip(padded, size, stride))
    return _Windows(size, stride, pads, out)


def _windows(x, geometry, pad_value=0.0):
    """All windows of ``x`` as a view of shape ``(N, out_h, out_w, kh, kw, C)``.

    ``windows[n, i, j]`` is the patch that produces output pixel ``(i, j)``: no data
    is copied, the view just re-reads the padded image with different strides.
    """
    (top, bottom), (left, right) = geometry.pads
    if top or bottom or left or right:
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=pad_value)
    (sh, sw), (out_h, out_w) = geometry.stride, geometry.out
    view = sliding_window_view(x, geometry.size, axis=(1, 2))  # (N, H', W', C, kh, kw)
    view = view[:, : (out_h - 1) * sh + 1 : sh, : (out_w - 1) * sw + 1 : sw]
    # Channels last again: in (kh, kw, C) order a patch matches a Keras kernel's layout,
    # and copying it (im2col) is several times faster because C is the contiguous axis.
    return view.transpose(0, 1, 2, 4, 5, 3)


def _add_windows(window_grads, image_shape, geometry):
    """Adjoint of :func:`_windows`: add every window's values back where it was read.

    ``window_grads`` has shape ``(N, out_h, out_w, kh, kw, C)``. Where windows overlap,
    their contributions add; whatever lands on the padding is dropped. This is the
    gradient of "take the windows" (col2im, a scatter-add).
    """
    n, h, w, c = image_shape
    (top, bottom), (left, right) = geometry.pads
    (kh, kw), (sh, sw), (out_h, out_w) = geometry.size, geometry.stride, geometry.out
    padded = np.zeros((n, h + top + bottom, w + left + right, c), dtype=window_grads.dtype)
    # Loop over the kh*kw offsets inside a window only; each step adds the whole batch
    # of windows at once (a strided slice), so the cost is kh*kw vectorised adds.
    for i in range(kh):
        for j in range(kw):
            padded[:, i : i + (out_h - 1) * sh + 1 : sh, j : j + (out_w - 1) * sw + 1 : sw] += (
                window_grads[:, :, :, i, j]
            )
    return padded[:, top : top + h, left : left + w]


# ----------------------------------------------------------------------------
# Convolution.
# ----------------------------------------------------------------------------


def _conv_inputs(fn, x, kernel, stride, padding):
    x = _float_array(fn, "x", x, _IMAGE_AXES)
    kernel_axes = "(kernel_height, kernel_width, in_channels, out_channels)"
    kernel = _float_array(fn, "kernel", kernel, kernel_axes)
    if kernel.shape[2] != x.shape[3]:
        raise ValueError(f"{fn}: kernel expects {kernel.shape[2]} input channels "
                         f"(kernel shape {kernel.shape}) but x has {x.shape[3]} "
                         f"(x shape {x.shape})")
    stride = _positive_pair(fn, "stride", stride)
    padding = _padding_mode(fn, padding)
    geometry = _window_geometry(fn, x.shape[1:3], kernel.shape[:2], stride, padding, "kernel")
    return x, kernel, geometry


def _im2col(x, geometry):
    """The windows of ``x`` copied into a matrix ``(N*out_h*out_w, kh*kw*C)``, one patch a row."""
    windows = _windows(x, geometry)
    return np.ascontiguousarray(windows).reshape(-1, math.prod(windows.shape[3:]))


def conv2d(x, kernel, bias=None, stride=1, padding="valid"):
    r"""2-D convolution exactly as ``keras.layers.Conv2D`` computes it.

    As in the other deep-learning libraries, Keras computes a *cross-correlation* (the
    kernel is not flipped). For output pixel :math:`(i, j)` and output channel :math:`d`,

    .. math::

        y_{n,i,j,d} = b_d + \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1} \sum_{c=0}^{C-1}
                      \tilde x_{n,\, s_h i + u,\, s_w j + v,\, c}\; K_{u,v,c,d}

    where :math:`\tilde x` is ``x`` padded with zeros (none for ``'valid'``; for
    ``'same'`` the TensorFlow split of :func:`same_padding`) and :math:`s_h, s_w` are
    the strides. The output has shape ``(N, out_h, out_w, C_out)`` with the sizes of
    :func:`output_size`.

    Implementation (im2col): every input patch is copied into one row of a matrix
    :math:`X` of shape ``(N*out_h*out_w, kh*kw*C)``; the kernel reshaped to
    ``(kh*kw*C, C_out)`` is a matrix :math:`W`; then :math:`Y = XW + b` is a single
    matrix product, which NumPy hands to BLAS.

    Parameters
    ----------
    x : float array ``(N, H, W, C)``
    kernel : float array ``(kh, kw, C, C_out)``, the layout of ``Conv2D.kernel``
    bias : float array ``(C_out,)`` or None
    stride : int or ``(sh, sw)``
    padding : ``'valid'`` or ``'same'``
    """
    fn = "conv2d"
    x, kernel, geometry = _conv_inputs(fn, x, kernel, stride, padding)
    out = _matmul(_im2col(x, geometry), kernel.reshape(-1, kernel.shape[3]))
    if bias is not None:
        bias = _float_array(fn, "bias", bias, "(out_channels,)")
        if bias.shape != (kernel.shape[3],):
            raise ValueError(f"{fn}: bias must have shape ({kernel.shape[3]},), one value per "
                             f"output channel of the kernel; got shape {bias.shape}")
        out += bias
    return out.reshape(x.shape[0], *geometry.out, kernel.shape[3])


def conv2d_backward(x, kernel, grad_out, stride=1, padding="valid"):
    r"""Gradients of :func:`conv2d`: returns ``(grad_x, grad_kernel, grad_bias)``.

    With :math:`g = \partial L/\partial y` (``grad_out``, shape of the output) and the
    notation of :func:`conv2d`:

    * bias: every output pixel adds :math:`b_d` once, so
      :math:`\partial L/\partial b_d = \sum_{n,i,j} g_{n,i,j,d}`;
    * kernel: :math:`K_{u,v,c,d}` multiplies :math:`\tilde x_{n, s_h i+u, s_w j+v, c}` in
      every output pixel, so

      .. math:: \frac{\partial L}{\partial K_{u,v,c,d}} = \sum_{n,i,j}
                \tilde x_{n,\, s_h i+u,\, s_w j+v,\, c}\; g_{n,i,j,d},

      a correlation of the input with ``grad_out``; in im2col form it is
      :math:`X^\top G` with :math:`G` = ``grad_out`` as a ``(N*out_h*out_w, C_out)`` matrix;
    * input: each patch receives :math:`G W^\top` (one row per output pixel), and
      every patch is added back where it was read, overlapping patches summing up
      (a scatter-add, col2im). Written out, this is a *full* correlation of
      ``grad_out`` (with :math:`s-1` zeros inserted between its pixels when the stride
      is :math:`s`) with the kernel flipped in both spatial axes and its channel axes
      swapped:

      .. math:: \frac{\partial L}{\partial \tilde x_{n,p,q,c}} =
                \sum_{u,v,d} g_{n,\, (p-u)/s_h,\, (q-v)/s_w,\, d}\; K_{u,v,c,d}

      over the :math:`u, v` for which the indices are integers within the output.
      The gradient on the zero padding is dropped.

    The shapes are those of ``x``, ``kernel`` and ``(C_out,)``.
    """
    fn = "conv2d_backward"
    x, kernel, geometry = _conv_inputs(fn, x, kernel, stride, padding)
    c_out = kernel.shape[3]
    grad_out = _check_grad_out(fn, grad_out, (x.shape[0], *geometry.out, c_out))
    grad_rows = grad_out.reshape(-1, c_out)
    grad_kernel = _matmul(_im2col(x, geometry).T, grad_rows).reshape(kernel.shape)
    grad_patches = _matmul(grad_rows, kernel.reshape(-1, c_out).T)
    grad_x = _add_windows(
        grad_patches.reshape(x.shape[0], *geometry.out, *kernel.shape[:3]), x.shape, geometry
    )
    return grad_x, grad_kernel, _sum(grad_rows, axis=0)


# ----------------------------------------------------------------------------
# Pooling.
# ----------------------------------------------------------------------------


def _pool_inputs(fn, x, pool_size, stride, padding):
    x = _float_array(fn, "x", x, _IMAGE_AXES)
    pool_size = _positive_pair(fn, "pool_size", pool_size)
    # Keras's default: non-overlapping windows.
    stride = pool_size if stride is None else _positive_pair(fn, "stride", stride)
    padding = _padding_mode(fn, padding)
    return x, _window_geometry(fn, x.shape[1:3], pool_size, stride, padding, "pool window")


def max_pool2d(x, pool_size=2, stride=None, padding="valid"):
    r"""Max pooling as ``keras.layers.MaxPooling2D``.

    .. math:: y_{n,i,j,c} = \max_{0 \le u < p_h,\; 0 \le v < p_w}
              \tilde x_{n,\, s_h i + u,\, s_w j + v,\, c}

    ``stride`` defaults to ``pool_size`` (non-overlapping windows), as in Keras; any
    other stride works too. With ``'same'`` padding, :math:`\tilde x` is padded with
    :math:`-\infty` (the padding never wins), split as in :func:`same_padding`.
    Output shape: ``(N, out_h, out_w, C)``.

    On finite inputs this is exactly what MaxPooling2D computes. Two edges differ
    from TensorFlow's CPU kernel (checked on TensorFlow 2.21), which starts every
    window at the lowest finite float and keeps a value only if it is greater:

    * a window holding a NaN gives NaN here (NumPy's ``max``; the JAX and PyTorch
      backends propagate NaN too), so a broken value is not hidden; TensorFlow
      skips NaN, and gives the lowest float (-3.4e38 in float32) for a window of
      NaNs only;
    * a window of :math:`-\infty` only gives :math:`-\infty` here, the lowest float
      in TensorFlow.
    """
    x, geometry = _pool_inputs("max_pool2d", x, pool_size, stride, padding)
    return _windows(x, geometry, pad_value=-np.inf).max(axis=(3, 4))


def max_pool2d_backward(x, grad_out, pool_size=2, stride=None, padding="valid"):
    r"""Gradient of :func:`max_pool2d` with respect to ``x``.

    Inside each window only the maximum reaches the output, so the window's upstream
    gradient :math:`g_{n,i,j,c}` goes entirely to the position of that maximum, and
    the other positions get 0. Overlapping windows (stride < pool size) add their
    contributions.

    Ties: the gradient goes to the *first* maximum in row-major window order (top to
    bottom, then left to right), one position per window, and always to a real
    pixel, never to the padding, even when the window's real pixels are all
    :math:`-\infty`. TensorFlow's CPU kernel makes the same choices; on random float
    inputs ties do not occur. A window holding a NaN sends its gradient to its first
    NaN, the value :func:`max_pool2d` returns for it (TensorFlow, which skips NaN,
    sends it to the largest number).
    """
    fn = "max_pool2d_backward"
    x, geometry = _pool_inputs(fn, x, pool_size, stride, padding)
    grad_out = _check_grad_out(fn, grad_out, (x.shape[0], *geometry.out, x.shape[3]))
    windows = _windows(x, geometry, pad_value=-np.inf)
    kh, kw = geometry.size
    flat = windows.transpose(0, 1, 2, 5, 3, 4).reshape(*windows.shape[:3], x.shape[3], kh * kw)
    # The candidates are the real pixels equal to the window's maximum (or NaN, which
    # is then the maximum). Every window holds a real pixel, so argmax finds a True:
    # the first candidate. A plain argmax could pick a padding cell when a window's
    # real pixels are -inf, and the gradient would be lost.
    is_real = _real_cells(x.shape[1:3], geometry).reshape(*geometry.out, 1, kh * kw)
    is_maximum = (flat == flat.max(axis=-1, keepdims=True)) | np.isnan(flat)
    winner = (is_maximum & is_real).argmax(axis=-1)  # (N, out_h, out_w, C)
    is_winner = np.arange(kh * kw) == winner[..., None]
    window_grads = np.where(is_winner, grad_out[..., None], 0)
    window_grads = window_grads.reshape(*flat.shape[:4], kh, kw).transpose(0, 1, 2, 4, 5, 3)
    return _add_windows(window_grads, x.shape, geometry)


def _real_cells(image_hw, geometry):
    """Which cells of each window are real pixels, not padding: bool ``(out_h, out_w, kh, kw)``."""
    ones = np.ones((1, *image_hw, 1), dtype=bool)
    return _windows(ones, geometry, pad_value=False)[0, ..., 0]


def _window_counts(image_hw, geometry, dtype):
    """How many real (non-padding) pixels each window covers, shape ``(out_h, out_w, 1)``."""
    return _real_cells(image_hw, geometry).sum(axis=(2, 3), dtype=dtype)[..., None]


def avg_pool2d(x, pool_size=2, stride=None, padding="valid"):
    r"""Average pooling exactly as ``keras.layers.AveragePooling2D``.

    .. math:: y_{n,i,j,c} = \frac{1}{|W_{ij}|} \sum_{(p,q) \in W_{ij}} x_{n,p,q,c}

    where :math:`W_{ij}` is the set of *real* pixels under window :math:`(i, j)`:
    with ``'same'`` padding, Keras (TensorFlow) excludes the padding from the count,
    so a corner window of a 2x2 pool may average fewer than 4 pixels. With
    ``'valid'`` padding :math:`|W_{ij}| = p_h p_w`. ``stride`` defaults to ``pool_size``.
    """
    x, geometry = _pool_inputs("avg_pool2d", x, pool_size, stride, padding)
    sums = _sum(_windows(x, geometry), axis=(3, 4))
    return sums / _window_counts(x.shape[1:3], geometry, x.dtype)


def avg_pool2d_backward(x, grad_out, pool_size=2, stride=None, padding="valid"):
    r"""Gradient of :func:`avg_pool2d` with respect to ``x``.

    Each of the :math:`|W_{ij}|` real pixels of a window contributed
    :math:`1/|W_{ij}|` of the output, so each receives :math:`g_{n,i,j,c} / |W_{ij}|`;
    overlapping windows add. ``x`` is only used for its shape.
    """
    fn = "avg_pool2d_backward"
    x, geometry = _pool_inputs(fn, x, pool_size, stride, padding)
    grad_out = _check_grad_out(fn, grad_out, (x.shape[0], *geometry.out, x.shape[3]))
    share = grad_out / _window_counts(x.shape[1:3], geometry, grad_out.dtype)
    # Every cell of a window gets the same share: one (kh, kw) block per output pixel.
    window_shape = (*share.shape[:3], *geometry.size, x.shape[3])
    window_grads = np.broadcast_to(share[:, :, :, None, None, :], window_shape)
    return _add_windows(window_grads, x.shape, geometry)


# ----------------------------------------------------------------------------
# Dense layer, ReLU, flatten.
# ----------------------------------------------------------------------------


def _dense_inputs(fn, x, w):
    x = _float_array(fn, "x", x, "(batch, features)")
    w = _float_array(fn, "w", w, "(in_features, out_features)")
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"{fn}: w expects {w.shape[0]} input features (w shape {w.shape}) "
                         f"but x has {x.shape[1]} (x shape {x.shape})")
    return x, w


def dense(x, w, b=None):
    r"""Fully connected layer as ``keras.layers.Dense`` (without activation):
    :math:`y = x W + b`.

    ``x``: ``(N, in)``, ``w``: ``(in, out)`` (the layout of ``Dense.kernel``),
    ``b``: ``(out,)`` or None. Returns ``(N, out)``.
    """
    fn = "dense"
    x, w = _dense_inputs(fn, x, w)
    y = _matmul(x, w)
    if b is not None:
        b = _float_array(fn, "b", b, "(out_features,)")
        if b.shape != (w.shape[1],):
            raise ValueError(f"{fn}: b must have shape ({w.shape[1]},), one value per output "
                             f"feature of w; got shape {b.shape}")
        y = y + b
    return y


def dense_backward(x, w, grad_out):
    r"""Gradients of :func:`dense`: returns ``(grad_x, grad_w, grad_b)``.

    From :math:`y = xW + b` and :math:`G = \partial L/\partial y` of shape ``(N, out)``:

    .. math:: \frac{\partial L}{\partial x} = G W^\top, \qquad
              \frac{\partial L}{\partial W} = x^\top G, \qquad
              \frac{\partial L}{\partial b} = \textstyle\sum_n G_{n,:}
    """
    fn = "dense_backward"
    x, w = _dense_inputs(fn, x, w)
    grad_out = _check_grad_out(fn, grad_out, (x.shape[0], w.shape[1]))
    return _matmul(grad_out, w.T), _matmul(x.T, grad_out), _sum(grad_out, axis=0)


def relu(x):
    r"""Rectified linear unit, elementwise: :math:`\max(x, 0)`."""
    x = _float_array("relu", "x", x)
    return np.maximum(x, 0)


def relu_backward(x, grad_out):
    r"""Gradient of :func:`relu`: ``grad_out`` where :math:`x > 0`, else 0.

    At :math:`x = 0` the derivative is undefined; like TensorFlow we use 0.
    """
    fn = "relu_backward"
    x = _float_array(fn, "x", x)
    grad_out = _check_grad_out(fn, grad_out, x.shape)
    return np.where(x > 0, grad_out, 0)


def flatten(x):
    """Flatten every sample to a vector, as ``keras.layers.Flatten``: ``(N, ...) -> (N, -1)``.

    On ``(N, H, W, C)`` this is a row-major reshape, so feature ``(h*W + w)*C + c`` is
    pixel ``(h, w)``, channel ``c``. Its gradient is ``grad_out.reshape(x.shape)``.
    """
    x = np.asarray(x)
    if x.ndim < 1:
        raise ValueError(f"flatten: x must have a batch axis, at least 1-D; got shape {x.shape}")
    return x.reshape(x.shape[0], math.prod(x.shape[1:]))


# ----------------------------------------------------------------------------
# Softmax and the cross-entropy loss.
# ----------------------------------------------------------------------------


def _softmax_input(fn, z, axis):
    """``z`` as a float array and ``axis`` as a tuple of its axes, each of length > 0."""
    z = _float_array(fn, "z", z)
    if z.ndim == 0:
        raise ValueError(f"{fn}: z must have at least one axis, such as (classes,) or "
                         "(batch, classes); got a scalar")
    axes = (axis,) if np.ndim(axis) == 0 else tuple(np.ravel(axis).tolist())
    if not axes or not all(_is_int(a) for a in axes):
        raise ValueError(f"{fn}: axis must be an integer or a tuple of integers; got {axis!r}")
    for a in axes:
        if not -z.ndim <= a < z.ndim:
            raise ValueError(f"{fn}: axis {a} is out of range for z of shape {z.shape}; "
                             f"use an axis from {-z.ndim} to {z.ndim - 1} (-1 is the last)")
    positive = [a % z.ndim for a in axes]
    if len(set(positive)) != len(positive):
        raise ValueError(f"{fn}: axis {axis!r} names the same axis twice")
    for a in positive:
        if z.shape[a] == 0:
            raise ValueError(f"{fn}: z has length 0 along axis {a} (shape {z.shape}); "
                             "a softmax needs at least one class to share the probability")
    return z, tuple(positive)


def softmax(z, axis=-1):
    r"""Softmax along ``axis``: :math:`\sigma(z)_k = e^{z_k} / \sum_j e^{z_j}`.

    Computed as :math:`e^{z_k - m} / \sum_j e^{z_j - m}` with :math:`m = \max_j z_j`:
    the same value (the factor :math:`e^{-m}` cancels), but no exponential overflows,
    so logits like 1000 give finite probabilities that sum to 1. ``axis`` is an int
    or a tuple of ints (a softmax over their joint entries); each must exist in ``z``
    and have a length of at least 1.
    """
    z, axis = _softmax_input("softmax", z, axis)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / _sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    r"""Logarithm of :func:`softmax`, computed stably with log-sum-exp:

    .. math:: \log \sigma(z)_k = z_k - m - \log \sum_j e^{z_j - m},
              \qquad m = \max_j z_j.

    Unlike ``np.log(softmax(z))`` this never takes the log of an underflowed 0.
    ``axis`` as in :func:`softmax`.
    """
    z, axis = _softmax_input("log_softmax", z, axis)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(_sum(np.exp(shifted), axis=axis, keepdims=True))


def _logits_and_labels(fn, logits, labels):
    logits = _float_array(fn, "logits", logits, "(batch, classes)")
    if logits.shape[0] == 0:
        raise ValueError(f"{fn}: logits has no rows (shape {logits.shape}); the mean loss "
                         "over an empty batch is undefined")
    labels = _labels_array(fn, labels, *logits.shape)
    return logits, labels


def cross_entropy_from_logits(logits, labels):
    r"""Mean cross-entropy loss of a softmax classifier, from its logits.

    For logits :math:`z` of shape ``(N, K)`` and integer labels :math:`t_n`,

    .. math:: L = -\frac{1}{N} \sum_{n} \log \sigma(z_n)_{t_n},

    computed with :func:`log_softmax`, hence stable for large logits. Equal to
    ``keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)``
    averaged over the batch, which is what ``model.fit`` minimises. Returns a scalar.
    """
    logits, labels = _logits_and_labels("cross_entropy_from_logits", logits, labels)
    return -log_softmax(logits)[np.arange(len(labels)), labels].mean()


def softmax_cross_entropy_backward(logits, labels):
    r"""Gradient of :func:`cross_entropy_from_logits` with respect to the logits.

    Softmax and cross-entropy together have the famously simple derivative

    .. math:: \frac{\partial L}{\partial z_{n,k}} = \frac{\sigma(z_n)_k - [k = t_n]}{N},

    the predicted probabilities minus the one-hot labels, divided by :math:`N`
    because the loss is a mean. Returns an array of the shape of ``logits``.
    """
    logits, labels = _logits_and_labels("softmax_cross_entropy_backward", logits, labels)
    grad = softmax(logits)
    grad[np.arange(len(labels)), labels] -= 1
    return grad / len(labels)
