"""cnnbook.setup(): quiet logs, seeds, Colab extras, one version line."""

import subprocess
import sys
import types
import warnings

import numpy as np
import pytest

import cnnbook
from cnnbook import env


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_setup_prints_one_version_line_and_silences_onednn_notice():
    result = run_python("import cnnbook; print('device=' + cnnbook.setup())")
    assert result.returncode == 0, result.stderr
    version_line, device_line = result.stdout.strip().splitlines()
    import keras
    import tensorflow as tf

    assert version_line.startswith(f"Python {sys.version.split()[0]} · TensorFlow {tf.__version__} · Keras {keras.__version__}")
    assert device_line in {"device=CPU", "device=GPU"} and device_line[-3:] in version_line
    assert "oneDNN custom operations" not in result.stderr  # printed when TF_ENABLE_ONEDNN_OPTS is unset


def test_without_setup_tensorflow_prints_the_onednn_notice():
    """The control for the test above: the notice is real, so its absence means something."""
    result = run_python("import os; os.environ.pop('TF_ENABLE_ONEDNN_OPTS', None); import tensorflow")
    assert "oneDNN custom operations" in result.stderr


def test_setup_warns_when_tensorflow_came_first():
    result = run_python("import warnings, tensorflow, cnnbook; warnings.simplefilter('error'); cnnbook.setup()")
    assert result.returncode != 0 and "imported before cnnbook.setup()" in result.stderr


def test_same_seed_same_numbers(capsys):
    # This process imported TensorFlow already; that warning is not what is tested here.
    warnings.simplefilter("ignore", UserWarning)
    cnnbook.setup(seed=7)
    first = np.random.rand(3)
    cnnbook.setup(seed=7)
    again = np.random.rand(3)
    cnnbook.setup(seed=8)
    other = np.random.rand(3)
    assert np.array_equal(first, again) and not np.array_equal(first, other)


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match="non-negative int"):
        cnnbook.setup(seed=seed)


def test_colab_installs_only_what_is_missing(monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(env.subprocess, "run", lambda command, check: calls.append(command))
    monkeypatch.setattr(env.importlib.util, "find_spec", lambda name: None)
    assert env.in_colab()
    assert env.install_colab_extras() == ["lime==0.2.0.1"]
    assert calls and calls[0][-1] == "lime==0.2.0.1" and calls[0][1:4] == ["-m", "pip", "install"]

    calls.clear()
    monkeypatch.setattr(env.importlib.util, "find_spec", lambda name: object())
    assert env.install_colab_extras() == [] and calls == []


def test_not_colab_here():
    assert not env.in_colab()


def test_running_setup_twice_does_not_warn():
    result = run_python("import warnings, cnnbook; cnnbook.setup(); warnings.simplefilter('error'); cnnbook.setup()")
    assert result.returncode == 0, result.stderr


def test_deterministic_turns_on_op_determinism_on_the_cpu():
    check = "from tensorflow.python.framework import config; print(config.is_op_determinism_enabled())"
    on = run_python(f"import cnnbook; cnnbook.setup(deterministic=True); {check}")
    off = run_python(f"import cnnbook; cnnbook.setup(); {check}")
    assert on.stdout.strip().endswith("True") and off.stdout.strip().endswith("False")
