"""Time cnnbook.ops (NumPy) against Keras (TensorFlow backend), side by side.

    python benchmarks/bench_ops.py --repeats 20

Every operation runs in this one process on the same inputs: a batch shaped like the
article's CNN (64 MNIST-sized images; the first conv layer's output feeds the pooling).
Each timing includes turning Keras's result into a NumPy array
(``keras.ops.convert_to_numpy``), so both sides deliver the same thing. After a
warm-up call of each, the two sides run alternately, so that both see the same load
on a shared machine; we report the best and the median of ``--repeats`` calls and the
ratios ours / Keras (below 1: ours is faster). The best times are the steadier ones.

For contrast, a Python loop over output pixels (the readable version a notebook
teaches) runs on a few images only; its time is scaled up to the full batch and
labelled as extrapolated.
"""

import argparse
import functools
import os
import platform
import statistics
import time

from cnnbook.env import import_tensorflow_quietly

tf = import_tensorflow_quietly()  # before Keras, which imports TensorFlow

import keras  # noqa: E402
import numpy as np  # noqa: E402

from cnnbook import ops  # noqa: E402


def timings(functions, repeats):
    """(best, median) wall time in milliseconds of each function, called in turn ``repeats`` times."""
    for fn in functions:  # warm-up: first-call costs (tracing, allocation) are not measured
        fn()
    times = [[] for _ in functions]
    for _ in range(repeats):
        for fn, fn_times in zip(functions, times):
            start = time.perf_counter()
            fn()
            fn_times.append(time.perf_counter() - start)
    return [(1e3 * min(t), 1e3 * statistics.median(t)) for t in times]


def conv2d_pixel_loop(x, kernel):
    """'valid', stride-1 convolution with a Python loop over images and output pixels."""
    kh, kw, _, c_out = kernel.shape
    n, h, w, _ = x.shape
    out = np.empty((n, h - kh + 1, w - kw + 1, c_out), dtype=x.dtype)
    for b in range(n):
        for i in range(h - kh + 1):
            for j in range(w - kw + 1):
                patch = x[b, i : i + kh, j : j + kw, :, None]
                out[b, i, j] = np.sum(patch * kernel, axis=(0, 1, 2))
    return out


def keras_conv2d_gradients(x, kernel, grad_out):
    xt, kt = tf.constant(x), tf.constant(kernel)
    with tf.GradientTape() as tape:
        tape.watch([xt, kt])
        loss = tf.reduce_sum(keras.ops.conv(xt, kt, 1, "valid") * grad_out)
    return [keras.ops.convert_to_numpy(g) for g in tape.gradient(loss, [xt, kt])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per operation (default 20)")
    parser.add_argument("--loop-images", type=int, default=2,
                        help="images given to the Python loop before extrapolating (default 2)")
    args = parser.parse_args()
    if args.repeats < 1 or not 1 <= args.loop_images <= 64:
        parser.error("--repeats must be >= 1 and --loop-images between 1 and 64")

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 28, 28, 32)).astype("float32")
    kernel = rng.standard_normal((3, 3, 32, 64)).astype("float32")
    features = rng.standard_normal((64, 26, 26, 64)).astype("float32")
    grad_out = rng.standard_normal((64, 26, 26, 64)).astype("float32")
    to_numpy = keras.ops.convert_to_numpy

    # Same answers first: a benchmark of wrong code measures nothing.
    close = np.testing.assert_allclose
    close(ops.conv2d(x, kernel), to_numpy(keras.ops.conv(x, kernel, 1, "valid")), rtol=1e-4, atol=1e-3)
    close(ops.max_pool2d(features), to_numpy(keras.ops.max_pool(features, 2, 2)))
    close(ops.avg_pool2d(features), to_numpy(keras.ops.average_pool(features, 2, 2)),
          rtol=1e-6, atol=1e-6)

    rows = [
        ("conv2d x(64,28,28,32) * k(3,3,32,64)",
         lambda: ops.conv2d(x, kernel),
         lambda: to_numpy(keras.ops.conv(x, kernel, 1, "valid"))),
        ("conv2d_backward (grad x, grad k)",
         lambda: ops.conv2d_backward(x, kernel, grad_out),
         lambda: keras_conv2d_gradients(x, kernel, grad_out)),
        ("max_pool2d 2x2 x(64,26,26,64)",
         lambda: ops.max_pool2d(features),
         lambda: to_numpy(keras.ops.max_pool(features, 2, 2))),
        ("avg_pool2d 2x2 x(64,26,26,64)",
         lambda: ops.avg_pool2d(features),
         lambda: to_numpy(keras.ops.average_pool(features, 2, 2))),
    ]

    print(f"numpy {np.__version__}, tensorflow {tf.__version__}, keras {keras.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; "
          f"best / median of {args.repeats} calls, milliseconds")
    header = (f"{'operation':<38} {'cnnbook best':>12} {'median':>7} "
              f"{'keras best':>10} {'median':>7}   {'ours/keras: best':>16} {'median':>6}")
    print(header)
    print("-" * len(header))
    medians = {}
    for name, ours, theirs in rows:
        (ours_best, ours_median), (keras_best, keras_median) = timings([ours, theirs], args.repeats)
        medians[name] = ours_median
        print(f"{name:<38} {ours_best:>12.1f} {ours_median:>7.1f} "
              f"{keras_best:>10.1f} {keras_median:>7.1f}"
              f"   {ours_best / keras_best:>15.2f}x {ours_median / keras_median:>5.2f}x")

    few = args.loop_images
    # The loop is slow: a few timed calls are enough.
    loop = functools.partial(conv2d_pixel_loop, x[:few], kernel)
    [(loop_best, loop_median)] = timings([loop], min(args.repeats, 3))
    scale = len(x) / few
    conv_median = medians[rows[0][0]]
    print(f"\nPython loop over output pixels, {few} image(s), scaled x{scale:g} to the batch "
          f"of {len(x)} (extrapolated): best {loop_best * scale:.0f} ms, "
          f"median {loop_median * scale:.0f} ms, {loop_median * scale / conv_median:.0f}x "
          "the vectorised conv2d")


if __name__ == "__main__":
    main()
