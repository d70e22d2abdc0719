"""Launch links that work: Colab, Binder and download links, derived from _config.yml alone.

For every notebook page of the built book (`make book` first) each link must be exactly
what the config implies, have the form its service expects, and point at a file that
exists where the link says: in the repository for Colab and Binder, in the built site
for the download button and for the student edition's Colab badge.
"""

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml

from book import CONFIG, NOTEBOOKS, REPO_ROOT, read_notebook
from cnnbook.editions import PAGES_BRANCH
from test_html import HTML_ROOT, parse

REPOSITORY = CONFIG["repository"]
LAUNCH = CONFIG["launch_buttons"]
OWNER, REPO = urlsplit(REPOSITORY["url"]).path.strip("/").split("/")
BRANCH = REPOSITORY["branch"]
# What Binder opens the notebook in (sphinx-book-theme's names for Jupyter's URL prefixes).
INTERFACE_PREFIX = {"classic": "tree", "jupyterlab": "lab/tree"}[LAUNCH.get("notebook_interface", "classic")]
SITE_DIR = REPO_ROOT / "build" / "site"  # `make assignments` writes here; the book copies it

# The forms the services accept, written out independently of the config.
COLAB_FORM = re.compile(
    r"https://colab\.research\.google\.com/github/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)"
    r"/blob/(?P<branch>[\w.-]+)/(?P<path>[\w/.-]+\.ipynb)"
)
BINDER_FORM = re.compile(
    r"https://mybinder\.org/v2/gh/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/(?P<branch>[\w.-]+)"
    r"\?urlpath=(?:tree|lab/tree)/(?P<path>[\w/.-]+\.ipynb)"
)
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^\s)\"']+")
NOTEBOOK_IDS = [path.name for path in NOTEBOOKS]


def path_in_repository(notebook):
    """Where a notebook sits in the repository, as the launch links name it."""
    relative = notebook.relative_to(REPO_ROOT).as_posix()
    return f"{REPOSITORY['path_to_book'].strip('/')}/{relative}".lstrip("/")


def expected_launch_links(notebook):
    path = path_in_repository(notebook)
    return {
        "Binder": f"{LAUNCH.get('binderhub_url')}/v2/gh/{OWNER}/{REPO}/{BRANCH}?urlpath={INTERFACE_PREFIX}/{path}",
        "Colab": f"{LAUNCH.get('colab_url')}/github/{OWNER}/{REPO}/blob/{BRANCH}/{path}",
    }


def built_page(notebook):
    page = HTML_ROOT / notebook.relative_to(REPO_ROOT).with_suffix(".html")
    assert page.is_file(), f"{page} was not built: run `make book` (is {notebook.name} in _toc.yml?)"
    return page


def launch_buttons(page):
    """The launch menu's buttons, as {label: href}."""
    menu = parse(page).select(".dropdown-launch-buttons a[href]")
    return {button.get_text(strip=True): button["href"] for button in menu}


def published_branch():
    """The branch whose pushes build and publish the book (.github/workflows/book.yml)."""
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "book.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    return triggers["push"]["branches"]


def test_config_asks_for_colab_and_binder_buttons():
    missing = [key for key in ("colab_url", "binderhub_url") if not LAUNCH.get(key)]
    assert not missing, f"set launch_buttons.{' and '.join(missing)} in _config.yml"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_launch_buttons_are_the_links_the_config_implies(notebook):
    found = launch_buttons(built_page(notebook))
    expected = expected_launch_links(notebook)
    assert found == expected, f"{notebook.name}: launch buttons {found}, expected {expected} from _config.yml"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=NOTEBOOK_IDS)
@pytest.mark.parametrize("service, form", [("Colab", COLAB_FORM), ("Binder", BINDER_FORM)], ids=["Colab", "Binder"])
def test_launch_link_has_the_service_form_and_opens_a_repository_file(notebook, service, form):
    link = launch_buttons(built_page(notebook)).get(service, "")
    match = form.fullmatch(link)
    assert match, f"{notebook.name}: {service} link {link!r} does not have the form {form.pattern}"
    assert match["branch"] in published_branch(), (
        f"{service} opens branch {match['branch']!r}, but the book is built from {published_branch()}: "
        "set repository.branch in _config.yml"
    )
    assert (REPO_ROOT / match["path"]).is_file(), f"{service} opens {match['path']}, which is not in the repository"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_download_button_serves_this_notebook(notebook):
    page = built_page(notebook)
    buttons = [a["href"] for a in parse(page).select(".dropdown-download-buttons a.btn-download-source-button")]
    # Sphinx copies each source file to _sources/, keeping its path.
    source_copy = HTML_ROOT / "_sources" / notebook.relative_to(REPO_ROOT)
    expected = Path(os.path.relpath(source_copy, page.parent)).as_posix()
    assert buttons == [expected], f"{notebook.name}: download buttons {buttons}, expected [{expected!r}]"
    served = (page.parent / unquote(buttons[0])).resolve()
    assert served.is_file(), f"{notebook.name}: the download button links to {served}, which is missing"
    downloaded = nbformat.read(served, as_version=4)
    nbformat.validate(downloaded)
    assert downloaded.cells == read_notebook(notebook).cells, f"{served} differs from {notebook}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_student_edition_opens_its_published_copy_in_colab(notebook):
    """The student notebook's badge opens the student notebook on the Pages branch, which holds the built site."""
    published = f"assignments/student/{notebook.name}"
    student = HTML_ROOT / published
    assert student.is_file(), f"{published} is not in the built site: run `make assignments` before `make book`"
    links = set(COLAB_LINK.findall(read_notebook(student).cells[0].source))
    expected = f"{LAUNCH.get('colab_url')}/github/{OWNER}/{REPO}/blob/{PAGES_BRANCH}/{published}"
    assert links == {expected}, f"student {notebook.name}: Colab links {links}, expected {expected}"
    assert (SITE_DIR / published).is_file(), f"{published} is missing from {SITE_DIR}: run `make assignments`"
