"""Activation functions: tensors in, tensor out, with Keras 3's names, arguments and formulas.

Each function calls torch's fused kernel (`torch.nn.functional`) where that kernel computes Keras's formula, so
none of them syncs the host. `get` resolves what a layer's `activation=` argument holds (a name, a config, a
callable, or `None` for `linear`); `serialize` gives back a built-in's name, as Keras does.

Example:
>>> get("relu")(torch.tensor([-1.0, 0.5])).tolist()
[0.0, 0.5]
"""

import inspect

import torch
import torch.nn.functional as F

from cornu.utils.identifiers import did_you_mean, lookup

__all__ = [
    "celu",
    "elu",
    "exponential",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
    "get",
    "serialize",
    "deserialize",
]


def _tensor(x):
    # Keras accepts arrays and numbers here too; a tensor passes through untouched (no copy, no sync).
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(x)


def _keep_logits(output, logits):
    # Keras attaches the logits to sigmoid/softmax outputs so that a crossentropy with `from_logits=False`
    # can work from the logits (numerically stable); cornu's losses read the same attribute.
    output._keras_logits = logits
    return output


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: `x` above `threshold`, `negative_slope * (x - threshold)` below, capped at `max_value`.

    Args:
        x: Input tensor.
        negative_slope: Float, the slope below `threshold`. Defaults to `0.0`.
        max_value: Optional float, the largest output. Defaults to `None` (no cap).
        threshold: Float, the input below which values are damped. Defaults to `0.0`.

    Returns:
        A tensor of the shape and dtype of `x`.

    Example:
    >>> relu(torch.tensor([-2.0, 1.0, 8.0]), negative_slope=0.5, max_value=6.0).tolist()
    [-1.0, 1.0, 6.0]
    """
    x = _tensor(x)
    if max_value is None and threshold == 0:
        return torch.relu(x) if negative_slope == 0 else F.leaky_relu(x, negative_slope)
    if max_value == 6 and threshold == 0 and negative_slope == 0:
        return F.relu6(x)
    # As Keras: positive part first (kept only above the threshold, then capped), then the damped negative part.
    positive = F.relu(x) if threshold == 0 else torch.where(x > threshold, x, torch.zeros_like(x))
    if max_value is not None:
        positive = torch.clamp(positive, 0.0, max_value)
    if negative_slope == 0:
        return positive
    return positive - negative_slope * F.relu(threshold - x)


def leaky_relu(x, negative_slope=0.2):
    """`x` for positive inputs, `negative_slope * x` otherwise.

    Args:
        x: Input tensor.
        negative_slope: Float, the slope for negative inputs. Defaults to `0.2`.

    Example:
    >>> leaky_relu(torch.tensor([-1.0, 2.0])).tolist()
    [-0.20000000298023224, 2.0]
    """
    return F.leaky_relu(_tensor(x), negative_slope)


def relu6(x):
    """`min(max(x, 0), 6)`.

    Example:
    >>> relu6(torch.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
    """
    return F.relu6(_tensor(x))


def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis`: each slice becomes a probability distribution.

    Args:
        x: Input tensor (logits).
        axis: Integer, tuple of integers, or `None` (all axes): where the sum is taken. Defaults to `-1`.

    Example:
    >>> softmax(torch.tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    x = _tensor(x)
    if isinstance(axis, int):
        output = x.softmax(axis)
        output._keras_softmax_axis = axis  # a crossentropy on this output may work from the logits (see losses)
    else:
        output = torch.exp(_log_softmax_over(x, axis))
    return _keep_logits(output, x)


def log_softmax(x, axis=-1):
    """`x - log(sum(exp(x)))` along `axis`, computed stably.

    Args:
        x: Input tensor (logits).
        axis: Integer, tuple of integers, or `None` (all axes). Defaults to `-1`.

    Example:
    >>> round(log_softmax(torch.tensor([0.0, 0.0]))[0].item(), 4)
    -0.6931
    """
    x = _tensor(x)
    return F.log_softmax(x, dim=axis) if isinstance(axis, int) else _log_softmax_over(x, axis)


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0`, else `alpha * (exp(x) - 1)`.

    Args:
        x: Input tensor.
        alpha: Float, the value approached for very negative inputs is `-alpha`. Defaults to `1.0`.

    Example:
    >>> elu(torch.tensor([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return F.elu(_tensor(x), alpha)


def selu(x):
    """Scaled ELU: `scale * elu(x, alpha)` with `alpha ~ 1.6733` and `scale ~ 1.0507` (Klambauer et al., 2017).

    Use it with `lecun_normal` weights and `AlphaDropout` for a self-normalizing network.

    Example:
    >>> round(selu(torch.tensor([1.0]))[0].item(), 4)
    1.0507
    """
    return F.selu(_tensor(x))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`.

    Args:
        x: Input tensor.
        alpha: Float, the scale of the negative part. Defaults to `1.0`.

    Example:
    >>> celu(torch.tensor([0.0, 3.0])).tolist()
    [0.0, 3.0]
    """
    return F.celu(_tensor(x), alpha)


def softplus(x):
    """`log(exp(x) + 1)`.

    Example:
    >>> round(softplus(torch.tensor([0.0]))[0].item(), 4)
    0.6931
    """
    return F.softplus(_tensor(x))


def softsign(x):
    """`x / (abs(x) + 1)`.

    Example:
    >>> softsign(torch.tensor([1.0, -3.0])).tolist()
    [0.5, -0.75]
    """
    return F.softsign(_tensor(x))


def silu(x):
    """Sigmoid linear unit, also called swish: `x * sigmoid(x)`.

    Example:
    >>> silu(torch.tensor([0.0]))[0].item()
    0.0
    """
    return F.silu(_tensor(x))


def gelu(x, approximate=False):
    """Gaussian error linear unit: `x * P(X <= x)` for a standard normal `X`.

    Args:
        x: Input tensor.
        approximate: Bool, whether to use the tanh approximation
            `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))`. Defaults to `False` (the exact erf form).

    Example:
    >>> gelu(torch.tensor([0.0, 10.0])).tolist()
    [0.0, 10.0]
    """
    return F.gelu(_tensor(x), approximate="tanh" if approximate else "none")


def glu(x, axis=-1):
    """Gated linear unit: splits `x` in halves `a, b` along `axis` and returns `a * sigmoid(b)`.

    Args:
        x: Input tensor; its size along `axis` must be even.
        axis: Integer, the axis to split. Defaults to `-1`.

    Example:
    >>> glu(torch.tensor([2.0, 0.0])).tolist()
    [1.0]
    """
    return F.glu(_tensor(x), dim=axis)


def tanh(x):
    """Hyperbolic tangent, `(exp(x) - exp(-x)) / (exp(x) + exp(-x))`.

    Example:
    >>> tanh(torch.tensor([0.0]))[0].item()
    0.0
    """
    return torch.tanh(_tensor(x))


def tanh_shrink(x):
    """`x - tanh(x)`.

    Example:
    >>> tanh_shrink(torch.tensor([0.0]))[0].item()
    0.0
    """
    return F.tanhshrink(_tensor(x))


def hard_tanh(x):
    """`clip(x, -1, 1)`.

    Example:
    >>> hard_tanh(torch.tensor([-3.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    return F.hardtanh(_tensor(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """`x` where `abs(x) > threshold`, else `0`.

    Args:
        x: Input tensor.
        threshold: Float, the half-width of the zeroed band. Defaults to `0.5`.

    Example:
    >>> hard_shrink(torch.tensor([-1.0, 0.3, 2.0])).tolist()
    [-1.0, 0.0, 2.0]
    """
    return F.hardshrink(_tensor(x), threshold)


def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else `0`.

    Args:
        x: Input tensor.
        threshold: Float, the half-width of the zeroed band. Defaults to `0.5`.

    Example:
    >>> soft_shrink(torch.tensor([-1.0, 0.3, 2.0])).tolist()
    [-0.5, 0.0, 1.5]
    """
    return F.softshrink(_tensor(x), threshold)


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`.

    Args:
        x: Input tensor.
        threshold: Float, values at or below it are replaced.
        default_value: Float, the replacement.

    Example:
    >>> threshold(torch.tensor([-1.0, 2.0]), 0.0, -5.0).tolist()
    [-5.0, 2.0]
    """
    return F.threshold(_tensor(x), threshold, default_value)


def sigmoid(x):
    """`1 / (1 + exp(-x))`, between 0 and 1.

    Example:
    >>> sigmoid(torch.tensor([0.0]))[0].item()
    0.5
    """
    x = _tensor(x)
    return _keep_logits(torch.sigmoid(x), x)


def hard_sigmoid(x):
    """Piecewise linear sigmoid: `0` below `-3`, `1` above `3`, `x / 6 + 0.5` between (Keras 3's definition;
    Keras 2 used `0.2 * x + 0.5` on `[-2.5, 2.5]`).

    Example:
    >>> hard_sigmoid(torch.tensor([-4.0, 0.0, 4.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    return F.hardsigmoid(_tensor(x))


def hard_silu(x):
    """Hard SiLU, also called hard swish: `x * hard_sigmoid(x)`, i.e. `x * relu6(x + 3) / 6`.

    Example:
    >>> hard_silu(torch.tensor([-4.0, 0.0, 4.0])).tolist()
    [-0.0, 0.0, 4.0]
    """
    return F.hardswish(_tensor(x))


def sparse_sigmoid(x):
    """Piecewise linear sigmoid: `0` below `-1`, `1` above `1`, `(x + 1) / 2` between.

    Example:
    >>> sparse_sigmoid(torch.tensor([-2.0, 0.0, 2.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    return torch.clamp(0.5 * (_tensor(x) + 1.0), 0.0, 1.0)


def sparse_plus(x):
    """Smooth ReLU: `0` below `-1`, `x` above `1`, `(x + 1)**2 / 4` between.

    Example:
    >>> sparse_plus(torch.tensor([-2.0, 0.0, 2.0])).tolist()
    [0.0, 0.25, 2.0]
    """
    x = _tensor(x)
    middle = 0.25 * (x + 1.0) ** 2
    return torch.where(x <= -1.0, torch.zeros_like(x), torch.where(x < 1.0, middle, x))


def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`, a smooth ReLU.

    Args:
        x: Input tensor.
        b: Non-negative number, the smoothness. Defaults to `4`.

    Example:
    >>> squareplus(torch.tensor([0.0])).tolist()
    [1.0]
    """
    x = _tensor(x)
    return (x + torch.sqrt(x * x + b)) / 2


def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably as `-softplus(-x)`.

    Example:
    >>> round(log_sigmoid(torch.tensor([0.0]))[0].item(), 4)
    -0.6931
    """
    return F.logsigmoid(_tensor(x))


def exponential(x):
    """`exp(x)`.

    Example:
    >>> exponential(torch.tensor([0.0])).tolist()
    [1.0]
    """
    return torch.exp(_tensor(x))


def linear(x):
    """The identity: returns `x` unchanged (what `activation=None` means).

    Example:
    >>> linear(torch.tensor([-1.0])).tolist()
    [-1.0]
    """
    return x


def mish(x):
    """`x * tanh(softplus(x))` (Misra, 2019).

    Example:
    >>> mish(torch.tensor([0.0])).tolist()
    [0.0]
    """
    return F.mish(_tensor(x))


def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis` (Martins & Astudillo, 2016).

    Like softmax its slices sum to 1, but small logits get exactly 0. Keras 3.15 computes the threshold
    differently (its slices do not always sum to 1); cornu follows the paper.

    Args:
        x: Input tensor (logits).
        axis: Integer, the axis to normalize. Defaults to `-1`.

    Example:
    >>> sparsemax(torch.tensor([2.0, 0.0])).tolist()
    [1.0, 0.0]
    """
    x = _tensor(x)
    ranked = torch.sort(x, dim=axis, descending=True).values
    cumulative = torch.cumsum(ranked, dim=axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    k = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).view(shape)
    in_support = ranked - (cumulative - 1) / k > 0
    size = in_support.sum(dim=axis, keepdim=True)
    # tau = (sum of the `size` largest logits - 1) / size. Keras 3.15 sums the cumulative sums over the whole
    # support instead, so its outputs stop summing to 1 once two or more entries are non-zero; cornu keeps the
    # paper's projection (tests/test_activations.py documents the difference).
    total = torch.gather(cumulative, axis, size - 1)
    return torch.clamp(x - (total - 1) / size.to(x.dtype), min=0.0)


# Keras's second names for the same functions.
swish = silu
hard_swish = hard_silu

_BUILTINS = {
    fn.__name__: fn
    for fn in (
        celu,
        elu,
        exponential,
        gelu,
        glu,
        hard_shrink,
        hard_sigmoid,
        hard_silu,
        hard_tanh,
        leaky_relu,
        linear,
        log_sigmoid,
        log_softmax,
        mish,
        relu,
        relu6,
        selu,
        sigmoid,
        silu,
        soft_shrink,
        softmax,
        softplus,
        softsign,
        sparse_plus,
        sparse_sigmoid,
        sparsemax,
        squareplus,
        tanh,
        tanh_shrink,
        threshold,
    )
}
_TABLE = {**_BUILTINS, "swish": silu, "hard_swish": hard_silu}


def get(identifier):
    """The activation function an identifier names.

    Args:
        identifier: `None` (meaning `linear`), a name such as `"relu"` or `"swish"`, a config dict as written by
            Keras (`{"class_name": "function", "config": "relu"}`), or any callable (returned as it is).

    Returns:
        A callable from tensors to tensors.

    Example:
    >>> get(None) is linear, get("swish") is silu
    (True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation function identifier: {identifier!r}. "
        "Pass a name such as 'relu', a callable, or None."
    )


def serialize(activation):
    """What a config stores for an activation: a built-in's name (`swish` gives `'silu'`, its canonical name), or,
    for your own function, Keras's function config naming it (its registered name when it was decorated with
    `cornu.saving.register_keras_serializable()`), which loads back with `custom_objects={"name": fn}`.

    An object with a `get_config()` (e.g. a callable class) is serialized as a Keras-style config dict. A `lambda` is
    refused: it has no name to load it by (Keras writes its bytecode, which cannot be loaded back).

    Example:
    >>> serialize(relu), serialize(swish)
    ('relu', 'silu')
    >>> def double(x):
    ...     return 2 * x
    >>> serialize(double)["config"]
    'double'
    """
    name = getattr(activation, "__name__", None)
    if name is not None and _BUILTINS.get(name) is activation:
        return name
    if inspect.isfunction(activation):
        return _function_config(activation)
    if hasattr(activation, "get_config"):
        return {
            "module": type(activation).__module__,
            "class_name": type(activation).__name__,
            "config": activation.get_config(),
            "registered_name": None,
        }
    raise ValueError(
        f"Cannot serialize the activation {activation!r}: it is not one of cornu's built-in activations. "
        "Use a built-in name such as 'relu', a named function, or give your callable a `get_config()` method."
    )


def _function_config(function):
    if function.__name__ == "<lambda>":
        raise ValueError(
            f"Cannot serialize the activation {function!r}: it is not one of cornu's built-in activations, and a "
            "lambda has no name to load it back by. Define it with `def`, decorate it with "
            "@cornu.saving.register_keras_serializable(), and it saves and loads by name."
        )
    from cornu.saving.registry import GLOBAL_CUSTOM_OBJECTS

    registered = [key for key, value in GLOBAL_CUSTOM_OBJECTS.items() if value is function and ">" in key]
    # Keras's dict for a function: loading it needs the function (registered, or in custom_objects)
    return {
        "module": "builtins",
        "class_name": "function",
        "config": registered[0] if registered else function.__name__,
        "registered_name": "function",
    }


def deserialize(config, custom_objects=None):
    """The activation function named by `config`: a name, or a Keras config dict of a function.

    Args:
        config: A name such as `"relu"`, or a dict whose `"config"` (or `"class_name"`) holds the name.
        custom_objects: Optional dict of extra `name -> callable`, searched first. Defaults to `None`.

    Example:
    >>> deserialize({"module": "keras.activations", "class_name": "function", "config": "tanh"}) is tanh
    True
    """
    from cornu.saving.registry import GLOBAL_CUSTOM_OBJECTS

    registered = {key: value for key, value in GLOBAL_CUSTOM_OBJECTS.items() if inspect.isfunction(value)}
    table = {**_TABLE, **registered, **(custom_objects or {})}
    if isinstance(config, dict):
        name = config.get("config") if isinstance(config.get("config"), str) else config.get("class_name")
        if name is None:
            raise ValueError(f"Could not interpret activation config {config!r}: it names no function.")
        config = config.get("registered_name") if name == "function" else name
        if config not in table and str(config).lower() not in table:
            raise ValueError(
                f"Unknown activation function {config!r}.{did_you_mean(config, sorted(_TABLE))} If it is your own, "
                f"pass custom_objects={{{config!r}: {str(config).split('>')[-1]}}} when loading, or decorate it with "
                "@cornu.saving.register_keras_serializable()."
            )
    return lookup("activation", config, table)


def _log_softmax_over(x, axis):
    # Several axes (or all, for None) at once: torch's softmax kernels take one dim, logsumexp takes many.
    dims = tuple(range(x.ndim)) if axis is None else tuple(axis)
    return x - torch.logsumexp(x, dim=dims, keepdim=True)
