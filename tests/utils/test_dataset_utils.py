import numpy as np
import pytest
import torch

import cornu
from cornu.utils.dataset_utils import Dataset, split_dataset, timeseries_dataset_from_array
from cornu.utils.sequence_utils import pad_sequences


def _arrays_dataset(n=10, batch_size=4, **kwargs):
    x, y = np.arange(n * 2, dtype="float32").reshape(n, 2), np.arange(n)
    return Dataset(n, lambda idx: (x[idx], y[idx]), batch_size=batch_size, **kwargs)


def test_dataset_batches_and_last_partial_batch():
    ds = _arrays_dataset()
    assert len(ds) == 3
    assert [b[1].tolist() for b in ds] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert ds[-1][1].tolist() == [8, 9]
    with pytest.raises(IndexError, match="out of range"):
        ds[3]


def test_dataset_shuffle_is_seeded_and_redrawn_each_epoch():
    a, b = _arrays_dataset(shuffle=True, seed=3), _arrays_dataset(shuffle=True, seed=3)
    first = np.concatenate([y for _, y in a])
    assert first.tolist() == np.concatenate([y for _, y in b]).tolist()
    assert sorted(first.tolist()) == list(range(10)) and first.tolist() != list(range(10))
    a.on_epoch_end()
    second = np.concatenate([y for _, y in a])
    assert sorted(second.tolist()) == list(range(10)) and second.tolist() != first.tolist()


def test_dataset_chain_methods():
    ds = _arrays_dataset(batch_size=None)
    assert len(ds) == 10 and ds[3][1] == 3
    assert [y.tolist() for _, y in ds.batch(3, drop_remainder=True)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert [y for _, y in ds.skip(7)] == [7, 8, 9]
    assert [y.tolist() for _, y in ds.batch(4).take(1)] == [[0, 1, 2, 3]]
    doubled = ds.batch(5).map(lambda x, y: (x * 2, y))
    assert doubled[0][0][1].tolist() == [4.0, 6.0]
    assert ds.cache().prefetch(2) is ds and ds.cardinality() == 10
    assert sorted(int(y) for _, y in ds.shuffle(100, seed=1)) == list(range(10))
    with pytest.raises(ValueError, match=r"unbatch\(\)\.batch\(2\)"):
        ds.batch(4).batch(2)


def test_fit_accepts_a_dataset_and_reshuffles_each_epoch():
    x = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")[:, None]
    ds = Dataset(12, lambda idx: (x[idx], y[idx]), batch_size=4, shuffle=True, seed=0)
    orders = []
    original = ds.on_epoch_end
    ds.on_epoch_end = lambda: (orders.append(ds._order.copy()), original())
    model = cornu.models.Sequential([cornu.layers.Input((3,)), cornu.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="sgd")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and len(orders) == 2
    assert orders[0].tolist() != orders[1].tolist()
    assert model.predict(ds.take(1), verbose=0).shape == (4, 1)


def test_split_dataset_fraction_count_and_complement():
    left, right = split_dataset(np.arange(10), left_size=0.8)
    assert [int(v) for v in left] == list(range(8)) and [int(v) for v in right] == [8, 9]
    left, right = split_dataset((np.arange(10), np.arange(10) * 10), right_size=3)
    assert len(left) == 7 and right[0][0] == 7 and right[0][1] == 70
    left, right = split_dataset(np.arange(10), left_size=0.2, right_size=0.3)
    assert (len(left), len(right)) == (2, 3)
    assert left.batch(2)[0].tolist() == [0, 1]


def test_split_dataset_shuffle_uses_torch_randperm_with_the_seed():
    left, right = split_dataset(np.arange(10), left_size=6, shuffle=True, seed=7)
    order = torch.randperm(10, generator=torch.Generator().manual_seed(7)).tolist()
    assert [int(v) for v in left] == order[:6] and [int(v) for v in right] == order[6:]


def test_split_dataset_of_a_torch_dataset_gives_subsets():
    data = torch.utils.data.TensorDataset(torch.arange(5))
    left, right = split_dataset(data, left_size=2)
    assert isinstance(left, torch.utils.data.Subset) and [int(left[i][0]) for i in range(2)] == [0, 1]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "left_size or right_size"),
        ({"left_size": 1.5}, r"left_size must be a float in \(0, 1\)"),
        ({"left_size": 10}, r"integer in \[1, 9\]"),
        ({"left_size": 0.6, "right_size": 0.6}, "more than the dataset"),
        ({"left_size": "half"}, "must be an int"),
    ],
)
def test_split_dataset_bad_sizes(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        split_dataset(np.arange(10), **kwargs)


def test_split_dataset_refuses_batched_and_ragged_inputs():
    with pytest.raises(ValueError, match=r"split_dataset\(ds.unbatch\(\)"):
        split_dataset(_arrays_dataset(), left_size=0.5)
    with pytest.raises(ValueError, match="same length"):
        split_dataset((np.arange(3), np.arange(4)), left_size=1)


def _windows_reference(data, targets, length, stride, rate, start, stop):
    """Closed form: window k starts at start + k * stride and takes every rate-th step."""
    windows, window_targets = [], []
    s = start
    while s + (length - 1) * rate < stop and (targets is None or s - start < len(targets) - start):
        windows.append([data[s + i * rate] for i in range(length)])
        window_targets.append(None if targets is None else targets[s])
        s += stride
    return windows, window_targets


@pytest.mark.parametrize(
    "length, stride, rate, start, end", [(10, 3, 2, None, None), (4, 1, 1, 5, 40), (3, 5, 3, 2, 30)]
)
def test_timeseries_windows_match_the_closed_form(length, stride, rate, start, end):
    data, targets = np.arange(99), np.arange(99) * 10
    ds = timeseries_dataset_from_array(data, targets, length, stride, rate, batch_size=7, start_index=start,
                                       end_index=end)  # fmt: skip
    windows = np.concatenate([x for x, _ in ds]).tolist()
    got_targets = np.concatenate([y for _, y in ds]).tolist()
    ref_windows, ref_targets = _windows_reference(data, targets, length, stride, rate, start or 0, end or 99)
    assert windows == ref_windows and got_targets == ref_targets
    assert all(len(x) == 7 for x, _ in list(ds)[:-1])


def test_timeseries_keras_docstring_example_and_regression_targets():
    ds = timeseries_dataset_from_array(np.arange(99), None, 10, sequence_stride=3, sampling_rate=2, batch_size=None)
    assert ds[0].tolist() == list(range(0, 20, 2)) and ds[1].tolist() == list(range(3, 23, 2))
    assert ds[len(ds) - 1].tolist() == list(range(78, 98, 2))
    data = np.arange(30.0)
    x, y = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)[0]
    assert x[0].tolist() == data[:10].tolist() and y[0] == 10.0 and len(x) == 11


def test_timeseries_shuffle_yields_every_window_once_in_a_seeded_order():
    ds = timeseries_dataset_from_array(np.arange(20), None, 2, batch_size=None, shuffle=True, seed=5)
    again = timeseries_dataset_from_array(np.arange(20), None, 2, batch_size=None, shuffle=True, seed=5)
    starts = [int(ds[i][0]) for i in range(19)]
    assert sorted(starts) == list(range(19)) and starts != list(range(19))
    assert starts == [int(again[i][0]) for i in range(19)]
    assert all(ds[i][1] == ds[i][0] + 1 for i in range(19))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start_index": -1}, "start_index must be in"),
        ({"end_index": 50}, "end_index must be in"),
        ({"start_index": 5, "end_index": 3}, "greater than start_index"),
        ({"sampling_rate": 0}, "sampling_rate must be a positive integer"),
        ({"sequence_stride": 20}, "sequence_stride must be smaller"),
    ],
)
def test_timeseries_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        timeseries_dataset_from_array(np.arange(20), None, 3, **kwargs)


def test_pad_sequences_closed_forms():
    seqs = [[1, 2, 3, 4], [5], []]
    assert pad_sequences(seqs).tolist() == [[1, 2, 3, 4], [0, 0, 0, 5], [0, 0, 0, 0]]
    assert pad_sequences(seqs, maxlen=2).tolist() == [[3, 4], [0, 5], [0, 0]]
    assert pad_sequences(seqs, maxlen=2, truncating="post", padding="post").tolist() == [[1, 2], [5, 0], [0, 0]]
    assert pad_sequences([[1.5]], maxlen=2, dtype="float32", value=-1).tolist() == [[-1.0, 1.5]]
    assert pad_sequences([["a"], ["b", "c"]], dtype=object, value="").tolist() == [["", "a"], ["b", "c"]]
    assert pad_sequences([[[1, 2]], []], maxlen=2).shape == (2, 2, 2)


def test_pad_sequences_errors_name_the_fix():
    with pytest.raises(ValueError, match='padding must be "pre" or "post"'):
        pad_sequences([[1]], padding="left")
    with pytest.raises(ValueError, match=r"item 1 is a int .*Wrap single values"):
        pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="pass dtype=object"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="Sequence 1 has items of shape"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])
