"""The student, instructor and nbgrader editions: generated from notebooks/, and they work.

Real nbgrader runs on them in `make classroom-check` (tools/classroom_check.py); here,
without nbgrader, the rules it relies on.
"""

import zipfile

import nbformat
import pytest

from book import NOTEBOOKS, REPO_ROOT, REPOSITORY_URL, cell_tags, read_notebook
from execute_notebooks import execute
from cnnbook import editions

NOTEBOOK_IDS = [path.name for path in NOTEBOOKS]


def test_strip_solutions_keeps_hints_and_indentation():
    source = (
        "def area(width, height):\n"
        "    # multiply the sides\n"
        "    ### BEGIN SOLUTION\n"
        "    return width * height\n"
        "    ### END SOLUTION\n"
    )
    assert editions.strip_solutions(source) == (
        "def area(width, height):\n"
        "    # multiply the sides\n"
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
    )


def test_strip_solutions_handles_several_regions():
    region = "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n"
    stubbed = editions.strip_solutions(region + "y = 2\n" + region)
    assert stubbed.count("raise NotImplementedError()") == 2 and "y = 2" in stubbed and "x = 1" not in stubbed


@pytest.mark.parametrize(
    "broken",
    ["### BEGIN SOLUTION\nx = 1\n", "x = 1\n### END SOLUTION\n", "### END SOLUTION\nx\n### BEGIN SOLUTION\n"],
)
def test_unbalanced_markers_are_refused(broken):
    with pytest.raises(ValueError, match="cell 3"):
        editions.strip_solutions(broken, where="cell 3")


def test_strip_hidden_tests_removes_the_region_and_its_markers():
    source = "check(f)\n### BEGIN HIDDEN TESTS\nassert fresh_check(f)\n### END HIDDEN TESTS\nprint('done')"
    assert editions.strip_hidden_tests(source) == "check(f)\nprint('done')"


@pytest.mark.parametrize("line", ["x = 1  # BEGIN SOLUTION", "# see END HIDDEN TESTS below", "#### BEGIN SOLUTION"])
def test_a_line_nbgrader_would_read_as_a_marker_must_be_one(line):
    """nbgrader finds 'BEGIN SOLUTION' anywhere in a line: a marker is alone on its line."""
    with pytest.raises(ValueError, match="marker"):
        editions.strip_solutions(f"{line}\ny = 2\n", where="cell 3")


def code(source, tags=()):
    return nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})


def exercise_notebook(*extra_cells, solution=None, check="checks.check_flatten_size(flatten_size)"):
    solution = solution or code("def flatten_size(side):\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                                tags=["solution", "hide-input"])
    cells = [nbformat.v4.new_markdown_cell("# Title"), code("import cnnbook"), solution, code(check), *extra_cells]
    return nbformat.v4.new_notebook(cells=cells)


def test_nbgrader_metadata_comes_from_the_tags_and_markers():
    from cnnbook import checks

    notebook = editions.with_nbgrader_metadata(exercise_notebook(), "n.ipynb")
    assert notebook.cells[2].metadata["nbgrader"] == {
        "grade": False, "grade_id": "flatten_size", "locked": False, "schema_version": 3, "solution": True,
        "task": False}
    assert notebook.cells[3].metadata["nbgrader"] == {
        "grade": True, "grade_id": "check_flatten_size", "locked": True, "points": checks.check_flatten_size.points,
        "schema_version": 3, "solution": False, "task": False}
    assert all("nbgrader" not in cell.metadata for cell in notebook.cells[:2])


def test_stale_nbgrader_metadata_is_removed():
    notebook = exercise_notebook()
    notebook.cells[1].metadata["nbgrader"] = {"grade": True, "grade_id": "old", "points": 5}
    assert "nbgrader" not in editions.with_nbgrader_metadata(notebook, "n.ipynb").cells[1].metadata


@pytest.mark.parametrize("notebook, message", [
    (exercise_notebook(solution=code("def f():\n    return 1", tags=["solution"])), "no '### BEGIN SOLUTION'"),
    (exercise_notebook(solution=code("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")),
     "no 'solution' tag"),
    (exercise_notebook(check="print('no check')"), "must call one check"),
    (exercise_notebook(check="checks.check_flatten_size(f)\nchecks.check_conv2d_param_count(g)"), "calls 2"),
    (exercise_notebook(check="checks.check_no_such_thing(f)"), "does not export"),
    (exercise_notebook(nbformat.v4.new_markdown_cell("Write it between\n### BEGIN SOLUTION\nand the end")),
     "markdown cell"),
    (exercise_notebook(code("### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS")), "hidden tests belong"),
    (exercise_notebook(check="checks.check_flatten_size(f)\n### BEGIN HIDDEN TESTS\nassert True"), "without its"),
], ids=["tag without markers", "markers without tag", "no check", "two checks", "unknown check",
        "marker in markdown", "hidden tests outside a check cell", "unclosed hidden tests"])
def test_what_nbgrader_would_refuse_is_refused_with_the_cell_named(notebook, message):
    with pytest.raises(ValueError, match=message) as error:
        editions.with_nbgrader_metadata(notebook, "n.ipynb")
    assert "n.ipynb, cell " in str(error.value)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_committed_notebooks_carry_their_nbgrader_metadata(path):
    """`make outputs` writes it; nbgrader refuses solution markers in cells without it."""
    committed = read_notebook(path)
    expected = editions.with_nbgrader_metadata(read_notebook(path), path.name)
    for index, (cell, want) in enumerate(zip(committed.cells, expected.cells)):
        assert cell.metadata.get("nbgrader") == want.metadata.get("nbgrader"), (
            f"{path.name}, cell {index}: nbgrader metadata {cell.metadata.get('nbgrader')}, expected "
            f"{want.metadata.get('nbgrader')}: run `make outputs` (tools/execute_notebooks.py {path})")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_every_exercise_is_graded(path):
    assert editions.exercises(read_notebook(path), path.name), f"{path.name} has no exercise for nbgrader"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    editions.write_editions(REPO_ROOT / "notebooks", site, REPOSITORY_URL)
    return site / "assignments"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_instructor_edition_is_the_validated_notebook(site, path):
    """Byte for byte the notebook that nbval checks, so it passes nbval the same way."""
    assert nbformat.reads((site / "instructor" / path.name).read_text(), 4) == read_notebook(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_student_edition_differs_only_in_solutions_hidden_tests_and_outputs(site, path):
    source = read_notebook(path)
    student = read_notebook(site / "student" / path.name)
    assert len(student.cells) == len(source.cells)
    assert editions.student_colab_url(REPOSITORY_URL, path.name) in student.cells[0].source
    assert editions.STUDENT_NOTE in student.cells[0].source
    graded = editions.with_nbgrader_metadata(read_notebook(path), path.name)
    for original, stub, with_metadata in zip(source.cells[1:], student.cells[1:], graded.cells[1:]):
        assert stub.metadata.get("nbgrader") == with_metadata.metadata.get("nbgrader")
        if stub.cell_type != "code":
            assert stub.source == original.source
            continue
        assert stub.outputs == [] and stub.execution_count is None
        assert editions.BEGIN_HIDDEN not in stub.source
        if "solution" in cell_tags(original):
            assert editions.BEGIN not in stub.source and "raise NotImplementedError()" in stub.source
            assert stub.source.splitlines()[0] == original.source.splitlines()[0]  # the def line stays
        elif editions.BEGIN_HIDDEN in original.source:
            assert stub.source == editions.strip_hidden_tests(original.source)
        else:
            assert stub.source == original.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_nbgrader_course_holds_every_notebook_as_a_source(site, path):
    """One assignment per notebook: metadata, the student edition's title (for the release), no outputs."""
    source = read_notebook(site / editions.COURSE / "source" / path.stem / path.name)
    student = read_notebook(site / "student" / path.name)
    graded = editions.with_nbgrader_metadata(read_notebook(path), path.name)
    assert source.cells[0].source == student.cells[0].source
    for index, (cell, want) in enumerate(zip(source.cells, graded.cells)):
        assert cell.metadata.get("nbgrader") == want.metadata.get("nbgrader"), f"cell {index}"
        if index:
            assert cell.source == want.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_nbgrader_course_zip_holds_the_config_and_every_source(site):
    with zipfile.ZipFile(site / f"{editions.COURSE}.zip") as bundle:
        names = set(bundle.namelist())
        config = bundle.read(f"{editions.COURSE}/nbgrader_config.py").decode()
    assert names == {f"{editions.COURSE}/nbgrader_config.py"} | {
        f"{editions.COURSE}/source/{path.stem}/{path.name}" for path in NOTEBOOKS}
    assert 'c.Execute.kernel_name = "cnnbook"' in config and "c.Execute.timeout = 1200" in config
    assert "capture_fd_output=False" in config


def test_student_zip_holds_every_student_notebook(site):
    with zipfile.ZipFile(site / "student-edition.zip") as bundle:
        names = sorted(bundle.namelist())
        assert names == sorted(f"student-edition/{path.name}" for path in NOTEBOOKS)
        for path in NOTEBOOKS:
            stored = nbformat.reads(bundle.read(f"student-edition/{path.name}").decode(), 4)
            assert stored == read_notebook(site / "student" / path.name)


def exercises_with_setup(notebook):
    """The setup cell and everything from the Exercises heading on."""
    start = next(i for i, cell in enumerate(notebook.cells) if cell.source.startswith("## Exercises"))
    setup = next(cell for cell in notebook.cells if cell.cell_type == "code")
    trimmed = nbformat.v4.new_notebook(cells=[setup, *notebook.cells[start:]], metadata=notebook.metadata)
    return trimmed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_student_exercises_run_and_report_not_implemented(site, path):
    """In the student edition every check reports 'not implemented yet'; nothing crashes."""
    notebook = exercises_with_setup(read_notebook(site / "student" / path.name))
    execute(notebook, REPO_ROOT / "notebooks", timeout=600)
    checks = [cell for cell in notebook.cells if cell.cell_type == "code" and "checks.check_" in cell.source]
    assert checks, f"{path.name} has no self-checked exercise"
    for cell in checks:
        printed = "".join(output.get("text", "") for output in cell.outputs)
        assert "not implemented yet" in printed, f"{path.name}: check cell printed {printed!r}"
    scores = editions.tally(notebook)
    assert scores and all(scored == 0 for scored, _ in scores.values()), scores


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_tally_gives_the_solutions_full_marks(path):
    notebook = editions.with_nbgrader_metadata(read_notebook(path), path.name)
    scores = editions.tally(notebook)
    assert scores == {name: (points, points) for name, points in editions.points(notebook, path.name).items()}


def test_tally_gives_nothing_for_a_check_cell_rewritten_to_print_a_pass():
    path = REPO_ROOT / "notebooks" / "03_1_convolution.ipynb"
    notebook = editions.with_nbgrader_metadata(read_notebook(path), path.name)
    forged = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade"))
    forged.source = 'print("✓ it passed")'
    assert editions.tally(notebook)[forged.metadata["nbgrader"]["grade_id"]][0] == 0


def test_pages_workflow_publishes_the_branch_the_student_badges_open():
    import yaml

    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "book.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    publish = next(step for step in steps if step.get("uses", "").startswith("peaceiris/actions-gh-pages"))
    assert publish["with"].get("publish_branch", "gh-pages") == editions.PAGES_BRANCH
    assert publish["with"]["publish_dir"] == "_build/html"
    commands = [step["run"] for step in steps if "run" in step]
    assert commands == ["make test"], "the workflow runs the same target as .ci/run (make test builds the book)"
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
