"""Student and instructor editions of the notebooks, generated from one source.

The chapter notebooks hold their exercise solutions between nbgrader's markers::

    def flatten_size(image_side):
        # a hint the student keeps
        ### BEGIN SOLUTION
        ...the answer...
        ### END SOLUTION

The **student edition** replaces each marked region with
``# YOUR CODE HERE`` and ``raise NotImplementedError()`` (what nbgrader writes),
strips every output, and points its "Open in Colab" badge at its own copy. The
**instructor edition** is the notebook as it is, solutions and outputs included.

    python -m cnnbook.editions notebooks build/site

writes ``build/site/assignments/{student,instructor}/*.ipynb`` and
``build/site/assignments/student-edition.zip``. The book copies ``build/site``
into the published site, so the student notebooks open in Colab from the
deployed pages branch.
"""

import copy
import re
import sys
import zipfile
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
# The branch GitHub Pages serves the built book from (see .github/workflows).
PAGES_BRANCH = "gh-pages"
STUDENT_NOTE = (
    "> **Student edition.** The exercise solutions are removed: each exercise cell says "
    "`raise NotImplementedError()` where your code goes. Run the cell after it to check "
    "your answer."
)
_MARKED_REGION = re.compile(
    rf"^(?P<indent>[ \t]*){re.escape(BEGIN)}[ \t]*\n.*?^[ \t]*{re.escape(END)}[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^\s)]+")


def strip_solutions(source, where="cell"):
    """Replace every marked solution region of a cell's source with a stub.

    Raises ValueError, naming ``where``, if the markers are unbalanced.
    """
    if source.count(BEGIN) != source.count(END):
        raise ValueError(
            f"{where}: {source.count(BEGIN)} '{BEGIN}' but {source.count(END)} '{END}' "
            "markers; every solution region needs one of each, each on its own line"
        )
    stubbed = _MARKED_REGION.sub(
        lambda match: f"{match['indent']}# YOUR CODE HERE\n{match['indent']}raise NotImplementedError()",
        source,
    )
    if BEGIN in stubbed or END in stubbed:
        raise ValueError(f"{where}: a solution marker is not on a line of its own, or END comes before BEGIN")
    return stubbed


def student_colab_url(repository_url, notebook_name):
    """Where Colab opens the student edition of a notebook: the deployed site's branch."""
    owner_repo = repository_url.removeprefix("https://github.com/")
    return (
        f"https://colab.research.google.com/github/{owner_repo}/blob/{PAGES_BRANCH}"
        f"/assignments/student/{notebook_name}"
    )


def student_edition(notebook, name, repository_url):
    """The student edition of a notebook (a new object; the original is unchanged)."""
    student = copy.deepcopy(notebook)
    title = student.cells[0]
    title.source = _COLAB_LINK.sub(student_colab_url(repository_url, name), title.source)
    title.source += "\n\n" + STUDENT_NOTE
    for index, cell in enumerate(student.cells):
        if cell.cell_type != "code":
            continue
        cell.source = strip_solutions(cell.source, where=f"{name}, cell {index}")
        cell.outputs = []
        cell.execution_count = None
    return student


def write_editions(notebook_dir, site_dir, repository_url):
    """Write both editions and the student zip under ``site_dir/assignments``.

    Only ever writes inside ``site_dir/assignments``. Returns the zip's path.
    """
    notebooks = sorted(Path(notebook_dir).glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"no notebooks (*.ipynb) in {notebook_dir}")
    out = Path(site_dir) / "assignments"
    for edition in ("student", "instructor"):
        (out / edition).mkdir(parents=True, exist_ok=True)
    archive = out / "student-edition.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in notebooks:
            notebook = nbformat.read(path, as_version=4)
            nbformat.write(notebook, out / "instructor" / path.name)
            student = student_edition(notebook, path.name, repository_url)
            nbformat.write(student, out / "student" / path.name)
            bundle.write(out / "student" / path.name, f"student-edition/{path.name}")
    return archive


def _repository_url(config_path):
    import yaml

    return yaml.safe_load(Path(config_path).read_text())["repository"]["url"]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m cnnbook.editions NOTEBOOK_DIR SITE_DIR  (run from the book's root)")
    written = write_editions(sys.argv[1], sys.argv[2], _repository_url("_config.yml"))
    print(f"wrote the student and instructor editions and {written}")
