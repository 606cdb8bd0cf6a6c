"""PyDataset/Sequence: batches by index, in order, with threads or processes preparing them."""

import threading

import numpy as np
import pytest

import cornu
from cornu.utils.py_dataset import PyDataset, Sequence, batches_in_order


class Ramp(PyDataset):
    """Batch i holds the samples 4i..4i+3; y = 2x + 1. Records which thread built each batch."""

    def __init__(self, batches=5, **kwargs):
        super().__init__(**kwargs)
        self.batches, self.threads, self.epochs_ended = batches, set(), 0

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        self.threads.add(threading.get_ident())
        x = np.arange(4 * index, 4 * index + 4, dtype="float32").reshape(4, 1)
        return x, 2 * x + 1

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_sequence_is_pydataset_and_bad_arguments_are_named():
    assert Sequence is PyDataset
    with pytest.raises(ValueError, match="workers"):
        Ramp(workers=0)
    with pytest.raises(ValueError, match="max_queue_size"):
        Ramp(max_queue_size=0)


@pytest.mark.parametrize("workers, processes", [(1, False), (3, False), (2, True)])
def test_batches_arrive_in_order_whatever_the_workers(workers, processes):
    dataset = Ramp(workers=workers, use_multiprocessing=processes, max_queue_size=2)
    order = [4, 0, 3, 1, 2]
    batches = list(batches_in_order(dataset, order))
    assert [int(x[0, 0]) for x, _ in batches] == [16, 0, 12, 4, 8]
    if workers > 1 and not processes:
        assert threading.get_ident() not in dataset.threads


def _trained(data, **fit_args):
    cornu.backend.set_random_seed(0)
    model = cornu.Sequential([cornu.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer=cornu.optimizers.Adam(0.1), loss="mse")
    model.fit(data, epochs=5, shuffle=False, verbose=0, **fit_args)
    return model


@pytest.mark.parametrize("workers", [1, 2])
def test_fit_on_a_pydataset_equals_fit_on_the_same_arrays(workers):
    dataset = Ramp(workers=workers)
    model = _trained(dataset)
    assert dataset.epochs_ended == 5
    x = np.arange(20, dtype="float32").reshape(20, 1)
    reference = _trained(x, y=2 * x + 1, batch_size=4)
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(model.predict(dataset, verbose=0), reference.predict(x, verbose=0))


def test_subclass_that_forgets_super_init_still_works():
    class Bare(PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return np.full((1, 1), index, "float32")

    assert (Bare().workers, Bare().max_queue_size, Bare().num_batches) == (1, 10, 2)
    assert [int(b[0, 0]) for b in Bare()] == [0, 1]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_len_that_counts_samples_instead_of_batches_is_explained(workers):
    class Overcounting(PyDataset):
        def __init__(self):
            super().__init__(workers=workers)
            self.x = np.arange(8, dtype="float32").reshape(8, 1)

        def __len__(self):
            return len(self.x)  # the mistake: samples, not batches of 4

        def __getitem__(self, index):
            if index >= 2:
                raise IndexError("list index out of range")
            batch = self.x[4 * index : 4 * index + 4]
            return batch, batch

    model = cornu.Sequential([cornu.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(IndexError, match=r"__len__\(\) = 8.*number of batches"):
        model.fit(Overcounting(), epochs=1, verbose=0)
