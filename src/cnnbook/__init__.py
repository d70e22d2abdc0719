"""Helper package of the executable book *Deep Learning for Image Recognition*.

Notebooks start with ``cnnbook.setup()``; the submodules (``data``, ``models``,
``plots``, ``checks`` ...) are imported where they are needed, so that importing
``cnnbook`` itself never imports TensorFlow.

``cnnbook.glue(name, value)`` stores a computed value for the prose
(:mod:`cnnbook.prose`); ``cnnbook.full_or_quick(full, quick)`` picks a size for the
full runs or the quick mode (``CNNBOOK_QUICK=1``, :func:`cnnbook.env.quick_mode`).
"""

from cnnbook.env import full_or_quick, quick_mode, setup
from cnnbook.prose import glue

__all__ = ["full_or_quick", "glue", "quick_mode", "setup"]
__version__ = "0.1.0"
