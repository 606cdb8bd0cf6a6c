"""Files in the Keras 2 (tf.keras) layout, written here byte for byte as Keras 2 wrote them, load in cornu."""

import json

import h5py
import numpy as np
import pytest

from cornu import saving

GLOROT = {"class_name": "GlorotUniform", "config": {"seed": None}}
ZEROS = {"class_name": "Zeros", "config": {}}


def _dense(name, units, activation, batch_input_shape=None):
    config = {
        "name": name,
        "trainable": True,
        "dtype": "float32",
        "units": units,
        "activation": activation,
        "use_bias": True,
        "kernel_initializer": GLOROT,
        "bias_initializer": ZEROS,
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }
    if batch_input_shape:
        config["batch_input_shape"] = batch_input_shape
    return {"class_name": "Dense", "config": config}


def _write(path, model_config, weights, training_config=None):
    """weights: {layer_name: [(weight_name, array), ...]} in the Keras 2 order (trainable, then non-trainable)."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.11.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode()
        if training_config:
            f.attrs["training_config"] = json.dumps(training_config).encode()
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.asarray([n.encode() for n in weights])
        for layer, items in weights.items():
            layer_group = group.create_group(layer)
            layer_group.attrs["weight_names"] = np.asarray([f"{layer}/{n}:0".encode() for n, _ in items])
            for name, value in items:
                layer_group.create_dataset(f"{layer}/{name}:0", data=value)


def test_keras2_sequential_with_old_optimizer_config(tmp_path, rng):
    kernel, bias = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=3).astype("float32")
    kernel2, bias2 = rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=2).astype("float32")
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [_dense("dense", 3, "relu", [None, 4]), _dense("dense_1", 2, "softmax")],
        },
    }
    training = {
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
        "weighted_metrics": None,
        "loss_weights": None,
        "optimizer_config": {
            "class_name": "Adam",
            "config": {
                "name": "Adam",
                "learning_rate": 0.01,
                "decay": 0.0,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-07,
                "amsgrad": False,
                "jit_compile": False,
                "is_legacy_optimizer": False,
            },
        },
    }
    path = tmp_path / "k2.h5"
    _write(
        path,
        config,
        {"dense": [("kernel", kernel), ("bias", bias)], "dense_1": [("kernel", kernel2), ("bias", bias2)]},
        training,
    )
    model = saving.load_model(path)
    x = rng.normal(size=(5, 4)).astype("float32")
    hidden = np.maximum(x @ kernel + bias, 0) @ kernel2 + bias2
    expected = np.exp(hidden) / np.exp(hidden).sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.01) and model.compiled


def test_keras2_functional_with_list_nodes(tmp_path, rng):
    kernel, bias = rng.normal(size=(5, 2)).astype("float32"), rng.normal(size=2).astype("float32")
    input_layer = lambda name, n: {  # noqa: E731
        "class_name": "InputLayer",
        "name": name,
        "inbound_nodes": [],
        "config": {"batch_input_shape": [None, n], "dtype": "float32", "sparse": False, "ragged": False, "name": name},
    }
    layers = [
        input_layer("input_1", 3),
        input_layer("input_2", 2),
        {
            "class_name": "Concatenate",
            "name": "concatenate",
            "config": {"name": "concatenate", "trainable": True, "dtype": "float32", "axis": -1},
            "inbound_nodes": [[["input_1", 0, 0, {}], ["input_2", 0, 0, {}]]],
        },
        {**_dense("dense", 2, "linear"), "name": "dense", "inbound_nodes": [[["concatenate", 0, 0, {}]]]},
    ]
    config = {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "layers": layers,
            "input_layers": [["input_1", 0, 0], ["input_2", 0, 0]],
            "output_layers": [["dense", 0, 0]],
        },
    }
    path = tmp_path / "k2f.h5"
    _write(
        path, config, {"input_1": [], "input_2": [], "concatenate": [], "dense": [("kernel", kernel), ("bias", bias)]}
    )
    model = saving.load_model(path)
    a, b = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 2)).astype("float32")
    np.testing.assert_allclose(
        model.predict([a, b], verbose=0), np.concatenate([a, b], -1) @ kernel + bias, rtol=1e-5, atol=1e-6
    )
    assert not model.compiled
    target = saving.load_model(path)
    target.set_weights([np.zeros_like(w) for w in target.get_weights()])
    saving.load_weights(target, path)  # whole-model file as a weights source, matched by order
    np.testing.assert_array_equal(target.get_weights()[0], kernel)
