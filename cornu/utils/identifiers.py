"""Turning a user's identifier (a string, a config dict, an object) into the object it names.

Every `get()` in cornu (activations, losses, metrics, optimizers, initializers, ...) goes through
`lookup`, so an unknown name fails the same way everywhere: with the closest known names.
"""

import difflib

__all__ = ["lookup", "did_you_mean", "serialize_object", "deserialize_object", "get_object"]


def did_you_mean(name, known):
    """' Did you mean 'adam'?' for a near miss, or '' when nothing is close.

    >>> did_you_mean("adm", ["adam", "sgd"])
    " Did you mean 'adam'?"
    """
    close = difflib.get_close_matches(str(name).lower(), [str(k).lower() for k in known], n=3, cutoff=0.6)
    if not close:
        return ""
    originals = {str(k).lower(): k for k in known}
    return " Did you mean " + " or ".join(repr(originals[c]) for c in close) + "?"


def lookup(kind, identifier, table):
    """Returns `table[identifier]`, trying it as given and in lower case; raises a helpful ValueError.

    Args:
        kind: What is being looked up, for the message ("optimizer", "loss", ...).
        identifier: The name the user wrote.
        table: Mapping from accepted names to objects.

    >>> lookup("activation", "ReLU", {"relu": abs}) is abs
    True
    """
    if identifier in table:
        return table[identifier]
    lowered = str(identifier).lower()
    if lowered in table:
        return table[lowered]
    hint = did_you_mean(identifier, sorted(table))
    raise ValueError(f"Unknown {kind}: {identifier!r}.{hint} Known {kind}s: {', '.join(sorted(table))}.")


def serialize_object(obj, module, base_class):
    """Keras's config dict of `obj`: `{"module", "class_name", "config", "registered_name"}`; `None` gives `None`.

    >>> class Scale:
    ...     def get_config(self):
    ...         return {"factor": 2}
    >>> serialize_object(Scale(), "keras.constraints", "Constraint")["config"]
    {'factor': 2}
    """
    if obj is None:  # an unset slot of a layer's config, as in Keras
        return None
    if not hasattr(obj, "get_config"):
        raise ValueError(f"Cannot serialize {obj!r}: it has no `get_config()`. Subclass {base_class} and implement it.")
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(), "registered_name": None}


def deserialize_object(kind, config, table, custom_objects=None):
    """The object a name or a config dict (written by cornu or by Keras) describes, built from `table`'s classes."""
    if config is None:
        return None
    table = {**table, **(custom_objects or {})}
    if isinstance(config, str):
        return lookup(kind, config, table)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize {kind} {config!r}. Pass a name or a dict with 'class_name'.")
    return lookup(kind, config["class_name"], table).from_config(config.get("config") or {})


def get_object(kind, identifier, deserialize, hint):
    """What `get()` returns for an identifier: None, a deserialized name/config, an instance of a class, a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. {hint}")
