"""The same file through Keras's load_data and cornu's gives the same arrays (Keras's get_file is pointed at it)."""

import os
import pathlib

import numpy as np
import pytest

from cornu.datasets import boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def keras_module(name):
    import importlib

    return importlib.import_module(f"keras.src.datasets.{name}")


def assert_same(ours, theirs):
    for our_pair, their_pair in zip(ours, theirs):
        for a, b in zip(our_pair, their_pair):
            assert a.shape == b.shape and a.dtype == b.dtype
            if a.dtype == object:
                assert a.tolist() == b.tolist()
            else:
                np.testing.assert_array_equal(a, b)


def serve_to_keras(monkeypatch, module, path):
    """Keras's get_file returns `path` (or `path/<fname>` for a folder), so Keras reads the file cornu reads."""
    folder = pathlib.Path(path)

    def fake_get_file(fname=None, origin=None, **kwargs):
        return str(folder / fname) if folder.is_dir() and not kwargs.get("extract") else str(folder)

    monkeypatch.setattr(keras_module(module), "get_file", fake_get_file)


def test_mnist_and_fashion_mnist(keras, make, tmp_path, monkeypatch, rng):
    arrays = make.mnist_arrays(rng)
    np.savez(tmp_path / "mnist.npz", **arrays)
    serve_to_keras(monkeypatch, "mnist", tmp_path / "mnist.npz")
    assert_same(mnist.load_data(tmp_path / "mnist.npz"), keras.datasets.mnist.load_data())
    folder = tmp_path / "fashion"
    folder.mkdir()
    for name, key in zip(fashion_mnist.FILES, ("y_train", "x_train", "y_test", "x_test")):
        (folder / name).write_bytes(make.idx_gz(arrays[key]))
    serve_to_keras(monkeypatch, "fashion_mnist", folder)
    assert_same(fashion_mnist.load_data(path=folder), keras.datasets.fashion_mnist.load_data())


def test_cifar10_and_cifar100(keras, make, tmp_path, monkeypatch, rng):
    for name, members in (("cifar10", make.cifar10_members(rng)), ("cifar100", make.cifar100_members(rng))):
        folder = tmp_path / name
        for member, data in members.items():
            (folder / member).parent.mkdir(parents=True, exist_ok=True)
            (folder / member).write_bytes(data)
        serve_to_keras(monkeypatch, name, folder)
    for mode in ("fine", "coarse"):
        ours = cifar100.load_data(mode, path=tmp_path / "cifar100")
        assert_same(ours, keras.datasets.cifar100.load_data(mode))
    # Keras's cifar10 fills arrays of exactly 10,000 images per batch, so its batch reader is compared instead.
    keras_batch = keras_module("cifar").load_batch
    batches = tmp_path / "cifar10" / "cifar-10-batches-py"
    train = [keras_batch(str(batches / f"data_batch_{i}")) for i in range(1, 6)]
    test = keras_batch(str(batches / "test_batch"))
    theirs = (
        (np.concatenate([x for x, _ in train]).transpose(0, 2, 3, 1), np.concatenate([y for _, y in train])),
        (test[0].transpose(0, 2, 3, 1), np.asarray(test[1])),
    )
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(path=batches)
    assert_same(((x_train,), (x_test,)), ((theirs[0][0],), (theirs[1][0],)))
    np.testing.assert_array_equal(y_train[:, 0], theirs[0][1])
    np.testing.assert_array_equal(y_test[:, 0], theirs[1][1])


IMDB_CASES = [
    {},
    {"num_words": 10, "skip_top": 3},
    {"maxlen": 8, "seed": 7},
    {"num_words": 12, "oov_char": None},
    {"start_char": None, "index_from": 0},
    {"start_char": None, "index_from": 2, "num_words": 9},
]


@pytest.mark.parametrize("kwargs", IMDB_CASES, ids=str)
def test_imdb(keras, make, tmp_path, monkeypatch, rng, kwargs):
    path = tmp_path / "imdb.npz"
    sequences = make.word_sequences(rng, 13)
    np.savez(path, x_train=make.ragged(sequences[:8]), y_train=rng.integers(0, 2, 8),
             x_test=make.ragged(sequences[8:]), y_test=rng.integers(0, 2, 5))  # fmt: skip
    serve_to_keras(monkeypatch, "imdb", path)
    assert_same(imdb.load_data(path, **kwargs), keras.datasets.imdb.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [*IMDB_CASES, {"test_split": 0.35, "seed": 1}], ids=str)
def test_reuters(keras, make, tmp_path, monkeypatch, rng, kwargs):
    path = tmp_path / "reuters.npz"
    np.savez(path, x=make.ragged(make.word_sequences(rng, 14)), y=rng.integers(0, 46, 14))
    serve_to_keras(monkeypatch, "reuters", path)
    assert_same(reuters.load_data(path, **kwargs), keras.datasets.reuters.load_data(**kwargs))
    assert reuters.get_label_names() == tuple(keras.datasets.reuters.get_label_names())


def test_housing(keras, tmp_path, monkeypatch, rng):
    np.savez(tmp_path / "boston.npz", x=rng.normal(size=(23, 13)), y=rng.uniform(5, 50, 23))
    serve_to_keras(monkeypatch, "boston_housing", tmp_path / "boston.npz")
    for kwargs in ({}, {"test_split": 0.3, "seed": 4}):
        ours = boston_housing.load_data(tmp_path / "boston.npz", **kwargs)
        assert_same(ours, keras.datasets.boston_housing.load_data(**kwargs))
    x, y = rng.normal(size=(650, 8)).astype("float32"), rng.uniform(1e4, 5e5, 650).astype("float32")
    np.savez(tmp_path / "california.npz", x=x, y=y)
    serve_to_keras(monkeypatch, "california_housing", tmp_path / "california.npz")
    for kwargs in ({}, {"version": "small", "test_split": 0.25, "seed": 9}):
        ours = california_housing.load_data(path=tmp_path / "california.npz", **kwargs)
        assert_same(ours, keras.datasets.california_housing.load_data(**kwargs))
