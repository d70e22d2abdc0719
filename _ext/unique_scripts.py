"""Write each inline <script> once per page (a Sphinx 7 bug makes some appear twice).

Sphinx 7.4 registers an inline script added after the builder starts (``add_js_file(None,
body=...)``) twice: once named ``None`` and again named ``""`` when the pages are
written, and the two don't compare equal. sphinx-thebe's ``const THEBE_JS_URL = ...``
is such a script, and declaring a ``const`` twice is a SyntaxError on every page
("Identifier 'THEBE_JS_URL' has already been declared"). Fixed upstream in Sphinx 8
(sphinx-doc/sphinx#13402, March 2025), which Jupyter Book 1 cannot use: it pins sphinx~=7.0.
"""


def drop_repeated_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    # Last, after the extensions that add a page's own scripts (myst-nb's widget scripts).
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
