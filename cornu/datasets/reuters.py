"""Reuters newswires: 11,228 short news texts labelled with one of 46 topics.

Each text is a list of word indices, words ranked by how often they occur; index 0 is padding, `start_char` (1)
marks the start, `oov_char` (2) a dropped word. Derived from the Reuters-21578 collection.
"""

import json

import numpy as np

from cornu.datasets import word_sequences as ws
from cornu.datasets.cache import ORIGIN, fetch, local_copy
from cornu.datasets.safe_pickle import load_npz

__all__ = ["load_data", "get_word_index", "get_label_names"]

URL = ORIGIN + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_URL = ORIGIN + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
# The topic of each label, in label order (the order Keras publishes).
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Loads Reuters as `(x_train, y_train), (x_test, y_test)`: object arrays of word-index lists, topic labels.

    The texts are shuffled with `seed`, then the last `test_split` of them is the test set. The file is taken from
    `path` if it names a local copy, else from `~/.cornu/datasets`, else from Keras's cache, else downloaded (and
    checked). Its object arrays are read without running code from the file.

    Args:
        path: A local copy of Keras's `reuters.npz`, or the file name in the cache. Defaults to `"reuters.npz"`.
        num_words: Keep the `num_words` most frequent words; rarer ones become `oov_char`. Defaults to `None`: all.
        skip_top: Also turn the `skip_top` most frequent words into `oov_char`. Defaults to `0`.
        maxlen: Keep only texts shorter than `maxlen` words. Defaults to `None`: all.
        test_split: Fraction of the texts kept for the test set. Defaults to `0.2`.
        seed: Seed of the shuffle. Defaults to `113`.
        start_char: Index put at the start of each text, or `None`. Defaults to `1`.
        oov_char: Index that replaces dropped words, or `None` to remove them. Defaults to `2`.
        index_from: Added to every word index, making room for the special indices. Defaults to `3`.
        **kwargs: Only Keras 1's `nb_words` (for `num_words`, with a DeprecationWarning).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` are object arrays of lists of ints, `y` int arrays of topics
        0..45 (names in `get_label_names()`).

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "reuters.npz"
    >>> x = np.empty(5, dtype=object)
    >>> x[:] = [[1, 2], [3], [4, 5, 6], [7], [8, 9]]
    >>> np.savez(path, x=x, y=np.array([3, 4, 3, 19, 1]))
    >>> (x_train, y_train), (x_test, y_test) = load_data(path)
    >>> len(x_train), len(x_test), sorted(y_train.tolist() + y_test.tolist())
    (4, 1, [1, 3, 3, 4, 19])
    """
    num_words = ws.legacy_num_words("reuters.load_data", num_words, kwargs)
    found = local_copy(path) or fetch(path, URL, FILE_HASH, load_hint="reuters.load_data(path=...)")
    arrays = load_npz(found)
    xs, labels = ws.shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = ws.shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = ws.drop_long(maxlen, xs, labels)
    xs = ws.limit_vocabulary(xs, num_words, skip_top, oov_char)
    split = int(len(xs) * (1 - test_split))
    x_train, y_train = np.array(xs[:split], dtype="object"), np.array(labels[:split])
    x_test, y_test = np.array(xs[split:], dtype="object"), np.array(labels[split:])
    return (x_train, y_train), (x_test, y_test)


def get_word_index(path="reuters_word_index.json"):
    """The dict from word to its frequency rank in Reuters (add `index_from`, 3, to match `load_data`'s indices).

    Args:
        path: A local copy of Keras's `reuters_word_index.json`, or the file name in the cache. Defaults to
            `"reuters_word_index.json"`.

    Returns:
        A dict from word (str) to rank (int, 1 = most frequent).

    Example:
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "reuters_word_index.json"
    >>> _ = path.write_text(json.dumps({"the": 1, "of": 2}))
    >>> get_word_index(path)["of"]
    2
    """
    found = local_copy(path) or fetch(path, WORD_INDEX_URL, WORD_INDEX_HASH, load_hint="get_word_index(path=...)")
    with open(found, encoding="utf-8") as handle:
        return json.load(handle)


def get_label_names():
    """The 46 topic names, at the positions of their labels.

    Returns:
        A tuple of 46 strings.

    Example:
    >>> names = get_label_names()
    >>> len(names), names[3], names[4]
    (46, 'earn', 'acq')
    """
    return LABEL_NAMES
