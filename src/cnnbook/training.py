"""Training the article's CNN faster: a tuned input pipeline and recipe.

A :class:`Recipe` names every choice that changes speed: where the batches come
from (NumPy arrays or a ``tf.data`` pipeline), the batch size and learning rate,
XLA (``jit_compile``), how many steps run per call into TensorFlow
(``steps_per_execution``) and the numeric precision. :data:`ARTICLE_RECIPE` is the
article's; :func:`tuned_recipe` is ours, and its device-dependent choices
(the numeric precision, and XLA on a GPU only) live here so that the notebook,
the benchmark and the tests all use the same ones.

:func:`train` trains one recipe on the same data as any other and reports images
per second, wall time and test accuracy per epoch (:class:`EpochLog`).
"""

import dataclasses
import math
import time

from cnnbook import models
from cnnbook.env import release

PIPELINES = ("arrays", "tf.data")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
DEVICES = ("CPU", "GPU")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Every choice of a training run that changes its speed.

    pipeline : ``"arrays"`` (``fit`` on NumPy arrays, as the article does) or
        ``"tf.data"`` (:func:`make_dataset`).
    batch_size, learning_rate : adam's batch size and (peak) learning rate.
    cosine_decay : decay the learning rate to 0 over the run (a cosine curve).
    jit_compile : passed to ``model.compile``; ``"auto"`` is Keras's default
        (XLA on, unless op determinism is on).
    steps_per_execution : training steps per call from Python into TensorFlow.
    precision : ``"float32"``, ``"mixed_float16"`` (float16 compute, float32
        weights and output layer, loss scaling) or ``"mixed_bfloat16"`` (the same
        with bfloat16, which has float32's range, so needs no loss scaling).
    """

    pipeline: str = "arrays"
    batch_size: int = models.ARTICLE_BATCH_SIZE
    learning_rate: float = 1e-3  # adam's default, which the article uses
    cosine_decay: bool = False
    jit_compile: object = "auto"
    steps_per_execution: int = 1
    precision: str = "float32"

    def __post_init__(self):
        if self.pipeline not in PIPELINES:
            raise ValueError(f"Recipe: pipeline must be one of {PIPELINES}; got {self.pipeline!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"Recipe: precision must be one of {PRECISIONS}; got {self.precision!r}")
        if self.jit_compile not in ("auto", True, False):
            raise ValueError(f"Recipe: jit_compile must be 'auto', True or False; got {self.jit_compile!r}")
        for name in ("batch_size", "steps_per_execution"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Recipe: {name} must be a positive int; got {value!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"Recipe: learning_rate must be positive; got {self.learning_rate!r}")


# The article's recipe: fit on NumPy arrays, batch 32, adam at its default rate.
ARTICLE_RECIPE = Recipe()

TUNED_BATCH_SIZE = 128
TUNED_STEPS_PER_EXECUTION = 32

# x86 instructions that multiply bfloat16 numbers natively (/proc/cpuinfo flags).
BFLOAT16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}
# The first TensorFlow release measured faster in bfloat16 than in float32 on a CPU
# with those instructions (see cpu_computes_bfloat16).
FIRST_TENSORFLOW_FAST_IN_BFLOAT16 = (2, 21)


def scaled_learning_rate(batch_size, base_rate=1e-3, base_batch_size=models.ARTICLE_BATCH_SIZE):
    """Adam's learning rate for ``batch_size``, scaled from ``base_rate`` at ``base_batch_size``.

    A batch k times larger gives k times fewer steps per epoch, each with a less
    noisy gradient. For adam we scale the rate by sqrt(k) (the square-root rule):
    its per-weight normalisation already makes steps less sensitive to the
    gradient's size, and the linear rule that suits plain SGD makes adam unstable.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"scaled_learning_rate: batch_size must be a positive int; got {batch_size!r}")
    return base_rate * math.sqrt(batch_size / base_batch_size)


def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """The instruction-set flags of this machine's processor (empty where /proc/cpuinfo isn't)."""
    try:
        with open(cpuinfo) as lines:
            for line in lines:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def onednn_enabled():
    """True when TensorFlow runs its oneDNN CPU kernels in this process.

    TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` once, when it is imported: on by
    default on x86 Linux, off after ``cnnbook.setup()`` unless ``onednn=True``.
    """
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return False
    return bool(_pywrap_util_port.IsMklEnabled())


def cpu_computes_bfloat16():
    """True when training on this CPU gains from bfloat16.

    That takes the processor's bfloat16 instructions (AVX512-BF16 or AMX), and
    TensorFlow's oneDNN kernels, the only ones that use them, in a TensorFlow that
    uses them well: on the book's CPU, TensorFlow 2.21 trained the article's CNN 1.7
    times faster in bfloat16 than in float32, but TensorFlow 2.20 (Colab's) 0.7 times
    as fast. Without all three, mixed precision is *slower* than float32.
    """
    import tensorflow as tf

    return (
        bool(cpu_flags() & BFLOAT16_CPU_FLAGS)
        and onednn_enabled()
        and release(tf.__version__) >= FIRST_TENSORFLOW_FAST_IN_BFLOAT16
    )


def tuned_recipe(device, cpu_bfloat16=None):
    """Our recipe for ``device`` (``"CPU"`` or ``"GPU"``, as ``cnnbook.setup()`` returns it).

    On both: a ``tf.data`` pipeline, batches of 128 with the learning rate scaled by
    the square-root rule and decayed along a cosine, and 32 steps per execution.
    On a GPU: mixed precision in float16 (its tensor cores multiply float16 several
    times faster) and XLA. On a CPU: no XLA (on our CPU it made the training step
    slower; see the notebook "Training faster"), and mixed precision in bfloat16
    only where the CPU computes it natively (``cpu_bfloat16``; by default
    :func:`cpu_computes_bfloat16` decides), else float32. The batch size is the same
    on both devices, so the accuracy measured on the CPU carries over.
    """
    if device not in DEVICES:
        raise ValueError(f"tuned_recipe: device must be one of {DEVICES}; got {device!r}")
    on_gpu = device == "GPU"
    if on_gpu:
        precision = "mixed_float16"
    else:
        if cpu_bfloat16 is None:
            cpu_bfloat16 = cpu_computes_bfloat16()
        precision = "mixed_bfloat16" if cpu_bfloat16 else "float32"
    return Recipe(
        pipeline="tf.data",
        batch_size=TUNED_BATCH_SIZE,
        learning_rate=scaled_learning_rate(TUNED_BATCH_SIZE),
        cosine_decay=True,
        jit_compile=on_gpu,
        steps_per_execution=TUNED_STEPS_PER_EXECUTION,
        precision=precision,
    )


def build_cnn(precision="float32"):
    """The article's CNN (uncompiled weights fresh) built in ``precision``.

    Under ``"mixed_float16"`` (or ``"mixed_bfloat16"``) the layers compute in
    float16 (bfloat16) and keep float32 weights, except the output layer, which stays
    entirely float32: a softmax in 16 bits rounds small probabilities to 0, and the
    loss takes their logarithm.
    The global dtype policy is restored afterwards.
    """
    import keras

    if precision not in PRECISIONS:
        raise ValueError(f"build_cnn: precision must be one of {PRECISIONS}; got {precision!r}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        model = models.build_article_cnn()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    if precision == "float32":
        return model
    # Rebuild from the config with the last layer in float32, so the model's
    # graph (and model.output.dtype) is float32 at the end.
    config = model.get_config()
    config["layers"][-1]["config"]["dtype"] = "float32"
    return keras.Sequential.from_config(config)


def compile_for(model, recipe, steps_per_epoch, epochs):
    """Compile ``model`` with the article's loss and metric and ``recipe``'s optimizer settings.

    The cosine decay needs the run's length: ``steps_per_epoch * epochs`` steps.
    Under ``"mixed_float16"`` adam is wrapped in a ``LossScaleOptimizer``: it scales
    the loss up before the gradients are taken, so that small float16 gradients
    don't round to zero, and scales them back down before the update. bfloat16
    keeps float32's exponent range, so it needs no loss scaling.
    """
    import keras

    rate = recipe.learning_rate
    if recipe.cosine_decay:
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=steps_per_epoch * epochs)
    optimizer = keras.optimizers.Adam(rate)
    if recipe.precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=recipe.jit_compile,
        steps_per_execution=recipe.steps_per_execution,
    )
    return model


def make_dataset(images, labels, batch_size, seed=0):
    """The tuned input pipeline: uint8 images (N, 28, 28) -> shuffled float batches.

    map (scale to [0, 1], add the channel axis, as :func:`cnnbook.models.prepare_images`)
    -> cache (so the conversion runs in the first epoch only) -> shuffle (the whole
    set, in a new order every epoch) -> batch -> prefetch (the next batches are
    prepared while the model trains on this one).
    """
    import numpy as np
    import tensorflow as tf

    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise ValueError(
            "make_dataset: expected uint8 images (N, height, width) and N labels, as load_mnist() "
            f"returns them; got images {images.dtype} {images.shape} and labels {labels.shape}"
        )

    def to_float(image, label):
        return tf.cast(image, tf.float32)[..., tf.newaxis] / 255.0, label

    return (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
        .cache()
        .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


@dataclasses.dataclass
class EpochLog:
    """What :func:`train` measured: per-epoch training seconds and test accuracies."""

    images_per_epoch: int
    seconds: list = dataclasses.field(default_factory=list)
    test_accuracy: list = dataclasses.field(default_factory=list)

    @property
    def wall_time(self):
        """Seconds spent training, all epochs (evaluations excluded)."""
        return sum(self.seconds)

    @property
    def images_per_second(self):
        """Steady throughput: epochs after the first, which also traces and compiles.

        With a single epoch, that epoch (warm-up included).
        """
        steady = self.seconds[1:] or self.seconds
        return self.images_per_epoch * len(steady) / sum(steady)

    def time_to_accuracy(self, target):
        """Training seconds until the first epoch whose test accuracy reached ``target``, or None."""
        for epoch, accuracy in enumerate(self.test_accuracy):
            if accuracy >= target:
                return sum(self.seconds[: epoch + 1])
        return None


class Run:
    """One recipe, trained one epoch at a time, so that runs can be interleaved.

    Calling :meth:`epoch` on two runs in turn lets both see the same load on a
    shared machine: compare them within one process, never across processes.
    """

    def __init__(self, recipe, images, labels, epochs, test=None, seed=0):
        import keras

        if len(images) == 0 or epochs < 1:
            raise ValueError(f"Run: need at least one image and one epoch; got {len(images)} and {epochs}")
        self.recipe, self.epochs, self.test = recipe, epochs, test
        keras.utils.set_random_seed(seed)
        steps = math.ceil(len(images) / recipe.batch_size)
        self.model = compile_for(build_cnn(recipe.precision), recipe, steps, epochs)
        if recipe.pipeline == "tf.data":
            # The pipeline shuffles; fit's own shuffle applies to arrays only.
            self._fit_data = {"x": make_dataset(images, labels, recipe.batch_size, seed=seed), "shuffle": False}
        else:
            self._fit_data = {"x": models.prepare_images(images), "y": labels, "batch_size": recipe.batch_size}
        if test is not None:
            self._test_x, self._test_y = models.prepare_images(test[0]), test[1]
        self.log = EpochLog(images_per_epoch=len(images))

    def epoch(self):
        """Train one more epoch; time it; then evaluate on the test set, if given (not timed)."""
        done = len(self.log.seconds)
        if done >= self.epochs:
            raise ValueError(f"Run: all {self.epochs} epochs are done")
        start = time.perf_counter()
        self.model.fit(**self._fit_data, initial_epoch=done, epochs=done + 1, verbose=0)
        self.log.seconds.append(time.perf_counter() - start)
        if self.test is not None:
            _, accuracy = self.model.evaluate(self._test_x, self._test_y, batch_size=1000, verbose=0)
            self.log.test_accuracy.append(float(accuracy))
        return self.log


def train_interleaved(recipes, images, labels, epochs, test=None, seed=0):
    """Train each recipe for ``epochs`` on the same data, one epoch of each in turn.

    ``recipes`` maps names to :class:`Recipe`. Returns ``{name: EpochLog}``.
    """
    runs = {name: Run(recipe, images, labels, epochs, test=test, seed=seed) for name, recipe in recipes.items()}
    for _ in range(epochs):
        for run in runs.values():
            run.epoch()
    return {name: run.log for name, run in runs.items()}
