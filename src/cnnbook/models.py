"""Model builders: the article's CNN and its training recipe."""

import numpy as np

# The article's recipe (section 4): adam, sparse categorical cross-entropy, 5 epochs.
# Its code leaves the batch size at Keras's default of 32.
ARTICLE_EPOCHS = 5
ARTICLE_BATCH_SIZE = 32


def build_article_cnn(input_shape=(28, 28, 1), num_classes=10):
    """The article's CNN, compiled with its optimizer, loss and metric.

    Conv2D(32, 3x3, relu) -> MaxPool(2x2) -> Conv2D(64, 3x3, relu) -> MaxPool(2x2)
    -> Flatten -> Dense(64, relu) -> Dense(num_classes, softmax).

    The article passes ``input_shape=`` to the first Conv2D; Keras 3 deprecates
    that, so the input is declared with ``keras.Input`` instead. Same model.
    """
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(num_classes, activation="softmax"),
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
    Chapters that only *use* a trained CNN call this; chapter 4 spells it out.
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


def trained_article_cnn(seed=0, epochs=ARTICLE_EPOCHS, cache_dir=None):
    """The article's CNN trained on all 60,000 MNIST training digits, cached on disk.

    Chapters that *use* a trained CNN (the from-scratch forward pass, LIME, ...)
    call this. The first call trains with the article's recipe (one to two
    minutes on a laptop CPU) and saves the model; later calls, from any notebook,
    load it. The file name records the recipe, the seed and the TensorFlow and
    Keras versions, so changing any of them trains a new model instead of
    reusing an old one. Existing files are never modified.

    ``cache_dir`` defaults to ``$CNNBOOK_CACHE_DIR``, else ``~/.cache/cnnbook``.
    Returns the compiled Keras model.
    """
    import os
    import tempfile
    from pathlib import Path

    import keras
    import tensorflow as tf

    from cnnbook.data import load_mnist

    folder = Path(cache_dir or os.environ.get("CNNBOOK_CACHE_DIR") or Path.home() / ".cache" / "cnnbook")
    path = folder / f"article_cnn-e{epochs}-s{seed}-tf{tf.__version__}-keras{keras.__version__}.keras"
    if path.exists():
        try:
            return keras.models.load_model(path)
        except Exception as error:
            raise RuntimeError(
                f"The cached model {path} could not be loaded ({error}). "
                "Fix: move that file away; the next call trains a fresh model."
            ) from error
    (x_train, y_train), _ = load_mnist()
    model, _ = train_article_cnn(prepare_images(x_train), y_train, epochs=epochs, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    # Write under a temporary name, then rename: a reader never sees half a file.
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        partial = Path(scratch) / path.name
        model.save(partial)
        if not path.exists():
            os.replace(partial, path)
    return model
