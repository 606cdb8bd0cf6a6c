"""Data adapters: batching, shuffling, validation split, steps_per_epoch and generators."""

import numpy as np
import pytest
import torch

from cornu.trainers.data import ArrayData, EpochBatches, IterableData, make_data, split_validation


def _ids(batches):
    return [x[:, 0].tolist() for x, _, _ in batches]


def test_batches_in_order_with_a_partial_last_one():
    data = ArrayData(np.arange(7.0).reshape(7, 1), np.arange(7), batch_size=3)
    assert data.steps == 3 and data.num_samples == 7
    assert _ids(data.epoch()) == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0]]
    x, y, sw = next(data.epoch())
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and sw is None


def test_shuffle_visits_every_sample_once_and_keeps_pairs_together():
    x = np.arange(10.0).reshape(10, 1)
    data = ArrayData(x, x[:, 0] * 10, np.arange(10.0), batch_size=4)
    torch.manual_seed(0)
    seen = []
    for xb, yb, swb in data.epoch(shuffle=True):
        torch.testing.assert_close(yb, xb[:, 0] * 10)
        torch.testing.assert_close(swb, xb[:, 0])
        seen += xb[:, 0].tolist()
    assert sorted(seen) == list(range(10)) and seen != list(range(10))


def test_batch_shuffle_moves_whole_chunks_and_keeps_the_partial_one_last():
    data = ArrayData(np.arange(10.0).reshape(10, 1), batch_size=4)
    orders = set()
    for seed in range(8):
        torch.manual_seed(seed)
        chunks = _ids(data.epoch(shuffle="batch"))
        assert sorted(map(tuple, chunks)) == [(0.0, 1.0, 2.0, 3.0), (4.0, 5.0, 6.0, 7.0), (8.0, 9.0)]
        assert chunks[-1] == [8.0, 9.0]  # as Keras 2's batch_shuffle: every batch stays one chunk of rows
        orders.add(tuple(map(tuple, chunks)))
    assert len(orders) == 2  # both orders of the full chunks occur


def test_steps_limit_an_evaluation_pass():
    data = make_data(np.arange(10.0).reshape(10, 1), batch_size=3, steps=2)
    assert data.steps == 2 and _ids(data.epoch()) == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_validation_split_takes_the_last_fraction():
    x, y = np.arange(10).reshape(10, 1), np.arange(10)
    (x_train, y_train, sw), (x_val, y_val, sw_val) = split_validation(x, y, None, 0.2)
    assert x_train[:, 0].tolist() == list(range(8)) and y_val.tolist() == [8, 9]
    assert sw is None and sw_val is None
    (a, _, _), (b, _, _) = split_validation([x, x * 2], y, None, 0.5)
    assert b[1][:, 0].tolist() == [10, 12, 14, 16, 18]


def test_epoch_batches_spread_a_pass_over_epochs_like_keras():
    data = ArrayData(np.arange(5.0).reshape(5, 1), batch_size=2)  # 3 batches a pass
    batches = EpochBatches(data, shuffle=False, steps=2)
    assert _ids(batches.epoch()) == [[0.0, 1.0], [2.0, 3.0]]
    with pytest.warns(UserWarning, match="ran out of data"):
        assert _ids(batches.epoch()) == [[4.0]]
    assert _ids(batches.epoch()) == [[0.0, 1.0], [2.0, 3.0]]
    assert _ids(EpochBatches(data, shuffle=False).epoch()) == [[0.0, 1.0], [2.0, 3.0], [4.0]]


def test_peek_does_not_lose_a_generator_batch():
    source = ((np.full((2, 1), float(i)), np.zeros(2)) for i in range(3))
    data = IterableData(source)
    first = data.peek()
    assert first[0][0, 0].item() == 0.0
    assert [x[0, 0].item() for x, _, _ in data.epoch()] == [0.0, 1.0, 2.0]


def test_sequence_like_sources_are_indexed_and_shuffled():
    class Batches:
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return np.full((1, 1), float(index)), np.zeros(1)

    data = IterableData(Batches())
    assert data.steps == 4 and data.is_sequence
    assert [x.item() for x, _, _ in data.epoch()] == [0.0, 1.0, 2.0, 3.0]
    torch.manual_seed(1)
    shuffled = [x.item() for x, _, _ in data.epoch(shuffle=True)]
    assert sorted(shuffled) == [0.0, 1.0, 2.0, 3.0]


def test_object_arrays_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"dtype=object.*np.asarray\(rows, dtype='float32'\)"):
        ArrayData(np.array([[1.0], [1.0, 2.0]], dtype=object))
