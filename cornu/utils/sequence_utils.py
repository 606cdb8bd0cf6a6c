"""`pad_sequences`: lists of sequences of different lengths to one padded array."""

import numpy as np

__all__ = ["pad_sequences"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or truncates) sequences to a common length, giving an array of shape `(len(sequences), maxlen, ...)`.

    Args:
        sequences: List of sequences (lists or arrays; their items may be arrays of one common shape).
        maxlen: Length of the output sequences. Defaults to `None` (the longest sequence's length).
        dtype: Type of the output. Defaults to `"int32"`; use `object` for strings of any length.
        padding: `"pre"` or `"post"`: pad before or after each sequence. Defaults to `"pre"`.
        truncating: `"pre"` or `"post"`: drop values from the start or the end of sequences longer than
            `maxlen`. Defaults to `"pre"`.
        value: The padding value. Defaults to `0.0`.

    Returns:
        A numpy array of shape `(len(sequences), maxlen) + item_shape`.

    Example:
    >>> pad_sequences([[1, 2, 3], [4], [5, 6]]).tolist()
    [[1, 2, 3], [0, 0, 4], [0, 5, 6]]
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post", truncating="post", value=-1).tolist()
    [[1, 2], [4, -1]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"sequences must be a list of sequences (iterables). Received: {type(sequences).__name__}")
    for name, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise ValueError(f'{name} must be "pre" or "post". Received: {name}={choice!r}')
    lengths, item_shape = [], None
    for index, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__"):
            raise ValueError(
                f"sequences must be a list of sequences, but item {index} is a {type(sequence).__name__} "
                f"({sequence!r}). Wrap single values in a list: [[1], [2, 3]]."
            )
        lengths.append(len(sequence))
        if len(sequence) and item_shape is None:
            item_shape = np.asarray(sequence).shape[1:]  # the first non-empty sequence sets the item shape
    item_shape = () if item_shape is None else tuple(item_shape)
    if maxlen is None:
        maxlen = max(lengths, default=0)
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(f"dtype={dtype!r} cannot hold the string padding value {value!r}; pass dtype=object.")
    out = np.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence) or not maxlen:
            continue
        kept = np.asarray(sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen], dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"Sequence {index} has items of shape {kept.shape[1:]}, but the first non-empty sequence has "
                f"items of shape {item_shape}; all items must have one shape."
            )
        if padding == "post":
            out[index, : len(kept)] = kept
        else:
            out[index, -len(kept) :] = kept
    return out
