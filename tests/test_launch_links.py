"""Launch links that work: Colab, Binder and download links, derived from _config.yml alone.

For every notebook page of the built book (`make book` first) each link must be exactly
what the config implies, have the form its service expects, and point at a file that
exists where the link says: in the repository for Colab, Binder and "View source", in
the built site (published on the Pages branch) for the download links, the student
edition and its Colab badge.

Each notebook page starts with one row of links (_ext/page_toolbar.py): "Run in Colab"
(the notebook on the repository's branch), "Student edition in Colab" (the generated
student notebook, without solutions), "Download notebook" and "View source".
"""

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml

from book import CONFIG, NOTEBOOKS, REPO_ROOT, read_notebook
from cnnbook.editions import BEGIN, PAGES_BRANCH, student_colab_url
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
GITHUB_FILE_FORM = re.compile(
    r"https://github\.com/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/blob/(?P<branch>[\w.-]+)/(?P<path>[\w/.-]+\.ipynb)"
)
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^\s)\"']+")
TOOLBAR_LABELS = ["Run in Colab", "Student edition in Colab", "Download notebook", "View source"]
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


def toolbar(page):
    """The notebook links under the page's title, as [(label, href)], and where they sit."""
    soup = parse(page)
    bars = soup.select("nav.cnnbook-toolbar")
    assert len(bars) == 1, f"{page.name}: {len(bars)} rows of notebook links (nav.cnnbook-toolbar), expected one"
    links = [(a.get_text(strip=True), a["href"]) for a in bars[0].select("a[href]")]
    return links, bars[0]


def download_path(page, notebook):
    """The download link Sphinx's copy of the notebook (in _sources/) implies, relative to the page."""
    return Path(os.path.relpath(HTML_ROOT / "_sources" / notebook.relative_to(REPO_ROOT), page.parent)).as_posix()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_toolbar_is_one_row_of_the_four_links_right_under_the_title(notebook):
    links, bar = toolbar(built_page(notebook))
    assert [label for label, _ in links] == TOOLBAR_LABELS, f"{notebook.name}: the notebook links are {links}"
    title = bar.find_previous_sibling()
    assert title is not None and title.name == "h1", (
        f"{notebook.name}: the links follow {title and title.name}, not directly the page's title"
    )
    assert "colab-badge" not in str(parse(built_page(notebook)).find("main")), (
        f"{notebook.name}: the notebook's own Colab badge is still shown next to the links"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_toolbar_links_are_the_ones_the_config_implies(notebook):
    page = built_page(notebook)
    found = dict(toolbar(page)[0])
    path = path_in_repository(notebook)
    expected = {
        "Run in Colab": expected_launch_links(notebook)["Colab"],
        "Student edition in Colab": f"{LAUNCH.get('colab_url')}/github/{OWNER}/{REPO}/blob/{PAGES_BRANCH}"
                                    f"/assignments/student/{notebook.name}",
        "Download notebook": download_path(page, notebook),
        "View source": f"{REPOSITORY['url']}/blob/{BRANCH}/{path}",
    }
    assert found == expected, f"{notebook.name}: notebook links {found}, expected {expected} from _config.yml"
    assert found["Student edition in Colab"] == student_colab_url(REPOSITORY["url"], notebook.name), (
        "the page and the student edition's own badge (cnnbook.editions.student_colab_url) must open the same notebook"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_toolbar_links_open_files_that_exist(notebook):
    """Each link has its service's form and opens a file that is where it says."""
    page = built_page(notebook)
    found = dict(toolbar(page)[0])
    run = COLAB_FORM.fullmatch(found["Run in Colab"])
    assert run and run["branch"] in published_branch() and (REPO_ROOT / run["path"]).is_file(), found["Run in Colab"]
    source = GITHUB_FILE_FORM.fullmatch(found["View source"])
    assert source and (source["owner"], source["repo"]) == (OWNER, REPO), found["View source"]
    assert source["branch"] in published_branch() and (REPO_ROOT / source["path"]).is_file(), found["View source"]
    downloaded = (page.parent / unquote(found["Download notebook"])).resolve()
    assert downloaded.is_file(), f"{notebook.name}: 'Download notebook' links to {downloaded}, which is missing"
    assert read_notebook(downloaded).cells == read_notebook(notebook).cells, f"{downloaded} differs from {notebook}"
    student = COLAB_FORM.fullmatch(found["Student edition in Colab"])
    assert student and student["branch"] == PAGES_BRANCH, found["Student edition in Colab"]
    # The Pages branch holds the built site (publish_dir: _build/html), so the path is a file of it.
    assert (HTML_ROOT / student["path"]).is_file(), f"{student['path']} is not in the built site"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_student_link_opens_the_student_edition_not_the_solutions(notebook):
    student_path = COLAB_FORM.fullmatch(dict(toolbar(built_page(notebook))[0])["Student edition in Colab"])["path"]
    student, instructor = read_notebook(HTML_ROOT / student_path), read_notebook(notebook)
    solutions = [cell for cell in instructor.cells if BEGIN in cell.source]
    assert solutions, f"{notebook.name} has no exercise with a solution to hide"
    leaked = [cell.source.splitlines()[0] for cell in student.cells if BEGIN in cell.source]
    assert not leaked, f"the student edition of {notebook.name} shows solutions: {leaked}"
    stubs = [cell for cell in student.cells if "raise NotImplementedError()" in cell.source]
    assert len(stubs) >= len(solutions), f"the student edition of {notebook.name} has {len(stubs)} exercise stubs"
