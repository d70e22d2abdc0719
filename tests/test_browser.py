"""Every page of the built book (`make book` first) opened in headless Chromium, offline.

The book is served from ``_build/html`` on localhost, and every request to anywhere
else is blocked and recorded: a page that needs a CDN fails here. For each page in
the toc we check what a reader gets:

- it renders: no console errors, math typeset, images loaded, saved widgets drawn;
- it is light: at most 3 MB on a cold load, every resource counted as served, with no
  Font Awesome script (the theme's style sheet draws its icons) and only the cut-down
  icon fonts;
- it is accessible: axe-core (vendored, WCAG 2.1 AA) finds no critical or serious
  violation, in light and in dark mode;
- it reads well: no code block scrolls sideways on a 1366 px desktop, the page itself
  never scrolls sideways on a 390 px phone, figure text stays legible at display size,
  and every figure has alt text and a numbered caption;
- it does what it shows: every control in a notebook's outputs changes what is shown.

Screenshots of every page (desktop and phone, light and dark) go to
``_build/screenshots/``, and the numbers behind each check to
``_build/screenshots/report.json``: look at both. ``make check-html`` runs this.
"""

import base64
import functools
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from book import HTML_ROOT, REPO_ROOT, read_notebook, toc_files

SCREENSHOTS = HTML_ROOT.parent / "screenshots"  # _build/screenshots, or next to CNNBOOK_HTML_ROOT
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO_ROOT / "vendor" / "axe-core" / "axe.min.js"
# The most a page may load on a first visit, as the server sends it (uncompressed: not
# every host compresses), every resource counted: its HTML with the embedded figures
# and animations, and every script, style sheet, font and image it asks for.
PAGE_BUDGET_BYTES = 3_000_000
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
MODES = ["light", "dark"]
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
# WCAG 2.1 A and AA, the standard the book promises; the impacts that fail the test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_FAILING_IMPACTS = ("critical", "serious")
# Figure text: the shared figure code draws no text below MIN_FONT_PT (tests/test_plots.py),
# and a reader should see at least MIN_TEXT_PX of it on a desktop. An image whose PNG
# says no dpi is taken at matplotlib's default of 100.
MIN_FONT_PT, MIN_TEXT_PX, DEFAULT_DPI = 10, 9, 100
FIGURE_NUMBER = re.compile(r"^Fig\.\s*\d+")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def book_url():
    """The built book served on a free localhost port for the whole session."""
    if not (HTML_ROOT / "index.html").exists():
        pytest.fail(f"no built book in {HTML_ROOT}: run `make book` first")
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


@pytest.fixture(scope="session")
def report():
    """What each check measured, per check and page, written to report.json at the end."""
    results = {}
    yield results
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "report.json").write_text(json.dumps(results, indent=1, sort_keys=True))


class OfflinePage:
    """A fresh browser context (a cold cache) whose requests may only go to the book's server.

    Records what the page does wrong: console errors, uncaught exceptions, blocked
    requests to other hosts, local files that are missing, and the bytes of every
    response the browser received (body and headers, as the server sent them).
    """

    def __init__(self, browser, book_url, viewport="desktop", mode="light", fake_clock=False):
        self.book_url, self.viewport, self.mode = book_url, viewport, mode
        self.errors, self.blocked, self.missing, self.received = [], [], [], {}
        self.context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=mode)
        self.context.route("**/*", self.only_the_book)
        self.page = self.context.new_page()
        if fake_clock:  # installed before the page loads; time runs until clock.pause_at()
            self.page.clock.install()
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught {error}"))
        self.page.on("response", self.check_status)
        self.page.on("requestfinished", self.record_size)

    def only_the_book(self, route):
        if route.request.url.startswith(self.book_url):
            route.continue_()
        else:
            self.blocked.append(f"{route.request.resource_type} {route.request.url}")
            route.abort("blockedbyclient")

    def check_status(self, response):
        if response.status >= 400:
            self.missing.append(f"{response.status} {response.url}")

    def record_size(self, request):
        if request.url.startswith(self.book_url):
            sizes = request.sizes()
            self.received[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    def open(self, path):
        self.page.goto(self.book_url + path, wait_until="load")
        # MathJax typesets and the widget manager draws after "load".
        self.page.evaluate("() => window.MathJax?.startup?.promise")
        for _ in range(100):
            widgets = self.page.evaluate(WIDGETS)
            if widgets["drawn"] == widgets["saved"]:
                break
            self.page.wait_for_timeout(100)
        self.page.wait_for_timeout(300)
        return self.page

    def switch_mode(self, mode):
        """Switch the reader's preferred colour scheme; the theme follows it (default_mode: auto)."""
        self.mode = mode
        self.page.emulate_media(color_scheme=mode)
        self.page.wait_for_function("(mode) => document.documentElement.dataset.theme === mode", arg=mode,
                                    timeout=5_000)
        self.page.wait_for_timeout(200)

    def screenshot(self, name):
        folder = SCREENSHOTS / f"{self.viewport}-{self.mode}"
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=folder / f"{name.replace('/', '__')}.png", full_page=True)

    def close(self):
        self.context.close()


def source_has_math(name):
    """Whether the page's source (markdown, not code) writes any LaTeX math."""
    notebook = REPO_ROOT / f"{name}.ipynb"
    if notebook.exists():
        text = "\n".join(cell.source for cell in read_notebook(notebook).cells if cell.cell_type == "markdown")
    else:
        text = re.sub(r"```.*?```", "", (REPO_ROOT / f"{name}.md").read_text(), flags=re.S)
    return bool(MATH_SOURCE.search(text))


def megabytes(n):
    return f"{n / 1e6:.2f} MB"


# ---------------------------------------------------------------------------------------
# What the checks read in a page, in JavaScript.

# What a reader sees, measured in the page: text, text outside code, math, images, icons.
PAGE_FACTS = """() => {
    const main = document.querySelector("main") || document.body;
    const prose = main.cloneNode(true);
    prose.querySelectorAll("pre, code, script, style, mjx-container").forEach(node => node.remove());
    const icons = [...document.querySelectorAll("i[class*='fa-'], svg.svg-inline--fa")]
        .filter(i => i.getClientRects().length);
    return {
        text_length: main.innerText.trim().length,
        prose: prose.textContent,
        typeset: document.querySelectorAll("mjx-container").length,
        untypeset: [...document.querySelectorAll(".math")].filter(m => !m.querySelector("mjx-container")).length,
        broken_images: [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
                                           .map(i => i.src.slice(0, 100)),
        icons: icons.length,
        blank_icons: icons.filter(i => {
            const glyph = getComputedStyle(i, "::before");
            return i.tagName === "I" && (glyph.content === "none" || !/Font Awesome/.test(glyph.fontFamily));
        }).map(i => i.className),
        icon_fonts: [...document.fonts].some(face => /Font Awesome/.test(face.family) && face.status === "loaded"),
    };
}"""
AXE_RUN = """async ([tags, impacts]) => {
    const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return results.violations.filter(v => impacts.includes(v.impact)).map(v => ({
        id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
        examples: v.nodes.slice(0, 4).map(node => node.target.join(" ") + " | " + node.html.slice(0, 160)),
    }));
}"""
OPEN_HIDDEN_CELLS = """() => document.querySelectorAll("main details").forEach(details => { details.open = true; })"""
# Every <pre> of the article that scrolls sideways, with the page cell it sits in.
OVERFLOWING_CODE = """() => {
    const cells = [...document.querySelectorAll("main div.cell")];
    const shown = [...document.querySelectorAll("main pre")].filter(pre => pre.getClientRects().length);
    const overflowing = shown.filter(pre => pre.scrollWidth > pre.clientWidth + 1).map(pre => {
        const lines = pre.innerText.split("\\n");
        const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), "");
        return {
            cell: cells.indexOf(pre.closest("div.cell")),
            part: pre.closest(".cell_output") ? "output" : pre.closest(".cell_input") ? "input" : "text",
            overflow_px: pre.scrollWidth - pre.clientWidth, width_px: pre.clientWidth,
            chars: longest.length, line: longest.trim().slice(0, 60),
        };
    });
    return {blocks: shown.length, overflowing};
}"""
# Elements that reach past the right edge of the window without a scrolling (or
# clipping) box around them: the ones that make the page itself scroll sideways.
SIDEWAYS = """() => {
    const width = document.documentElement.clientWidth;
    const clipped = element => {
        for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
            if (getComputedStyle(node).overflowX !== "visible") return true;
        }
        return false;
    };
    const culprits = [...document.body.querySelectorAll("*")].filter(element => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1 && !clipped(element);
    });
    const outermost = culprits.filter(element => !culprits.includes(element.parentElement));
    return {
        page_width: document.documentElement.scrollWidth, window_width: width,
        culprits: outermost.slice(0, 8).map(element => {
            const classes = typeof element.className === "string" ? element.className.trim().split(/\\s+/).slice(0, 3) : [];
            return element.tagName.toLowerCase() + (classes.length ? "." + classes.join(".") : "")
                + ` (right edge at ${Math.round(element.getBoundingClientRect().right)} px)`;
        }),
    };
}"""
# Each image in a notebook's outputs: its size in the page and in the file, its alt
# text, and the caption of the figure around it. Animation players have no caption.
FIGURES = """() => [...document.querySelectorAll("main .cell_output img")].map(img => {
    const caption = img.closest("figure")?.querySelector("figcaption");
    return {
        src: img.currentSrc.slice(0, 80), png: img.currentSrc.startsWith("data:image/png") ? img.currentSrc : null,
        file: img.currentSrc.startsWith("data:") ? null : new URL(img.currentSrc).pathname,
        natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
        alt: img.getAttribute("alt") || "", animation: !!img.closest(".animation"),
        caption: caption ? caption.innerText.trim() : null,
        cell: [...document.querySelectorAll("main div.cell")].indexOf(img.closest("div.cell")),
    };
})"""


# ---------------------------------------------------------------------------------------
# Each page is visited twice, and every check reads what the visits recorded: on a
# desktop (a cold load in light mode, then dark mode) and on a phone (light, then dark).

def axe_violations(page):
    page.add_script_tag(path=str(AXE))  # injected into the page, not fetched
    return page.evaluate(AXE_RUN, [AXE_TAGS, list(AXE_FAILING_IMPACTS)])


def visit_on_a_desktop(browser, book_url, name):
    offline = OfflinePage(browser, book_url, viewport="desktop", mode="light")
    try:
        page = offline.open(f"{name}.html")
        facts = {"page": page.evaluate(PAGE_FACTS), "widgets": page.evaluate(WIDGETS),
                 "theme": page.evaluate("() => document.documentElement.dataset.theme")}
        offline.screenshot(name)  # renders the whole page, so that everything it loads is loaded
        page.wait_for_load_state("networkidle")
        facts["received"] = {url.removeprefix(book_url).split("?")[0]: size for url, size in offline.received.items()}
        facts["axe"] = {"light": axe_violations(page)}
        offline.switch_mode("dark")
        offline.screenshot(name)
        facts["axe"]["dark"] = axe_violations(page)
        page.evaluate(OPEN_HIDDEN_CELLS)  # solutions and hidden inputs are read too, once opened
        facts["code"], facts["figures"] = page.evaluate(OVERFLOWING_CODE), page.evaluate(FIGURES)
        facts.update(blocked=offline.blocked, missing=offline.missing, errors=offline.errors)
        return facts
    finally:
        offline.close()


def visit_on_a_phone(browser, book_url, name):
    offline = OfflinePage(browser, book_url, viewport="phone", mode="light")
    try:
        page = offline.open(f"{name}.html")
        offline.screenshot(name)
        offline.switch_mode("dark")
        offline.screenshot(name)
        page.evaluate(OPEN_HIDDEN_CELLS)
        return {"sideways": page.evaluate(SIDEWAYS), "errors": offline.errors}
    finally:
        offline.close()


@pytest.fixture(scope="session")
def visit(browser, book_url):
    """visit(name, "desktop" or "phone") -> what that visit recorded (each visit made once)."""
    visits = {"desktop": visit_on_a_desktop, "phone": visit_on_a_phone}
    return functools.lru_cache(maxsize=None)(lambda name, viewport: visits[viewport](browser, book_url, name))


def code_cells_on_page(name):
    """The notebook's code cells in the order the page shows them (cells tagged remove-cell are not shown)."""
    notebook = REPO_ROOT / f"{name}.ipynb"
    if not notebook.exists():
        return None
    return [cell for cell in read_notebook(notebook).cells
            if cell.cell_type == "code" and "remove-cell" not in cell.get("metadata", {}).get("tags", [])]


def describe_cell(cells, index):
    """'In [7] (its first line)' (the stored execution count) for the index-th cell shown on the page."""
    if cells is None or not 0 <= index < len(cells):
        return f"page cell {index}" if index >= 0 else "prose"
    cell = cells[index]
    first = cell.source.strip().splitlines()[0][:50] if cell.source.strip() else ""
    return f"In [{cell.execution_count}] ({first})"


# ---------------------------------------------------------------------------------------
# The checks.

@pytest.mark.parametrize("name", toc_files())
def test_page_renders_offline_light_and_complete(name, visit, report):
    facts = visit(name, "desktop")
    shown, widgets, received = facts["page"], facts["widgets"], facts["received"]
    weight = sum(received.values())
    heaviest = dict(sorted(received.items(), key=lambda item: -item[1])[:6])
    report.setdefault("page_weight", {})[name] = {"bytes": weight, "files": len(received), "heaviest": heaviest}

    assert not facts["blocked"], f"{name} requests files from outside the book: {facts['blocked']}"
    assert not facts["missing"], f"{name} asks the book for files it lacks: {facts['missing']}"
    assert not facts["errors"], f"{name} logs JavaScript errors: {facts['errors']}"
    assert shown["text_length"] > 500, f"{name} is nearly empty ({shown['text_length']} characters in <main>)"
    assert not shown["broken_images"], f"{name}: images that did not load: {shown['broken_images']}"
    if source_has_math(name):
        assert shown["typeset"] > 0, f"{name} writes math but MathJax typeset none of it"
    assert shown["untypeset"] == 0, f"{name}: {shown['untypeset']} formulas were not typeset by MathJax"
    raw = sorted(set(RAW_MATH.findall(shown["prose"])))
    assert not raw, f"{name} shows raw LaTeX delimiters {raw}: MathJax did not typeset them"
    assert widgets["drawn"] == widgets["saved"], f"{name} drew {widgets['drawn']} of its {widgets['saved']} widgets"
    assert shown["icons"] > 0 and not shown["blank_icons"] and shown["icon_fonts"], (
        f"{name}: of its {shown['icons']} icons, these are drawn by no Font Awesome glyph: {shown['blank_icons']}"
    )
    fontawesome = [url for url in received if url.endswith("fontawesome.js")]
    assert not fontawesome, f"{name} loads Font Awesome's 1.5 MB script {fontawesome}: see _ext/page_assets.py"
    whole_fonts = [url for url in received if "fontawesome/webfonts/" in url]
    assert not whole_fonts, f"{name} loads Font Awesome's whole fonts {whole_fonts}, not the cut-down ones (_ext/icon_fonts.py)"
    listing = ", ".join(f"{url} {megabytes(size)}" for url, size in heaviest.items())
    assert weight <= PAGE_BUDGET_BYTES, (
        f"{name} loads {megabytes(weight)} on a cold load, over the {megabytes(PAGE_BUDGET_BYTES)} budget; "
        f"heaviest: {listing}"
    )


@pytest.mark.parametrize("name", toc_files())
def test_mathjax_loads_only_where_there_is_math(name, visit):
    facts = visit(name, "desktop")
    loads_mathjax = any(url.endswith("tex-chtml.js") for url in facts["received"])
    if loads_mathjax:
        assert facts["page"]["typeset"] > 0 or facts["widgets"]["saved"], (
            f"{name} loads MathJax (1.2 MB) but has no math to typeset"
        )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", toc_files())
def test_page_has_no_serious_accessibility_violations(name, mode, visit, report):
    facts = visit(name, "desktop")
    violations = facts["axe"][mode]
    counts = {impact: sum(v["count"] for v in violations if v["impact"] == impact) for impact in AXE_FAILING_IMPACTS}
    report.setdefault(f"axe_{mode}", {})[name] = {**counts, "rules": {v["id"]: v["count"] for v in violations}}
    assert facts["theme"] == "light", f"{name} opened in light mode but the theme shows {facts['theme']!r}"
    details = "\n".join(f"  {v['impact']} {v['id']} ({v['count']}x): {v['help']}\n    " + "\n    ".join(v["examples"])
                        for v in violations)
    assert not violations, f"{name} in {mode} mode: axe-core finds {counts}:\n{details}"


@pytest.mark.parametrize("name", toc_files())
def test_code_fits_the_column_on_a_desktop(name, visit, report):
    code = visit(name, "desktop")["code"]
    cells = code_cells_on_page(name)
    listed = [f"{describe_cell(cells, block['cell'])} {block['part']}: {block['chars']} characters, "
              f"{block['overflow_px']} px too wide: {block['line']!r}" for block in code["overflowing"]]
    report.setdefault("code_overflow_1366px", {})[name] = {"overflowing": len(listed), "blocks": code["blocks"],
                                                           "cells": listed}
    assert not listed, (
        f"{name}: {len(listed)} of {code['blocks']} code blocks scroll sideways at "
        f"{VIEWPORTS['desktop']['width']} px (keep lines to about 88 characters):\n  " + "\n  ".join(listed)
    )


@pytest.mark.parametrize("name", toc_files())
def test_page_does_not_scroll_sideways_on_a_phone(name, visit, report):
    facts = visit(name, "phone")
    sideways = facts["sideways"]
    report.setdefault("phone_sideways", {})[name] = sideways
    assert not facts["errors"], f"{name} on a phone logs JavaScript errors: {facts['errors']}"
    assert sideways["page_width"] <= sideways["window_width"], (
        f"{name} on a {sideways['window_width']} px phone is {sideways['page_width']} px wide: "
        f"it scrolls sideways because of {sideways['culprits']}"
    )


def png_dpi(data):
    """The dots per inch a PNG records (its pHYs chunk), or DEFAULT_DPI."""
    position = data.find(b"pHYs")
    if position < 0:
        return DEFAULT_DPI
    x_per_metre = int.from_bytes(data[position + 4 : position + 8], "big")
    unit = data[position + 12]
    return x_per_metre * 0.0254 if unit == 1 and x_per_metre else DEFAULT_DPI


def image_head(figure):
    """The first bytes of the image's PNG file, where its pHYs chunk sits."""
    if figure["png"]:
        return base64.b64decode(figure["png"].split(",", 1)[1][:8192])
    if figure["file"]:
        path = HTML_ROOT / figure["file"].lstrip("/")
        return path.read_bytes()[:4096] if path.is_file() else b""
    return b""


def smallest_text_px(figure):
    """How tall MIN_FONT_PT text of this image is on the screen, in CSS pixels."""
    return MIN_FONT_PT / 72 * png_dpi(image_head(figure)) * figure["shown"] / figure["natural"]


@pytest.mark.parametrize("name", toc_files())
def test_figures_are_legible_described_and_captioned(name, visit, report):
    cells = code_cells_on_page(name)
    problems = []
    for figure in visit(name, "desktop")["figures"]:
        where = describe_cell(cells, figure["cell"])
        if figure["natural"] == 0 or figure["shown"] == 0:
            problems.append(f"{where}: an image that is not shown ({figure['src']})")
            continue
        text_px = smallest_text_px(figure)
        if text_px < MIN_TEXT_PX:
            problems.append(f"{where}: {MIN_FONT_PT} pt text shows {text_px:.1f} px tall (the image is "
                            f"{figure['natural']} px wide, shown at {figure['shown']:.0f} px): make the figure narrower")
        if len(figure["alt"].strip()) < 20:
            problems.append(f"{where}: no alt text (metadata.mystnb.image.alt)")
        if not figure["animation"] and not (figure["caption"] and FIGURE_NUMBER.match(figure["caption"])):
            problems.append(f"{where}: no numbered caption (metadata.mystnb.figure.caption); "
                            f"found {figure['caption']!r}")
    report.setdefault("figures", {})[name] = problems
    assert not problems, f"{name}: {len(problems)} figure problems:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------------------------------
# Controls: every input, select, button and slider in a notebook's outputs must change
# what the output shows (its visible text, an image, a canvas, a drawing).

# sphinx-copybutton's "copy" buttons belong to the page, not to the outputs.
CONTROL_SELECTOR = "input:not([type=hidden]), select, textarea, button:not(.copybtn), [role=slider]"
MARK_CONTROLS = """(selector) => {
    const shown = element => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
    const outputs = [...document.querySelectorAll("main .cell_output")];
    const cells = [...document.querySelectorAll("main div.cell")];
    const found = [];
    outputs.forEach((output, o) => {
        output.dataset.probeOutput = o;
        output.querySelectorAll(selector).forEach(control => {
            if (!shown(control) || control.disabled) return;
            control.dataset.probeControl = found.length;
            const label = control.getAttribute("aria-label") || control.title || control.labels?.[0]?.innerText
                || control.closest(".widget-inline-hbox")?.querySelector(".widget-label")?.innerText
                || control.innerText || control.name || "";
            found.push({id: found.length, output: o, cell: cells.indexOf(output.closest("div.cell")),
                        tag: control.tagName.toLowerCase(), type: control.type || control.getAttribute("role") || "",
                        label: label.trim().slice(0, 40)});
        });
    });
    return found;
}"""
# What an output shows, apart from the control itself and its own label and readout:
# a hash of its visible text, of its visible images' sources, canvases' pixels and SVGs.
SNAPSHOT = """([outputId, controlId]) => {
    const output = document.querySelector(`[data-probe-output="${outputId}"]`);
    const control = document.querySelector(`[data-probe-control="${controlId}"]`);
    const own = [control, ...(control.labels || []),
                 ...[...output.querySelectorAll("output")].filter(o => control.id && o.htmlFor.contains(control.id)),
                 control.closest(".widget-inline-hbox")].filter(Boolean);
    const hash = text => { let h = 2166136261; for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); } return (h >>> 0).toString(16) + ":" + text.length; };
    const shown = element => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
    const inOwn = element => own.some(o => o.contains(element));
    const saved = own.map(o => o.style.display);
    own.forEach(o => { o.style.display = "none"; });
    const text = output.innerText;
    own.forEach((o, i) => { o.style.display = saved[i]; });
    const pictures = [...output.querySelectorAll("img, canvas, svg")].filter(e => !inOwn(e)).map(e => {
        if (!shown(e)) return "hidden";
        if (e.tagName === "IMG") return hash(e.getAttribute("src") || "");
        if (e.tagName === "CANVAS") return hash(e.toDataURL());
        return hash(e.outerHTML);
    });
    return hash(text) + "|" + pictures.join(",");
}"""
CONTROL_STATE = """(id) => {
    const control = document.querySelector(`[data-probe-control="${id}"]`);
    return {value: control.value ?? null, checked: control.checked ?? null, now: control.getAttribute("aria-valuenow"),
            min: control.min ?? null, max: control.max ?? null, step: control.step ?? null,
            options: control.options ? [...control.options].map(option => option.value) : null,
            selected: control.selectedIndex ?? null};
}"""
# Fake time that passes between two looks at an output: long enough for a player to
# show its next frame, so that a running animation counts as "moving".
TICK_MS = 2_000


def operate(page, control):
    """Use one control the way a reader would: click, slide, pick, type."""
    locator = page.locator(f'[data-probe-control="{control["id"]}"]')
    state = page.evaluate(CONTROL_STATE, control["id"])
    tag, kind = control["tag"], control["type"]
    if tag == "select":
        options = state["options"]
        if len(options) > 1:
            locator.select_option(options[(state["selected"] + 1) % len(options)])
    elif kind == "range":
        low, high = float(state["min"] or 0), float(state["max"] or 100)
        target = high if float(state["value"]) < high else low
        locator.fill(f"{target:g}")
    elif kind == "slider":  # an ARIA slider (ipywidgets 8's noUiSlider handle)
        locator.focus()
        page.keyboard.press("End" if state["now"] != state["max"] else "Home")
    elif kind == "number":
        step = float(state["step"]) if state["step"] not in (None, "", "any") else 1.0
        value = float(state["value"] or 0)
        high = float(state["max"]) if state["max"] not in (None, "") else None
        target = value - step if high is not None and value + step > high else value + step
        locator.fill(f"{target:g}")
        locator.press("Enter")
    elif tag == "textarea" or kind in ("text", "search", ""):
        locator.fill((state["value"] or "") + "1")
        locator.press("Enter")
    else:  # buttons, checkboxes, radio buttons
        locator.click()


def look(page, control):
    return page.evaluate(SNAPSHOT, [control["output"], control["id"]])


def effect(page, control):
    """Whether using ``control`` changes what its output shows, or starts or stops its motion."""
    before = look(page, control)
    page.clock.run_for(TICK_MS)
    settled = look(page, control)
    operate(page, control)
    page.clock.run_for(50)
    after = look(page, control)
    page.clock.run_for(TICK_MS)
    later = look(page, control)
    moving_before, moving_after = before != settled, after != later
    if moving_before != moving_after:
        return True
    return not moving_before and after != settled


class ControlledPage:
    """A page opened with a fake clock (time moves only when the test says) and its controls marked."""

    def __init__(self, browser, book_url, name):
        self.offline = OfflinePage(browser, book_url, fake_clock=True)
        self.page = self.offline.open(f"{name}.html")
        self.page.set_default_timeout(5_000)
        self.page.clock.pause_at(self.page.evaluate("() => Date.now()") + 1_000)
        self.page.clock.run_for(1_000)
        self.controls = self.page.evaluate(MARK_CONTROLS, CONTROL_SELECTOR)

    def works_from_some_state(self, control):
        """Whether ``control`` has an effect here, or once some other control of its output was used."""
        if effect(self.page, control):
            return True
        for other in self.controls:
            if other["output"] == control["output"] and other["id"] != control["id"]:
                operate(self.page, other)
                if effect(self.page, control):
                    return True
        return False


@pytest.mark.parametrize("name", toc_files())
def test_every_control_changes_what_is_shown(name, browser, book_url, report):
    """A control that does nothing in the published book (no kernel) is a bug.

    Each control is used once, in the order of the page. A control can depend on the
    state that the others left (a "previous frame" button does nothing on the first
    frame, "pause" only stops a running player, a control may undo another), so one that
    shows no effect is tried again on a freshly loaded page: first alone, then after each
    other control of its output was used once. Only then is it reported.
    """
    pages = [ControlledPage(browser, book_url, name)]
    try:
        controls, cells, dead = pages[0].controls, code_cells_on_page(name), []
        for control in controls:
            if effect(pages[0].page, control):
                continue
            pages.append(ControlledPage(browser, book_url, name))
            if not pages[-1].works_from_some_state(control):
                dead.append(f"{describe_cell(cells, control['cell'])}: {control['tag']}"
                            f"{'[' + control['type'] + ']' if control['type'] else ''} {control['label']!r}")
            pages.pop().offline.close()
        errors = pages[0].offline.errors
    finally:
        for controlled in pages:
            controlled.offline.close()
    report.setdefault("controls", {})[name] = {"controls": len(controls), "dead": dead}
    assert not errors, f"{name}: using its controls logs JavaScript errors: {errors}"
    assert not dead, (
        f"{name}: {len(dead)} of its {len(controls)} controls change nothing on the page "
        "(saved widget state cannot compute without a kernel):\n  " + "\n  ".join(dead)
    )


# ---------------------------------------------------------------------------------------
# The explorers compute in the page (cnnbook.widgets): set their controls as a reader
# would, read back what the page computed (the root's data-result) and compare it with
# cnnbook.ops for the same digit (the one the page embeds), kernel, stride and padding.

EXPLORERS = {"conv": "notebooks/03_1_convolution", "pool": "notebooks/03_2_pooling",
             "softmax": "notebooks/03_3_dense_softmax", "lime": "notebooks/05_3_explaining_with_lime"}
EXPLORER_TOLERANCE = 1e-5
TYPED_KERNEL = [[0.5, -1.25, 0], [2, 0.1, -0.3], [0, 1, -2]]


def explorer_settings(kind):
    """(settings, reference) pairs: reference(data, result) is what cnnbook.ops computes for
    those settings from the data the page embeds (LIME's weights are pre-computed: the
    page paints them on their superpixels)."""
    import numpy as np

    from cnnbook import ops

    def conv(data, kernel, stride, padding):
        x = np.float32(data["image"])[None, :, :, None]
        k = np.float32(kernel)[:, :, None, None]
        return ops.conv2d(x, k, stride=stride, padding=padding)[0, :, :, 0]

    def pool(data, size, stride, kind):
        function = ops.max_pool2d if kind == "max" else ops.avg_pool2d
        return function(np.float32(data["image"])[None, :, :, None], size, stride)[0, :, :, 0]

    if kind == "conv":
        cases = [("vertical edge", 1, "valid"), ("horizontal edge", 2, "same"), ("blur", 3, "valid"),
                 ("sharpen", 2, "valid"), ("identity", 3, "same"), ("typed", 1, "same"), ("typed", 3, "valid")]
        return [({"preset": name, "stride": str(stride), "padding": padding},
                 lambda data, result, n=name, s=stride, p=padding:
                 conv(data, TYPED_KERNEL if n == "typed" else data["kernels"][n], s, p))
                for name, stride, padding in cases]
    if kind == "pool":
        cases = [(2, 2, "max"), (2, 1, "average"), (3, 3, "max"), (3, 2, "average"), (2, 3, "average")]
        return [({"size": str(size), "stride": str(stride), "kind": how},
                 lambda data, result, a=size, b=stride, c=how: pool(data, a, b, c)) for size, stride, how in cases]
    if kind == "softmax":
        # The slider snaps to its step, so the reference takes the temperature the page used.
        cases = [(0, 0.0), (3, -1.0), (5, 1.0), (9, -0.3), (2, 0.47)]
        return [({"digit": str(row), "log_t": f"{log_t:g}"},
                 lambda data, result, r=row: ops.softmax(np.float64(data["logits"][r]) / result["temperature"]))
                for row, log_t in cases]
    return [({"digit": str(d), "samples": str(s)},
             lambda data, result, a=d, b=s: np.float64(data["weights"][a][b])[np.array(data["segments"][a])])
            for d in range(3) for s in range(4)]


def set_explorer(root, settings):
    """Set an explorer's controls; 'typed' types TYPED_KERNEL into the nine kernel cells."""
    for role, value in settings.items():
        if role == "preset" and value == "typed":
            for u, row in enumerate(TYPED_KERNEL):
                for v, number in enumerate(row):
                    root.locator(f'[data-role="k{u}{v}"]').fill(f"{number:g}")
        elif root.locator(f'[data-role="{role}"]').evaluate("e => e.tagName") == "SELECT":
            root.locator(f'[data-role="{role}"]').select_option(value)
        else:
            root.locator(f'[data-role="{role}"]').fill(value)


@pytest.mark.parametrize("kind", list(EXPLORERS))
def test_explorer_computes_what_cnnbook_ops_computes(kind, browser, book_url, report):
    import numpy as np

    offline = OfflinePage(browser, book_url)
    try:
        page = offline.open(f"{EXPLORERS[kind]}.html")
        roots = page.locator(f'.cnnbook-explorer[data-kind="{kind}"]')
        assert roots.count() == 1, f"{EXPLORERS[kind]} shows {roots.count()} {kind} explorers, not 1"
        root = roots.first
        data = json.loads(root.locator('script[type="application/json"]').text_content())
        errors = []
        for settings, expected in explorer_settings(kind):
            set_explorer(root, settings)
            result = json.loads(root.get_attribute("data-result"))
            computed = np.array(result.get("map", result.get("probabilities")))
            reference = np.asarray(expected(data, result))
            assert computed.shape == reference.shape, f"{kind} {settings}: {computed.shape} != {reference.shape}"
            errors.append(float(np.abs(computed - reference).max()))
        page_errors = offline.errors
    finally:
        offline.close()
    report.setdefault("explorers", {})[kind] = {"cases": len(errors), "max_abs_error": max(errors)}
    assert not page_errors, f"{kind} explorer logs JavaScript errors: {page_errors}"
    assert max(errors) <= EXPLORER_TOLERANCE, f"{kind}: the page differs from cnnbook.ops by {errors}"


def test_search_finds_pages(browser, book_url):
    offline = OfflinePage(browser, book_url)
    try:
        page = offline.open("search.html?q=convolution")
        results = page.locator("ul.search li a")
        results.first.wait_for(timeout=15_000)
        links = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        offline.screenshot("search")
        problems = offline.blocked + offline.missing + offline.errors
    finally:
        offline.close()
    assert any("03_1_convolution" in link for link in links), f"searching 'convolution' found {links}"
    assert all(link.split("#")[0].endswith(".html") for link in links), f"search results link to non-pages: {links}"
    assert not problems, f"the search page: {problems}"
