"""Merging layers: combine a list of tensors into one (`Add`, `Concatenate`, `Dot`, ...), and their functional forms
(`add([a, b])` is `Add()([a, b])`).

Element-wise merges broadcast like Keras: the shapes (without the batch axis) are aligned from the right, size 1
stretches, and an input of lower rank gets size-1 axes inserted after the batch axis. Shapes are checked when the
layer is built, and errors print them as Keras does, with `None` for the batch.
"""

import torch

from cornu import backend
from cornu.layers.base import Layer
from cornu.utils.shapes import format_shape

__all__ = [
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Dot",
    "add",
    "subtract",
    "multiply",
    "average",
    "maximum",
    "minimum",
    "concatenate",
    "dot",
]


class _Merge(Layer):
    """An element-wise merge of a list of tensors; subclasses give `_merge(list_of_tensors)`."""

    _min_inputs, _exact_inputs = 1, None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        shapes = _check_list(self, input_shape)
        self._broadcast_shape(shapes)

    def call(self, inputs):
        ranks = [x.ndim for x in inputs]
        if len(set(ranks)) > 1:  # as Keras: lower-rank inputs get size-1 axes right after the batch axis
            top = max(ranks)
            inputs = [x.reshape(x.shape[:1] + (1,) * (top - x.ndim) + x.shape[1:]) for x in inputs]
        try:  # no per-step shape check: a later call on other shapes surfaces as torch's error, translated here
            return self._merge(list(inputs))
        except RuntimeError:
            self.build([tuple(x.shape) for x in inputs])
            raise

    def compute_output_shape(self, input_shape):
        shapes = _check_list(self, input_shape)
        batch = {s[0] for s in shapes} - {None}
        return (batch.pop() if len(batch) == 1 else None,) + self._broadcast_shape(shapes)

    def _broadcast_shape(self, shapes):
        batch = {s[0] for s in shapes} - {None}
        if len(batch) > 1:
            raise ValueError(f"{type(self).__name__} needs inputs with one batch size; received {_list(shapes)}.")
        result = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            result = _broadcast(self, result, tuple(shape[1:]), shapes)
        return result

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None or all(m is None for m in previous_mask):
            return None
        masks = [torch.as_tensor(m) for m in previous_mask if m is not None]
        return torch.stack(masks).all(dim=0)


class Add(_Merge):
    """Adds a list of tensors element-wise.

    Input: a list of tensors of the same (or broadcastable) shape. Output: their shape.

    Example:
    >>> Add()([np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])]).tolist()
    [[11.0, 22.0]]
    """

    def _merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(_Merge):
    """Subtracts the second of two tensors from the first, element-wise.

    Input: a list of exactly 2 tensors of the same (or broadcastable) shape. Output: their shape.

    Example:
    >>> Subtract()([np.array([[5.0]]), np.array([[2.0]])]).tolist()
    [[3.0]]
    """

    _exact_inputs = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of tensors element-wise.

    Example:
    >>> Multiply()([np.array([[2.0, 3.0]]), np.array([[4.0, 5.0]])]).tolist()
    [[8.0, 15.0]]
    """

    def _merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output * x
        return output


class Average(_Merge):
    """Averages a list of tensors element-wise.

    Example:
    >>> Average()([np.array([[1.0]]), np.array([[2.0]]), np.array([[6.0]])]).tolist()
    [[3.0]]
    """

    def _merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(_Merge):
    """The element-wise maximum of a list of tensors.

    Example:
    >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).tolist()
    [[3.0, 5.0]]
    """

    def _merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = torch.maximum(output, x)
        return output


class Minimum(_Merge):
    """The element-wise minimum of a list of tensors.

    Example:
    >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).tolist()
    [[1.0, 2.0]]
    """

    def _merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = torch.minimum(output, x)
        return output


class Concatenate(Layer):
    """Joins a list of tensors along `axis`; their other sizes must match.

    Args:
        axis: Integer, the axis to join along. Defaults to `-1`.

    Input: a list of tensors of one rank. Output: their shape, with the sizes along `axis` summed.

    Example:
    >>> Concatenate()([np.ones((1, 2)), np.zeros((1, 1))]).tolist()
    [[1.0, 1.0, 0.0]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Concatenate's axis must be an integer. Received: axis={axis!r}")
        self.axis = axis
        self.supports_masking = True

    def build(self, input_shape):
        shapes = _check_list(self, input_shape)
        rank = len(shapes[0])
        mismatch = any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank
        if not mismatch:
            axis = self.axis % rank
            for d in range(1, rank):
                sizes = {s[d] for s in shapes} - {None}
                mismatch = mismatch or (d != axis and len(sizes) > 1)
        if mismatch:
            raise ValueError(
                f"Concatenate needs inputs with matching shapes except along axis {self.axis}; received "
                f"{_list(shapes)}."
            )

    def call(self, inputs):
        try:
            return torch.cat(list(inputs), dim=self.axis)
        except (RuntimeError, IndexError):
            self.build([tuple(x.shape) for x in inputs])  # raises the error in Keras notation
            raise

    def compute_output_shape(self, input_shape):
        shapes = _check_list(self, input_shape)
        output = list(shapes[0])
        sizes = [s[self.axis] for s in shapes]
        output[self.axis] = None if None in sizes else sum(sizes)
        return tuple(output)

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None or all(m is None for m in previous_mask):
            return None
        masks = []
        for x, mask in zip(inputs, previous_mask):
            x = torch.as_tensor(x)
            mask = torch.ones(x.shape[:-1], dtype=torch.bool, device=x.device) if mask is None else mask
            mask = torch.as_tensor(mask)
            masks.append(mask.unsqueeze(-1).expand(x.shape) if mask.ndim < x.ndim else mask)
        return torch.cat(masks, dim=self.axis).all(dim=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(Layer):
    """The dot product of two tensors along one axis of each, sample by sample.

    With `normalize=True` each sample is first L2-normalized along its axis, so the result is the cosine similarity.

    Args:
        axes: Integer, or a pair of integers (one axis per input). Axis 0 (the batch) cannot be used.
        normalize: Whether to L2-normalize along the axes first. Defaults to `False`.

    Input: a list of 2 tensors. Output shape: the first's shape without its axis, followed by the second's shape
    without its batch axis and its axis; `(batch, 1)` when that leaves only the batch.

    Example:
    >>> Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).tolist()
    [[11.0]]
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
                raise ValueError(f"Dot's axes must be an integer or a pair of integers. Received: axes={axes!r}")
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise TypeError(f"Dot's axes must be an integer or a pair of integers. Received: axes={axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = True

    def _resolved_axes(self, ranks):
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        return [a % rank if a < 0 else a for a, rank in zip(axes, ranks)]

    def build(self, input_shape):
        shapes = _check_list(self, input_shape)
        if len(shapes) != 2:
            raise ValueError(f"Dot needs a list of exactly 2 inputs; received {len(shapes)}: {_list(shapes)}.")
        first, second = shapes
        if len(first) < 2 or len(second) < 2:
            raise ValueError(f"Dot needs inputs of rank 2 or more; received {_list(shapes)}.")
        a, b = self._resolved_axes([len(first), len(second)])
        if not (0 < a < len(first) and 0 < b < len(second)):
            raise ValueError(
                f"Dot's axes must name non-batch axes of its inputs {_list(shapes)}. Received: axes={self.axes}"
            )
        if first[a] is not None and second[b] is not None and first[a] != second[b]:
            raise ValueError(
                f"Dot needs the sizes along axes ({a}, {b}) to match; received {_list(shapes)} "
                f"({first[a]} != {second[b]})."
            )

    def call(self, inputs):
        x, y = inputs
        a, b = self._resolved_axes([x.ndim, y.ndim])
        if self.normalize:
            x, y = _l2_normalize(x, a), _l2_normalize(y, b)
        return _batch_dot(x, y, a, b)

    def compute_output_shape(self, input_shape):
        first, second = (list(s) for s in _check_list(self, input_shape))
        a, b = self._resolved_axes([len(first), len(second)])
        first.pop(a)
        second.pop(b)
        output = first + second[1:]
        return tuple(output + [1] if len(output) == 1 else output)

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """`Add(**kwargs)(inputs)`.

    >>> add([np.array([[1.0]]), np.array([[2.0]])]).tolist()
    [[3.0]]
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`Subtract(**kwargs)(inputs)`.

    >>> subtract([np.array([[1.0]]), np.array([[2.0]])]).tolist()
    [[-1.0]]
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """`Multiply(**kwargs)(inputs)`.

    >>> multiply([np.array([[3.0]]), np.array([[2.0]])]).tolist()
    [[6.0]]
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """`Average(**kwargs)(inputs)`.

    >>> average([np.array([[1.0]]), np.array([[2.0]])]).tolist()
    [[1.5]]
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """`Maximum(**kwargs)(inputs)`.

    >>> maximum([np.array([[1.0]]), np.array([[2.0]])]).tolist()
    [[2.0]]
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """`Minimum(**kwargs)(inputs)`.

    >>> minimum([np.array([[1.0]]), np.array([[2.0]])]).tolist()
    [[1.0]]
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """`Concatenate(axis=axis, **kwargs)(inputs)`.

    >>> concatenate([np.array([[1.0]]), np.array([[2.0]])]).tolist()
    [[1.0, 2.0]]
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """`Dot(axes=axes, **kwargs)(inputs)`.

    >>> dot([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).tolist()
    [[11.0]]
    """
    return Dot(axes=axes, **kwargs)(inputs)


def _check_list(layer, input_shape):
    name = type(layer).__name__
    if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], (list, tuple)):
        raise ValueError(
            f"{name} must be called on a list of tensors, e.g. {name}()([a, b]). Received a single input of shape "
            f"{format_shape(input_shape) if isinstance(input_shape, (list, tuple)) else input_shape!r}."
        )
    exact = getattr(layer, "_exact_inputs", None)
    if exact is not None and len(input_shape) != exact:
        raise ValueError(f"{name} needs exactly {exact} inputs; received {len(input_shape)}: {_list(input_shape)}.")
    return [tuple(s) for s in input_shape]


def _list(shapes):
    """Shapes as Keras prints them (batch axis `None`): '(None, 10) and (None, 5, 2)'."""
    texts = [format_shape((None,) + tuple(s[1:])) if len(s) else format_shape(s) for s in shapes]
    return ", ".join(texts[:-1]) + " and " + texts[-1] if len(texts) > 1 else texts[0]


def _broadcast(layer, shape1, shape2, shapes):
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return shape1
    output = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2) :], shape2):
        if i is None or j is None:
            output.append(None)
        elif i == 1 or j == 1 or i == j:
            output.append(j if i == 1 else i)
        else:
            raise ValueError(
                f"{type(layer).__name__} needs inputs of the same shape (or shapes that broadcast); received "
                f"{_list(shapes)}."
            )
    return tuple(output)


def _l2_normalize(x, axis):
    # Keras's form: x * min(rsqrt(sum(x**2)), 1 / epsilon).
    inverse_norm = torch.rsqrt((x * x).sum(dim=axis, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / backend.epsilon())


def _batch_dot(x, y, a, b):
    """Per-sample contraction of axis `a` of `x` with axis `b` of `y` (both > 0), via one batched matmul."""
    x = x.movedim(a, -1)
    y = y.movedim(b, 1)
    x_rest, y_rest = x.shape[1:-1], y.shape[2:]
    out = torch.bmm(x.reshape(x.shape[0], -1, x.shape[-1]), y.reshape(y.shape[0], y.shape[1], -1))
    out = out.reshape(x.shape[:1] + x_rest + y_rest)
    return out.reshape(out.shape[0], 1) if out.ndim == 1 else out
