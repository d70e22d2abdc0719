r"""The article's CNN as one network in NumPy: forward, backward, SGD, adam and training.

Chapter 3 derives every layer's forward and backward pass (:mod:`cnnbook.ops`);
this module chains them into the whole network of the article,

    conv1 (3x3, 32, ReLU) -> pool1 (2x2 max) -> conv2 (3x3, 64, ReLU) -> pool2 (2x2 max)
    -> flatten -> dense_hidden (64, ReLU) -> dense_out (10 logits; softmax in the loss),

and trains it. Chapter 3.4 writes the same chain out line by line, where it teaches;
here it is table-driven, so that a backward pass can also start at any layer (the
receptive field of one unit is the nonzero part of *its* input gradient).

Weights are the list that ``model.get_weights()`` returns for the article's Keras model
(:func:`cnnbook.models.build_article_cnn`), in the same order and layouts, float32:

====  ======================  ===================
 i    name                    shape (28x28 digits)
====  ======================  ===================
 0    conv1/kernel            (3, 3, 1, 32)
 1    conv1/bias              (32,)
 2    conv2/kernel            (3, 3, 32, 64)
 3    conv2/bias              (64,)
 4    dense_hidden/kernel     (1600, 64)
 5    dense_hidden/bias       (64,)
 6    dense_out/kernel        (64, 10)
 7    dense_out/bias          (10,)
====  ======================  ===================

so the same arrays go back with ``model.set_weights(weights)``. The loss is the mean
cross-entropy of the softmax of the logits, what ``model.fit`` minimises for the
article's ``sparse_categorical_crossentropy``. Optimizers are functions that return
*new* arrays: nothing the caller holds is changed.

Bad input (weights that do not fit the architecture, images of the wrong layout,
labels out of range) raises ``ValueError`` saying what was expected.
"""

import contextlib
import functools
from typing import NamedTuple

import numpy as np

from cnnbook import ops

__all__ = [
    "PARAMETER_NAMES",
    "LAYER_NAMES",
    "parameter_shapes",
    "check_weights",
    "initial_weights",
    "forward",
    "backward",
    "loss_and_gradients",
    "input_gradient",
    "predict",
    "accuracy",
    "sgd_step",
    "AdamState",
    "adam_step",
    "train",
]

PARAMETER_NAMES = (
    "conv1/kernel",
    "conv1/bias",
    "conv2/kernel",
    "conv2/bias",
    "dense_hidden/kernel",
    "dense_hidden/bias",
    "dense_out/kernel",
    "dense_out/bias",
)

# Each layer of the Keras model, what it computes, and the index of its kernel in the
# weight list (its bias follows). Keras's conv1, conv2 and dense_hidden end in a ReLU;
# dense_out's softmax is folded into the loss, whose gradient is (p - y) / N.
_LAYERS = (
    ("conv1", "conv_relu", 0),
    ("pool1", "max_pool", None),
    ("conv2", "conv_relu", 2),
    ("pool2", "max_pool", None),
    ("flatten", "flatten", None),
    ("dense_hidden", "dense_relu", 4),
    ("dense_out", "dense", 6),
)
LAYER_NAMES = tuple(name for name, _, _ in _LAYERS)
_FN = "cnnbook.network"


# ----------------------------------------------------------------------------
# The architecture and its weights.
# ----------------------------------------------------------------------------


def parameter_shapes(input_shape=(28, 28, 1), num_classes=10):
    """The shapes of the article CNN's 8 weight arrays for images of ``input_shape``.

    Both 3x3 convolutions are 'valid' and both 2x2 poolings drop an odd last row or
    column, as in Keras: 28x28 -> 26 -> 13 -> 11 -> 5, so dense_hidden reads
    5 * 5 * 64 = 1,600 features.

    >>> parameter_shapes()[4]
    (1600, 64)
    """
    if len(input_shape) != 3 or not all(ops._is_positive_int(n) for n in input_shape):
        raise ValueError(f"{_FN}.parameter_shapes: input_shape must be (height, width, channels) "
                         f"of positive integers; got {input_shape!r}")
    height, width, channels = input_shape
    if min(height, width) < 10:
        raise ValueError(f"{_FN}.parameter_shapes: the article's CNN needs images of at least "
                         f"10x10 pixels (two 3x3 convolutions and two 2x2 poolings); got {height}x{width}")
    if not ops._is_positive_int(num_classes) or num_classes < 2:
        raise ValueError(f"{_FN}.parameter_shapes: num_classes must be an integer >= 2; got {num_classes!r}")
    rows, cols = ((((n - 2) // 2) - 2) // 2 for n in (height, width))
    return (
        (3, 3, channels, 32), (32,),
        (3, 3, 32, 64), (64,),
        (rows * cols * 64, 64), (64,),
        (64, num_classes), (num_classes,),
    )


def _check_list(fn, name, arrays):
    if isinstance(arrays, np.ndarray) or not isinstance(arrays, (list, tuple)):
        raise ValueError(f"{fn}: {name} must be a list of arrays, as model.get_weights() "
                         f"returns them; got {type(arrays).__name__}")


def check_weights(weights, input_shape=None):
    """``weights`` as a list of 8 float arrays that fit the article's CNN, else ``ValueError``.

    The number of input channels and of classes are read from the weights themselves;
    the flattened size that dense_hidden expects must match images of ``input_shape``
    (default: 28x28 with the kernel's channels). The arrays are not copied.
    """
    _check_list(_FN, "weights", weights)
    if len(weights) != len(PARAMETER_NAMES):
        raise ValueError(f"{_FN}: the article's CNN has {len(PARAMETER_NAMES)} weight arrays "
                         f"({', '.join(PARAMETER_NAMES)}); got {len(weights)}")
    arrays = [ops._float_array(_FN, f"weights[{i}] ({name})", w) for i, (name, w)
              in enumerate(zip(PARAMETER_NAMES, weights))]
    if arrays[0].ndim != 4 or arrays[7].ndim != 1:
        raise ValueError(f"{_FN}: weights[0] (conv1/kernel) must be 4-D (3, 3, channels, 32) and "
                         f"weights[7] (dense_out/bias) 1-D (classes,); got shapes "
                         f"{arrays[0].shape} and {arrays[7].shape}")
    if input_shape is None:
        input_shape = (28, 28, arrays[0].shape[2])
    expected = parameter_shapes(tuple(input_shape), arrays[7].shape[0])
    for i, (name, array, shape) in enumerate(zip(PARAMETER_NAMES, arrays, expected)):
        if array.shape != shape:
            where = f" for {input_shape[0]}x{input_shape[1]}x{input_shape[2]} images" if i == 4 else ""
            raise ValueError(f"{_FN}: weights[{i}] ({name}) must have shape {shape}{where}; got "
                             f"{array.shape}. Pass the arrays of the article's CNN in the order of "
                             "model.get_weights()")
    return arrays


def initial_weights(seed=0, input_shape=(28, 28, 1), num_classes=10):
    r"""Fresh float32 weights, initialised the way Keras initialises the article's layers.

    Kernels are Glorot-uniform (Keras's default): uniform on :math:`[-l, l]` with
    :math:`l = \sqrt{6 / (n_\text{in} + n_\text{out})}`, where a 3x3 convolution has
    :math:`n_\text{in} = 9\,C_\text{in}` and :math:`n_\text{out} = 9\,C_\text{out}`;
    biases start at 0. The random numbers come from NumPy (``seed``), not from Keras.
    """
    rng = np.random.default_rng(seed)
    weights = []
    for shape in parameter_shapes(input_shape, num_classes):
        if len(shape) == 1:
            weights.append(np.zeros(shape, dtype="float32"))
            continue
        receptive = int(np.prod(shape[:-2]))  # 9 for a 3x3 kernel, 1 for a dense matrix
        limit = np.sqrt(6 / (receptive * (shape[-2] + shape[-1])))
        weights.append(rng.uniform(-limit, limit, shape).astype("float32"))
    return weights


def _images_and_weights(fn, images, weights):
    """Images ``(N, H, W, C)`` and the weight arrays that fit them."""
    images = ops._float_array(fn, "images", images, ops._IMAGE_AXES)
    return images, check_weights(weights, images.shape[1:])


def _labels(fn, labels, batch, classes):
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:  # Keras accepts (N, 1) too
        labels = labels[:, 0]
    return ops._labels_array(fn, labels, batch, classes)


# ----------------------------------------------------------------------------
# Forward and backward through the whole network.
# ----------------------------------------------------------------------------


# The two layer kinds that cost the most, in the shapes of the article's CNN only: a 3x3
# 'valid' stride-1 convolution and a 2x2 stride-2 'valid' max pooling. They compute exactly
# what ops.conv2d / ops.max_pool2d and their *_backward compute (tests/test_network.py
# checks it), but faster for training: the forward pass keeps the convolution's patch
# matrix and the pooling's winners for the backward pass, and the first convolution's
# gradient with respect to the images, which training never needs, is not computed.


def _patches_3x3(x):
    """Every 3x3 patch of ``x`` as a row: ``(N*(H-2)*(W-2), 9*C)`` in the kernel's (u, v, c) order."""
    n, h, w, c = x.shape
    shifted = [x[:, u : u + h - 2, v : v + w - 2, :] for u in range(3) for v in range(3)]
    return np.concatenate(shifted, axis=-1).reshape(-1, 9 * c)


def _conv_3x3(x, kernel, bias):
    """``ops.conv2d(x, kernel, bias)`` for a 3x3 kernel; returns ``(output, patches)``."""
    patches = _patches_3x3(x)
    out = patches @ kernel.reshape(-1, kernel.shape[3]) + bias
    return out.reshape(x.shape[0], x.shape[1] - 2, x.shape[2] - 2, kernel.shape[3]), patches


def _conv_3x3_backward(x_shape, patches, kernel, grad_out, need_input_gradient):
    """``ops.conv2d_backward`` from the kept patches: ``(grad_x or None, grad_kernel, grad_bias)``."""
    rows = grad_out.reshape(-1, kernel.shape[3])
    grad_kernel = (patches.T @ rows).reshape(kernel.shape)
    grad_x = None
    if need_input_gradient:
        n, h, w, c = x_shape
        grad_patches = (rows @ kernel.reshape(-1, kernel.shape[3]).T).reshape(n, h - 2, w - 2, 9 * c)
        grad_x = np.zeros(x_shape, dtype=grad_patches.dtype)
        for k, (u, v) in enumerate((u, v) for u in range(3) for v in range(3)):
            grad_x[:, u : u + h - 2, v : v + w - 2, :] += grad_patches[..., k * c : (k + 1) * c]
    return grad_x, grad_kernel, rows.sum(axis=0)


def _corners(x):
    """The four cells of every 2x2 window (an odd last row or column dropped, as Keras does)."""
    rows, cols = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
    return [x[:, u:rows:2, v:cols:2, :] for u in (0, 1) for v in (0, 1)]


def _max_pool_2x2(x):
    """``ops.max_pool2d(x, 2)``; returns ``(output, winners)``, one boolean mask per corner."""
    corners = _corners(x)
    out = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
    # The gradient goes to the *first* maximum in row-major window order, as in TensorFlow
    # (a blank patch of the digit gives four equal values).
    winners, taken = [], np.zeros(out.shape, dtype=bool)
    for corner in corners[:3]:
        winner = (corner == out) & ~taken
        winners.append(winner)
        taken |= winner
    winners.append(~taken)
    return out, winners


def _max_pool_2x2_backward(x_shape, winners, grad_out):
    """``ops.max_pool2d_backward``: each window's gradient to its winner, 0 elsewhere."""
    grad_x = np.zeros(x_shape, dtype=grad_out.dtype)
    for (u, v), winner in zip(((0, 0), (0, 1), (1, 0), (1, 1)), winners):
        rows, cols = winner.shape[1] * 2, winner.shape[2] * 2
        grad_x[:, u:rows:2, v:cols:2, :] = np.where(winner, grad_out, 0)
    return grad_x


class Trace(NamedTuple):
    """What the forward pass keeps for the backward pass, per layer name.

    ``inputs[name]`` is the layer's input, ``pre_activations[name]`` the value before its
    ReLU (conv1, conv2, dense_hidden), ``outputs[name]`` its output, and ``kept[name]``
    what its backward pass reuses (a convolution's patches, a pooling's winners).
    """

    inputs: dict
    pre_activations: dict
    outputs: dict
    kept: dict


def _run_forward(weights, images, until="dense_out"):
    """Run the layers up to ``until`` (included); return the last output and a Trace."""
    trace = Trace({}, {}, {}, {})
    x = images
    for name, kind, index in _LAYERS:
        trace.inputs[name] = x
        if kind == "conv_relu":
            a, trace.kept[name] = _conv_3x3(x, weights[index], weights[index + 1])
            trace.pre_activations[name] = a
            x = ops.relu(a)
        elif kind == "max_pool":
            x, trace.kept[name] = _max_pool_2x2(x)
        elif kind == "flatten":
            x = ops.flatten(x)
        else:
            x = ops.dense(x, weights[index], weights[index + 1])
            if kind == "dense_relu":
                trace.pre_activations[name] = x
                x = ops.relu(x)
        trace.outputs[name] = x
        if name == until:
            break
    return x, trace


def forward(weights, images, keep=False):
    """The article CNN's logits ``(N, classes)`` for ``images`` ``(N, H, W, C)``.

    The softmax of the logits gives Keras's ``model.predict``. With ``keep=True``,
    returns ``(logits, trace)``: the :class:`Trace` that :func:`backward` needs.
    """
    images, weights = _images_and_weights(f"{_FN}.forward", images, weights)
    logits, trace = _run_forward(weights, images)
    return (logits, trace) if keep else logits


def backward(weights, trace, grad, start="dense_out", input_gradient=False):
    r"""Backpropagation: the gradients of every weight array, from ``grad`` at ``start``.

    ``grad`` is :math:`\partial L / \partial y` for the output :math:`y` of layer
    ``start`` (for the loss, ``start="dense_out"`` and ``grad`` the gradient with respect
    to the logits, :func:`cnnbook.ops.softmax_cross_entropy_backward`). Going back layer
    by layer, each layer's ``*_backward`` of :mod:`cnnbook.ops` turns the gradient at its
    output into the gradient at its input (the chain rule) and yields its own weights'
    gradients on the way. Returns the list of 8 gradients (zeros for layers after
    ``start``, which the gradient never reaches), plus the gradient with respect to the
    images when ``input_gradient=True``.
    """
    fn = f"{_FN}.backward"
    weights = check_weights(weights, trace.inputs["conv1"].shape[1:])
    if start not in trace.outputs:
        raise ValueError(f"{fn}: start must be a layer the forward pass ran, one of "
                         f"{list(trace.outputs)}; got {start!r}")
    grad = ops._check_grad_out(fn, grad, trace.outputs[start].shape)
    grads = [np.zeros_like(w) for w in weights]
    stop = LAYER_NAMES.index(start)
    for name, kind, index in reversed(_LAYERS[: stop + 1]):
        x = trace.inputs[name]
        if name in trace.pre_activations:
            grad = ops.relu_backward(trace.pre_activations[name], grad)
        if kind == "conv_relu":
            # Below conv1 are the images: their gradient is only wanted on request.
            grad, grads[index], grads[index + 1] = _conv_3x3_backward(
                x.shape, trace.kept[name], weights[index], grad, name != "conv1" or input_gradient)
        elif kind == "max_pool":
            grad = _max_pool_2x2_backward(x.shape, trace.kept[name], grad)
        elif kind == "flatten":
            grad = grad.reshape(x.shape)
        else:
            grad, grads[index], grads[index + 1] = ops.dense_backward(x, weights[index], grad)
    return (grads, grad) if input_gradient else grads


def loss_and_gradients(weights, images, labels, blas_threads=1):
    """The mean cross-entropy loss on a batch and its gradient for every weight array.

    Returns ``(loss, grads)``, ``grads`` in the order and shapes of ``weights``: the
    quantities that ``tf.GradientTape`` gives for the Keras model's trainable variables.
    ``blas_threads`` caps NumPy's BLAS threads meanwhile (see :func:`train`).
    """
    fn = f"{_FN}.loss_and_gradients"
    images, weights = _images_and_weights(fn, images, weights)
    labels = _labels(fn, labels, len(images), weights[7].shape[0])
    with _blas_threads(fn, blas_threads):
        logits, trace = _run_forward(weights, images)
        loss = ops.cross_entropy_from_logits(logits, labels)
        grads = backward(weights, trace, ops.softmax_cross_entropy_backward(logits, labels))
    return float(loss), grads


def input_gradient(weights, images, layer, unit, blas_threads=1):
    """Gradient of one unit of ``layer`` with respect to the images, shape of ``images``.

    ``unit`` indexes the layer's output without the batch axis: ``(row, col, channel)``
    for a feature map, ``(feature,)`` after flatten. A shorter index stands for all the
    units it leaves open, as in NumPy (``(row, col)``: every channel at that position),
    and gives the gradient of their sum. Each image gets the gradient of its own copy of
    the unit. Pixels where it is nonzero lie inside the unit's receptive field; pixels
    outside it cannot change the unit at all. ``blas_threads``: see :func:`train`.
    """
    fn = f"{_FN}.input_gradient"
    images, weights = _images_and_weights(fn, images, weights)
    if layer not in LAYER_NAMES:
        raise ValueError(f"{fn}: layer must be one of {list(LAYER_NAMES)}; got {layer!r}")
    with _blas_threads(fn, blas_threads):
        output, trace = _run_forward(weights, images, until=layer)
    unit = tuple(np.atleast_1d(unit))
    shape = output.shape[1:]
    if not (0 < len(unit) <= len(shape) and all(ops._is_positive_int(u + 1) for u in unit)
            and all(u < n for u, n in zip(unit, shape))):
        raise ValueError(f"{fn}: unit must index the output of {layer}, whose shape per image is "
                         f"{shape}, with 1 to {len(shape)} whole numbers; got {unit!r}")
    seed = np.zeros_like(output)
    seed[(slice(None), *unit)] = 1
    with _blas_threads(fn, blas_threads):
        return backward(weights, trace, seed, start=layer, input_gradient=True)[1]


@functools.lru_cache(maxsize=1)
def _thread_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - then NumPy keeps its own setting
        return None
    return ThreadpoolController()


def _blas_threads(fn, count):
    """Limit NumPy's BLAS to ``count`` threads inside the block (``None``: leave it alone).

    The article's CNN multiplies small matrices, a few per minibatch. A second BLAS
    thread gains little for them on an idle 2-core CPU, and when the cores are shared
    with other processes, BLAS threads that wait for each other make every product
    several times slower (``benchmarks/bench_network.py`` measures both). Uses
    threadpoolctl (installed with scikit-learn) where it is present.
    """
    if count is None or _thread_controller() is None:
        return contextlib.nullcontext()
    return _thread_controller().limit(limits=ops._positive_int(fn, "blas_threads", count), user_api="blas")


def predict(weights, images, batch_size=128, blas_threads=1):
    """Logits for many images, computed ``batch_size`` at a time (to bound memory).

    ``blas_threads`` caps NumPy's BLAS threads meanwhile (see :func:`train`).
    """
    fn = f"{_FN}.predict"
    images, weights = _images_and_weights(fn, images, weights)
    batch_size = ops._positive_int(fn, "batch_size", batch_size)
    with _blas_threads(fn, blas_threads):
        chunks = [_run_forward(weights, images[i : i + batch_size])[0]
                  for i in range(0, len(images), batch_size)]
    return np.concatenate(chunks) if chunks else np.zeros((0, weights[7].shape[0]), weights[7].dtype)


def accuracy(weights, images, labels, batch_size=128, blas_threads=1):
    """The fraction of ``images`` whose largest logit is at the true label."""
    logits = predict(weights, images, batch_size, blas_threads)
    labels = _labels(f"{_FN}.accuracy", labels, len(logits), logits.shape[1])
    return float(np.mean(logits.argmax(axis=1) == labels))


# ----------------------------------------------------------------------------
# Optimizers: each returns new arrays and leaves its inputs as they were.
# ----------------------------------------------------------------------------


def _matching(fn, weights, grads):
    """Two lists of float arrays, the gradients in the shapes of the weights."""
    _check_list(fn, "weights", weights)
    _check_list(fn, "grads", grads)
    if len(grads) != len(weights):
        raise ValueError(f"{fn}: grads must hold one gradient per weight array "
                         f"({len(weights)}); got {len(grads)}")
    weights = [ops._float_array(fn, f"weights[{i}]", w) for i, w in enumerate(weights)]
    grads = [ops._float_array(fn, f"grads[{i}]", g) for i, g in enumerate(grads)]
    for i, (w, g) in enumerate(zip(weights, grads)):
        if g.shape != np.shape(w):
            raise ValueError(f"{fn}: grads[{i}] must have the shape of weights[{i}], "
                             f"{np.shape(w)}; got {g.shape}")
    return weights, grads


def _learning_rate(fn, learning_rate):
    if isinstance(learning_rate, bool) or not np.isscalar(learning_rate) or not learning_rate > 0:
        raise ValueError(f"{fn}: learning_rate must be a positive number; got {learning_rate!r}")
    return float(learning_rate)


def sgd_step(weights, grads, learning_rate=0.01):
    r"""One step of plain gradient descent: :math:`w \leftarrow w - \eta\, g` for every array.

    ``keras.optimizers.SGD(learning_rate)`` (no momentum) makes the same update.
    Returns a new list of arrays, in the dtype of ``weights``.
    """
    fn = f"{_FN}.sgd_step"
    weights, grads = _matching(fn, weights, grads)
    rate = _learning_rate(fn, learning_rate)
    return [w - np.asarray(rate * g, dtype=w.dtype) for w, g in zip(weights, grads)]


class AdamState(NamedTuple):
    """Adam's memory between steps: the step count and the two moving averages.

    ``m`` (first moment, the mean of recent gradients) and ``v`` (second moment, of
    their squares) hold one array per weight array. Start with ``state=None``.
    """

    iterations: int
    m: list
    v: list


def adam_step(weights, grads, state=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    r"""One adam step, exactly as ``keras.optimizers.Adam``: returns ``(weights, state)``.

    At step :math:`t` (1, 2, ...), for every array with gradient :math:`g`:

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g^2,

        w_t = w_{t-1} - \alpha_t\, \frac{m_t}{\sqrt{v_t} + \epsilon}, \qquad
        \alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}.

    This is Keras's form (and section 2 of Kingma and Ba's paper): the bias corrections
    :math:`\hat m_t = m_t / (1 - \beta_1^t)` and :math:`\hat v_t = v_t / (1 - \beta_2^t)` of
    the textbook update :math:`w_t = w_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)`
    are folded into the step size :math:`\alpha_t`, with :math:`\epsilon` outside them.
    The two forms are the same update with :math:`\epsilon` replaced by
    :math:`\epsilon \sqrt{1 - \beta_2^t}`. The defaults are Keras's. Nothing passed in
    is modified; the new weights and a new :class:`AdamState` are returned.
    """
    fn = f"{_FN}.adam_step"
    weights, grads = _matching(fn, weights, grads)
    rate = _learning_rate(fn, learning_rate)
    for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
        if not 0 <= beta < 1:
            raise ValueError(f"{fn}: {name} must lie in [0, 1); got {beta!r}")
    if not epsilon >= 0:
        raise ValueError(f"{fn}: epsilon must be >= 0; got {epsilon!r}")
    if state is None:
        state = AdamState(0, [np.zeros_like(w) for w in weights], [np.zeros_like(w) for w in weights])
    elif not isinstance(state, AdamState) or len(state.m) != len(weights) or len(state.v) != len(weights):
        raise ValueError(f"{fn}: state must be the AdamState the previous adam_step returned "
                         "(or None for the first step)")
    t = state.iterations + 1
    alpha = rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    new_weights, new_m, new_v = [], [], []
    for w, g, m, v in zip(weights, grads, state.m, state.v):
        m = m + (g - m) * (1 - beta_1)  # the same as beta_1 * m + (1 - beta_1) * g
        v = v + (g * g - v) * (1 - beta_2)
        new_weights.append(w - (alpha * m / (np.sqrt(v) + epsilon)).astype(w.dtype))
        new_m.append(m)
        new_v.append(v)
    return new_weights, AdamState(t, new_m, new_v)


# ----------------------------------------------------------------------------
# Training.
# ----------------------------------------------------------------------------


class TrainingRun(NamedTuple):
    """What :func:`train` returns: the final weights and the loss of every minibatch."""

    weights: list
    losses: np.ndarray


def train(weights, images, labels, epochs=1, batch_size=32, optimizer="adam", learning_rate=None, seed=0,
          blas_threads=1):
    """Train the article's CNN in NumPy with minibatch gradient descent, as ``model.fit`` does.

    Every epoch visits the images once in a new random order (``seed``), in minibatches
    of ``batch_size`` (the last one smaller if needed); every minibatch makes one update
    of all weights with ``optimizer``: ``"adam"`` (:func:`adam_step`, default learning
    rate 0.001) or ``"sgd"`` (:func:`sgd_step`, default 0.01), Keras's defaults.
    ``weights`` is not modified. Returns a :class:`TrainingRun`.

    ``blas_threads`` caps NumPy's BLAS threads during training (default 1; ``None``
    keeps NumPy's own setting): for the article's small matrices one thread is about as
    fast as two on an idle 2-core CPU, and several times faster when other processes
    share the cores.
    """
    fn = f"{_FN}.train"
    images, weights = _images_and_weights(fn, images, weights)
    labels = _labels(fn, labels, len(images), weights[7].shape[0])
    epochs = ops._positive_int(fn, "epochs", epochs)
    batch_size = ops._positive_int(fn, "batch_size", batch_size)
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"{fn}: optimizer must be 'adam' or 'sgd'; got {optimizer!r}")
    if learning_rate is None:
        learning_rate = 0.001 if optimizer == "adam" else 0.01
    rng = np.random.default_rng(seed)
    state, losses = None, []
    with _blas_threads(fn, blas_threads):
        for _ in range(epochs):
            order = rng.permutation(len(images))
            for start in range(0, len(images), batch_size):
                batch = order[start : start + batch_size]
                loss, grads = loss_and_gradients(weights, images[batch], labels[batch])
                if optimizer == "adam":
                    weights, state = adam_step(weights, grads, state, learning_rate)
                else:
                    weights = sgd_step(weights, grads, learning_rate)
                losses.append(loss)
    return TrainingRun(weights, np.asarray(losses))
