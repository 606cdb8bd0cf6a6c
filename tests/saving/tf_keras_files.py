"""Writes `.keras` files as tf-keras 2.13-2.15 (TensorFlow's Keras 2) wrote them, from given arrays.

Layout (tf-keras `saving/saving_lib.py`, `saving/serialization_lib.py`, `engine/node.py`, `optimizers/optimizer.py`):
- `metadata.json`: `{"keras_version": "2.15.0", "date_saved": ...}`.
- `config.json`: objects as `{"module", "class_name", "config", "registered_name"}`; public classes under their
  export path (`"module": "keras.layers"`, `"keras.initializers"`, `"keras.optimizers"`; `Sequential` under
  `"keras"`), the Functional model under its source module (`keras.src.engine.functional`, registered name
  `"Functional"`); layer dtypes as strings; `InputLayer` with `batch_input_shape`, `sparse`, `ragged`; Functional
  `inbound_nodes` in the Keras 2 form `[[[layer, node, tensor, {kwargs}]]]`; `build_config` and `compile_config`.
- `model.weights.h5`: a `vars` group for every object visited (empty ones too, no `name` attribute). 2.14/2.15
  walk `layers` (named by snake-cased class, `_1`, `_2` for repeats) as Keras 3 does; 2.13 walked the model's
  `_layer_checkpoint_dependencies` dict instead, whose values list each layer with weights twice
  (`layer_with_weights-k`, then `layer-i`): the repeat counter ran over both, so the second of two Dense layers is
  saved as `dense_2`. The optimizer's `vars` are `iteration` then its slots in creation order (Adam: `m`, `v` per
  variable); tf-keras kept the learning rate out of them.
"""

import json
import zipfile

import h5py
import numpy as np

__all__ = ["dense", "input_layer", "functional", "sequential", "write", "adam_config"]


def _obj(module, class_name, config, registered_name=None):
    return {"module": module, "class_name": class_name, "config": config, "registered_name": registered_name}


def _initializer(name, config=None):
    return _obj("keras.initializers", name, config or ({"seed": None} if name != "Zeros" else {}))


def input_layer(name, shape):
    entry = _obj("keras.layers", "InputLayer", {"batch_input_shape": [None, *shape], "dtype": "float32",
                                                 "sparse": False, "ragged": False, "name": name})  # fmt: skip
    return {**entry, "name": name, "inbound_nodes": []}


def dense(name, units, activation, input_dim, inbound=None):
    config = {"name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
              "use_bias": True, "kernel_initializer": _initializer("GlorotUniform"),
              "bias_initializer": _initializer("Zeros"), "kernel_regularizer": None, "bias_regularizer": None,
              "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}  # fmt: skip
    entry = {**_obj("keras.layers", "Dense", config), "build_config": {"input_shape": [None, input_dim]}}
    if inbound is not None:
        entry.update(name=name, inbound_nodes=[[[inbound, 0, 0, {}]]])
    return entry


def functional(name, layers, inputs, outputs, input_shape):
    config = {"name": name, "trainable": True, "layers": layers, "input_layers": inputs, "output_layers": outputs}
    return {**_obj("keras.src.engine.functional", "Functional", config, "Functional"),
            "build_config": {"input_shape": input_shape}}  # fmt: skip


def sequential(name, layers, input_shape):
    config = {"name": name, "layers": layers}
    return {**_obj("keras", "Sequential", config), "build_config": {"input_shape": input_shape}}


def adam_config(learning_rate, class_name="Adam", module="keras.optimizers"):
    config = {"name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
              "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": True,
              "is_legacy_optimizer": False, "learning_rate": learning_rate, "beta_1": 0.9, "beta_2": 0.999,
              "epsilon": 1e-07, "amsgrad": False}  # fmt: skip
    return _obj(module, class_name, config)


def write(path, config, layer_weights, version="2.15.0", optimizer_vars=None, extra_groups=()):
    """`layer_weights`: `[(h5 path of the layer, [arrays])]`; `optimizer_vars`: the optimizer's arrays or None."""
    buffer = _h5(layer_weights, optimizer_vars, extra_groups)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": version, "date_saved": "2024-01-02@03:04:05"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", buffer)


def _h5(layer_weights, optimizer_vars, extra_groups):
    import io

    data = io.BytesIO()
    with h5py.File(data, "w") as f:
        f.create_group("vars")
        for group_path in extra_groups:  # objects without weights still get an empty vars group
            f.create_group(f"{group_path}/vars")
        for group_path, arrays in layer_weights:
            group = f.create_group(f"{group_path}/vars")
            for i, value in enumerate(arrays):
                group.create_dataset(str(i), data=np.asarray(value))
        if optimizer_vars is not None:
            group = f.create_group("optimizer/vars")
            for i, value in enumerate(optimizer_vars):
                group.create_dataset(str(i), data=np.asarray(value))
    return data.getvalue()
