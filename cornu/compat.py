"""Run Keras code of any generation on cornu: `install()` makes `import keras` give cornu's modules.

After `cornu.compat.install()`, `import keras`, `from keras.layers.core import Dense`, `from keras.utils import
np_utils`, `import keras.backend as K`, `from tensorflow import keras` and `import tf_keras` all give cornu's objects
(`keras.layers.Dense is cornu.layers.Dense`), Keras 2's `optimizer.lr` reads and writes the learning rate, and
Keras 2's `Sequential.predict_classes` / `predict_proba` answer.
`uninstall()` puts everything back: a real `keras` that was imported before is in `sys.modules` again, unchanged,
and the next `import keras` after `uninstall()` finds the real one. `cornu run script.py` does this for a script.

Example:
>>> import cornu.compat, cornu.layers
>>> with cornu.compat.installed():
...     import keras
...     keras.layers.Dense is cornu.layers.Dense
True
>>> cornu.compat.is_installed()
False
"""

import contextlib
import sys

from cornu.legacy import methods
from cornu.legacy.imports import ROOTS, AliasModule, KerasFinder, _TensorflowStub
from cornu.legacy.optimizers import LR_PROPERTY

__all__ = ["install", "uninstall", "installed", "is_installed"]

_FINDER = KerasFinder()
_SAVED = {}  # the `keras...` modules that were in sys.modules before install(), to put back
_PARENT_KERAS = []  # (module, had_attribute, value): the real `tensorflow` module's own `keras` attribute
_SEQUENTIAL_METHODS = ("predict_classes", "predict_proba")  # Keras 1/2 had them on Sequential only


def install():
    """Answers `import keras` (and `keras.*`, `tf_keras`, `tensorflow.keras`) with cornu until `uninstall()`.

    Modules of a real keras already imported are set aside (not changed) and come back on `uninstall()`. Calling
    `install()` twice is harmless.
    """
    if is_installed():
        return
    for name in [n for n in sys.modules if _is_aliased(n)]:
        _SAVED[name] = sys.modules.pop(name)
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None and not isinstance(tensorflow, _TensorflowStub):
        _PARENT_KERAS.append((tensorflow, "keras" in vars(tensorflow), vars(tensorflow).get("keras")))
    sys.meta_path.insert(0, _FINDER)
    from cornu.optimizers.base import Optimizer

    if "lr" not in vars(Optimizer):
        Optimizer.lr = LR_PROPERTY  # Keras 2's `model.optimizer.lr` (K.get_value / K.set_value use it)
    from cornu.models.sequential import Sequential

    for name in _SEQUENTIAL_METHODS:
        if name not in vars(Sequential):
            setattr(Sequential, name, getattr(methods, name))


def uninstall():
    """Undoes `install()`: removes cornu's `keras` modules and the finder, and restores what was there before."""
    if not is_installed():
        return
    sys.meta_path.remove(_FINDER)
    for name in [n for n, m in sys.modules.items() if isinstance(m, AliasModule | _TensorflowStub)]:
        del sys.modules[name]
    sys.modules.update(_SAVED)
    _SAVED.clear()
    for module, had, value in _PARENT_KERAS:
        if had:
            module.keras = value
        elif "keras" in vars(module):
            del module.keras
    _PARENT_KERAS.clear()
    from cornu.optimizers.base import Optimizer

    if vars(Optimizer).get("lr") is LR_PROPERTY:
        del Optimizer.lr
    from cornu.models.sequential import Sequential

    for name in _SEQUENTIAL_METHODS:
        if vars(Sequential).get(name) is getattr(methods, name):
            delattr(Sequential, name)


def is_installed():
    """Whether `install()` is in effect."""
    return _FINDER in sys.meta_path


@contextlib.contextmanager
def installed():
    """`install()` for the duration of a `with` block (then `uninstall()`, unless it was installed before)."""
    was_installed = is_installed()
    install()
    try:
        yield
    finally:
        if not was_installed:
            uninstall()


def _is_aliased(name):
    return any(name == root or name.startswith(root + ".") for root in ROOTS)
