"""The `Loss` base class, `LossFunctionWrapper`, and Keras's rules for weighting and reducing losses.

A loss is called as `loss(y_true, y_pred, sample_weight=None)`: `call` gives one value per sample (per
timestep, per pixel), then the sample weights and any mask multiply it, then the reduction makes it a scalar.
Everything here is torch arithmetic on shapes known in Python, so nothing syncs the host.
"""

import numpy as np
import torch

from cornu.backend import torch_dtype
from cornu.utils.naming import to_snake_case, unique_name

__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "BuiltinLoss",
    "REDUCTIONS",
    "standardize_reduction",
    "squeeze_or_expand_to_same_rank",
    "reduce_values",
    "reduce_weighted_values",
    "as_float_pair",
    "check_axis",
    "check_fraction",
    "MASK_ATTRIBUTE",
]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

# Keras keeps a tensor's mask on the tensor itself (the torch backend sets `x._keras_mask`); a loss that
# leaves out some entries (sparse crossentropy with `ignore_class`) marks its result the same way.
MASK_ATTRIBUTE = "_keras_mask"


class Loss:
    """Base class of losses: subclass it and write `call(y_true, y_pred)`, returning per-sample losses.

    Calling the loss converts both arguments to the loss's `dtype`, runs `call`, multiplies by `sample_weight`
    (and by a mask, where `y_pred` or the result carries one) and reduces the result.

    Args:
        name: Optional name. Defaults to the snake-case class name, made unique (`loss`, `loss_1`, ...).
        reduction: How the weighted per-sample losses become the result. `"sum_over_batch_size"` and `"mean"`
            divide their sum by their number; `"sum"` sums them; `"mean_with_sample_weight"` divides the sum by
            the sum of the sample weights; `"none"` or `None` returns them unreduced.
            Defaults to `"sum_over_batch_size"`.
        dtype: The float type the loss computes in. Defaults to `None`, meaning `cornu.backend.floatx()`.

    Example:
    >>> class AbsoluteError(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return (y_pred - y_true).abs().mean(dim=-1)
    >>> AbsoluteError()([[0.0], [1.0]], [[1.0], [3.0]]).item()
    1.5
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._torch_dtype = torch_dtype(dtype)
        self._dtype = str(self._torch_dtype).replace("torch.", "")

    @property
    def dtype(self):
        """The name of the float type the loss computes in (`'float32'` by default)."""
        return self._dtype

    # Keras casts targets to the loss dtype; a loss of class indices may keep them integer (same values, and
    # no int -> float -> int round trip every step).
    _keeps_integer_targets = False

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, MASK_ATTRIBUTE, None)
        y_pred = _to_tensor(y_pred, self._torch_dtype)
        keep = self._keeps_integer_targets and _is_integer(y_true)
        y_true = _to_tensor(y_true, None if keep else self._torch_dtype, y_pred.device)
        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, MASK_ATTRIBUTE, None)
        if in_mask is not None and out_mask is not None:
            mask = in_mask.bool() & out_mask.bool()
        else:
            mask = in_mask if in_mask is not None else out_mask
        if sample_weight is not None:
            sample_weight = _to_tensor(sample_weight, self._torch_dtype, y_pred.device)
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction, self._torch_dtype)

    def call(self, y_true, y_pred):
        """Per-sample losses for tensors `y_true` and `y_pred`; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(self, y_true, y_pred)`.")

    def get_config(self):
        """The constructor arguments that rebuild this loss (Keras leaves `dtype` out)."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        """Builds the loss from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """Makes a `Loss` of a function `fn(y_true, y_pred, **kwargs)` that returns per-sample losses.

    Before calling `fn`, `y_true` and `y_pred` are brought to the same rank as Keras does: a trailing axis of
    size 1 is squeezed from, or added to, the one that has one axis more than the other.

    Args:
        fn: The loss function.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Optional name. Defaults to `None` (`"loss_function_wrapper"`, made unique).
        dtype: See `Loss`. Defaults to `None`.
        **kwargs: Keyword arguments passed to `fn` on every call.

    Example:
    >>> def scaled_error(y_true, y_pred, scale=1.0):
    ...     return scale * (y_pred - y_true).abs().mean(dim=-1)
    >>> loss = LossFunctionWrapper(scaled_error, scale=2.0)
    >>> loss([1.0, 2.0], [[1.5], [2.5]]).item()
    1.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not callable(fn):
            raise TypeError(f"`fn` must be a callable `fn(y_true, y_pred)`. Received: fn={fn!r}")
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from cornu.losses.serialization import serialize

        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        from cornu.losses.serialization import deserialize

        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        fn = getattr(self.fn, "__name__", self.fn)
        return f"<{type(self).__name__}({fn}, kwargs={self._fn_kwargs}) name={self.name!r}>"


class BuiltinLoss(LossFunctionWrapper):
    """A Keras loss class: a loss function plus its keyword options, kept as attributes and in the config.

    Unlike Keras, whose `Huber`, `CosineSimilarity` and `SparseCategoricalCrossentropy` configs drop `delta`
    and `axis`, every option is in the config, so `from_config(get_config())` rebuilds the same loss.
    """

    def __init__(self, fn, reduction, name, dtype, **options):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r} {self._fn_kwargs}>"


def standardize_reduction(reduction):
    """Returns `reduction` if Keras knows it, else raises a ValueError listing the choices.

    >>> standardize_reduction("sum")
    'sum'
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. Received: reduction={reduction!r}"
        )
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Brings two tensors whose ranks differ by one to the same rank, using the trailing axis of size 1.

    The tensor with the extra axis loses it, unless the other has rank 1 (then that one gains an axis, so a
    vector of targets `(n,)` meets predictions `(n, 1)` as `(n, 1)`).

    >>> a, b = squeeze_or_expand_to_same_rank(torch.zeros(4), torch.zeros(4, 1))
    >>> tuple(a.shape), tuple(b.shape)
    ((4, 1), (4, 1))
    """
    rank1, rank2 = x1.dim(), x2.dim()
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduces already-weighted `values` to a scalar (scalars and empty vectors pass through unchanged).

    >>> reduce_values(torch.tensor([1.0, 2.0, 6.0]), reduction="sum_over_batch_size").item()
    3.0
    """
    if reduction is None or reduction == "none" or values.dim() == 0 or tuple(values.shape) == (0,):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(total, sample_weight.sum().to(total.dtype))
    count = values.numel()
    return total / count if count else torch.zeros_like(total)


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Multiplies per-sample `values` by `sample_weight` and `mask`, then reduces them as `reduction` says.

    A mask counts as a weight; for `"sum_over_batch_size"` and `"mean"` it is scaled by total/valid entries,
    so the result is the mean over the entries the mask keeps.

    >>> values, weights = torch.tensor([1.0, 3.0]), torch.tensor([1.0, 0.0])
    >>> reduce_weighted_values(values, weights, reduction="mean_with_sample_weight").item()
    1.0
    """
    reduction = standardize_reduction(reduction)
    values = values.to(torch_dtype(dtype)) if dtype is not None else values
    sample_weight = _merge_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight.to(values.dtype))
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def _merge_mask(sample_weight, mask, dtype, reduction):
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        kept = mask.bool()
        valid = kept.sum().to(dtype)
        float_mask = torch.where(kept, _divide_no_nan(torch.full_like(valid, mask.numel()), valid), 0.0)
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight.to(dtype))
    return sample_weight * float_mask


def _divide_no_nan(numerator, denominator):
    # Keras's divide_no_nan: 0 where the denominator is 0 (a batch whose weights are all 0 gives loss 0).
    safe = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return torch.where(denominator == 0, torch.zeros_like(numerator), numerator / safe)


def as_float_pair(y_true, y_pred):
    """`y_pred` as a tensor (floatx if it was not float) and `y_true` cast to its dtype and device.

    Loss functions start with this so they also take lists and NumPy arrays, as Keras's do.

    >>> y_true, y_pred = as_float_pair([1, 0], [0.5, 0.5])
    >>> y_true.dtype, y_pred.dtype
    (torch.float32, torch.float32)
    """
    if not isinstance(y_pred, torch.Tensor) or not y_pred.is_floating_point():
        y_pred = _to_tensor(y_pred, None)
        if not y_pred.is_floating_point():
            y_pred = y_pred.to(torch_dtype(None))
    return _to_tensor(y_true, y_pred.dtype, y_pred.device), y_pred


def check_axis(axis):
    """Returns `axis` if it is an int (not a bool), else raises the ValueError Keras raises."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis!r} of type {type(axis)}")
    return axis


def check_fraction(name, value):
    """Returns `value` if it is a number in [0, 1], else raises a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a float in [0, 1]. Received: {name}={value!r}")
    return value


def _is_integer(x):
    if isinstance(x, torch.Tensor):
        return not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool
    return isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.integer)


def _to_tensor(x, dtype, device=None):
    if isinstance(x, torch.Tensor):
        if (dtype is None or x.dtype is dtype) and (device is None or x.device == device):
            return x  # the case of every training step: no call into torch
        return x.to(device=device or x.device, dtype=dtype or x.dtype)
    array = np.asarray(x)
    if dtype is None and not isinstance(x, np.ndarray) and array.dtype == np.float64:
        dtype = torch_dtype(None)  # Python floats become floatx, as in Keras; NumPy arrays keep their dtype.
    return torch.as_tensor(array, dtype=dtype, device=device)
