"""pytest plugin: skip notebook cells tagged ``tensorflow-only`` under another Keras backend.

Some cells check our NumPy code against TensorFlow itself (``tf.GradientTape``), so they
run only where Keras runs on TensorFlow. Load the plugin with ``-p tools.nbval_backends``
(``make backends-check`` does): under ``KERAS_BACKEND=jax`` or ``torch`` every such cell
is reported as skipped, with the reason, and never reaches the kernel; under TensorFlow
(or with ``KERAS_BACKEND`` unset, Keras's default) nothing changes. The kernel that nbval
starts inherits this process's environment, so it runs on the backend read here.
"""

import pytest

from cnnbook.env import backend_name

TAG = "tensorflow-only"


def tensorflow_only(item):
    """True for an nbval cell item tagged :data:`TAG`; False for any other test item."""
    cell = getattr(item, "cell", None)
    if cell is None or not hasattr(cell, "metadata"):
        return False
    return TAG in cell.metadata.get("tags", [])


def pytest_collection_modifyitems(config, items):
    backend = backend_name()
    if backend == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"cell tagged {TAG!r}: Keras runs on {backend} here")
    for item in items:
        if tensorflow_only(item):
            item.add_marker(skip)
