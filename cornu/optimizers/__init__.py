"""Optimizers: Keras 3's rules and arguments, run as foreach/fused torch kernels over lists of parameters.

`get("adam")`, `get({"class_name": "Adam", "config": {...}})` or an instance gives an optimizer; `serialize` and
`deserialize` convert to and from Keras's config dicts.
"""

from cornu.optimizers import schedules
from cornu.optimizers.adadelta import Adadelta
from cornu.optimizers.adagrad import Adagrad
from cornu.optimizers.adam import Adam, AdamW
from cornu.optimizers.adamax import Adamax
from cornu.optimizers.base import Optimizer
from cornu.optimizers.lion import Lion
from cornu.optimizers.nadam import Nadam
from cornu.optimizers.rmsprop import RMSprop
from cornu.optimizers.sgd import SGD
from cornu.utils.identifiers import lookup

__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "Lion",
    "LossScaleOptimizer",
    "schedules",
    "get",
    "serialize",
    "deserialize",
]

_BY_NAME = {cls.__name__.lower(): cls for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Lion)}


def serialize(optimizer):
    """Keras's config dict of `optimizer`: `{"module": "keras.optimizers", "class_name", "config", ...}`.

    Example:
    >>> serialize(SGD(name="sgd"))["config"]["learning_rate"]
    0.01
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(
            f"serialize() takes a cornu optimizer; received {optimizer!r}. Create one with e.g. Adam() or get('adam')."
        )
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """The optimizer described by a Keras config dict (`class_name` is case-insensitive, as in Keras).

    Example:
    >>> deserialize({"class_name": "Adam", "config": {"learning_rate": 0.01}}).learning_rate
    0.01
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"An optimizer config is a dict with 'class_name' and 'config' keys. Received: {config!r}. "
            "For example: {'class_name': 'Adam', 'config': {'learning_rate': 0.001}}."
        )
    table = {**_BY_NAME, "lossscaleoptimizer": _loss_scale_optimizer()}  # saved mixed_float16 models name it
    table.update(custom_objects or {})
    cls = lookup("optimizer", config["class_name"], table)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """An optimizer from a name (`"adam"`), a config dict, or an optimizer (returned as is); `None` gives `None`.

    Example:
    >>> type(get("rmsprop")).__name__
    'RMSprop'
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return lookup("optimizer", identifier, _BY_NAME)()
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Pass a name such as 'adam', a config dict, "
        "or an optimizer instance such as cornu.optimizers.Adam(learning_rate=0.001)."
    )


def _loss_scale_optimizer():
    # It lives with the mixed precision policies and imports this package's base class: imported when first needed.
    from cornu.mixed_precision.loss_scale_optimizer import LossScaleOptimizer

    return LossScaleOptimizer


def __getattr__(name):
    if name == "LossScaleOptimizer":  # Keras 3 exports it as keras.optimizers.LossScaleOptimizer
        return _loss_scale_optimizer()
    raise AttributeError(f"module 'cornu.optimizers' has no attribute {name!r}")
