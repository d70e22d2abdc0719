"""Checks of the built book (`make book` first): what a reader's browser gets."""

import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from book import HTML_ROOT, REPO_ROOT, toc_files

PAGES = sorted(HTML_ROOT.rglob("*.html")) if HTML_ROOT.exists() else []
BOOK_PAGES = [p for p in PAGES if "_static" not in p.parts and "_sources" not in p.parts]
EXTERNAL = ("http://", "https://", "mailto:", "javascript:", "data:")


@lru_cache(maxsize=None)
def parse(path):
    return BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")


def page_id(path):
    return str(path.relative_to(HTML_ROOT))


def test_book_is_built():
    assert (HTML_ROOT / "index.html").exists(), "no built book: run `make book` first"


@pytest.mark.parametrize("name", toc_files())
def test_every_toc_page_is_built_and_not_empty(name):
    page = HTML_ROOT / f"{name}.html"
    assert page.exists(), f"{name} is in _toc.yml but {page} was not built"
    main = parse(page).find("main") or parse(page).find("article")
    assert main is not None and len(main.get_text(" ", strip=True)) > 500, f"{page_id(page)} is nearly empty"


@pytest.mark.parametrize("page", BOOK_PAGES, ids=page_id)
def test_local_images_exist_and_have_alt_text(page):
    for image in parse(page).find_all("img"):
        source = image.get("src", "")
        assert source, f"<img> without src in {page_id(page)}"
        if not source.startswith(EXTERNAL):
            target = (page.parent / unquote(urlsplit(source).path)).resolve()
            assert target.is_file(), f"{page_id(page)}: image {source} is missing"
        if image.find_parent(class_="cell_output"):
            assert len(image.get("alt", "")) > 20, f"{page_id(page)}: figure {source} has no alt text"


@pytest.mark.parametrize("page", BOOK_PAGES, ids=page_id)
def test_internal_links_and_anchors_resolve(page):
    for link in parse(page).find_all("a", href=True):
        href = link["href"]
        if href.startswith(EXTERNAL):
            continue
        parts = urlsplit(href)
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if target.is_dir():
            target = target / "index.html"
        assert target.exists(), f"{page_id(page)}: broken link {href}"
        if parts.fragment and target.suffix == ".html":
            anchor = parse(target).find(id=parts.fragment)
            assert anchor is not None, f"{page_id(page)}: link {href} names a missing anchor"


@pytest.mark.parametrize("page", BOOK_PAGES, ids=page_id)
def test_no_error_output_on_any_page(page):
    soup = parse(page)
    assert "Traceback (most recent call last)" not in soup.get_text(), f"{page_id(page)} shows a traceback"
    assert not soup.select(".output.error, .output.traceback, .output.stderr"), f"{page_id(page)} shows an error"


def notebook_pages():
    return sorted((HTML_ROOT / "notebooks").glob("*.html")) if HTML_ROOT.exists() else []


# Pages that may show fewer than two figures, with the reason.
FEWER_FIGURES = {
    # a chapter of timing tables: one figure sums up the recipe's steps
    "04_2_training_faster": 1,
}


@pytest.mark.parametrize("page", notebook_pages(), ids=page_id)
def test_notebook_pages_show_figures_and_their_notebook_links(page):
    """The links themselves are checked in test_launch_links.py."""
    soup = parse(page)
    figures = [img for img in soup.find_all("img") if img.find_parent(class_="cell_output")]
    wanted = FEWER_FIGURES.get(page.stem, 2)
    assert len(figures) >= wanted, f"{page_id(page)} shows {len(figures)} figures"
    labels = [a.get_text(strip=True) for a in soup.select("nav.cnnbook-toolbar a[href]")]
    assert "Run in Colab" in labels and "Student edition in Colab" in labels, (
        f"{page_id(page)}: no row of notebook links under the title (found {labels})"
    )


def test_notebook_pages_were_found():
    assert notebook_pages(), "no notebook pages in the built book"


# The whole page, every script and style counted, is weighed in test_browser.py; this is
# the same budget for what the page itself carries, checked without a browser.
PAGE_BUDGET_BYTES = 3_000_000


@pytest.mark.parametrize("page", BOOK_PAGES, ids=page_id)
def test_page_weight_within_budget(page):
    """The page's HTML (embedded figures, animations and widget state included) plus the images it shows."""
    images = {
        (page.parent / unquote(urlsplit(img["src"]).path)).resolve()
        for img in parse(page).find_all("img", src=True)
        if not img["src"].startswith(EXTERNAL)
    }
    weight = page.stat().st_size + sum(image.stat().st_size for image in images if image.is_file())
    assert weight < PAGE_BUDGET_BYTES, f"{page_id(page)} weighs {weight / 1e6:.1f} MB"


@pytest.mark.parametrize("page", BOOK_PAGES, ids=page_id)
def test_heading_levels_do_not_skip(page):
    article = parse(page).find("article") or parse(page)
    levels = [int(tag.name[1]) for tag in article.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    if not levels:
        return
    assert levels[0] == 1, f"{page_id(page)} starts at h{levels[0]}"
    skips = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not skips, f"{page_id(page)}: heading level jumps {skips}"


def icon_fonts_module():
    sys.path.insert(0, str(REPO_ROOT / "_ext"))
    import icon_fonts

    return icon_fonts


def test_icon_fonts_hold_every_icon_the_book_uses():
    """The cut-down Font Awesome fonts (_ext/icon_fonts.py) hold every glyph a page can show.

    Each icon class a built page or the theme's scripts name is looked up in the theme's
    own style sheet; its code point must be in the solid, regular or brands font."""
    from fontTools.ttLib import TTFont

    fonts = icon_fonts_module()
    static = HTML_ROOT / "_static"
    catalogue = fonts.icon_catalogue((static / fonts.THEME_CSS).read_text(encoding="utf-8"))
    kept = set()
    for source, _, _ in fonts.FACES:
        kept |= set(TTFont(static / fonts.OUTPUT / Path(source).with_suffix(".woff").name).getBestCmap())
    used = {name for page in PAGES for name in fonts.ICON_CLASS.findall(page.read_text(encoding="utf-8"))}
    missing = sorted(name for name in used if name in catalogue and catalogue[name] not in kept)
    assert len(used & set(catalogue)) > 10, f"found only {sorted(used)} icon classes in the pages"
    assert not missing, f"icons the pages use but the cut-down fonts lack: {missing}"
    theme_css = (static / fonts.THEME_CSS).read_text(encoding="utf-8")
    lacking = sorted(hex(point) for point in fonts.code_points_outside_catalogue(theme_css) - kept)
    assert not lacking, f"Font Awesome characters of the theme's style sheet not in the cut-down fonts: {lacking}"


@pytest.mark.parametrize("page", BOOK_PAGES, ids=page_id)
def test_pages_use_the_cut_down_icon_fonts(page):
    links = [link["href"] for link in parse(page).find_all("link", rel="stylesheet")]
    theme = [i for i, href in enumerate(links) if "pydata-sphinx-theme.css" in href]
    ours = [i for i, href in enumerate(links) if "icon-fonts.css" in href]
    if not theme:  # index.html only redirects to the first page
        return
    assert ours and ours[0] > theme[0], (
        f"{page_id(page)}: icon-fonts.css must come after the theme's style sheet, so that its fonts win: {links}"
    )


@pytest.mark.parametrize("name", toc_files())
def test_every_glued_number_is_filled_in(name):
    """A `{glue:text}` role the build could not resolve would leave its source in the text."""
    page = HTML_ROOT / f"{name}.html"
    main = parse(page).find("main") or parse(page)
    text = main.get_text(" ", strip=True)
    assert "{glue" not in text and "glue:text" not in text, f"{name}: unresolved glue in the page"
    source = (REPO_ROOT / f"{name}.md") if (REPO_ROOT / f"{name}.md").exists() else REPO_ROOT / f"{name}.ipynb"
    roles = source.read_text(encoding="utf-8").count("{glue:text}")
    pasted = [span.get_text(strip=True) for span in main.select(".pasted-text")]
    assert len(pasted) >= roles, f"{name}: {roles} glue roles in the source, {len(pasted)} values on the page"
    assert all(pasted), f"{name}: a glued value is empty"
