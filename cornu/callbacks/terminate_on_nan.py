"""`TerminateOnNaN`: stops training at the first batch whose loss is NaN or infinite."""

import math

from cornu.callbacks.callback import Callback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Checks the loss after every training batch and stops `fit` when it is NaN or infinite.

    By default it prints `Batch <n>: Invalid loss, terminating training` and sets `model.stop_training`, so `fit`
    ends after that batch and every callback's `on_train_end` still runs (`History` keeps the finished epochs,
    `EarlyStopping` can restore weights). With `raise_error=True` it raises `RuntimeError` at once instead, and no
    `on_train_end` runs: use it to keep other callbacks from acting on a failed run.

    Reading the loss each batch makes the loop wait for the device once per step; that is the price of stopping at
    the very batch that diverged.

    Args:
        raise_error: Raise `RuntimeError` instead of stopping gracefully. Defaults to `False`.

    Example:
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> stop = TerminateOnNaN(); stop.set_model(model)
    >>> stop.on_train_batch_end(7, {"loss": float("nan")})
    Batch 7: Invalid loss, terminating training
    >>> model.stop_training
    True
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training "
                f"immediately (TerminateOnNaN(raise_error=True)); lower the learning rate or clip gradients "
                f"(clipnorm=1.0)."
            )
        print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
        self.model.stop_training = True
