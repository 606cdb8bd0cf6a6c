"""boston_housing and california_housing splits; offline errors that say every way to provide a file; mirrors."""

import numpy as np
import pytest

from cornu.datasets import (
    boston_housing,
    cache,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    reuters,
)


def split_like_keras(x, y, test_split, seed):
    order = np.random.RandomState(seed).permutation(len(x))
    cut = int(len(x) * (1 - test_split))
    return (x[order][:cut], y[order][:cut]), (x[order][cut:], y[order][cut:])


def assert_splits_equal(got, expected):
    for got_pair, expected_pair in zip(got, expected):
        for a, b in zip(got_pair, expected_pair):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype


def test_boston_housing_shuffles_and_splits(make, publish, homes, rng):
    x, y = rng.normal(size=(21, 13)), rng.uniform(5, 50, 21)
    publish(boston_housing, "boston_housing.npz", make.npz_bytes(x=x, y=y))
    assert_splits_equal(boston_housing.load_data(), split_like_keras(x, y, 0.2, 113))
    result = boston_housing.load_data(test_split=0.5, seed=3)
    assert_splits_equal(result, split_like_keras(x, y, 0.5, 3))
    assert len(result[0][0]) == 10 and len(result[1][0]) == 11
    with pytest.raises(ValueError, match="test_split=1"):
        boston_housing.load_data(test_split=1)


def test_california_housing_versions(make, publish, homes, server, rng):
    x, y = rng.normal(size=(700, 8)).astype("float32"), rng.uniform(1e4, 5e5, 700).astype("float32")
    publish(california_housing, "california_housing.npz", make.npz_bytes(x=x, y=y))
    assert_splits_equal(california_housing.load_data(), split_like_keras(x, y, 0.2, 113))
    small = california_housing.load_data("small", test_split=0.1)
    assert_splits_equal(small, split_like_keras(x[:600], y[:600], 0.1, 113))
    assert small[0][0].shape == (540, 8) and small[1][1].shape == (60,)
    requests = len(server.requests)
    with pytest.raises(ValueError, match="version='tiny'"):
        california_housing.load_data("tiny")
    assert len(server.requests) == requests  # refused before any download


LOADERS = {
    "boston_housing": (boston_housing.load_data, "boston_housing.npz"),
    "california_housing": (california_housing.load_data, "california_housing.npz"),
    "imdb": (imdb.load_data, "imdb.npz"),
    "imdb word index": (imdb.get_word_index, "imdb_word_index.json"),
    "reuters": (reuters.load_data, "reuters.npz"),
    "reuters word index": (reuters.get_word_index, "reuters_word_index.json"),
    "fashion_mnist": (fashion_mnist.load_data, "fashion-mnist/train-labels-idx1-ubyte.gz"),
    "cifar10": (cifar10.load_data, "cifar-10-batches-py-target_archive"),
    "cifar100": (cifar100.load_data, "cifar-100-python-target_archive"),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_offline_without_a_cache_gives_one_clear_message(name, offline):
    load, cached_name = LOADERS[name]
    with pytest.raises(ConnectionError) as info:
        load()
    message = str(info.value)
    assert "Could not download" in message and "Connection refused" in message
    assert str(offline / "cornu" / "datasets" / cached_name) in message  # where to put the file
    assert "~/.keras/datasets" in message and "path=...)" in message and "CORNU_DATASETS_ORIGIN" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_the_origin_is_keras_and_a_mirror_replaces_the_folder(monkeypatch):
    monkeypatch.delenv("CORNU_DATASETS_ORIGIN", raising=False)
    assert cache.origin(imdb.URL) == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
    assert cache.origin(cifar10.URL) == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    monkeypatch.setenv("CORNU_DATASETS_ORIGIN", "https://mirror.example/keras/")
    assert cache.origin(cifar100.URL) == "https://mirror.example/keras/cifar-100-python.tar.gz"


def test_cornu_home_moves_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CORNU_HOME", str(tmp_path / "elsewhere"))
    assert cache.cache_dir() == tmp_path / "elsewhere" / "datasets"
