"""Every exercise in the book has a self-check that grades, tested against wrong answers.

Each tests/test_checks_*.py file holds ``CASES = {check: (solution, [wrong answers])}``
(plus tests particular to its chapter). Here, for every check in every table: the
solution passes, a stub is reported as "not implemented yet", each wrong answer fails
with a hint, an answer that changes its inputs is caught, the solution's answer passes
in every numeric form (``26``, ``26.0``, ``np.array(26)``...), and under nbgrader a
failing check raises; and the tables cover every exercise the notebooks contain, with
at least two wrong answers each, and the instructors' page lists each with its points.
"""

import copy
import importlib
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from book import NOTEBOOKS, read_notebook
from cnnbook import checks

CHECK_CALL = re.compile(r"\bchecks\.(check_\w+)\(")


def checks_used_in_notebooks():
    used = {}
    for path in NOTEBOOKS:
        for cell in read_notebook(path).cells:
            for name in CHECK_CALL.findall(cell.source):
                used.setdefault(name, path.name)
    return used


USED = checks_used_in_notebooks()
CASES = {
    check: cases
    for path in sorted(Path(__file__).parent.glob("test_checks_*.py"))
    for check, cases in importlib.import_module(path.stem).CASES.items()
}
# Some wrong answers overflow on purpose (a softmax without the max subtraction).
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")


def stub(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("check", CASES, ids=lambda check: check.__name__)
def test_solution_passes(check, capsys):
    solution, _ = CASES[check]
    assert check(solution)
    assert capsys.readouterr().out.startswith("✓")


@pytest.mark.parametrize("check", CASES, ids=lambda check: check.__name__)
def test_stub_is_reported_as_not_implemented(check, capsys):
    assert not check(stub)
    assert "not implemented yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "check, index",
    [(check, index) for check, (_, wrongs) in CASES.items() for index in range(len(wrongs))],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_wrong_answers_fail_with_a_hint(check, index, capsys):
    assert not check(CASES[check][1][index])
    verdict = capsys.readouterr().out
    assert verdict.startswith("✗") and "Hint" in verdict, verdict


def _mutate(value):
    """Change an argument in place, as a careless answer would; False if it cannot be changed."""
    if isinstance(value, np.ndarray) and value.size:
        if value.dtype == bool:
            np.logical_not(value, out=value)
        else:
            value += 1
        return True
    if isinstance(value, list):
        value.append(value[0] if value else 0)
        return True
    if isinstance(value, dict):
        value["changed"] = True
        return True
    if isinstance(value, tuple):
        return any([_mutate(item) for item in value])
    return False


def _changeable_data(value):
    """Arrays, lists and dicts with something in them: what a careless answer can change."""
    if isinstance(value, tuple):
        return any(_changeable_data(item) for item in value)
    return isinstance(value, (np.ndarray, list, dict)) and len(value) > 0


@pytest.mark.parametrize("when", ["after computing the answer", "before computing the answer"])
@pytest.mark.parametrize("check", CASES, ids=lambda check: check.__name__)
def test_an_answer_that_changes_its_inputs_is_caught(check, when, capsys):
    """The right answer, computed from copies, but the caller's arrays or lists are changed."""
    solution, _ = CASES[check]
    arguments = []

    def careless(*args):
        arguments.extend(args)
        answer = solution(*copy.deepcopy(args)) if when.startswith("after") else None
        careless.changed = any([_mutate(arg) for arg in args]) or careless.changed
        return solution(*args) if answer is None else answer

    careless.changed = False
    verdict = check(careless)
    printed = capsys.readouterr().out
    if careless.changed:  # the changed inputs may also make the solution crash (labels out of range)
        assert not verdict and ("in place" in printed or " raised " in printed), printed
    else:  # nothing it receives can be changed in place: sizes, counts, strings, functions
        assert verdict and not any(_changeable_data(arg) for arg in arguments), printed


def _other_forms(answer):
    """The same answer in the other numeric forms a student's code may produce."""
    if isinstance(answer, (bool, tuple, list)):
        return []
    if isinstance(answer, (int, np.integer)):
        return [float(answer), np.float64(answer), np.array(answer), np.int32(answer), np.array(float(answer))]
    if isinstance(answer, (float, np.floating)):
        return [float(answer), np.float64(answer), np.array(answer)]
    if isinstance(answer, np.ndarray):
        return [answer.tolist(), answer.astype("float64")]
    return []


@pytest.mark.parametrize("check", CASES, ids=lambda check: check.__name__)
def test_the_right_answer_passes_in_every_numeric_form(check, capsys):
    """26, 26.0, np.int64(26) and np.array(26) are one answer, in every check alike."""
    solution, _ = CASES[check]
    index, forms = 0, 1
    while index < forms:

        def converted(*args):
            nonlocal forms
            answer = solution(*args)
            others = _other_forms(answer)
            forms = max(forms, len(others))
            return others[index] if index < len(others) else answer

        assert check(converted), capsys.readouterr().out
        index += 1


@pytest.mark.parametrize("check", CASES, ids=lambda check: check.__name__)
def test_a_fraction_is_not_a_whole_number(check, capsys):
    """A check whose answer is a whole number rejects 26.5, in every check alike."""
    solution, _ = CASES[check]
    kinds = set()

    def halved(*args):
        answer = solution(*args)
        kinds.add(type(answer))
        return answer + 0.5 if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool) else answer

    verdict = check(halved)
    printed = capsys.readouterr().out
    if kinds <= {int, np.int64, np.int32}:
        assert not verdict and "Hint" in printed and ".5" in printed, printed


@pytest.mark.parametrize("mode", ["autograde", "validate"])
@pytest.mark.parametrize("check", CASES, ids=lambda check: check.__name__)
def test_under_nbgrader_a_failing_check_raises(check, mode, monkeypatch, capsys):
    """nbgrader scores a test cell by whether it raises; it sets NBGRADER_EXECUTION while it runs."""
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    with pytest.raises(AssertionError, match="not implemented yet"):
        check(stub)
    wrong = CASES[check][1][0]
    with pytest.raises(AssertionError, match="^✗ .*Hint"):
        check(wrong)


def test_under_nbgrader_a_passing_check_returns_quietly(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    solution, _ = CASES[checks.check_conv_output_size]
    assert checks.check_conv_output_size(solution)
    assert capsys.readouterr().out.startswith("✓")


def test_outside_nbgrader_a_failing_check_only_prints(monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not checks.check_conv_output_size(lambda n, k, s, p: 0)
    assert capsys.readouterr().out.startswith("✗")


def test_warnings_raised_during_a_check_stay_off_stderr(capsys):
    """nbgrader counts any stderr output of a test cell as a failure, even for a right answer."""
    solution, _ = CASES[checks.check_softmax]

    def noisy(z):
        warnings.warn("a warning the student's code raised", RuntimeWarning)
        return solution(z)

    assert checks.check_softmax(noisy)
    assert capsys.readouterr().err == ""


def test_a_function_that_returns_nothing_is_told_to_return(capsys):
    assert not checks.check_flatten_size(lambda side: None)
    assert "return" in capsys.readouterr().out


@pytest.mark.parametrize("check", CASES, ids=lambda check: check.__name__)
def test_every_check_has_points_for_nbgrader(check):
    assert check.points in (1, 2, 3), f"{check.__name__}: points {check.points!r}"


def test_the_book_has_exercises():
    assert len(USED) >= 2


@pytest.mark.parametrize("name", sorted(USED))
def test_every_exercise_check_is_tested_with_two_wrong_answers(name):
    assert hasattr(checks, name), f"{USED[name]} calls checks.{name}, which cnnbook.checks does not export"
    wrongs = {check.__name__: wrongs for check, (_, wrongs) in CASES.items()}
    assert name in wrongs, f"{name} (used in {USED[name]}) has no CASES entry in tests/test_checks_*.py"
    assert len(wrongs[name]) >= 2, f"{name} is tested against {len(wrongs[name])} wrong answer(s); write at least 2"


def exercise_table(page):
    """``{check name: points}`` from the rows of the exercise table on the instructors' page."""
    rows = re.findall(r"^\|[^|\n]*\|[^|\n]*\| `(check_\w+)` \| (\d+) \|", page, re.MULTILINE)
    return {name: int(points) for name, points in rows}


def test_instructor_page_lists_every_exercise_with_its_points():
    page = (Path(__file__).parents[1] / "book" / "instructors.md").read_text()
    table = exercise_table(page)
    assert set(table) == set(USED), f"missing: {set(USED) - set(table)}; not in any notebook: {set(table) - set(USED)}"
    wrong = {name: (points, getattr(checks, name).points) for name, points in table.items()
             if points != getattr(checks, name).points}
    assert not wrong, f"points on the page differ from the checks' (page, check): {wrong}"
    total = re.search(r"^\| *\| \*\*all exercises\*\* \| *\| \*\*(\d+)\*\* \|", page, re.MULTILINE)
    assert total and int(total[1]) == sum(table.values()), "end the table with '| | **all exercises** | | **N** | |'"
