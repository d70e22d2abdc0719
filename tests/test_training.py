"""The tuned training recipe, including its GPU-only path, run here on the CPU."""

import dataclasses
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from cnnbook import data, models, training


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
    assert recipe.precision == "mixed_float16" and recipe.jit_compile is True

    run = training.Run(recipe, x, y, epochs=2, test=test)
    model = run.model
    assert keras.mixed_precision.global_policy().name == "float32", "build_cnn must restore the global policy"
    assert [layer.dtype_policy.name for layer in model.layers] == ["mixed_float16"] * 6 + ["float32"]
    assert model.layers[0].compute_dtype == "float16" and model.layers[0].variable_dtype == "float32"
    assert model.outputs[0].dtype == "float32"
    assert model.count_params() == 121_930
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.jit_compile is True

    log = run.epoch()
    log = run.epoch()
    probabilities = model.predict(models.prepare_images(test[0][:50]), verbose=0)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert len(log.seconds) == len(log.test_accuracy) == 2
    assert log.test_accuracy[-1] > 0.3, "16 steps on 512 digits already beat chance (0.1) by far"
    assert math.isfinite(model.evaluate(models.prepare_images(test[0]), test[1], verbose=0)[0])


def test_cpu_recipe_skips_xla_and_uses_bfloat16_only_where_the_cpu_computes_it():
    plain = training.tuned_recipe("CPU", cpu_bfloat16=False)
    assert plain.precision == "float32" and plain.jit_compile is False
    assert plain.pipeline == "tf.data" and plain.batch_size > models.ARTICLE_BATCH_SIZE
    assert plain.learning_rate == pytest.approx(training.scaled_learning_rate(plain.batch_size))
    model = training.build_cnn(plain.precision)
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}

    with_bfloat16 = training.tuned_recipe("CPU", cpu_bfloat16=True)
    assert with_bfloat16 == dataclasses.replace(plain, precision="mixed_bfloat16")
    # The GPU recipe ignores the CPU's abilities.
    assert training.tuned_recipe("GPU", cpu_bfloat16=True).precision == "mixed_float16"
    with pytest.raises(ValueError, match="device must be one of"):
        training.tuned_recipe("TPU")


def test_bfloat16_path_keeps_a_float32_output_and_needs_no_loss_scaling(mnist_subset, restore_global_policy):
    (x, y), test = mnist_subset
    run = training.Run(training.tuned_recipe("CPU", cpu_bfloat16=True), x, y, epochs=1, test=test)
    model = run.model
    assert [layer.dtype_policy.name for layer in model.layers] == ["mixed_bfloat16"] * 6 + ["float32"]
    assert model.layers[0].compute_dtype == "bfloat16" and model.layers[0].variable_dtype == "float32"
    assert model.outputs[0].dtype == "float32"
    assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    log = run.epoch()
    assert log.test_accuracy[-1] > 0.3, "8 steps on 512 digits already beat chance (0.1) by far"


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 avx512_bf16 fma\n")
    assert training.cpu_flags(cpuinfo) == {"fpu", "avx2", "avx512_bf16", "fma"}
    assert training.cpu_flags(tmp_path / "missing") == set()


def test_bfloat16_needs_onednn():
    """The tests run with oneDNN off (conftest.py): then bfloat16 would only be slower."""
    assert training.onednn_enabled() is False
    assert training.cpu_computes_bfloat16() is False


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
        assert log.test_accuracy[-1] > 0.5
        assert log.images_per_second == pytest.approx(512 / log.seconds[1])


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
