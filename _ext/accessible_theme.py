"""Fixes for what axe-core (WCAG 2.1 AA) finds in the theme's and extensions' own markup.

Each fix changes the HTML that Sphinx writes, so that the page is right without
JavaScript too; tests/test_browser.py runs axe-core over every page in light and dark
mode. The search button is fixed in ``templates/search-button-field.html``,
colours in ``static/cnnbook.css``.

- **Hidden cells** (myst-nb): the ``<summary>`` that opens a hidden input or output
  was named "Toggle hidden content" while it shows "Show code cell source". A name
  that differs from the visible text fails WCAG 2.5.3 (label in name); without the
  ``aria-label`` the summary is named by what it shows.
- **Sidebar** (pydata-sphinx-theme): the chevron that opens a chapter's sections is a
  ``<summary>`` with no text (WCAG 4.1.2). It gets a name: "Sections of <chapter>".
- **References** (docutils): the list of citations is ``role="list"``, but each entry
  is ``role="doc-biblioentry"``, which a list may not hold (WCAG 1.3.1); entries
  become ``role="listitem"``.
"""

from html import escape

from bs4 import BeautifulSoup
from docutils import nodes
from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput
from sphinx.writers.html5 import HTML5Translator


def visit_hidden_cell(self, node):
    """myst-nb's visit_HideCellInput, less the summary's aria-label."""
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def visit_citation(self, node):
    """docutils' visit_citation, with list items in the list of citations."""
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def name_sidebar_toggles(soup):
    """Give each text-less <summary> of the sidebar a name from the page it opens (in place)."""
    for summary in soup.select("li > details > summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        link = summary.parent.parent.find("a", recursive=False)
        if link is not None:
            summary["aria-label"] = f"Sections of {link.get_text(' ', strip=True)}"
        for icon in summary.select("i"):
            icon["aria-hidden"] = "true"
    return soup


def wrap_toctree(app, pagename, templatename, context, doctree):
    generate = context.get("generate_toctree_html")
    if generate is None:
        return

    def generate_named(kind, *args, **kwargs):
        toctree = generate(kind, *args, **kwargs)  # a BeautifulSoup (theme 0.17), once an HTML string
        if kind != "sidebar":
            return toctree
        if isinstance(toctree, str):
            return str(name_sidebar_toggles(BeautifulSoup(toctree, "html.parser")))
        return name_sidebar_toggles(toctree)

    context["generate_toctree_html"] = generate_named


def setup(app):
    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_HideCellInput))
    app.add_node(nodes.citation, override=True, html=(visit_citation, HTML5Translator.depart_citation))
    # After pydata-sphinx-theme puts generate_toctree_html in the context (priority 500).
    app.connect("html-page-context", wrap_toctree, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
