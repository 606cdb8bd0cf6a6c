"""The `Callback` base class: hooks that training, evaluation and prediction call at set moments."""

__all__ = ["Callback"]


class Callback:
    """Subclass this and override any hook to act during `fit`, `evaluate` or `predict`.

    `self.model` is the model being trained, `self.params` holds `verbose`, `epochs` and `steps`; setting
    `self.model.stop_training = True` ends `fit` after the current batch (and that epoch's validation). Every hook
    gets a `logs` dict (empty at the `*_begin` hooks): `loss` and the metric names, with their `val_` versions at
    epoch end; `LearningRateScheduler` and `ReduceLROnPlateau` add `learning_rate`. Batch logs are read from the
    device only when a hook looks at them.

    Example:
    >>> class LossHistory(Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.losses = []
    ...     def on_batch_end(self, batch, logs=None):
    ...         self.losses.append(logs.get("loss"))
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        """Keras 2's name for `on_train_batch_begin`; still called for training batches."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2's name for `on_train_batch_end`; still called for training batches."""

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass
