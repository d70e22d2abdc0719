"""Show the notebooks' "Open in Colab" badge from the book itself, not from Google.

The notebooks' title cell links the badge image from colab.research.google.com, so
that it shows in Colab and on GitHub. In the built book that image would be the
only file fetched from another site; we point it at our own copy (colab-badge.svg,
beside this file), which Sphinx then copies to ``_images/`` like any local figure.
"""

from docutils import nodes

REMOTE_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "/_ext/colab-badge.svg"  # a leading "/" means: relative to the book's root


def use_local_badge(app, doctree):
    for image in doctree.findall(nodes.image):
        if image["uri"] == REMOTE_BADGE:
            image["uri"] = LOCAL_BADGE


def setup(app):
    # Before Sphinx's image collector (priority 500) records which files each page uses.
    app.connect("doctree-read", use_local_badge, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
