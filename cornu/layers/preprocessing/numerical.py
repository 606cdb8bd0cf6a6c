"""Numerical preprocessing layers: `Rescaling`, `Normalization` (with `adapt`), `Discretization` (with `adapt`),
`CategoryEncoding` and `Hashing`.

They run on tensors (on the inputs' device) and have no trainable weights, so they can sit inside a model and run
in every step; `adapt` runs once, on the host, before training.
"""

import hashlib
import math

import numpy as np
import torch

from cornu import backend
from cornu.layers.base import Layer
from cornu.utils.shapes import format_shape

__all__ = ["Rescaling", "Normalization", "Discretization", "CategoryEncoding", "Hashing", "encode_categorical"]


def encode_categorical(indices, output_mode, depth, dtype=torch.float32, count_weights=None):
    """Integer indices as `"one_hot"`, `"multi_hot"` or `"count"` vectors of length `depth` (or as given, `"int"`).

    Indices outside `[0, depth)` contribute nothing. `"multi_hot"` and `"count"` reduce the last axis of a rank-2
    input (a rank-1 input is one sample); `"one_hot"` adds an axis (dropping a last axis of size 1).

    Example:
    >>> encode_categorical(torch.tensor([[0, 2, 2]]), "count", 3).tolist()
    [[1.0, 0.0, 2.0]]
    """
    if output_mode == "int":
        return indices
    if indices.ndim == 0:
        indices = indices.unsqueeze(0)
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices.squeeze(-1)
    hot = (indices.unsqueeze(-1) == torch.arange(depth, device=indices.device)).to(dtype)
    if output_mode == "one_hot":
        return hot
    axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return hot.amax(dim=axis)
    if count_weights is not None:
        hot = hot * count_weights.unsqueeze(-1).to(hot.dtype)
    return hot.sum(dim=axis)


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset`: `[0, 255]` pixels to `[0, 1]` with `scale=1/255`.

    Args:
        scale: Float (or a list/array broadcast over the last axis), the factor.
        offset: Float (or list/array), added after scaling. Defaults to `0.0`.

    Input shape: any. Output shape: same as the input, as floats.

    Example:
    >>> Rescaling(1 / 127.5, offset=-1)(np.array([[0.0, 255.0]])).tolist()
    [[-1.0, 1.0]]
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            if isinstance(value, (str, bool)) or value is None:
                raise ValueError(f"Rescaling's {name} must be a number or an array. Received: {name}={value!r}")
        self.scale, self.offset = scale, offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        dtype = self._compute_torch_dtype  # Keras rescales in the compute dtype (bfloat16 under a mixed policy)
        x = inputs.to(dtype)
        scale = torch.as_tensor(self.scale, dtype=dtype, device=x.device)
        offset = torch.as_tensor(self.offset, dtype=dtype, device=x.device)
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """Standardizes features: `(x - mean) / sqrt(variance)` (the root floored at `epsilon()`), with `mean` and
    `variance` given or learned by `adapt(data)`; `invert=True` applies the inverse.

    Args:
        axis: Integer, tuple of integers or `None`: the axes that keep their own statistics (the others are averaged
            over). Defaults to `-1` (one mean per feature); `None` gives one scalar mean and variance.
        mean: Optional mean (scalar or per kept axis). Defaults to `None` (learned by `adapt`).
        variance: Optional variance, given together with `mean`. Defaults to `None`.
        invert: Whether to map normalized values back: `mean + x * sqrt(variance)`. Defaults to `False`.

    Input shape: any. Output shape: same as the input. Weights (when adapted): `mean`, `variance`, `count`.

    Example:
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[1.0], [3.0]]))  # mean 2, variance 1
    >>> layer(np.array([[4.0]])).tolist()
    [[2.0]]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        if (mean is None) != (variance is None):
            raise ValueError(
                f"Normalization needs both mean and variance, or neither (then call adapt(data)). "
                f"Received: mean={mean!r}, variance={variance!r}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    f"Normalization's mean and variance must have the same shape. Received: mean of shape "
                    f"{np.shape(mean)} and variance of shape {np.shape(variance)}."
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"Normalization's mean has rank {np.ndim(mean)}, more than the {len(self.axis)} kept axes "
                    f"(axis={self.axis}). Pass a scalar or one value per kept axis."
                )
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)
        self.supports_masking = True
        self.mean = self.variance = None

    def build(self, input_shape):
        rank = len(input_shape)
        if any(a < -rank or a >= rank for a in self.axis):
            raise ValueError(
                f"Normalization's axis {self.axis} is out of range for inputs of shape {format_shape(input_shape)}."
            )
        self._keep = tuple(sorted(a % rank for a in self.axis))
        if any(input_shape[a] is None for a in self._keep):
            raise ValueError(
                f"Normalization needs known sizes on the kept axes {self.axis}. Received inputs of shape "
                f"{format_shape(input_shape)}."
            )
        self._reduce = tuple(a for a in range(rank) if a not in self._keep)
        self._broadcast = [input_shape[a] if a in self._keep else 1 for a in range(rank)]
        self._stats_shape = tuple(input_shape[a] for a in self._keep)
        self._build_shape = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(self._stats_shape, "zeros", name="mean", trainable=False)
            self.adapt_variance = self.add_weight(self._stats_shape, "ones", name="variance", trainable=False)
            # Keras 3.15 creates `count` (int32) and never updates it; it is kept for weight-list compatibility.
            self.count = self.add_weight((), "zeros", dtype="int32", name="count", trainable=False)
        else:
            # non-persistent buffers: they follow `.to(device)` and stay out of state_dict(), as Keras keeps them
            # out of the weights
            self.register_buffer("_fixed_mean", self._expand(self.input_mean).contiguous(), persistent=False)
            self.register_buffer("_fixed_variance", self._expand(self.input_variance).contiguous(), persistent=False)

    def _expand(self, value):
        value = torch.as_tensor(np.asarray(value, dtype="float64"), dtype=backend.torch_dtype(self.dtype))
        if value.ndim:  # its axes are the last kept axes
            shape = [1] * len(self._broadcast)
            for i in range(1, value.ndim + 1):
                shape[self._keep[-i]] = value.shape[-i]
            value = value.reshape(shape)
        return value.expand(self._broadcast)

    def adapt(self, data):
        """Sets `mean` and `variance` to the statistics of `data` (an array, a tensor or an iterable of batches)."""
        batches = [data] if isinstance(data, (np.ndarray, torch.Tensor)) else list(data)
        if not batches:
            raise ValueError("Normalization.adapt() received no batches. Pass an array, or a non-empty list of arrays.")
        batches = [_first_of(b) for b in batches]
        arrays = [b.detach().cpu().numpy() if torch.is_tensor(b) else np.asarray(b) for b in batches]
        if not self.built:
            self.build_from_shape(arrays[0].shape)
        for array in arrays:
            if array.ndim != len(self._build_shape) or any(array.shape[a] != self._build_shape[a] for a in self._keep):
                raise ValueError(
                    f"Normalization layer '{self.name}' was built for inputs of shape "
                    f"{format_shape((None,) + self._build_shape[1:])}, but adapt() received data of shape "
                    f"{format_shape(array.shape)}. Adapt on data shaped like the model's inputs."
                )
        total_mean = total_var = 0.0
        total = 0
        for array in arrays:  # exact pooled moments, batch by batch
            array = array.astype("float64")
            n = math.prod(array.shape[a] for a in self._reduce) if self._reduce else 1
            mean, var = array.mean(axis=self._reduce), array.var(axis=self._reduce)
            new_total = total + n
            new_mean = total_mean + (mean - total_mean) * (n / new_total)
            total_var = (total_var + (total_mean - new_mean) ** 2) * (total / new_total) + (
                var + (mean - new_mean) ** 2
            ) * (n / new_total)
            total_mean, total = new_mean, new_total
        with torch.no_grad():
            self.adapt_mean.copy_(torch.as_tensor(np.asarray(total_mean)))
            self.adapt_variance.copy_(torch.as_tensor(np.asarray(total_var)))

    def call(self, inputs):
        if self.input_mean is None:
            mean = self.adapt_mean.reshape(self._broadcast)
            variance = self.adapt_variance.reshape(self._broadcast)
        else:
            mean, variance = self._fixed_mean, self._fixed_variance
        # Keras normalizes in the compute dtype, the statistics read in it too (bfloat16 under a mixed policy).
        dtype = self._compute_torch_dtype
        if dtype != mean.dtype:
            mean, variance = mean.to(dtype), variance.to(dtype)
        x = inputs.to(dtype)
        root = torch.clamp(torch.sqrt(variance), min=backend.epsilon())
        return mean + x * root if self.invert else (x - mean) / root

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        listed = [None if v is None else np.asarray(v).tolist() for v in (self.input_mean, self.input_variance)]
        return {**super().get_config(), "axis": self.axis, "invert": self.invert, "mean": listed[0],
                "variance": listed[1]}  # fmt: skip


class Discretization(Layer):
    """Buckets numbers by boundaries: with boundaries `[0, 1]`, `x < 0` -> 0, `0 <= x < 1` -> 1, `x >= 1` -> 2.

    `adapt(data)` with `num_bins` finds boundaries at the data's quantiles with Keras's approximate algorithm
    (a summary of sorted values with weights, merged batch by batch, interpolated at `i / num_bins`).

    Args:
        bin_boundaries: Sorted list of floats. Defaults to `None` (then give `num_bins` and call `adapt`).
        num_bins: Integer, the number of bins `adapt` makes. Defaults to `None`.
        epsilon: Float, the summary's precision during `adapt`. Defaults to `0.01`.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"` or `"count"`. Defaults to `"int"`.
        sparse: Only `False` is supported (torch has no sparse outputs here). Defaults to `False`.

    Input shape: any. Output shape: the same for `"int"`; see `CategoryEncoding` for the others.

    Example:
    >>> Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-0.5, 0.0, 0.5, 2.0]])).tolist()
    [[0, 1, 1, 2]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                f"Discretization's output_mode must be 'int', 'one_hot', 'multi_hot' or 'count'. "
                f"Received: output_mode={output_mode!r}"
            )
        _refuse_sparse(self, sparse)
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization's num_bins must be >= 0. Received: num_bins={num_bins}")
        if (num_bins is None) == (bin_boundaries is None):
            raise ValueError(
                f"Discretization needs exactly one of bin_boundaries and num_bins. Received: "
                f"bin_boundaries={bin_boundaries!r}, num_bins={num_bins!r}"
            )
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins, self.epsilon, self.output_mode, self.sparse = num_bins, epsilon, output_mode, sparse
        self.built = True
        self._summary = np.zeros((2, 0), dtype="float32")

    def adapt(self, data, steps=None):
        """Sets `bin_boundaries` from `data` (an array, a tensor or an iterable of batches)."""
        if self.num_bins is None:
            raise ValueError(
                "This Discretization layer was given bin_boundaries; adapt() needs num_bins instead. "
                "Create it as Discretization(num_bins=...)."
            )
        batches = [data] if isinstance(data, (np.ndarray, torch.Tensor)) else data
        self._summary = np.zeros((2, 0), dtype="float32")
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            batch = batch.detach().cpu().numpy() if torch.is_tensor(batch) else np.asarray(batch)
            summary = _summarize(batch.astype("float32"), self.epsilon)
            merged = np.concatenate((self._summary, summary), axis=1)
            self._summary = _compress(merged[:, np.argsort(merged[0], kind="stable")], self.epsilon)
        self.bin_boundaries = _compress(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization layer '{self.name}' has no bin boundaries yet. Pass bin_boundaries=[...] or call "
                f"layer.adapt(data) before using it."
            )
        edges = torch.as_tensor(self.bin_boundaries, dtype=torch.float64, device=inputs.device)
        indices = torch.bucketize(inputs.to(torch.float64), edges, right=True)
        if self.output_mode == "int":
            return indices.to(torch.int32)  # Keras's output dtype for bin indices
        # Keras's encoded (non-"int") outputs are in the compute dtype: bfloat16 under a mixed policy.
        dtype = self._compute_torch_dtype if self._compute_torch_dtype.is_floating_point else torch.float32
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1, dtype)

    def get_config(self):
        base = super().get_config()
        base.pop("trainable")  # Keras's Discretization takes only dtype and name besides its own arguments
        return {
            **base,
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


class CategoryEncoding(Layer):
    """Encodes integer categories in `[0, num_tokens)` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: Positive integer, the number of categories.
        output_mode: `"one_hot"`, `"multi_hot"` (alias `"binary"`) or `"count"`. Defaults to `"multi_hot"`.
        sparse: Only `False` is supported. Defaults to `False`.

    Call arguments:
        inputs: Integers, `(batch,)` or `(batch, k)`.
        count_weights: Optional weights of the inputs' shape, summed instead of counted (`"count"` only).

    Output shape: `(batch, num_tokens)` (`(batch, k, num_tokens)` for `"one_hot"` with `k > 1`).

    Example:
    >>> CategoryEncoding(4)(np.array([[0, 1], [3, 3]])).tolist()
    [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(
                f"CategoryEncoding's output_mode must be 'one_hot', 'multi_hot' or 'count'. "
                f"Received: output_mode={output_mode!r}"
            )
        if num_tokens is None or isinstance(num_tokens, bool) or not isinstance(num_tokens, int) or num_tokens < 1:
            raise ValueError(
                f"CategoryEncoding needs num_tokens, a positive integer (for an unknown number of categories use "
                f"IntegerLookup). Received: num_tokens={num_tokens!r}"
            )
        _refuse_sparse(self, sparse)
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f"CategoryEncoding's count_weights are used only with output_mode='count'. Received "
                    f"output_mode={self.output_mode!r}."
                )
            count_weights = torch.as_tensor(np.asarray(count_weights) if not torch.is_tensor(count_weights)
                                            else count_weights, device=inputs.device)  # fmt: skip
        # Keras encodes in `self.dtype` (float32 under a mixed policy), not the compute dtype.
        dtype = count_weights.dtype if count_weights is not None else backend.torch_dtype(self.dtype)
        return encode_categorical(inputs.long(), self.output_mode, self.num_tokens, dtype, count_weights)

    def compute_output_shape(self, input_shape):
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return tuple(input_shape) + (self.num_tokens,)
        return tuple(input_shape[:-1]) + (self.num_tokens,)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


class Hashing(Layer):
    """Hashes values into `num_bins` buckets: `hash(value) % num_bins` (bucket 0 kept for `mask_value`, if given).

    Strings are hashed on the host (UTF-8 bytes, BLAKE2b-64); integers are hashed on their device (SplitMix64's
    finalizer). Keras uses FarmHash64 (through TensorFlow, which its Hashing requires): bucket numbers differ from
    Keras's, but are as stable from run to run, and the `salt` changes them the same way.

    Args:
        num_bins: Positive integer, the number of buckets (including the mask bucket).
        mask_value: Optional value that always maps to bucket 0. Defaults to `None`.
        salt: Optional integer (or pair of integers) mixed into the hash. Defaults to `None`.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"` or `"count"`. Defaults to `"int"`.
        sparse: Only `False` is supported. Defaults to `False`.

    Example:
    >>> layer = Hashing(num_bins=3, mask_value="")
    >>> out = layer(np.array([["a"], [""]]))
    >>> int(out[1, 0]), 1 <= int(out[0, 0]) <= 2
    (0, True)
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins <= 0:
            raise ValueError(f"Hashing's num_bins must be a positive integer. Received: num_bins={num_bins!r}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                f"Hashing's output_mode must be 'int', 'one_hot', 'multi_hot' or 'count'. "
                f"Received: output_mode={output_mode!r}"
            )
        if salt is not None and not (isinstance(salt, int) or (isinstance(salt, (list, tuple)) and len(salt) == 2)):
            raise ValueError(f"Hashing's salt must be an integer or a pair of integers. Received: salt={salt!r}")
        _refuse_sparse(self, sparse)
        self.num_bins, self.mask_value, self.output_mode, self.sparse = num_bins, mask_value, output_mode, sparse
        self.salt = list(salt) if isinstance(salt, (list, tuple)) else salt
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if _is_text(inputs):  # strings never become tensors: hash them here, then go on as integers
            return self.call(np.asarray(inputs, dtype=object))
        return super().__call__(inputs, *args, **kwargs)

    def _salt_value(self):
        if self.salt is None:
            return 0
        first, second = (self.salt, self.salt) if isinstance(self.salt, int) else self.salt
        return (first * 1_000_003 + second) % 2**62

    def call(self, inputs):
        salt = self._salt_value()
        if isinstance(inputs, np.ndarray):
            flat = [_string_hash(str(v), salt) for v in inputs.reshape(-1)]
            hashed = torch.as_tensor(np.asarray(flat, dtype="int64").reshape(inputs.shape))
            masked = torch.as_tensor(inputs == self.mask_value) if self.mask_value is not None else None
        else:
            hashed = _int_hash(inputs.long(), salt)
            masked = inputs == self.mask_value if self.mask_value is not None else None
        if masked is None:
            buckets = torch.remainder(hashed, self.num_bins)
        else:
            buckets = torch.where(masked, 0, torch.remainder(hashed, self.num_bins - 1) + 1)
        return encode_categorical(buckets, self.output_mode, self.num_bins, backend.torch_dtype(None))

    def get_config(self):
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


# ---------------------------------------------------------------------------------------------------- helpers
def _first_of(batch):
    return batch[0] if isinstance(batch, tuple) else batch


def _refuse_sparse(layer, sparse):
    if sparse:
        raise ValueError(
            f"{type(layer).__name__}(sparse=True) is not supported by the torch backend. Use sparse=False."
        )


def _is_text(value):
    if isinstance(value, str):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "USO"
    if isinstance(value, (list, tuple)):
        flat = np.asarray(value, dtype=object).reshape(-1)
        return flat.size > 0 and isinstance(flat[0], (str, bytes))
    return False


def _summarize(values, epsilon):
    """Keras's quantile summary of one batch: every `step`-th sorted value, each standing for `step` values."""
    values = np.sort(values.reshape(-1))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1) :: int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def _compress(summary, epsilon):
    """Re-samples a (values, weights) summary at cumulative weight fractions `epsilon, 2 epsilon, ..., 1`."""
    if summary.shape[1] * epsilon < 1:
        return summary
    targets = np.arange(0.0, 1.0, epsilon) + epsilon
    cumulative = np.cumsum(summary[1])
    fractions = cumulative / cumulative[-1]
    values = np.interp(targets, fractions, summary[0])
    weights_at = np.interp(targets, fractions, cumulative)
    weights = np.diff(weights_at, prepend=0.0)
    return np.stack((values, weights)).astype("float32")


def _string_hash(text, salt):
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, salt=salt.to_bytes(16, "little", signed=True)[:16])
    return int.from_bytes(digest.digest(), "little") & 0x7FFFFFFFFFFFFFFF


def _int_hash(x, salt):
    """SplitMix64's finalizer on int64 tensors (wrapping arithmetic), made non-negative."""
    x = x + (salt + 0x1E3779B97F4A7C15)
    x = (x ^ (x >> 30)) * -4658895280553007687  # 0xBF58476D1CE4E5B9 as a signed int64
    x = (x ^ (x >> 27)) * -7723592293110705685  # 0x94D049BB133111EB
    x = x ^ (x >> 31)
    return x & 0x7FFFFFFFFFFFFFFF
