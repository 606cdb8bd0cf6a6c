"""The metric lifecycle (`Metric`) and the reductions every other metric is built on: `Sum`, `Mean`,
`MeanMetricWrapper`.

A metric's state is a handful of torch tensors on `cornu.backend.get_device()`, updated in place by
`update_state` without ever asking the host for a value, so the training loop can call it every step and
read `result()` only when it prints.
"""

import numpy as np
import torch

from cornu.backend import floatx, get_device, torch_dtype
from cornu.utils.naming import to_snake_case, unique_name

__all__ = ["Metric", "Sum", "Mean", "MeanMetricWrapper"]

# Keras keeps a tensor's mask on the tensor (`x._keras_mask`, as cornu.losses does): a masked prediction, or
# a loss that leaves entries out (sparse crossentropy with `ignore_class`), weighs those entries 0.
MASK_ATTRIBUTE = "_keras_mask"


class Metric:
    """Holds the running state of a quantity computed batch after batch, and turns it into a result.

    Subclasses create their state in `__init__` with `add_variable`, accumulate into it in
    `update_state` (in place, on tensors: no `.item()`, no Python branch on a value) and read it in
    `result()`. Calling the metric updates it and returns the result, as in Keras.

    Args:
        name: Name of the metric, used as its key in `History`. Defaults to the snake-cased class name
            made unique (`precision`, `precision_1`, ...).
        dtype: Name of the dtype of the state and results. Defaults to `cornu.backend.floatx()`.

    Example:
    >>> class Count(Metric):
    ...     def __init__(self, name="count", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.n = self.add_variable((), name="n")
    ...     def update_state(self, values, sample_weight=None):
    ...         self.n += torch.as_tensor(values).numel()
    ...     def result(self):
    ...         return self.n
    >>> m = Count(); m.update_state([1, 2, 3]); float(m([4]))
    4.0
    """

    def __init__(self, name=None, dtype=None):
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        object.__setattr__(self, "_constants", [])
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._dtype = _dtype_name(dtype or floatx())
        self._device = get_device()

    def __setattr__(self, name, value):
        # Sub-metrics assigned as attributes share their state through `variables`, as Keras tracks them.
        if isinstance(value, Metric) and value not in self._metrics:
            self._metrics.append(value)
        object.__setattr__(self, name, value)

    @property
    def dtype(self):
        """The dtype name of the metric's state and result, e.g. `'float32'`."""
        return self._dtype

    @property
    def device(self):
        """The `torch.device` the state lives on."""
        return self._device

    @property
    def variables(self):
        """The state tensors, this metric's first, then those of its sub-metrics."""
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        return out

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Creates a state tensor on the metric's device and registers it in `variables`.

        Args:
            shape: Shape of the state, e.g. `()` or `(num_thresholds,)`.
            initializer: `'zeros'`, `'ones'`, a number, or a callable `(shape, dtype) -> array`.
                Defaults to `'zeros'`.
            dtype: dtype name. Defaults to the metric's `dtype`.
            aggregation: How replicas combine it (`'sum'`, `'mean'`, ...); kept for Keras compatibility.
            name: Name of the state (Keras's variable name, used when saving).

        Returns:
            The tensor; it also has Keras's `assign`, `assign_add` and `assign_sub`, working in place.
        """
        if "_variables" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() before add_variable.")
        tensor = _initial_value(tuple(shape), initializer, torch_dtype(dtype or self._dtype), self._device)
        tensor.variable_name = name
        tensor.aggregation = aggregation
        _attach_assign(tensor)
        self._variables.append(tensor)
        return tensor

    def _constant(self, value, dtype=None):
        """A fixed tensor (thresholds, class ids) made once on the metric's device and moved by `to()`:
        building it inside `update_state` would copy from the host at every step."""
        tensor = to_tensor(value, None if dtype is None else torch_dtype(dtype), self._device).clone()
        self._constants.append(tensor)
        return tensor

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras's older spelling of `add_variable`."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    def update_state(self, *args, **kwargs):
        """Accumulates one batch into the state. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """The metric's value from the state so far, as a tensor. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Sets every state tensor back to zero (the training loop calls it at each epoch's start)."""
        for variable in self.variables:
            variable.zero_()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def to(self, device):
        """Moves the state (and constants) to `device`, and returns the metric.

        Every attribute that held a state tensor (directly, or in a list or dict) holds the moved one after.
        """
        device = torch.device(device)
        moved = {id(t): _moved(t, device) for t in self._variables + self._constants}
        for key, value in list(vars(self).items()):
            object.__setattr__(self, key, _rebind(value, moved))
        for metric in self._metrics:
            metric.to(device)
        self._device = device
        return self

    def get_config(self):
        """The constructor arguments, enough for `from_config` to rebuild the metric."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Rebuilds a metric from `get_config()`'s dictionary."""
        return cls(**config)

    def _tensor(self, x, dtype=None):
        """`x` (numpy, list or tensor) as a detached tensor on the metric's device; `dtype` by name or torch."""
        return to_tensor(x, None if dtype is None else torch_dtype(dtype), self._device)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Sum(Metric):
    """The (weighted) sum of the values seen so far.

    Args:
        name: Defaults to `'sum'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = Sum(); m.update_state([1, 3, 5, 7]); float(m.result())
    16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise(self._tensor(values, self.dtype), self._weight(sample_weight), torch.sum)
        self.total.add_(values.sum())

    def _weight(self, sample_weight):
        return None if sample_weight is None else self._tensor(sample_weight, self.dtype)

    def result(self):
        return self.total.clone()


class Mean(Metric):
    """The (weighted) mean of the values seen so far: `total / count`, 0 before any update.

    Values of rank > 1 are first averaged per sample; `sample_weight` weighs samples.

    Args:
        name: Defaults to `'mean'`.
        dtype: Defaults to `floatx()`.

    Example:
    >>> m = Mean(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]); float(m.result())
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        weight = None if sample_weight is None else self._tensor(sample_weight, self.dtype)
        self._accumulate(self._tensor(values, self.dtype), weight, getattr(values, MASK_ATTRIBUTE, None))

    def _accumulate(self, values, weight, mask=None):
        if weight is not None and mask is not None:  # Keras applies a mask on the values only to given weights
            weight = apply_mask(weight, self._tensor(mask))
        values, weight = reduce_to_samplewise(values, weight, torch.mean)
        self.total.add_(values.sum())
        if weight is not None:
            self.count.add_(weight.sum())
        else:
            # The batch size is a host-side number: adding it never syncs.
            self.count.add_(values.shape[0] if values.ndim >= 1 else 1)

    def result(self):
        return _divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over all samples seen: a per-sample loss or score as a metric.

    Args:
        fn: The function, `fn(y_true, y_pred, **kwargs)` returning one value per sample (or per element).
        name: Defaults to a unique name from the class (`mean_metric_wrapper`).
        dtype: Defaults to `floatx()`.
        **kwargs: Passed to `fn` at each update.

    Example:
    >>> m = MeanMetricWrapper(lambda t, p: (t - p).abs(), name="l1")
    >>> m.update_state([[0.0, 1.0]], [[1.0, 1.0]]); float(m.result())
    0.5
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = _resolve_fn(fn)
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, MASK_ATTRIBUTE, None)  # read before conversion, which drops attributes
        values = self._fn(self._tensor(y_true), self._tensor(y_pred), **self._fn_kwargs)
        weight = None if sample_weight is None else self._tensor(sample_weight, self.dtype)
        if mask is not None:
            weight = apply_mask(weight, self._tensor(mask, self.dtype))
        self._accumulate(self._tensor(values, self.dtype), weight, getattr(values, MASK_ATTRIBUTE, None))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "fn": _serialize_fn(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def apply_mask(sample_weight, mask):
    """`sample_weight` times the 0/1 `mask` (Keras's `_keras_mask` on a prediction or a loss), or the mask alone."""
    mask = mask.to(sample_weight.dtype if sample_weight is not None else torch_dtype(floatx()))
    if sample_weight is None:
        return mask
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return sample_weight * mask


def to_tensor(x, dtype=None, device=None):
    """`x` as a detached torch tensor on `device` (a no-op for a tensor already there, in that dtype)."""
    if isinstance(x, torch.Tensor):
        return x.detach().to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype, device=device)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes ranks equal when they differ by one trailing axis of size 1 (Keras's rule for labels vs preds)."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def reduce_to_samplewise(values, sample_weight, reduce_fn):
    """One value per sample (axis 0), weighted: Keras's rule for `Mean` and `Sum` with any weight rank.

    Returns `(values, sample_weight)`; the weight has been reduced to one per sample (or is None).
    """
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if values.ndim > sample_weight.ndim:
            values = reduce_fn(values, dim=tuple(range(sample_weight.ndim, values.ndim)))
        sample_weight = sample_weight.broadcast_to(values.shape)
        values = values * sample_weight
        if sample_weight.ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=tuple(range(1, sample_weight.ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, dim=tuple(range(1, values.ndim)))
    return values, sample_weight


def _divide_no_nan(a, b):
    # 0 where the denominator is 0 (no data yet), as Keras's `divide_no_nan`.
    return torch.where(b == 0, torch.zeros_like(a), a / torch.where(b == 0, torch.ones_like(b), b))


def _dtype_name(dtype):
    if dtype == "int":  # Keras's IoU family asks for "int", which Keras resolves to int32.
        return "int32"
    return str(torch_dtype(dtype)).replace("torch.", "")


def _initial_value(shape, initializer, dtype, device):
    if isinstance(initializer, str) and initializer.lower() in ("zeros", "zero"):
        return torch.zeros(shape, dtype=dtype, device=device)
    if isinstance(initializer, str) and initializer.lower() in ("ones", "one"):
        return torch.ones(shape, dtype=dtype, device=device)
    if isinstance(initializer, (int, float)):
        return torch.full(shape, initializer, dtype=dtype, device=device)
    if callable(initializer):
        value = initializer(shape, dtype=str(dtype).replace("torch.", ""))
        return to_tensor(value, dtype, device).clone()
    raise ValueError(
        f"Unknown initializer for a metric variable: {initializer!r}. Use 'zeros', 'ones', a number, or a "
        "callable (shape, dtype) -> array."
    )


def _attach_assign(tensor):
    # Keras metrics written as `self.total.assign_add(x)` run unchanged: the methods write in place.
    tensor.assign = lambda value: tensor.copy_(torch.as_tensor(value, dtype=tensor.dtype, device=tensor.device))
    tensor.assign_add = lambda value: tensor.add_(torch.as_tensor(value, dtype=tensor.dtype, device=tensor.device))
    tensor.assign_sub = lambda value: tensor.sub_(torch.as_tensor(value, dtype=tensor.dtype, device=tensor.device))


def _moved(tensor, device):
    new = tensor.to(device)
    if hasattr(tensor, "variable_name"):
        new.variable_name, new.aggregation = tensor.variable_name, tensor.aggregation
        _attach_assign(new)
    return new


def _rebind(value, moved):
    if isinstance(value, torch.Tensor):
        return moved.get(id(value), value)
    if isinstance(value, list):
        return [_rebind(v, moved) for v in value]
    if isinstance(value, dict):
        return {k: _rebind(v, moved) for k, v in value.items()}
    return value


def _resolve_fn(fn):
    if isinstance(fn, str):
        import cornu.losses  # lazily: both packages import this module
        import cornu.metrics

        return cornu.metrics._builtin_function(fn) or cornu.losses.get(fn)
    if isinstance(fn, dict):  # Keras's serialized function: {"class_name": "function", "config": "mse"}
        return _resolve_fn(fn.get("config"))
    if not callable(fn):
        raise ValueError(f"MeanMetricWrapper needs a callable fn(y_true, y_pred). Received: fn={fn!r}")
    return fn


def _serialize_fn(fn):
    import cornu.metrics

    name = getattr(fn, "__name__", None)
    if name is not None and cornu.metrics._builtin_function(name) is fn:
        return name
    return fn
