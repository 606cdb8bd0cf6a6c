"""Finding losses by name and saving them as configs: `get`, `serialize`, `deserialize`.

Names are Keras 3's (class names, function names, and its short aliases such as `'mse'` and `'bce'`), plus the
Keras 1/2 spellings old tutorials use (`'kullback_leibler_divergence'`, `'logcosh'`, `'huber_loss'`), which
Keras 3 no longer accepts.
"""

from cornu.losses import margin as _margin
from cornu.losses import probabilistic as _probabilistic
from cornu.losses import regression as _regression
from cornu.losses import segmentation as _segmentation
from cornu.losses import sequence as _sequence
from cornu.losses import similarity as _similarity
from cornu.losses.base import Loss, LossFunctionWrapper
from cornu.utils.identifiers import lookup

__all__ = ["get", "serialize", "deserialize", "CLASSES", "FUNCTIONS", "ALIASES"]

_FAMILIES = (_regression, _probabilistic, _margin, _segmentation, _similarity, _sequence)
FUNCTIONS = {name: getattr(module, name) for module in _FAMILIES for name in module.__all__ if not name[0].isupper()}
CLASSES = {name: getattr(module, name) for module in _FAMILIES for name in module.__all__ if name[0].isupper()}
CLASSES.update({"Loss": Loss, "LossFunctionWrapper": LossFunctionWrapper})
ALIASES = {
    "bce": "binary_crossentropy",
    "kld": "kl_divergence",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "mse": "mean_squared_error",
    "msle": "mean_squared_logarithmic_error",
    # Keras 1/2 names (not in Keras 3).
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
    "huber_loss": "huber",
}
_NAMES = {
    **CLASSES,
    **FUNCTIONS,
    **{alias: FUNCTIONS[name] for alias, name in ALIASES.items()},
    **{alias.upper(): FUNCTIONS[name] for alias, name in ALIASES.items() if len(alias) <= 4},
}
_KIND = "loss function"


def get(identifier):
    """The loss named or described by `identifier`.

    Args:
        identifier: `None`; a function or class name (`'mse'`, `'categorical_crossentropy'`,
            `'CategoricalCrossentropy'`); a config dict `{"class_name": ..., "config": {...}}`; a `Loss`
            instance or class; or any function `f(y_true, y_pred)`.

    Returns:
        A loss function, a `Loss` instance (classes are instantiated with their defaults), or `None`.

    Example:
    >>> get("mse").__name__
    'mean_squared_error'
    >>> get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}).from_logits
    True
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = lookup(_KIND, identifier, _NAMES)
    else:
        obj = identifier
    if isinstance(obj, type):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret loss identifier: {identifier!r}. Pass a loss name such as 'mse', a config dict, "
        "a Loss instance, or a function f(y_true, y_pred)."
    )


def serialize(loss):
    """A loss as Keras writes it in a config: a dict for `Loss` instances and for functions.

    Args:
        loss: A `Loss` instance, a loss function, a name (returned as is) or `None`.

    Returns:
        `{"module", "class_name", "config", "registered_name"}`. A function becomes
        `{"module": "builtins", "class_name": "function", "config": <its name>, "registered_name": "function"}`.

    Example:
    >>> serialize(get("mse"))["config"]
    'mean_squared_error'
    >>> serialize(_regression.Huber())["class_name"]
    'Huber'
    """
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, Loss):
        cls = type(loss)
        builtin = CLASSES.get(cls.__name__) is cls
        return {
            "module": "keras.losses" if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": loss.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    name = getattr(loss, "__name__", None)
    if not callable(loss) or name is None or name == "<lambda>":
        raise ValueError(
            f"Cannot serialize the loss {loss!r}: only Loss instances and named functions can be saved. "
            "Define the loss with `def` (and pass it in `custom_objects` when loading)."
        )
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def deserialize(name, custom_objects=None):
    """Rebuilds a loss from `serialize`'s output (or from a bare name).

    Args:
        name: A dict from `serialize`, a Keras 2 style `{"class_name": ..., "config": ...}` dict, or a name
            (Keras calls the argument `name` whatever it holds).
        custom_objects: Optional dict mapping names to user-defined loss classes and functions.
            Defaults to `None`.

    Returns:
        A `Loss` instance or a loss function.

    Example:
    >>> deserialize({"class_name": "Huber", "config": {"delta": 2.0}}).delta
    2.0
    """
    config, custom = name, dict(custom_objects or {})
    if config is None or callable(config):
        return config
    if isinstance(config, str):
        obj = custom[config] if config in custom else lookup(_KIND, config, _NAMES)
        return obj() if isinstance(obj, type) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize the loss {config!r}: expected a name or a dict with 'class_name'.")
    class_name, inner = config["class_name"], config.get("config")
    if class_name == "function":
        return custom[inner] if inner in custom else lookup(_KIND, inner, _NAMES)
    registered = config.get("registered_name")
    if class_name in custom or registered in custom:
        cls = custom.get(class_name) or custom[registered]
    else:
        cls = lookup(_KIND, class_name, CLASSES)
    inner = dict(inner or {})
    if "fn" in inner:
        inner["fn"] = deserialize(inner["fn"], custom)
    return cls.from_config(inner)
