"""cifar10 and cifar100: Keras's shapes and layouts, caches (cornu's, Keras 3's, Keras 2's), local copies, safety."""

import os
import pickle

import numpy as np
import pytest

import cornu
from cornu.datasets import cifar10, cifar100
from cornu.datasets.cifar import load_batch


def expected_images(batches):
    """Channels-last images built pixel by pixel from CIFAR's row layout: 1024 red, then green, then blue values."""
    rows = np.concatenate([pickle.loads(b)[b"data"] for b in batches])
    images = np.zeros((len(rows), 32, 32, 3), np.uint8)
    for channel in range(3):
        images[..., channel] = rows[:, channel * 1024 : (channel + 1) * 1024].reshape(-1, 32, 32)
    return images


def labels_of(batches, key):
    return np.concatenate([pickle.loads(b)[key] for b in batches]).reshape(-1, 1)


@pytest.fixture
def cifar10_archive(make, publish, rng):
    members = make.cifar10_members(rng)
    publish(cifar10, "cifar-10-python.tar.gz", make.tar_gz(members))
    train = [members[f"cifar-10-batches-py/data_batch_{i}"] for i in range(1, 6)]
    return members, train, [members["cifar-10-batches-py/test_batch"]]


def check_cifar10(result, train, test):
    (x_train, y_train), (x_test, y_test) = result
    np.testing.assert_array_equal(x_train, expected_images(train))
    np.testing.assert_array_equal(x_test, expected_images(test))
    np.testing.assert_array_equal(y_train, labels_of(train, b"labels"))
    np.testing.assert_array_equal(y_test, labels_of(test, b"labels"))
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (20, 32, 32, 3),
        (20, 1),
        (3, 32, 32, 3),
        (3, 1),
    )
    assert {a.dtype.name for a in (x_train, y_train, x_test, y_test)} == {"uint8"}


def test_cifar10_downloads_extracts_and_reads_keras_layout(cifar10_archive, homes, server):
    _, train, test = cifar10_archive
    check_cifar10(cifar10.load_data(), train, test)
    cache = homes / "cornu" / "datasets"
    assert (cache / "cifar-10-batches-py-target_archive").is_file()
    assert (cache / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "data_batch_5").is_file()
    server.close()
    check_cifar10(cifar10.load_data(), train, test)  # cached: no network, no new extraction needed
    assert server.requests == [("cifar-10-python.tar.gz", None)]


def test_cifar10_channels_first(cifar10_archive, homes):
    _, train, _ = cifar10_archive
    cornu.backend.set_image_data_format("channels_first")
    try:
        (x_train, _), _ = cifar10.load_data()
    finally:
        cornu.backend.set_image_data_format("channels_last")
    np.testing.assert_array_equal(x_train, expected_images(train).transpose(0, 3, 1, 2))


def test_cifar10_local_archive_and_folders(cifar10_archive, make, homes, server):
    members, train, test = cifar10_archive
    archive = homes / "cifar-10-python.tar.gz"
    archive.write_bytes(server.files["cifar-10-python.tar.gz"])
    check_cifar10(cifar10.load_data(path=archive), train, test)
    folder = homes / "unpacked" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, data in members.items():
        (folder.parent / name).write_bytes(data)
    check_cifar10(cifar10.load_data(path=folder), train, test)
    check_cifar10(cifar10.load_data(path=folder.parent), train, test)
    assert server.requests == []
    with pytest.raises(FileNotFoundError, match="data_batch_1"):
        cifar10.load_data(path=homes / "unpacked" / "..")


def test_cifar10_keras_3_and_keras_2_caches_are_reused(cifar10_archive, homes, server):
    members, train, test = cifar10_archive
    keras = homes / "home" / ".keras" / "datasets"
    for name, data in members.items():  # Keras 2: the extracted folder beside the archive
        (keras / name).parent.mkdir(parents=True, exist_ok=True)
        (keras / name).write_bytes(data)
    check_cifar10(cifar10.load_data(), train, test)
    assert server.requests == []


def test_cifar10_keras_3_archive_is_reused(cifar10_archive, homes, server):
    _, train, test = cifar10_archive
    keras = homes / "home" / ".keras" / "datasets"
    keras.mkdir(parents=True)
    (keras / "cifar-10-batches-py-target_archive").write_bytes(server.files["cifar-10-python.tar.gz"])
    check_cifar10(cifar10.load_data(), train, test)
    assert server.requests == []


def test_cifar100_label_modes(make, publish, homes, rng):
    members = make.cifar100_members(rng)
    publish(cifar100, "cifar-100-python.tar.gz", make.tar_gz(members))
    train, test = [members["cifar-100-python/train"]], [members["cifar-100-python/test"]]
    (x_train, y_fine), (x_test, y_fine_test) = cifar100.load_data()
    (_, y_coarse), (_, y_coarse_test) = cifar100.load_data("coarse")
    np.testing.assert_array_equal(x_train, expected_images(train))
    np.testing.assert_array_equal(x_test, expected_images(test))
    np.testing.assert_array_equal(y_fine, labels_of(train, b"fine_labels"))
    np.testing.assert_array_equal(y_coarse_test, labels_of(test, b"coarse_labels"))
    assert y_fine.shape == (5, 1) and y_fine_test.shape == (2, 1) and y_fine.dtype == np.int64  # as Keras
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data("medium")


def test_a_malicious_batch_is_refused_and_never_runs(make, publish, homes, rng):
    marker = homes / "pwned"
    members = make.cifar10_members(rng)
    members["cifar-10-batches-py/data_batch_1"] = pickle.dumps({b"data": make.Evil(marker), b"labels": [1]})
    publish(cifar10, "cifar-10-python.tar.gz", make.tar_gz(members))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load `posix.system`"):
        cifar10.load_data()
    assert not marker.exists()
    assert os.path.exists(homes / "cornu" / "datasets" / "cifar-10-batches-py-target")


def test_load_batch_reads_python_2_style_pickles(tmp_path, rng):
    batch = {b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8), b"labels": [4, 2]}
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps(batch, protocol=2))  # protocol 2 stores bytes through _codecs.encode
    data, labels = load_batch(path)
    np.testing.assert_array_equal(data.reshape(2, 3072), batch[b"data"])
    assert labels == [4, 2]
