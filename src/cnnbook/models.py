"""Model builders: the article's CNN and its training recipe."""

import numpy as np

from cnnbook.env import full_or_quick

# The article's recipe (section 4): adam, sparse categorical cross-entropy, 5 epochs.
# Its code leaves the batch size at Keras's default of 32.
ARTICLE_EPOCHS = 5
ARTICLE_BATCH_SIZE = 32
# The quick mode (CNNBOOK_QUICK=1) trains 3 epochs: enough for the 98.5% test
# accuracy that the chapters using the trained CNN assert, on every backend (2 epochs
# gave 98.35% under JAX).
QUICK_EPOCHS = 3

# The name of every layer of the article's CNN. Keras would otherwise number its
# layers with a process-wide counter (dense, dense_1, ...), so that the names
# printed would depend on what else the kernel built before.
ARTICLE_LAYER_NAMES = ("conv1", "pool1", "conv2", "pool2", "flatten", "dense_hidden", "dense_out")
# Bumped whenever the saved model changes (its layer names, say), so that an
# older file in the cache is never loaded in its place.
CACHE_FORMAT = 2


def build_article_cnn(input_shape=(28, 28, 1), num_classes=10):
    """The article's CNN, compiled with its optimizer, loss and metric.

    Conv2D(32, 3x3, relu) -> MaxPool(2x2) -> Conv2D(64, 3x3, relu) -> MaxPool(2x2)
    -> Flatten -> Dense(64, relu) -> Dense(num_classes, softmax), with the layer
    names of :data:`ARTICLE_LAYER_NAMES`.

    The article passes ``input_shape=`` to the first Conv2D; Keras 3 deprecates
    that, so the input is declared with ``keras.Input`` instead. Same model.
    """
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape, name="image"),
            layers.Conv2D(32, (3, 3), activation="relu", name="conv1"),
            layers.MaxPooling2D((2, 2), name="pool1"),
            layers.Conv2D(64, (3, 3), activation="relu", name="conv2"),
            layers.MaxPooling2D((2, 2), name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(64, activation="relu", name="dense_hidden"),
            layers.Dense(num_classes, activation="softmax", name="dense_out"),
        ],
        name="article_cnn",
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def prepare_images(images):
    """uint8 images (N, 28, 28) -> float32 in [0, 1] with a channel axis (N, 28, 28, 1).

    Conv2D expects a channel axis; dividing by 255 puts the pixels on the scale
    that the layers' default initialisation and adam's step size suit.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            "prepare_images: expected uint8 images of shape (N, height, width), as "
            f"load_mnist() returns them; got dtype {images.dtype} and shape {images.shape}"
        )
    return (images.astype("float32") / 255.0)[..., np.newaxis]


def train_article_cnn(x_train, y_train, epochs=ARTICLE_EPOCHS, validation_split=0.0, seed=0):
    """Build the article's CNN and train it with the article's recipe.

    ``x_train`` is the output of :func:`prepare_images`. Returns ``(model, history)``.
    Chapters that only *use* a trained CNN call :func:`trained_article_cnn`; chapter 4
    spells the training out.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model = build_article_cnn(input_shape=x_train.shape[1:])
    history = model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=ARTICLE_BATCH_SIZE,
        validation_split=validation_split,
        verbose=0,
    )
    return model, history


# The shared CNN holds back the last 10% of the training digits, as chapter 4 does
# to draw its validation curves, so that chapter 4's own training run can fill the cache.
VALIDATION_SPLIT = 0.1


def _cache_folder(cache_dir=None):
    import os
    from pathlib import Path

    return Path(cache_dir or os.environ.get("CNNBOOK_CACHE_DIR") or Path.home() / ".cache" / "cnnbook")


def article_cnn_cache_path(epochs=ARTICLE_EPOCHS, seed=0, cache_dir=None):
    """Where :func:`trained_article_cnn` keeps the CNN trained for ``epochs`` with ``seed``.

    The name records the recipe, :data:`CACHE_FORMAT` and the Keras version that saves
    the file. A ``.keras`` file loads under every backend of the same Keras, so the JAX
    and PyTorch backends share one file, but not always under an older Keras: Colab's
    Keras 3.10 cannot read Keras 3.15's initializer configs (``GlorotUniform`` got an
    unexpected ``input_axes``), so each Keras version keeps a file of its own.
    """
    import keras

    name = f"article_cnn-v{CACHE_FORMAT}-keras{keras.__version__}-e{epochs}-s{seed}.keras"
    return _cache_folder(cache_dir) / name


def cache_article_cnn(model, epochs, seed=0, cache_dir=None):
    """Keep ``model``, trained with the article's recipe for ``epochs``, for the later chapters.

    Call it only on a model that :func:`trained_article_cnn` would have trained: the
    article's CNN, ``epochs`` epochs from ``seed`` on the first 90% of MNIST's training
    digits (``validation_split=VALIDATION_SPLIT``). An existing file is never
    replaced. Returns the path.
    """
    import os
    import tempfile
    from pathlib import Path

    if [layer.name for layer in model.layers] != list(ARTICLE_LAYER_NAMES):
        raise ValueError(
            "cache_article_cnn: expected the article's CNN with the layers "
            f"{list(ARTICLE_LAYER_NAMES)}; got {[layer.name for layer in model.layers]}"
        )
    path = article_cnn_cache_path(epochs, seed, cache_dir)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write under a temporary name, then rename: a reader never sees half a file.
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        partial = Path(scratch) / path.name
        model.save(partial)
        if not path.exists():
            os.replace(partial, path)
    return path


def _load_cached(path):
    import keras

    try:
        return keras.models.load_model(path)
    except Exception as error:
        raise RuntimeError(
            f"The cached model {path} could not be loaded ({error}). "
            "Fix: move that file away; the next call trains a fresh model."
        ) from error


def trained_article_cnn(seed=0, epochs=None, cache_dir=None):
    """The article's CNN trained on MNIST with the article's recipe, cached on disk.

    Chapters that *use* a trained CNN (the from-scratch forward pass, LIME, ...)
    call this. The first call trains (about three minutes on a 2-core CPU) on the
    first 90% of the training digits, as chapter 4 does, and saves the model; later
    calls, from any notebook, load it. Existing files are never modified.

    ``epochs`` defaults to the article's 5, or to :data:`QUICK_EPOCHS` in the quick
    mode, which also takes the 5-epoch model when it is cached already.
    ``cache_dir`` defaults to ``$CNNBOOK_CACHE_DIR``, else ``~/.cache/cnnbook``.
    Returns the compiled Keras model.
    """
    from cnnbook.data import load_mnist

    wanted = [epochs] if epochs is not None else full_or_quick([ARTICLE_EPOCHS], [QUICK_EPOCHS, ARTICLE_EPOCHS])
    for candidate in wanted:
        path = article_cnn_cache_path(candidate, seed, cache_dir)
        if path.exists():
            return _load_cached(path)
    epochs = wanted[-1]
    (x_train, y_train), _ = load_mnist()
    model, _ = train_article_cnn(
        prepare_images(x_train), y_train, epochs=epochs, validation_split=VALIDATION_SPLIT, seed=seed
    )
    cache_article_cnn(model, epochs, seed, cache_dir)
    return model
