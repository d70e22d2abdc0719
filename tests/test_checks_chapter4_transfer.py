"""Chapter 4.4's exercise checks pass the solutions, report stubs, and catch wrong answers.

Every plausible mistake must fail with the hint that names it.
"""

import numpy as np
import pytest

from cnnbook import checks

# ----------------------------------------------------------------------------
# Solutions, written the way a student would, and plausible mistakes.
# ----------------------------------------------------------------------------


def count_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def count_trainable_with_count_params(model):
    return sum(w.numpy().size for w in model.trainable_weights)


def count_everything(model):
    return model.count_params()


def count_frozen(model):
    return sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)


def count_trainable_layers(model):
    return sum(layer.count_params() for layer in model.layers if layer.trainable)


def count_kernels_only(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights if len(w.shape) > 1)


def count_as_text(model):
    return f"{count_trainable(model):,}"


def freeze_up_to(model, last_frozen):
    frozen = True
    for layer in model.layers:
        layer.trainable = not frozen
        if layer.name == last_frozen:
            frozen = False
    return model


def freeze_with_index(model, last_frozen):
    names = [layer.name for layer in model.layers]
    stop = names.index(last_frozen)
    for i, layer in enumerate(model.layers):
        layer.trainable = i > stop
    return model


def freeze_only_that_layer(model, last_frozen):
    model.get_layer(last_frozen).trainable = False
    return model


def freeze_one_too_few(model, last_frozen):
    for layer in model.layers:
        if layer.name == last_frozen:
            break
        layer.trainable = False
    return model


def freeze_but_never_unfreeze(model, last_frozen):
    for layer in model.layers:
        layer.trainable = False
        if layer.name == last_frozen:
            break
    return model


def freeze_the_head(model, last_frozen):
    frozen = False
    for layer in model.layers:
        if layer.name == last_frozen:
            frozen = True
        layer.trainable = not frozen
    return model


def freeze_and_return_nothing(model, last_frozen):
    freeze_up_to(model, last_frozen)


def freeze_and_return_the_name(model, last_frozen):
    freeze_up_to(model, last_frozen)
    return last_frozen


# The tables tests/test_exercises.py runs every check against.
CASES = {
    checks.check_count_trainable: (
        count_trainable, [count_everything, count_frozen, count_trainable_layers, count_kernels_only]),
    checks.check_freeze_up_to: (
        freeze_up_to, [freeze_only_that_layer, freeze_one_too_few, freeze_but_never_unfreeze, freeze_the_head]),
}


# ----------------------------------------------------------------------------
# The checks accept the solutions.
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("solution", [count_trainable, count_trainable_with_count_params])
def test_count_trainable_accepts_the_solutions(solution, capsys):
    assert checks.check_count_trainable(solution)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("solution", [freeze_up_to, freeze_with_index])
def test_freeze_up_to_accepts_the_solutions(solution, capsys):
    assert checks.check_freeze_up_to(solution)
    assert "✓" in capsys.readouterr().out


# ----------------------------------------------------------------------------
# ... and reject the plausible mistakes, each with the hint that names it.
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (count_everything, "count_params() counts every weight"),
        (count_frozen, "number of frozen parameters"),
        (count_trainable_layers, "count the weights, not the layers"),
        (count_kernels_only, "biases are trainable parameters too"),
        (count_as_text, "Hint: return one whole number"),
        (lambda model: count_trainable(model) + 1, "add up the sizes"),
    ],
)
def test_count_trainable_rejects_plausible_mistakes(wrong, hint, capsys):
    assert not checks.check_count_trainable(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out, out
    if wrong is not count_as_text:  # (that one prints its own text back)
        assert "103,114" not in out and "121,930" not in out  # never the expected answer


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (freeze_only_that_layer, "not that layer alone"),
        (freeze_one_too_few, "include it"),
        (freeze_but_never_unfreeze, "even if they were frozen before"),
        (freeze_the_head, "not those after it"),
        (freeze_and_return_nothing, "returned None"),
        (freeze_and_return_the_name, "return the model"),
    ],
)
def test_freeze_up_to_rejects_plausible_mistakes(wrong, hint, capsys):
    assert not checks.check_freeze_up_to(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out, out


def test_the_stubs_are_not_implemented_yet(capsys):
    def stub(*args):
        raise NotImplementedError()

    for check in (checks.check_count_trainable, checks.check_freeze_up_to):
        assert not check(stub)
        assert "not implemented yet" in capsys.readouterr().out


def test_a_crashing_answer_gets_a_verdict(capsys):
    assert not checks.check_freeze_up_to(lambda model, last: model.get_layer("no_such_layer"))
    assert "raised ValueError" in capsys.readouterr().out


def test_points():
    assert checks.check_count_trainable.points == 1
    assert checks.check_freeze_up_to.points == 2


def test_failing_checks_raise_under_nbgrader(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(AssertionError, match="count_params"):
        checks.check_count_trainable(count_everything)
