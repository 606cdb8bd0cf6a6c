"""`LambdaCallback`: a callback made of plain functions, one per hook."""

import difflib

from cornu.callbacks.callback import Callback

__all__ = ["LambdaCallback"]

_HOOKS = sorted(name for name in vars(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given, called with positional arguments as `fit` calls hooks.

    `on_epoch_begin` / `on_epoch_end` get `(epoch, logs)`; `on_train_begin` / `on_train_end` get `(logs)`; batch
    hooks get `(batch, logs)`. Any other hook of `Callback` (`on_test_end`, `on_predict_batch_end`, Keras 2's
    `on_batch_end`, ...) can be given by keyword too. A hook not given does nothing.

    Args:
        on_epoch_begin: Called at the start of every epoch. Defaults to `None`.
        on_epoch_end: Called at the end of every epoch. Defaults to `None`.
        on_train_begin: Called once before training. Defaults to `None`.
        on_train_end: Called once after training. Defaults to `None`.
        on_train_batch_begin: Called before every training batch. Defaults to `None`.
        on_train_batch_end: Called after every training batch. Defaults to `None`.
        **kwargs: Any other hook of `Callback`, as `hook_name=function`. A name that is no hook raises `TypeError`
            (Keras would set it as an attribute and never call it).

    Example:
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> seen = []
    >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, callbacks=[record], verbose=0)
    >>> seen
    [0, 1, 2]
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        unknown = [name for name in kwargs if name not in _HOOKS]
        if unknown:
            hints = {name: difflib.get_close_matches(name, _HOOKS, n=1) for name in unknown}
            said = ", ".join(f"'{name}'" + (f" (did you mean '{h[0]}'?)" if h else "") for name, h in hints.items())
            raise TypeError(f"LambdaCallback got {said}, which is not a callback hook. The hooks are: {_HOOKS}.")
        given = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
            **kwargs,
        )
        for name, function in given.items():
            if function is not None:
                setattr(self, name, function)  # an instance attribute shadows the method, as in Keras

    # CallbackList.wants() looks for batch hooks on the class, and these come per instance: overriding them here
    # (each doing what the base does until an instance function shadows it) keeps the loop calling them.
    def on_train_batch_begin(self, batch, logs=None):
        super().on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass
