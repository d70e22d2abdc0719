"""The verdict every exercise check prints, and the rules every check shares.

A check is a function ``check(student_fn) -> problem or None`` decorated with
:func:`exercise_check`. It computes its expected answers from an independent source (a
Keras layer or model, TensorFlow's autodiff, scikit-learn...) *before* it calls the
student's function, names the failing case and gives a hint when the answer is wrong,
and never prints the expected answer. The decorator adds what every check needs:

- **Copies.** The student's function receives copies of every array, list, tuple and
  dict it is given, so an answer that changes its inputs cannot change the check's own
  data; an answer that changes them is rejected ("it changed `image` in place"). Other
  arguments (numbers, strings, functions, a Keras model) are passed as they are.
- **Verdicts, not tracebacks.** A stub that still raises ``NotImplementedError`` gets
  "not implemented yet"; an error raised by the student's code becomes a verdict; a
  function that returns ``None`` is told to ``return`` its result. An error in the
  check's own reference computation propagates, so it is never blamed on the student.
- **Grading.** Under nbgrader (``NBGRADER_EXECUTION`` is set in the kernel during
  ``nbgrader autograde`` and ``nbgrader validate``) a failing check raises an
  ``AssertionError`` holding the verdict line, which is how nbgrader scores a test cell.
  Anywhere else it only prints, so a student's notebook runs to the end.
- **Quiet.** Warnings raised while a check runs are silenced: the verdict line is the
  feedback, and nbgrader counts any output on stderr in a test cell as a failure.
- **Points.** ``@exercise_check(points=3)`` sets the exercise's points in nbgrader
  (default 1); see :mod:`cnnbook.editions`.

Whole-number answers (sizes, counts) go through :func:`whole_number` and real-valued
scalars through :func:`real_number`, so every check accepts ``26``, ``np.int64(26)``,
``np.array(26)`` and ``26.0`` alike, and rejects ``26.5``, ``True``, ``"26"`` or an array.
"""

import functools
import inspect
import numbers
import os
import warnings

import numpy as np


class Verdict:
    """What a check returns: truthy when the answer passed, with the printed line."""

    def __init__(self, passed, line):
        self.passed = passed
        self.line = line

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"Verdict(passed={self.passed}, line={self.line!r})"

    def _ipython_display_(self):
        """Show nothing more in a notebook: the verdict line is already printed."""


class Rejected(Exception):
    """Raised by a check's helpers to reject an answer; the message is the verdict's text."""


class _StudentCodeFailed(Exception):
    """The student's function raised; carries the original error."""


def grading():
    """True inside nbgrader's autograde or validate run, where failing checks must raise."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


# --- copies of the student's inputs ------------------------------------------------------


def _copy_data(value):
    """A copy of arrays, lists, tuples, dicts and sets, recursively; anything else as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_copy_data(item) for item in value]
    if isinstance(value, tuple):
        items = [_copy_data(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)  # namedtuples too
    if isinstance(value, dict):
        return {key: _copy_data(item) for key, item in value.items()}
    if isinstance(value, set):
        return set(value)
    return value


def _unchanged(original, copy):
    """True when ``copy`` (what the student got) still equals ``original``."""
    if isinstance(original, np.ndarray):
        return (isinstance(copy, np.ndarray) and copy.shape == original.shape and copy.dtype == original.dtype
                and np.array_equal(copy, original, equal_nan=original.dtype.kind in "fc"))
    if isinstance(original, (list, tuple)):
        return len(copy) == len(original) and all(_unchanged(a, b) for a, b in zip(original, copy))
    if isinstance(original, dict):
        return (isinstance(copy, dict) and copy.keys() == original.keys()
                and all(_unchanged(original[key], copy[key]) for key in original))
    if isinstance(original, set):
        return copy == original
    return True  # numbers, strings, functions: the student cannot change them in place


def _argument_names(student_fn, args, kwargs):
    """Parameter name of each argument, in order: positional first, then keywords."""
    try:
        bound = inspect.signature(student_fn).bind(*args, **kwargs).arguments
        parameters = inspect.signature(student_fn).parameters
    except (TypeError, ValueError):
        return [f"number {i + 1}" for i in range(len(args))] + list(kwargs)
    names = []
    for name, value in bound.items():
        if parameters[name].kind is inspect.Parameter.VAR_POSITIONAL:
            names += [f"{name}[{i}]" for i in range(len(value))]
        elif parameters[name].kind is not inspect.Parameter.VAR_KEYWORD:
            names.append(name)
    return names[: len(args)] + list(kwargs)


def _changed_part(name, original, copy):
    """``name``, or ``name[i]`` for the first element of a list or tuple that changed."""
    if isinstance(original, (list, tuple)) and isinstance(copy, (list, tuple)) and len(original) == len(copy):
        for i, (item, item_copy) in enumerate(zip(original, copy)):
            if not _unchanged(item, item_copy):
                return f"{name}[{i}]"
    return name


# --- answers that stand for one number ---------------------------------------------------


def _scalar(answer, what):
    """The Python number a scalar answer holds; Rejected for None, text, bools and arrays."""
    if isinstance(answer, np.ndarray):
        if answer.ndim:
            raise Rejected(f"returned an array of shape {answer.shape}. Hint: return {what}, not an array.")
        answer = answer.item()
    elif isinstance(answer, np.generic):
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise Rejected(f"returned {answer!r} ({type(answer).__name__}). Hint: return {what}.")
    return answer


def whole_number(answer, case, fraction_hint="a count is a whole number; use // for the divisions"):
    """The int a whole-number answer (a size, a count) stands for.

    ``26``, ``np.int64(26)``, ``np.array(26)`` and ``26.0`` all give 26. Raises
    :class:`Rejected`, naming ``case`` (the inputs, as text), for anything else: a
    fraction (with ``fraction_hint``), an infinity or NaN, a bool, a string, an array.
    """
    value = _scalar(answer, "one whole number")
    if isinstance(value, float) and not (np.isfinite(value) and value.is_integer()):
        raise Rejected(f"returned {value!r} for {case}. Hint: {fraction_hint}.")
    return int(value)


def real_number(answer, case):
    """The float a real-valued answer stands for (a Python or NumPy scalar, or a 0-d array).

    Raises :class:`Rejected`, naming ``case``, for NaN, infinities, bools, strings and arrays.
    """
    value = float(_scalar(answer, "one number"))
    if not np.isfinite(value):
        raise Rejected(f"returned {value!r} for {case}. Hint: the answer is a finite number; look for a division by 0.")
    return value


# --- the decorator -----------------------------------------------------------------------


def exercise_check(check=None, *, points=1):
    """Turn ``check(student_fn) -> problem or None`` into a check that prints a :class:`Verdict`.

    Use it bare (``@exercise_check``, 1 point) or with the exercise's nbgrader points
    (``@exercise_check(points=3)``). The check receives a guarded version of the
    student's function: it passes copies of the inputs, rejects an answer that changes
    them or returns ``None``, and turns the student's errors into verdicts. Only errors
    raised *by the student's function* become a verdict; an error in the check's own
    reference computation (missing data, say) propagates as usual.
    """
    if check is None:
        return functools.partial(exercise_check, points=points)
    if isinstance(points, bool) or not isinstance(points, numbers.Real) or points <= 0:
        raise ValueError(f"{check.__name__}: points must be a positive number, not {points!r}")

    @functools.wraps(check)
    def run(student_fn):
        name = getattr(student_fn, "__name__", "your function")

        @functools.wraps(student_fn)
        def guarded(*args, **kwargs):
            given_args, given_kwargs = _copy_data(args), _copy_data(kwargs)
            try:
                result = student_fn(*given_args, **given_kwargs)
            except NotImplementedError:
                raise
            except Exception as error:
                raise _StudentCodeFailed(error) from error
            originals = list(args) + list(kwargs.values())
            received = list(given_args) + list(given_kwargs.values())
            for arg_name, original, copy in zip(_argument_names(student_fn, args, kwargs), originals, received):
                if not _unchanged(original, copy):
                    part = _changed_part(arg_name, original, copy)
                    raise Rejected(f"it changed `{part}` in place. Hint: leave the inputs as they are and "
                                   f"build new arrays (`w = w - step` makes a new one; `w -= step` or "
                                   f"`w[...] = …` writes into the one you were given).")
            if result is None:
                raise Rejected("returned None. Hint: end the function with `return` and its result.")
            return result

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                problem = check(guarded)
        except NotImplementedError:
            line = f"… {name}: not implemented yet. Replace `raise NotImplementedError()` with your code."
        except _StudentCodeFailed as failure:  # show what went wrong, not a traceback
            error = failure.args[0]
            line = f"✗ {name} raised {type(error).__name__}: {error}"
        except Rejected as rejection:
            line = f"✗ {name}: {rejection}"
        else:
            line = f"✗ {name}: {problem}" if problem else f"✓ {name}: correct on every test case."
        print(line)
        passed = line.startswith("✓")
        if not passed and grading():
            raise AssertionError(line) from None
        return Verdict(passed, line)

    run.points = points
    return run


def numeric_array(answer, case):
    """``answer`` as a float64 array; Rejected, naming ``case``, when it holds no numbers."""
    try:
        return np.asarray(answer, dtype="float64")
    except (TypeError, ValueError):
        raise Rejected(f"returned {type(answer).__name__} for {case}, which is not an array of numbers. "
                       "Hint: return a NumPy array.") from None


def formula_verdict(student, cases, expected, describe, mistakes, fallback, *, read=real_number,
                    same=None, near_hint=None):
    """The problem with an answer that is one number per case, or None when it is right.

    ``expected`` holds the right answer of every case in ``cases`` (argument tuples),
    computed before this is called. The student's function runs on every case and each
    answer goes through ``read(answer, case_text)`` (:func:`real_number` or
    :func:`whole_number`). A plausible mistake is named only when its formula gives the
    student's answers on *every* case, so that the hint names the mistake actually made
    and not a coincidence: ``mistakes = [(formula, hint)]`` with ``formula(*case)``. When
    none fits, ``near_hint`` (if given) is used when every wrong answer is off by exactly
    one, else the first wrong case is shown with ``fallback``. ``describe(*case)`` writes
    a case as text; ``same(a, b)`` compares two answers (``np.isclose`` by default).
    """
    same = same or (lambda a, b: bool(np.isclose(a, b, rtol=1e-6, atol=1e-9)))
    answers = [read(student(*case), describe(*case)) for case in cases]
    wrong = [(case, answer, right) for case, answer, right in zip(cases, answers, expected) if not same(answer, right)]
    if not wrong:
        return None
    for formula, hint in mistakes:
        if all(same(answer, formula(*case)) for answer, case in zip(answers, cases)):
            return f"wrong for {describe(*wrong[0][0])}. Hint: {hint}"
    case, answer, _ = wrong[0]
    if near_hint and all(abs(answer - right) == 1 for _, answer, right in wrong):
        return f"off by one for {describe(*case)}. Hint: {near_hint}"
    return f"wrong for {describe(*case)} (you returned {answer!r}). Hint: {fallback}"


def whole_number_verdict(student, cases, expected, describe, mistakes, fallback, *,
                         fraction_hint="a count is a whole number; use // for the divisions", near_hint=None):
    """:func:`formula_verdict` for whole-number answers (sizes, counts), compared exactly.

    Every answer goes through :func:`whole_number`, so ``26``, ``np.int64(26)``,
    ``np.array(26)`` and ``26.0`` are the same answer; a fraction gets ``fraction_hint``.
    """
    return formula_verdict(student, cases, expected, describe, mistakes, fallback,
                           read=lambda answer, case: whole_number(answer, case, fraction_hint),
                           same=lambda a, b: a == b, near_hint=near_hint)
