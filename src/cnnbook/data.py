"""MNIST and Fashion-MNIST, from a verified local copy or from Keras.

``load_mnist()`` and ``load_fashion_mnist()`` return what
``keras.datasets.mnist.load_data()`` returns: ``(x_train, y_train), (x_test, y_test)``,
uint8 arrays of shapes (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,).

The data comes from the first of these that applies:

1. ``data_dir``, or else the environment variable ``CNNBOOK_DATA_DIR``: a folder
   holding the original gzip IDX files, laid out as shown in ``LOCAL_LAYOUT``.
   When it is given, it is the only source: an error there is reported, never
   papered over by a download. An empty string counts as not given, for both.
2. Keras's cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``), downloading
   into it with Keras when the files are not there yet. A download that gets
   nothing from the network for ``DOWNLOAD_TIMEOUT_S`` seconds fails.

Every file is verified before use: gzip stream, IDX header, size and SHA-256 of the
decompressed bytes. Whatever goes wrong raises :class:`DatasetError`, whose message
names the file and says how to fix it. Nothing on disk is ever deleted or
overwritten, which is why a corrupt Keras cache is reported instead of being
handed to Keras (Keras 3 deletes it when the re-download fails).
"""

import errno
import gzip
import hashlib
import math
import os
import shlex
import socket
import stat
import struct
import tempfile
import urllib.error
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = [
    "DOWNLOAD_TIMEOUT_S",
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
# How long a download may wait for the network (to connect, or for the next bytes)
# before it fails: a stalled network or proxy never answers, and Keras's get_file has
# no timeout of its own. A live but slow download is not cut off.
DOWNLOAD_TIMEOUT_S = 20


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
            ``LOCAL_LAYOUT``). Defaults to ``$CNNBOOK_DATA_DIR``. When neither is
            set, the data comes from Keras's cache or is downloaded by Keras, which
            gives up when the network sends nothing for ``DOWNLOAD_TIMEOUT_S``
            seconds. An empty string counts as not set, for the argument as for
            the variable (``CNNBOOK_DATA_DIR=`` switches the local copy off); to
            mean the current folder, say ``"."``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,), labels 0-9.

    Raises:
        DatasetError: a file or folder is missing, unreadable (permissions, a
            symbolic link loop), damaged, uncompressed or not the original (the
            message names the dataset a file of the other dataset comes from), or
            the download failed or stalled.
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
    """The local data folder and the setting that named it, or (None, None).

    An empty ``data_dir`` counts as not given, as an empty ``CNNBOOK_DATA_DIR``
    counts as unset.
    """
    if data_dir is not None and os.fspath(data_dir) != "":
        return Path(data_dir).expanduser(), "data_dir"
    from_env = os.environ.get(DATA_DIR_VARIABLE)
    if from_env:
        return Path(from_env).expanduser(), DATA_DIR_VARIABLE
    return None, None


class _Where(NamedTuple):
    """Where one dataset's files are read from, and what every error there tells the reader."""

    dataset: _Dataset
    root: Path | None  # the local copy (data_dir); None for Keras's cache
    replace: str  # the fix for a bad or missing file: how to get a good one
    note: str  # said after every fix

    def error(self, problem, fix=None):
        return DatasetError(f"{problem}\nFix: {fix or self.replace}\n{self.note}")


def _load_local(dataset, root, source):
    where = _Where(
        dataset, root,
        replace=f"put a fresh copy of the original file there (from {dataset.mirror}).",
        note=(
            f"Or stop setting {source} to let Keras download {dataset.name}. While"
            f" {source} is set, cnnbook uses only your local copy, never the network."
            " Nothing on disk was changed."
        ),
    )
    _check_folder(
        where, root, f"{source} points to {root}, which does not exist.",
        f"point {source} to a folder laid out like this:\n{LOCAL_LAYOUT}",
    )
    folder = root / dataset.folder
    _check_folder(
        where, folder,
        f"{folder} is missing: {source} points to {root}, which has no"
        f" '{dataset.folder}' folder.",
        f"create it with the four files of {dataset.name} (from {dataset.mirror}),"
        f" laid out like this:\n{LOCAL_LAYOUT}",
    )
    return _read_four_idx_files(where, folder.joinpath)


def _keras_cache_where(dataset):
    return _Where(
        dataset, None,
        replace="move it away and retry, so that Keras downloads a fresh copy.",
        note="It is in Keras's cache, and cnnbook left it untouched.",
    )


def _load_mnist_from_keras():
    where = _keras_cache_where(_MNIST)
    cached = _keras_cache_root() / "datasets" / "mnist.npz"
    if _exists(where, cached):
        # Check it ourselves: given a bad cached file, Keras re-downloads and,
        # offline, deletes the file.
        if _sha256(_read_bytes(where, cached)) != _MNIST_NPZ_SHA256:
            raise where.error(f"{cached} is corrupt: its SHA-256 is not {_MNIST_NPZ_SHA256}.")
    else:
        cached = _download("mnist.npz", "datasets", _MNIST_NPZ_SHA256)
    with np.load(cached, allow_pickle=False) as arrays:
        return (
            (arrays["x_train"], arrays["y_train"]),
            (arrays["x_test"], arrays["y_test"]),
        )


def _load_fashion_mnist_from_keras():
    # Keras caches the original .gz files, unchecked: verify them like a local copy.
    where = _keras_cache_where(_FASHION_MNIST)
    subdir = os.path.join("datasets", _FASHION_MNIST.folder)
    cache = _keras_cache_root() / subdir

    def cached_or_downloaded(file_name):
        path = cache / file_name
        return path if _exists(where, path) else _download(file_name, subdir)

    return _read_four_idx_files(where, cached_or_downloaded)


def _read_four_idx_files(where, path_of):
    """Read and verify the four IDX files; ``path_of`` maps a file name to its path."""
    x_train, y_train, x_test, y_test = (
        _read_idx(where, path_of(name), name, shape) for name, shape in _IDX_FILES
    )
    return (x_train, y_train), (x_test, y_test)


def _read_idx(where, path, name, shape):
    """Decompress and verify one gzip IDX file; the most specific check comes first."""
    raw = _gunzip(where, path, name)

    # IDX header: magic 0x0000 08 NN (08 = unsigned bytes, NN = number of
    # dimensions), then each dimension as a big-endian uint32.
    ndim = len(shape)
    magic = 0x0800 | ndim
    header_size = 4 + 4 * ndim
    found_magic = int.from_bytes(raw[:4], "big")
    if len(raw) < 4 or found_magic != magic:
        raise where.error(
            f"{path} is not the IDX file expected there: its magic number is"
            f" {found_magic:#010x}, expected {magic:#010x} ({magic}, unsigned bytes"
            f" in {ndim} dimension{'s' if ndim > 1 else ''}). Is it another of the"
            " four files under the wrong name?"
        )
    if len(raw) < header_size:
        raise where.error(f"{path} ends inside its IDX header.")
    found_shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    if found_shape != shape:
        raise where.error(
            f"{path} holds {_describe(found_shape)}, expected {_describe(shape)}."
        )
    payload_size = len(raw) - header_size
    if payload_size != math.prod(shape):
        raise where.error(
            f"{path} has {payload_size} bytes of data after its header, expected"
            f" {math.prod(shape)} for {_describe(shape)}."
        )
    found_sha256 = _sha256(raw)
    if found_sha256 != where.dataset.sha256[name]:
        raise _not_the_original_error(where, path, name, found_sha256, "its decompressed bytes")
    # A copy, so that the arrays are writable, as Keras's are.
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(shape).copy()


def _not_the_original_error(where, path, name, found_sha256, what):
    """The file's content is not ``name`` of the dataset; name what it is, if known."""
    dataset = where.dataset
    known = _identify(found_sha256)
    if known is not None and known != (dataset, name):
        other, other_name = known
        fix = where.replace if where.root is None else (
            f"put {dataset.name}'s own {name} there (from {dataset.mirror}); this"
            f" one belongs in {other.name}'s folder, {where.root / other.folder}."
        )
        return where.error(
            f"{path} is {other.name}'s {other_name}, not {dataset.name}'s {name}: the"
            f" SHA-256 of {what} is that file's.",
            fix,
        )
    return where.error(
        f"{path} has the right format but not the original content: the SHA-256"
        f" of {what} is {found_sha256}, expected {dataset.sha256[name]}."
    )


def _identify(sha256):
    """``(dataset, file name)`` of the original file whose decompressed SHA-256 this is."""
    for dataset in (_MNIST, _FASHION_MNIST):
        for name, known in dataset.sha256.items():
            if known == sha256:
                return dataset, name
    return None


def _gunzip(where, path, name):
    compressed = _read_bytes(where, path)
    if not compressed.startswith(b"\x1f\x8b"):
        raise _not_gzip_error(where, path, name, compressed)
    try:
        return gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as err:
        raise where.error(f"{path} is truncated or damaged: gzip says '{err}'.") from err


def _looks_like_idx(data):
    """Whether ``data`` starts like an IDX file of unsigned bytes (magic 0x0000 08 NN)."""
    return len(data) >= 4 and data[:3] == b"\x00\x00\x08" and 1 <= data[3] <= 4


def _not_gzip_error(where, path, name, content):
    if not _looks_like_idx(content):
        return where.error(f"{path} is not a gzip file (it starts with {content[:8]!r}).")
    found_sha256 = _sha256(content)
    if found_sha256 != where.dataset.sha256[name]:
        return _not_the_original_error(
            where, path, name, found_sha256, "its bytes (uncompressed IDX data, not gzip)"
        )
    new = shlex.quote(f"{path}.new")
    # `gzip -n FILE.gz` refuses a name that already ends in .gz: write to a new file.
    return where.error(
        f"{path} holds the original IDX data, but uncompressed: it is not a gzip"
        " file, although its name ends in .gz.",
        f"compress it in place: `gzip -n -c {shlex.quote(str(path))} > {new} &&"
        f" mv {new} {shlex.quote(str(path))}`",
    )


def _read_bytes(where, path):
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise _missing_file_error(where, Path(path)) from None
    except IsADirectoryError:
        raise where.error(f"{path} is a folder, not the file expected there.") from None
    except OSError as err:
        raise _access_error(where, path, err) from None


def _missing_file_error(where, path):
    if os.path.islink(path):
        return where.error(
            f"{path} is a symbolic link to {os.readlink(path)}, which does not exist."
        )
    if where.root is not None:  # a local copy: look for the same file, decompressed
        stem = path.name.removesuffix(".gz")  # (by gunzip, or as some mirrors ship it)
        for plain in (path.with_name(stem), path.with_name(stem.replace("-idx", ".idx", 1))):
            if os.path.isfile(plain):
                return _uncompressed_beside_error(where, path, plain)
    return where.error(f"{path} is missing.")


def _uncompressed_beside_error(where, path, plain):
    found_sha256 = _sha256(_read_bytes(where, plain))
    if found_sha256 != where.dataset.sha256[path.name]:
        return _not_the_original_error(
            where, plain, path.name, found_sha256,
            f"its bytes (uncompressed; {path.name} itself is missing)",
        )
    return where.error(
        f"{path} is missing, but {plain} is there: the same data, uncompressed (its"
        " SHA-256 is the original's). cnnbook reads the compressed files only.",
        "compress it, keeping the uncompressed file:"
        f" `gzip -n -c {shlex.quote(str(plain))} > {shlex.quote(str(path))}`",
    )


def _check_folder(where, folder, missing, fix):
    """Raise DatasetError unless ``folder`` is a folder we can stat."""
    try:
        mode = os.stat(folder).st_mode
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(folder):
            raise where.error(
                f"{folder} is a symbolic link to {os.readlink(folder)}, which does not exist.",
                fix,
            ) from None
        raise where.error(missing, fix) from None
    except OSError as err:
        raise _access_error(where, folder, err, "folder") from None
    if not stat.S_ISDIR(mode):
        raise where.error(f"{folder} is a file, not a folder.", fix)


def _exists(where, path):
    """Whether anything, even a broken link, is at ``path``; trouble reaching it raises."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as err:
        raise _access_error(where, path, err) from None
    return True


def _access_error(where, path, err, kind="file"):
    """The DatasetError for an OSError that is not "missing": a loop, permissions, other.

    ``kind`` is what ``path`` should be, "file" or "folder".
    """
    if err.errno == errno.ELOOP:
        link = _looping_link(Path(path))
        if link != Path(path):
            kind = "folder"  # a link on the way to path
        target = os.readlink(link)
        points_to = "itself" if link.parent / target == link else target
        return where.error(
            f"{link} is a symbolic link loop: it points to {points_to}, and following"
            " the links never reaches a real file or folder.",
            f"point the link to the real {kind}, for example"
            f" `ln -sfn /path/to/the/real/{kind} {shlex.quote(str(link))}`, or replace"
            f" the link by that {kind}.",
        )
    if err.errno in (errno.EACCES, errno.EPERM):
        blocked, kind = _blocked_by(Path(path))
        reach = "" if blocked == Path(path) else f", so {path} cannot be reached"
        permission = "a+rx" if kind == "folder" else "a+r"
        return where.error(
            f"Permission denied: your user cannot read the {kind} {blocked}{reach}."
            " The data itself may be fine.",
            f"fix the permissions of that {kind}, for example"
            f" `chmod {permission} {shlex.quote(str(blocked))}` (run by its owner, or"
            " with sudo).",
        )
    return where.error(f"{path} could not be read: {err}.")


def _looping_link(path):
    """The first symbolic link on the way to ``path`` that never resolves."""
    for prefix in (*reversed(path.parents), path):
        if os.path.islink(prefix):
            try:
                os.stat(prefix)
            except OSError as err:
                if err.errno == errno.ELOOP:
                    return prefix
    return path


def _blocked_by(path):
    """What permission denies on the way to ``path``: ``(path or a folder above, kind)``.

    A folder that cannot be entered makes everything below it unreachable, so the
    first prefix whose next step fails is the culprit; else it is ``path`` itself.
    """
    prefixes = (*reversed(path.parents), path)
    for above, below in zip(prefixes, prefixes[1:]):
        try:
            os.stat(below)
        except PermissionError:
            return above, "folder"
        except OSError:
            break
    return path, "folder" if os.path.isdir(path) else "file"


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
    """Download one file into Keras's cache with Keras; return its path.

    Keras's ``get_file`` reads with ``urllib`` (which honours the ``*_proxy``
    variables) and sets no timeout, so it inherits the socket module's default: for
    the download we set it to ``DOWNLOAD_TIMEOUT_S``, unless the program has set a
    default of its own, and put it back afterwards. On failure ``get_file`` deletes
    its partial file; nothing else was in its place (we download only what is not
    there).
    """
    from keras.utils import get_file  # imported here: it imports TensorFlow

    origin = _KERAS_ORIGIN + file_name
    previous_timeout = socket.getdefaulttimeout()
    timeout = DOWNLOAD_TIMEOUT_S if previous_timeout is None else previous_timeout
    socket.setdefaulttimeout(timeout)
    try:
        return Path(get_file(
            file_name, origin=origin, file_hash=file_hash,
            cache_subdir=cache_subdir, cache_dir=str(_keras_cache_root()),
        ))
    except Exception as err:  # Keras wraps network errors in a bare Exception
        stalled = (
            f"The network sent nothing for {timeout:g} s, so the download was stopped"
            " (a stalled connection, proxy or firewall).\n" if _timed_out(err) else ""
        )
        raise DatasetError(
            f"Could not download {origin}: {err}\n{stalled}"
            "There is no local copy of the dataset either. If this machine has no"
            " internet access, that is the cause.\n"
            "Fix: connect to the internet and retry, or download the four IDX files"
            f" of MNIST ({_MNIST.mirror}) and Fashion-MNIST ({_FASHION_MNIST.mirror}),"
            f" put them in a folder laid out like this:\n{LOCAL_LAYOUT}\n"
            f"and set {DATA_DIR_VARIABLE}=/path/to/that/folder."
        ) from err
    finally:
        socket.setdefaulttimeout(previous_timeout)


def _timed_out(err):
    """Whether a socket timeout caused ``err`` (Keras re-raises urllib's errors bare)."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, TimeoutError) or (
            isinstance(err, urllib.error.URLError) and isinstance(err.reason, TimeoutError)
        ):
            return True
        err = err.__cause__ or err.__context__
    return False
