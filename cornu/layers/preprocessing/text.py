"""Vocabulary layers: `StringLookup` and `IntegerLookup` (`TextVectorization`, built on `StringLookup`, is in
`text_vectorization.py`).

Strings never become tensors: `StringLookup` and `TextVectorization` take NumPy arrays or lists of `str` and run on
the host, at the data edge, returning integer (or float) tensors. Use them before `fit`, not inside the model::

    vectorizer = TextVectorization(max_tokens=20000, output_sequence_length=200)
    vectorizer.adapt(train_texts)                       # learns the vocabulary once
    model.fit(vectorizer(train_texts), y_train)         # the model starts at the Embedding
    model.predict(vectorizer(new_texts))

`IntegerLookup` works on integer tensors on their device, so it can also sit inside a model.

The vocabulary `adapt` learns follows Keras: the most frequent tokens first, ties broken by the larger token
(Keras sorts by (count, token) and reverses), after the mask and OOV entries. Index layout in `"int"` mode:
`[mask_token (if any), OOV indices..., vocabulary...]`; the other modes have no mask index.
"""

import collections
import os
import zlib

import numpy as np
import torch

from cornu import backend
from cornu.layers import symbolic
from cornu.layers.base import Layer
from cornu.layers.preprocessing.numerical import _refuse_sparse, encode_categorical

__all__ = ["StringLookup", "IntegerLookup"]

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class _IndexLookup(Layer):
    """Maps tokens to indices through a vocabulary (given or learned by `adapt`); shared by the lookup layers."""

    _kind = "token"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                 output_mode, pad_to_max_tokens, sparse, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        name = type(self).__name__
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"{name}'s output_mode must be one of {_OUTPUT_MODES}. Received: output_mode={output_mode!r}"
            )
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{name}'s max_tokens must be greater than 1 (or None). Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"{name}'s num_oov_indices must be >= 0. Received: num_oov_indices={num_oov_indices}")
        if invert and output_mode != "int":
            raise ValueError(f"{name}(invert=True) needs output_mode='int'. Received: output_mode={output_mode!r}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{name}(pad_to_max_tokens=True) needs max_tokens. Received: max_tokens=None")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{name}'s idf_weights are used only with output_mode='tf_idf'. Received: output_mode={output_mode!r}"
            )
        _refuse_sparse(self, sparse)
        self.max_tokens, self.num_oov_indices, self.invert = max_tokens, num_oov_indices, bool(invert)
        self.mask_token, self.oov_token, self.output_mode = mask_token, oov_token, output_mode
        self.pad_to_max_tokens, self.sparse = bool(pad_to_max_tokens), sparse
        self.input_vocabulary, self.input_idf_weights = vocabulary, idf_weights
        self.supports_masking = False
        self.built = True
        self._vocab, self._idf, self._special_idf = [], None, None
        self._index_tables()  # an empty vocabulary until one is set or learned: everything is OOV
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ vocabulary
    def _oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def vocabulary_size(self):
        """The number of indices, including the mask and OOV ones."""
        return len(self._vocab) + self._token_start()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary as a list, in index order (with the mask and OOV tokens unless told otherwise)."""
        if not include_special_tokens:
            return list(self._vocab)
        specials = [self.mask_token] if self._oov_start() else []
        return specials + [self.oov_token] * self.num_oov_indices + list(self._vocab)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (a list, array or a text file with one token a line) and, for tf_idf, the weights."""
        name = type(self).__name__
        if isinstance(vocabulary, str) and os.path.isfile(vocabulary):
            with open(vocabulary, encoding="utf-8") as handle:
                vocabulary = [self._parse(line.rstrip("\n")) for line in handle]
        tokens = [self._parse(t) for t in (vocabulary.tolist() if hasattr(vocabulary, "tolist") else vocabulary)]
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{name} with output_mode='tf_idf' needs idf_weights with the vocabulary.")
        specials = self.get_vocabulary()[: self._token_start()]
        special_idf = None
        if tokens[: len(specials)] == specials and specials:
            tokens = tokens[len(specials) :]  # a vocabulary saved by get_vocabulary() comes back as it was
            if idf_weights is not None and len(idf_weights) == len(tokens) + len(specials):
                special_idf = np.asarray(idf_weights, dtype="float64")[: len(specials)]  # the OOV entries' own
                idf_weights = list(idf_weights)[len(specials) :]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{name}'s vocabulary must not repeat tokens. Repeated: {repeated[:5]}")
        for special in (self.mask_token, self.oov_token):
            if special is not None and special in tokens:
                raise ValueError(
                    f"{name}'s vocabulary contains the special token {special!r} among the ordinary ones. Remove it "
                    f"(the layer adds mask and OOV tokens itself)."
                )
        if self.max_tokens is not None and len(tokens) + self._token_start() > self.max_tokens:
            raise ValueError(
                f"{name} was given {len(tokens) + self._token_start()} tokens (with the special ones), more than "
                f"max_tokens={self.max_tokens}."
            )
        if idf_weights is not None and len(idf_weights) != len(tokens):
            raise ValueError(
                f"{name}'s idf_weights must have one weight per vocabulary token ({len(tokens)}). "
                f"Received {len(idf_weights)}."
            )
        self._vocab = tokens
        self._idf = None if idf_weights is None else np.asarray(idf_weights, dtype="float64")
        self._special_idf = special_idf
        self._index_tables()

    def adapt(self, data, steps=None):
        """Learns the vocabulary (and the document frequencies for tf_idf) from `data`: an array, a list of
        tokens, or an iterable of batches."""
        if self.input_vocabulary is not None:
            raise ValueError(
                f"Cannot adapt {type(self).__name__} '{self.name}': it was given a vocabulary. Create it without "
                f"vocabulary= to learn one."
            )
        counts, documents, n_docs = collections.Counter(), collections.Counter(), 0
        for i, batch in enumerate(_batches(data)):
            if steps is not None and i >= steps:
                break
            rows = self._documents(batch)
            for row in rows:
                counts.update(row)
                documents.update(set(row))
            n_docs += len(rows)
        self._finish_adapt(counts, documents, n_docs)

    def _finish_adapt(self, counts, documents, n_docs):
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        ranked = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - self._token_start()]
        self._vocab = ranked
        self._idf = self._special_idf = None
        if self.output_mode == "tf_idf":
            self._idf = np.log(1 + n_docs / (1 + np.asarray([documents[t] for t in ranked], dtype="float64")))
        self._index_tables()

    # ------------------------------------------------------------------ saving (Keras's hooks and file names)
    def save_assets(self, dir_path):
        """Writes a learned vocabulary to `dir_path/vocabulary.txt`, one token a line (special tokens first)."""
        if self.input_vocabulary is None:
            with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as handle:
                handle.write("\n".join(str(token) for token in self.get_vocabulary()))

    def load_assets(self, dir_path):
        """Reads the vocabulary `save_assets` wrote (Keras writes the same file)."""
        if self.input_vocabulary is None:
            with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
            while lines and lines[-1] == "":
                lines.pop()
            idf = self._full_idf() if self.output_mode == "tf_idf" else None
            self.set_vocabulary([self._parse(line) for line in lines], idf_weights=idf)

    def save_own_variables(self, store):
        """tf_idf layers store their idf weights (one per index) as Keras does, under `"idf_weights"`."""
        if self.output_mode == "tf_idf" and self._idf is not None:
            store["idf_weights"] = self._full_idf()

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self._stored_idf = np.asarray(store["idf_weights"], dtype="float64")
            if len(self._stored_idf) == self.vocabulary_size():
                self._special_idf = self._stored_idf[: self._token_start()]
                self._idf = self._stored_idf[self._token_start() :]

    def _full_idf(self):
        if self._idf is None:
            return getattr(self, "_stored_idf", None)
        special = self._special_idf
        if special is None:
            special = np.full(self._token_start(), self._idf.mean() if self._idf.size else 0.0)
        return np.concatenate([special, self._idf])

    def _documents(self, batch):
        """A batch as a list of documents (lists of tokens): a rank-1 batch is one document, as in Keras."""
        array = np.asarray(batch.detach().cpu().numpy() if torch.is_tensor(batch) else batch, dtype=object)
        if array.ndim == 0:
            array = array.reshape(1)
        if array.ndim == 1:
            array = array.reshape(1, -1)
        return [[self._parse(t) for t in row.reshape(-1)] for row in array]

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def _idf_vector(self, device):
        """idf weights per output index: the OOV (and mask) entries get the mean weight, as in Keras."""
        if self._idf is None:
            raise ValueError(f"{type(self).__name__} with output_mode='tf_idf' needs adapt() or idf_weights first.")
        special = self._special_idf
        if special is None:
            special = np.full(self._token_start(), self._idf.mean() if self._idf.size else 0.0)
        weights = np.concatenate([special, self._idf])
        weights = np.pad(weights, (0, self._depth() - weights.size))
        return torch.as_tensor(weights, dtype=backend.torch_dtype(None), device=device)

    def _encode(self, indices):
        if self.output_mode == "int":
            return indices
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        encoded = encode_categorical(indices, mode, self._depth(), backend.torch_dtype(None))
        return encoded * self._idf_vector(encoded.device) if self.output_mode == "tf_idf" else encoded

    def get_config(self):
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "idf_weights": _listify(self.input_idf_weights),
            "vocabulary": _listify(self.input_vocabulary),
            "vocabulary_size": self.vocabulary_size(),
        }


class StringLookup(_IndexLookup):
    """Maps strings to integer indices through a vocabulary (given, or learned by `adapt`), on the host.

    Args:
        max_tokens: Optional cap on the vocabulary size (with the mask and OOV indices). Defaults to `None`.
        num_oov_indices: Integer, indices for out-of-vocabulary strings (hashed among them when > 1). Defaults to `1`.
        mask_token: Optional string meaning padding, index 0 in `"int"` mode. Defaults to `None`.
        oov_token: The token returned for OOV indices by `invert=True`. Defaults to `"[UNK]"`.
        vocabulary: Optional list of strings or a text file path (one token a line). Defaults to `None`.
        idf_weights: Optional inverse document frequencies, one per token, for `"tf_idf"`. Defaults to `None`.
        invert: Whether to map indices back to strings. Defaults to `False`.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`. Defaults to `"int"`.
        pad_to_max_tokens: Whether non-int outputs have `max_tokens` entries. Defaults to `False`.
        sparse: Only `False` is supported. Defaults to `False`.
        encoding: Text encoding of bytes inputs. Defaults to `"utf-8"`.
        salt: Accepted for Keras compatibility (OOV strings are hashed with CRC32 plus the salt; Keras uses
            FarmHash64, so with `num_oov_indices > 1` the OOV buckets differ). Defaults to `None`.

    Example:
    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer(np.array([["a", "c"], ["d", "b"]])).tolist()
    [[1, 3], [0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):  # fmt: skip
        kwargs.pop("oov_method", None)  # Keras writes it into StringLookup configs; strings always hash
        kwargs.pop("vocabulary_size", None)
        self.encoding, self.salt, self.oov_method = encoding, salt, "floormod"
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, pad_to_max_tokens, sparse, name=name, **kwargs)  # fmt: skip

    def _parse(self, token):
        return token.decode(self.encoding) if isinstance(token, bytes) else str(token)

    def _index_tables(self):
        start = self._token_start()
        self._table = {t: i + start for i, t in enumerate(self._vocab)}
        self._inverse = self.get_vocabulary()

    def __call__(self, inputs, *args, **kwargs):
        if not self.invert and symbolic.any_symbolic(inputs):  # Input(shape=..., dtype="string") in a model
            return symbolic.call_symbolic_on_text(self, inputs)
        if not self.invert:
            return self.call(inputs)  # strings stay on the host
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        if self.invert:
            values = np.asarray(inputs.detach().cpu().numpy() if torch.is_tensor(inputs) else inputs)
            size = len(self._inverse)
            return np.vectorize(lambda i: self._inverse[i] if 0 <= i < size else self.oov_token, otypes=[object])(
                values
            )
        array = np.asarray(inputs.detach().cpu().numpy() if torch.is_tensor(inputs) else inputs, dtype=object)
        indices = np.vectorize(self._index_of, otypes=["int64"])(array) if array.size else array.astype("int64")
        return self._encode(torch.as_tensor(indices))

    def _index_of(self, token):
        token = self._parse(token)
        found = self._table.get(token)
        if found is not None:
            return found
        if self.mask_token is not None and token == self.mask_token:
            return 0 if self.output_mode == "int" else -1
        if self.num_oov_indices == 0:
            raise ValueError(
                f"StringLookup '{self.name}' met {token!r}, which is not in its vocabulary, and has "
                f"num_oov_indices=0. Set num_oov_indices=1 to map unknown strings to an OOV index."
            )
        bucket = 0 if self.num_oov_indices == 1 else zlib.crc32(token.encode("utf-8"), self._salt_int())
        return self._oov_start() + bucket % self.num_oov_indices

    def _salt_int(self):
        salt = self.salt if not isinstance(self.salt, (list, tuple)) else self.salt[0]
        return int(salt or 0) & 0xFFFFFFFF

    def get_config(self):
        return {**super().get_config(), "oov_method": self.oov_method, "salt": self.salt, "encoding": self.encoding}


class IntegerLookup(_IndexLookup):
    """Maps integers to contiguous indices through a vocabulary (given, or learned by `adapt`), on their device.

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert, output_mode, sparse, pad_to_max_tokens:
            As for `StringLookup`.
        mask_token: Optional integer meaning padding, index 0 in `"int"` mode. Defaults to `None`.
        oov_token: The integer returned for OOV indices by `invert=True`. Defaults to `-1`.
        vocabulary_dtype: `"int64"` or `"int32"`. Defaults to `"int64"`.
        oov_method: `"floormod"` (`value % num_oov_indices` picks the OOV index) or `"farmhash"` (cornu hashes with
            SplitMix64 instead of FarmHash64). Defaults to `"floormod"`.
        salt: Optional integer mixed into the `"farmhash"` method. Defaults to `None`.

    Example:
    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]])).tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):  # fmt: skip
        kwargs.pop("vocabulary_size", None)
        if vocabulary_dtype not in ("int64", "int32"):
            raise ValueError(
                f"IntegerLookup's vocabulary_dtype must be 'int64' or 'int32'. Received: "
                f"vocabulary_dtype={vocabulary_dtype!r}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"IntegerLookup's oov_method must be 'floormod' or 'farmhash'. Received: oov_method={oov_method!r}"
            )
        if salt is not None and oov_method != "farmhash":
            raise ValueError(f"IntegerLookup's salt needs oov_method='farmhash'. Received: oov_method={oov_method!r}")
        self.vocabulary_dtype, self.oov_method, self.salt = vocabulary_dtype, oov_method, salt
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, pad_to_max_tokens, sparse, name=name, **kwargs)  # fmt: skip

    def _parse(self, token):
        return int(token)

    def _index_tables(self):
        order = np.argsort(np.asarray(self._vocab, dtype="int64"), kind="stable")
        # non-persistent buffers: `.to(device)` moves the tables with the model, state_dict() leaves them out
        device = self._sorted_keys.device if hasattr(self, "_sorted_keys") else None
        tables = {
            "_sorted_keys": np.asarray(self._vocab, dtype="int64")[order].reshape(-1),
            "_sorted_index": order.astype("int64") + self._token_start(),
            "_inverse": np.asarray(self.get_vocabulary(), dtype="int64").reshape(-1),
        }
        for name, table in tables.items():
            self.register_buffer(name, torch.as_tensor(table, device=device), persistent=False)

    def call(self, inputs):
        x = inputs.long()
        if self.invert:
            table = self._inverse.to(x.device)
            inside = (x >= 0) & (x < table.numel())
            return torch.where(inside, table[x.clamp(0, max(table.numel() - 1, 0))], self.oov_token)
        keys, index = self._sorted_keys.to(x.device), self._sorted_index.to(x.device)
        if keys.numel() == 0:
            found, looked_up = torch.zeros_like(x, dtype=torch.bool), torch.zeros_like(x)
        else:
            position = torch.searchsorted(keys, x.reshape(-1)).clamp(max=keys.numel() - 1).reshape(x.shape)
            found, looked_up = keys[position] == x, index[position]
        result = torch.where(found, looked_up, self._oov_indices(x))
        if self.mask_token is not None:
            result = torch.where(x == self.mask_token, 0 if self.output_mode == "int" else -1, result)
        return self._encode(result)

    def _oov_indices(self, x):
        if self.num_oov_indices <= 1:
            # with no OOV index an unknown value gets -1 (Keras raises; checking would sync the host every call)
            return torch.full_like(x, self._oov_start() if self.num_oov_indices == 1 else -1)
        if self.oov_method == "floormod":
            return self._oov_start() + torch.remainder(x, self.num_oov_indices)
        from cornu.layers.preprocessing.numerical import _int_hash

        return self._oov_start() + torch.remainder(_int_hash(x, int(self.salt or 0)), self.num_oov_indices)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype, "oov_method": self.oov_method,
                "salt": self.salt}  # fmt: skip


def _batches(data):
    """`adapt`'s data as a list of batches: an array, a tensor or a (nested) list that forms one array is one
    batch; any other iterable (a generator, a list of arrays of different shapes) yields batches."""
    if isinstance(data, (np.ndarray, torch.Tensor, int, str)):
        return [data]
    if isinstance(data, (list, tuple)):
        try:
            array = np.asarray(data)
        except ValueError:  # ragged: a list of batches
            return list(data)
        return [data] if array.dtype != object else list(data)
    return list(data)


def _listify(value):
    if value is None:
        return None
    return value.tolist() if hasattr(value, "tolist") else list(value) if not isinstance(value, str) else value
