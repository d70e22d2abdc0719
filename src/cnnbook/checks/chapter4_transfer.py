"""Self-checks for chapter 4.4's exercises: reusing a trained network.

The expected answers come from Keras itself, computed *before* the student's function
runs: the trainable parameters are the sizes of ``model.trainable_weights``, and the
layers to freeze are read off the model's own layer list. Each case builds a fresh,
small model (no training, no data), so a student's function that changes the model it
is given cannot change the reference. Plausible mistakes (counting every weight,
trusting ``layer.trainable`` of a layer that holds frozen weights, freezing one layer
too few) are recognised to name the hint; the verdict never shows the expected answer.
"""

import numpy as np

from cnnbook.checks.verdict import Rejected, exercise_check, whole_number

# ----------------------------------------------------------------------------
# Exercise: how many parameters will training change?
# ----------------------------------------------------------------------------


def _size(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _article_cnn(frozen=()):
    from cnnbook.models import build_article_cnn

    model = build_article_cnn()
    for name in frozen:
        model.get_layer(name).trainable = False
    return model


def _nested(frozen_inside=("conv1",)):
    """The article's CNN as two nested models, features and head, some features frozen."""
    import keras
    from keras import layers

    features = keras.Sequential(
        [keras.Input(shape=(28, 28, 1), name="image"),
         layers.Conv2D(8, (3, 3), activation="relu", name="conv1"),
         layers.MaxPooling2D((2, 2), name="pool1"),
         layers.Conv2D(16, (3, 3), activation="relu", name="conv2"),
         layers.MaxPooling2D((2, 2), name="pool2"),
         layers.Flatten(name="flatten")],
        name="features",
    )
    for name in frozen_inside:
        features.get_layer(name).trainable = False
    head = keras.Sequential(
        [keras.Input(shape=(400,), name="features_in"),
         layers.Dense(12, activation="relu", name="hidden"),
         layers.Dense(10, activation="softmax", name="out")],
        name="head",
    )
    return keras.Sequential([keras.Input(shape=(28, 28, 1), name="image"), features, head], name="nested")


def _with_batch_norm():
    """A convolution, a batch normalization and a dense layer: the batch norm's moving
    mean and variance are weights that no gradient ever changes."""
    import keras
    from keras import layers

    return keras.Sequential(
        [keras.Input(shape=(12, 12, 1), name="image"),
         layers.Conv2D(6, (3, 3), name="conv"),
         layers.BatchNormalization(name="norm"),
         layers.Flatten(name="flatten"),
         layers.Dense(4, name="out")],
        name="with_batch_norm",
    )


def _all_frozen():
    model = _article_cnn()
    model.trainable = False
    return model


_COUNT_CASES = [
    ("the article's CNN, nothing frozen", _article_cnn),
    ("the article's CNN with conv1 ... flatten frozen",
     lambda: _article_cnn(("conv1", "pool1", "conv2", "pool2", "flatten"))),
    ("the article's CNN with only conv2 frozen", lambda: _article_cnn(("conv2",))),
    ("a model whose first layer is a model with a frozen conv1 inside", _nested),
    ("a model with a BatchNormalization layer", _with_batch_norm),
    ("the article's CNN with model.trainable = False", _all_frozen),
]


def _count_mistakes(model):
    """``(count, hint)`` of the plausible wrong counts for ``model``."""
    yield (model.count_params(),
           "count_params() counts every weight, frozen or not; count only those training updates.")
    yield (_size(model.non_trainable_weights),
           "that is the number of frozen parameters; the question asks for the trainable ones.")
    yield (sum(layer.count_params() for layer in model.layers if layer.trainable),
           "a layer whose `trainable` is True can still hold weights that no gradient changes "
           "(the frozen layers inside a nested model, a BatchNormalization layer's moving "
           "averages): count the weights, not the layers.")
    yield (_size(w for w in model.trainable_weights if len(w.shape) > 1),
           "the biases are trainable parameters too.")


@exercise_check
def check_count_trainable(count_trainable):
    """Check ``count_trainable(model) -> int``, the number of parameters training updates."""
    cases = []
    for description, build in _COUNT_CASES:
        reference = build()
        cases.append((description, build, _size(reference.trainable_weights), list(_count_mistakes(reference))))
    answers = [whole_number(count_trainable(build()), description, "a count of parameters is a whole number")
               for description, build, _, _ in cases]
    wrong = [(case, answer) for case, answer in zip(cases, answers) if answer != case[2]]
    if not wrong:
        return None
    # A mistake is named only when it explains the answer on every case.
    for which, (_, hint) in enumerate(cases[0][3]):
        if all(answer == case[3][which][0] for case, answer in zip(cases, answers)):
            return f"wrong for {wrong[0][0][0]}. Hint: {hint}"
    (description, *_), answer = wrong[0]
    return (f"wrong for {description} (you returned {answer:,}). Hint: add up the sizes of the "
            "weights that training updates (`model.trainable_weights`, or the layers' own).")


# ----------------------------------------------------------------------------
# Exercise: choose the layers to freeze.
# ----------------------------------------------------------------------------

_ARTICLE_LAYERS = ("conv1", "pool1", "conv2", "pool2", "flatten", "dense_hidden", "dense_out")

# (last layer to freeze, layers frozen before the call)
_FREEZE_CASES = [
    ("pool2", ()),
    ("conv1", ()),
    ("flatten", ()),
    ("conv2", ("dense_hidden", "dense_out")),
    ("dense_out", ()),
]


def _flags(model):
    return tuple(layer.trainable for layer in model.layers)


def _freeze_mistakes(last, before):
    """``(flags, hint)`` of the plausible wrong results of freeze_up_to(last)."""
    position = _ARTICLE_LAYERS.index(last)

    def flags(frozen):
        return tuple(name not in frozen for name in _ARTICLE_LAYERS)

    upto = set(_ARTICLE_LAYERS[: position + 1])
    yield (flags({last} | set(before)),
           "freeze every layer from the first one up to and including `last_frozen`, not that layer alone.")
    yield (flags(set(_ARTICLE_LAYERS[:position]) | set(before)),
           "`last_frozen` itself must be frozen too: include it.")
    yield (flags(upto | set(before)),
           "the layers after `last_frozen` must be trainable, even if they were frozen before: set "
           "`trainable = True` on them.")
    yield (flags(set(_ARTICLE_LAYERS[position:])),
           "freeze the layers that come *before* `last_frozen` (the features), not those after it.")
    yield (flags(set(_ARTICLE_LAYERS[position + 1:])),
           "freeze the layers that come *before* `last_frozen` (the features), not those after it.")


@exercise_check(points=2)
def check_freeze_up_to(freeze_up_to):
    """Check ``freeze_up_to(model, last_frozen) -> model``: layers up to ``last_frozen`` frozen.

    The flags are read from the model the function returns (usually the one it was given).
    """
    cases = []
    for last, before in _FREEZE_CASES:
        position = _ARTICLE_LAYERS.index(last)
        expected = tuple(i > position for i in range(len(_ARTICLE_LAYERS)))
        cases.append((last, before, expected, list(_freeze_mistakes(last, before))))
    for last, before, expected, mistakes in cases:
        model = _article_cnn(before)
        described = f"last_frozen={last!r}" + (f", with {' and '.join(before)} frozen before" if before else "")
        model = freeze_up_to(model, last)
        if not hasattr(model, "layers"):
            raise Rejected(f"returned {type(model).__name__} for {described}. Hint: set the layers' "
                           "`trainable` flags and return the model.")
        got = _flags(model)
        if not all(isinstance(flag, bool) for flag in got) or [layer.name for layer in model.layers] != list(
                _ARTICLE_LAYERS):
            return (f"the model's layers changed for {described}. Hint: only set each layer's "
                    "`trainable` to True or False; do not add or remove layers.")
        if got == expected:
            continue
        for wrong, hint in mistakes:
            if got == wrong:
                return f"wrong layers frozen for {described}. Hint: {hint}"
        frozen = [layer.name for layer in model.layers if not layer.trainable]
        return (f"for {described} these layers ended up frozen: {', '.join(frozen) or 'none'}. Hint: "
                "walk through `model.layers` in order; freeze until you reach `last_frozen`, then unfreeze.")
    return None
