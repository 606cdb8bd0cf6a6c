"""`PyDataset` (alias `Sequence`): a dataset written in Python that hands out whole batches by index.

`fit` reads a `PyDataset` in a fixed (or, with `shuffle=True`, shuffled) order of batch indices. With
`workers > 1` several batches are prepared at once, in threads, or in processes with `use_multiprocessing=True`
(for Python-heavy work such as decoding images), and still arrive in order, at most `max_queue_size` ahead.
"""

import concurrent.futures
import multiprocessing

__all__ = ["PyDataset", "Sequence", "batches_in_order"]


class PyDataset:
    """Base class for datasets that return batch `index` from `__getitem__` and the number of batches from `__len__`.

    Args:
        workers: How many batches to prepare at once. Defaults to `1` (in the training loop itself).
        use_multiprocessing: Prepare them in processes instead of threads (the dataset must be picklable).
            Defaults to `False`.
        max_queue_size: Most batches prepared ahead of the one being trained on. Defaults to `10`.

    Example:
    >>> class Squares(cornu.utils.PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, index):
    ...         x = np.arange(4.0).reshape(4, 1) + 4 * index
    ...         return x, x**2
    >>> model = cornu.Sequential([cornu.layers.Dense(1, input_shape=(1,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> len(model.fit(Squares(workers=2), epochs=2, verbose=0).history["loss"])
    2
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer. Received: workers={workers!r}")
        if not isinstance(max_queue_size, int) or max_queue_size < 1:
            raise ValueError(f"max_queue_size must be a positive integer. Received: max_queue_size={max_queue_size!r}")
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)  # subclasses that forget super().__init__() still work, serially

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index) returning one batch.")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__(self): the number of batches.")

    @property
    def num_batches(self):
        return len(self)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def on_epoch_begin(self):
        """Called by `fit` before each epoch."""

    def on_epoch_end(self):
        """Called by `fit` after each epoch (e.g. to reshuffle the samples behind the batches)."""


Sequence = PyDataset  # Keras 2's name; Keras 3 keeps both


def batches_in_order(dataset, indices):
    """Yields `dataset[i]` for each of `indices`, in order, prepared by the dataset's workers if it has several.

    >>> list(batches_in_order([10, 20, 30], [2, 0]))
    [30, 10]
    """
    try:
        yield from _in_order(dataset, indices)
    except IndexError as error:
        raise IndexError(
            f"{type(dataset).__name__}.__getitem__ raised IndexError ({error}) for a batch index below its "
            f"__len__() = {len(dataset)}. __len__ must return the number of batches (e.g. "
            f"math.ceil(len(self.x) / self.batch_size)), not the number of samples."
        ) from error


def _in_order(dataset, indices):
    workers = getattr(dataset, "workers", 1)
    if workers <= 1:
        yield from (dataset[i] for i in indices)
        return
    ahead = max(getattr(dataset, "max_queue_size", 10), workers)
    with _executor(dataset, workers) as pool:
        pending, indices = [], iter(indices)
        for index in indices:
            pending.append(_submit(pool, dataset, index))
            if len(pending) >= ahead:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def _executor(dataset, workers):
    if not getattr(dataset, "use_multiprocessing", False):
        return concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="cornu-pydataset")
    # Each process receives the dataset once, when it starts, rather than with every batch index.
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_adopt, initargs=(dataset,))


def _submit(pool, dataset, index):
    if isinstance(pool, concurrent.futures.ProcessPoolExecutor):
        return pool.submit(_item_of_adopted, index)
    return pool.submit(dataset.__getitem__, index)


_adopted = {}


def _adopt(dataset):
    _adopted["dataset"] = dataset


def _item_of_adopted(index):
    return _adopted["dataset"][index]
