"""MNIST and Fashion-MNIST, from a verified local copy or from Keras.

``load_mnist()`` and ``load_fashion_mnist()`` return what
``keras.datasets.mnist.load_data()`` returns: ``(x_train, y_train), (x_test, y_test)``,
uint8 arrays of shapes (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,).

The data comes from the first of these that applies:

1. ``data_dir``, or else the environment variable ``CNNBOOK_DATA_DIR``: a folder
   holding the original gzip IDX files, laid out as shown in ``LOCAL_LAYOUT``.
   When it is given, it is the only source: an error there is reported, never
   papered over by a download.
2. Keras's cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``), downloading
   into it with Keras when the files are not there yet.

Every file is verified before use: gzip stream, IDX header, size and SHA-256 of the
decompressed bytes. Whatever goes wrong raises :class:`DatasetError`, whose message
names the file and says how to fix it. Nothing on disk is ever deleted or
overwritten, which is why a corrupt Keras cache is reported instead of being
handed to Keras (Keras 3 deletes it when the re-download fails).
"""

import gzip
import hashlib
import math
import os
import struct
import tempfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "DatasetError",
    "FASHION_MNIST_CLASSES",
    "LOCAL_LAYOUT",
    "MNIST_CLASSES",
    "load_fashion_mnist",
    "load_mnist",
]

MNIST_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

DATA_DIR_VARIABLE = "CNNBOOK_DATA_DIR"

LOCAL_LAYOUT = """\
$CNNBOOK_DATA_DIR/
    mnist/
        train-images-idx3-ubyte.gz
        train-labels-idx1-ubyte.gz
        t10k-images-idx3-ubyte.gz
        t10k-labels-idx1-ubyte.gz
    fashion-mnist/
        (the same four file names)"""

# Each IDX file and the array it must hold: (file name, shape).
_IDX_FILES = (
    ("train-images-idx3-ubyte.gz", (60000, 28, 28)),
    ("train-labels-idx1-ubyte.gz", (60000,)),
    ("t10k-images-idx3-ubyte.gz", (10000, 28, 28)),
    ("t10k-labels-idx1-ubyte.gz", (10000,)),
)

# Where Keras downloads from, and the SHA-256 it expects for mnist.npz
# (keras/src/datasets/mnist.py; fashion_mnist.py checks no hash at all).
_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_KERAS_CACHE_FIX = (
    "It is in Keras's cache, and cnnbook left it untouched.\n"
    "Fix: move it away and retry, so that Keras downloads a fresh copy."
)


class _Dataset(NamedTuple):
    """What the loaders need to know about one dataset."""

    name: str
    folder: str  # sub-folder of the local copy and of Keras's cache
    mirror: str  # where a reader can fetch the original .gz files
    sha256: dict  # of each file's decompressed bytes, by .gz file name


_MNIST = _Dataset(
    "MNIST", "mnist", "https://ossci-datasets.s3.amazonaws.com/mnist/",
    {
        "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
)
_FASHION_MNIST = _Dataset(
    "Fashion-MNIST", "fashion-mnist", _KERAS_ORIGIN,
    {
        "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
)


class DatasetError(RuntimeError):
    """A dataset could not be loaded. The message names the file and the fix."""


def load_mnist(data_dir=None):
    """Load the MNIST handwritten digits, verified.

    Args:
        data_dir: folder holding ``mnist/`` with the four gzip IDX files (see
            ``LOCAL_LAYOUT``). Defaults to ``$CNNBOOK_DATA_DIR``; when neither is
            set, the data comes from Keras's cache or is downloaded by Keras.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,), labels 0-9.

    Raises:
        DatasetError: a file is missing, damaged or not the original, or the
            download failed.
    """
    root, source = _local_root(data_dir)
    if root is not None:
        return _load_local(_MNIST, root, source)
    return _load_mnist_from_keras()


def load_fashion_mnist(data_dir=None):
    """Load Fashion-MNIST (Zalando's clothing images), verified.

    Same arguments, return value and errors as :func:`load_mnist`, with the files
    in ``fashion-mnist/``. Label ``i`` is ``FASHION_MNIST_CLASSES[i]``.
    """
    root, source = _local_root(data_dir)
    if root is not None:
        return _load_local(_FASHION_MNIST, root, source)
    return _load_fashion_mnist_from_keras()


def _local_root(data_dir):
    """The local data folder and the setting that named it, or (None, None)."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), "data_dir"
    from_env = os.environ.get(DATA_DIR_VARIABLE)
    if from_env:
        return Path(from_env).expanduser(), DATA_DIR_VARIABLE
    return None, None


def _load_local(dataset, root, source):
    stop_using_it = (
        f"or stop setting {source} to let Keras download {dataset.name}. While"
        f" {source} is set, cnnbook uses only your local copy, never the network."
    )
    folder = root / dataset.folder
    if not root.is_dir():
        raise DatasetError(
            f"{source} points to {root}, which is not a directory.\n"
            f"Fix: point it to a folder laid out like this:\n{LOCAL_LAYOUT}\n"
            + stop_using_it
        )
    if not folder.is_dir():
        raise DatasetError(
            f"{folder} is missing: {source} points to {root}, which has no"
            f" '{dataset.folder}' folder.\nFix: create it with the four files of"
            f" {dataset.name} (from {dataset.mirror}), laid out like this:\n"
            f"{LOCAL_LAYOUT}\n{stop_using_it}"
        )
    how_to_fix = (
        f"Fix: put a fresh copy of the original file there (from {dataset.mirror}),"
        f" {stop_using_it} Nothing on disk was changed."
    )
    return _read_four_idx_files(dataset, folder.joinpath, how_to_fix)


def _load_mnist_from_keras():
    cached = _keras_cache_root() / "datasets" / "mnist.npz"
    if cached.exists():
        # Check it ourselves: given a bad cached file, Keras re-downloads and,
        # offline, deletes the file.
        if _sha256(_read_bytes(cached, _KERAS_CACHE_FIX)) != _MNIST_NPZ_SHA256:
            raise DatasetError(
                f"{cached} is corrupt: its SHA-256 is not {_MNIST_NPZ_SHA256}.\n"
                + _KERAS_CACHE_FIX
            )
    else:
        cached = _download("mnist.npz", "datasets", _MNIST_NPZ_SHA256)
    with np.load(cached, allow_pickle=False) as arrays:
        return (
            (arrays["x_train"], arrays["y_train"]),
            (arrays["x_test"], arrays["y_test"]),
        )


def _load_fashion_mnist_from_keras():
    # Keras caches the original .gz files, unchecked: verify them like a local copy.
    subdir = os.path.join("datasets", _FASHION_MNIST.folder)
    cache = _keras_cache_root() / subdir

    def cached_or_downloaded(file_name):
        path = cache / file_name
        return path if path.exists() else _download(file_name, subdir)

    return _read_four_idx_files(_FASHION_MNIST, cached_or_downloaded, _KERAS_CACHE_FIX)


def _read_four_idx_files(dataset, path_of, how_to_fix):
    """Read and verify the four IDX files; ``path_of`` maps a file name to its path."""
    x_train, y_train, x_test, y_test = (
        _read_idx(path_of(name), shape, dataset.sha256[name], how_to_fix)
        for name, shape in _IDX_FILES
    )
    return (x_train, y_train), (x_test, y_test)


def _read_idx(path, shape, sha256, how_to_fix):
    """Decompress and verify one gzip IDX file; the most specific check comes first."""
    raw = _gunzip(path, how_to_fix)

    # IDX header: magic 0x0000 08 NN (08 = unsigned bytes, NN = number of
    # dimensions), then each dimension as a big-endian uint32.
    ndim = len(shape)
    magic = 0x0800 | ndim
    header_size = 4 + 4 * ndim
    found_magic = int.from_bytes(raw[:4], "big")
    if len(raw) < 4 or found_magic != magic:
        raise DatasetError(
            f"{path} is not the IDX file expected there: its magic number is"
            f" {found_magic:#010x}, expected {magic:#010x} ({magic}, unsigned bytes"
            f" in {ndim} dimension{'s' if ndim > 1 else ''}). Is it another of the"
            f" four files under the wrong name?\n{how_to_fix}"
        )
    if len(raw) < header_size:
        raise DatasetError(f"{path} ends inside its IDX header.\n{how_to_fix}")
    found_shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    if found_shape != shape:
        raise DatasetError(
            f"{path} holds {_describe(found_shape)}, expected {_describe(shape)}.\n"
            + how_to_fix
        )
    payload_size = len(raw) - header_size
    if payload_size != math.prod(shape):
        raise DatasetError(
            f"{path} has {payload_size} bytes of data after its header, expected"
            f" {math.prod(shape)} for {_describe(shape)}.\n{how_to_fix}"
        )
    found_sha256 = _sha256(raw)
    if found_sha256 != sha256:
        raise DatasetError(
            f"{path} has the right format but not the original content: the SHA-256"
            f" of its decompressed bytes is {found_sha256}, expected {sha256}.\n"
            + how_to_fix
        )
    # A copy, so that the arrays are writable, as Keras's are.
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(shape).copy()


def _gunzip(path, how_to_fix):
    compressed = _read_bytes(path, how_to_fix)
    if not compressed.startswith(b"\x1f\x8b"):
        raise DatasetError(
            f"{path} is not a gzip file (it starts with {compressed[:8]!r}). If it"
            " holds the decompressed IDX data, compress it again with"
            f" `gzip -n`.\n{how_to_fix}"
        )
    try:
        return gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as err:
        raise DatasetError(
            f"{path} is truncated or damaged: gzip says '{err}'.\n{how_to_fix}"
        ) from err


def _read_bytes(path, how_to_fix):
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{path} is missing.\n{how_to_fix}") from None
    except OSError as err:
        raise DatasetError(f"{path} could not be read: {err}.\n{how_to_fix}") from err


def _describe(shape):
    """(100, 28, 28) -> '100 items of 28×28'."""
    items = f"{shape[0]} items"
    return items if len(shape) == 1 else f"{items} of {'×'.join(map(str, shape[1:]))}"


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _keras_cache_root():
    """Keras's cache folder, found the way Keras 3's ``get_file`` finds it.

    Resolved at each call (Keras reads ``KERAS_HOME`` only when it is imported),
    and passed to ``get_file``, so that the file we check is the file Keras uses.
    """
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # not writable: get_file falls back to a temporary folder, as below
    if not os.access(home, os.W_OK):
        temp = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        home = Path(temp, ".keras")
    return home


def _download(file_name, cache_subdir, file_hash=None):
    """Download one file into Keras's cache with Keras; return its path."""
    from keras.utils import get_file  # imported here: it imports TensorFlow

    origin = _KERAS_ORIGIN + file_name
    try:
        return Path(get_file(
            file_name, origin=origin, file_hash=file_hash,
            cache_subdir=cache_subdir, cache_dir=str(_keras_cache_root()),
        ))
    except Exception as err:  # Keras wraps network errors in a bare Exception
        raise DatasetError(
            f"Could not download {origin}: {err}\n"
            "There is no local copy of the dataset either. If this machine has no"
            " internet access, that is the cause.\n"
            "Fix: connect to the internet and retry, or download the four IDX files"
            f" of MNIST ({_MNIST.mirror}) and Fashion-MNIST ({_FASHION_MNIST.mirror}),"
            f" put them in a folder laid out like this:\n{LOCAL_LAYOUT}\n"
            f"and set {DATA_DIR_VARIABLE}=/path/to/that/folder."
        ) from err
