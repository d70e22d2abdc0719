"""Load on each page only what it uses: MathJax on pages with math, no Font Awesome script.

- **MathJax** (1.2 MB). Sphinx adds it to a page that has math *or whose toctree lists
  a page with math* (``MathDomain.has_equations`` follows the toctree), so every chapter
  page with notebooks below it loaded MathJax for nothing. We keep it on pages whose
  own document has math, and on pages that draw saved widgets (ipywidgets typesets
  their labels with MathJax; see static/mathjax2-hub.js).
- **Font Awesome.** pydata-sphinx-theme loads ``fontawesome.js`` (1.5 MB: every icon
  of Font Awesome 6, drawn as SVG) on every page, and its style sheet *also* carries Font
  Awesome's CSS and web fonts (the solid and brands fonts, 0.3 MB, fetched only where a
  page shows an icon of that style). The CSS alone draws every icon the theme uses, so
  ``templates/layout.html`` leaves the script out, and icon_fonts.py cuts the fonts
  down to the glyphs the book uses.
"""

WIDGET_MANAGER = "ipywidgets/embed.js"


def uses_math(app, pagename, script_files):
    own_math = app.env.get_domain("math").data["has_equations"].get(pagename, False)
    widgets = any((script.filename or "").endswith(WIDGET_MANAGER) for script in script_files)
    return own_math or widgets


def drop_unused_mathjax(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files", [])
    if not app.config.mathjax_path or uses_math(app, pagename, scripts):
        return
    # Sphinx names the script by its place in the book (_static/<mathjax_path>); its
    # configuration, if any, is an inline script that sets window.MathJax.
    context["script_files"] = [
        script for script in scripts
        if not (script.filename or "").endswith(app.config.mathjax_path)
        and not (script.attributes.get("body") or "").startswith("window.MathJax")
    ]


def setup(app):
    # After sphinx.ext.mathjax adds MathJax (priority 500), before unique_scripts (900).
    app.connect("html-page-context", drop_unused_mathjax, priority=800)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
