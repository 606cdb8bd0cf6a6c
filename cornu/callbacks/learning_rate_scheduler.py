"""`LearningRateScheduler`: sets the optimizer's learning rate from a function of the epoch at each epoch's start."""

import inspect

import numpy as np
import torch

from cornu.backend import torch_dtype
from cornu.callbacks.callback import Callback

__all__ = ["LearningRateScheduler", "read_learning_rate"]


class LearningRateScheduler(Callback):
    """Calls `schedule(epoch, lr)` at the start of every epoch and makes its answer the optimizer's learning rate.

    `epoch` counts from 0 and `lr` is the current rate. A Keras 1 style `schedule(epoch)` of one argument works
    too. At each epoch's end the rate is written into the logs as `learning_rate`, so `History` and `CSVLogger`
    record it. The rate is read back in `floatx()` precision, the precision Keras stores it in (`0.1` reads as
    `0.10000000149011612`).

    Args:
        schedule: Function of `(epoch, lr)` (or of `epoch`) returning the new rate as a float.
        verbose: `1` prints the rate set at each epoch. Defaults to `0`.

    Example:
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    >>> model.compile(optimizer=cornu.optimizers.SGD(0.5), loss="mse")
    >>> halve = LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr / 2)
    >>> history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, callbacks=[halve], verbose=0)
    >>> history.history["learning_rate"]
    [0.5, 0.25, 0.125]
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler's `schedule` must be a function of (epoch, lr) returning the new learning "
                f"rate; received schedule={schedule!r}. For example: schedule=lambda epoch, lr: lr * 0.9."
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        for optimizer, name in _named_optimizers(self.model):
            learning_rate = self._update_optimizer_lr(optimizer, epoch)
            if self.verbose > 0:
                whose = f"{name} " if name else ""
                print(
                    f"\nEpoch {epoch + 1}: LearningRateScheduler setting {whose}learning rate to {learning_rate}.",
                    flush=True,
                )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for optimizer, name in _named_optimizers(self.model):
            logs[f"learning_rate_{name}" if name else "learning_rate"] = read_learning_rate(optimizer)

    def _update_optimizer_lr(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError(
                f"LearningRateScheduler needs an optimizer with a `learning_rate`, but the model's optimizer is "
                f"{optimizer!r}. Call model.compile(optimizer=...) before fit()."
            )
        if _takes_learning_rate(self.schedule):
            learning_rate = self.schedule(epoch, read_learning_rate(optimizer))
        else:
            learning_rate = self.schedule(epoch)
        # Keras accepts Python and NumPy floats only: an int or a tensor is a mistake in the schedule.
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"LearningRateScheduler's `schedule` must return a float, but at epoch {epoch} it returned "
                f"{learning_rate!r}. Return a Python float, e.g. `return float(lr * 0.9)`."
            )
        optimizer.learning_rate = learning_rate
        return learning_rate


def read_learning_rate(optimizer):
    """The optimizer's current learning rate as a Python float, rounded to `floatx()` as Keras stores it.

    >>> read_learning_rate(cornu.optimizers.SGD(0.5)), read_learning_rate(cornu.optimizers.SGD(0.1))
    (0.5, 0.10000000149011612)
    """
    return torch.tensor(float(optimizer.learning_rate), dtype=torch_dtype(None)).item()


def _named_optimizers(model):
    """`(optimizer, name)` pairs: every optimizer of a multi-optimizer, named; or the one optimizer, unnamed."""
    optimizer = getattr(model, "optimizer", None)
    if hasattr(optimizer, "optimizers"):
        return [(inner, inner.name) for inner in optimizer.optimizers]
    return [(optimizer, "")]


def _takes_learning_rate(schedule):
    """Whether `schedule` accepts `(epoch, lr)`; Keras 1 schedules take the epoch alone."""
    try:
        inspect.signature(schedule).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): the modern form
        return True
    return True
