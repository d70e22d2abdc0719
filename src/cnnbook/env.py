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


# Lines TensorFlow writes to the process's stderr while it starts on a machine without
# CUDA drivers. They come from absl before its logging is initialised, so
# TF_CPP_MIN_LOG_LEVEL does not reach them, and CUDA_VISIBLE_DEVICES="" does not
# stop them either (both checked on TensorFlow 2.21).
_ABSL_PREINIT_BANNER = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
)
_NO_CUDA_DRIVER = re.compile(
    r"I\d{4} [\d:.]+ +\d+ cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine, "
    r"GPU will not be used\."
)
_CUINIT_FAILED = re.compile(r"E\d{4} [\d:.]+ +\d+ cuda_platform\.cc:\d+\] failed call to cuInit: .*")


def without_tensorflow_startup_noise(lines):
    """``lines`` without TensorFlow's start-up noise on a machine with no CUDA driver.

    The noise is absl's "before absl::InitializeLog()" banner, cudart_stub's "Could
    not find cuda drivers", and the failed ``cuInit`` that follows it, but that one
    only when the "Could not find cuda drivers" line is there too: on a machine that
    has CUDA drivers, a failing ``cuInit`` is a real error and stays.
    """
    no_driver = any(_NO_CUDA_DRIVER.fullmatch(line) for line in lines)
    return [
        line for line in lines
        if not (_ABSL_PREINIT_BANNER.fullmatch(line) or _NO_CUDA_DRIVER.fullmatch(line)
                or (no_driver and _CUINIT_FAILED.fullmatch(line)))
    ]


def import_tensorflow_quietly():
    """Import TensorFlow and find its devices without its start-up lines; return the module.

    For scripts, such as the benchmarks, whose output should start with their own
    lines. Sets the variables of ``QUIET_ENVIRONMENT`` where they are unset (so a
    caller can still choose, say, ``TF_ENABLE_ONEDNN_OPTS=1``). While TensorFlow loads
    and lists its devices, the process's stderr (file descriptor 2, where C++ writes)
    goes to a temporary file; afterwards every line of it is written back to stderr
    except the noise that :func:`without_tensorflow_startup_noise` drops, so real
    errors and warnings still show. If TensorFlow was already imported, it only
    returns it.
    """
    import tempfile

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # cuInit runs here, not at import
        finally:
            sys.stderr.flush()
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines()
            kept = without_tensorflow_startup_noise(lines)
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)
    return tf


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


QUICK_VARIABLE = "CNNBOOK_QUICK"
_QUICK_VALUES = {"": False, "0": False, "false": False, "no": False, "off": False,
                 "1": True, "true": True, "yes": True, "on": True}


def quick_mode():
    """True when the environment variable ``CNNBOOK_QUICK`` asks for the quick mode.

    The quick mode trains on smaller subsets and for fewer epochs, so that a first
    run on a laptop or Colab CPU takes minutes instead of tens of minutes. Every
    assertion in the book holds in both modes; only the measured numbers change.
    ``CNNBOOK_QUICK=1`` (or ``true``, ``yes``, ``on``) turns it on; unset, empty or
    ``0`` leaves the full runs. ``cnnbook.setup(quick=True)`` sets it from a notebook.
    """
    value = os.environ.get(QUICK_VARIABLE, "").strip().lower()
    if value not in _QUICK_VALUES:
        raise ValueError(
            f"{QUICK_VARIABLE}={os.environ[QUICK_VARIABLE]!r}: expected 1 (quick mode) or 0 (full runs); "
            f"fix it with `export {QUICK_VARIABLE}=1` or `unset {QUICK_VARIABLE}`"
        )
    return _QUICK_VALUES[value]


def full_or_quick(full, quick):
    """``full`` normally, ``quick`` in the quick mode (:func:`quick_mode`).

    >>> full_or_quick(60_000, 12_000)  # doctest: +SKIP
    60000
    """
    return quick if quick_mode() else full


def backend_name():
    """The Keras backend this process uses (``"tensorflow"``, ``"jax"`` or ``"torch"``).

    Read from ``KERAS_BACKEND`` (Keras's own switch) without importing Keras.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def framework_version(backend):
    """``"TensorFlow 2.21.0"``, ``"JAX 0.7.2"`` or ``"PyTorch 2.13.0"``: the backend's library and version."""
    if backend == "tensorflow":
        import tensorflow as framework

        return f"TensorFlow {framework.__version__}"
    if backend == "jax":
        import jax as framework

        return f"JAX {framework.__version__}"
    if backend == "torch":
        import torch as framework

        return f"PyTorch {framework.__version__}"
    raise ValueError(f"framework_version: backend must be 'tensorflow', 'jax' or 'torch'; got {backend!r}")


def training_device():
    """Return ``"GPU"`` if the Keras backend sees a GPU, else ``"CPU"``."""
    backend = backend_name()
    if backend == "jax":
        import jax

        return "GPU" if any(device.platform == "gpu" for device in jax.devices()) else "CPU"
    if backend == "torch":
        import torch

        return "GPU" if torch.cuda.is_available() else "CPU"
    import tensorflow as tf

    return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"


def setup(seed=0, deterministic=False, onednn=False, quick=None):
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
        It is TensorFlow's switch: under the JAX and PyTorch backends it does nothing.
    onednn : bool
        Keep TensorFlow's oneDNN CPU kernels, its default on x86 Linux. They are
        faster, and the only ones that use a CPU's bfloat16 instructions, but
        TensorFlow then prints a notice to stderr when it starts, so by default
        the book's notebooks switch them off. No effect on a GPU.
    quick : bool or None
        ``True`` turns on the quick mode (smaller subsets, fewer epochs; see
        :func:`quick_mode`) for this process; ``None`` leaves it as the environment
        variable ``CNNBOOK_QUICK`` says.

    Returns
    -------
    str
        The device Keras will train on, ``"GPU"`` or ``"CPU"``.

    Prints two lines, the Python, Keras and backend versions, then the device and the
    mode, then one warning line for each package outside the tested versions (none on the
    versions the book pins, so stored outputs don't change).
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"setup: seed must be a non-negative int; got {seed!r}")
    if quick not in (None, True, False):
        raise ValueError(f"setup: quick must be True, False or None; got {quick!r}")
    if quick is not None:
        os.environ[QUICK_VARIABLE] = "1" if quick else "0"
    mode = "quick mode" if quick_mode() else "full runs"
    quiet_tensorflow(onednn=onednn)
    if in_colab():
        install_colab_extras()

    import keras

    keras.utils.set_random_seed(seed)
    backend = keras.backend.backend()
    device = training_device()
    if deterministic and device == "CPU" and backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    where = "Colab" if in_colab() else "local"
    cores = f" ({os.cpu_count()} cores)" if device == "CPU" else ""
    # Two short lines rather than one: printed outputs fit the book's text column.
    print(f"Python {platform.python_version()} · Keras {keras.__version__} on {framework_version(backend)} · {where}")
    print(f"training on {device}{cores} · {mode}")
    # stdout, not a warning: a stored stderr output would fail nbval.
    for line in untested_version_warnings(installed_versions()):
        print(line)
    return device
