"""Numbers for the book's prose, stored by the cell that computed them.

The prose never types a measured number: a cell calls ``glue("test_accuracy",
f"{accuracy:.2%}")`` and the markdown cites it as ``{glue:text}`test_accuracy```
(a chapter page in ``book/`` cites
``{glue:text}`/notebooks/04_1_cnn_on_mnist.ipynb::test_accuracy:s```: the path from
the book's root, and a format spec, without which MyST-NB 1.4 misreads the key).
When the book is built, MyST-NB reads the stored value from the notebook's outputs,
so the text and the outputs come from the same run.
"""

import sys

# MyST-NB's format (myst_nb.ext.glue): a display output whose MIME types carry this
# prefix, so that Jupyter shows nothing, and whose metadata names the key.
GLUE_PREFIX = "application/papermill.record/"


def glue(name, value):
    """Store ``value`` under ``name`` for ``{glue:text}`name``` in the book, and return it.

    ``value`` is usually a string formatted as the text should show it
    (``f"{seconds:.0f} s"``). Where MyST-NB is installed (the book's own build
    environment) this is ``myst_nb.glue(name, value, display=False)``: the value is
    stored and nothing is shown. Elsewhere (Colab, a plain Jupyter) it prints
    ``name = value``, so that a reader sees the number the text refers to.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue: name must be a Python identifier such as 'test_accuracy'; got {name!r}")
    try:
        from myst_nb.ext.glue import glue as myst_glue
    except ImportError:
        myst_glue = None
    if myst_glue is None or "ipykernel" not in sys.modules:
        print(f"{name} = {value}")
    else:
        myst_glue(name, value, display=False)
    return value
