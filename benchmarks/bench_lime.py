"""Seconds per LIME explanation of one digit: lime's default batch size against the book's.

    python benchmarks/bench_lime.py --digits 10

lime calls the classifier once per ``batch_size`` perturbed images (default 10, so
100 calls for 1,000 samples). Every configuration below explains the same real test
digits with 1,000 samples, the book's superpixels and the article's CNN, in this one
process, taking turns digit by digit so that all see the same load on a shared
machine. The time per explanation does not depend on the weights, so the network is
left untrained. We report the median and the best seconds per explanation and the
ratio to lime's default set-up (batches of 10, ``model.predict`` as most tutorials
write it).
"""

import argparse
import os
import statistics
import time

from cnnbook.env import import_tensorflow_quietly

import_tensorflow_quietly()  # before cnnbook.models, which imports Keras and TensorFlow

from cnnbook import data, explain, models  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digits", type=int, default=10, help="test digits explained per configuration (default 10)")
    parser.add_argument("--samples", type=int, default=1000, help="LIME's num_samples (default 1000)")
    args = parser.parse_args()
    if args.digits < 1 or args.samples < 2:
        parser.error("--digits must be >= 1 and --samples >= 2")

    _, (x_test, _) = data.load_mnist()
    digits = models.prepare_images(x_test[: args.digits])
    model = models.build_article_cnn()

    def predict_per_call(images):  # the usual tutorial wrapper
        return model.predict(images[..., :1], verbose=0)

    configurations = {
        "batch 10, model.predict (lime's default)": (predict_per_call, 10),
        "batch 10, cnnbook wrapper": (model, 10),
        "batch 256, cnnbook wrapper": (model, 256),
        f"batch {explain.BATCH_SIZE}, cnnbook wrapper (the book's choice)": (model, explain.BATCH_SIZE),
    }
    for classifier, batch_size in configurations.values():  # warm-up: tracing is not measured
        explain.explain_digit(digits[0], classifier, num_samples=args.samples, batch_size=batch_size)
    seconds = {name: [] for name in configurations}
    for digit in digits:
        for name, (classifier, batch_size) in configurations.items():
            start = time.perf_counter()
            explain.explain_digit(digit, classifier, num_samples=args.samples, batch_size=batch_size)
            seconds[name].append(time.perf_counter() - start)

    baseline = statistics.median(seconds[next(iter(configurations))])
    print(f"{args.digits} digits, num_samples={args.samples}, segmentation={explain.DEFAULT_SEGMENTATION!r}, "
          f"{os.cpu_count()} CPU cores")
    print(f"{'configuration':60} {'median s':>9} {'best s':>8} {'speed-up':>9}")
    for name, times in seconds.items():
        median = statistics.median(times)
        print(f"{name:60} {median:9.3f} {min(times):8.3f} {baseline / median:8.1f}x")


if __name__ == "__main__":
    main()
