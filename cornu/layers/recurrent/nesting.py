"""Configs of layers held inside other layers (an RNN's cell, a wrapper's layer), in Keras 3's nested form.

A nested layer is written as `{"module": "keras.layers", "class_name": ..., "config": ..., "registered_name": None}`,
as Keras writes it, so an `RNN`, `Bidirectional` or `TimeDistributed` config goes both ways between Keras and cornu.
Layers do not import `cornu.saving`; a class is found among cornu's layers or in `custom_objects`.
"""

import inspect

__all__ = ["serialize_layer", "deserialize_layer"]

# Keys Keras writes into layer configs that change nothing here when they hold their defaults.
_IGNORABLE = (None, False, {}, [], 0.0)


def serialize_layer(layer):
    """The nested config of `layer`.

    Example:
    >>> from cornu.layers import Dense
    >>> serialize_layer(Dense(2, name="d"))["class_name"]
    'Dense'
    """
    import cornu.layers

    builtin = getattr(cornu.layers, type(layer).__name__, None) is type(layer)
    return {
        "module": "keras.layers" if builtin else type(layer).__module__,
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "registered_name": None if builtin else type(layer).__name__,
    }


def deserialize_layer(config, custom_objects=None):
    """A layer from its nested config (or the layer itself, passed through).

    Example:
    >>> deserialize_layer({"class_name": "Dense", "config": {"units": 2}}).units
    2
    """
    import cornu.layers

    if not isinstance(config, dict):
        return config
    name = config.get("class_name")
    custom = custom_objects or {}
    cls = custom.get(name) or custom.get(config.get("registered_name")) or getattr(cornu.layers, str(name), None)
    if not isinstance(cls, type):
        raise ValueError(
            f"Cannot rebuild the nested layer {name!r}: it is not a cornu layer. If it is your own class, pass it "
            f"as custom_objects={{{name!r}: {name}}}."
        )
    inner = _accepted(cls, dict(config.get("config") or {}))
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def _accepted(cls, inner):
    """Drops keys that Keras writes with default values but cornu's class does not take (`quantization_config`)."""
    if cls.__module__.split(".")[0] != "cornu":
        return inner
    from cornu.layers.base import _BASE_KWARGS

    known = set(_BASE_KWARGS) | {"name", "trainable", "dtype", "autocast", "activity_regularizer"}
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            known.update(inspect.signature(klass.__init__).parameters)
    return {k: v for k, v in inner.items() if k in known or v not in _IGNORABLE}
