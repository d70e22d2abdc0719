"""`make classroom-check`: the notebooks in real nbgrader, used the way a teacher uses them.

    .venv/bin/python tools/classroom_check.py --nbgrader .venv-nbgrader/bin [--site build/site]

1. Unzips the nbgrader course that `make assignments` builds
   (build/site/assignments/nbgrader-course.zip: every notebook, one assignment each) into
   a new directory, and registers the grading kernel: this Python (the book's .venv, with
   cnnbook, TensorFlow and the data), as the kernelspec `cnnbook` the course's config names.
2. Runs `nbgrader generate_assignment "*"` with nbgrader's own strict defaults.
3. Checks the release: no solution, hidden test or output is left; each Colab badge opens
   the student edition; every exercise is a locked, graded test worth its check's points;
   and the book's own student edition is the release, cell for cell (so it strips
   solutions and hidden tests exactly as nbgrader does). At least one check cell must hold
   a hidden test.
4. Hands in 03_1 and 03_2 for three students (the stubs as released, the solutions, and
   known wrong answers, among them a solution cell that overwrites a check), runs
   `nbgrader autograde` in the quick mode (CNNBOOK_QUICK=1) and `nbgrader validate` on a
   stub, asserts every exercise's score and hint, and prints the grades table.

The nbgrader commands run from the venv given by --nbgrader (nbgrader calls `alembic`
from PATH, so that folder goes first on PATH). Nothing outside a temporary directory is
written; --keep DIR keeps the course there instead.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
GRADED = ["03_1_convolution", "03_2_pooling"]  # cheap to execute: chapter 3 trains nothing
HIDDEN_TEST_NOTEBOOK = "03_2_pooling"

# Wrong answers as a student writes them: {assignment: {solution grade id: (cell source,
# words the verdict must hold, or None for an answer that is right)}}. Every other
# exercise of the "mistakes" student gets the book's solution.
MISTAKES = {
    "03_1_convolution": {
        "conv_output_size": ("""\
def conv_output_size(n, k, stride, padding):
    return np.array((n + 2 * padding - k) // stride + 1)  # right, as a 0-d array
""", None),
        "correlate2d": ("""\
def correlate2d(image, kernel, stride=1):
    image[:] = 0  # blanks the caller's image, so that the check's reference would be 0 too
    rows = (image.shape[0] - kernel.shape[0]) // stride + 1
    cols = (image.shape[1] - kernel.shape[1]) // stride + 1
    return np.zeros((rows, cols))
""", "changed `image` in place"),
        "conv_input_gradient": ("""\
def conv_input_gradient(grad_out, kernel):
    kh, kw = kernel.shape
    grad = np.zeros((grad_out.shape[0] + kh - 1, grad_out.shape[1] + kw - 1))
    for i in range(grad_out.shape[0]):
        for j in range(grad_out.shape[1]):
            grad[i : i + kh, j : j + kw] += grad_out[i, j] * kernel[::-1, ::-1]  # flipped
    return grad
""", "flipped the wrong way"),
    },
    "03_2_pooling": {
        "max_pool_backward": ("""\
def max_pool_backward(x, grad_out, size, stride):
    grad = np.zeros_like(x)
    for i in range(grad_out.shape[0]):
        for j in range(grad_out.shape[1]):
            rows = slice(i * stride, i * stride + size)
            cols = slice(j * stride, j * stride + size)
            window = x[rows, cols]
            grad[rows, cols] += grad_out[i, j] * (window == window.max())  # every tied maximum
    return grad


checks.check_max_pool_backward = lambda function: None  # and silences the check that follows
""", "every one of them"),
        "avg_pool_backward": ("""\
def avg_pool_backward(x, grad_out, size, stride):
    grad = np.zeros(x.shape)
    for i in range(grad_out.shape[0]):
        for j in range(grad_out.shape[1]):
            grad[i * stride : i * stride + size, j * stride : j * stride + size] += grad_out[i, j] / size
    return grad
""", "1/(size*size)"),
    },
}
STUDENTS = ["stubs", "solutions", "mistakes"]
# The course's config allows 1200 s a cell, for the training cells of the full mode. The
# graded notebooks' slowest cell takes seconds in the quick mode; a lower limit bounds the
# cost of an nbclient stall after a cell that displays widgets (jupyter/nbclient#312: now
# and then the execute reply is only read when the cell's timeout runs out, and execution
# then goes on normally).
CELL_TIMEOUT = ["--Execute.timeout=180"]
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class ClassroomCheckFailed(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise ClassroomCheckFailed(message)


# --- running nbgrader -----------------------------------------------------------------


def nbgrader_env(nbgrader_bin, work):
    """The environment of every nbgrader command: its venv first on PATH, Jupyter's
    folders inside the work directory, the quick mode and the data for the kernel."""
    env = dict(os.environ)
    expect(env.get("CNNBOOK_DATA_DIR"), "set CNNBOOK_DATA_DIR: the grading kernel needs the MNIST files")
    env.update(
        PATH=f"{nbgrader_bin}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_PATH=str(work / "jupyter" / "share" / "jupyter"),
        JUPYTER_CONFIG_DIR=str(work / "jupyter" / "config"),
        JUPYTER_RUNTIME_DIR=str(work / "jupyter" / "runtime"),
        CNNBOOK_QUICK="1",
    )
    env.pop("NBGRADER_EXECUTION", None)
    return env


def run(command, cwd, env, timeout=1800):
    """Run one command; its output goes to logs/ beside the course, and is shown when it fails."""
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    print(f"  $ {' '.join(command)}   ({time.monotonic() - started:.0f} s)", flush=True)
    logs = Path(cwd).parent / "logs"
    logs.mkdir(exist_ok=True)
    (logs / f"{len(list(logs.iterdir())):02d}-{Path(command[0]).name}-{Path(command[1]).name}.log").write_text(
        done.stdout + done.stderr)
    if done.returncode != 0:
        print(done.stdout[-6000:], done.stderr[-6000:], sep="\n")
        raise ClassroomCheckFailed(f"{command[0]} exited with {done.returncode}")
    return done.stdout + done.stderr


def register_kernel(work):
    """The grading kernel `cnnbook`: this Python, as a teacher registers it (with --user)."""
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(work / "jupyter"),
                    "--name", "cnnbook", "--display-name", "Python 3 (cnnbook)"],
                   check=True, capture_output=True)


# --- the release ----------------------------------------------------------------------


def read(path):
    import nbformat

    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def region_lines(source, begin, end):
    """The non-blank lines between a cell's ``begin`` and ``end`` markers."""
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def solution_region_lines(source):
    return region_lines(source, "BEGIN SOLUTION", "END SOLUTION")


def hidden_lines(source):
    return region_lines(source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def secret_lines(source):
    """The lines of a cell's solution and hidden-test regions that appear nowhere else in it."""
    from cnnbook import editions

    public = {line.strip() for line in editions.strip_hidden_tests(editions.strip_solutions(source)).splitlines()}
    return [line for line in solution_region_lines(source) + hidden_lines(source) if line not in public]


def check_release(course, site, repository_url):
    """Every notebook's release: nothing secret left, right badge, graded cells, = the student edition."""
    from cnnbook import editions

    hidden_cells = 0
    for source_path in sorted((course / "source").glob("*/*.ipynb")):
        name = source_path.name
        source = read(source_path)
        release = read(course / "release" / source_path.parent.name / name)
        student = read(site / "assignments" / "student" / name)
        expect(len(release.cells) == len(source.cells), f"{name}: the release has another number of cells")
        points = editions.points(source, name)
        graded = {}
        for index, (original, released) in enumerate(zip(source.cells, release.cells)):
            where = f"{name}, cell {index}"
            text = released.source
            for marker in SOLUTION_MARKERS + HIDDEN_MARKERS:
                expect(marker not in text, f"{where}: the release still holds {marker!r}")
            for line in secret_lines(original.source):
                expect(line not in text, f"{where}: the release still holds the line {line!r}")
            hidden_cells += bool(hidden_lines(original.source))
            if released.cell_type == "code":
                expect(not released.outputs and released.execution_count is None, f"{where}: the release has outputs")
            meta = nbgrader_meta(released)
            if meta.get("grade"):
                expect(meta.get("locked") and len(meta.get("checksum", "")) == 32,
                       f"{where}: a graded cell that nbgrader did not lock and checksum")
                graded[meta["grade_id"]] = meta["points"]
            expect(released.source == student.cells[index].source,
                   f"{where}: the book's student edition differs from nbgrader's release:\n"
                   f"{student.cells[index].source!r}\n!=\n{released.source!r}")
        expect(graded == points, f"{name}: graded cells {graded}, but the checks give {points}")
        badge = editions.student_colab_url(repository_url, name)
        links = re.findall(r"https://colab\.research\.google\.com/github/[^\s)]+", release.cells[0].source)
        expect(links == [badge], f"{name}: the release's Colab badge opens {links}, not the student edition {badge}")
    expect(hidden_cells >= 1, "no check cell holds a hidden test (### BEGIN HIDDEN TESTS): see "
           f"book/instructors.md; notebooks/{HIDDEN_TEST_NOTEBOOK}.ipynb should")
    return hidden_cells


# --- submissions ----------------------------------------------------------------------


def without_markers(source):
    return "\n".join(line for line in source.split("\n") if not any(m in line for m in SOLUTION_MARKERS))


def hand_in(course):
    """submitted/<student>/<assignment>/<assignment>.ipynb for the three students."""
    import nbformat

    for assignment in GRADED:
        source = read(course / "source" / assignment / f"{assignment}.ipynb")
        solutions = {nbgrader_meta(cell)["grade_id"]: without_markers(cell.source)
                     for cell in source.cells if nbgrader_meta(cell).get("solution")}
        unknown = set(MISTAKES[assignment]) - set(solutions)
        expect(not unknown, f"{assignment}: MISTAKES names exercises it does not have: {unknown}")
        for student in STUDENTS:
            notebook = read(course / "release" / assignment / f"{assignment}.ipynb")
            for cell in notebook.cells:
                grade_id = nbgrader_meta(cell).get("grade_id")
                if nbgrader_meta(cell).get("solution") and student != "stubs":
                    wrong = MISTAKES[assignment].get(grade_id) if student == "mistakes" else None
                    cell.source = wrong[0] if wrong else solutions[grade_id]
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / f"{assignment}.ipynb")


def expected_score(student, assignment, check_id, max_score):
    if student == "stubs":
        return 0
    if student == "solutions":
        return max_score
    wrong = MISTAKES[assignment].get(check_id.removeprefix("check_"))
    return 0 if wrong and wrong[1] else max_score


def verdict_lines(course, student, assignment):
    """{grade id: what its test cell printed} in the autograded notebook."""
    notebook = read(course / "autograded" / student / assignment / f"{assignment}.ipynb")
    printed = {}
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("grade"):
            printed[nbgrader_meta(cell)["grade_id"]] = "".join(
                output.get("text", "") + output.get("evalue", "") for output in cell.outputs)
    return printed


def dump_scores(course):
    """(Run by nbgrader's Python.) Every grade in the gradebook, as JSON on stdout."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gradebook:
        for assignment in gradebook.assignments:
            for notebook in assignment.notebooks:
                for submission in notebook.submissions:
                    for grade in submission.grades:
                        rows.append([submission.student.id, assignment.name, grade.name, grade.score, grade.max_score])
    print(json.dumps(rows))


def check_grades(course, nbgrader_bin, env):
    output = run([str(Path(nbgrader_bin) / "python"), __file__, "--dump-scores", str(course)], course, env)
    rows = json.loads(output.strip().splitlines()[-1])
    scores = {}
    for student, assignment, check_id, score, max_score in rows:
        scores.setdefault((student, assignment), {})[check_id] = (score, max_score)
    expect(set(scores) == {(s, a) for s in STUDENTS for a in GRADED}, f"graded submissions: {sorted(scores)}")
    for (student, assignment), cells in sorted(scores.items()):
        printed = verdict_lines(course, student, assignment)
        for check_id, (score, max_score) in cells.items():
            want = expected_score(student, assignment, check_id, max_score)
            expect(score == want, f"{student}, {assignment}, {check_id}: scored {score}/{max_score}, expected {want}:"
                   f"\n{printed.get(check_id, '')}")
            wrong = MISTAKES[assignment].get(check_id.removeprefix("check_")) if student == "mistakes" else None
            if wrong and wrong[1]:
                expect(wrong[1] in printed[check_id], f"{student}, {assignment}, {check_id}: the verdict lacks "
                       f"{wrong[1]!r}:\n{printed[check_id]}")
            if student == "stubs":
                expect("not implemented yet" in printed[check_id], f"{assignment}, {check_id}: {printed[check_id]}")
    return scores


def check_export(course, env, scores):
    """`nbgrader export` (grades.csv): the totals a teacher reads agree with the cells'."""
    run(["nbgrader", "export"], course, env)
    with open(course / "grades.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    expect({(row["student_id"], row["assignment"]) for row in rows} >= set(scores), "grades.csv lacks submissions")
    for row in rows:
        cells = scores.get((row["student_id"], row["assignment"]))
        if cells is None:  # an assignment this student did not hand in
            expect(float(row["raw_score"]) == 0, f"grades.csv scores a missing submission: {row}")
        else:
            expect(
                float(row["raw_score"]) == sum(score for score, _ in cells.values())
                and float(row["max_score"]) == sum(top for _, top in cells.values()),
                f"grades.csv disagrees with the gradebook: {row}",
            )


def grades_table(scores):
    def total(cells):
        return f"{sum(s for s, _ in cells.values()):g}/{sum(m for _, m in cells.values()):g}"

    lines = ["| submission | " + " | ".join(GRADED) + " | total |", "|---" * (len(GRADED) + 2) + "|"]
    for student in STUDENTS:
        everything = {(a, c): v for a in GRADED for c, v in scores[(student, a)].items()}
        lines.append(f"| {student} | " + " | ".join(total(scores[(student, a)]) for a in GRADED)
                     + f" | {total(everything)} |")
    lines += ["", "| exercise | " + " | ".join(STUDENTS) + " |", "|---" * (len(STUDENTS) + 1) + "|"]
    for assignment in GRADED:
        for check_id in scores[(STUDENTS[0], assignment)]:
            lines.append(f"| {assignment} {check_id} | " + " | ".join(
                "{:g}/{:g}".format(*scores[(s, assignment)][check_id]) for s in STUDENTS) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nbgrader", type=Path, help="the bin folder of nbgrader's venv")
    parser.add_argument("--site", type=Path, default=REPO_ROOT / "build" / "site", help="what `make assignments` wrote")
    parser.add_argument("--keep", type=Path, help="build the course in this new folder and keep it")
    parser.add_argument("--dump-scores", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump_scores:
        return dump_scores(args.dump_scores)
    import yaml

    started = time.monotonic()
    nbgrader_bin = args.nbgrader.resolve()
    expect((nbgrader_bin / "nbgrader").is_file(), f"no nbgrader in {nbgrader_bin}: run `make classroom-check`")
    archive = args.site / "assignments" / "nbgrader-course.zip"
    expect(archive.is_file(), f"{archive} is missing: run `make assignments` first")
    repository_url = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())["repository"]["url"]
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="classroom-check-"))
    work.mkdir(parents=True, exist_ok=bool(not args.keep))
    try:
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(work)
        course = work / "nbgrader-course"
        register_kernel(work)
        env = nbgrader_env(nbgrader_bin, work)
        print(f"classroom-check: a course of {len(list((course / 'source').iterdir()))} notebooks in {course}")
        run(["nbgrader", "generate_assignment", "*"], course, env)
        hidden = check_release(course, args.site, repository_url)
        print(f"  the release holds no solution, hidden test or output; it is the book's student edition, "
              f"cell for cell; {hidden} check cell(s) hold a hidden test")
        hand_in(course)
        stub = course / "submitted" / "stubs" / GRADED[-1] / f"{GRADED[-1]}.ipynb"
        validation = run(["nbgrader", "validate", str(stub), *CELL_TIMEOUT], course, env)
        expect("VALIDATION FAILED" in validation, f"nbgrader validate passed the stubs:\n{validation[-3000:]}")
        for assignment in GRADED:
            run(["nbgrader", "autograde", assignment, *CELL_TIMEOUT], course, env)
        scores = check_grades(course, nbgrader_bin, env)
        check_export(course, env, scores)
        print("\n" + grades_table(scores) + "\n")
        print(f"classroom-check: passed in {time.monotonic() - started:.0f} s")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except ClassroomCheckFailed as failure:
        sys.exit(f"classroom-check FAILED: {failure}")
