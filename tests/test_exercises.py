"""Every exercise in the book has a self-check that grades, tested against wrong answers.

Each tests/test_checks_*.py file holds ``CASES = {check: (solution, [wrong answers])}``
(plus tests particular to its chapter). Here, for every check in every table: the
solution passes, a stub is reported as "not implemented yet", and each wrong answer
fails with a hint; and the tables cover every exercise the notebooks contain, with at
least two wrong answers each.
"""

import importlib
import re
from pathlib import Path

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


def test_the_book_has_exercises():
    assert len(USED) >= 2


@pytest.mark.parametrize("name", sorted(USED))
def test_every_exercise_check_is_tested_with_two_wrong_answers(name):
    assert hasattr(checks, name), f"{USED[name]} calls checks.{name}, which cnnbook.checks does not export"
    wrongs = {check.__name__: wrongs for check, (_, wrongs) in CASES.items()}
    assert name in wrongs, f"{name} (used in {USED[name]}) has no CASES entry in tests/test_checks_*.py"
    assert len(wrongs[name]) >= 2, f"{name} is tested against {len(wrongs[name])} wrong answer(s); write at least 2"


def test_instructor_page_lists_every_exercise():
    page = (Path(__file__).parents[1] / "book" / "instructors.md").read_text()
    listed = set(re.findall(r"`(check_\w+)`", page))
    assert listed == set(USED), f"missing: {set(USED) - listed}; not in any notebook: {listed - set(USED)}"
