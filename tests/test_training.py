"""The tuned training recipe, including its GPU-only path, run here on the CPU.

These tests run under every Keras backend: `make test` runs them on TensorFlow, and
`make backends-check` under KERAS_BACKEND=jax and torch, in venvs without TensorFlow.
"""

import dataclasses
import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from cnnbook import data, env, models, training

REPO_ROOT = Path(__file__).resolve().parents[1]
BACKEND = keras.backend.backend()
on_tensorflow = pytest.mark.skipif(BACKEND != "tensorflow", reason="TensorFlow's own switches")
needs_tensorflow = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                                      reason="tf.data needs TensorFlow installed")


@pytest.fixture(scope="module")
def mnist_subset():
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    return (x_train[:512], y_train[:512]), (x_test[:500], y_test[:500])


@pytest.fixture
def restore_global_policy():
    """Whatever a test does, later tests start from Keras's default float32 policy."""
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_gpu_path_runs_on_the_cpu(mnist_subset, restore_global_policy):
    """Mixed precision, a float32 output layer, loss scaling and XLA: the code path CI has no GPU for."""
    (x, y), test = mnist_subset
    recipe = training.tuned_recipe("GPU")
    assert recipe.precision == "mixed_float16"
    assert recipe.jit_compile is (BACKEND != "torch"), "XLA on TensorFlow and JAX; PyTorch stays eager"

    run = training.Run(recipe, x, y, epochs=2, test=test)
    model = run.model
    assert keras.mixed_precision.global_policy().name == "float32", "build_cnn must restore the global policy"
    assert [layer.dtype_policy.name for layer in model.layers] == ["mixed_float16"] * 6 + ["float32"]
    assert model.layers[0].compute_dtype == "float16" and model.layers[0].variable_dtype == "float32"
    assert model.outputs[0].dtype == "float32"
    assert model.count_params() == 121_930
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.jit_compile is recipe.jit_compile

    log = run.epoch()
    log = run.epoch()
    probabilities = model.predict(models.prepare_images(test[0][:50]), verbose=0)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert len(log.seconds) == len(log.test_accuracy) == 2
    assert log.test_accuracy[-1] > 0.3, "16 steps on 512 digits already beat chance (0.1) by far"
    assert math.isfinite(model.evaluate(models.prepare_images(test[0]), test[1], verbose=0)[0])


def test_cpu_recipe_skips_xla_and_uses_bfloat16_only_where_the_cpu_computes_it():
    plain = training.tuned_recipe("CPU", cpu_bfloat16=False, backend="tensorflow")
    assert plain.precision == "float32" and plain.jit_compile is False
    assert plain.pipeline == "tf.data" and plain.batch_size > models.ARTICLE_BATCH_SIZE
    assert plain.learning_rate == pytest.approx(training.scaled_learning_rate(plain.batch_size))
    model = training.build_cnn(plain.precision)
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}

    with_bfloat16 = training.tuned_recipe("CPU", cpu_bfloat16=True, backend="tensorflow")
    assert with_bfloat16 == dataclasses.replace(plain, precision="mixed_bfloat16")
    # The GPU recipe ignores the CPU's abilities.
    assert training.tuned_recipe("GPU", cpu_bfloat16=True).precision == "mixed_float16"
    with pytest.raises(ValueError, match="device must be one of"):
        training.tuned_recipe("TPU")


def test_bfloat16_path_keeps_a_float32_output_and_needs_no_loss_scaling(mnist_subset, restore_global_policy):
    (x, y), test = mnist_subset
    run = training.Run(training.tuned_recipe("CPU", cpu_bfloat16=True), x, y, epochs=2, test=test)
    model = run.model
    assert [layer.dtype_policy.name for layer in model.layers] == ["mixed_bfloat16"] * 6 + ["float32"]
    assert model.layers[0].compute_dtype == "bfloat16" and model.layers[0].variable_dtype == "float32"
    assert model.outputs[0].dtype == "float32"
    assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    run.epoch()
    log = run.epoch()
    assert log.test_accuracy[-1] > 0.3, "8 steps on 512 digits already beat chance (0.1) by far"


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 avx512_bf16 fma\n")
    assert training.cpu_flags(cpuinfo) == {"fpu", "avx2", "avx512_bf16", "fma"}
    assert training.cpu_flags(tmp_path / "missing") == set()


def test_bfloat16_needs_onednn():
    """The tests run with oneDNN off (conftest.py): then bfloat16 would only be slower.

    Off TensorFlow both are False: oneDNN is TensorFlow's, and bfloat16 was measured there only.
    """
    assert training.onednn_enabled() is False
    assert training.cpu_computes_bfloat16() is False


@on_tensorflow
@pytest.mark.parametrize(
    "flags, onednn, version, expected",
    [
        ({"avx512_bf16", "avx2"}, True, "2.21.0", True),
        ({"amx_bf16"}, True, "2.22.1", True),
        ({"avx2"}, True, "2.21.0", False),  # no bfloat16 instructions
        ({"avx512_bf16"}, False, "2.21.0", False),  # oneDNN off
        ({"avx512_bf16"}, True, "2.20.0", False),  # measured slower in bfloat16 on TF 2.20
    ],
)
def test_cpu_computes_bfloat16_needs_the_instructions_onednn_and_a_recent_tensorflow(
    monkeypatch, flags, onednn, version, expected
):
    import tensorflow as tf

    monkeypatch.setattr(training, "cpu_flags", lambda: flags)
    monkeypatch.setattr(training, "onednn_enabled", lambda: onednn)
    monkeypatch.setattr(tf, "__version__", version)
    assert training.cpu_computes_bfloat16() is expected


@on_tensorflow
@pytest.mark.parametrize("setting, expected", [("1", True), ("0", False)])
def test_onednn_enabled_follows_the_setting_tensorflow_was_imported_with(setting, expected):
    code = "from cnnbook import training; import tensorflow; print(training.onednn_enabled())"
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": setting, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(expected)


def test_article_recipe_is_the_articles():
    recipe = training.ARTICLE_RECIPE
    assert (recipe.pipeline, recipe.batch_size, recipe.learning_rate) == ("arrays", 32, 1e-3)
    assert (recipe.jit_compile, recipe.steps_per_execution, recipe.precision) == ("auto", 1, "float32")
    assert recipe.cosine_decay is False


def test_interleaved_runs_train_on_the_same_data(mnist_subset):
    (x, y), test = mnist_subset
    recipes = {"article": training.ARTICLE_RECIPE, "tuned": training.tuned_recipe("CPU")}
    logs = training.train_interleaved(recipes, x, y, epochs=2, test=test)
    for log in logs.values():
        assert log.images_per_epoch == 512 and len(log.seconds) == 2
        assert log.test_accuracy[-1] > 0.3, "8 or 32 steps on 512 digits beat chance (0.1) by far"
        assert log.images_per_second == pytest.approx(512 / log.seconds[1])


@needs_tensorflow
def test_make_dataset_converts_like_prepare_images_and_reshuffles():
    images = np.arange(10 * 4 * 4, dtype=np.uint8).reshape(10, 4, 4)
    labels = np.arange(10)
    dataset = training.make_dataset(images, labels, batch_size=4, seed=0)
    first = list(dataset.as_numpy_iterator())
    assert [len(batch_labels) for _, batch_labels in first] == [4, 4, 2]
    order = np.concatenate([batch_labels for _, batch_labels in first])
    assert sorted(order) == list(range(10)) and list(order) != list(range(10))
    expected = models.prepare_images(images)
    for batch_images, batch_labels in first:
        np.testing.assert_array_equal(batch_images, expected[batch_labels])
    second = np.concatenate([batch_labels for _, batch_labels in dataset.as_numpy_iterator()])
    assert list(second) != list(order), "each epoch sees a new order"


@needs_tensorflow
@pytest.mark.parametrize(
    "images, labels",
    [(np.zeros((3, 4, 4), np.float32), np.zeros(3)), (np.zeros((3, 4, 4), np.uint8), np.zeros(2))],
)
def test_make_dataset_refuses_what_it_cannot_handle(images, labels):
    with pytest.raises(ValueError, match="expected uint8 images"):
        training.make_dataset(images, labels, batch_size=2)


def test_scaled_learning_rate_follows_the_square_root_rule():
    assert training.scaled_learning_rate(32) == pytest.approx(1e-3)
    assert training.scaled_learning_rate(128) == pytest.approx(2e-3)
    assert training.scaled_learning_rate(8, base_rate=0.01, base_batch_size=2) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        training.scaled_learning_rate(0)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"pipeline": "generator"}, "pipeline must be one of"),
        ({"precision": "bfloat16"}, "precision must be one of"),
        ({"jit_compile": "yes"}, "jit_compile must be"),
        ({"batch_size": 0}, "batch_size must be a positive int"),
        ({"steps_per_execution": 2.0}, "steps_per_execution must be a positive int"),
        ({"learning_rate": 0.0}, "learning_rate must be positive"),
    ],
)
def test_recipe_refuses_bad_settings(bad, message):
    with pytest.raises(ValueError, match=message):
        training.Recipe(**bad)


def test_build_cnn_refuses_unknown_precision():
    with pytest.raises(ValueError, match="precision must be one of"):
        training.build_cnn("int8")


def test_epoch_log_throughput_and_time_to_accuracy():
    log = training.EpochLog(images_per_epoch=1000, seconds=[4.0, 1.0, 1.5], test_accuracy=[0.95, 0.99, 0.985])
    assert log.wall_time == pytest.approx(6.5)
    assert log.images_per_second == pytest.approx(2000 / 2.5), "the first epoch (warm-up) is left out"
    assert log.time_to_accuracy(0.99) == pytest.approx(5.0)
    assert log.time_to_accuracy(0.995) is None
    single = training.EpochLog(images_per_epoch=1000, seconds=[4.0])
    assert single.images_per_second == pytest.approx(250.0)


@pytest.mark.parametrize(
    "backend, pipeline, steps, cpu_jit, gpu_jit",
    [
        ("tensorflow", "tf.data", 32, False, True),  # "auto" is False on a CPU-only machine
        ("jax", "arrays", 32, True, True),  # JAX always compiles with XLA
        ("torch", "arrays", 1, False, False),  # eager; Keras runs one step per call on PyTorch
    ],
)
def test_tuned_recipe_on_each_backend(backend, pipeline, steps, cpu_jit, gpu_jit):
    cpu = training.tuned_recipe("CPU", cpu_bfloat16=False, backend=backend)
    gpu = training.tuned_recipe("GPU", backend=backend)
    for recipe in (cpu, gpu):
        assert (recipe.pipeline, recipe.steps_per_execution) == (pipeline, steps)
        assert recipe.batch_size == training.TUNED_BATCH_SIZE and recipe.cosine_decay
    assert (cpu.jit_compile, gpu.jit_compile) == (cpu_jit, gpu_jit)
    assert (cpu.precision, gpu.precision) == ("float32", "mixed_float16")


def test_tuned_recipe_follows_this_process_backend_and_refuses_others():
    assert training.tuned_recipe("CPU") == training.tuned_recipe("CPU", backend=BACKEND)
    with pytest.raises(ValueError, match="backend must be one of"):
        training.tuned_recipe("CPU", backend="mxnet")


def test_auto_jit_compile_resolves_as_the_docstrings_say():
    """What Keras itself makes of jit_compile="auto" here, against Recipe's docstring."""
    model = training.compile_for(training.build_cnn(), training.ARTICLE_RECIPE, steps_per_epoch=1, epochs=1)
    if BACKEND == "tensorflow":
        import tensorflow as tf
        from tensorflow.python.framework.config import is_op_determinism_enabled

        expected = bool(tf.config.list_physical_devices("GPU")) and not is_op_determinism_enabled()
    else:
        expected = BACKEND == "jax"
    assert model.jit_compile is expected
    compiler, note = training.jit_compile_meaning()
    assert compiler == {"tensorflow": "XLA", "jax": "XLA (jax.jit)", "torch": "torch.compile"}[BACKEND]
    assert BACKEND.replace("torch", "PyTorch").lower() in note.lower()


def test_jit_compile_meaning_says_there_is_no_xla_switch_on_jax():
    assert "no 'XLA on against off'" in training.jit_compile_meaning("jax")[1]
    assert "not XLA" in training.jit_compile_meaning("torch")[1]
    with pytest.raises(ValueError, match="backend must be one of"):
        training.jit_compile_meaning("numpy")


def test_make_dataset_without_tensorflow_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` now fails
    with pytest.raises(ImportError, match=r"needs TensorFlow.*pipeline='arrays'"):
        training.make_dataset(np.zeros((2, 4, 4), np.uint8), np.zeros(2), batch_size=2)


# Run as a fresh process: setup(), the data, both recipes for one epoch, the estimate.
NO_TENSORFLOW_RUN = """
import sys
import cnnbook
from cnnbook import data, models, training

device = cnnbook.setup(seed=0)
(x, y), (x_test, y_test) = data.load_mnist()
recipes = {"article": training.ARTICLE_RECIPE, "tuned": training.tuned_recipe(device)}
logs = training.train_interleaved(recipes, x[:256], y[:256], epochs=1, test=(x_test[:200], y_test[:200]))
assert all(log.test_accuracy[-1] > 0.2 for log in logs.values()), logs
print(round(training.t4_training_estimate().seconds, 3))
print("tensorflow imported:", "tensorflow" in sys.modules)
"""


@pytest.mark.skipif(BACKEND == "tensorflow", reason="Keras on TensorFlow imports it, of course")
def test_nothing_imports_tensorflow_under_another_backend():
    result = subprocess.run([sys.executable, "-c", NO_TENSORFLOW_RUN], capture_output=True, text=True,
                            env={**os.environ, "KERAS_BACKEND": BACKEND}, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert f"on {env.framework_version(BACKEND)}" in lines[0], lines[0]
    assert lines[-1] == "tensorflow imported: False"


def test_training_macs_per_image_counts_forward_and_backward():
    forward = {"conv1": 26 * 26 * 32 * 3 * 3 * 1, "conv2": 11 * 11 * 64 * 3 * 3 * 32,
               "dense_hidden": 1600 * 64, "dense_out": 64 * 10}
    # Weight gradients cost a forward pass in every layer, input gradients in all but conv1.
    assert training.training_macs_per_image() == 2 * sum(forward.values()) + sum(forward.values()) - forward["conv1"]


@pytest.mark.skipif(BACKEND != "jax", reason="XLA's own count of the compiled training step, on JAX")
def test_training_flops_match_xlas_cost_analysis():
    """XLA counts the FLOPs of the compiled gradient: our 2 x MACs plus elementwise ops."""
    import jax

    model = models.build_article_cnn()
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    x, y = np.zeros((32, 28, 28, 1), "float32"), np.zeros(32, "int32")

    def loss(trainable, non_trainable):
        probabilities, _ = model.stateless_call(trainable, non_trainable, x)
        return loss_fn(y, probabilities)

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    cost = jax.jit(jax.grad(loss)).lower(trainable, non_trainable).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    ours = 2 * training.training_macs_per_image() * len(x)
    assert ours <= cost["flops"] <= 1.1 * ours, (cost["flops"], ours)


def test_t4_estimate_is_the_datasheet_arithmetic():
    estimate = training.t4_training_estimate()
    flops_per_image = 2 * training.training_macs_per_image()
    assert estimate.images == 5 * 60_000 and estimate.peak_flops_per_second == 8.1e12
    assert estimate.seconds == pytest.approx(flops_per_image * 300_000 / 8.1e12)
    assert estimate.images_per_second == pytest.approx(8.1e12 / flops_per_image)
    tensor_cores = training.t4_training_estimate(precision="mixed_float16", images_per_epoch=54_000)
    assert tensor_cores.seconds == pytest.approx(estimate.seconds * 0.9 * 8.1 / 65)
    with pytest.raises(ValueError, match="precision must be one of"):
        training.t4_training_estimate(precision="int8")
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        training.t4_training_estimate(epochs=0)


def test_committed_results_table_is_complete_and_honest():
    rows = training.load_results()
    measurements = ("device_model", "versions", "images_per_second", "wall_time_s", "test_accuracy", "measured_on")
    assert {row["backend"] for row in rows if row["device"] == "GPU"} >= {"jax", "torch"}
    for row in rows:
        if row["status"] == training.NOT_YET_MEASURED:
            assert all(row[column] is None for column in measurements + ("time_to_99_s",)), row
        else:
            assert all(row[column] is not None for column in measurements), row
            assert 0.9 < row["test_accuracy"] <= 1 and row["images_per_second"] > 0, row


def test_load_results_refuses_a_wrong_table(tmp_path):
    with pytest.raises(FileNotFoundError, match="ships with the book's repository"):
        training.load_results(tmp_path / "missing.csv")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("status,device\nmeasured,GPU\n")
    with pytest.raises(ValueError, match="must have the columns"):
        training.load_results(wrong)


def load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_train", REPO_ROOT / "benchmarks" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_records_a_row_in_place_of_the_unmeasured_one(tmp_path, capsys):
    table = tmp_path / "train.csv"
    table.write_text(training.RESULTS_PATH.read_text())
    before = training.load_results(table)
    row = {"status": "measured", "device": "GPU", "device_model": "NVIDIA H200", "backend": "jax",
           "versions": "Keras 3.15.1, JAX 0.10.2, Python 3.12.3", "recipe": "tuned", "epochs": 5,
           "train_images": 60000, "images_per_second": "50000", "wall_time_s": "7.5",
           "test_accuracy": "0.9912", "time_to_99_s": "", "measured_on": "2026-12-01"}
    load_benchmark().record(table, [row])
    after = training.load_results(table)
    assert len(after) == len(before)
    jax_tuned = [r for r in after if (r["device"], r["backend"], r["recipe"]) == ("GPU", "jax", "tuned")]
    assert len(jax_tuned) == 1 and jax_tuned[0]["images_per_second"] == 50000.0
    assert jax_tuned[0]["time_to_99_s"] is None
    load_benchmark().record(table, [{**row, "device_model": "NVIDIA A100"}])  # another GPU: a new row
    assert len(training.load_results(table)) == len(before) + 1


def test_benchmark_sets_the_backend_before_keras_is_imported():
    """--backend wins over KERAS_BACKEND, which Keras reads once, when it is imported."""
    command = [sys.executable, "benchmarks/train.py", "--backend", BACKEND, "--epochs", "2", "--train-size", "64",
               "--test-size", "100"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=600,
                            env={**os.environ, "KERAS_BACKEND": "not-a-backend"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Keras {keras.__version__}, {env.framework_version(BACKEND)}, "), result.stdout
    assert "tuned / article: throughput" in result.stdout


def test_the_shared_model_file_loads_and_predicts_under_this_backend():
    """models.trained_article_cnn's cache is keyed by recipe only: one .keras file for every backend.

    In CI, `make test` fills the cache on TensorFlow before `make backends-check` runs this
    on JAX and PyTorch: the TensorFlow-trained weights must classify as well there.
    """
    path = models.article_cnn_cache_path()
    if not path.exists():
        pytest.skip(f"no cached model at {path} (chapter 4.1 or trained_article_cnn() writes it)")
    model = keras.models.load_model(path)
    assert [layer.name for layer in model.layers] == list(models.ARTICLE_LAYER_NAMES)
    _, (x_test, y_test) = data.load_mnist()
    probabilities = model.predict(models.prepare_images(x_test), batch_size=1000, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert np.mean(probabilities.argmax(axis=1) == y_test) >= 0.985
