"""Tests of cnnbook.data.

The real datasets must load with the known label counts. Every kind of bad input
must raise one DatasetError whose message names the file and says how to fix it,
and must leave the file exactly as it was. The bad inputs are small corrupted
copies made in tmp_path; the shared data is only ever read.
"""

import gzip
import os
import struct
import subprocess
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from cnnbook import data
from cnnbook.data import (
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    DatasetError,
    load_fashion_mnist,
    load_mnist,
)

FILE_NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


# --- fixtures and helpers ---------------------------------------------------------


@pytest.fixture(scope="session")
def real_data_dir():
    """The offline copy: $CNNBOOK_DATA_DIR, else ../shared/data next to the repo."""
    from_env = os.environ.get("CNNBOOK_DATA_DIR")
    root = Path(from_env) if from_env else Path(__file__).parents[2] / "shared" / "data"
    if not (root / "mnist").is_dir() or not (root / "fashion-mnist").is_dir():
        pytest.skip(
            f"no offline copy of MNIST / Fashion-MNIST at {root}:"
            " set CNNBOOK_DATA_DIR to the folder holding mnist/ and fashion-mnist/"
        )
    return root


@pytest.fixture(scope="module")
def mnist(real_data_dir):
    return load_mnist(data_dir=real_data_dir)


@pytest.fixture(scope="module")
def fashion_mnist(real_data_dir):
    return load_fashion_mnist(data_dir=real_data_dir)


@pytest.fixture
def local_copy(tmp_path, real_data_dir, monkeypatch):
    """A data folder with links to the real MNIST files, named by CNNBOOK_DATA_DIR."""
    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    for name in FILE_NAMES:
        (root / "mnist" / name).symlink_to(real_data_dir / "mnist" / name)
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(root))
    return root


def replace_file(path, content):
    """Replace a link to a real file by our own file (the real one stays as it is)."""
    path.unlink()
    path.write_bytes(content)
    return path


def decompressed(real_data_dir, name):
    return gzip.decompress((real_data_dir / "mnist" / name).read_bytes())


def gzipped(raw):
    return gzip.compress(raw, compresslevel=1, mtime=0)


def snapshot(path):
    return path.read_bytes(), path.stat().st_mtime_ns


def assert_message(error, path, *fragments):
    """The message names the file, gives a fix, and says what went wrong."""
    message = str(error.value)
    assert str(path) in message
    assert "Fix:" in message
    for fragment in fragments:
        assert fragment in message


@pytest.fixture
def offline_keras(tmp_path, monkeypatch):
    """No local copy, an empty Keras home, and downloads failing as offline."""
    file_utils = pytest.importorskip("keras.src.utils.file_utils")

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError(OSError(-3, "Temporary failure in name resolution"))

    # get_file calls the urlretrieve it imported; this is the offline machine's error.
    monkeypatch.setattr(file_utils, "urlretrieve", no_network)
    monkeypatch.delenv("CNNBOOK_DATA_DIR", raising=False)
    home = tmp_path / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


# --- the real datasets ------------------------------------------------------------


def test_mnist_shapes_and_dtypes(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert [a.shape for a in (x_train, y_train, x_test, y_test)] == [
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,)
    ]
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_train.flags.writeable  # like Keras's arrays


def test_mnist_labels_are_the_real_ones(mnist):
    (_, y_train), (_, y_test) = mnist
    assert np.bincount(y_train).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949
    ]
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(y_test).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009
    ]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_fashion_mnist_shapes_and_balanced_classes(fashion_mnist):
    (x_train, y_train), (x_test, y_test) = fashion_mnist
    assert [a.shape for a in (x_train, y_train, x_test, y_test)] == [
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,)
    ]
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    assert x_train.min() == 0 and x_train.max() == 255
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_class_names():
    assert MNIST_CLASSES == tuple("0123456789")
    assert len(FASHION_MNIST_CLASSES) == 10
    assert FASHION_MNIST_CLASSES[0] == "T-shirt/top"
    assert FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_env_variable_selects_the_local_copy(real_data_dir, monkeypatch):
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(real_data_dir))
    (_, y_train), _ = load_mnist()
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_data_dir_argument_overrides_env_variable(real_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(tmp_path / "nowhere"))
    (_, y_train), _ = load_fashion_mnist(data_dir=real_data_dir)
    assert len(y_train) == 60000


def test_importing_the_module_does_not_import_tensorflow():
    code = (
        "import sys, cnnbook.data;"
        "print([m for m in ('keras', 'tensorflow') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- a bad local copy -------------------------------------------------------------


def test_missing_data_dir(tmp_path, monkeypatch):
    nowhere = tmp_path / "nowhere"
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(nowhere))
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, nowhere, "not a directory", "never the network", "mnist/")
    assert not nowhere.exists()


def test_missing_dataset_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetError) as error:
        load_fashion_mnist()
    assert_message(error, tmp_path / "fashion-mnist", "is missing", "CNNBOOK_DATA_DIR")
    assert list(tmp_path.iterdir()) == []


def test_missing_file(local_copy):
    missing = local_copy / "mnist" / "t10k-labels-idx1-ubyte.gz"
    missing.unlink()
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, missing, "is missing", "stop setting CNNBOOK_DATA_DIR")
    assert not missing.exists()


def truncated_gzip(real, name):
    compressed = (real / "mnist" / name).read_bytes()
    return compressed[: len(compressed) // 2]


def text_instead_of_gzip(real, name):
    return b"<html><body>404 Not Found</body></html>\n"


def idx_instead_of_gzip(real, name):
    return decompressed(real, name)


def wrong_magic(real, name):
    raw = decompressed(real, name)  # labels: magic 2049; 2051 is the images' magic
    return gzipped(struct.pack(">I", 2051) + raw[4:])


def wrong_count(real, name):
    pixels = decompressed(real, name)[16 : 16 + 100 * 28 * 28]
    return gzipped(struct.pack(">IIII", 2051, 100, 28, 28) + pixels)


def wrong_image_size(real, name):
    raw = decompressed(real, name)  # same bytes, read as 14x56 images
    return gzipped(raw[:8] + struct.pack(">II", 14, 56) + raw[16:])


def payload_one_byte_short(real, name):
    return gzipped(decompressed(real, name)[:-1])


def one_pixel_changed(real, name):
    raw = bytearray(decompressed(real, name))
    raw[16 + 5000] ^= 0xFF
    return gzipped(bytes(raw))


# (how the file is damaged, which file, what the message must say)
BAD_FILES = [
    (truncated_gzip, "train-labels-idx1-ubyte.gz", "truncated or damaged"),
    (text_instead_of_gzip, "train-labels-idx1-ubyte.gz", "not a gzip file"),
    (idx_instead_of_gzip, "train-labels-idx1-ubyte.gz", "not a gzip file"),
    (wrong_magic, "train-labels-idx1-ubyte.gz", "magic number is 0x00000803"),
    (wrong_count, "train-images-idx3-ubyte.gz",
     "holds 100 items of 28×28, expected 60000 items of 28×28"),
    (wrong_image_size, "t10k-images-idx3-ubyte.gz",
     "holds 10000 items of 14×56, expected 10000 items of 28×28"),
    (payload_one_byte_short, "t10k-labels-idx1-ubyte.gz",
     "9999 bytes of data after its header, expected 10000"),
    (one_pixel_changed, "t10k-images-idx3-ubyte.gz", "SHA-256"),
]


@pytest.mark.parametrize(
    "damage, name, problem", BAD_FILES, ids=[case[0].__name__ for case in BAD_FILES]
)
def test_bad_local_file(local_copy, real_data_dir, damage, name, problem):
    bad = replace_file(local_copy / "mnist" / name, damage(real_data_dir, name))
    before = snapshot(bad)
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, bad, problem, "stop setting CNNBOOK_DATA_DIR")
    assert snapshot(bad) == before


# --- Keras's cache and download ---------------------------------------------------


@pytest.mark.parametrize("load", [load_mnist, load_fashion_mnist])
def test_no_network_and_no_local_copy(offline_keras, load):
    with pytest.raises(DatasetError) as error:
        load()
    message = str(error.value)
    assert "URL fetch failure" in message  # Keras really tried, and failed
    assert "internet" in message
    assert "CNNBOOK_DATA_DIR=" in message
    assert all(name in message for name in FILE_NAMES)  # the expected layout
    assert "Fix:" in message


def test_corrupt_keras_mnist_cache_is_left_untouched(offline_keras):
    cached = offline_keras / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a download")
    before = snapshot(cached)
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, cached, "is corrupt", "left it untouched", "move it away")
    assert snapshot(cached) == before


def test_mnist_from_a_valid_keras_cache(offline_keras, mnist, monkeypatch):
    (x_train, y_train), (x_test, y_test) = mnist
    cached = offline_keras / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    np.savez(cached, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    # Our own npz differs from Keras's byte for byte: expect its hash instead.
    monkeypatch.setattr(data, "_MNIST_NPZ_SHA256", data._sha256(cached.read_bytes()))
    (_, y_train_cached), (_, y_test_cached) = load_mnist()
    assert np.array_equal(y_train_cached, y_train)
    assert np.array_equal(y_test_cached, y_test)


def keras_fashion_cache(home, real_data_dir):
    cache = home / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for name in FILE_NAMES:
        (cache / name).symlink_to(real_data_dir / "fashion-mnist" / name)
    return cache


def test_fashion_mnist_from_keras_cache(offline_keras, real_data_dir, fashion_mnist):
    keras_fashion_cache(offline_keras, real_data_dir)
    (_, y_train), (_, y_test) = load_fashion_mnist()
    assert np.array_equal(y_train, fashion_mnist[0][1])
    assert np.array_equal(y_test, fashion_mnist[1][1])


def test_corrupt_keras_fashion_cache_is_left_untouched(offline_keras, real_data_dir):
    cache = keras_fashion_cache(offline_keras, real_data_dir)
    bad = cache / "t10k-labels-idx1-ubyte.gz"
    compressed = bad.read_bytes()
    replace_file(bad, compressed[: len(compressed) // 2])
    before = snapshot(bad)
    with pytest.raises(DatasetError) as error:
        load_fashion_mnist()
    assert_message(
        error, bad, "truncated or damaged", "left it untouched", "move it away"
    )
    assert snapshot(bad) == before
