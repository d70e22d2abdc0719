"""Colab badges, install lines and launch settings all derive from _config.yml."""

import re

import pytest

from book import BRANCH, CONFIG, NOTEBOOKS, REPO_ROOT, REPOSITORY_URL, read_notebook, source_lines

COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^\s)\"']+")
INSTALL_LINE = re.compile(r"git\+https?://[^\s\"']+")


def test_repository_is_configured_once_on_main():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY_URL), REPOSITORY_URL
    assert BRANCH == "main", "Jupyter Book defaults to 'master'; the repository's branch is main"
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_badge_points_at_this_notebook(path):
    notebook = read_notebook(path)
    owner_repo = REPOSITORY_URL.removeprefix("https://github.com/")
    expected = f"https://colab.research.google.com/github/{owner_repo}/blob/{BRANCH}/notebooks/{path.name}"
    links = [link for line in source_lines(notebook, "colab") for link in COLAB_LINK.findall(line)]
    assert links, f"{path.name} has no 'Open in Colab' badge"
    assert set(links) == {expected}, f"{path.name}: Colab links {links} should all be {expected}"
    # The badge sits right under the title, as the notebook skeleton asks.
    first = notebook.cells[0].source
    assert first.startswith("# ") and expected in first, "badge must be in the first (title) cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_install_line_matches_repository(path):
    notebook = read_notebook(path)
    installs = [url for line in source_lines(notebook, "pip install") for url in INSTALL_LINE.findall(line)]
    assert installs, f"{path.name} never installs cnnbook in Colab"
    assert set(installs) == {f"git+{REPOSITORY_URL}@{BRANCH}"}, installs
