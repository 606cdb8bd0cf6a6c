"""Arrays on disk (memmaps, h5py datasets) train, evaluate and predict batch by batch, exactly like in memory."""

import h5py
import numpy as np
import pytest
import torch

import cornu
from cornu.trainers.data import ArrayData, make_data, split_validation
from cornu.trainers.out_of_core import OutOfCoreArray, is_out_of_core, prefetched


@pytest.fixture
def on_disk(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    np.save(tmp_path / "x.npy", x)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["x"], f["y"] = x, y
    h5 = h5py.File(tmp_path / "d.h5", "r")
    yield x, y, np.load(tmp_path / "x.npy", mmap_mode="r"), h5
    h5.close()


def _fit_predict(x, y):
    cornu.backend.set_random_seed(3)
    model = cornu.Sequential([cornu.layers.Dense(5, activation="relu", input_shape=(6,)), cornu.layers.Dense(2)])
    model.compile("adam", cornu.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=2, validation_split=0.25, shuffle=True, verbose=0)
    return history.history, model.predict(x, batch_size=64, verbose=0), model.evaluate(x, y, verbose=0)


def test_memmap_and_h5py_train_exactly_like_memory(on_disk):
    x, y, memmap, h5 = on_disk
    in_memory = _fit_predict(x, y)
    for source in (_fit_predict(memmap, y), _fit_predict(h5["x"], h5["y"])):
        assert source[0] == in_memory[0]
        np.testing.assert_array_equal(source[1], in_memory[1])
        assert source[2] == in_memory[2]


def test_batch_shuffled_h5py_rows_are_read_as_slices_and_train_like_memory(on_disk, monkeypatch):
    x, y, _, h5 = on_disk
    keys, original = [], h5py.Dataset.__getitem__

    def recording(dataset, key, *args):  # h5py datasets remember how they were indexed
        keys.append(key)
        return original(dataset, key, *args)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", recording)
    view = OutOfCoreArray(h5["x"])[100:200]
    np.testing.assert_array_equal(view.take(torch.arange(40, 72).flip(0)).numpy(), x[140:172][::-1])
    assert keys == [slice(140, 172)]  # consecutive rows: one slice, not a list of 32 indices

    def fit(features, shuffle):
        cornu.backend.set_random_seed(5)
        model = cornu.Sequential([cornu.layers.Dense(3, activation="relu", input_shape=(6,)), cornu.layers.Dense(2)])
        model.compile("adam", cornu.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model.fit(features, y, batch_size=32, epochs=2, shuffle=shuffle, verbose=0).history["loss"]

    keys.clear()
    assert fit(h5["x"], "batch") == fit(x, "batch")
    batches = [key for key in keys if not isinstance(key, str)]  # h5["x"] itself is looked up by name
    assert len(batches) >= 20 and all(isinstance(key, slice) for key in batches)  # every batch one slice


def test_on_disk_arrays_are_wrapped_not_read(on_disk):
    _, y, memmap, h5 = on_disk
    data = ArrayData(memmap, y, batch_size=100)
    assert isinstance(data.x, OutOfCoreArray) and data.on_disk and data.steps == 3
    assert isinstance(ArrayData(h5["x"], h5["y"]).y, OutOfCoreArray)
    # validation_split slices lazily: no rows are read until a batch asks for them
    (x_train, _, _), (x_val, _, _) = split_validation(h5["x"], h5["y"], None, 0.1)
    assert isinstance(x_train, OutOfCoreArray) and (x_train.shape, x_val.shape) == ((270, 6), (30, 6))
    assert (x_val.start, x_val.stop) == (270, 300)


def test_take_keeps_the_requested_order_and_offsets(on_disk):
    x, _, _, h5 = on_disk
    view = OutOfCoreArray(h5["x"])[100:200]
    index = torch.tensor([7, 3, 99, 0])
    np.testing.assert_array_equal(view.take(index).numpy(), x[100:200][[7, 3, 99, 0]])
    np.testing.assert_array_equal(view.read(5, 9).numpy(), x[105:109])
    with pytest.raises(TypeError, match="contiguous row ranges"):
        view[::2]


def test_integer_memmap_converts_per_batch(tmp_path):
    pixels = np.arange(40, dtype=np.uint8).reshape(10, 4)
    np.save(tmp_path / "p.npy", pixels)
    data = ArrayData(np.load(tmp_path / "p.npy", mmap_mode="r"), batch_size=4)
    batches = [x for x, _, _ in data.epoch()]
    assert [b.dtype for b in batches] == [torch.uint8] * 3  # integers stay integers, as in memory
    assert is_out_of_core(np.load(tmp_path / "p.npy", mmap_mode="r")) and not is_out_of_core(pixels)


def test_prefetch_raises_reader_errors_in_order_and_stops_early():
    def broken():
        yield 1
        raise OSError("disk gone")

    reader = prefetched(broken())
    assert next(reader) == 1
    with pytest.raises(OSError, match="disk gone"):
        next(reader)
    endless = prefetched(iter(range(10**9)), depth=2)
    assert [next(endless) for _ in range(3)] == [0, 1, 2]
    endless.close()  # must not hang


def test_torch_dataset_is_batched_with_the_fit_batch_size():
    x = torch.arange(20.0).reshape(10, 2)
    dataset = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    data = make_data(dataset, batch_size=4)
    assert [tuple(b[0].shape) for b in data.epoch()] == [(4, 2), (4, 2), (2, 2)]
    model = cornu.Sequential([cornu.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer=cornu.optimizers.SGD(0.001), loss="mse")
    model.set_weights([np.ones((2, 1), "float32"), np.zeros(1, "float32")])
    assert model.evaluate(dataset, verbose=0) == pytest.approx(0.0)  # the exact map: sum of the two features
    history = model.fit(dataset, batch_size=5, epochs=1, shuffle=True, verbose=0)
    assert history.history["loss"] == [pytest.approx(0.0)]
