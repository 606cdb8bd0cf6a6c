"""The classic text preprocessing of Keras 1/2 (`keras.preprocessing.text`): `Tokenizer` and its helpers.

Keras 3 keeps these as deprecated legacy code (and recommends the `TextVectorization` layer); tutorials still use
them, so cornu keeps them with the same vocabulary order, indices and matrices.
"""

import collections
import hashlib
import json
import warnings

import numpy as np

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence", "tokenizer_from_json"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Splits a text into words: the characters of `filters` become separators, empty words are dropped.

    Args:
        input_text: The text.
        filters: Characters to remove (they split words). Defaults to punctuation, tabs and newlines.
        lower: Whether to lower-case the text first. Defaults to `True`.
        split: The word separator. Defaults to `" "`.

    Example:
    >>> text_to_word_sequence("Hello, World!  Again")
    ['hello', 'world', 'again']
    """
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """Each word of `text` as an index in `[1, n)`: `hash(word) % (n - 1) + 1` (0 is left for padding).

    Args:
        text: The text.
        n: Size of the hashing space.
        hash_function: A function from a string to an integer, or `"md5"` (stable across runs). Defaults to `None`
            (Python's `hash`, which differs between runs unless `PYTHONHASHSEED` is set).
        filters, lower, split: As in `text_to_word_sequence`.
        analyzer: A function from a text to its words, used instead of `text_to_word_sequence`. Defaults to `None`.

    Example:
    >>> hashing_trick("the cat the", 10, hash_function="md5")
    [6, 3, 6]
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":

        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)

    words = analyzer(text) if analyzer is not None else text_to_word_sequence(text, filters, lower, split)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """`hashing_trick` with Python's `hash`: word indices in `[1, n)` (not one-hot vectors, despite the name).

    Example:
    >>> words = one_hot("a b a", 50)
    >>> words[0] == words[2] and all(1 <= w < 50 for w in words)
    True
    """
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)  # fmt: skip


class Tokenizer:
    """Turns texts into sequences of word indices (or into count / tf-idf matrices) with a vocabulary it learns.

    Words are indexed by decreasing frequency from 1 (ties keep first-seen order); index 0 is never used (it is
    padding). With `oov_token`, index 1 is the out-of-vocabulary token.

    Args:
        num_words: Keep only words of index `< num_words` when converting. Defaults to `None` (all).
        filters: Characters removed from the texts. Defaults to punctuation, tabs and newlines.
        lower: Whether to lower-case the texts. Defaults to `True`.
        split: The word separator. Defaults to `" "`.
        char_level: Whether every character is a token. Defaults to `False`.
        oov_token: Token that stands for words outside the vocabulary. Defaults to `None` (they are dropped).
        analyzer: A function from a text to its tokens, replacing the default splitting. Defaults to `None`.

    Example:
    >>> tok = Tokenizer(num_words=3)
    >>> tok.fit_on_texts(["the cat sat", "the dog"])
    >>> tok.word_index
    {'the': 1, 'cat': 2, 'sat': 3, 'dog': 4}
    >>> tok.texts_to_sequences(["the dog sat on the cat"])
    [[1, 1, 2]]
    >>> tok.texts_to_matrix(["the the cat"], mode="count").tolist()
    [[0.0, 2.0, 1.0]]
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, **kwargs):  # fmt: skip
        if "nb_words" in kwargs:
            warnings.warn(f"`nb_words` is the Keras 1 name of `num_words`; write num_words={kwargs['nb_words']}.",
                          DeprecationWarning, stacklevel=2)  # fmt: skip
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments to Tokenizer: {sorted(kwargs)}")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.document_count = document_count
        self.word_counts = collections.OrderedDict()  # first-seen order breaks frequency ties
        self.word_docs = collections.defaultdict(int)
        self.index_docs = collections.defaultdict(int)
        self.word_index, self.index_word = {}, {}

    def fit_on_texts(self, texts):
        """Learns the vocabulary from `texts` (strings, or lists of tokens) and rebuilds `word_index`."""
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        by_count = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)  # stable sort
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [word for word, _ in by_count]
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Counts, for `tfidf` matrices, the documents each index appears in (when fitting on sequences)."""
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (unknown words dropped, or mapped to `oov_token`)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """`texts_to_sequences`, one text at a time."""
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            sequence = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is None or (self.num_words and index >= self.num_words):
                    index = oov_index
                if index is not None:
                    sequence.append(index)
            yield sequence

    def sequences_to_texts(self, sequences):
        """Each sequence of indices back to a space-separated text."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """`sequences_to_texts`, one sequence at a time."""
        oov_index = self.word_index.get(self.oov_token)
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is None or (self.num_words and index >= self.num_words):
                    word = None if oov_index is None else self.index_word[oov_index]
                if word is not None:
                    words.append(word)
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """`sequences_to_matrix(texts_to_sequences(texts), mode)`."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A `(len(sequences), num_words)` float64 matrix: per index, presence (`"binary"`), count (`"count"`),
        count / length (`"freq"`), or `(1 + log(count)) * log(1 + documents / (1 + documents with the index))`
        (`"tfidf"`)."""
        if mode not in MATRIX_MODES:
            raise ValueError(f"mode must be one of {MATRIX_MODES}. Received: mode={mode!r}")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError(
                "Tokenizer.sequences_to_matrix needs num_words=... or a vocabulary: call fit_on_texts first."
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError("mode='tfidf' needs document counts: call fit_on_texts (or fit_on_sequences) first.")
        matrix = np.zeros((len(sequences), width))
        for row, sequence in enumerate(sequences):
            counts = collections.Counter(index for index in sequence if index < width)
            for index, count in counts.items():
                matrix[row, index] = self._matrix_value(mode, count, len(sequence), index)
        return matrix

    def get_config(self):
        """The tokenizer's settings and learnt state (the dictionaries as JSON strings, as Keras stores them)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The tokenizer as a JSON string, for `tokenizer_from_json` (`kwargs` go to `json.dumps`)."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [token.lower() for token in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def _matrix_value(self, mode, count, length, index):
        if mode == "count":
            return count
        if mode == "freq":
            return count / length
        if mode == "binary":
            return 1
        return (1 + np.log(count)) * np.log(1 + self.document_count / (1 + self.index_docs.get(index, 0)))


def tokenizer_from_json(json_string):
    """A `Tokenizer` rebuilt from `Tokenizer.to_json()` (also reads files written by Keras).

    Example:
    >>> tok = Tokenizer()
    >>> tok.fit_on_texts(["a b b"])
    >>> tokenizer_from_json(tok.to_json()).word_index
    {'b': 1, 'a': 2}
    """
    config = dict(json.loads(json_string)["config"])
    state = {key: json.loads(config.pop(key)) for key in ("word_counts", "word_docs", "index_docs", "index_word",
                                                          "word_index")}  # fmt: skip
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts, tokenizer.word_docs, tokenizer.word_index = (
        state["word_counts"], state["word_docs"], state["word_index"])  # fmt: skip
    tokenizer.index_docs = {int(k): v for k, v in state["index_docs"].items()}
    tokenizer.index_word = {int(k): v for k, v in state["index_word"].items()}
    return tokenizer
