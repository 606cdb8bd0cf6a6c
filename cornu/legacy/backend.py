"""`keras.backend as K` for Keras 1/2 code: configuration, `get_value`/`set_value`, and the math of custom losses.

Old scripts write custom losses and metrics with `K` (`K.mean(K.square(y_pred - y_true), axis=-1)`) and adjust
training with `K.set_value(model.optimizer.lr, 0.001)`. Here each function takes and returns torch tensors (numbers
and numpy arrays are converted), with Keras's argument names and defaults (`axis=None`, `keepdims=False`), so such
code runs unchanged inside cornu's training step. Functions of the TensorFlow graph era (`K.function`,
`K.placeholder`, `K.gradients`, sessions) are not here: they have no meaning in eager PyTorch.

Example:
>>> import torch
>>> y_true, y_pred = torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]])
>>> mean(square(y_pred - y_true), axis=-1).tolist()
[0.25]
"""

import numpy as np
import torch

from cornu import backend as _config
from cornu.legacy.optimizers import LearningRateHandle
from cornu.utils.session import clear_session as _clear_session

__all__ = [
    "epsilon", "set_epsilon", "floatx", "set_floatx", "image_data_format", "set_image_data_format",
    "image_dim_ordering", "clear_session", "get_value", "set_value", "batch_get_value", "batch_set_value",
    "variable", "constant", "zeros", "ones", "zeros_like", "ones_like", "eval", "int_shape", "shape", "ndim",
    "dtype", "cast", "sum", "mean", "max", "min", "prod", "std", "var", "any", "all", "argmax", "argmin", "square",
    "sqrt", "abs", "exp", "log", "pow", "sign", "round", "clip", "maximum", "minimum", "equal", "not_equal",
    "greater", "greater_equal", "less", "less_equal", "switch", "dot", "batch_dot", "transpose", "reshape",
    "flatten", "batch_flatten", "expand_dims", "squeeze", "concatenate", "stack", "l2_normalize", "sigmoid",
    "hard_sigmoid", "tanh", "relu", "elu", "softmax", "softplus", "softsign", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "binary_crossentropy", "random_uniform", "random_normal",
]  # fmt: skip

epsilon, set_epsilon, floatx = _config.epsilon, _config.set_epsilon, _config.floatx
set_floatx, image_data_format = _config.set_floatx, _config.image_data_format
set_image_data_format = _config.set_image_data_format


def image_dim_ordering():
    """Keras 1's name of the image layout: `'tf'` for channels_last, `'th'` for channels_first.

    Example:
    >>> image_dim_ordering()
    'tf'
    """
    return "tf" if image_data_format() == "channels_last" else "th"


def clear_session():
    """Starts layer names from scratch (`dense`, `dense_1`, ...) and frees what dropped models held."""
    _clear_session()


# ------------------------------------------------------------------------------------------------- values
def get_value(x):
    """The value of `x` as numpy (or a Python float for a learning rate), as Keras's `K.get_value`.

    Example:
    >>> from cornu.optimizers import SGD
    >>> opt = SGD(learning_rate=0.1)
    >>> get_value(LearningRateHandle(opt)), get_value(torch.tensor([1.0, 2.0])).tolist()
    (0.1, [1.0, 2.0])
    """
    if isinstance(x, LearningRateHandle):
        return x.numpy()
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, (int, float, np.ndarray, np.generic)):
        return x
    raise TypeError(
        f"K.get_value() reads a tensor, a weight or `optimizer.lr`; received {type(x).__name__}. For the learning "
        "rate write K.get_value(model.optimizer.lr) or model.optimizer.learning_rate."
    )


def set_value(x, value):
    """Sets `x` (a tensor, a weight, or `optimizer.lr`) to `value` in place, as Keras's `K.set_value`.

    Example:
    >>> from cornu.optimizers import SGD
    >>> opt = SGD(learning_rate=0.1)
    >>> set_value(LearningRateHandle(opt), 0.01); opt.learning_rate
    0.01
    """
    if isinstance(x, LearningRateHandle):
        x.assign(value)
        return
    if isinstance(x, torch.Tensor):
        with torch.no_grad():
            x.copy_(torch.as_tensor(np.asarray(value), dtype=x.dtype, device=x.device))
        return
    raise TypeError(
        f"K.set_value() changes a tensor, a weight or `optimizer.lr` in place; received {type(x).__name__} "
        f"(a plain number cannot be changed in place). For the learning rate write "
        f"K.set_value(model.optimizer.lr, {value!r}) or model.optimizer.learning_rate = {value!r}."
    )


def batch_get_value(xs):
    """`[get_value(x) for x in xs]`."""
    return [get_value(x) for x in xs]


def batch_set_value(pairs):
    """`set_value(x, value)` for each `(x, value)` pair."""
    for x, value in pairs:
        set_value(x, value)


def variable(value, dtype=None, name=None):
    """A tensor holding `value` (Keras's variables are plain tensors here; `name` is accepted and unused)."""
    return torch.tensor(np.asarray(value), dtype=_config.torch_dtype(dtype))


def constant(value, dtype=None, shape=None, name=None):
    """A tensor of `value`, broadcast to `shape` when given."""
    tensor = torch.as_tensor(np.asarray(value), dtype=_config.torch_dtype(dtype))
    return tensor.expand(shape).clone() if shape is not None else tensor


def zeros(shape, dtype=None, name=None):
    return torch.zeros(shape, dtype=_config.torch_dtype(dtype))


def ones(shape, dtype=None, name=None):
    return torch.ones(shape, dtype=_config.torch_dtype(dtype))


def zeros_like(x, dtype=None, name=None):
    return torch.zeros_like(_t(x), dtype=None if dtype is None else _config.torch_dtype(dtype))


def ones_like(x, dtype=None, name=None):
    return torch.ones_like(_t(x), dtype=None if dtype is None else _config.torch_dtype(dtype))


def eval(x):  # noqa: A001 - Keras's name
    """`get_value` for any tensor (Keras's `K.eval`)."""
    return get_value(_t(x))


def int_shape(x):
    """The shape as a tuple of ints."""
    return tuple(_t(x).shape)


def shape(x):
    """The shape as a tuple of ints (eager: no symbolic shape tensor is needed)."""
    return tuple(_t(x).shape)


def ndim(x):
    return _t(x).ndim


def dtype(x):
    return str(_t(x).dtype).replace("torch.", "")


def cast(x, dtype):
    return _t(x).to(_config.torch_dtype(dtype))


# -------------------------------------------------------------------------------------- reductions
def _reduce(fn, x, axis, keepdims):
    x = _t(x)
    if axis is None:
        return fn(x.reshape(-1), 0, keepdim=False).reshape((1,) * x.ndim if keepdims else ())
    axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    for a in sorted(axes, reverse=True):
        x = fn(x, a, keepdim=True)
    return x if keepdims else x.squeeze(axes) if axes else x


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _reduce(lambda t, a, keepdim: t.sum(a, keepdim=keepdim), x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    x = x if x.is_floating_point() else x.to(_config.torch_dtype(None))  # Keras averages integers as floats
    return _reduce(lambda t, a, keepdim: t.mean(a, keepdim=keepdim), x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _reduce(lambda t, a, keepdim: t.amax(a, keepdim=keepdim), x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _reduce(lambda t, a, keepdim: t.amin(a, keepdim=keepdim), x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    return _reduce(lambda t, a, keepdim: t.prod(a, keepdim=keepdim), x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance (divides by N), as Keras's `K.var`."""
    x = _t(x)
    centered = x - mean(x, axis=axis, keepdims=True)
    return mean(centered * centered, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation (divides by N), as Keras's `K.std`."""
    return torch.sqrt(var(x, axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _reduce(lambda t, a, keepdim: t.bool().any(a, keepdim=keepdim), x, axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return _reduce(lambda t, a, keepdim: t.bool().all(a, keepdim=keepdim), x, axis, keepdims)


def argmax(x, axis=-1):
    return torch.argmax(_t(x), dim=axis)


def argmin(x, axis=-1):
    return torch.argmin(_t(x), dim=axis)


# ------------------------------------------------------------------------------------ elementwise
def square(x):
    return torch.square(_t(x))


def sqrt(x):
    """`sqrt(max(x, 0))`: Keras clips negatives to 0 first, so rounding error never gives NaN."""
    return torch.sqrt(torch.clamp(_t(x), min=0.0))


def abs(x):  # noqa: A001 - Keras's name
    return torch.abs(_t(x))


def exp(x):
    return torch.exp(_t(x))


def log(x):
    return torch.log(_t(x))


def pow(x, a):  # noqa: A001 - Keras's name
    return torch.pow(_t(x), a)


def sign(x):
    return torch.sign(_t(x))


def round(x):  # noqa: A001 - Keras's name
    return torch.round(_t(x))


def clip(x, min_value, max_value):
    return torch.clamp(_t(x), min_value, max_value)


def maximum(x, y):
    return torch.maximum(_t(x), _t(y))


def minimum(x, y):
    return torch.minimum(_t(x), _t(y))


def equal(x, y):
    return torch.eq(_t(x), _t(y))


def not_equal(x, y):
    return torch.ne(_t(x), _t(y))


def greater(x, y):
    return torch.gt(_t(x), _t(y))


def greater_equal(x, y):
    return torch.ge(_t(x), _t(y))


def less(x, y):
    return torch.lt(_t(x), _t(y))


def less_equal(x, y):
    return torch.le(_t(x), _t(y))


def switch(condition, then_expression, else_expression):
    """Elementwise `then if condition else else`, as `torch.where`."""
    return torch.where(_t(condition).bool(), _t(then_expression), _t(else_expression))


# ------------------------------------------------------------------------------------- shapes, products
def dot(x, y):
    """Keras's `K.dot`: a matrix product over the last axis of `x` and the second-to-last of `y`."""
    return torch.matmul(_t(x), _t(y))


def batch_dot(x, y, axes=None):
    """The per-sample dot product of two batches, summed over `axes` (default: last of `x`, first non-batch of
    `y` for 2-D inputs, else last of `x` and second-to-last of `y`)."""
    x, y = _t(x), _t(y)
    if x.ndim == 2 and y.ndim == 2 and axes in (None, 1, (1, 1), [1, 1]):
        return (x * y).sum(-1, keepdim=True)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2)
    axes = (axes, axes) if isinstance(axes, int) else tuple(axes)
    return torch.einsum(_batch_dot_equation(x.ndim, y.ndim, axes), x, y)


def transpose(x):
    """Reverses the axes of `x` (Keras's `K.transpose`)."""
    x = _t(x)
    return x.permute(*reversed(range(x.ndim)))


def reshape(x, shape):
    return _t(x).reshape(shape)


def flatten(x):
    return _t(x).reshape(-1)


def batch_flatten(x):
    x = _t(x)
    return x.reshape(x.shape[0], -1)


def expand_dims(x, axis=-1):
    return _t(x).unsqueeze(axis)


def squeeze(x, axis):
    return _t(x).squeeze(axis)


def concatenate(tensors, axis=-1):
    return torch.cat([_t(t) for t in tensors], dim=axis)


def stack(x, axis=0):
    return torch.stack([_t(t) for t in x], dim=axis)


def l2_normalize(x, axis=None):
    x = _t(x)
    return x / torch.sqrt(torch.clamp(sum(x * x, axis=axis, keepdims=True), min=1e-12))


# ------------------------------------------------------------------------------------ activations, losses
def sigmoid(x):
    return torch.sigmoid(_t(x))


def hard_sigmoid(x):
    """Keras 2's piecewise-linear sigmoid: `clip(0.2 * x + 0.5, 0, 1)`."""
    return torch.clamp(0.2 * _t(x) + 0.5, 0.0, 1.0)


def tanh(x):
    return torch.tanh(_t(x))


def relu(x, alpha=0.0, max_value=None):
    x = _t(x)
    out = torch.relu(x) if not alpha else torch.where(x >= 0, x, alpha * x)
    return out if max_value is None else torch.clamp(out, max=max_value)


def elu(x, alpha=1.0):
    return torch.nn.functional.elu(_t(x), alpha=alpha)


def softmax(x, axis=-1):
    return torch.softmax(_t(x), dim=axis)


def softplus(x):
    return torch.nn.functional.softplus(_t(x))


def softsign(x):
    return torch.nn.functional.softsign(_t(x))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample crossentropy of one-hot `target` and probabilities `output` (Keras's argument order)."""
    import cornu.losses

    return cornu.losses.categorical_crossentropy(_t(target), _t(output), from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample crossentropy of integer `target` and probabilities `output`."""
    import cornu.losses

    return cornu.losses.sparse_categorical_crossentropy(_t(target), _t(output), from_logits=from_logits, axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy (no mean over the last axis, as Keras's backend function)."""
    target, output = _t(target), _t(output)
    if from_logits:
        return torch.nn.functional.binary_cross_entropy_with_logits(output, target, reduction="none")
    output = torch.clamp(output, epsilon(), 1.0 - epsilon())
    return -(target * torch.log(output) + (1.0 - target) * torch.log(1.0 - output))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    generator = _config.make_generator(seed)
    return torch.rand(shape, generator=generator, dtype=_config.torch_dtype(dtype)) * (maxval - minval) + minval


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    generator = _config.make_generator(seed)
    return torch.randn(shape, generator=generator, dtype=_config.torch_dtype(dtype)) * stddev + mean


_MISSING_NOTE = (
    "Graph-era functions (function, placeholder, gradients, get_session, learning_phase) have no meaning in eager "
    "PyTorch: call the model directly, use torch.autograd.grad, or pass training=True/False to a layer."
)


def __getattr__(name):
    raise AttributeError(
        f"`K.{name}` is not in cornu's Keras backend. It offers: {', '.join(__all__)}. {_MISSING_NOTE}"
    )


def _t(x):
    """A tensor for `x` (numbers and numpy arrays are converted in the default float type)."""
    if isinstance(x, torch.Tensor):
        return x
    array = np.asarray(x)
    if array.dtype.kind == "f":
        return torch.as_tensor(array, dtype=_config.torch_dtype(None))
    return torch.as_tensor(array)


def _batch_dot_equation(x_ndim, y_ndim, axes):
    letters = "bcdefghijklmnopq"
    x_axes = ["a"] + list(letters[: x_ndim - 1])
    y_axes = ["a"] + list(letters[x_ndim - 1 : x_ndim + y_ndim - 2])
    y_axes[axes[1]] = x_axes[axes[0]]
    out = [c for c in x_axes if c != x_axes[axes[0]]] + [c for i, c in enumerate(y_axes) if i not in (0, axes[1])]
    return f"{''.join(x_axes)},{''.join(y_axes)}->{''.join(out)}"
