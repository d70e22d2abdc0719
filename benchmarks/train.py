"""Train the article's CNN with the article's recipe and with the tuned one, side by side.

    python benchmarks/train.py                    # 5 epochs on all 60,000 digits
    python benchmarks/train.py --backend jax      # the same on Keras's JAX backend
    python benchmarks/train.py --device gpu       # e.g. in Colab, with a GPU runtime
    python benchmarks/train.py --xla              # also the tuned recipe with XLA flipped
    python benchmarks/train.py --record           # and store the rows in the results table

Both recipes (cnnbook.training.ARTICLE_RECIPE and tuned_recipe(device)) train in this
one process on the same images, one epoch of each in turn, so that both see the same
load on a shared machine. For each we print images per second (epochs 2 and later:
the first also traces and compiles), the wall time of all epochs, the test accuracy
after the last one and the time until test accuracy first reached 99%. Then the
ratios tuned / article. The machine and its load average are printed with them:
compare ratios, not absolute times, across machines.

``--backend`` (tensorflow, jax or torch; default $KERAS_BACKEND, else tensorflow) sets
KERAS_BACKEND before Keras is imported. Off TensorFlow nothing imports TensorFlow: the
tuned recipe then reads NumPy arrays instead of a tf.data pipeline.

``--xla`` adds a third run: the tuned recipe with ``jit_compile`` flipped, so that XLA
is measured on against off (on a CPU, TensorFlow's ``jit_compile="auto"`` is off, so
the tuned CPU recipe runs without XLA). Only TensorFlow has such a switch: JAX always
compiles with XLA, and on PyTorch ``jit_compile=True`` means torch.compile; the script
says so instead of printing a meaningless comparison.

``--onednn`` (default on, TensorFlow's own default on x86 Linux) chooses whether
TensorFlow runs its oneDNN CPU kernels. It applies to both recipes alike and has no
effect on a GPU or under another backend. On a CPU with bfloat16 instructions
(AVX512-BF16 or AMX) the tuned TensorFlow recipe computes in bfloat16, which only the
oneDNN kernels make fast; with ``--onednn off`` it stays in float32. ``cnnbook.setup()``
switches oneDNN off in the notebooks unless they ask for it, to keep its start-up
notice out of the pages.

``--record [PATH]`` writes one row per recipe into the results table
(default benchmarks/results/train.csv, read by cnnbook.training.load_results), in
place of the row for the same device, backend and recipe that was not yet measured,
or measured on the same machine.
"""

import argparse
import csv
import dataclasses
import datetime
import os
import platform
import sys

BACKENDS = ("tensorflow", "jax", "torch")


def cpu_name():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    return "/".join(f"{value:.1f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def hide_gpus():
    """Make every backend see the CPU only: called before any of them is imported."""
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["JAX_PLATFORMS"] = "cpu"


def gpu_name(backend):
    """The name of the first GPU the backend trains on, as its driver reports it."""
    if backend == "jax":
        import jax

        return next(device.device_kind for device in jax.devices() if device.platform == "gpu")
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0)
    import tensorflow as tf

    gpu = tf.config.list_physical_devices("GPU")[0]
    return tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=BACKENDS, default=os.environ.get("KERAS_BACKEND", "tensorflow"),
                        help="Keras backend (default: $KERAS_BACKEND, else tensorflow)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per recipe (default 5, as the article)")
    parser.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto",
                        help="auto (default): the GPU if the backend sees one, else the CPU")
    parser.add_argument("--train-size", type=int, default=60_000,
                        help="train on the first N training digits (default: all 60,000)")
    parser.add_argument("--test-size", type=int, default=10_000,
                        help="evaluate on the first N test digits after each epoch (default: all 10,000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and shuffling (default 0)")
    parser.add_argument("--onednn", choices=["off", "on"], default="on",
                        help="TensorFlow's oneDNN CPU kernels (default on, as TensorFlow has them on x86 Linux)")
    parser.add_argument("--xla", action="store_true",
                        help="also train the tuned recipe with jit_compile flipped (XLA on against off)")
    parser.add_argument("--record", nargs="?", const="default", metavar="PATH",
                        help="store the rows in the results table (default benchmarks/results/train.csv)")
    args = parser.parse_args()
    if args.epochs < 2 or not 1 <= args.train_size <= 60_000 or not 1 <= args.test_size <= 10_000:
        parser.error("--epochs must be >= 2 (the first epoch is warm-up), --train-size within 1..60000 "
                     "and --test-size within 1..10000")
    if args.record and args.test_size != 10_000:
        parser.error("--record: the results table gives the accuracy on all 10,000 test digits")
    if "keras" in sys.modules and sys.modules["keras"].backend.backend() != args.backend:
        parser.error(f"--backend {args.backend}: Keras was imported already, on another backend")
    return args


def with_flipped_jit(recipes, backend):
    """The recipes, plus the tuned one with jit_compile flipped, where that measures a compiler."""
    from cnnbook import training

    compiler, note = training.jit_compile_meaning(backend)
    print(note)
    if backend == "jax":
        print("--xla: no third run on JAX.")
        return recipes
    tuned = recipes["tuned"]
    flipped = not tuned.jit_compile
    return {**recipes, f"tuned, {compiler} {'on' if flipped else 'off'}":
            dataclasses.replace(tuned, jit_compile=flipped)}


def record(path, rows):
    """Replace the rows of the same device, backend and recipe (unmeasured, or on this machine)."""
    from cnnbook import training

    existing = list(csv.DictReader(open(path))) if os.path.exists(path) else []

    def same(old, new):
        keys = ("device", "backend", "recipe")
        return all(old[key] == new[key] for key in keys) and (
            old["status"] == training.NOT_YET_MEASURED or old["device_model"] == new["device_model"])

    kept = [old for old in existing if not any(same(old, new) for new in rows)]
    with open(path, "w", newline="") as table:
        writer = csv.DictWriter(table, fieldnames=training.RESULTS_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept + rows)
    print(f"recorded {len(rows)} rows in {path}")


def main():
    args = parse_arguments()
    os.environ["KERAS_BACKEND"] = args.backend  # before Keras is imported: it reads it once
    if args.device == "cpu":
        hide_gpus()
    from cnnbook.env import framework_version, quiet_tensorflow, training_device

    quiet_tensorflow(onednn=args.onednn == "on")  # before TensorFlow is imported: it reads them once
    import keras

    from cnnbook import data, training

    device = training_device()
    if args.device == "gpu" and device != "GPU":
        raise SystemExit(f"--device gpu: Keras's {args.backend} backend sees no GPU here "
                         "(in Colab: Runtime > Change runtime type)")
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    x_train, y_train = x_train[: args.train_size], y_train[: args.train_size]
    test = x_test[: args.test_size], y_test[: args.test_size]
    recipes = {"article": training.ARTICLE_RECIPE, "tuned": training.tuned_recipe(device)}

    machine = gpu_name(args.backend) if device == "GPU" else cpu_name()
    onednn = f"; oneDNN {args.onednn}" if args.backend == "tensorflow" and device == "CPU" else ""
    versions = f"Keras {keras.__version__}, {framework_version(args.backend)}, Python {platform.python_version()}"
    print(f"{versions}; training on {device}: {machine}; {os.cpu_count()} CPUs{onednn}")
    if args.xla:
        recipes = with_flipped_jit(recipes, args.backend)
    for name, recipe in recipes.items():
        print(f"  {name}: {recipe}")
    print(f"{len(x_train):,} training digits, {len(test[1]):,} test digits, {args.epochs} epochs per recipe, "
          f"interleaved; "
          f"load average before: {load_average()}", flush=True)
    logs = training.train_interleaved(recipes, x_train, y_train, args.epochs, test=test, seed=args.seed)
    print(f"load average after: {load_average()}\n")

    width = max(len(name) for name in logs)
    header = f"{'recipe':<{width}} {'images/s':>9} {'wall time':>10} {'test acc':>9} {'time to 99%':>12}"
    print(header)
    print("-" * len(header))
    for name, log in logs.items():
        to_99 = log.time_to_accuracy(0.99)
        to_99 = f"{to_99:.0f} s" if to_99 is not None else "not reached"
        print(f"{name:<{width}} {log.images_per_second:>9,.0f} {log.wall_time:>8.1f} s "
              f"{log.test_accuracy[-1]:>8.2%} {to_99:>12}")
    article, tuned = logs["article"], logs["tuned"]
    print(f"\ntuned / article: throughput {tuned.images_per_second / article.images_per_second:.2f}x, "
          f"wall time {tuned.wall_time / article.wall_time:.2f}x "
          f"(the tuned recipe takes {1 - tuned.wall_time / article.wall_time:.0%} less time), "
          f"test accuracy {tuned.test_accuracy[-1] - article.test_accuracy[-1]:+.2%} points")
    flipped = [name for name in logs if name.startswith("tuned, ")]
    for name in flipped:
        print(f"{name} / tuned: throughput {logs[name].images_per_second / tuned.images_per_second:.2f}x")

    if args.record:
        path = training.RESULTS_PATH if args.record == "default" else args.record
        today = datetime.date.today().isoformat()
        rows = []
        for name, log in logs.items():
            to_99 = log.time_to_accuracy(0.99)
            rows.append({
                "status": "measured", "device": device, "device_model": machine, "backend": args.backend,
                "versions": versions, "recipe": name, "epochs": args.epochs, "train_images": len(x_train),
                "images_per_second": f"{log.images_per_second:.0f}", "wall_time_s": f"{log.wall_time:.1f}",
                "test_accuracy": f"{log.test_accuracy[-1]:.4f}",
                "time_to_99_s": "" if to_99 is None else f"{to_99:.1f}", "measured_on": today,
            })
        record(path, rows)


if __name__ == "__main__":
    main()
