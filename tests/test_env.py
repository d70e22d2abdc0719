"""cnnbook.setup(): quiet logs, seeds, Colab extras, one version line."""

import subprocess
import sys
import types
import warnings

import numpy as np
import pytest

import cnnbook
from book import REPO_ROOT
from cnnbook import env


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_setup_prints_one_version_line_and_silences_onednn_notice():
    result = run_python("import cnnbook; print('device=' + cnnbook.setup())")
    assert result.returncode == 0, result.stderr
    version_line, mode_line, device_line = result.stdout.strip().splitlines()
    import keras
    import tensorflow as tf

    assert version_line.startswith(f"Python {sys.version.split()[0]} · Keras {keras.__version__} on TensorFlow {tf.__version__}")
    assert device_line in {"device=CPU", "device=GPU"} and mode_line.startswith(f"training on {device_line[-3:]}")
    assert mode_line.endswith("· full runs") and max(map(len, (version_line, mode_line))) <= 88
    assert "oneDNN custom operations" not in result.stderr  # printed whenever oneDNN is on


@pytest.mark.parametrize("value, quick", [("", False), ("0", False), ("off", False), ("1", True), ("True", True)])
def test_quick_mode_follows_the_environment_variable(monkeypatch, value, quick):
    monkeypatch.setenv("CNNBOOK_QUICK", value)
    assert env.quick_mode() is quick
    assert cnnbook.full_or_quick(60_000, 12_000) == (12_000 if quick else 60_000)


def test_quick_mode_refuses_an_unclear_value(monkeypatch):
    monkeypatch.setenv("CNNBOOK_QUICK", "fast")
    with pytest.raises(ValueError, match=r"CNNBOOK_QUICK='fast': expected 1 \(quick mode\) or 0"):
        env.quick_mode()


def test_setup_quick_turns_the_quick_mode_on_and_says_so():
    result = run_python("import cnnbook, os; cnnbook.setup(quick=True); print(os.environ['CNNBOOK_QUICK'])")
    assert result.returncode == 0, result.stderr
    _, mode_line, value = result.stdout.strip().splitlines()
    assert mode_line.endswith("· quick mode") and value == "1"


def test_without_setup_tensorflow_prints_the_onednn_notice():
    """The control for the test above: the notice is real, so its absence means something."""
    # TensorFlow turns oneDNN on by default only on CPUs with certain neural-network
    # instructions (AVX-512 VNNI, AMX, ...), and prints the notice whenever it is on; an
    # AVX2-only CPU prints nothing unless asked. So the control asks for oneDNN. Without
    # the log level too: TF 2.20 (Colab's) hides the notice at level 2, TF 2.21 does not.
    onednn_on = "os.environ['TF_ENABLE_ONEDNN_OPTS'] = '1'; os.environ.pop('TF_CPP_MIN_LOG_LEVEL', None)"
    result = run_python(f"import os; {onednn_on}; import tensorflow")
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


def pinned_versions(path):
    """``name==version`` lines of a requirements or constraints file, as a dict."""
    lines = (line.split("#")[0].strip() for line in (REPO_ROOT / path).read_text().splitlines())
    return dict(line.split("==") for line in lines if "==" in line)


def test_tested_range_runs_from_colabs_versions_to_our_pins():
    colab = pinned_versions("colab/constraints.txt")
    ours = pinned_versions("requirements.txt")
    assert set(env.TESTED_VERSIONS) == set(colab), "every package Colab pins needs a tested range, and only those"
    for name, (lowest, highest) in env.TESTED_VERSIONS.items():
        assert env.release(lowest) == env.release(colab[name]), f"{name}: colab/constraints.txt has {colab[name]}"
        assert env.release(highest) == env.release(ours[name]), f"{name}: requirements.txt has {ours[name]}"


IN_RANGE = {"tensorflow": "2.20.1", "keras": "3.15.1", "numpy": "2.4.6", "matplotlib": "3.10.0rc1", "ipywidgets": "7.7.1"}


def test_no_warning_inside_the_tested_releases():
    assert env.untested_version_warnings(IN_RANGE) == []


@pytest.mark.parametrize(
    "name, version",
    [
        ("tensorflow", "2.22.0"),  # too new
        ("numpy", "2.10.0"),  # too new, though "2.10" < "2.4" as strings
        ("keras", "3.12.4"),  # too old
        ("tensorflow", "2.3.0"),  # too old, though "2.3" > "2.20" as strings
        ("ipywidgets", "9.0.0"),
    ],
)
def test_one_warning_line_for_a_version_outside_the_tested_releases(name, version):
    lowest, highest = env.TESTED_VERSIONS[name]
    warnings_ = env.untested_version_warnings({**IN_RANGE, name: version})
    assert warnings_ == [
        f"cnnbook was tested with {name} {lowest}–{highest}; you have {version}. "
        f'If a cell fails, run `pip install "{name}=={highest}.*"` and restart the kernel.'
    ]


def test_installed_versions_are_the_real_ones_and_leave_out_missing_packages():
    import keras
    import tensorflow as tf

    found = env.installed_versions(["tensorflow", "keras", "no-such-package-cnnbook"])
    assert found == {"tensorflow": tf.__version__, "keras": keras.__version__}


def test_setup_prints_the_warning_after_the_version_line(monkeypatch, capsys):
    warnings.simplefilter("ignore", UserWarning)  # TensorFlow came first in this process
    monkeypatch.setitem(env.TESTED_VERSIONS, "keras", ("9.0", "9.1"))
    cnnbook.setup()
    version_line, _, warning = capsys.readouterr().out.strip().splitlines()
    assert version_line.startswith("Python ") and warning.startswith("cnnbook was tested with keras 9.0–9.1; you have")


@pytest.mark.parametrize("version", ["", "two", "2"])
def test_release_refuses_what_is_not_a_version(version):
    with pytest.raises(ValueError, match="expected a version"):
        env.release(version)


def test_ci_starts_from_an_empty_home():
    """A warm model cache or ~/.keras hid failures once: CI must run as a new user would."""
    script = (REPO_ROOT / ".ci" / "run").read_text()
    assert 'HOME="$(mktemp -d)"' in script and "export HOME" in script
    assert script.index("export HOME") < script.index("make test")


def test_ci_runs_the_colab_drift_guard():
    import yaml

    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "book.yml").read_text())
    commands = [step.get("run") for job in workflow["jobs"].values() for step in job["steps"]]
    assert "make colab-check" in commands, "book.yml: add a job that runs `make colab-check`"
    assert "make colab-check" in (REPO_ROOT / ".ci" / "run").read_text().splitlines()


def test_tensorflow_startup_noise_is_dropped_and_real_lines_kept():
    banner = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
    no_driver = "I0000 00:00:1764620000.123456   1234 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used."
    cuinit = "E0000 00:00:1764620000.234567   1234 cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)"
    guard = "I0000 00:00:1764620000.345678   1234 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use available CPU instructions"
    assert env.without_tensorflow_startup_noise([banner, no_driver, cuinit, guard]) == [guard]
    assert env.without_tensorflow_startup_noise([cuinit]) == [cuinit], "with a CUDA driver, a cuInit failure is real"
