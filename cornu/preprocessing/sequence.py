"""Keras 1/2's `keras.preprocessing.sequence`: `pad_sequences`, `TimeseriesGenerator`, `skipgrams`,
`make_sampling_table`."""

import json
import random

import numpy as np

from cornu.utils.py_dataset import PyDataset
from cornu.utils.sequence_utils import pad_sequences

__all__ = ["TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams"]


class TimeseriesGenerator(PyDataset):
    """Batches of past windows and the value that follows each: the Keras 2 way to frame a timeseries.

    Sample `row` (for rows from `start_index + length` to `end_index`, every `stride`) is
    `data[row - length:row:sampling_rate]` with target `targets[row]`: the window ends just before its target.

    Args:
        data: Array (or list) whose axis 0 is time.
        targets: The targets, as long as `data`.
        length: Timesteps each window looks back.
        sampling_rate: Steps between the timesteps of a window. Defaults to `1`.
        stride: Steps between successive windows. Defaults to `1`.
        start_index: First timestep that may begin a window. Defaults to `0`.
        end_index: Last timestep that may be a target. Defaults to `None` (`len(data) - 1`).
        shuffle: Draw each batch's rows at random (with `np.random`) instead of in order. Defaults to `False`.
        reverse: Give each window in reverse time order. Defaults to `False`.
        batch_size: Windows per batch. Defaults to `128`.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of `PyDataset`.

    Example:
    >>> gen = TimeseriesGenerator(np.arange(10), np.arange(10) * 10, length=3, batch_size=2)
    >>> x, y = gen[0]
    >>> len(gen), x.tolist(), y.tolist()
    (4, [[0, 1, 2], [1, 2, 3]], [30, 40])
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError(
                f"data and targets must have the same length. Received: len(data)={len(data)}, "
                f"len(targets)={len(targets)}"
            )
        self.data, self.targets, self.length = data, targets, length
        self.sampling_rate, self.stride = sampling_rate, stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(
                f"start_index + length = {self.start_index} > end_index = {self.end_index}: no timestep is left to be "
                f"a target. Use a shorter length or more data."
            )

    def __len__(self):
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length : row : self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        return (samples[:, ::-1, ...] if self.reverse else samples), targets

    def get_config(self):
        """The generator's arguments, with `data` and `targets` as JSON strings (as Keras stores them)."""

        def as_json(name, value):
            value = value.tolist() if isinstance(value, np.ndarray) else value
            try:
                return json.dumps(value)
            except TypeError as error:
                raise TypeError(f"{name} cannot be stored as JSON: {type(value).__name__}") from error

        return {
            "data": as_json("data", self.data),
            "targets": as_json("targets", self.targets),
            "length": self.length,
            "sampling_rate": self.sampling_rate,
            "stride": self.stride,
            "start_index": self.start_index,
            "end_index": self.end_index,
            "shuffle": self.shuffle,
            "reverse": self.reverse,
            "batch_size": self.batch_size,
        }

    def to_json(self, **kwargs):
        """The generator as a JSON string (`kwargs` go to `json.dumps`)."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def make_sampling_table(size, sampling_factor=1e-5):
    """Probabilities of keeping each word rank for `skipgrams`, assuming Zipf-distributed word frequencies:
    `min(1, sqrt(sampling_factor * f(rank)))` with `f(r) = r (ln r + 0.577) + 1/2 - 1/(12 r)` (rank 0 counts as 1).

    Example:
    >>> np.round(make_sampling_table(4), 5).tolist()
    [0.00315, 0.00315, 0.00548, 0.00742]
    """
    rank = np.arange(size)
    rank[0] = 1
    inverse_frequency = rank * (np.log(rank) + 0.577) + 0.5 - 1.0 / (12.0 * rank)
    scaled = sampling_factor * inverse_frequency
    return np.minimum(1.0, scaled / np.sqrt(scaled))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True, categorical=False,
              sampling_table=None, seed=None):  # fmt: skip
    """Word2vec training pairs from a sequence of word indices: `([word, context], 1)` for words within
    `window_size` of each other, plus `negative_samples` times as many `([word, random word], 0)` pairs.

    Index 0 is skipped (padding). Uses Python's `random` module, drawing in Keras's order, so a `random.seed(...)`
    before the call reproduces Keras's pairs.

    Args:
        sequence: List of word indices.
        vocabulary_size: Random words are drawn from `[1, vocabulary_size - 1]`.
        window_size: How far a context word may be. Defaults to `4`.
        negative_samples: Ratio of negative to positive pairs. Defaults to `1.0`.
        shuffle: Whether to shuffle the pairs. Defaults to `True`.
        categorical: Labels as `[0, 1]` / `[1, 0]` instead of `1` / `0`. Defaults to `False`.
        sampling_table: Keep probability per word index (see `make_sampling_table`). Defaults to `None`.
        seed: Seed of the final shuffle. Defaults to `None`.

    Returns:
        `(couples, labels)`, two lists.

    Example:
    >>> skipgrams([1, 2, 3], 4, window_size=1, negative_samples=0, shuffle=False)
    ([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])
    """
    couples, labels = [], []
    for i, word in enumerate(sequence):
        if not word or (sampling_table is not None and sampling_table[word] < random.random()):
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([word, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [pair[0] for pair in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)] for i in range(count)]
        labels += [[1, 0] if categorical else 0] * count
    if shuffle:
        seed = random.randint(0, 10e6) if seed is None else seed
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels
