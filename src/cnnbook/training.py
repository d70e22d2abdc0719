"""Training the article's CNN faster: a tuned input pipeline and recipe, on any Keras backend.

A :class:`Recipe` names every choice that changes speed: where the batches come
from (NumPy arrays or a ``tf.data`` pipeline), the batch size and learning rate,
compilation (``jit_compile``), how many steps run per call from Python into the
backend (``steps_per_execution``) and the numeric precision. :data:`ARTICLE_RECIPE`
is the article's; :func:`tuned_recipe` is ours, and its device- and backend-dependent
choices live here so that the notebook, the benchmark and the tests all use the same
ones.

:class:`Run` trains one recipe, one epoch at a time, and :func:`train_interleaved`
trains several in turn on the same data; both report images per second, wall time
and test accuracy per epoch (:class:`EpochLog`).

Everything here runs unchanged under ``KERAS_BACKEND=tensorflow``, ``jax`` and
``torch``, and imports TensorFlow only where Keras runs on it, or where a recipe asks
for a ``tf.data`` pipeline. What the backends do differently:

- ``jit_compile`` compiles with XLA on TensorFlow, is XLA always on JAX (``jax.jit``),
  and means ``torch.compile`` on PyTorch (:func:`jit_compile_meaning`).
- ``steps_per_execution`` must be 1 on PyTorch (Keras refuses more).
- The bfloat16 choice on a CPU (:func:`cpu_computes_bfloat16`) was measured with
  TensorFlow's oneDNN kernels only: on the other backends the CPU recipe stays float32.
"""

import csv
import dataclasses
import math
import time
from pathlib import Path

from cnnbook import models
from cnnbook.env import backend_name, release

PIPELINES = ("arrays", "tf.data")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
DEVICES = ("CPU", "GPU")
BACKENDS = ("tensorflow", "jax", "torch")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Every choice of a training run that changes its speed.

    pipeline : ``"arrays"`` (``fit`` on NumPy arrays, as the article does; Keras
        shuffles them every epoch; any backend) or ``"tf.data"`` (:func:`make_dataset`;
        needs TensorFlow installed, which Keras then accepts on every backend).
    batch_size, learning_rate : adam's batch size and (peak) learning rate.
    cosine_decay : decay the learning rate to 0 over the run (a cosine curve).
    jit_compile : passed to ``model.compile``: ``True``, ``False`` or ``"auto"``,
        Keras's default, which Keras 3.15 resolves per backend
        (``Trainer._resolve_auto_jit_compile``). On TensorFlow, ``"auto"`` compiles
        with XLA only where TensorFlow sees a device other than the CPU (a GPU), and
        never with op determinism on: on a CPU-only machine it is ``False``, so
        measuring XLA on a CPU takes ``True``. On JAX, ``"auto"`` is ``True``: the
        training step is always compiled by XLA (``jax.jit``), and ``False`` runs it
        op by op, uncompiled. On PyTorch, ``"auto"`` is ``False`` (eager) and
        ``True`` means ``torch.compile``, not XLA. See :func:`jit_compile_meaning`.
    steps_per_execution : training steps per call from Python into the backend
        (must be 1 on PyTorch).
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
    Under another Keras backend TensorFlow trains nothing, so this is ``False``
    without importing it.
    """
    if backend_name() != "tensorflow":
        return False
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

    This was measured with TensorFlow only, so it is TensorFlow's question: under the
    JAX and PyTorch backends it is ``False`` (float32), without importing TensorFlow.
    """
    if backend_name() != "tensorflow":
        return False
    import tensorflow as tf

    return (
        bool(cpu_flags() & BFLOAT16_CPU_FLAGS)
        and onednn_enabled()
        and release(tf.__version__) >= FIRST_TENSORFLOW_FAST_IN_BFLOAT16
    )


def tuned_recipe(device, cpu_bfloat16=None, backend=None):
    """Our recipe for ``device`` (``"CPU"`` or ``"GPU"``, as ``cnnbook.setup()`` returns it).

    ``backend`` is the Keras backend it will train on (by default, this process's:
    :func:`cnnbook.env.backend_name`).

    Everywhere: batches of 128 with the learning rate scaled by the square-root rule
    and decayed along a cosine. The batch size is the same on both devices and all
    backends, so the accuracy measured on one carries over.

    - Input: a ``tf.data`` pipeline on TensorFlow (:func:`make_dataset`); on JAX and
      PyTorch, NumPy arrays converted once (:func:`cnnbook.models.prepare_images`),
      which Keras shuffles every epoch, so that no TensorFlow is needed there.
    - Steps per execution: 32, except on PyTorch, whose Keras trainer runs one step
      per call.
    - Precision: on a GPU, mixed float16 (its tensor cores multiply float16 several
      times faster). On a CPU, mixed bfloat16 only where the CPU computes it natively
      and TensorFlow's oneDNN kernels use it (``cpu_bfloat16``; by default
      :func:`cpu_computes_bfloat16` decides, which is ``False`` off TensorFlow), else
      float32.
    - Compilation: on a GPU, XLA on TensorFlow and JAX (``jit_compile=True``, which
      is what ``"auto"`` gives there too). On a CPU, TensorFlow gets
      ``jit_compile=False``, which is what ``"auto"`` resolves to on a CPU-only
      machine in Keras 3.15 (it compiles with XLA only where TensorFlow sees a GPU):
      the tuned CPU recipe is measured without XLA, and ``benchmarks/train.py --xla``
      measures XLA on the CPU (``True`` against ``False``). JAX always compiles
      (``True`` on both devices; ``False`` would run uncompiled, op by op). PyTorch
      stays eager (``False``, Keras's ``"auto"`` there): its ``True`` would mean
      ``torch.compile``, which this recipe has not been measured with.
    """
    if device not in DEVICES:
        raise ValueError(f"tuned_recipe: device must be one of {DEVICES}; got {device!r}")
    backend = backend_name() if backend is None else backend
    if backend not in BACKENDS:
        raise ValueError(f"tuned_recipe: backend must be one of {BACKENDS}; got {backend!r}")
    on_gpu = device == "GPU"
    if on_gpu:
        precision = "mixed_float16"
    else:
        if cpu_bfloat16 is None:
            cpu_bfloat16 = cpu_computes_bfloat16()
        precision = "mixed_bfloat16" if cpu_bfloat16 else "float32"
    jit_compile = {"tensorflow": on_gpu, "jax": True, "torch": False}[backend]
    return Recipe(
        pipeline="tf.data" if backend == "tensorflow" else "arrays",
        batch_size=TUNED_BATCH_SIZE,
        learning_rate=scaled_learning_rate(TUNED_BATCH_SIZE),
        cosine_decay=True,
        jit_compile=jit_compile,
        steps_per_execution=1 if backend == "torch" else TUNED_STEPS_PER_EXECUTION,
        precision=precision,
    )


def jit_compile_meaning(backend=None):
    """What ``jit_compile=True`` against ``False`` compares on ``backend`` (default: this process's).

    Returns ``(compiler, note)``: the compiler that ``True`` switches on, and a
    sentence to print beside an "on against off" measurement. Only on TensorFlow is
    that a comparison of XLA with no XLA.
    """
    backend = backend_name() if backend is None else backend
    if backend == "tensorflow":
        return "XLA", (
            "TensorFlow: True compiles the training step with XLA, False runs TensorFlow's own "
            "graph; 'auto' is False on a machine without a GPU."
        )
    if backend == "jax":
        return "XLA (jax.jit)", (
            "JAX: Keras always compiles the training step with XLA (jax.jit); False does not "
            "turn XLA off but runs the step uncompiled, op by op, so on JAX there is no "
            "'XLA on against off' to measure."
        )
    if backend == "torch":
        return "torch.compile", (
            "PyTorch: True means torch.compile (TorchInductor), not XLA; False and 'auto' "
            "run eagerly, op by op."
        )
    raise ValueError(f"jit_compile_meaning: backend must be one of {BACKENDS}; got {backend!r}")


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

    try:
        import tensorflow as tf
    except ImportError:
        raise ImportError(
            "make_dataset builds a tf.data pipeline, which needs TensorFlow, and it is not "
            "installed here. Fix: `pip install tensorflow`, or train from NumPy arrays "
            "(Recipe(pipeline='arrays'); tuned_recipe() chooses them off TensorFlow)."
        ) from None

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


# The committed table of measured training runs (benchmarks/results/README.md), in the
# book's repository beside the package's source: found from an editable install (local
# work, CI), not from a copy installed elsewhere.
RESULTS_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "train.csv"
RESULTS_COLUMNS = (
    "status", "device", "device_model", "backend", "versions", "recipe", "epochs",
    "train_images", "images_per_second", "wall_time_s", "test_accuracy", "time_to_99_s",
    "measured_on",
)
NOT_YET_MEASURED = "not yet measured"
_NUMERIC_COLUMNS = {"epochs": int, "train_images": int, "images_per_second": float,
                    "wall_time_s": float, "test_accuracy": float, "time_to_99_s": float}


def load_results(path=None):
    """The rows of the committed results table, as dicts keyed by :data:`RESULTS_COLUMNS`.

    ``status`` is ``"measured"`` or :data:`NOT_YET_MEASURED`; in a row not yet
    measured, the machine and the measurements are ``None``. Numbers come back as
    ``int`` or ``float`` (``time_to_99_s`` is ``None`` where 99% was not reached).
    ``path`` defaults to :data:`RESULTS_PATH` (``benchmarks/results/train.csv``);
    ``benchmarks/train.py --record`` writes it.
    """
    path = Path(RESULTS_PATH if path is None else path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"load_results: {path} is missing. The results table ships with the book's "
            "repository (benchmarks/results/train.csv), not with an installed cnnbook "
            "package: run from a clone of the repository, or pass path= to a copy."
        ) from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or tuple(rows[0]) != RESULTS_COLUMNS:
        found = tuple(rows[0]) if rows else ()
        raise ValueError(f"load_results: {path} must have the columns {RESULTS_COLUMNS}; got {found}")
    for row in rows:
        if row["status"] not in ("measured", NOT_YET_MEASURED):
            raise ValueError(f"load_results: status must be 'measured' or {NOT_YET_MEASURED!r}; got {row}")
        for column, value in row.items():
            if value == "":
                row[column] = None
            elif column in _NUMERIC_COLUMNS:
                row[column] = _NUMERIC_COLUMNS[column](value)
    return rows


# NVIDIA T4 Tensor Core GPU datasheet (NVIDIA, 2019), "Specifications":
# https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/tesla-t4/t4-tensor-core-datasheet-951643.pdf
# "Single-Precision 8.1 TFLOPS", "Mixed-Precision (FP16/FP32) 65 TFLOPS" (tensor
# cores), "INT8 130 TOPS", "INT4 260 TOPS", "GPU Memory 16 GB GDDR6, 320+ GB/s", 70 W.
T4_PEAK_FLOPS = {"float32": 8.1e12, "mixed_float16": 65e12}


def training_macs_per_image(model=None):
    """Multiply-accumulates to train on one image: forward pass plus backward pass.

    The forward count is :func:`cnnbook.efficiency.count_macs` (chapter 5.4), summed
    over the layers of ``model`` (default: the article's CNN). The backward pass of a
    Conv2D or Dense layer computes the gradient of its weights (as many MACs as its
    forward pass: dW = x^T g for Dense, the correlation of the input with the output
    gradient for Conv2D) and the gradient of its input (as many again), except in the
    first layer, whose input is the image itself and needs no gradient. So the total is
    3 × forward − the first layer's forward.
    """
    from cnnbook.efficiency import count_macs

    macs = [cost for cost in count_macs(model or models.build_article_cnn()).values() if cost]
    return 3 * sum(macs) - macs[0]


@dataclasses.dataclass(frozen=True)
class GpuEstimate:
    """A lower bound on training time from a GPU's published peak rate: an estimate, not a measurement.

    It assumes every multiply-accumulate of the training steps runs at the datasheet's
    peak rate (one MAC = 2 floating-point operations). Real runs are slower, the
    more so the smaller the model and the batch: at batches of 32, a GPU spends most
    of each step launching kernels and waiting on Python, not multiplying.
    """

    gpu: str
    precision: str
    peak_flops_per_second: float
    training_flops_per_image: int
    images: int

    @property
    def seconds(self):
        """Training time at the peak rate: the fewest seconds the GPU could take."""
        return self.training_flops_per_image * self.images / self.peak_flops_per_second

    @property
    def images_per_second(self):
        """Throughput at the peak rate: the most images per second the GPU could train on."""
        return self.peak_flops_per_second / self.training_flops_per_image


def t4_training_estimate(epochs=models.ARTICLE_EPOCHS, images_per_epoch=60_000, precision="float32", model=None):
    """Estimated (not measured) time for a Colab T4 to train ``model`` at its peak rate.

    FLOPs per image: 2 × :func:`training_macs_per_image` (from chapter 5.4's MAC count).
    Peak rate: NVIDIA's T4 datasheet (:data:`T4_PEAK_FLOPS`), 8.1 TFLOPS in float32 and
    65 TFLOPS in mixed float16 on its tensor cores. ``epochs * images_per_epoch``
    images in all (the article: 5 × 60,000). Returns a :class:`GpuEstimate`, whose
    ``seconds`` is a lower bound.
    """
    if precision not in T4_PEAK_FLOPS:
        raise ValueError(f"t4_training_estimate: precision must be one of {tuple(T4_PEAK_FLOPS)}; got {precision!r}")
    for name, value in (("epochs", epochs), ("images_per_epoch", images_per_epoch)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"t4_training_estimate: {name} must be a positive int; got {value!r}")
    return GpuEstimate(
        gpu="NVIDIA T4",
        precision=precision,
        peak_flops_per_second=T4_PEAK_FLOPS[precision],
        training_flops_per_image=2 * training_macs_per_image(model),
        images=epochs * images_per_epoch,
    )
