"""`CallbackList`: calls a hook on every callback, and skips hooks no callback overrides (no work per step)."""

from cornu.callbacks.callback import Callback

__all__ = ["CallbackList"]

_BATCH_HOOKS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_test_batch_begin": ("on_test_batch_begin",),
    "on_test_batch_end": ("on_test_batch_end",),
    "on_predict_batch_begin": ("on_predict_batch_begin",),
    "on_predict_batch_end": ("on_predict_batch_end",),
}


class CallbackList:
    """A group of callbacks seen as one. `wants(hook)` tells the loop whether a batch hook does anything."""

    def __init__(self, callbacks=None, model=None, **params):
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks must be instances of cornu.callbacks.Callback; received {callback!r}. "
                    f"Subclass Callback and override the hooks you need."
                )
        self.model = model
        self.set_model(model)
        self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)
        callback.set_model(self.model)

    def set_model(self, model):
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def wants(self, hook):
        """Whether any callback overrides `hook` (or Keras 2's alias of it), in its class or on the instance."""
        names = _BATCH_HOOKS.get(hook, (hook,))
        return any(
            name in vars(cb) or getattr(type(cb), name, None) is not getattr(Callback, name, None)
            for cb in self.callbacks
            for name in names
        )

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)
        indexed = hook in _BATCH_HOOKS or hook in ("on_epoch_begin", "on_epoch_end")

        def call_all(*args, logs=None):
            index, rest = (args[:1], args[1:]) if indexed else ((), args)
            if rest:
                logs = rest[0]
            logs = {} if logs is None else logs  # Keras hands every hook a dict, empty at the begin hooks
            for callback in self.callbacks:
                # positional, as Keras calls them: user hooks may name the argument `log` or `_`
                getattr(callback, hook)(*index, logs)

        return call_all
