"""Student, instructor and nbgrader editions of the notebooks, generated from one source.

The chapter notebooks hold their exercise solutions between nbgrader's markers, in a
code cell tagged ``solution``; the code cell after it calls the exercise's check::

    def flatten_size(image_side):
        # a hint the student keeps
        ### BEGIN SOLUTION
        ...the answer...
        ### END SOLUTION

    checks.check_flatten_size(flatten_size)

A check cell may also hold a hidden test, which nbgrader keeps for grading and removes
from what students get::

    ### BEGIN HIDDEN TESTS
    ...a second copy of the check...
    ### END HIDDEN TESTS

From those tags and markers alone, :func:`with_nbgrader_metadata` writes nbgrader's cell
metadata: the solution cell becomes an nbgrader solution cell, the check cell a locked,
autograded test worth the check's points (``@exercise_check(points=...)``). ``make
outputs`` writes it into every notebook it executes, and every edition below writes it
again, so it cannot drift from the tags and markers.

- The **instructor edition** is the notebook as it is, solutions and outputs included.
- The **student edition** replaces each solution region with ``# YOUR CODE HERE`` and
  ``raise NotImplementedError()``, removes each hidden-test region, strips every output
  (exactly what ``nbgrader generate_assignment`` does), and points its "Open in Colab"
  badge at its own copy, with a note saying it is the student edition.
- The **nbgrader course** is a course directory for nbgrader: ``nbgrader_config.py`` and
  ``source/<notebook>/<notebook>.ipynb``, one assignment per notebook, each with the
  student edition's title (nbgrader copies it into the release that students get) and
  without outputs. ``nbgrader generate_assignment`` turns it into the student edition.

    python -m cnnbook.editions notebooks build/site

writes ``build/site/assignments/{student,instructor}/*.ipynb``,
``build/site/assignments/nbgrader-course/`` and the zips ``student-edition.zip`` and
``nbgrader-course.zip`` beside them. The book copies ``build/site`` into the published
site, so the student notebooks open in Colab from the deployed pages branch.

    python -m cnnbook.editions tally handed-in/*.ipynb

prints the points of executed notebooks without nbgrader (:func:`tally`).
"""

import copy
import re
import sys
import zipfile
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
# nbgrader finds its delimiters anywhere in a line, without the ###: so do we.
_DELIMITERS = [marker.removeprefix("### ") for marker in (BEGIN, END, BEGIN_HIDDEN, END_HIDDEN)]
NBGRADER_SCHEMA_VERSION = 3
# The branch GitHub Pages serves the built book from (see .github/workflows).
PAGES_BRANCH = "gh-pages"
COURSE = "nbgrader-course"
STUDENT_NOTE = (
    "> **Student edition.** The exercise solutions are removed: each exercise cell says "
    "`raise NotImplementedError()` where your code goes. Run the cell after it to check "
    "your answer."
)
_CHECK_CALL = re.compile(r"\bchecks\.(check_\w+)\(")
_COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^\s)]+")
# nbgrader's configuration of a course made of these notebooks (see book/instructors.md).
NBGRADER_CONFIG = '''\
# nbgrader's configuration for a course made of the book's notebooks: one assignment per
# notebook, in source/<notebook>/<notebook>.ipynb. See the book's page "For instructors".
c = get_config()  # noqa: F821 (nbgrader defines get_config)

c.CourseDirectory.course_id = "deep-learning-image-recognition"
# Grade in the kernel that has cnnbook, TensorFlow and the data: the book's own Python,
# registered once with
#   .venv/bin/python -m ipykernel install --user --name cnnbook --env CNNBOOK_DATA_DIR /path/to/data
c.Execute.kernel_name = "cnnbook"
# nbgrader's default of 30 s per cell is too short: chapter 4.1 trains the CNN in one cell
# (1 to 3 minutes on a laptop's CPU). The same limit as the book's own tests.
c.Execute.timeout = 1200
# TensorFlow's C++ logs go to the terminal, not into the cells: nbgrader scores a test cell
# that printed anything on stderr as failed.
c.Execute.extra_arguments = ["--IPKernelApp.capture_fd_output=False"]
'''


def _marker_lines(source, where):
    """Every line that holds one of nbgrader's delimiters; ValueError unless it is exactly a marker."""
    lines = []
    for line in source.splitlines():
        if any(delimiter in line for delimiter in _DELIMITERS):
            if line.strip() not in (BEGIN, END, BEGIN_HIDDEN, END_HIDDEN):
                raise ValueError(f"{where}: {line.strip()!r}: nbgrader reads this line as a marker; write "
                                 f"the marker alone on its line ({BEGIN!r}, {END!r}, {BEGIN_HIDDEN!r} "
                                 f"or {END_HIDDEN!r}), or reword it")
            lines.append(line.strip())
    return lines


def _remove_regions(source, begin, end, replacement, where):
    """Replace every region from a ``begin`` line to an ``end`` line with ``replacement(indent)`` lines."""
    kept, inside = [], False
    for line in source.split("\n"):
        if line.strip() == begin:
            if inside:
                raise ValueError(f"{where}: '{begin}' inside another region; close it with '{end}' first")
            inside = True
            kept += [line[: len(line) - len(line.lstrip())] + stub for stub in replacement]
        elif line.strip() == end:
            if not inside:
                raise ValueError(f"{where}: '{end}' without a '{begin}' before it")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ValueError(f"{where}: '{begin}' without its '{end}'")
    return "\n".join(kept)


def strip_solutions(source, where="cell"):
    """Replace every marked solution region of a cell's source with nbgrader's stub.

    Raises ValueError, naming ``where``, if the markers are unbalanced or not on lines
    of their own.
    """
    _marker_lines(source, where)
    if source.count(BEGIN) != source.count(END):
        raise ValueError(
            f"{where}: {source.count(BEGIN)} '{BEGIN}' but {source.count(END)} '{END}' "
            "markers; every solution region needs one of each, each on its own line"
        )
    return _remove_regions(source, BEGIN, END, ["# YOUR CODE HERE", "raise NotImplementedError()"], where)


def strip_hidden_tests(source, where="cell"):
    """Remove every hidden-test region of a cell's source, markers included, as nbgrader does."""
    _marker_lines(source, where)
    return _remove_regions(source, BEGIN_HIDDEN, END_HIDDEN, [], where)


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def exercises(notebook, name):
    """``[(solution_index, check_index, check_name)]``: each exercise of a notebook.

    An exercise is a code cell tagged ``solution`` that holds ``### BEGIN SOLUTION``,
    followed by a code cell that calls exactly one ``checks.check_<name>(...)``. Raises
    ValueError, naming the notebook and cell, for anything nbgrader would refuse or that
    would grade nothing: a marker in a markdown cell, a tag without markers or markers
    without the tag, a solution without a check cell after it, hidden tests outside a
    check cell, a check used twice.
    """
    found, seen = [], set()
    code = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    for index, cell in enumerate(notebook.cells):
        where = f"{name}, cell {index}"
        markers = _marker_lines(cell.source, where)
        if cell.cell_type != "code":
            if markers:
                raise ValueError(f"{where}: a {cell.cell_type} cell holds {markers[0]!r}; nbgrader reads it as a "
                                 "region to remove. Solutions and hidden tests go in code cells")
            continue
        tagged, marked = "solution" in _tags(cell), BEGIN in markers
        if tagged != marked:
            raise ValueError(f"{where}: " + ("tagged 'solution' but has no '### BEGIN SOLUTION' region" if tagged
                                             else "has a '### BEGIN SOLUTION' region but no 'solution' tag"))
        if not tagged:
            continue
        strip_solutions(cell.source, where)  # balanced markers
        after = [i for i in code if i > index]
        calls = _CHECK_CALL.findall(notebook.cells[after[0]].source) if after else []
        if len(calls) != 1:
            raise ValueError(f"{where}: the code cell after a solution must call one check, "
                             f"checks.check_<name>(<function>); it calls {len(calls)}")
        if calls[0] in seen:
            raise ValueError(f"{where}: checks.{calls[0]} grades two exercises of {name}; each needs its own check")
        seen.add(calls[0])
        found.append((index, after[0], calls[0]))
    graded = {check for _, check, _ in found}
    for index, cell in enumerate(notebook.cells):
        if BEGIN_HIDDEN in cell.source and index not in graded:
            raise ValueError(f"{name}, cell {index}: hidden tests belong in the check cell after a solution, "
                             "which nbgrader grades; nbgrader refuses them anywhere else")
        if BEGIN_HIDDEN in cell.source:
            strip_hidden_tests(cell.source, f"{name}, cell {index}")  # balanced markers
    return found


def _points(check_name, where):
    from cnnbook import checks

    check = getattr(checks, check_name, None)
    if check is None or not hasattr(check, "points"):
        raise ValueError(f"{where}: calls checks.{check_name}, which cnnbook.checks does not export "
                         "as an @exercise_check")
    return check.points


def with_nbgrader_metadata(notebook, name):
    """Write nbgrader's cell metadata from the notebook's tags and markers (in place).

    Each exercise's solution cell gets ``solution: true`` and the grade id ``<name>``;
    the check cell after it, calling ``checks.check_<name>``, becomes a locked autograded
    test, grade id ``check_<name>``, worth the check's points. Every other cell loses any
    nbgrader metadata, so none can drift from the tags and markers. Returns the notebook.
    """
    roles = {}
    for solution, check, check_name in exercises(notebook, name):
        exercise = check_name.removeprefix("check_")
        roles[solution] = {"grade": False, "grade_id": exercise, "locked": False, "solution": True}
        roles[check] = {"grade": True, "grade_id": check_name, "locked": True,
                        "points": _points(check_name, f"{name}, cell {check}"), "solution": False}
    for index, cell in enumerate(notebook.cells):
        if index in roles:
            cell.metadata["nbgrader"] = {**roles[index], "schema_version": NBGRADER_SCHEMA_VERSION, "task": False}
        else:
            cell.metadata.pop("nbgrader", None)
    return notebook


def points(notebook, name):
    """``{check name: points}`` of a notebook's exercises."""
    return {check_name: _points(check_name, name) for _, _, check_name in exercises(notebook, name)}


def student_colab_url(repository_url, notebook_name):
    """Where Colab opens the student edition of a notebook: the deployed site's branch."""
    owner_repo = repository_url.removeprefix("https://github.com/")
    return (
        f"https://colab.research.google.com/github/{owner_repo}/blob/{PAGES_BRANCH}"
        f"/assignments/student/{notebook_name}"
    )


def _student_title(notebook, name, repository_url):
    title = notebook.cells[0]
    title.source = _COLAB_LINK.sub(student_colab_url(repository_url, name), title.source) + "\n\n" + STUDENT_NOTE


def _without_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def nbgrader_source(notebook, name, repository_url):
    """The notebook as an nbgrader source (a new object): metadata, the student title, no outputs."""
    source = with_nbgrader_metadata(copy.deepcopy(notebook), name)
    _student_title(source, name, repository_url)
    _without_outputs(source)
    return source


def student_edition(notebook, name, repository_url):
    """The student edition of a notebook (a new object; the original is unchanged).

    What ``nbgrader generate_assignment`` makes of :func:`nbgrader_source`: solution
    regions stubbed, hidden tests removed, no outputs. It keeps the nbgrader metadata
    (without nbgrader's checksums), so nbgrader can autograde it when students hand it in.
    """
    student = nbgrader_source(notebook, name, repository_url)
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "code":
            where = f"{name}, cell {index}"
            cell.source = strip_hidden_tests(strip_solutions(cell.source, where), where)
    return student


def _zip(files, root, archive, top):
    """Zip ``files`` (paths under ``root``) into ``archive``, as ``top/<path relative to root>``."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in files:
            bundle.write(path, f"{top}/{path.relative_to(root).as_posix()}")


def write_editions(notebook_dir, site_dir, repository_url):
    """Write the three editions and their zips under ``site_dir/assignments``.

    Only ever writes inside ``site_dir/assignments``. Returns the student zip's path.
    """
    notebooks = sorted(Path(notebook_dir).glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"no notebooks (*.ipynb) in {notebook_dir}")
    out = Path(site_dir) / "assignments"
    course = out / COURSE
    for folder in (out / "student", out / "instructor", course):
        folder.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    students, sources = [], [course / "nbgrader_config.py"]
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        nbformat.write(notebook, out / "instructor" / path.name)
        students.append(out / "student" / path.name)
        nbformat.write(student_edition(notebook, path.name, repository_url), students[-1])
        sources.append(course / "source" / path.stem / path.name)
        sources[-1].parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_source(notebook, path.name, repository_url), sources[-1])
    _zip(students, out / "student", out / "student-edition.zip", "student-edition")
    _zip(sources, course, out / f"{COURSE}.zip", COURSE)
    return out / "student-edition.zip"


def tally(notebook):
    """``{check name: (points scored, points)}`` read from an executed notebook's check cells.

    For grading without nbgrader: a check cell (nbgrader metadata ``grade: true``, as the
    student edition carries it) scores its points when it still calls its own check,
    raised nothing and printed only passing verdicts (lines starting with ✓). It reads
    the outputs the notebook holds, which a student can edit: execute handed-in
    notebooks yourself before you tally them.
    """
    scores = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        printed = "".join(output.get("text", "") for output in cell.get("outputs", []) if output.get("name") == "stdout")
        verdicts = [line for line in printed.splitlines() if line[:1] in ("✓", "✗", "…")]
        passed = (_CHECK_CALL.findall(cell.source)[:1] == [meta["grade_id"]] and verdicts
                  and all(line.startswith("✓") for line in verdicts)
                  and not any(output.get("output_type") == "error" for output in cell.get("outputs", [])))
        scores[meta["grade_id"]] = (meta["points"] if passed else 0, meta["points"])
    return scores


def _print_tally(paths):
    total = [0, 0]
    for path in paths:
        for check_name, (scored, points) in tally(nbformat.read(path, as_version=4)).items():
            print(f"{path}\t{check_name}\t{scored:g}/{points:g}")
            total = [total[0] + scored, total[1] + points]
    print(f"total\t\t{total[0]:g}/{total[1]:g}")


def _repository_url(config_path):
    import yaml

    return yaml.safe_load(Path(config_path).read_text())["repository"]["url"]


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "tally":
        sys.exit(_print_tally(sys.argv[2:]))
    if len(sys.argv) != 3:
        sys.exit("usage: python -m cnnbook.editions NOTEBOOK_DIR SITE_DIR  (run from the book's root)\n"
                 "       python -m cnnbook.editions tally EXECUTED_NOTEBOOK...")
    written = write_editions(sys.argv[1], sys.argv[2], _repository_url("_config.yml"))
    print(f"wrote the student, instructor and nbgrader editions and {written}")
