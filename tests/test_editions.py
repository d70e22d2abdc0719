"""The student and instructor editions: generated from notebooks/, and they work."""

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
def test_student_edition_differs_only_in_solutions_and_outputs(site, path):
    source = read_notebook(path)
    student = read_notebook(site / "student" / path.name)
    assert len(student.cells) == len(source.cells)
    assert editions.student_colab_url(REPOSITORY_URL, path.name) in student.cells[0].source
    for original, stub in zip(source.cells[1:], student.cells[1:]):
        if stub.cell_type != "code":
            assert stub.source == original.source
            continue
        assert stub.outputs == [] and stub.execution_count is None
        if "solution" in cell_tags(original):
            assert editions.BEGIN not in stub.source and "raise NotImplementedError()" in stub.source
            assert stub.source.splitlines()[0] == original.source.splitlines()[0]  # the def line stays
        else:
            assert stub.source == original.source


def test_student_zip_holds_every_student_notebook(site):
    import zipfile

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
