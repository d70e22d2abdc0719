"""Notebook start-up: one call that prepares any environment the book runs in.

``setup()`` is the first thing every notebook runs. It must run *before*
TensorFlow is imported, because TensorFlow reads its logging variables only once,
at import time.
"""

import contextlib
import importlib.metadata
import importlib.util
import logging
import os
import platform
import re
import subprocess
import sys
import warnings

# TensorFlow's C++ logs go to the process's stderr. Jupyter shows them, but nbval
# never captures them, so a stored stderr output would fail validation. Level 2
# hides INFO and WARNING; oneDNN's start-up notice needs its own switch.
QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    # lime 0.2.0.1 always draws a tqdm progress bar; this switches it off.
    "TQDM_DISABLE": "1",
}

# What Colab lacks. Colab already has TensorFlow, Keras, NumPy and matplotlib;
# installing our pinned versions there would replace them, so we don't.
COLAB_EXTRA_PACKAGES = ["lime==0.2.0.1"]

# The releases (major.minor) the notebooks are tested on: the lowest are Colab's
# (colab/constraints.txt, `make colab-check`), the highest our pins (requirements.txt,
# `make test`). tests/test_env.py checks that this table matches both files.
TESTED_VERSIONS = {
    "tensorflow": ("2.20", "2.21"),
    "keras": ("3.13", "3.15"),
    "numpy": ("2.1", "2.4"),
    "matplotlib": ("3.10", "3.11"),
    "ipywidgets": ("7.7", "8.1"),
}


def in_colab():
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


def quiet_tensorflow(onednn=False):
    """Set the environment variables that keep TensorFlow's logs out of outputs.

    With ``onednn=True`` TensorFlow keeps its oneDNN CPU kernels (and prints a
    notice about them to the process's stderr when it is imported).
    Warns if TensorFlow was imported before they were set: it then ignores them.
    (Running the setup cell a second time is fine: they were set the first time.)
    """
    wanted = {**QUIET_ENVIRONMENT, "TF_ENABLE_ONEDNN_OPTS": "1" if onednn else "0"}
    already_quiet = all(os.environ.get(name) == value for name, value in wanted.items())
    os.environ.update(wanted)
    if "tensorflow" in sys.modules and not already_quiet:
        warnings.warn(
            "TensorFlow was imported before cnnbook.setup(); its C++ logs may "
            "still appear. Restart the kernel and run the setup cell first.",
            stacklevel=3,
        )


@contextlib.contextmanager
def quiet_tensorflow_logger():
    """Silence TensorFlow's Python logger (INFO and WARNING lines) inside a ``with`` block."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def install_colab_extras(packages=COLAB_EXTRA_PACKAGES):
    """pip-install the packages Colab lacks, skipping those already present."""
    missing = [p for p in packages if importlib.util.find_spec(p.split("==")[0]) is None]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
    return missing


def release(version):
    """The (major, minor) release of a version string: ``"2.21.0rc1"`` -> ``(2, 21)``."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"release: expected a version such as '2.21.0'; got {version!r}")
    return int(match[1]), int(match[2])


def installed_versions(packages=TESTED_VERSIONS):
    """The installed version of each package, by name; packages not installed are left out."""
    found = {}
    for name in packages:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def untested_version_warnings(installed, tested=TESTED_VERSIONS):
    """One line for each installed package whose release lies outside the tested range.

    ``installed`` maps package names to version strings, as :func:`installed_versions`
    returns them. Patch levels don't matter: with a range of 2.20-2.21, 2.21.4 is in it.
    """
    lines = []
    for name, version in installed.items():
        lowest, highest = tested[name]
        if not release(lowest) <= release(version) <= release(highest):
            lines.append(
                f"cnnbook was tested with {name} {lowest}–{highest}; you have {version}. "
                f'If a cell fails, run `pip install "{name}=={highest}.*"` and restart the kernel.'
            )
    return lines


def training_device():
    """Return ``"GPU"`` if TensorFlow sees a GPU, else ``"CPU"``."""
    import tensorflow as tf

    return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"


def setup(seed=0, deterministic=False, onednn=False):
    """Prepare the notebook: quiet logs, Colab extras, seeds, device.

    Parameters
    ----------
    seed : int
        Seed for Python, NumPy and TensorFlow (``keras.utils.set_random_seed``).
    deterministic : bool
        On a CPU, also turn on TensorFlow's op determinism: bit-identical
        results on repeated runs on the same machine, at some cost in speed
        (and XLA is then off). On a GPU it stays off: some GPU kernels have no
        deterministic version (TensorFlow then raises an error), and results
        differ between GPU models anyway, so the notebooks assert thresholds.
    onednn : bool
        Keep TensorFlow's oneDNN CPU kernels, its default on x86 Linux. They are
        faster, and the only ones that use a CPU's bfloat16 instructions, but
        TensorFlow then prints a notice to stderr when it starts, so by default
        the book's notebooks switch them off. No effect on a GPU.

    Returns
    -------
    str
        The device Keras will train on, ``"GPU"`` or ``"CPU"``.

    Prints one line with the Python, TensorFlow and Keras versions and the device,
    then one warning line for each package outside the tested versions (none on the
    versions the book pins, so stored outputs don't change).
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"setup: seed must be a non-negative int; got {seed!r}")
    quiet_tensorflow(onednn=onednn)
    if in_colab():
        install_colab_extras()

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    device = training_device()
    if deterministic and device == "CPU":
        tf.config.experimental.enable_op_determinism()
    where = "Colab" if in_colab() else "local"
    cores = f" ({os.cpu_count()} cores)" if device == "CPU" else ""
    print(
        f"Python {platform.python_version()} · TensorFlow {tf.__version__} · "
        f"Keras {keras.__version__} · {where} · training on {device}{cores}"
    )
    # stdout, not a warning: a stored stderr output would fail nbval.
    for line in untested_version_warnings(installed_versions()):
        print(line)
    return device
