"""Fixtures for dataset tests: a loopback server standing in for Keras's origins, isolated caches, and tiny files
generated in each data set's real format (npz with object arrays, gzipped IDX, CIFAR's tar.gz of pickles, JSON)."""

import gzip
import hashlib
import importlib.util
import io
import json
import os
import pickle
import socket
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location("loopback", Path(__file__).with_name("loopback.py"))
loopback = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(loopback)


@pytest.fixture
def server():
    serving = loopback.Loopback()
    yield serving
    serving.close()


@pytest.fixture
def homes(tmp_path, monkeypatch, server):
    """Caches under tmp_path (HOME, CORNU_HOME; KERAS_HOME unset) and every origin on the loopback server."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CORNU_HOME", str(tmp_path / "cornu"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("CORNU_DATASETS_ORIGIN", server.base)
    return tmp_path


@pytest.fixture
def offline(monkeypatch, homes):
    """Origins point at a loopback port where nothing listens: every download is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CORNU_DATASETS_ORIGIN", f"http://127.0.0.1:{port}/")
    return homes


@pytest.fixture
def make():
    """This module, so that tests reach the file generators below (`make.npz_bytes(...)`)."""
    return sys.modules[__name__]


@pytest.fixture
def publish(server, monkeypatch):
    """`publish(module, name, data, attr="FILE_HASH")`: serves `data` as `name` and makes it the expected file."""

    def put(module, name, data, attr="FILE_HASH"):
        server.files[name] = data
        if attr is not None:
            monkeypatch.setattr(module, attr, hashlib.sha256(data).hexdigest())
        return data

    return put


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def md5(data):
    return hashlib.md5(data).hexdigest()


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def ragged(sequences):
    """An object array of lists, as IMDB and Reuters store their texts."""
    array = np.empty(len(sequences), dtype=object)
    array[:] = [list(s) for s in sequences]
    return array


def word_sequences(rng, count, vocabulary=30, longest=12):
    return [rng.integers(1, vocabulary, size=rng.integers(2, longest)).tolist() for _ in range(count)]


def mnist_arrays(rng, train=6, test=3):
    return {
        "x_train": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, test, dtype=np.uint8),
    }


def idx_gz(array):
    """An IDX file as the MNIST family publishes it: big-endian magic and sizes, then uint8 values, gzipped."""
    magic = 0x0801 if array.ndim == 1 else 0x0803
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cifar_batch(rng, count, label_keys, classes):
    """A CIFAR batch pickle: bytes keys, rows of 3072 uint8 (1024 red, 1024 green, 1024 blue), labels as lists."""
    batch = {b"batch_label": b"testing batch", b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8)}
    for key, n in zip(label_keys, classes):
        batch[key] = rng.integers(0, n, count).tolist()
    batch[b"filenames"] = [f"img_{i}.png".encode() for i in range(count)]
    return batch


def cifar10_members(rng, per_batch=4, test=3):
    members = {
        f"cifar-10-batches-py/data_batch_{i}": pickle.dumps(cifar_batch(rng, per_batch, [b"labels"], [10]), 3)
        for i in range(1, 6)
    }
    members["cifar-10-batches-py/test_batch"] = pickle.dumps(cifar_batch(rng, test, [b"labels"], [10]), 3)
    members["cifar-10-batches-py/readme.html"] = b"<html></html>"
    return members


def cifar100_members(rng, train=5, test=2):
    keys, classes = [b"fine_labels", b"coarse_labels"], [100, 20]
    return {
        "cifar-100-python/train": pickle.dumps(cifar_batch(rng, train, keys, classes), 3),
        "cifar-100-python/test": pickle.dumps(cifar_batch(rng, test, keys, classes), 3),
    }


class Evil:
    """Unpickling this calls os.system (creating `marker`): what a tampered data file could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def evil_ragged(marker):
    array = np.empty(2, dtype=object)
    array[:] = [[1, 2], Evil(marker)]
    return array


def write_json(path, mapping):
    path.write_text(json.dumps(mapping))
    return path
