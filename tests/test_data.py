"""Tests of cnnbook.data.

The real datasets must load with the known label counts. Every kind of bad input
must raise one DatasetError whose message names the file and says how to fix it,
and must leave the file exactly as it was. The bad inputs are small corrupted
copies made in tmp_path; the shared data is only ever read.
"""

import contextlib
import ctypes
import gzip
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
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
    assert_message(error, nowhere, "does not exist", "never the network", "mnist/")
    assert not nowhere.exists()


def test_data_dir_that_is_a_file(tmp_path, monkeypatch):
    a_file = tmp_path / "data.tar"
    a_file.write_bytes(b"not a folder")
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(a_file))
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, a_file, "is a file, not a folder", "mnist/")


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
    (text_instead_of_gzip, "train-labels-idx1-ubyte.gz",
     "is not a gzip file (it starts with b'<html><b'"),
    (idx_instead_of_gzip, "train-labels-idx1-ubyte.gz",
     "holds the original IDX data, but uncompressed: it is not a gzip file"),
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


def fix_command(error):
    """The shell command between backticks after 'Fix:' in the message."""
    return re.search(r"Fix: [^`]*`([^`]+)`", str(error.value))[1]


def run_fix(command):
    """Run the fix a message gives, as a reader would paste it into a shell."""
    subprocess.run(["bash", "-c", command], check=True)


needs_gzip = pytest.mark.skipif(shutil.which("gzip") is None, reason="no gzip command")


@needs_gzip
@pytest.mark.parametrize("plain_name", ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"])
def test_uncompressed_file_beside_the_missing_gz(local_copy, real_data_dir, plain_name):
    missing = local_copy / "mnist" / "train-labels-idx1-ubyte.gz"
    missing.unlink()
    plain = local_copy / "mnist" / plain_name  # as gunzip (or a mirror) leaves it
    plain.write_bytes(decompressed(real_data_dir, missing.name))
    before = snapshot(plain)
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, missing, f"is missing, but {plain} is there", "uncompressed",
                   "gzip -n -c", "stop setting CNNBOOK_DATA_DIR")
    assert not missing.exists() and snapshot(plain) == before
    run_fix(fix_command(error))  # the fix given works, and keeps the uncompressed file
    (_, y_train), _ = load_mnist()
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert snapshot(plain) == before


def test_uncompressed_file_beside_the_missing_gz_that_is_not_the_original(local_copy):
    missing = local_copy / "mnist" / "t10k-labels-idx1-ubyte.gz"
    missing.unlink()
    plain = local_copy / "mnist" / "t10k-labels-idx1-ubyte"
    plain.write_bytes(struct.pack(">II", 2049, 10000) + bytes(10000))
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, plain, "not the original content", "itself is missing",
                   "fresh copy of the original file")
    assert "gzip" not in fix_line(error)


def fix_line(error):
    return next(line for line in str(error.value).splitlines() if line.startswith("Fix:"))


@needs_gzip
def test_uncompressed_idx_under_the_gz_name(local_copy, real_data_dir):
    name = "t10k-images-idx3-ubyte.gz"
    bad = replace_file(local_copy / "mnist" / name, decompressed(real_data_dir, name))
    before = snapshot(bad)
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, bad, "original IDX data, but uncompressed", "gzip -n -c")
    assert snapshot(bad) == before
    command = fix_command(error)
    # The plain `gzip -n FILE.gz` refuses the name: the fix must not be that.
    refused = subprocess.run(["gzip", "-n", str(bad)], capture_output=True, text=True)
    assert "already has .gz suffix" in refused.stderr and snapshot(bad) == before
    run_fix(command)
    _, (x_test, _) = load_mnist()
    assert x_test.shape == (10000, 28, 28)


@pytest.mark.parametrize("load, folder, other_folder, other_dataset", [
    (load_mnist, "mnist", "fashion-mnist", "Fashion-MNIST's"),
    (load_fashion_mnist, "fashion-mnist", "mnist", "MNIST's"),
])
def test_a_file_of_the_other_dataset_is_named(
        tmp_path, real_data_dir, monkeypatch, load, folder, other_folder, other_dataset):
    root = tmp_path / "data"
    (root / folder).mkdir(parents=True)
    for name in FILE_NAMES:
        (root / folder / name).symlink_to(real_data_dir / folder / name)
    stray = root / folder / "train-images-idx3-ubyte.gz"
    stray.unlink()
    stray.symlink_to(real_data_dir / other_folder / stray.name)
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(root))
    with pytest.raises(DatasetError) as error:
        load()
    assert_message(error, stray, f"is {other_dataset} train-images-idx3-ubyte.gz",
                   f"belongs in {other_dataset[:-2]}'s folder, {root / other_folder}")


@pytest.mark.parametrize("loop_at", ["dataset folder", "file"])
def test_a_symbolic_link_loop_is_named_not_called_missing(local_copy, real_data_dir, loop_at):
    folder = local_copy / "mnist"
    if loop_at == "dataset folder":
        shutil.rmtree(folder)  # the links to the real files only
        link, real = folder, real_data_dir / "mnist"
    else:
        link = folder / "train-images-idx3-ubyte.gz"
        link.unlink()
        real = real_data_dir / "mnist" / link.name
    link.symlink_to(link.name)  # points to itself
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, link, f"{link} is a symbolic link loop", "ln -sfn")
    assert "missing" not in str(error.value)
    assert link.is_symlink()  # left as it was
    kind = "folder" if loop_at == "dataset folder" else "file"
    assert f"{link} is a symbolic link loop: it points to itself" in str(error.value)
    run_fix(fix_command(error).replace(f"/path/to/the/real/{kind}", str(real)))
    (_, y_train), _ = load_mnist()
    assert len(y_train) == 60000


def test_a_broken_link_says_where_it_points(local_copy, tmp_path):
    link = local_copy / "mnist" / "train-labels-idx1-ubyte.gz"
    link.unlink()
    link.symlink_to(tmp_path / "gone.gz")
    with pytest.raises(DatasetError) as error:
        load_mnist()
    assert_message(error, link, f"symbolic link to {tmp_path / 'gone.gz'}, which does not exist")


def _without_root_privileges():
    """In a child process, before exec: drop what lets root ignore file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def load_mnist_as_a_normal_user(data_dir):
    """load_mnist() in a child process that file permissions apply to, even under root.

    Returns its DatasetError message, or "" when it loaded.
    """
    code = (
        "import sys\nfrom cnnbook.data import DatasetError, load_mnist\n"
        "try:\n    load_mnist(sys.argv[1])\nexcept DatasetError as err:\n    print(err)"
    )
    as_root = os.geteuid() == 0
    result = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True,
        preexec_fn=_without_root_privileges if as_root else None,
    )
    assert result.returncode == 0, result.stderr
    print(result.stdout)  # shown by pytest -s, or when the test fails
    return result.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux permissions")
@pytest.mark.parametrize("blocked", ["file", "folder"])
def test_a_permission_error_says_to_fix_the_permissions(local_copy, blocked):
    folder = local_copy / "mnist"
    target = folder / "train-images-idx3-ubyte.gz"
    if blocked == "file":
        # A copy of our own: chmod on the link would change the shared real file.
        replace_file(target, target.read_bytes())
        unreadable, mode, fragment = target, 0o000, "cannot read the file"
    else:
        unreadable, mode, fragment = folder, 0o000, "cannot read the folder"
    original_mode = unreadable.stat().st_mode
    unreadable.chmod(mode)
    try:
        message = load_mnist_as_a_normal_user(local_copy)
        assert f"Permission denied: your user {fragment} {unreadable}" in message
        assert "Fix: fix the permissions" in message and "fresh copy" not in message
        run_fix(re.search(r"`(chmod [^`]+)`", message)[1])
        assert load_mnist_as_a_normal_user(local_copy) == ""  # the fix given works
    finally:
        unreadable.chmod(original_mode)


@pytest.mark.parametrize("empty", ["data_dir argument", "CNNBOOK_DATA_DIR"])
def test_an_empty_setting_counts_as_unset(offline_keras, local_copy, monkeypatch, empty):
    # The current folder holds a valid copy, so reading "" as "." would load it.
    monkeypatch.chdir(local_copy)
    monkeypatch.setenv("CNNBOOK_DATA_DIR", "")
    with pytest.raises(DatasetError) as error:
        load_mnist(data_dir="" if empty == "data_dir argument" else None)
    assert "Could not download" in str(error.value)  # went to Keras, as when unset
    assert load_mnist(data_dir=".")[0][1].shape == (60000,)  # "." means the current folder


# --- Keras's cache and download ---------------------------------------------------


class SilentProxy:
    """A proxy on 127.0.0.1 that accepts connections, reads the request, never answers.

    After ``hang_up_after`` seconds it closes everything, so that a client without a
    timeout fails the test instead of hanging it.
    """

    def __init__(self, hang_up_after):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.requests = []
        self.deadline = time.monotonic() + hang_up_after
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        connections = []
        while not self.done.is_set() and time.monotonic() < self.deadline:
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            connection.settimeout(1)
            with contextlib.suppress(OSError):
                self.requests.append(connection.recv(4096).decode(errors="replace"))
            connections.append(connection)
        for connection in connections:
            connection.close()
        self.server.close()

    def close(self):
        self.done.set()
        self.thread.join()


@pytest.mark.parametrize("load", [load_mnist, load_fashion_mnist])
def test_a_stalled_download_fails_within_the_timeout(tmp_path, monkeypatch, load):
    pytest.importorskip("keras.src.utils.file_utils")  # imported before the clock starts
    home = tmp_path / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("CNNBOOK_DATA_DIR", raising=False)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", 1)
    # urllib builds its opener, and reads the *_proxy variables, at its first use.
    monkeypatch.setattr(urllib.request, "_opener", None)
    assert socket.getdefaulttimeout() is None
    proxy = SilentProxy(hang_up_after=20)
    try:
        for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
            monkeypatch.setenv(name, proxy.url)
        start = time.monotonic()
        with pytest.raises(DatasetError) as error:
            load()
        elapsed = time.monotonic() - start
    finally:
        proxy.close()
    # Keras's download really went through the proxy, which never answered.
    assert proxy.requests and proxy.requests[0].startswith("CONNECT storage.googleapis.com:443")
    assert 1 <= elapsed < 10
    message = str(error.value)
    assert "Could not download https://storage.googleapis.com/tensorflow/tf-keras-datasets/" in message
    assert "The network sent nothing for 1 s" in message
    assert "CNNBOOK_DATA_DIR=" in message and "Fix:" in message
    assert socket.getdefaulttimeout() is None  # put back
    assert [path for path in home.rglob("*") if not path.is_dir()] == []  # no partial file


# --- Keras's cache and download, offline --------------------------------------------


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
