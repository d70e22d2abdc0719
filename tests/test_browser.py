"""Every page of the built book (`make book` first) opened in headless Chromium, offline.

The book is served from ``_build/html`` on localhost, and every request to anywhere
else is blocked and recorded: a page that needs a CDN fails here. For each page in
the toc we also fail on console errors, untypeset math, images that did not load,
saved widgets that did not render and near-empty pages, and we save a full-page
screenshot to ``_build/screenshots/`` (look at them). ``make check-html`` runs this.
"""

import functools
import gzip
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from book import REPO_ROOT, read_notebook, toc_files

HTML_ROOT = REPO_ROOT / "_build" / "html"
SCREENSHOTS = REPO_ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# The most a page may load, counted as a static host such as GitHub Pages sends it
# (gzip-compressed): its HTML with the embedded figures and animations, plus every
# script, style and font. Uncompressed, the pages with widgets and animations load
# up to about 7 MB, most of it theme, MathJax and widget scripts shared by all pages.
PAGE_BUDGET_BYTES = 5_000_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
# Inline math $...$ (not a lone dollar amount), display math $$, \( and \begin{...}.
MATH_SOURCE = re.compile(r"\$\$|\\\(|\\begin\{|(?<![\\$\w])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\w)")
RAW_MATH = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\begin\{")
# A notebook's saved widget is a <script> holding its view; the widget manager draws
# the widget just before that script.
WIDGETS = """() => {
    const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
    const drawn = views.filter(view => view.previousElementSibling?.querySelector(".jupyter-widgets"));
    return {saved: views.length, drawn: drawn.length};
}"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def book_url():
    """The built book served on a free localhost port for the whole session."""
    if not (HTML_ROOT / "index.html").exists():
        pytest.fail("no built book: run `make book` first")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(HTML_ROOT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make check-html` installs it, or run `sudo apt-get install -y chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: run `make install` (it is pinned in requirements.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@functools.lru_cache(maxsize=None)
def served_sizes(url_path):
    """(bytes, gzip-compressed bytes) of a file of the built book."""
    data = (HTML_ROOT / unquote(url_path).lstrip("/")).read_bytes()
    return len(data), len(gzip.compress(data))


@pytest.fixture(scope="session")
def page_weights():
    """Bytes each page loads from the book (its HTML and every asset), written out at the end."""
    weights = {}
    yield weights
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "page-weights.json").write_text(json.dumps(weights, indent=1, sort_keys=True))


class OfflinePage:
    """A fresh browser context whose requests may only go to the book's server.

    Records what the page does wrong: console errors, uncaught exceptions, blocked
    requests to other hosts, local files that are missing, and the bytes it loaded.
    """

    def __init__(self, browser, book_url):
        self.book_url = book_url
        self.errors, self.blocked, self.missing, self.sizes = [], [], [], {}
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self.only_the_book)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught {error}"))
        self.page.on("response", self.record)

    def only_the_book(self, route):
        if route.request.url.startswith(self.book_url):
            route.continue_()
        else:
            self.blocked.append(f"{route.request.resource_type} {route.request.url}")
            route.abort("blockedbyclient")

    def record(self, response):
        if response.status >= 400:
            self.missing.append(f"{response.status} {response.url}")
        elif response.url.startswith(self.book_url):
            self.sizes[response.url] = served_sizes(urlsplit(response.url).path)

    def open(self, path):
        self.page.goto(self.book_url + path, wait_until="load")
        # MathJax typesets and the widget manager draws after "load"; the theme's
        # icons are swapped in on the next animation frames.
        self.page.evaluate("() => window.MathJax?.startup?.promise")
        for _ in range(100):
            widgets = self.page.evaluate(WIDGETS)
            if widgets["drawn"] == widgets["saved"]:
                break
            self.page.wait_for_timeout(100)
        self.page.wait_for_timeout(300)
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def offline_page(browser, book_url):
    page = OfflinePage(browser, book_url)
    yield page
    page.close()


def source_has_math(name):
    """Whether the page's source (markdown, not code) writes any LaTeX math."""
    notebook = REPO_ROOT / f"{name}.ipynb"
    if notebook.exists():
        text = "\n".join(cell.source for cell in read_notebook(notebook).cells if cell.cell_type == "markdown")
    else:
        text = re.sub(r"```.*?```", "", (REPO_ROOT / f"{name}.md").read_text(), flags=re.S)
    return bool(MATH_SOURCE.search(text))


# What a reader sees, measured in the page: text, text outside code, math, images.
PAGE_FACTS = """() => {
    const main = document.querySelector("main") || document.body;
    const prose = main.cloneNode(true);
    prose.querySelectorAll("pre, code, script, style, mjx-container").forEach(node => node.remove());
    return {
        text_length: main.innerText.trim().length,
        prose: prose.textContent,
        typeset: document.querySelectorAll("mjx-container").length,
        untypeset: [...document.querySelectorAll(".math")].filter(m => !m.querySelector("mjx-container")).length,
        broken_images: [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
                                           .map(i => i.src.slice(0, 100)),
    };
}"""


@pytest.mark.parametrize("name", toc_files())
def test_page_renders_offline_without_errors(name, offline_page, page_weights):
    page = offline_page.open(f"{name}.html")
    facts, widgets = page.evaluate(PAGE_FACTS), page.evaluate(WIDGETS)
    page.screenshot(path=SCREENSHOTS / f"{name.replace('/', '__')}.png", full_page=True)
    raw, compressed = (sum(sizes) for sizes in zip(*offline_page.sizes.values()))
    page_weights[name] = {"bytes": raw, "gzip_bytes": compressed, "files": len(offline_page.sizes)}

    assert not offline_page.blocked, f"{name} requests files from outside the book: {offline_page.blocked}"
    assert not offline_page.missing, f"{name} asks the book for files it lacks: {offline_page.missing}"
    assert not offline_page.errors, f"{name} logs JavaScript errors: {offline_page.errors}"
    assert facts["text_length"] > 500, f"{name} is nearly empty ({facts['text_length']} characters in <main>)"
    assert not facts["broken_images"], f"{name}: images that did not load: {facts['broken_images']}"
    if source_has_math(name):
        assert facts["typeset"] > 0, f"{name} writes math but MathJax typeset none of it"
    assert facts["untypeset"] == 0, f"{name}: {facts['untypeset']} formulas were not typeset by MathJax"
    raw = sorted(set(RAW_MATH.findall(facts["prose"])))
    assert not raw, f"{name} shows raw LaTeX delimiters {raw}: MathJax did not typeset them"
    assert widgets["drawn"] == widgets["saved"], f"{name} drew {widgets['drawn']} of its {widgets['saved']} widgets"
    assert compressed < PAGE_BUDGET_BYTES, f"{name} loads {compressed / 1e6:.1f} MB (gzip), over the 5 MB budget"


def test_search_finds_pages(offline_page):
    page = offline_page.open("search.html?q=convolution")
    results = page.locator("ul.search li a")
    results.first.wait_for(timeout=15_000)
    links = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    page.screenshot(path=SCREENSHOTS / "search.png", full_page=True)
    assert any("03_1_convolution" in link for link in links), f"searching 'convolution' found {links}"
    assert all(link.split("#")[0].endswith(".html") for link in links), f"search results link to non-pages: {links}"
    problems = offline_page.blocked + offline_page.missing + offline_page.errors
    assert not problems, f"the search page: {problems}"
