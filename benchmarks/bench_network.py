"""Time one training step of the article's CNN: cnnbook.network (NumPy) against Keras.

    python benchmarks/bench_network.py --repeats 30

A training step is the forward pass, the backward pass and one adam update, on one
minibatch of real MNIST digits. Keras's step is ``model.train_on_batch`` on the article's
CNN (compiled with adam, TensorFlow backend, float32); ours is
``network.loss_and_gradients`` followed by ``network.adam_step``, from the same weights
and on the same batch, in this one process. After a warm-up call of each (Keras traces
its step function once), the variants run in turn, so that all see the same load on a
shared machine; we report the best and the median of ``--repeats`` calls and the ratios
NumPy / Keras (above 1: NumPy is slower). NumPy runs twice: with its BLAS capped at one
thread (``cnnbook.network``'s default) and with NumPy's own thread setting.
"""

import argparse
import os
import platform

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from bench_ops import timings  # noqa: E402  (same folder: alternating calls, best and median)
from cnnbook import data, models, network  # noqa: E402


def numpy_step(weights, images, labels, blas_threads):
    _, grads = network.loss_and_gradients(weights, images, labels, blas_threads=blas_threads)
    return network.adam_step(weights, grads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per variant (default 30)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128],
                        help="minibatch sizes to time (default 32 128)")
    args = parser.parse_args()
    if args.repeats < 1 or min(args.batch_sizes) < 1:
        parser.error("--repeats and every batch size must be >= 1")

    (x_train, y_train), _ = data.load_mnist()
    keras.utils.set_random_seed(0)
    model = models.build_article_cnn()  # compiled with adam, as in the article
    weights = model.get_weights()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"Keras {keras.__version__} on {keras.backend.backend()}; NumPy {np.__version__}")
    print(f"one training step (forward, backward, adam), best / median of {args.repeats}, ms")
    print(f"{'batch':>5}  {'Keras':>13}  {'NumPy 1 thread':>15}  {'NumPy default':>15}  "
          f"{'ratio 1 thread':>15}  {'ratio default':>14}")
    for batch_size in args.batch_sizes:
        images = models.prepare_images(x_train[:batch_size])
        labels = y_train[:batch_size]
        (keras_best, keras_median), (one_best, one_median), (default_best, default_median) = timings(
            [
                lambda: model.train_on_batch(images, labels),
                lambda: numpy_step(weights, images, labels, blas_threads=1),
                lambda: numpy_step(weights, images, labels, blas_threads=None),
            ],
            args.repeats,
        )
        print(f"{batch_size:>5}  {keras_best:6.1f} / {keras_median:5.1f}  {one_best:7.1f} / {one_median:5.1f}  "
              f"{default_best:7.1f} / {default_median:5.1f}  {one_best / keras_best:6.2f} / "
              f"{one_median / keras_median:5.2f}  {default_best / keras_best:5.2f} / "
              f"{default_median / keras_median:5.2f}")


if __name__ == "__main__":
    main()
