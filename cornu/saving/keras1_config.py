"""Keras 1 model configs (the `model_config` of a Keras 1.x `.h5` file) in the Keras 2 form cornu's loader reads.

Keras 1 wrote a Sequential's config as a bare list of layers, class names that Keras 2 renamed (`Convolution2D`,
`Merge`), Keras 1 argument names (`output_dim`, `init`, `border_mode`, `nb_filter`, `nb_row`, `subsample`,
`dim_ordering`, `W_regularizer`, `input_dtype`) and regularizers and constraints as `{"name": ..., ...}` dicts.
Argument names go through the one legacy table (`cornu.legacy.translate`), as they do when a user writes them; what
only files hold (class renames, `Merge`, the old regularizer dicts, `input_dtype`) is translated here.

Keras 1's `hard_sigmoid` (the default `inner_activation` of its LSTM and GRU) is `clip(0.2 * x + 0.5, 0, 1)`, and
Keras 3's is `clip(x / 6 + 0.5, 0, 1)`: a Keras 1 file keeps its own (`keras1_hard_sigmoid`), so its predictions are
the ones it was trained to make.
"""

import warnings

import torch

from cornu.legacy.translate import translate
from cornu.saving.registry import GLOBAL_CUSTOM_OBJECTS, resolve_class

__all__ = ["translate_model_config", "keras1_hard_sigmoid", "KERAS1_HARD_SIGMOID"]

KERAS1_HARD_SIGMOID = "cornu>keras1_hard_sigmoid"

# Keras 1 class names that Keras 2 renamed (the arguments are translated by the legacy table).
_CLASSES = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "AtrousConvolution1D": "Conv1D",
    "AtrousConvolution2D": "Conv2D",
    "SeparableConvolution2D": "SeparableConv2D",
}
# Keras 1 layers Keras 2 removed, with what to write instead.
_GONE = {
    "Highway": "a Dense gate written by hand (Keras 2 removed Highway)",
    "MaxoutDense": "Dense followed by a max over groups (Keras 2 removed MaxoutDense)",
    "TimeDistributedDense": "TimeDistributed(Dense(...))",
    "Deconvolution2D": "Conv2DTranspose (its Keras 1 `output_shape` argument has no Keras 2 form)",
}
# Keras 1 merge modes -> (Keras 2 class, the Keras 1 axis argument it takes).
_MERGE = {
    "sum": ("Add", None),
    "mul": ("Multiply", None),
    "ave": ("Average", None),
    "max": ("Maximum", None),
    "concat": ("Concatenate", "concat_axis"),
    "dot": ("Dot", "dot_axes"),
    "cos": ("Dot", "dot_axes"),
}
_INITIALIZERS = {"zero": "zeros", "one": "ones", "normal": "random_normal", "uniform": "random_uniform"}
_NOT_LAYER_ARGS = ("input_dtype", "input_length", "forget_bias_init")


def keras1_hard_sigmoid(x):
    """Keras 1 and 2's hard sigmoid, `clip(0.2 * x + 0.5, 0, 1)` (Keras 3's has slope 1/6).

    Example:
    >>> keras1_hard_sigmoid(torch.tensor([-3.0, 0.0, 1.0, 3.0])).tolist()
    [0.0, 0.5, 0.699999988079071, 1.0]
    """
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


GLOBAL_CUSTOM_OBJECTS.setdefault(KERAS1_HARD_SIGMOID, keras1_hard_sigmoid)


def translate_model_config(config, where):
    """A Keras 1 `{"class_name": ..., "config": ...}` model config in the Keras 2 form (`deserialize_layer` reads it).

    Example:
    >>> import warnings
    >>> warnings.simplefilter("ignore")
    >>> dense = {"class_name": "Dense", "config": {"name": "dense_1", "output_dim": 3, "init": "uniform",
    ...          "input_dim": 4, "batch_input_shape": [None, 4], "input_dtype": "float32", "bias": True}}
    >>> config = translate_model_config({"class_name": "Sequential", "config": [dense]}, "f.h5")
    >>> layer = config["config"]["layers"][0]["config"]
    >>> layer["units"], layer["kernel_initializer"], layer["use_bias"], "input_dim" in layer
    (3, 'random_uniform', True, False)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"{where}: its model_config is not a Keras model config (no 'class_name'); got {config!r:.80}."
        )
    return _layer(config, where)


def _layer(entry, where):
    class_name, inner = entry["class_name"], entry.get("config")
    if class_name == "Sequential":
        layers = inner if isinstance(inner, list) else (inner or {}).get("layers", [])
        name = None if isinstance(inner, list) else (inner or {}).get("name")
        out = {"class_name": "Sequential", "config": {"name": name, "layers": [_layer(e, where) for e in layers]}}
    elif class_name in ("Model", "Functional"):
        out = {"class_name": "Functional", "config": {**inner, "layers": [_layer(e, where) for e in inner["layers"]]}}
    else:
        out = _plain_layer(class_name, dict(inner or {}), where)
    for key in ("name", "inbound_nodes"):
        if key in entry:
            out[key] = entry[key]
    return out


def _plain_layer(class_name, config, where):
    if class_name in _GONE:
        raise ValueError(
            f"{where} holds a Keras 1 {class_name} layer ('{config.get('name')}'), which Keras 2 removed and cornu "
            f"does not have. Rebuild that part of the model with {_GONE[class_name]} and load the weights by name."
        )
    if class_name == "Merge" and config.get("layers"):
        raise ValueError(
            f"{where} holds a Keras 1 Merge of whole models ('{config.get('name')}') inside a Sequential, which "
            f"Keras 2 removed and cornu does not rebuild. Rewrite it with the functional API "
            f"(concatenate([a.output, b.output])) and load the weights by name."
        )
    if class_name == "Merge":
        class_name, config = _merge(config, where)
    if class_name == "Lambda":
        config = _lambda(config, where)
    class_name = _CLASSES.get(class_name, class_name)
    for key in ("layer", "cell"):  # TimeDistributed and Bidirectional wrap a layer config
        if isinstance(config.get(key), dict):
            config[key] = _plain_layer(config[key]["class_name"], dict(config[key].get("config") or {}), where)
    return {"class_name": class_name, "config": _arguments(class_name, config, where)}


def _merge(config, where):
    mode = config.get("mode", "sum")
    if config.get("mode_type", "raw") != "raw" or mode not in _MERGE:
        raise ValueError(
            f"{where}: Merge layer '{config.get('name')}' uses mode={mode!r} ({config.get('mode_type')}), a Python "
            f"function saved in the file. cornu loads Keras 1 merges of modes {sorted(_MERGE)}; rebuild this one "
            f"with Lambda(function) and load the weights by name."
        )
    class_name, axis_key = _MERGE[mode]
    out = {"name": config.get("name")}
    if axis_key == "concat_axis":
        out["axis"] = config.get("concat_axis", -1)
    elif axis_key == "dot_axes":
        out.update(axes=config.get("dot_axes", -1), normalize=mode == "cos")
    return class_name, out


def _lambda(config, where):
    """Keras 1's Lambda names its function (`function_type='function'`: found through custom_objects) or holds its
    bytecode (`'lambda'`: Python 2's as often as not, so never loaded)."""
    out = {"name": config.get("name"), "arguments": config.get("arguments") or {}}
    for key in ("function", "output_shape"):
        kind, value = config.get(f"{key}_type", "raw"), config.get(key)
        if kind == "lambda":
            raise ValueError(
                f"{where}: Lambda layer '{config.get('name')}' holds its {key} as Keras 1 bytecode (a Python lambda, "
                f"often Python 2's), which cornu never runs. Build the model in code with Lambda(your_function) and "
                f"load the weights with model.load_weights(path, by_name=True)."
            )
        if kind == "function":
            value = {"module": "builtins", "class_name": "function", "config": value, "registered_name": "function"}
        if value is not None:
            out[key] = value
    return out


def _arguments(class_name, config, where):
    cls = resolve_class({"class_name": class_name}, where=where)
    if class_name == "InputLayer":
        config.setdefault("dtype", config.pop("input_dtype", None) or "float32")
        config.pop("sparse", None)
        return config
    for key in _NOT_LAYER_ARGS:  # the input's dtype and length live in batch_input_shape and the data
        config.pop(key, None)
    if class_name != "Embedding":
        config.pop("input_dim", None)  # Keras 1 records it on every Dense; batch_input_shape carries the first one
    else:
        config.pop("dropout", None)  # Keras 1's word dropout acts in training only
    if class_name == "GRU":
        config["reset_after"] = False  # Keras 1 applied the reset gate before the recurrent matmul
    config = {key: _value(key, value) for key, value in config.items()}
    with warnings.catch_warnings():  # the file's spellings are not the caller's to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        return translate(cls, config)


def _value(key, value):
    if isinstance(value, dict) and "name" in value and "class_name" not in value:
        return _old_object(value)
    if key in ("activation", "inner_activation") and value == "hard_sigmoid":
        return keras1_hard_sigmoid
    if key in ("init", "inner_init") and value in _INITIALIZERS:
        return _INITIALIZERS[value]
    return value


def _old_object(config):
    """Keras 1's `{"name": "WeightRegularizer", "l1": 0, "l2": 0.01}` style dicts as Keras 2 configs."""
    name, rest = config["name"], {k: v for k, v in config.items() if k != "name"}
    if name in ("WeightRegularizer", "ActivityRegularizer"):
        return {"class_name": "L1L2", "config": {"l1": float(rest.get("l1", 0.0)), "l2": float(rest.get("l2", 0.0))}}
    if name == "MaxNorm":
        return {"class_name": "MaxNorm", "config": {"max_value": rest.get("m", 2), "axis": rest.get("axis", 0)}}
    return {"class_name": name, "config": rest}
