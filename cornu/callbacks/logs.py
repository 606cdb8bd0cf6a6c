"""`Logs`: the dict of metric values that callbacks and `History` see."""

__all__ = ["Logs"]

# Keras 2.0-2.2 reported accuracy as `acc`; tutorials of that time read history.history['acc'] and logs.get('acc').
_LEGACY_NAMES = {"acc": "accuracy", "val_acc": "val_accuracy", "accuracy": "acc", "val_accuracy": "val_acc"}


class Logs(dict):
    """A dict of metric values in which Keras 2's `acc`/`val_acc` answer for `accuracy`/`val_accuracy` (and back).

    The keys are Keras 3's; only a lookup of a missing key tries the other generation's name.

    >>> logs = Logs(accuracy=0.9)
    >>> logs["acc"], logs.get("val_acc"), list(logs)
    (0.9, None, ['accuracy'])
    """

    def __missing__(self, key):
        other = _LEGACY_NAMES.get(key)
        if other is not None and dict.__contains__(self, other):
            return dict.__getitem__(self, other)
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default
