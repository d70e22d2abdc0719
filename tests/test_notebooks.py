"""The notebooks follow the book's skeleton and are stored as nbval will re-run them."""

import pytest

from book import NOTEBOOKS, cell_tags, read_notebook

NOTEBOOK_IDS = [path.name for path in NOTEBOOKS]


@pytest.fixture(params=NOTEBOOKS, ids=NOTEBOOK_IDS)
def notebook(request):
    return read_notebook(request.param)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def headings(notebook):
    return [
        line for cell in notebook.cells if cell.cell_type == "markdown"
        for line in cell.source.splitlines() if line.startswith("#")
    ]


def test_skeleton_sections_in_order(notebook):
    found = headings(notebook)
    assert found[0].startswith("# ") and sum(h.startswith("# ") for h in found) == 1, "exactly one H1 title"
    sections = [h for h in found if h.startswith("## ")]
    for required in ["## Overview", "## Setup", "## Summary", "## Exercises"]:
        assert required in sections, f"missing section {required!r}"
    order = [sections.index(s) for s in ["## Overview", "## Setup", "## Summary", "## Exercises"]]
    assert order == sorted(order), sections


def test_first_code_cell_is_the_hidden_setup(notebook):
    setup = code_cells(notebook)[0]
    assert "cnnbook.setup(" in setup.source
    assert "hide-output" in cell_tags(setup)


def test_stored_outputs_come_from_one_clean_top_to_bottom_run(notebook):
    counts = [cell.execution_count for cell in code_cells(notebook)]
    assert counts == list(range(1, len(counts) + 1)), f"run `make outputs`; execution counts are {counts}"
    for cell in code_cells(notebook):
        for output in cell.outputs:
            assert output.output_type != "error", f"stored error in cell:\n{cell.source[:200]}"
            assert output.get("name") != "stderr", (
                f"stored stderr output (nbval cannot reproduce it) in cell:\n{cell.source[:200]}\n{output.text[:300]}"
            )


def test_has_checked_assertions(notebook):
    """A notebook whose asserting cells are all ignored by nbval tests nothing."""
    checked = [
        cell for cell in code_cells(notebook)
        if "nbval-ignore-output" not in cell_tags(cell) and "assert " in cell.source
    ]
    assert len(checked) >= 2, "add cells that assert what matters, with outputs nbval compares"


def test_every_figure_has_alt_text(notebook):
    for cell in code_cells(notebook):
        if any("image/png" in output.get("data", {}) for output in cell.outputs):
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 20, f"figure without alt text (cell metadata mystnb.image.alt):\n{cell.source[:200]}"


def test_exercises_use_solution_markers_and_self_checks(notebook):
    cells = code_cells(notebook)
    solutions = [i for i, cell in enumerate(cells) if "solution" in cell_tags(cell)]
    assert solutions, "every chapter notebook has at least one exercise"
    for index in solutions:
        cell = cells[index]
        assert cell.source.count("### BEGIN SOLUTION") == cell.source.count("### END SOLUTION") >= 1
        assert "hide-input" in cell_tags(cell), "solutions are folded away in the book"
        following = cells[index + 1]
        assert "checks.check_" in following.source, "a solution cell is followed by its self-check"
        verdict = "".join(output.get("text", "") for output in following.outputs)
        assert verdict.startswith("✓"), f"stored self-check verdict is not a pass: {verdict!r}"
        assert all(output.output_type == "stream" for output in following.outputs), "the check shows only its line"
    marked = [cell for cell in cells if "### BEGIN SOLUTION" in cell.source]
    assert all("solution" in cell_tags(cell) for cell in marked), "cells with markers must be tagged 'solution'"
