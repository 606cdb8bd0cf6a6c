"""`TextVectorization`: strings to token indices (or multi-hot, count, tf-idf vectors), on the host.

Use it at the data edge, before `fit` (strings never become tensors)::

    vectorizer = TextVectorization(max_tokens=20000, output_sequence_length=200)
    vectorizer.adapt(train_texts)                       # learns the vocabulary once
    model.fit(vectorizer(train_texts), y_train)         # the model starts at the Embedding
    model.predict(vectorizer(new_texts))
"""

import collections
import re

import numpy as np
import torch

from cornu.layers import symbolic
from cornu.layers.base import Layer
from cornu.layers.preprocessing.numerical import _is_text
from cornu.layers.preprocessing.text import StringLookup, _listify

__all__ = ["TextVectorization"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_PUNCTUATION = re.compile(r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']")  # Keras's strip_punctuation set


class TextVectorization(Layer):
    """Turns strings into token indices (or multi-hot, count, tf-idf vectors): standardize, split, n-grams, then a
    `StringLookup` with `""` as the mask token and `"[UNK]"` as the OOV token. Runs on the host (see the module
    docstring for use with `fit`).

    Args:
        max_tokens: Optional cap on the vocabulary (with the mask and OOV entries). Defaults to `None`.
        standardize: `None`, `"lower"`, `"strip_punctuation"`, `"lower_and_strip_punctuation"` or a callable
            (string -> string). Defaults to `"lower_and_strip_punctuation"`.
        split: `None`, `"whitespace"`, `"character"` or a callable (string -> list of tokens). Defaults to
            `"whitespace"`.
        ngrams: `None`, an integer `n` (1- to n-grams) or a tuple of widths. Defaults to `None`.
        output_mode: `"int"`, `"multi_hot"`, `"count"` or `"tf_idf"`. Defaults to `"int"`.
        output_sequence_length: Integer: int outputs are padded with 0 or cut to this length. Defaults to `None`
            (the longest text in the batch).
        pad_to_max_tokens: Whether vector outputs have `max_tokens` entries. Defaults to `False`.
        vocabulary: Optional list of tokens or a file path. Defaults to `None`.
        idf_weights: Optional weights for `"tf_idf"`. Defaults to `None`.
        sparse: Only `False` is supported. Defaults to `False`.
        ragged: Whether int outputs are a list of 1-D tensors of their own lengths. Defaults to `False`.
        encoding: Text encoding of bytes inputs. Defaults to `"utf-8"`.

    Input shape: `(batch,)` or `(batch, 1)` strings. Output shape: `(batch, length)` ints, or `(batch, tokens)`.

    Example:
    >>> layer = TextVectorization(output_sequence_length=4)
    >>> layer.adapt(["the cat sat", "the dog"])
    >>> layer.get_vocabulary()
    ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
    >>> layer(["The dog sat!", "a cat"]).tolist()
    [[2, 4, 3, 0], [1, 5, 0, 0]]
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):  # fmt: skip
        kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        if standardize not in (None, "lower", "strip_punctuation", "lower_and_strip_punctuation") and not callable(
            standardize
        ):
            raise ValueError(
                f"TextVectorization's standardize must be None, 'lower', 'strip_punctuation', "
                f"'lower_and_strip_punctuation' or a callable. Received: standardize={standardize!r}"
            )
        if split not in (None, "whitespace", "character") and not callable(split):
            raise ValueError(
                f"TextVectorization's split must be None, 'whitespace', 'character' or a callable. "
                f"Received: split={split!r}"
            )
        if output_mode not in ("int", "multi_hot", "count", "tf_idf"):
            raise ValueError(
                f"TextVectorization's output_mode must be 'int', 'multi_hot', 'count' or 'tf_idf'. "
                f"Received: output_mode={output_mode!r}"
            )
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(
                f"TextVectorization's output_sequence_length is only for output_mode='int'. Received: "
                f"output_mode={output_mode!r}"
            )
        if ragged and output_mode != "int":
            raise ValueError("TextVectorization(ragged=True) needs output_mode='int'.")
        if (
            ngrams is not None
            and not (isinstance(ngrams, int) and ngrams > 0)
            and not (isinstance(ngrams, (tuple, list)) and all(isinstance(n, int) and n > 0 for n in ngrams))
        ):
            raise ValueError(
                f"TextVectorization's ngrams must be None, a positive int or a tuple. Received: {ngrams!r}"
            )
        self.standardize, self.split, self.ngrams, self.output_mode = standardize, split, ngrams, output_mode
        self.output_sequence_length, self.ragged, self.encoding = output_sequence_length, bool(ragged), encoding
        self._widths = None if ngrams is None else (tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else
                                                    tuple(ngrams))  # fmt: skip
        self._lookup = StringLookup(
            max_tokens=max_tokens, num_oov_indices=1, mask_token="", oov_token="[UNK]", vocabulary=vocabulary,
            idf_weights=idf_weights, output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse,
            encoding=encoding, name=f"{self.name}_lookup",
        )  # fmt: skip
        self.built = True

    def _tokens(self, text):
        text = text.decode(self.encoding) if isinstance(text, bytes) else str(text)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.translate(_ASCII_LOWER)  # Keras's tf.strings.lower: ASCII letters only ("Über" stays)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = _PUNCTUATION.sub("", text)
        if callable(self.standardize):
            text = self.standardize(text)
        if self.split is None:
            tokens = [text]
        elif self.split == "whitespace":
            tokens = text.split()
        elif self.split == "character":
            tokens = list(text)
        else:
            tokens = list(self.split(text))
        if self._widths is None:
            return tokens
        return [" ".join(tokens[i : i + n]) for n in self._widths for i in range(len(tokens) - n + 1)]

    def _texts(self, inputs):
        array = np.asarray(inputs.tolist() if hasattr(inputs, "tolist") and not isinstance(inputs, np.ndarray)
                           else inputs, dtype=object)  # fmt: skip
        if array.ndim == 2 and array.shape[-1] == 1:
            array = array[:, 0]
        if array.ndim > 1:
            raise ValueError(
                f"TextVectorization takes one string per sample: shape (batch,) or (batch, 1). Received an array of "
                f"shape {array.shape}."
            )
        return [array.item()] if array.ndim == 0 else list(array)

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from texts: a list or array of strings, or an iterable of such batches."""
        lookup = self._lookup
        if lookup.input_vocabulary is not None:
            raise ValueError(f"Cannot adapt TextVectorization '{self.name}': it was given a vocabulary.")
        counts, documents, n_docs = collections.Counter(), collections.Counter(), 0
        batches = [data] if _is_text(data) else data
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            for text in self._texts(batch):
                tokens = self._tokens(text)
                counts.update(tokens)
                documents.update(set(tokens))
                n_docs += 1
        lookup._finish_adapt(counts, documents, n_docs)

    def __call__(self, inputs, *args, **kwargs):
        if symbolic.any_symbolic(inputs):  # Input(shape=(1,), dtype="string") in a Functional model
            return symbolic.call_symbolic_on_text(self, inputs)
        return self.call(inputs)  # strings stay on the host

    def call(self, inputs):
        rows = [self._tokens(t) for t in self._texts(inputs)]
        lookup = self._lookup
        if self.output_mode != "int":
            width = max((len(r) for r in rows), default=0)
            padded = np.full((len(rows), max(width, 1)), "", dtype=object)
            for i, row in enumerate(rows):
                padded[i, : len(row)] = row
            return lookup.call(padded)
        if self.ragged:
            return [lookup.call(np.asarray(r, dtype=object).reshape(-1)) for r in rows]
        length = self.output_sequence_length or max((len(r) for r in rows), default=0)
        out = np.zeros((len(rows), length), dtype="int64")
        for i, row in enumerate(rows):
            row = row[:length]
            if row:
                out[i, : len(row)] = lookup.call(np.asarray(row, dtype=object)).numpy()
        return torch.as_tensor(out)

    def save_assets(self, dir_path):
        self._lookup.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup.load_assets(dir_path)

    def save_own_variables(self, store):
        self._lookup.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup.load_own_variables(store)

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order: `""` (int mode), `"[UNK]"`, then the tokens."""
        return self._lookup.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup.set_vocabulary(vocabulary, idf_weights)

    def vocabulary_size(self):
        return self._lookup.vocabulary_size()

    def get_config(self):
        lookup = self._lookup
        return {
            **super().get_config(),
            "max_tokens": lookup.max_tokens,
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": lookup.sparse,
            "ragged": self.ragged,
            "vocabulary": _listify(lookup.input_vocabulary),
            "idf_weights": _listify(lookup.input_idf_weights),
            "encoding": self.encoding,
            "vocabulary_size": self.vocabulary_size(),
        }
