"""What IMDB and Reuters share: shuffling with Keras's seed, shifting word indices, dropping long or rare words.

Both store each text as a list of word ranks (1 = the most frequent word). Keras reorders them with
`np.random.RandomState(seed)` and rewrites them in pure Python; the same steps in the same order here give the same
arrays for the same arguments. Two Keras behaviours kept on purpose: `maxlen` keeps sequences *shorter* than
`maxlen` (one of exactly `maxlen` words is dropped), and with `num_words=None` the largest index becomes `oov_char`
(the bound is exclusive).
"""

import warnings

import numpy as np

__all__ = ["shuffled", "shift", "drop_long", "limit_vocabulary", "legacy_num_words"]


def shuffled(rng, *arrays):
    """`arrays` (of one length) reordered by one permutation drawn from `rng`, as Keras draws it.

    Example:
    >>> x, y = shuffled(np.random.RandomState(113), np.arange(4), np.arange(4) * 10)
    >>> (x * 10 == y).all()
    np.True_
    """
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return tuple(array[indices] for array in arrays)


def shift(xs, start_char, index_from):
    """Each sequence as a list, with `index_from` added to every index and `start_char` put first (if not None).

    Example:
    >>> shift([[1, 5]], start_char=1, index_from=3)
    [[1, 4, 8]]
    """
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def drop_long(maxlen, xs, labels):
    """The sequences shorter than `maxlen` words, and their labels (lists).

    Example:
    >>> drop_long(3, [[1, 2], [1, 2, 3]], [0, 1])
    ([[1, 2]], [0])
    """
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Indices outside `[skip_top, num_words)` replaced by `oov_char`, or removed when it is None.

    `num_words=None` (or 0) means the largest index in `xs`, which is itself excluded, as in Keras.

    Example:
    >>> limit_vocabulary([[1, 4, 9]], num_words=5, skip_top=2, oov_char=2)
    [[2, 4, 2]]
    """
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def legacy_num_words(function, num_words, kwargs):
    """`num_words`, taking Keras 1's `nb_words` from `kwargs` (with a DeprecationWarning); other keywords raise.

    Example:
    >>> legacy_num_words("load_data", 100, {})
    100
    """
    if "nb_words" in kwargs:
        warnings.warn(
            f"`nb_words` is the Keras 1 name of `num_words`; write {function}(num_words={kwargs['nb_words']!r}).",
            DeprecationWarning,
            stacklevel=3,
        )
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"{function}() got unexpected keyword argument(s) {sorted(kwargs)}.")
    return num_words
