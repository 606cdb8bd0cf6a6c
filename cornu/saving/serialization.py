"""Layers and models <-> Keras 3 config dicts (the `config.json` of a `.keras` file, `model.to_json()`).

A layer is `{"module": "keras.layers", "class_name": "Dense", "config": {...}, "registered_name": None}` with its
`dtype` as Keras's DTypePolicy dict. A Sequential model lists its layers (an `InputLayer` first); a Functional
model lists its layers with their `inbound_nodes` (the calls that connect them) plus `input_layers` and
`output_layers`, exactly as Keras 3 writes them, so files go both ways. Keras 2 configs (no `module`, nodes as
`[[name, node, tensor, kwargs], ...]`) are read too.
"""

import inspect
import json
import warnings

import numpy as np

from cornu.saving.compile_config import compile_from_config, serialize_compile_config
from cornu.saving.registry import GLOBAL_CUSTOM_OBJECTS, get_registered_name, resolve_class
from cornu.utils import tree

__all__ = [
    "serialize_layer",
    "deserialize_layer",
    "serialize_compile_config",
    "compile_from_config",
    "model_to_json",
    "model_from_json",
    "check_safe",
]

_TENSOR = "__keras_tensor__"
# Keys Keras writes into lookup layer configs that cornu's lookup layers take through **kwargs (and set aside).
_TAKEN_BY_KWARGS = ("vocabulary_size", "oov_method")


def _policy(name):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


# --------------------------------------------------------------------------------------------------- writing
def serialize_layer(layer):
    """The Keras 3 config dict of a layer or model (models include their layers and graph).

    Example:
    >>> from cornu.layers import Dense
    >>> serialize_layer(Dense(2, name="d"))["config"]["dtype"]["class_name"]
    'DTypePolicy'
    """
    from cornu.layers.input_layer import InputLayer
    from cornu.models import Functional, Sequential

    if isinstance(layer, Sequential):
        config, module = _sequential_config(layer), "keras"
    elif isinstance(layer, Functional):
        config, module = _functional_config(layer), "keras.src.models.functional"
    else:
        config, module = _plain_config(layer), _module_of(layer)
    if type(layer) not in (Sequential, Functional) and isinstance(layer, (Sequential, Functional)):
        module = type(layer).__module__  # a user's subclass: found again through custom_objects or the registry
    builtin = module.startswith("keras")
    result = {
        "module": module,
        "class_name": type(layer).__name__,
        "config": config,
        "registered_name": "Functional"
        if type(layer) is Functional
        else (None if builtin else get_registered_name(layer)),
    }
    build = _build_config(layer)
    if build is not None and not isinstance(layer, InputLayer):
        result["build_config"] = build
    return result


def _module_of(layer):
    from cornu.saving.registry import builtin_classes

    for (module, _name), cls in builtin_classes().items():
        if cls is type(layer) and module.startswith("keras."):
            return module
    return type(layer).__module__


def _plain_config(layer):
    from cornu.layers.input_layer import InputLayer

    config = _jsonable(dict(layer.get_config()))
    if not isinstance(layer, InputLayer):
        config.pop("batch_input_shape", None)  # Keras 3 layers refuse it; the model's InputLayer carries the shape
        if isinstance(config.get("dtype"), str):
            config["dtype"] = _policy(config["dtype"])
    return config


def _build_config(layer):
    """Keras's `build_config`: the layer's own `get_build_config()` where it has one (MultiHeadAttention records
    its query/value/key shapes, which Keras needs to rebuild it), else the shape of its first call's input."""
    own = getattr(layer, "get_build_config", None)
    if own is not None:
        config = own()
        return None if config is None else _jsonable(config)
    nodes = [n for n in getattr(layer, "_inbound_nodes", []) if n.input_tensors]
    if not layer.built or not nodes:
        return None
    first = nodes[0].call_args[0] if nodes[0].call_args else nodes[0].input_tensors[0]
    return {"input_shape": _jsonable(tree.map_structure(lambda t: list(t.shape), first))}


def _jsonable(value):
    """Tuples become lists and numpy scalars Python numbers, as `json` needs."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _sequential_config(model):
    layers = [serialize_layer(model._input_layer)] if model._input_layer is not None else []
    layers += [serialize_layer(layer) for layer in model.layers]
    config = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": _policy(model.dtype_policy.name),
        "layers": layers,
    }
    if model._input_layer is not None:
        config["build_input_shape"] = list(model._input_layer.batch_shape)
    return config


def _functional_config(model):
    from cornu.layers.input_layer import InputLayer

    in_model = {id(n) for n in model._nodes}
    in_model.update(id(t._keras_history[0]._inbound_nodes[t._keras_history[1]]) for t in model.inputs)
    reindex = {}  # a layer's nodes counted within this model only, as Keras numbers them in a config
    for layer in model.layers:
        kept = [n for n in layer._inbound_nodes if id(n) in in_model]
        reindex.update({id(n): i for i, n in enumerate(kept)})
    layer_configs = []
    for layer in model.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        nodes = [n for n in layer._inbound_nodes if id(n) in in_model and not isinstance(layer, InputLayer)]
        entry["inbound_nodes"] = [
            {"args": _encode_call(n.call_args, reindex), "kwargs": _encode_call(n.call_kwargs, reindex)} for n in nodes
        ]
        layer_configs.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": tree.map_structure(lambda t: _history(t, reindex), model._input_structure),
        "output_layers": tree.map_structure(lambda t: _history(t, reindex), model._output_structure),
    }


def _history(tensor, reindex):
    layer, node_index, tensor_index = tensor._keras_history
    return [layer.name, reindex[id(layer._inbound_nodes[node_index])], tensor_index]


def _encode_call(value, reindex):
    """A node's arguments as JSON: symbolic tensors become Keras's `__keras_tensor__` references."""
    if getattr(value, "_keras_history", None) is not None:
        config = {"shape": list(value.shape), "dtype": value.dtype, "keras_history": _history(value, reindex)}
        return {"class_name": _TENSOR, "config": config}
    if isinstance(value, dict):
        return {k: _encode_call(v, reindex) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_call(v, reindex) for v in value]
    return _jsonable(value)


# --------------------------------------------------------------------------------------------------- reading
def check_safe(config, where):
    """Refuses (ValueError) a config holding Python bytecode (a saved `lambda`) unless the caller opted in."""
    found = []

    def scan(value, path):
        if isinstance(value, dict):
            if value.get("class_name") == "__lambda__":
                found.append(path)
            for key, item in value.items():
                scan(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                scan(item, f"{path}[{i}]")

    scan(config, "")
    if found:
        raise ValueError(
            f"{where} holds Python code (a lambda saved as bytecode at {found[0]}); loading it would run that code. "
            f"If you trust the file, load it with safe_mode=False."
        )


def deserialize_layer(config, custom_objects=None, safe_mode=True, where="the config"):
    """A cornu layer or model from its Keras config dict (Keras 3 or Keras 2 form).

    Example:
    >>> layer = deserialize_layer({"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}})
    >>> layer.units
    2
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config in {where} must be a dict with 'class_name' and 'config'; got {config!r}.")
    from cornu.models import Functional, Sequential

    cls = resolve_class(config, custom_objects, where)
    inner = config.get("config") or {}
    if issubclass(cls, Sequential):
        layer = _sequential_from_config(cls, inner, custom_objects, safe_mode, where)
    elif issubclass(cls, Functional) or (config["class_name"] in ("Functional", "Model") and "layers" in inner):
        layer = _functional_from_config(inner, custom_objects, safe_mode, where)
    else:
        layer = _plain_from_config(cls, config, custom_objects, safe_mode, where)
        try:
            _build_from_config(layer, config)
        except (TypeError, ValueError, KeyError, RuntimeError) as error:
            raise ValueError(
                f"{where}: layer '{layer.name}' ({config['class_name']}) cannot be built from its build_config "
                f"{config.get('build_config')!r}: {error}"
            ) from error
    return layer


def _build_from_config(layer, config):
    """Builds a layer loaded outside a graph (a Sequential's, or alone) from its `build_config`, so its weights
    exist before they are loaded; a layer of a Functional model is built by replaying its call instead."""
    build = config.get("build_config") or {}
    if layer.built or not build or "inbound_nodes" in config:
        return
    if hasattr(layer, "build_from_config") and "shapes_dict" in build:
        layer.build_from_config(build)
    elif build.get("input_shape") is not None:
        layer.build_from_shape(_shape_tuples(build["input_shape"]))


def _plain_from_config(cls, config, custom_objects, safe_mode, where):
    inner = _accepted(
        cls, _resolve_custom(_keras2_values(cls, dict(config.get("config") or {})), custom_objects), where
    )
    try:
        return _call_from_config(cls, inner, custom_objects, safe_mode)
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(
            f"{where}: layer '{inner.get('name', '?')}' ({config['class_name']}) cannot be rebuilt from its config: "
            f"{error} If the file uses your own functions or classes, pass them to load_model in "
            f"custom_objects={{'name': object}}."
        ) from error


def _keras2_values(cls, inner):
    """Keras 2 (tf.keras) wrote a built BatchNormalization's `axis` as a list (`[3]`); Keras 3 takes the integer."""
    axis = inner.get("axis")
    if cls.__name__ == "BatchNormalization" and isinstance(axis, list) and len(axis) == 1:
        inner["axis"] = axis[0]
    return inner


def _resolve_custom(inner, custom_objects):
    """Replaces configs of the caller's own functions and objects (an activation, an initializer) by the objects,
    so the layer's constructor receives them as it did when the model was made."""
    known = {**GLOBAL_CUSTOM_OBJECTS, **(custom_objects or {})}
    if not known:
        return inner

    def resolve(value):
        if isinstance(value, dict):
            found = _custom_object(value, known) if "class_name" in value else None
            return found if found is not None else {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return {key: resolve(value) for key, value in inner.items()}


def _custom_object(config, known):
    from cornu.layers.base import Layer

    if config["class_name"] == "function":
        return known.get(config.get("registered_name")) or known.get(config.get("config"))
    found = known.get(config.get("registered_name")) or known.get(config["class_name"])
    if isinstance(found, type) and not issubclass(found, Layer) and hasattr(found, "from_config"):
        return found.from_config(dict(config.get("config") or {}))
    return None


def _call_from_config(cls, inner, custom_objects, safe_mode):
    parameters = inspect.signature(cls.from_config).parameters
    kwargs = {}
    if "custom_objects" in parameters:
        kwargs["custom_objects"] = custom_objects
    if "safe_mode" in parameters:
        kwargs["safe_mode"] = safe_mode
    return cls.from_config(inner, **kwargs)


def _accepted(cls, inner, where):
    """Drops keys Keras writes that cornu's class does not take (`quantization_config: None`, `ragged: False`)."""
    from cornu.layers.base import _BASE_KWARGS

    if "from_config" in vars(cls) and cls.__module__.split(".")[0] != "cornu":
        return inner  # a user's own from_config knows its keys
    known = set(_BASE_KWARGS) | {"name", "trainable", "dtype", "autocast", "activity_regularizer"}
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            known.update(inspect.signature(klass.__init__).parameters)
    for key in [k for k in inner if k not in known and k not in _TAKEN_BY_KWARGS]:
        value = inner.pop(key)
        if value not in (None, False, {}, [], 0.0):
            warnings.warn(
                f"{cls.__name__} in {where}: cornu ignores the Keras argument {key}={value!r}, which it does not "
                f"support; the loaded layer may compute differently.",
                stacklevel=3,
            )
    return inner


def _shape_tuples(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [_shape_tuples(s) for s in shape]
    return tuple(shape)


def _sequential_from_config(cls, inner, custom_objects, safe_mode, where):
    if isinstance(inner, list):  # Keras 2.0: the config is the list of layers
        inner = {"layers": inner}
    model = cls(name=inner.get("name"))
    for layer_config in inner.get("layers", []):
        model.add(deserialize_layer(layer_config, custom_objects, safe_mode, where))
    shape = inner.get("build_input_shape")
    if model._input_layer is None and shape:
        model.build(tuple(shape))
    if inner.get("trainable") is False:
        model.trainable = False
    return model


def _functional_from_config(inner, custom_objects, safe_mode, where):
    from cornu.layers.input_layer import InputLayer
    from cornu.models import Functional

    layers, outputs, pending = {}, {}, []
    for layer_config in inner.get("layers", []):
        layer = deserialize_layer(layer_config, custom_objects, safe_mode, where)
        name = layer_config.get("name") or layer.name
        layers[name] = layer
        if isinstance(layer, InputLayer):
            outputs[(name, 0)] = layer._inbound_nodes[0].outputs
        else:
            pending.append([name, list(layer_config.get("inbound_nodes") or []), 0])
    _replay_calls(layers, pending, outputs, where)
    if "input_layers" not in inner or "output_layers" not in inner:
        raise ValueError(f"The Functional model config in {where} lacks 'input_layers' or 'output_layers'.")
    model = Functional(
        _tensor_structure(inner["input_layers"], outputs, where),
        _tensor_structure(inner["output_layers"], outputs, where),
        name=inner.get("name"),
    )
    if inner.get("trainable") is False:
        model.trainable = False
    return model


def _replay_calls(layers, pending, outputs, where):
    """Calls each layer on its recorded inputs, in each layer's node order, as soon as those inputs exist."""
    while pending:
        progressed = False
        for entry in pending:
            name, nodes, done = entry
            while done < len(nodes):
                call = _decode_node(nodes[done], outputs)
                if call is None:
                    break
                outputs[(name, done)] = layers[name](*call[0], **call[1])
                done += 1
                progressed = True
            entry[2] = done
        pending = [e for e in pending if e[2] < len(e[1])]
        if pending and not progressed:
            raise ValueError(
                f"The model graph in {where} cannot be rebuilt: layer '{pending[0][0]}' waits on tensors no layer "
                f"makes. The file is damaged or was edited by hand."
            )


def _tensor_structure(value, outputs, where):
    """The tensors named by `input_layers`/`output_layers`: one `[name, node, index]`, a list or a dict of them."""
    if _is_ref(value):
        name, node_index, tensor_index = value[:3]
        if (name, node_index) not in outputs:
            raise ValueError(f"The model in {where} names the tensor {value!r}, but no layer '{name}' makes it.")
        return tree.flatten(outputs[(name, node_index)])[tensor_index]
    if isinstance(value, dict):
        return {k: _tensor_structure(v, outputs, where) for k, v in value.items()}
    return [_tensor_structure(v, outputs, where) for v in value]


def _is_ref(value):
    return isinstance(value, list) and len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int)


def _decode_node(node, outputs):
    """`(args, kwargs)` for one recorded call, or `None` while some input is not made yet."""
    missing = []

    def lookup(name, node_index, tensor_index):
        if (name, node_index) not in outputs:
            missing.append(name)
            return None
        return tree.flatten(outputs[(name, node_index)])[tensor_index]

    def decode(value):
        if isinstance(value, dict) and value.get("class_name") == _TENSOR:
            return lookup(*value["config"]["keras_history"][:3])
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    if isinstance(node, dict):  # Keras 3
        args, kwargs = decode(node.get("args", [])), decode(node.get("kwargs", {}))
    else:  # Keras 2: [[layer_name, node_index, tensor_index, kwargs], ...]
        tensors = [lookup(*ref[:3]) for ref in node]
        kwargs = dict(node[0][3]) if node and len(node[0]) > 3 and node[0][3] else {}
        args = [tensors[0] if len(tensors) == 1 else tensors]
    return None if missing else (args, kwargs)


# --------------------------------------------------------------------------------------------------- JSON
def model_to_json(model, **kwargs):
    """The model's architecture (no weights) as a JSON string, in Keras 3's form; kwargs go to `json.dumps`."""
    return json.dumps(serialize_layer(model), **kwargs)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A fresh (untrained) model from `to_json()`'s string, or from Keras's.

    Example:
    >>> from cornu.layers import Dense
    >>> from cornu.models import Sequential
    >>> clone = model_from_json(model_to_json(Sequential([Dense(2, input_shape=(3,))])))
    >>> clone.count_params()
    8
    """
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(f"model_from_json: the string is not valid JSON ({error}).") from None
    if safe_mode:
        check_safe(config, "The JSON config")
    return deserialize_layer(config, custom_objects, safe_mode, "the JSON config")
