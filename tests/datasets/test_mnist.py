"""mnist and fashion_mnist: download, caches, local copies, the offline sample, corruption."""

import warnings

import numpy as np
import pytest

from cornu.datasets import fashion_mnist, mnist


def assert_same(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, key in zip((x_train, y_train, x_test, y_test), ("x_train", "y_train", "x_test", "y_test")):
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == arrays[key].dtype


@pytest.fixture
def mnist_file(make, publish, rng):
    arrays = make.mnist_arrays(rng)
    data = publish(mnist, "mnist.npz", make.npz_bytes(**arrays))
    return arrays, data


def test_mnist_downloads_checks_and_caches(mnist_file, homes, server):
    arrays, data = mnist_file
    assert_same(mnist.load_data(), arrays)
    assert (homes / "cornu" / "datasets" / "mnist.npz").read_bytes() == data
    assert server.requests == [("mnist.npz", None)]


def test_mnist_cached_copy_is_used_without_network(mnist_file, homes, server, monkeypatch):
    arrays, _ = mnist_file
    mnist.load_data()
    server.close()  # nothing answers now
    assert_same(mnist.load_data(), arrays)
    assert len(server.requests) == 1


def test_mnist_copy_in_keras_cache_is_used(mnist_file, homes, server):
    arrays, data = mnist_file
    keras_copy = homes / "home" / ".keras" / "datasets" / "mnist.npz"
    keras_copy.parent.mkdir(parents=True)
    keras_copy.write_bytes(data)
    assert_same(mnist.load_data(), arrays)
    assert server.requests == []
    assert not (homes / "cornu" / "datasets" / "mnist.npz").exists()


def test_mnist_path_reads_a_local_copy_without_hash_check(make, homes, server, rng):
    arrays = make.mnist_arrays(rng, train=2, test=1)  # a re-saved copy, not byte-identical to Keras's file
    path = homes / "elsewhere" / "my_mnist.npz"
    path.parent.mkdir()
    np.savez_compressed(path, **arrays)
    assert_same(mnist.load_data(path), arrays)
    assert server.requests == []
    with pytest.raises(FileNotFoundError, match="No file at path="):
        mnist.load_data(homes / "missing" / "mnist.npz")


def test_mnist_offline_without_copy_uses_the_shipped_sample_with_a_warning(offline, monkeypatch):
    monkeypatch.setattr(mnist, "_warned", [])
    with pytest.warns(UserWarning, match="10,000-image sample") as caught:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert "Could not download" in str(caught[0].message)
    assert x_train.shape == (10000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert np.bincount(y_train).tolist() == [1000] * 10 and np.bincount(y_test).tolist() == [200] * 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per process
        mnist.load_data()


def test_mnist_corrupted_download_raises_instead_of_falling_back(mnist_file, homes, server):
    server.files["mnist.npz"] = b"not the file"
    with pytest.raises(ValueError, match="corrupted"):
        mnist.load_data()
    assert not (homes / "cornu" / "datasets" / "mnist.npz").exists()


# ---------------------------------------------------------------------------------------------- fashion_mnist
@pytest.fixture
def fashion_files(make, server, monkeypatch, rng):
    arrays = make.mnist_arrays(rng, train=5, test=2)
    contents = {
        "train-labels-idx1-ubyte.gz": make.idx_gz(arrays["y_train"]),
        "train-images-idx3-ubyte.gz": make.idx_gz(arrays["x_train"]),
        "t10k-labels-idx1-ubyte.gz": make.idx_gz(arrays["y_test"]),
        "t10k-images-idx3-ubyte.gz": make.idx_gz(arrays["x_test"]),
    }
    server.files.update(contents)
    monkeypatch.setattr(fashion_mnist, "FILES", {name: make.md5(data) for name, data in contents.items()})
    return arrays, contents


def test_fashion_mnist_downloads_the_four_idx_files(fashion_files, homes, server):
    arrays, contents = fashion_files
    result = fashion_mnist.load_data()
    assert_same(result, arrays)
    assert result[0][0].flags.writeable
    folder = homes / "cornu" / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".gz") == sorted(contents)
    assert sorted(name for name, _ in server.requests) == sorted(contents)


def test_fashion_mnist_keras_cache_and_local_copies(fashion_files, homes, server):
    arrays, contents = fashion_files
    keras_folder = homes / "home" / ".keras" / "datasets" / "fashion-mnist"
    keras_folder.mkdir(parents=True)
    for name, data in contents.items():
        (keras_folder / name).write_bytes(data)
    assert_same(fashion_mnist.load_data(), arrays)
    assert_same(fashion_mnist.load_data(path=keras_folder), arrays)  # a folder of the four files
    npz = homes / "fashion_mnist.npz"
    np.savez(npz, **arrays)
    assert_same(fashion_mnist.load_data(path=npz), arrays)  # Keras's MNIST layout, as /work/shared has it
    assert server.requests == []


def test_fashion_mnist_wrong_file_is_refused(fashion_files, homes, server):
    server.files["train-labels-idx1-ubyte.gz"] = b"tampered"
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz"):
        fashion_mnist.load_data()
