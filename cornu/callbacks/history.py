"""`History`: the per-epoch record of losses and metrics that `fit` returns."""

from cornu.callbacks.callback import Callback
from cornu.callbacks.logs import Logs

__all__ = ["History"]


class History(Callback):
    """Records every epoch's logs; `fit` returns it.

    Attributes:
        history: Dict from metric name (`loss`, `accuracy`, `val_loss`, ...) to the list of per-epoch values.
        epoch: The list of epoch indices recorded.

    Example:
    >>> h = History(); h.on_train_begin(); h.on_epoch_end(0, {"loss": 0.5}); h.history
    {'loss': [0.5]}
    """

    def __init__(self):
        super().__init__()
        self.history = Logs()  # history['acc'] answers for 'accuracy', as Keras 2 code expects
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
