"""Chapter 4.1 writes the article's CNN out in its own cell; the package builds the same model.

A reader edits the model where chapter 4.1 shows it, while the later chapters load the
CNN that ``cnnbook.models.build_article_cnn`` builds (and that 4.1 stores in the model
cache). This test runs the notebook's model cell, exactly as it is stored, and compares
the model it defines with the package's: layers, their types and configurations, the
shapes, the parameter counts and the compile settings.
"""

import re

import pytest

from book import REPO_ROOT, read_notebook
from cnnbook import models

NOTEBOOK = REPO_ROOT / "notebooks" / "04_1_cnn_on_mnist.ipynb"


def model_cell_source():
    """The source of 04_1's one code cell that defines the model with ``keras.Sequential``."""
    cells = [cell.source for cell in read_notebook(NOTEBOOK).cells
             if cell.cell_type == "code" and "keras.Sequential(" in cell.source]
    assert len(cells) == 1, f"expected one model cell in {NOTEBOOK.name}, found {len(cells)}"
    return cells[0]


def model_from(source):
    """Run a model cell's source in a namespace of its own; return the ``model`` it defines."""
    import keras

    namespace = {"keras": keras}
    exec(compile(source, "04_1 model cell", "exec"), namespace)
    return namespace["model"]


def differences(model, reference):
    """What differs between two compiled Keras models, as readable lines (empty: the same)."""
    found = []
    if model.name != reference.name:
        found.append(f"model name {model.name!r} != {reference.name!r}")
    names = [layer.name for layer in model.layers]
    if names != [layer.name for layer in reference.layers]:
        found.append(f"layer names {names} != {[layer.name for layer in reference.layers]}")
    for layer, expected in zip(model.layers, reference.layers):
        if type(layer) is not type(expected):
            found.append(f"{layer.name}: type {type(layer).__name__} != {type(expected).__name__}")
        if layer.get_config() != expected.get_config():
            config, wanted = layer.get_config(), expected.get_config()
            keys = sorted(key for key in config.keys() | wanted.keys() if config.get(key) != wanted.get(key))
            found.append(f"{layer.name}: config differs in {keys}")
        if layer.output.shape != expected.output.shape:
            found.append(f"{layer.name}: output shape {layer.output.shape} != {expected.output.shape}")
        if layer.count_params() != expected.count_params():
            found.append(f"{layer.name}: {layer.count_params()} parameters != {expected.count_params()}")
    if len(model.layers) != len(reference.layers):
        found.append(f"{len(model.layers)} layers != {len(reference.layers)}")
    if model.input_shape != reference.input_shape:
        found.append(f"input shape {model.input_shape} != {reference.input_shape}")
    if model.get_config() != reference.get_config():
        found.append("model configs differ (input layer or layer order)")
    if model.count_params() != reference.count_params():
        found.append(f"{model.count_params()} parameters != {reference.count_params()}")
    if compile_settings(model) != compile_settings(reference):
        found.append(f"compile settings {compile_settings(model)} != {compile_settings(reference)}")
    return found


def compile_settings(model):
    """``model.get_compile_config()`` without the optimizer's name, which Keras numbers
    per process (``adam``, ``adam_1``, ...) like unnamed layers."""
    settings = model.get_compile_config()
    settings["optimizer"]["config"].pop("name")
    return settings


def test_the_notebook_cell_builds_the_package_model():
    model = model_from(model_cell_source())
    assert differences(model, models.build_article_cnn()) == []
    assert [layer.name for layer in model.layers] == list(models.ARTICLE_LAYER_NAMES)
    assert model.count_params() == 121_930


# Plausible edits a change to one side only would make: each must be caught.
WRONG_EDITS = [
    ('name="conv1"', 'name="conv_1"'),                   # another layer name
    ("Conv2D(64, (3, 3)", "Conv2D(32, (3, 3)"),          # fewer filters
    ("Conv2D(32, (3, 3)", "Conv2D(32, (5, 5)"),          # another kernel size
    ('activation="relu", name="dense_hidden"', 'activation="tanh", name="dense_hidden"'),
    ("MaxPooling2D((2, 2), name=\"pool2\")", "AveragePooling2D((2, 2), name=\"pool2\")"),
    ("shape=(28, 28, 1)", "shape=(32, 32, 1)"),          # another input size
    ('optimizer="adam"', 'optimizer="sgd"'),              # another optimizer
]


@pytest.mark.parametrize("old, new", WRONG_EDITS, ids=[new for _, new in WRONG_EDITS])
def test_a_changed_model_cell_is_caught(old, new):
    source = model_cell_source()
    assert source.count(old) == 1, f"the model cell no longer contains {old!r}; update this test"
    assert differences(model_from(source.replace(old, new)), models.build_article_cnn()) != []


def test_the_notebook_trains_this_model_and_keeps_it_for_the_later_chapters():
    """04_1 trains the article's recipe and stores the result with ``cache_article_cnn``."""
    code = "\n".join(cell.source for cell in read_notebook(NOTEBOOK).cells if cell.cell_type == "code")
    assert re.search(r"validation_split=models\.VALIDATION_SPLIT", code)
    assert re.search(r"models\.cache_article_cnn\(model, epochs=EPOCHS\)", code)
    assert re.search(r"EPOCHS = cnnbook\.full_or_quick\(models\.ARTICLE_EPOCHS, models\.QUICK_EPOCHS\)", code)
