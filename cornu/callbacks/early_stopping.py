"""`EarlyStopping`, and `MonitorCallback`: the "is this epoch better?" rule it shares with `ReduceLROnPlateau`."""

import warnings

import torch

from cornu.backend import torch_dtype
from cornu.callbacks.callback import Callback

__all__ = ["EarlyStopping", "MonitorCallback"]

_MODES = ("auto", "min", "max")


class MonitorCallback(Callback):
    """Base of the callbacks that watch one logged quantity and ask whether it improved.

    The direction is decided at the first `on_epoch_end`, once the compiled metrics exist: `mode="min"` or `"max"`
    say it; `"auto"` minimizes `loss` / `val_loss` and otherwise follows the direction the compiled metric of that
    name declares (accuracies and AUC go up, errors and crossentropies down). A value improves when it beats the
    reference by more than `min_delta`; both sides are compared in `floatx()` precision, as Keras compares them.

    Args:
        monitor: Name of the logged quantity. Defaults to `"val_loss"`.
        mode: `"auto"`, `"min"` or `"max"`; anything else warns and falls back to `"auto"`, as in Keras.
            Defaults to `"auto"`.
        baseline: Initial reference value, or `None` to take the first value seen. Defaults to `None`.
        min_delta: Smallest change that counts as an improvement (its sign is ignored). Defaults to `0`.

    Example:
    >>> callback = MonitorCallback("loss", mode="min", min_delta=0.1)
    >>> callback._set_monitor_op()
    >>> callback._is_improvement(0.85, 1.0), callback._is_improvement(0.95, 1.0)
    (True, False)
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in _MODES:
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        """Picks `_less` or `_greater` (once: the sign of `min_delta` follows the direction)."""
        if self.mode == "min":
            self.monitor_op = _less
        elif self.mode == "max":
            self.monitor_op = _greater
        else:
            self.monitor_op = self._auto_direction()
        if self.monitor_op is _less:
            self.min_delta = -self.min_delta

    def _auto_direction(self):
        name = self.monitor.removeprefix("val_")
        op = _less if name == "loss" else None
        # A compiled metric of the same name overrides the rule for "loss" (Keras looks there last, too).
        for metric in getattr(self.model, "metrics", None) or []:
            direction = getattr(metric, "_direction", None)
            if getattr(metric, "name", None) == name and direction is not None:
                op = _greater if direction == "up" else _less
        if op is None:
            raise ValueError(
                f"{type(self).__name__} cannot tell whether monitor='{self.monitor}' should go up or down: it is "
                f"not a loss, and no compiled metric named '{name}' declares a direction. Pass `mode='max'` to "
                f"keep the highest value (an accuracy, say), or `mode='min'` to keep the lowest (an error)."
            )
        return op

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return self.monitor_op(monitor_value - self.min_delta, reference_value)


class EarlyStopping(MonitorCallback):
    """Stops `fit` once the monitored quantity has not improved for `patience` epochs.

    Each epoch whose value does not beat the best so far by more than `min_delta` adds one to a counter; an
    improvement that also beats `baseline` (if given) resets it. When the counter reaches `patience` (never on the
    first epoch), `model.stop_training` is set and `fit` ends after that epoch. Epochs before `start_from_epoch`
    are not watched. An epoch without the monitored value warns, listing the keys that are there, and is skipped.

    Args:
        monitor: Name of the logged quantity. Defaults to `"val_loss"`.
        min_delta: Smallest change that counts as an improvement. Defaults to `0`.
        patience: Epochs without improvement before stopping. Defaults to `0`.
        verbose: `1` prints when it stops and when it restores weights. Defaults to `0`.
        mode: `"auto"`, `"min"` or `"max"`: whether lower or higher is better; `"auto"` minimizes losses and asks
            the compiled metric of that name otherwise (see `MonitorCallback`). Defaults to `"auto"`.
        baseline: A value the quantity must beat; until it does, improvements do not reset the counter, so
            training stops `patience` epochs after the watch begins. Defaults to `None`.
        restore_best_weights: At the end of training, load the weights of the best epoch (even one that did not
            beat `baseline`). If `False`, the model keeps its last weights. Defaults to `False`.
        start_from_epoch: Epochs of warm-up to leave unwatched. Defaults to `0`.

    Attributes:
        stopped_epoch: The (0-based) epoch at which training was stopped, `0` if it was not.
        best, best_epoch, best_weights: The best value seen, its epoch, and its weights if restoring.

    Example:
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> stop = EarlyStopping(monitor="loss", patience=2)
    >>> stop.set_model(model); stop.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7, 0.4]):
    ...     stop.on_epoch_end(epoch, {"loss": loss})
    ...     if model.stop_training:
    ...         break
    >>> stop.stopped_epoch, stop.best
    (3, 0.5)
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        # `baseline` only gates the counter reset: the best value still starts from the first epoch seen.
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        # A callback may be handed to several fit() calls: each starts from scratch.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Something to restore even if no later epoch ever improves.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.", flush=True)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """`logs[monitor]`, or `None` with a warning that lists the keys the logs do have."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            # Keras's wording, kept so that warning filters written for Keras still match.
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value


def _floatx(value):
    # Keras hands both sides to ops.less/ops.greater, which make floatx tensors of them: 0.5 + 1e-9 does not beat 0.5.
    return torch.as_tensor(value, dtype=torch_dtype(None))


def _less(a, b):
    return bool(_floatx(a) < _floatx(b))


def _greater(a, b):
    return bool(_floatx(a) > _floatx(b))
