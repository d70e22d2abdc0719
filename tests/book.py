"""What the tests need to know about the book's sources: config, toc, notebooks."""

import os
import re
import sys
from pathlib import Path

import nbformat
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tools"))  # the tests run notebooks the way `make outputs` does
CONFIG = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text())
REPOSITORY_URL = CONFIG["repository"]["url"]
BRANCH = CONFIG["repository"]["branch"]
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
# The built book the HTML checks read: `make book`'s, or another build named by
# CNNBOOK_HTML_ROOT (a copy of the published site, an older build to compare with).
HTML_ROOT = Path(os.environ.get("CNNBOOK_HTML_ROOT", REPO_ROOT / "_build" / "html"))


def toc_files():
    """Every page in the toc, as a path relative to the book root without suffix."""
    files = [TOC["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(TOC.get("parts", []))
    walk(TOC.get("chapters", []))
    return files


def read_notebook(path):
    return nbformat.read(path, as_version=4)


def cell_tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def source_lines(notebook, pattern):
    """All source lines of a notebook that match a regex."""
    regex = re.compile(pattern)
    return [line for cell in notebook.cells for line in cell.source.splitlines() if regex.search(line)]
