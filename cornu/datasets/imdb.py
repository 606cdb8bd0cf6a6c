"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled by sentiment (1 positive, 0 negative).

Each review is a list of word indices, words ranked by how often they occur (so index 3 + `index_from` is the
third most frequent word). Index 0 is padding, `start_char` (1) marks the start, `oov_char` (2) a dropped word.
Source: Maas et al., "Learning Word Vectors for Sentiment Analysis", ACL 2011.
"""

import json

import numpy as np

from cornu.datasets import word_sequences as ws
from cornu.datasets.cache import ORIGIN, fetch, local_copy
from cornu.datasets.safe_pickle import load_npz

__all__ = ["load_data", "get_word_index"]

URL = ORIGIN + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_URL = ORIGIN + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Loads IMDB as `(x_train, y_train), (x_test, y_test)`: object arrays of word-index lists, and 0/1 labels.

    The file is taken from `path` if it names a local copy, else from `~/.cornu/datasets`, else from Keras's cache,
    else downloaded (and checked). Its object arrays are read without running code from the file.

    Args:
        path: A local copy of Keras's `imdb.npz`, or the file name in the cache. Defaults to `"imdb.npz"`.
        num_words: Keep the `num_words` most frequent words; rarer ones become `oov_char`. Defaults to `None`: all.
        skip_top: Also turn the `skip_top` most frequent words into `oov_char`. Defaults to `0`.
        maxlen: Keep only reviews shorter than `maxlen` words. Defaults to `None`: all.
        seed: Seed of the shuffle applied to each split. Defaults to `113`.
        start_char: Index put at the start of each review, or `None`. Defaults to `1`.
        oov_char: Index that replaces dropped words, or `None` to remove them. Defaults to `2`.
        index_from: Added to every word index, making room for the special indices. Defaults to `3`.
        **kwargs: Only Keras 1's `nb_words` (for `num_words`, with a DeprecationWarning).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` are object arrays of 25,000 lists of ints, `y` int arrays.

    Raises:
        ValueError: when `maxlen` leaves no review in a split.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "imdb.npz"
    >>> x = np.empty(2, dtype=object)
    >>> x[:] = [[1, 14, 22], [5, 2]]
    >>> np.savez(path, x_train=x, y_train=np.array([1, 0]), x_test=x, y_test=np.array([1, 0]))
    >>> (x_train, y_train), _ = load_data(path, num_words=10, seed=0)
    >>> x_train.tolist(), y_train.tolist()
    ([[1, 8, 5], [1, 4, 2, 2]], [0, 1])
    """
    num_words = ws.legacy_num_words("imdb.load_data", num_words, kwargs)
    found = local_copy(path) or fetch(path, URL, FILE_HASH, load_hint="imdb.load_data(path=...)")
    arrays = load_npz(found)
    rng = np.random.RandomState(seed)
    x_train, labels_train = ws.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = ws.shuffled(rng, arrays["x_test"], arrays["y_test"])
    x_train, x_test = ws.shift(x_train, start_char, index_from), ws.shift(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = ws.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = ws.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"No review is shorter than maxlen={maxlen}, so none is left. Pass a larger `maxlen`.")
    xs = ws.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    split = len(x_train)
    return (np.array(xs[:split], dtype="object"), labels[:split]), (
        np.array(xs[split:], dtype="object"),
        labels[split:],
    )


def get_word_index(path="imdb_word_index.json"):
    """The dict from word to its frequency rank in IMDB (add `index_from` to match `load_data`'s indices).

    Args:
        path: A local copy of Keras's `imdb_word_index.json`, or the file name in the cache. Defaults to
            `"imdb_word_index.json"`.

    Returns:
        A dict from word (str) to rank (int, 1 = most frequent).

    Example:
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "imdb_word_index.json"
    >>> _ = path.write_text(json.dumps({"the": 1, "and": 2}))
    >>> index = get_word_index(path)
    >>> {rank + 3: word for word, rank in index.items()}
    {4: 'the', 5: 'and'}
    """
    found = local_copy(path) or fetch(path, WORD_INDEX_URL, WORD_INDEX_HASH, load_hint="get_word_index(path=...)")
    with open(found, encoding="utf-8") as handle:
        return json.load(handle)
