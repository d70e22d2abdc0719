"""Measured numbers in the prose are glued from the outputs, never typed.

A number that a run computes (an accuracy, a loss, an AUC, a time, a rate, a ratio)
can change with the code, the seed, the library versions or the machine. The text
cites it with ``{glue:text}`key``` from the cell that computed it (see
``cnnbook.glue``), so the text and the outputs come from the same run.

This test finds measured-looking numbers typed into the markdown of the notebooks
and of the chapter pages: decimals, percentages, durations, sizes and ratios, outside
math, code and glue. Each must be glued, or match an entry of
``tests/typed_numbers_allowed.yml``, which says why it may stay typed (a fact of the
dataset or the architecture, the recipe, a threshold, a cited figure).
"""

import re
from fnmatch import fnmatch

import pytest
import yaml

from book import NOTEBOOKS, REPO_ROOT, read_notebook, toc_files

ALLOWED_FILE = REPO_ROOT / "tests" / "typed_numbers_allowed.yml"
ALLOWED = yaml.safe_load(ALLOWED_FILE.read_text())

UNITS = (
    r"%|×|x\b|times\b|s\b|ms\b|µs\b|seconds?\b|minutes?\b|min\b|hours?\b|"
    r"[KMG]i?B\b|images?/s\b|img/s\b|images per second\b|points?\b"
)
# A number, with its unit if it has one. Integers without a unit are counts or facts
# (60,000 images, 121,930 parameters) and are not flagged.
NUMBER = re.compile(
    rf"(?<![\w.,$\\/#@-])(?P<value>\d{{1,3}}(?:,\d{{3}})+|\d+)(?P<fraction>\.\d+)?"
    rf"(?P<unit>\s*(?:{UNITS}))?(?![\w.,]*\d)"
)
# What is not prose: math, code, glue roles, link targets, HTML tags, citations.
NOT_PROSE = [
    re.compile(r"^(```|~~~).*?^\1", re.S | re.M),
    re.compile(r"\$\$.*?\$\$", re.S),
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S),
    re.compile(r"\$[^$\n]+\$"),
    re.compile(r"\{glue(?::\w+)?\}`[^`]*`"),
    re.compile(r"\{(?:cite|ref|doc|numref|eq)(?::\w+)?\}`[^`]*`"),
    re.compile(r"`[^`\n]*`"),
    re.compile(r"\]\([^)]*\)"),
    re.compile(r"<[^>\n]+>"),
    re.compile(r"^:[\w-]+:.*$", re.M),  # directive options
]
# Section numbers of the article and the book (2.1, Chapter 5.3, | 4.2 |) and
# software versions are names, not measurements.
SECTION = re.compile(r"(?:[Ss]ections?|[Cc]hapters?|[Nn]otebooks?|§|^#+|\||\[|^[-*]|,|and|or|to)\s*$", re.M)
VERSION = re.compile(
    r"(?:Python|TensorFlow|TF|Keras|NumPy|JAX|PyTorch|torch|ipywidgets|Jupyter Book|JB|nbgrader|lime|"
    r"scikit-learn|scikit-image|MyST-NB|nbval|matplotlib|Sphinx|Colab's|release|version|v)\s*$"
)


def prose(text):
    for pattern in NOT_PROSE:
        text = pattern.sub(lambda match: " " * len(match.group(0)), text)
    return text


def is_name(text, match):
    """Section numbers (``2.1``) and versions (``TensorFlow 2.21``) are not measurements."""
    before = text[max(0, match.start() - 40) : match.start()]
    if VERSION.search(before):
        return True
    single_digits = re.fullmatch(r"[1-6]\.[1-9]", match.group(0).strip())
    return bool(single_digits and not match.group("unit") and SECTION.search(before))


def is_dimension(text, match):
    """``28 × 28``, ``3 x 3``: a shape, not a ratio. ``1990s``, ``four 1s``: a decade, a plural."""
    after = text[match.end() : match.end() + 4]
    unit = match.group("unit") or ""
    if unit.strip() in ("×", "x") and re.match(r"\s*\d", after):
        return True
    return unit == "s" and not match.group("fraction")


def typed_numbers(text):
    """``(number, context)`` for every measured-looking number typed into ``text``."""
    clean = prose(text)
    found = []
    for match in NUMBER.finditer(clean):
        if not (match.group("fraction") or match.group("unit")):
            continue
        if is_name(clean, match) or is_dimension(clean, match):
            continue
        context = " ".join(clean[max(0, match.start() - 50) : match.end() + 30].split())
        found.append((match.group(0).strip(), context))
    return found


def allowed(path, number, context):
    for entry in ALLOWED:
        if any(fnmatch(path, pattern) for pattern in entry["files"]) and re.search(entry["context"], context):
            return True
    return False


def markdown_of(path):
    if path.suffix == ".ipynb":
        return "\n\n".join(cell.source for cell in read_notebook(path).cells if cell.cell_type == "markdown")
    return path.read_text()


PAGES = sorted({REPO_ROOT / f"{name}.md" for name in toc_files() if (REPO_ROOT / f"{name}.md").exists()})
SOURCES = PAGES + NOTEBOOKS


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_no_measured_number_is_typed_by_hand(path):
    relative = str(path.relative_to(REPO_ROOT))
    typed = [(number, context) for number, context in typed_numbers(markdown_of(path))
             if not allowed(relative, number, context)]
    assert not typed, (
        f"{relative}: glue these numbers from the cell that computes them "
        "(cnnbook.glue + {glue:text}), or add a reviewed entry with a reason to "
        "tests/typed_numbers_allowed.yml:\n" + "\n".join(f"  {number!r} in: …{context}…" for number, context in typed)
    )


def test_every_allowed_entry_has_a_reason_and_is_used():
    texts = {str(path.relative_to(REPO_ROOT)): typed_numbers(markdown_of(path)) for path in SOURCES}
    for entry in ALLOWED:
        assert set(entry) == {"files", "context", "why"} and len(entry["why"]) > 15, entry
        used = any(
            re.search(entry["context"], context)
            for path, found in texts.items() if any(fnmatch(path, pattern) for pattern in entry["files"])
            for _, context in found
        )
        assert used, f"tests/typed_numbers_allowed.yml: entry no longer matches anything; remove it: {entry}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Training took 176 s on this machine.", ["176 s"]),
        ("It reaches 98.9% test accuracy.", ["98.9%"]),
        ("The tuned recipe is 1.7× faster, and 2.5 times cheaper.", ["1.7×", "2.5 times"]),
        ("An AUC of 0.547 against 0.521.", ["0.547", "0.521"]),
        ("The file holds 1.4 MiB.", ["1.4 MiB"]),
        ("It reached {glue:text}`test_accuracy` after {glue:text}`train_seconds`.", []),
        ("A 28 × 28 image, 60,000 digits, 121,930 parameters, 5 epochs, the 1990s.", []),
        ("Section 2.1 and chapters 3.1 and 3.2; TensorFlow 2.21 and Python 3.11.", []),
        ("The math $p = 0.5$ and code `lr=0.001` are not prose.", []),
    ],
)
def test_the_finder_flags_typed_measurements_and_nothing_else(text, expected):
    assert [number for number, _ in typed_numbers(text)] == expected
