"""Helper package of the executable book *Deep Learning for Image Recognition*.

Notebooks start with ``cnnbook.setup()``; the submodules (``data``, ``models``,
``plots``, ``checks`` ...) are imported where they are needed, so that importing
``cnnbook`` itself never imports TensorFlow.
"""

from cnnbook.env import setup

__all__ = ["setup"]
__version__ = "0.1.0"
