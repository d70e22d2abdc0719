"""Chapter 4.3's exercise checks pass the solutions, report stubs, and catch wrong answers.

Each named mistake must get its own hint; tests/test_exercises.py also runs every
entry of CASES through the checks every exercise shares (stubs, mutated inputs,
numeric forms, nbgrader).
"""

import numpy as np
import pytest

from cnnbook import checks

# ----------------------------------------------------------------------------
# Solutions, written the way a student would, and plausible mistakes.
# ----------------------------------------------------------------------------


def early_stopping_epochs(history, patience, curve="val_loss", base=1, slack=0, look_ahead=False,
                          ties_improve=False):
    losses = history[curve]
    best, since_best, last = 0, 0, len(losses) - 1
    for epoch in range(1, len(losses)):
        if losses[epoch] < losses[best] or (ties_improve and losses[epoch] == losses[best]):
            best, since_best = epoch, 0
            continue
        since_best += 1
        if since_best >= patience + slack:
            last = epoch
            break
    if look_ahead:
        best = int(np.argmin(losses))
    return best + base, last + base


def early_stopping_that_pops_the_history(history, patience):
    """Reads the training curve, and empties the caller's list on the way."""
    answer = early_stopping_epochs(history, patience, curve="loss")
    history["val_loss"].clear()
    return answer


def inverted_dropout(x, keep, rate):
    return np.where(keep, x / (1 - rate), 0.0)


def inverted_dropout_in_place(x, keep, rate):
    """Forgets the scaling, and zeroes the caller's x."""
    x[~keep] = 0
    return x


def l2_penalty(kernels, factor):
    return factor * sum(np.sum(kernel**2) for kernel in kernels)


CASES = {
    checks.check_early_stopping_epochs: (
        early_stopping_epochs,
        [
            lambda h, p: early_stopping_epochs(h, p, curve="loss"),  # the training curve
            lambda h, p: early_stopping_epochs(h, p, base=0),  # epochs counted from 0
            lambda h, p: early_stopping_epochs(h, p, look_ahead=True),  # best over all epochs
            lambda h, p: early_stopping_epochs(h, p, slack=1),  # one epoch too many
            lambda h, p: early_stopping_epochs(h, p, slack=-1),  # one epoch too few
            lambda h, p: early_stopping_epochs(h, p, slack=1 - p),  # stops at the first rise
            lambda h, p: early_stopping_epochs(h, p, ties_improve=True),  # a tie counts
            lambda h, p: early_stopping_epochs(h, p)[0],  # only one number
            early_stopping_that_pops_the_history,
        ],
    ),
    checks.check_inverted_dropout: (
        inverted_dropout,
        [
            lambda x, keep, rate: x * keep,  # no scaling
            lambda x, keep, rate: x * keep * (1 - rate),  # scaled down
            lambda x, keep, rate: x * keep / rate,  # divided by the rate
            lambda x, keep, rate: np.where(keep, 0.0, x / (1 - rate)),  # the mask inverted
            lambda x, keep, rate: x / (1 - rate),  # mask ignored
            lambda x, keep, rate: (x * keep).sum(),  # a single number
            inverted_dropout_in_place,
        ],
    ),
    checks.check_l2_penalty: (
        l2_penalty,
        [
            lambda kernels, factor: factor * sum(np.sum(k**2) for k in kernels) / 2,  # the 1/2
            lambda kernels, factor: sum(np.sum(k**2) for k in kernels),  # no factor
            lambda kernels, factor: factor * sum(np.linalg.norm(k) for k in kernels),  # not squared
            lambda kernels, factor: factor * sum(np.mean(k**2) for k in kernels),  # mean
            lambda kernels, factor: factor * sum(np.sum(np.abs(k)) for k in kernels),  # L1
            lambda kernels, factor: factor * np.sum(kernels[0] ** 2),  # first kernel only
            lambda kernels, factor: [factor * np.sum(k**2) for k in kernels],  # a list
        ],
    ),
}

_stopping = CASES[checks.check_early_stopping_epochs][1]
_dropout = CASES[checks.check_inverted_dropout][1]
_penalty = CASES[checks.check_l2_penalty][1]
NAMED_MISTAKES = [
    (checks.check_early_stopping_epochs, _stopping[0], "training loss keeps falling"),
    (checks.check_early_stopping_epochs, _stopping[1], "count the epochs from 1"),
    (checks.check_early_stopping_epochs, _stopping[2], "never happen"),
    (checks.check_early_stopping_epochs, _stopping[3], "not one more"),
    (checks.check_early_stopping_epochs, _stopping[4], "not one fewer"),
    (checks.check_early_stopping_epochs, _stopping[5], "waits through"),
    (checks.check_early_stopping_epochs, _stopping[6], "not an improvement"),
    (checks.check_early_stopping_epochs, _stopping[7], "return two whole numbers"),
    (checks.check_early_stopping_epochs, early_stopping_that_pops_the_history, "in place"),
    (checks.check_inverted_dropout, _dropout[0], "expected output stays x"),
    (checks.check_inverted_dropout, _dropout[1], "scale *up*"),
    (checks.check_inverted_dropout, _dropout[2], "not by the rate"),
    (checks.check_inverted_dropout, _dropout[3], "where a unit survives"),
    (checks.check_inverted_dropout, _dropout[4], "they output 0"),
    (checks.check_inverted_dropout, _dropout[5], "shaped like x"),
    (checks.check_inverted_dropout, inverted_dropout_in_place, "changed `x` in place"),
    (checks.check_l2_penalty, _penalty[0], "without a 1/2"),
    (checks.check_l2_penalty, _penalty[1], "multiply the sum of squares by the factor"),
    (checks.check_l2_penalty, _penalty[2], "not the length"),
    (checks.check_l2_penalty, _penalty[3], "don't average"),
    (checks.check_l2_penalty, _penalty[4], "L1"),
    (checks.check_l2_penalty, _penalty[5], "every kernel"),
    (checks.check_l2_penalty, _penalty[6], "one number"),
]


@pytest.mark.parametrize("check, wrong, words", NAMED_MISTAKES, ids=[m[2] for m in NAMED_MISTAKES])
def test_the_named_mistakes_get_their_own_hint(check, wrong, words, capsys):
    assert not check(wrong)
    verdict = capsys.readouterr().out
    assert words in verdict, verdict


@pytest.mark.parametrize("check", CASES, ids=lambda check: check.__name__)
def test_solution_passes(check, capsys):
    assert check(CASES[check][0])
    assert capsys.readouterr().out.startswith("✓")


def test_the_reference_is_keras_early_stopping():
    """The check's expected epochs are what EarlyStopping does inside a real fit."""
    import keras

    from cnnbook.checks.chapter4_overfitting import _STOPPING_CASES, _keras_early_stopping

    _, val_losses, patience = _STOPPING_CASES[1]
    epochs_run = []

    class ScriptedLoss(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = val_losses[epoch]
            epochs_run.append(epoch + 1)

    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    model = keras.Sequential([keras.Input(shape=(1,), name="x"), keras.layers.Dense(1, name="y")], name="tiny")
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((4, 1), "float32")
    model.fit(x, x, epochs=len(val_losses), verbose=0, callbacks=[ScriptedLoss(), stopper])
    assert (stopper.best_epoch + 1, epochs_run[-1]) == _keras_early_stopping(val_losses, patience)


def test_verdicts_never_print_the_expected_epochs(capsys):
    checks.check_early_stopping_epochs(lambda history, patience: (1, 1))
    verdict = capsys.readouterr().out
    assert "Hint" in verdict and "(3, 5)" not in verdict
