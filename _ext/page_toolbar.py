"""The row of links at the top of every notebook page: the routes a reader needs.

Each notebook starts with an "Open in Colab" badge, which serves readers on GitHub and
in Colab. On the book's page we show, in its place, one row of links:

- **Run in Colab**: this notebook from the repository's branch (the instructor edition,
  with its solutions and outputs);
- **Student edition in Colab**: the student edition that `make assignments` writes to
  ``assignments/student/`` and that is published with the book on the Pages branch
  (:func:`cnnbook.editions.student_colab_url`);
- **Download notebook**: this notebook, as Sphinx copies it to ``_sources/``;
- **View source**: the notebook on GitHub.

Every address comes from ``_config.yml`` (``repository`` and ``launch_buttons``), which
Jupyter Book passes to Sphinx as ``html_theme_options``; tests/test_launch_links.py
checks each link against the config and against the files it must open.
"""

import posixpath

from docutils import nodes
from sphinx.util import logging

from local_colab_badge import LOCAL_BADGE, REMOTE_BADGE

logger = logging.getLogger(__name__)
COLAB_URL = "https://colab.research.google.com"
TOOLBAR_CLASS = "cnnbook-toolbar"


def notebook_links(app, docname):
    """The toolbar's (label, icon, href) for the page ``docname``, from the config alone."""
    from cnnbook.editions import student_colab_url

    options = app.config.html_theme_options
    repository, branch = options["repository_url"].rstrip("/"), options.get("repository_branch", "main")
    colab = options.get("launch_buttons", {}).get("colab_url", COLAB_URL).rstrip("/")
    source = str(app.env.doc2path(docname, base=False)).replace("\\", "/")
    in_repository = posixpath.join(options.get("path_to_docs", "").strip("/"), source).lstrip("/")
    owner_repo = repository.removeprefix("https://github.com/")
    download = posixpath.relpath(f"_sources/{source}", posixpath.dirname(docname) or ".")
    return [
        ("Run in Colab", "fa-solid fa-rocket", f"{colab}/github/{owner_repo}/blob/{branch}/{in_repository}"),
        ("Student edition in Colab", "fa-solid fa-graduation-cap",
         student_colab_url(repository, posixpath.basename(source))),
        ("Download notebook", "fa-solid fa-download", download),
        ("View source", "fa-brands fa-github", f"{repository}/blob/{branch}/{in_repository}"),
    ]


def toolbar_html(links):
    items = "".join(
        f'<a class="{TOOLBAR_CLASS}__link" href="{href}"{" download" if not href.startswith("https:") else ""}>'
        f'<i class="{icon}" aria-hidden="true"></i>{label}</a>'
        for label, icon, href in links
    )
    return f'<nav class="{TOOLBAR_CLASS}" aria-label="Notebook links">{items}</nav>'


def is_badge_paragraph(node):
    """A paragraph that holds nothing but the "Open in Colab" badge link."""
    if not isinstance(node, nodes.paragraph) or len(node.children) != 1:
        return False
    link = node.children[0]
    return (isinstance(link, nodes.reference) and len(link.children) == 1
            and isinstance(link.children[0], nodes.image)
            and link.children[0]["uri"] in (REMOTE_BADGE, LOCAL_BADGE))


def add_toolbar(app, doctree):
    docname = app.env.docname
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    toolbar = nodes.raw("", toolbar_html(notebook_links(app, docname)), format="html")
    badge = next(doctree.findall(is_badge_paragraph), None)
    if badge is not None:
        badge.replace_self(toolbar)
        return
    title = next(doctree.findall(nodes.title), None)
    if title is None:
        logger.warning(f"page_toolbar: {docname} has no title to put the notebook links under")
        return
    title.parent.insert(title.parent.index(title) + 1, toolbar)


def setup(app):
    # After local_colab_badge (400), before Sphinx collects the images (500): the badge
    # we replace is then never copied into the book.
    app.connect("doctree-read", add_toolbar, priority=450)
    app.add_css_file("cnnbook.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
