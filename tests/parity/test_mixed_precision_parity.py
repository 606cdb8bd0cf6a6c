"""Mixed precision against Keras 3: the same model and weights under "mixed_bfloat16" give the same dtypes layer by
layer, the same outputs and loss (within bfloat16's precision); LossScaleOptimizer follows the same scale, counter,
iterations and weights as Keras's on the same gradients; compile wraps the optimizer under "mixed_float16" alike."""

import numpy as np
import pytest
import torch

import cornu
from cornu.mixed_precision import LossScaleOptimizer, set_global_policy

keras = pytest.importorskip("keras")

INF = float("inf")


@pytest.fixture(autouse=True)
def _policies_back_to_float32():
    yield
    set_global_policy("float32")
    keras.mixed_precision.set_global_policy("float32")


def _pair(policy):
    """The same 3-layer model in Keras and in cornu, under `policy`, with Keras's weights copied into cornu's."""
    keras.mixed_precision.set_global_policy(policy)
    set_global_policy(policy)
    keras.utils.set_random_seed(0)
    ref = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(4),
            keras.layers.Activation("softmax", dtype="float32"),
        ]
    )
    ours = cornu.models.Sequential(
        [
            cornu.Input((6,)),
            cornu.layers.Dense(8, activation="relu"),
            cornu.layers.Dense(4),
            cornu.layers.Activation("softmax", dtype="float32"),
        ]
    )
    ours.set_weights(ref.get_weights())
    return ref, ours


def _x():
    return np.random.default_rng(0).normal(size=(5, 6)).astype("float32")


def test_policy_objects_match_keras():
    for name in ("float32", "mixed_float16", "mixed_bfloat16", "float64"):
        ref, ours = keras.DTypePolicy(name), cornu.mixed_precision.DTypePolicy(name)
        assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (ref.name, ref.compute_dtype, ref.variable_dtype)
        assert ours.get_config() == ref.get_config() and repr(ours) == repr(ref)


def test_layer_dtypes_and_outputs_match_keras_under_mixed_bfloat16():
    ref, ours = _pair("mixed_bfloat16")
    x = _x()
    ref_out, our_out = x, torch.from_numpy(x)
    for ref_layer, our_layer in zip(ref.layers, ours.layers):
        assert (our_layer.compute_dtype, our_layer.variable_dtype, our_layer.dtype_policy.name) == (
            ref_layer.compute_dtype,
            ref_layer.variable_dtype,
            ref_layer.dtype_policy.name,
        )
        ref_out, our_out = ref_layer(ref_out), our_layer(our_out)
        assert str(our_out.dtype).replace("torch.", "") == keras.backend.standardize_dtype(ref_out.dtype)
        np.testing.assert_allclose(
            our_out.float().detach().numpy(),
            keras.ops.convert_to_numpy(keras.ops.cast(ref_out, "float32")),
            rtol=2e-2,
            atol=2e-2,
        )
    assert [str(w.dtype).replace("torch.", "") for w in ours.weights] == [w.dtype for w in ref.weights]


def test_loss_and_one_training_step_match_keras_under_mixed_bfloat16():
    ref, ours = _pair("mixed_bfloat16")
    x, y = _x(), np.eye(4, dtype="float32")[[0, 1, 2, 3, 0]]
    ref.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    ours.compile(optimizer=cornu.optimizers.SGD(0.1), loss="categorical_crossentropy")
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-2)
    ref.train_on_batch(x, y)
    ours.train_on_batch(x, y)
    for a, b in zip(ref.get_weights(), ours.get_weights()):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(b, a, rtol=2e-2, atol=2e-3)


def test_mixed_float16_compile_wraps_like_keras():
    ref, ours = _pair("mixed_float16")
    ref.compile(optimizer="adam", loss="mse")
    ours.compile(optimizer="adam", loss="mse")
    assert type(ref.optimizer).__name__ == type(ours.optimizer).__name__ == "LossScaleOptimizer"
    assert ours.optimizer.name == ref.optimizer.name == "loss_scale_optimizer"
    ref_config, our_config = ref.optimizer.get_config(), ours.optimizer.get_config()
    assert sorted(ref_config) == sorted(our_config)
    assert (our_config["initial_scale"], our_config["dynamic_growth_steps"]) == (
        ref_config["initial_scale"],
        ref_config["dynamic_growth_steps"],
    )
    ref.build((None, 6))
    ref.optimizer.build(ref.trainable_variables)
    ours.optimizer.build(ours.trainable_weights)
    assert len(ours.optimizer.variables) == len(ref.optimizer.variables)
    assert float(ours.optimizer.dynamic_scale) == float(keras.ops.convert_to_numpy(ref.optimizer.dynamic_scale))


def test_loss_scale_dynamics_match_keras_on_the_same_gradients():
    sequence = [
        [2.0, -1.0],
        [INF, 1.0],
        [4.0, 0.5],
        [1.0, 1.0],
        [float("nan"), 0.0],
        [8.0, -8.0],
        [2.0, 2.0],
        [1.0, 3.0],
    ]
    ref = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.5), initial_scale=16.0, dynamic_growth_steps=2)
    ours = LossScaleOptimizer(cornu.optimizers.SGD(0.5), initial_scale=16.0, dynamic_growth_steps=2)
    ref_w = keras.Variable(np.array([1.0, -1.0], "float32"))
    our_w = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    ref.build([ref_w])
    for grad in sequence:
        ref.apply([keras.ops.convert_to_tensor(np.array(grad, "float32"))], [ref_w])
        ours.apply([torch.tensor(grad)], [our_w])
        assert ours.loss_scale == float(keras.ops.convert_to_numpy(ref.dynamic_scale))
        assert int(ours.step_counter) == int(keras.ops.convert_to_numpy(ref.step_counter))
        assert ours.iterations == int(keras.ops.convert_to_numpy(ref.iterations))
        np.testing.assert_allclose(our_w.detach().numpy(), keras.ops.convert_to_numpy(ref_w), rtol=1e-6)
