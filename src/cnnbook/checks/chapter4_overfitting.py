"""Self-checks for the exercises of chapter 4's "Overfitting and regularisation" notebook.

Every expected answer comes from Keras, computed *before* the student's function runs:
the epochs come from ``keras.callbacks.EarlyStopping`` fed the same validation losses
epoch by epoch, the dropout output from ``keras.random.dropout`` and the weight penalty
from ``keras.regularizers.L2``. The plausible wrong answers are recognised with small
NumPy formulas, to name the mistake; the verdict never shows the expected values.
"""

import types

import numpy as np

from cnnbook.checks.verdict import Rejected, exercise_check, numeric_array, real_number, whole_number

# --- Exercise: the epochs EarlyStopping keeps and stops at -------------------------------

# (training losses, validation losses, patience). The training loss keeps falling in
# every case; the validation loss falls, then rises, sometimes with ties and with a
# lower value after the point where patience runs out.
_STOPPING_CASES = [
    ([0.9, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02], [0.8, 0.5, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8], 2),
    ([1.0, 0.6, 0.4, 0.3, 0.2, 0.1, 0.08, 0.05, 0.04, 0.03],
     [0.9, 0.6, 0.5, 0.5, 0.52, 0.55, 0.49, 0.6, 0.7, 0.3], 3),
    ([1.0, 0.7, 0.5, 0.3, 0.2, 0.1], [0.9, 0.7, 0.6, 0.55, 0.5, 0.45], 2),
    ([1.0, 0.5, 0.3, 0.2, 0.15, 0.1, 0.05, 0.04], [0.7, 0.4, 0.42, 0.38, 0.41, 0.43, 0.45, 0.2], 2),
    ([1.2, 0.8, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.04, 0.02, 0.01, 0.005],
     [1.0, 0.7, 0.6, 0.62, 0.61, 0.63, 0.66, 0.7, 0.8, 0.9, 1.0, 1.1], 5),
]


def _keras_early_stopping(val_losses, patience):
    """(best epoch, last epoch trained), counted from 1, as Keras's EarlyStopping decides them."""
    import keras

    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    model = types.SimpleNamespace(stop_training=False)  # all the callback touches
    callback.set_model(model)
    callback.on_train_begin()
    last = 0
    for epoch, val_loss in enumerate(val_losses):
        callback.on_epoch_end(epoch, {"val_loss": float(val_loss)})
        last = epoch
        if model.stop_training:
            break
    return callback.best_epoch + 1, last + 1


def _mistaken_epochs(val_losses, patience, *, base=1, look_ahead=False, slack=0, first_rise=False,
                     last_tie=False):
    """The two epochs, computed with one of the mistakes the check names."""
    losses = list(val_losses)
    best, wait, last = 0, 0, len(losses) - 1
    for epoch in range(1, len(losses)):
        better = losses[epoch] <= losses[best] if last_tie else losses[epoch] < losses[best]
        if better:
            best, wait = epoch, 0
            continue
        wait += 1
        if wait >= (1 if first_rise else patience + slack):
            last = epoch
            break
    if look_ahead:
        best = int(np.argmin(losses))
    return best + base, last + base


def _two_epochs(answer, case):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Rejected(f"returned {type(answer).__name__} for {case}. Hint: return two whole numbers, "
                       "(best_epoch, last_epoch).")
    return tuple(whole_number(value, case, "an epoch is a whole number") for value in answer)


@exercise_check(points=2)
def check_early_stopping_epochs(early_stopping_epochs):
    """Check ``early_stopping_epochs(history, patience) -> (best_epoch, last_epoch)``.

    ``history`` is a dict like ``model.fit(...).history`` with the lists ``"loss"`` and
    ``"val_loss"``; the epochs are counted from 1, as Keras's log prints them.
    """
    cases = [({"loss": list(loss), "val_loss": list(val)}, patience) for loss, val, patience in _STOPPING_CASES]
    expected = [_keras_early_stopping(history["val_loss"], patience) for history, patience in cases]
    answers = []
    for history, patience in cases:
        case = f"val_loss={history['val_loss']}, patience={patience}"
        answers.append(_two_epochs(early_stopping_epochs(history, patience), case))
    if answers == expected:
        return None
    first_wrong = next(i for i, (a, e) in enumerate(zip(answers, expected)) if a != e)
    history, patience = cases[first_wrong]
    case = f"val_loss={history['val_loss']}, patience={patience}"
    mistakes = [
        (lambda h, p: _mistaken_epochs(h["loss"], p),
         "overfitting shows in the loss on digits the network does not train on; "
         "the training loss keeps falling."),
        (lambda h, p: _mistaken_epochs(h["val_loss"], p, base=0),
         "count the epochs from 1, as Keras's log does (the first epoch is epoch 1)."),
        (lambda h, p: _mistaken_epochs(h["val_loss"], p, look_ahead=True),
         "the best epoch is the best one *trained*: the epochs after the stop never happen."),
        (lambda h, p: _mistaken_epochs(h["val_loss"], p, first_rise=True),
         "patience is the number of epochs without improvement that training waits through."),
        (lambda h, p: _mistaken_epochs(h["val_loss"], p, slack=1),
         "training stops after `patience` epochs without improvement, not one more."),
        (lambda h, p: _mistaken_epochs(h["val_loss"], p, slack=-1),
         "training stops after `patience` epochs without improvement, not one fewer."),
        (lambda h, p: _mistaken_epochs(h["val_loss"], p, last_tie=True),
         "an epoch that only equals the best loss is not an improvement."),
    ]
    for formula, hint in mistakes:
        if all(answer == formula(*c) for answer, c in zip(answers, cases)):
            return f"wrong for {case}. Hint: {hint}"
    return (f"wrong for {case} (you returned {answers[first_wrong]}). Hint: follow the validation "
            "loss epoch by epoch; keep the best so far, and count the epochs since it last improved.")


# --- Exercise: inverted dropout -----------------------------------------------------------

_DROPOUT_CASES = [((4, 6), 0.5, 1), ((3, 10), 0.25, 2), ((2, 5, 3), 0.8, 3), ((50,), 0.1, 4)]


def _keras_dropout(shape, rate, seed):
    """(activations, keep mask, Keras's dropout of them) for one case."""
    import keras

    x = np.random.default_rng(seed).uniform(0.5, 2.0, size=shape)  # never 0, so the mask shows
    dropped = keras.ops.convert_to_numpy(keras.random.dropout(x.astype("float32"), rate, seed=seed))
    keep = dropped != 0
    return x, keep, dropped.astype("float64")


@exercise_check(points=2)
def check_inverted_dropout(inverted_dropout):
    """Check ``inverted_dropout(x, keep, rate)`` against ``keras.random.dropout`` with the same mask."""
    cases = [_keras_dropout(*case) for case in _DROPOUT_CASES]
    for (x, keep, expected), (shape, rate, _) in zip(cases, _DROPOUT_CASES):
        text = f"x of shape {shape}, rate={rate}"
        answer = numeric_array(inverted_dropout(x, keep, rate), text)
        if answer.shape != x.shape:
            return f"returned shape {answer.shape} for {text}. Hint: one output per activation, shaped like x."
        if np.allclose(answer, expected, rtol=1e-5, atol=1e-6):
            continue
        mistakes = [
            (x * keep, "the kept activations must be scaled so that the layer's expected output stays x."),
            (x * keep * (1 - rate), "scale *up* the survivors: divide by the fraction kept, 1 - rate."),
            (x * keep / rate, "divide by the fraction of units *kept*, 1 - rate, not by the rate."),
            (x * ~keep / (1 - rate), "`keep` is True where a unit survives; those are the ones to pass on."),
            (x / (1 - rate), "the units where `keep` is False are dropped: they output 0."),
        ]
        for formula, hint in mistakes:
            if np.allclose(answer, formula, rtol=1e-5, atol=1e-6):
                return f"wrong for {text}. Hint: {hint}"
        return f"wrong for {text}. Hint: dropped units give 0; kept ones give x / (1 - rate)."
    return None


# --- Exercise: the L2 penalty Keras adds to the loss --------------------------------------

_PENALTY_CASES = [(((3, 3, 1, 4), (10, 5)), 1e-3, 5), (((6, 2),), 0.01, 6), (((2, 2, 3, 2), (4, 3), (3, 2)), 5e-4, 7)]


def _kernels(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, 0.3, size=shape) for shape in shapes]


@exercise_check
def check_l2_penalty(l2_penalty):
    """Check ``l2_penalty(kernels, factor)``: the sum of ``keras.regularizers.L2(factor)`` over the kernels."""
    import keras

    cases = [(_kernels(shapes, seed), factor) for shapes, factor, seed in _PENALTY_CASES]
    expected = [sum(float(keras.regularizers.L2(factor)(kernel.astype("float32"))) for kernel in kernels)
                for kernels, factor in cases]
    for (kernels, factor), right in zip(cases, expected):
        text = f"{len(kernels)} kernel(s), factor={factor}"
        answer = real_number(l2_penalty(kernels, factor), text)
        if np.isclose(answer, right, rtol=1e-4):
            continue
        squares = sum(float(np.sum(k**2)) for k in kernels)
        mistakes = [
            (factor * squares / 2, "Keras's L2(factor) adds factor × the sum of squares, without a 1/2."),
            (squares, "multiply the sum of squares by the factor."),
            (factor * sum(float(np.sqrt(np.sum(k**2))) for k in kernels),
             "the penalty uses the squared weights, not the length of each kernel."),
            (factor * sum(float(np.mean(k**2)) for k in kernels), "sum the squares; don't average them."),
            (factor * sum(float(np.sum(np.abs(k))) for k in kernels), "that is L1 (absolute values); L2 squares."),
            (factor * float(np.sum(kernels[0] ** 2)), "add the penalty of every kernel in the list."),
        ]
        for formula, hint in mistakes:
            if np.isclose(answer, formula, rtol=1e-4):
                return f"wrong for {text}. Hint: {hint}"
        return f"wrong for {text} (you returned {answer:.6g}). Hint: factor × the sum of every squared weight."
    return None
