"""`ReduceLROnPlateau`: multiplies the learning rate by `factor` when the monitored quantity stops improving."""

import warnings

import numpy as np

from cornu.callbacks.early_stopping import MonitorCallback
from cornu.callbacks.learning_rate_scheduler import _named_optimizers, read_learning_rate
from cornu.legacy.translate import warn_once

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Lowers the learning rate to `lr * factor` (not below `min_lr`) after `patience` epochs without improvement.

    A reduction sets a cooldown counter to `cooldown`; each later epoch lowers it by one, and epochs without
    improvement count again from the epoch in which it reaches 0 (Keras's rule: `cooldown=2` pauses the count for
    one epoch; `cooldown=1` not at all). The rate in force during each epoch is written into the logs as
    `learning_rate` (read in `floatx()` precision, as Keras stores it). An epoch without the monitored value warns,
    listing the keys that are there, and changes nothing.

    Args:
        monitor: Name of the logged quantity. Defaults to `"val_loss"`.
        factor: Multiplier in `[0, 1)` applied to the rate: `new_lr = lr * factor`. Defaults to `0.1`.
        patience: Epochs without improvement before reducing. Defaults to `10`.
        verbose: `1` prints each reduction. Defaults to `0`.
        mode: `"auto"`, `"min"` or `"max"`: whether lower or higher is better; `"auto"` minimizes losses and asks
            the compiled metric of that name otherwise. Defaults to `"auto"`.
        min_delta: Smallest change that counts as an improvement. Defaults to `1e-4`.
        cooldown: Epochs to wait after a reduction before counting again. Defaults to `0`.
        min_lr: Lower bound of the learning rate. Defaults to `0.0`.
        **kwargs: Only Keras 2's `epsilon`, the old name of `min_delta` (with a `DeprecationWarning`).

    Example:
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    >>> model.compile(optimizer=cornu.optimizers.SGD(0.5), loss="mse")
    >>> reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> reduce.set_model(model); reduce.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 1.0, 0.5, 0.7]):
    ...     reduce.on_epoch_end(epoch, {"loss": loss})
    >>> model.optimizer.learning_rate
    0.125
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        min_delta = _legacy_epsilon(min_delta, kwargs)
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau only lowers the learning rate, so `factor` must be below 1.0. Received "
                f"factor={factor}. For example, factor=0.1 divides the rate by 10 on each plateau."
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs or {}
        for optimizer, name in _named_optimizers(self.model):
            logs[f"learning_rate_{name}" if name else "learning_rate"] = read_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            # Keras's wording, kept so that warning filters written for Keras still match.
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch):
        reduced = False
        for optimizer, name in _named_optimizers(self.model):
            reduced = self._reduce_optimizer_lr(optimizer, epoch, name) or reduced
        if reduced:
            self.cooldown_counter = self.cooldown
            self.wait = 0

    def _reduce_optimizer_lr(self, optimizer, epoch, name=""):
        old_lr = read_learning_rate(optimizer)
        # Keras holds min_lr as float32 here whatever floatx is: a rate at min_lr (in float32) is left alone.
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            whose = f" {name}" if name else ""
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{whose} learning rate to {new_lr}.", flush=True)
        return True


def _legacy_epsilon(min_delta, kwargs):
    """Keras 2 called `min_delta` `epsilon`; Keras 3 silently ignores it, which would drop the user's threshold.

    (Belongs in `cornu.legacy.table` as a row `("ReduceLROnPlateau", "epsilon") -> "min_delta"` once callbacks are
    wrapped by `legacy_arguments`; until then it is translated here, with the table's wording.)"""
    if "epsilon" in kwargs:
        min_delta = kwargs.pop("epsilon")
        warn_once(
            ("ReduceLROnPlateau", "epsilon"),
            f"`epsilon` is the Keras 2 name of `min_delta`; write `min_delta={min_delta!r}`.",
        )
    if kwargs:
        raise TypeError(
            f"ReduceLROnPlateau got unexpected keyword argument(s) {sorted(kwargs)}. It takes monitor, factor, "
            f"patience, verbose, mode, min_delta, cooldown and min_lr."
        )
    return min_delta
