"""`.keras` files of tf-keras 2.13-2.15 (written by `tf_keras_files` in their layouts) load in cornu: predictions
match float64 NumPy references, and the optimizer state lands in cornu's slots."""

import warnings

import numpy as np
import pytest

from cornu import saving
from tests.saving import tf_keras_files as tk


def _f(rng, *shape):
    return rng.normal(size=shape).astype("float32")


def _compile_config(optimizer):
    return {"optimizer": optimizer, "loss": "mse", "metrics": ["mae"], "loss_weights": None, "weighted_metrics": None,
            "run_eagerly": None, "steps_per_execution": None, "jit_compile": None}  # fmt: skip


def _mlp(rng):
    return _f(rng, 4, 3), _f(rng, 3), _f(rng, 3, 2), _f(rng, 2)


def _reference(x, w1, b1, w2, b2):
    return np.maximum(x.astype("float64") @ w1 + b1, 0) @ w2 + b2


def test_tf_keras_2_15_functional_with_adam_state(tmp_path, rng):
    w1, b1, w2, b2 = _mlp(rng)
    layers = [tk.input_layer("input_1", (4,)), tk.dense("dense", 3, "relu", 4, "input_1"),
              tk.dense("dense_1", 2, "linear", 3, "dense")]  # fmt: skip
    config = tk.functional("model", layers, [["input_1", 0, 0]], [["dense_1", 0, 0]], [None, 4])
    config["compile_config"] = _compile_config(tk.adam_config(0.01))
    slots = [_f(rng, *w.shape) for w in (w1, w1, b1, b1, w2, w2, b2, b2)]  # m, v per variable, as tf-keras made them
    tk.write(tmp_path / "m.keras", config, [("layers/dense", [w1, b1]), ("layers/dense_1", [w2, b2])],
             optimizer_vars=[np.int64(7), *slots], extra_groups=["layers/input_layer"])  # fmt: skip
    model = saving.load_model(tmp_path / "m.keras")
    x = _f(rng, 5, 4)
    np.testing.assert_allclose(model.predict(x, verbose=0), _reference(x, w1, b1, w2, b2), atol=1e-5)
    state = model.optimizer.get_weights()
    assert int(state[0]) == 7 and float(state[1]) == pytest.approx(0.01)  # the learning rate, put back second
    for got, want in zip(state[2:], slots):
        np.testing.assert_array_equal(got, want)
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.get_config()["epsilon"] == 1e-07


def test_tf_keras_2_13_layer_paths(tmp_path, rng):
    w1, b1, w2, b2 = _mlp(rng)
    dropout = {"module": "keras.layers", "class_name": "Dropout", "registered_name": None,
               "config": {"name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.5,
                          "noise_shape": None, "seed": None}, "build_config": {"input_shape": [None, 3]}}  # fmt: skip
    layers = [
        tk.input_layer("input_1", (4,)),
        tk.dense("dense", 3, "relu", 4),
        dropout,
        tk.dense("dense_1", 2, "linear", 3),
    ]
    config = tk.sequential("sequential", layers, [None, 4])
    config["compile_config"] = _compile_config(tk.adam_config(0.001, class_name="Custom>Adam"))
    # 2.13 counted `dense` twice (layer_with_weights-0, layer-0), so the second Dense is saved as dense_2
    weights = [("_layer_checkpoint_dependencies/dense", [w1, b1]), ("_layer_checkpoint_dependencies/dense_2", [w2, b2])]
    tk.write(tmp_path / "s.keras", config, weights, version="2.13.1",
             extra_groups=["_layer_checkpoint_dependencies/dropout"])  # fmt: skip
    model = saving.load_model(tmp_path / "s.keras")
    x = _f(rng, 3, 4)
    np.testing.assert_allclose(model.predict(x, verbose=0), _reference(x, w1, b1, w2, b2), atol=1e-5)
    assert type(model.optimizer).__name__ == "Adam"


def test_tf_keras_legacy_optimizer_and_batchnorm(tmp_path, rng):
    w, b = _f(rng, 4, 3), _f(rng, 3)
    gamma, beta, mean, var = _f(rng, 3), _f(rng, 3), _f(rng, 3), rng.uniform(0.5, 2, 3).astype("float32")
    bn = {"module": "keras.layers", "class_name": "BatchNormalization", "registered_name": None,
          "build_config": {"input_shape": [None, 3]},
          "config": {"name": "batch_normalization", "trainable": True, "dtype": "float32", "axis": [1],
                     "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                     "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                          "registered_name": None},
                     "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {},
                                           "registered_name": None},
                     "moving_mean_initializer": {"module": "keras.initializers", "class_name": "Zeros",
                                                 "config": {}, "registered_name": None},
                     "moving_variance_initializer": {"module": "keras.initializers", "class_name": "Ones",
                                                     "config": {}, "registered_name": None},
                     "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                     "gamma_constraint": None}}  # fmt: skip
    config = tk.sequential("sequential", [tk.input_layer("input_1", (4,)), tk.dense("dense", 3, "linear", 4), bn],
                           [None, 4])  # fmt: skip
    legacy = {"module": "keras.optimizers.legacy", "class_name": "Adam", "registered_name": None,
              "config": {"name": "Adam", "learning_rate": 0.002, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
                         "epsilon": 1e-07, "amsgrad": False}}  # fmt: skip
    config["compile_config"] = _compile_config(legacy)
    tk.write(
        tmp_path / "b.keras",
        config,
        [("layers/dense", [w, b]), ("layers/batch_normalization", [gamma, beta, mean, var])],
    )
    model = saving.load_model(tmp_path / "b.keras")
    x = _f(rng, 4, 4)
    expected = ((x.astype("float64") @ w + b) - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.002)


def test_tf_keras_optimizer_layout_it_cannot_read_starts_fresh(tmp_path, rng):
    w1, b1, w2, b2 = _mlp(rng)
    layers = [tk.input_layer("input_1", (4,)), tk.dense("dense", 3, "relu", 4, "input_1"),
              tk.dense("dense_1", 2, "linear", 3, "dense")]  # fmt: skip
    config = tk.functional("model", layers, [["input_1", 0, 0]], [["dense_1", 0, 0]], [None, 4])
    nadam = {"module": "keras.optimizers", "class_name": "Nadam", "registered_name": None,
             "config": {"name": "Nadam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                        "epsilon": 1e-07}}  # fmt: skip
    config["compile_config"] = _compile_config(nadam)
    slots = [_f(rng, *w.shape) for w in (w1, w1, b1, b1, w2, w2, b2, b2)]
    tk.write(tmp_path / "n.keras", config, [("layers/dense", [w1, b1]), ("layers/dense_1", [w2, b2])],
             optimizer_vars=[np.int64(2), np.float32(1.0), *slots])  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = saving.load_model(tmp_path / "n.keras")
    messages = [str(w.message) for w in caught]
    assert any("n.keras" in m and "Nadam" in m and "starts fresh" in m for m in messages), messages
    assert int(model.optimizer.get_weights()[0]) == 0
    x = _f(rng, 2, 4)
    np.testing.assert_allclose(model.predict(x, verbose=0), _reference(x, w1, b1, w2, b2), atol=1e-5)


def test_tf_keras_file_missing_a_layer_names_file_and_path(tmp_path, rng):
    w1, b1, _, _ = _mlp(rng)
    layers = [tk.input_layer("input_1", (4,)), tk.dense("dense", 3, "relu", 4), tk.dense("dense_1", 2, "linear", 3)]
    tk.write(
        tmp_path / "cut.keras", tk.sequential("s", layers, [None, 4]), [("layers/dense", [w1, b1])], version="2.14.0"
    )
    with pytest.raises(ValueError, match=r"cut\.keras' has no weights for layer 'dense_1'.*'layers/dense_1/vars'"):
        saving.load_model(tmp_path / "cut.keras")
    weights = [("_layer_checkpoint_dependencies/dense", [w1, b1])]
    tk.write(tmp_path / "cut13.keras", tk.sequential("s", layers, [None, 4]), weights, version="2.13.1")
    with pytest.raises(ValueError, match=r"cut13\.keras.*'_layer_checkpoint_dependencies/dense_2/vars' is missing"):
        saving.load_model(tmp_path / "cut13.keras")
