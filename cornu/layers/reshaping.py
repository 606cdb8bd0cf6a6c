"""Reshaping layers: `Flatten`, `Reshape`, `Permute` and `RepeatVector`. None has weights; the batch axis is kept."""

import math

from cornu import backend
from cornu.layers.base import Layer
from cornu.utils.shapes import format_shape

__all__ = ["Flatten", "Reshape", "Permute", "RepeatVector"]


class Flatten(Layer):
    """Flattens each sample to one axis: `(batch, d1, d2, ...)` becomes `(batch, d1 * d2 * ...)`.

    Args:
        data_format: `"channels_last"` or `"channels_first"`. For `"channels_first"` inputs the channel axis is
            moved last before flattening, so the order of the features matches the channels_last model's.
            Defaults to `cornu.backend.image_data_format()`.

    Input shape: `(batch, ...)`. Output shape: `(batch, product of the other sizes)` (`(batch, 1)` for 1D input).

    Example:
    >>> Flatten()(np.ones((2, 3, 4))).shape
    torch.Size([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1) if inputs.ndim != 1 else inputs.reshape(-1, 1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept); one entry may be `-1`, inferred.

    Args:
        target_shape: Tuple of positive integers and at most one `-1`, the shape of a sample.

    Input shape: `(batch, ...)`. Output shape: `(batch,) + target_shape`.

    Example:
    >>> Reshape((-1, 2))(np.ones((3, 2, 2))).shape
    torch.Size([3, 2, 2])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise ValueError(
                f"Reshape's target_shape must be a tuple of integers. Received: target_shape={target_shape!r}"
            ) from None
        if sum(d == -1 for d in target_shape) > 1 or any(d == 0 or d < -1 for d in target_shape):
            raise ValueError(
                f"Reshape's target_shape must hold positive integers and at most one -1. "
                f"Received: target_shape={target_shape}"
            )
        self.target_shape = target_shape
        self.built = True

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self._resolved(tuple(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        resolved = self._resolved(tuple(input_shape[1:]))
        return (input_shape[0],) + tuple(None if d == -1 else d for d in resolved)

    def _resolved(self, sample_shape):
        """The target shape with `-1` worked out, when the sample's size is known (else left as `-1`)."""
        if any(d is None for d in sample_shape):
            return self.target_shape
        total, known = math.prod(sample_shape), math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape and known and total % known == 0:
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if -1 not in self.target_shape and total == known:
            return self.target_shape
        raise ValueError(
            f"Reshape layer '{self.name}' cannot reshape samples of shape {format_shape(sample_shape)} "
            f"({total} values) to target_shape={self.target_shape}. The target must hold the same number of values."
        )

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the axes of each sample; `dims` numbers them from 1 (the batch axis stays first).

    Args:
        dims: Tuple, a permutation of `1..n`, e.g. `(2, 1)` swaps the two axes of `(batch, a, b)` samples.

    Input shape: `(batch, d1, ..., dn)`. Output shape: the sizes reordered by `dims`.

    Example:
    >>> Permute((2, 1))(np.ones((1, 3, 5))).shape
    torch.Size([1, 5, 3])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"Permute's dims must be a permutation of 1..{len(dims)} (axis 0, the batch, stays in place). "
                f"Received: dims={dims}"
            )
        self.dims = dims

    def build(self, input_shape):
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute layer '{self.name}' with dims={self.dims} expects inputs of rank {len(self.dims) + 1}, "
                f"but received inputs of shape {format_shape(input_shape)}."
            )

    def call(self, inputs):
        return inputs.permute((0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each `(features,)` sample `n` times: `(batch, features)` becomes `(batch, n, features)`.

    Args:
        n: Positive integer, the number of repetitions.

    Input shape: `(batch, features)`. Output shape: `(batch, n, features)`.

    Example:
    >>> RepeatVector(2)(np.array([[1.0, 2.0]])).tolist()
    [[[1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"RepeatVector's n must be an integer. Received: n={n!r} of type {type(n).__name__}")
        if n <= 0:
            raise ValueError(f"RepeatVector's n must be a positive integer. Received: n={n}")
        self.n = n

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"RepeatVector layer '{self.name}' expects 2D inputs (batch, features), but received inputs of shape "
                f"{format_shape(input_shape)}. Add Flatten() before it."
            )

    def call(self, inputs):
        return inputs.unsqueeze(1).repeat(1, self.n, 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _data_format(data_format):
    data_format = backend.image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first'. Received: data_format={data_format!r}"
        )
    return data_format
