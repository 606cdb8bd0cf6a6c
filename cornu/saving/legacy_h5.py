"""The `.h5` model file in the Keras 2 layout, as Keras 2 wrote it and Keras 3 still reads and writes it.

Root attributes `model_config` and `training_config` (JSON strings); group `model_weights` with attributes
`layer_names`, `backend`, `keras_version`, one group per layer named after it whose `weight_names` attribute lists
its datasets (`dense/kernel`, or Keras 2's `dense/kernel:0`) in the order trainable, then non-trainable; and group
`optimizer_weights` likewise. Weights are matched to layers by order (or by name), as Keras does. Keras 1 files
(same groups, older config and layouts) are translated by `keras1_config` and `keras1_h5` on the way in.
"""

import json
import os
import warnings

import numpy as np

from cornu.saving import keras1_h5, serialization, weights_h5
from cornu.saving.atomic import atomic_path
from cornu.saving.keras1_config import translate_model_config

__all__ = ["save_legacy_h5", "load_legacy_h5", "save_legacy_weights", "load_legacy_weights"]

_KERAS_VERSION = "3.15.1"


def save_legacy_h5(model, filepath, include_optimizer=True):
    """Writes the whole model (architecture, compile config, weights, optimizer state) to an `.h5` file."""
    config = serialization.serialize_layer(model)
    config.pop("build_config", None)
    h5py = weights_h5.require_h5py()
    with atomic_path(filepath) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["backend"] = "torch"
        f.attrs["keras_version"] = _KERAS_VERSION
        f.attrs["model_config"] = json.dumps(config)
        compile_config = serialization.serialize_compile_config(model)
        if compile_config:
            compile_config["optimizer_config"] = compile_config.pop("optimizer")
            compile_config["loss"] = _full_loss_names(compile_config["loss"])
            f.attrs["training_config"] = json.dumps(compile_config)
        _write_model_weights(f.create_group("model_weights"), model)
        if include_optimizer and compile_config:
            _write_optimizer(f, model)


def save_legacy_weights(model, filepath):
    """Writes only the weights, in the Keras 2 layout at the file's root (`model.save_weights('w.h5')`)."""
    h5py = weights_h5.require_h5py()
    with atomic_path(filepath) as tmp, h5py.File(tmp, "w") as f:
        _write_model_weights(f, model)


def _full_loss_names(spec):
    """Loss aliases spelled out: Keras 3.15 cannot read back `"loss": "mse"` from an `.h5` training_config."""
    from cornu import losses

    if isinstance(spec, str):
        found = losses.get(spec)
        return getattr(found, "__name__", spec) if not isinstance(found, type) else spec
    if isinstance(spec, list):
        return [_full_loss_names(item) for item in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _full_loss_names(item) for key, item in spec.items()}
    return spec


def _legacy_order(layer):
    return layer.trainable_weights + layer.non_trainable_weights


def _write_model_weights(group, model):
    layers = model.layers
    group.attrs["layer_names"] = _name_array([layer.name for layer in layers])
    group.attrs["backend"] = "torch"
    group.attrs["keras_version"] = _KERAS_VERSION
    for layer in sorted(layers, key=lambda item: item.name):
        _write_subset(group.create_group(layer.name), [(f"{layer.name}/", w) for w in _legacy_order(layer)])
    _write_subset(group.create_group("top_level_model_weights"), [])


def _write_subset(group, named_weights):
    names, used = [], set()
    for prefix, weight in named_weights:
        name, count = prefix + getattr(weight, "keras_name", "variable"), 0
        while name in used:
            count += 1
            name = f"{prefix}{getattr(weight, 'keras_name', 'variable')}_{count}"
        used.add(name)
        names.append(name)
        group.create_dataset(name, data=weight.detach().cpu().numpy())
    group.attrs["weight_names"] = _name_array(names)


def _name_array(names):
    # Fixed-length byte strings, as Keras writes them (an empty list stays an empty float array, also as Keras).
    return np.asarray([n.encode("utf8") for n in names])


def _write_optimizer(f, model):
    optimizer = model.optimizer
    values = optimizer.get_weights()
    labels = ["iteration"] + (["learning_rate"] if len(values) > 1 and not callable(optimizer._learning_rate) else [])
    labels += [f"variable_{i}" for i in range(len(labels), len(values))]
    group = f.create_group("optimizer_weights")
    names = [f"{optimizer.name}/{label}" for label in labels]
    for name, value in zip(names, values):
        group.create_dataset(name, data=np.asarray(value))
    group.attrs["weight_names"] = _name_array(names)


# --------------------------------------------------------------------------------------------------- reading
def load_legacy_h5(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model stored in a Keras 2 layout `.h5` file (written by cornu, Keras 2 or Keras 3)."""
    where = f"{os.fspath(filepath)!r}"
    with _open(filepath) as f:
        if "model_config" not in f.attrs:
            raise ValueError(
                f"{where} holds no model_config: it is a weights-only file. Build the model in code and call "
                f"model.load_weights({where})."
            )
        config = _json_attr(f, "model_config", where)
        keras1 = keras1_h5.is_keras1(f, f.get("model_weights", f))
        if keras1:
            config = translate_model_config(config, where)
        if safe_mode:
            serialization.check_safe(config, where)
        model = serialization.deserialize_layer(config, custom_objects, safe_mode, where)
        if "model_weights" not in f:
            raise ValueError(f"{where} has a model_config but no 'model_weights' group: the file is incomplete.")
        _read_model_weights(f["model_weights"], model, where, convert=_converter(f, f["model_weights"]))
        if compile and "training_config" in f.attrs:
            training = _json_attr(f, "training_config", where)
            training["optimizer"] = training.pop("optimizer_config", None)
            with warnings.catch_warnings():  # the file's Keras 1/2 spellings (lr=) are not the caller's to fix
                warnings.simplefilter("ignore", DeprecationWarning)
                serialization.compile_from_config(model, training, custom_objects)
            if "optimizer_weights" in f and keras1:
                warnings.warn(
                    f"{where} was saved by Keras 1, whose optimizer state has another layout; the optimizer starts "
                    f"fresh (the weights are loaded).",
                    stacklevel=2,
                )
            elif "optimizer_weights" in f:
                _read_optimizer(f["optimizer_weights"], model, where)
    return model


def _converter(root, group):
    """`convert(layer, arrays)` for a Keras 1 file's weights (Keras 1 layouts to Keras's), else `None`."""
    if not keras1_h5.is_keras1(root, group):
        return None
    theano = keras1_h5.uses_theano_kernels(group, _names(group, "layer_names"))
    return lambda layer, arrays: keras1_h5.convert_arrays(layer, arrays, theano)


def load_legacy_weights(filepath, model, skip_mismatch=False, by_name=False):
    """Loads the weights of a Keras 2 layout `.h5` file (whole-model or weights-only) into `model`."""
    where = f"{os.fspath(filepath)!r}"
    with _open(filepath) as f:
        group = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in group.attrs:
            raise ValueError(
                f"{where} has no 'layer_names' attribute, so it holds no Keras 2 layout weights. A Keras 3 weights "
                f"file must be named '*.weights.h5'."
            )
        convert = _converter(f, group)
        if by_name:
            _read_by_name(group, model, where, skip_mismatch, convert)
        else:
            _read_model_weights(group, model, where, skip_mismatch, convert)


def _open(filepath):
    where = f"{os.fspath(filepath)!r}"
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {where}. Check the path.")
    h5py = weights_h5.require_h5py()
    try:
        return h5py.File(filepath, "r")
    except OSError as error:
        raise ValueError(
            f"{where} is not a readable HDF5 file ({error}). It is damaged, truncated or not HDF5."
        ) from None


def _json_attr(f, name, where):
    value = f.attrs[name]
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    try:
        return json.loads(value)
    except ValueError as error:
        raise ValueError(f"{where}: the '{name}' attribute is not valid JSON ({error}).") from None


def _names(group, attribute):
    if attribute in group.attrs:
        raw = list(group.attrs[attribute])
    else:  # Keras splits attributes too big for an HDF5 header into numbered chunks
        raw, chunk = [], 0
        while f"{attribute}{chunk}" in group.attrs:
            raw.extend(group.attrs[f"{attribute}{chunk}"])
            chunk += 1
    return [n.decode("utf8") if isinstance(n, bytes) else str(n) for n in raw]


def _layer_arrays(group, name, where):
    if name not in group:
        raise ValueError(f"{where} lists layer '{name}' in layer_names but has no group for it: the file is damaged.")
    layer_group = group[name]
    arrays = []
    for weight_name in _names(layer_group, "weight_names"):
        if weight_name not in layer_group:
            raise ValueError(f"{where}: layer '{name}' lists weight '{weight_name}' but the dataset is missing.")
        arrays.append(np.asarray(layer_group[weight_name]))
    return arrays


def _read_model_weights(group, model, where, skip_mismatch=False, convert=None):
    layers = [layer for layer in model.layers if _legacy_order(layer)]
    saved = [(name, _layer_arrays(group, name, where)) for name in _names(group, "layer_names")]
    saved = [(name, arrays) for name, arrays in saved if arrays]
    if len(saved) != len(layers):
        raise ValueError(
            f"{where} has weights for {len(saved)} layers ({[n for n, _ in saved]}), but the model has "
            f"{len(layers)} layers with weights ({[layer.name for layer in layers]}). Load it into the same "
            f"architecture, or pass by_name=True to match layers by name."
        )
    for layer, (name, arrays) in zip(layers, saved):
        _set_layer(layer, arrays, where, name, skip_mismatch, convert)


def _read_by_name(group, model, where, skip_mismatch, convert=None):
    saved = set(_names(group, "layer_names"))
    for layer in model.layers:
        if layer.name in saved and _legacy_order(layer):
            _set_layer(layer, _layer_arrays(group, layer.name, where), where, layer.name, skip_mismatch, convert)


def _set_layer(layer, arrays, where, saved_name, skip_mismatch, convert=None):
    weights = _legacy_order(layer)
    if convert is not None:
        try:
            arrays = convert(layer, arrays)
        except (ValueError, IndexError) as error:
            weights_h5._fail(
                f"{where}: the Keras 1 weights of layer '{saved_name}' do not fit layer '{layer.name}' ({error}).",
                skip_mismatch,
            )
            return
    if len(arrays) != len(weights):
        weights_h5._fail(
            f"{where}: layer '{layer.name}' has {len(weights)} weights, but the file's layer '{saved_name}' has "
            f"{len(arrays)}.",
            skip_mismatch,
        )
        return
    weights_h5._assign(layer, weights, arrays, where, skip_mismatch)


def _read_optimizer(group, model, where):
    arrays = [np.asarray(group[name]) for name in _names(group, "weight_names") if name in group]
    optimizer = model.optimizer
    if len(arrays) != len(optimizer.variables):  # an optimizer saved before its first step has no slots yet
        optimizer.build(model.trainable_weights)
    if len(arrays) != len(optimizer.variables):
        warnings.warn(
            f"{where}: the saved optimizer state has {len(arrays)} variables but optimizer '{optimizer.name}' has "
            f"{len(optimizer.variables)} (a Keras 2 file stores them differently); it starts fresh.",
            stacklevel=3,
        )
        return
    optimizer.set_weights(arrays)
