"""Train the article's CNN with the article's recipe and with the tuned one, side by side.

    python benchmarks/train.py                 # 5 epochs on all 60,000 digits
    python benchmarks/train.py --device gpu    # e.g. in Colab, with a GPU runtime

Both recipes (cnnbook.training.ARTICLE_RECIPE and tuned_recipe(device)) train in this
one process on the same images, one epoch of each in turn, so that both see the same
load on a shared machine. For each we print images per second (epochs 2 and later:
the first also traces and compiles), the wall time of all epochs, the test accuracy
after the last one and the time until test accuracy first reached 99%. Then the
ratios tuned / article. The machine and its load average are printed with them:
compare ratios, not absolute times, across machines.

``--onednn`` (default on, TensorFlow's own default on x86 Linux) chooses whether
TensorFlow runs its oneDNN CPU kernels. It applies to both recipes alike and has no
effect on a GPU. On a CPU with bfloat16 instructions (AVX512-BF16 or AMX) the tuned
recipe computes in bfloat16, which only the oneDNN kernels make fast; with
``--onednn off`` it stays in float32. ``cnnbook.setup()`` switches oneDNN off in the
notebooks unless they ask for it, to keep its start-up notice out of the pages.
"""

import argparse
import os
import platform

from cnnbook.env import quiet_tensorflow


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


def choose_device(requested, tf):
    """Return "CPU" or "GPU"; with --device cpu, hide the GPUs before TensorFlow uses them."""
    gpus = tf.config.list_physical_devices("GPU")
    if requested == "cpu":
        tf.config.set_visible_devices([], "GPU")
        return "CPU"
    if requested == "gpu" and not gpus:
        raise SystemExit("--device gpu: TensorFlow sees no GPU here (in Colab: Runtime > Change runtime type)")
    return "GPU" if gpus else "CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per recipe (default 5, as the article)")
    parser.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto",
                        help="auto (default): the GPU if TensorFlow sees one, else the CPU")
    parser.add_argument("--train-size", type=int, default=60_000,
                        help="train on the first N training digits (default: all 60,000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and shuffling (default 0)")
    parser.add_argument("--onednn", choices=["off", "on"], default="on",
                        help="TensorFlow's oneDNN CPU kernels (default on, as TensorFlow has them on x86 Linux)")
    args = parser.parse_args()
    if args.epochs < 2 or not 1 <= args.train_size <= 60_000:
        parser.error("--epochs must be >= 2 (the first epoch is warm-up) and --train-size within 1..60000")

    quiet_tensorflow(onednn=args.onednn == "on")  # before TensorFlow is imported: it reads them once
    import keras
    import tensorflow as tf

    from cnnbook import data, training

    device = choose_device(args.device, tf)
    (x_train, y_train), test = data.load_mnist()
    x_train, y_train = x_train[: args.train_size], y_train[: args.train_size]
    recipes = {"article": training.ARTICLE_RECIPE, "tuned": training.tuned_recipe(device)}

    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, training on {device}; "
          f"{os.cpu_count()} CPUs, {cpu_name()}; oneDNN {args.onednn}")
    for name, recipe in recipes.items():
        print(f"  {name}: {recipe}")
    print(f"{len(x_train):,} training digits, {args.epochs} epochs per recipe, interleaved; "
          f"load average before: {load_average()}", flush=True)
    logs = training.train_interleaved(recipes, x_train, y_train, args.epochs, test=test, seed=args.seed)
    print(f"load average after: {load_average()}\n")

    header = f"{'recipe':<8} {'images/s':>9} {'wall time':>10} {'test acc':>9} {'time to 99%':>12}"
    print(header)
    print("-" * len(header))
    for name, log in logs.items():
        to_99 = log.time_to_accuracy(0.99)
        to_99 = f"{to_99:.0f} s" if to_99 is not None else "not reached"
        print(f"{name:<8} {log.images_per_second:>9,.0f} {log.wall_time:>8.1f} s "
              f"{log.test_accuracy[-1]:>8.2%} {to_99:>12}")
    article, tuned = logs["article"], logs["tuned"]
    print(f"\ntuned / article: throughput {tuned.images_per_second / article.images_per_second:.2f}x, "
          f"wall time {tuned.wall_time / article.wall_time:.2f}x "
          f"(the tuned recipe takes {1 - tuned.wall_time / article.wall_time:.0%} less time), "
          f"test accuracy {tuned.test_accuracy[-1] - article.test_accuracy[-1]:+.2%} points")


if __name__ == "__main__":
    main()
