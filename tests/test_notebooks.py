"""The notebooks follow the book's skeleton and are stored as nbval will re-run them."""

import re

import nbformat
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


# What a checked output (one nbval compares) may not contain, because it differs from
# machine to machine or with what ran before in the kernel.
MACHINE_FACTS = {
    "a CPU instruction flag or model": re.compile(r"\b(?:avx\w*|amx\w*|sse\d\w*|Xeon|EPYC|Ryzen|Core\(TM\))", re.I),
    "a core count": re.compile(r"\(\d+ cores?\)|\b\d+ (?:CPU )?cores?\b|\b\d+ CPUs\b", re.I),
    "an absolute path (only /tmp/... is sanitised)": re.compile(r"(?<![\w.:/<])/(?!tmp/)[\w.-]+/[\w.-]+"),
    "the load average": re.compile(r"load average", re.I),
}


def keras_auto_name_pattern():
    """Names Keras gives unnamed layers and models after the first: ``dense_1``, ``conv2d_3`` ...

    Keras names a layer after its class in snake case (``MaxPooling2D`` ->
    ``max_pooling2d``) and adds ``_N`` from a counter shared by the whole process.
    """
    import keras

    def snake(name):
        name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
        return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()

    classes = {snake(name) for name, value in vars(keras.layers).items() if isinstance(value, type)}
    classes |= {"sequential", "functional", "model", "input_layer"}
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, classes), key=len, reverse=True)) + r")_\d+\b")


def output_text(output):
    """Every piece of text an output shows or stores, glued values included."""
    parts = [output.get("text", "")]
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith(("/text/plain", "/text/html", "/text/markdown")):
            parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def machine_dependent_outputs(notebook):
    """``(cell index, what, text found)`` for each checked output that depends on the machine."""
    patterns = {**MACHINE_FACTS, "a Keras auto-name (name the layer)": keras_auto_name_pattern()}
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "nbval-ignore-output" in cell_tags(cell):
            continue
        text = "\n".join(output_text(output) for output in cell.outputs)
        for what, pattern in patterns.items():
            match = pattern.search(text)
            if match:
                found.append((index, what, match.group(0)))
    return found


def test_checked_outputs_hold_on_every_machine(notebook):
    found = machine_dependent_outputs(notebook)
    assert not found, (
        "checked outputs that differ between machines or kernels; print them in an "
        "nbval-ignore-output cell, or name the layers:\n"
        + "\n".join(f"  cell {index}: {what}: {text!r}" for index, what, text in found)
    )


def _notebook_with_output(text, tags=()):
    cell = nbformat.v4.new_code_cell("print(...)", metadata={"tags": list(tags)})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return nbformat.v4.new_notebook(cells=[cell])


@pytest.mark.parametrize(
    "text, what",
    [
        ("CPU flags: amx_bf16, avx512_bf16", "a CPU instruction flag or model"),
        ("AMD EPYC 9B14", "a CPU instruction flag or model"),
        ("training on CPU (2 cores)", "a core count"),
        ("saved to /root/.cache/cnnbook/model.keras", "an absolute path (only /tmp/... is sanitised)"),
        ("│ dense_1 (Dense) │ (None, 10) │ 650 │", "a Keras auto-name (name the layer)"),
        ("max_pooling2d_3", "a Keras auto-name (name the layer)"),
    ],
)
def test_the_machine_check_catches_what_it_must(text, what):
    assert [found[1] for found in machine_dependent_outputs(_notebook_with_output(text))] == [what]
    assert machine_dependent_outputs(_notebook_with_output(text, tags=["nbval-ignore-output"])) == []


@pytest.mark.parametrize(
    "text",
    ["conv1, pool1, dense_out: 121,930 parameters", "saved to /tmp/PATH", "1/2 of the digits", "https://example.org/a/b"],
)
def test_the_machine_check_lets_portable_text_through(text):
    assert machine_dependent_outputs(_notebook_with_output(text)) == []
