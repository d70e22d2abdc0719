"""Efficiency for chapter 5.4: counting a CNN's cost, and running it quantised.

The converter that turns a Keras model into a compact TensorFlow Lite (LiteRT) file
still ships with TensorFlow (``tf.lite.TFLiteConverter``). The interpreter that runs
such a file has moved to the ``ai-edge-litert`` package; :func:`tflite_interpreter`
uses that package when it is installed and TensorFlow's deprecated copy otherwise.
"""

import contextlib
import io
import time
import warnings

import numpy as np

from cnnbook.env import quiet_tensorflow_logger


def count_macs(model):
    """Multiply-accumulates per image of each layer of a built Keras model.

    Returns a dict ``{layer name: MACs}``. A Conv2D computes one
    ``kernel_height * kernel_width * input_channels``-long dot product for every
    output value; a Dense layer one ``input_size``-long dot product per unit. Pooling,
    flattening and activations do comparisons or nothing, so they count 0 here.
    Bias additions are not multiply-accumulates and are not counted.
    """
    from keras import layers

    costs = {}
    for layer in model.layers:
        if type(layer) is layers.Conv2D:
            _, height, width, filters = layer.output.shape
            kernel_height, kernel_width, in_channels, _ = layer.kernel.shape
            costs[layer.name] = (
                height * width * filters * kernel_height * kernel_width * in_channels
            )
        elif type(layer) is layers.Dense:
            costs[layer.name] = int(np.prod(layer.kernel.shape))
        elif layer.count_params() == 0:
            costs[layer.name] = 0
        else:
            raise ValueError(
                f"count_macs: expected Conv2D, Dense or parameter-free layers; "
                f"don't know the cost of {type(layer).__name__} {layer.name!r}"
            )
    return costs


def tflite_variants(model, representative_images):
    """Convert a Keras model to TensorFlow Lite three ways: ``{name: file bytes}``.

    ``"float32"``: weights as they are. ``"float16"``: weights stored as 16-bit floats.
    ``"int8"``: full-integer quantisation: weights *and* activations become 8-bit
    integers, with scales calibrated on ``representative_images`` (about a hundred
    prepared images, ``(N, 28, 28, 1)`` float32); inputs and outputs stay float32.
    """
    import tensorflow as tf

    images = np.asarray(representative_images, dtype="float32")
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "tflite_variants: expected representative images (N, H, W, C); "
            f"got shape {images.shape}"
        )

    def representative_dataset():
        for image in images:
            yield [image[np.newaxis]]

    settings = {
        "float32": {},
        "float16": {
            "optimizations": [tf.lite.Optimize.DEFAULT],
            "supported_types": [tf.float16],
        },
        "int8": {
            "optimizations": [tf.lite.Optimize.DEFAULT],
            "representative_dataset": representative_dataset,
        },
    }
    variants = {}
    for name, options in settings.items():
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        converter.optimizations = options.get("optimizations", [])
        converter.target_spec.supported_types = options.get("supported_types", [])
        if "representative_dataset" in options:
            converter.representative_dataset = options["representative_dataset"]
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        # The converter prints where it saved its temporary SavedModel and warns
        # about calibration details: neither belongs in a notebook's output.
        with (
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
            quiet_tensorflow_logger(),
        ):
            warnings.simplefilter("ignore")
            variants[name] = converter.convert()
    return variants


def tflite_interpreter(model_bytes, num_threads=1):
    """A ready-to-run TensorFlow Lite interpreter for a converted model."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TensorFlow's copy warns that it is deprecated
        interpreter = Interpreter(model_content=model_bytes, num_threads=num_threads)
    interpreter.allocate_tensors()
    return interpreter


def tflite_predict(model_bytes, images):
    """Class probabilities of a TensorFlow Lite model for a batch of prepared images."""
    images = np.asarray(images, dtype="float32")
    interpreter = tflite_interpreter(model_bytes)
    input_index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(input_index, images.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_index, images)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def latency_samples(predict_one, images, repeats=3):
    """Wall-clock seconds of every call ``predict_one(image)``, one image at a time.

    Each image of ``images`` (with a batch axis of 1 added) is classified once per
    repeat, after one warm-up call that is not timed. Returns a 1-D array with
    ``repeats * len(images)`` times, from which a median and a spread can be taken.
    """
    images = np.asarray(images, dtype="float32")
    if len(images) == 0:
        raise ValueError("latency_samples: expected at least one image")
    predict_one(images[:1])
    times = []
    for _ in range(repeats):
        for image in images:
            start = time.perf_counter()
            predict_one(image[np.newaxis])
            times.append(time.perf_counter() - start)
    return np.array(times)


def latency_per_image(predict_one, images, repeats=3):
    """Median wall-clock seconds that ``predict_one(image)`` takes for one image.

    The median over all calls of :func:`latency_samples` resists the odd slow call
    caused by other programs.
    """
    if len(images) == 0:
        raise ValueError("latency_per_image: expected at least one image")
    return float(np.median(latency_samples(predict_one, images, repeats)))


def tflite_single_image_predictor(model_bytes):
    """A function ``image batch of one -> probabilities`` that reuses one interpreter."""
    interpreter = tflite_interpreter(model_bytes)
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]

    def predict_one(image):
        interpreter.set_tensor(input_index, image)
        interpreter.invoke()
        return interpreter.get_tensor(output_index)

    return predict_one


def int8_weights(model_bytes):
    """The integer weights of the convolutions and dense layers of a quantised model.

    Returns a list with one dict per CONV_2D or FULLY_CONNECTED operation of the
    TensorFlow Lite model, in the model's order: ``op`` (the operation's name),
    ``values`` (the weight tensor as stored, int8 for an int8 model) and ``scales``
    (its quantisation scales: one per output channel, or a single one per tensor).
    """
    interpreter = tflite_interpreter(model_bytes)
    details = {detail["index"]: detail for detail in interpreter.get_tensor_details()}
    found = []
    for op in interpreter._get_ops_details():
        if op["op_name"] in ("CONV_2D", "FULLY_CONNECTED"):
            index = op["inputs"][1]
            found.append(
                {
                    "op": op["op_name"],
                    "values": interpreter.get_tensor(index),
                    "scales": np.asarray(
                        details[index]["quantization_parameters"]["scales"]
                    ),
                }
            )
    if not found:
        raise ValueError(
            "int8_weights: the model has no CONV_2D or FULLY_CONNECTED operation"
        )
    return found
