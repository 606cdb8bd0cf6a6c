"""Which cornu class a Keras config names: `{"module": "keras.layers", "class_name": "Dense"}` -> `Dense`.

The table is derived from each public package's `__all__`, so exporting a class is what makes it loadable.
User classes join it through `register_keras_serializable` or, for one load, through `custom_objects`.
"""

import contextlib
import importlib
import inspect

from cornu.utils.identifiers import did_you_mean

__all__ = [
    "register_keras_serializable",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "resolve_class",
    "builtin_classes",
    "GLOBAL_CUSTOM_OBJECTS",
]

# Keras module path -> cornu module holding the same public names.
_PACKAGES = {
    "keras.layers": "cornu.layers",
    "keras.models": "cornu.models",
    "keras.optimizers": "cornu.optimizers",
    "keras.losses": "cornu.losses",
    "keras.metrics": "cornu.metrics",
    "keras.initializers": "cornu.initializers",
    "keras.regularizers": "cornu.regularizers",
    "keras.constraints": "cornu.constraints",
    "keras.activations": "cornu.activations",
}
# Keras also writes these module paths for its models (Sequential under "keras", Functional under its source path).
_MODEL_MODULES = ("keras", "keras.models", "keras.src.models.functional", "keras.src.models.sequential")

GLOBAL_CUSTOM_OBJECTS = {}  # "package>name" and bare class names -> user classes
_BUILTINS = {}


def builtin_classes():
    """`{(keras_module, class_name): cornu class}` for every public class of cornu's packages (built once).

    Example:
    >>> builtin_classes()[("keras.layers", "Dense")].__name__
    'Dense'
    """
    if not _BUILTINS:
        for keras_path, cornu_path in _PACKAGES.items():
            package = importlib.import_module(cornu_path)
            for name in getattr(package, "__all__", ()):
                value = getattr(package, name, None)
                if isinstance(value, type):
                    _BUILTINS[(keras_path, name)] = value
        models = importlib.import_module("cornu.models")
        for module in _MODEL_MODULES:
            for name in models.__all__:
                _BUILTINS[(module, name)] = getattr(models, name)
            _BUILTINS[(module, "Model")] = models.Functional
    return _BUILTINS


def register_keras_serializable(package="Custom", name=None):
    """Class decorator: makes a user class loadable from files, as `"<package>>Name"` (Keras's registered name).

    Args:
        package: The namespace of the name. Defaults to `"Custom"`.
        name: The name to register. Defaults to the class's `__name__`.

    Example:
    >>> from cornu.layers import Layer
    >>> @register_keras_serializable(package="demo")
    ... class Twice(Layer):
    ...     def call(self, inputs):
    ...         return 2 * inputs
    >>> get_registered_name(Twice)
    'demo>Twice'
    """

    def decorator(cls):
        registered = f"{package}>{name or cls.__name__}"
        if not hasattr(cls, "get_config") and not inspect.isfunction(cls):  # functions save by name alone
            raise ValueError(f"register_keras_serializable: {cls.__name__} needs a get_config() method to be saved.")
        GLOBAL_CUSTOM_OBJECTS[registered] = cls
        cls._registered_name = registered
        return cls

    return decorator


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Within the `with` block, files may name the objects in `custom_objects` (as if passed to `load_model`).

    Example:
    >>> with custom_object_scope({"Scale": int}):
    ...     get_registered_object("Scale") is int
    True
    >>> get_registered_object("Scale") is None
    True
    """
    saved = dict(GLOBAL_CUSTOM_OBJECTS)
    GLOBAL_CUSTOM_OBJECTS.update(custom_objects or {})
    try:
        yield GLOBAL_CUSTOM_OBJECTS
    finally:
        GLOBAL_CUSTOM_OBJECTS.clear()
        GLOBAL_CUSTOM_OBJECTS.update(saved)


def get_custom_objects():
    """The global dict of registered objects (`register_keras_serializable` fills it; you may add to it).

    Example:
    >>> isinstance(get_custom_objects(), dict)
    True
    """
    return GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj):
    """The name an object is saved under: `"package>Name"` when registered, else its class name.

    Example:
    >>> from cornu.layers import Dense
    >>> get_registered_name(Dense)
    'Dense'
    """
    cls = obj if isinstance(obj, type) or inspect.isfunction(obj) else type(obj)
    return cls.__dict__.get("_registered_name") or cls.__name__


def get_registered_object(name, custom_objects=None):
    """The class registered (or passed in `custom_objects`) under `name`, or `None`.

    Example:
    >>> get_registered_object("Scale", custom_objects={"Scale": int}) is int
    True
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return GLOBAL_CUSTOM_OBJECTS.get(name)


def resolve_class(config, custom_objects=None, where="the file", package="keras.layers"):
    """The class a Keras object config names; raises ValueError naming it and the fix when unknown.

    Order: `custom_objects` (by registered or class name), registered classes, then cornu's built-ins: under the
    config's `module`, else under `package` (Keras 2 configs carry no module), else under any package.

    Example:
    >>> resolve_class({"module": "keras.layers", "class_name": "Dense"}).__name__
    'Dense'
    """
    class_name, module = config.get("class_name"), config.get("module")
    for key in (config.get("registered_name"), class_name):
        found = key and get_registered_object(key, custom_objects)
        if found:
            return found
    table = builtin_classes()
    for key in ((module, class_name), (package, class_name)):
        if key in table:
            return table[key]
    if module is None or module.startswith("keras"):
        for (_, name), cls in table.items():
            if name == class_name:
                return cls
    known = sorted({name for _, name in table})
    raise ValueError(
        f"Unknown class {class_name!r} (module {module!r}) in {where}.{did_you_mean(class_name, known)} "
        f"If it is your own class, pass custom_objects={{{class_name!r}: {class_name}}} to load_model, or decorate "
        f"it with @cornu.saving.register_keras_serializable()."
    )
