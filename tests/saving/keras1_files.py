"""Writes `.h5` files as Keras 1.2 wrote them (`model.save` and `model.save_weights`), from given arrays.

Layout (Keras 1.2 `keras/models.py` `save_model` and `keras/engine/topology.py` `save_weights_to_hdf5_group`):
root attributes `keras_version` (b"1.2.2"; absent before 1.2) and `model_config` (JSON bytes, no `backend`),
`training_config` when compiled; group `model_weights` with attribute `layer_names` (every layer, weightless ones
too) and one group per layer whose `weight_names` attribute lists flat variable names (`dense_1_W:0` on
TensorFlow, `dense_1_W` on Theano), each a dataset at the layer group's top level. `save_weights` writes the same
layer groups at the file's root. Layer configs carry Keras 1.2's `get_config()` keys.
"""

import json

import h5py
import numpy as np

__all__ = ["write_model", "write_weights", "sequential", "functional", "layer"]

_BASE = {"trainable": True}


def layer(class_name, name, inbound=None, **config):
    """A Keras 1 layer entry; `inbound` (functional models) is a list of `[layer, node, tensor]` refs."""
    entry = {"class_name": class_name, "config": {"name": name, **_BASE, **config}}
    if inbound is not None:
        entry["name"] = name
        entry["inbound_nodes"] = [inbound] if inbound else []
    return entry


def dense(name, output_dim, activation="linear", input_dim=None, first=False):
    config = dict(output_dim=output_dim, init="glorot_uniform", activation=activation, W_regularizer=None,
                  b_regularizer=None, activity_regularizer=None, W_constraint=None, b_constraint=None, bias=True,
                  input_dim=input_dim)  # fmt: skip
    if first:
        config.update(batch_input_shape=[None, input_dim], input_dtype="float32")
    return config


def sequential(layers):
    """Keras 1's Sequential config: the bare list of layer configs."""
    return {"class_name": "Sequential", "config": layers}


def functional(name, layers, inputs, outputs):
    return {
        "class_name": "Model",
        "config": {"name": name, "layers": layers, "input_layers": inputs, "output_layers": outputs},
    }


def _weight_group(group, weights, backend):
    names = [layer for layer, _ in weights]
    group.attrs["layer_names"] = np.asarray([n.encode("utf8") for n in names])
    suffix = ":0" if backend == "tensorflow" else ""
    for layer_name, arrays in weights:
        g = group.create_group(layer_name)
        weight_names = [f"{layer_name}_{short}{suffix}" for short, _ in arrays]
        # an empty list is stored as Keras 1 stored it: an empty array attribute
        g.attrs["weight_names"] = np.asarray([n.encode("utf8") for n in weight_names])
        for weight_name, (_, value) in zip(weight_names, arrays):
            g.create_dataset(weight_name, data=np.asarray(value, dtype="float32"))


def write_model(path, model_config, weights, training_config=None, backend="tensorflow", version="1.2.2"):
    """`weights`: `[(layer_name, [(short_name, array), ...]), ...]` for every layer, in model order."""
    with h5py.File(path, "w") as f:
        if version is not None:
            f.attrs["keras_version"] = version.encode("utf8")
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config).encode("utf8")
        _weight_group(f.create_group("model_weights"), weights, backend)
        if training_config is not None:
            opt = f.create_group("optimizer_weights")
            opt.attrs["weight_names"] = np.asarray([b"Variable:0"])
            opt.create_dataset("Variable:0", data=np.asarray(3.0, dtype="float32"))


def write_weights(path, weights, backend="tensorflow"):
    """Keras 1's `model.save_weights(path)`: the layer groups at the root, no version attribute."""
    with h5py.File(path, "w") as f:
        _weight_group(f, weights, backend)
