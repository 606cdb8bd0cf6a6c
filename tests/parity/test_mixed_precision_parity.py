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


def _layer_pair(make_ref, make_ours, *inputs, **call_kwargs):
    """One layer from each library under "mixed_bfloat16", built on `inputs`, cornu given Keras's weights; returns
    (Keras's output, cornu's output, Keras's layer, cornu's layer)."""
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    ref, ours = make_ref(), make_ours()
    ref(*inputs, **call_kwargs)
    ours(*[torch.from_numpy(x) for x in inputs], **call_kwargs)
    ours.set_weights(ref.get_weights())
    ref_out = ref(*inputs, **call_kwargs)
    our_out = ours(*[torch.from_numpy(x) for x in inputs], **call_kwargs)
    return ref_out, our_out, ref, ours


def _assert_same_outputs(ref_out, our_out, ref, ours):
    ref_list = ref_out if isinstance(ref_out, (list, tuple)) else [ref_out]
    our_list = our_out if isinstance(our_out, (list, tuple)) else [our_out]
    assert len(ref_list) == len(our_list)
    for a, b in zip(ref_list, our_list):
        assert str(b.dtype).replace("torch.", "") == keras.backend.standardize_dtype(a.dtype)
        expected = keras.ops.convert_to_numpy(keras.ops.cast(a, "float32"))
        np.testing.assert_allclose(b.float().detach().numpy(), expected, rtol=2e-2, atol=2e-2)
    assert [str(w.dtype).replace("torch.", "") for w in ours.weights] == [w.dtype for w in ref.weights]


def _seq(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_matches_keras_under_mixed_bfloat16(training):
    x = _seq(8, 3) * 3 + 2
    pair = _layer_pair(keras.layers.BatchNormalization, cornu.layers.BatchNormalization, x, training=training)
    _assert_same_outputs(*pair)
    ref, ours = pair[2], pair[3]
    for a, b in zip(ref.non_trainable_weights, ours.non_trainable_weights):  # the moving statistics, twice updated
        np.testing.assert_allclose(b.detach().numpy(), keras.ops.convert_to_numpy(a), rtol=1e-3, atol=1e-5)


def test_layer_normalization_matches_keras_under_mixed_bfloat16():
    x = _seq(4, 5, 6) * 4 + 10
    _assert_same_outputs(*_layer_pair(keras.layers.LayerNormalization, cornu.layers.LayerNormalization, x))
    _assert_same_outputs(
        *_layer_pair(
            lambda: keras.layers.GroupNormalization(groups=2), lambda: cornu.layers.GroupNormalization(groups=2), x
        )
    )


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("LSTM", {"units": 3, "return_sequences": True, "return_state": True}),
        ("GRU", {"units": 3}),
        ("GRU", {"units": 3, "reset_after": False}),
        ("SimpleRNN", {"units": 3, "return_sequences": True}),
    ],
)
def test_recurrent_layers_match_keras_under_mixed_bfloat16(name, kwargs):
    x = _seq(2, 5, 4)
    pair = _layer_pair(lambda: getattr(keras.layers, name)(**kwargs), lambda: getattr(cornu.layers, name)(**kwargs), x)
    _assert_same_outputs(*pair)


def test_embedding_matches_keras_under_mixed_bfloat16():
    ids = np.array([[1, 2, 0], [4, 3, 3]])
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    set_global_policy("mixed_bfloat16")
    ref, ours = keras.layers.Embedding(5, 3), cornu.layers.Embedding(5, 3)
    ref.build((None, 3))
    ours.set_weights(ref.get_weights())
    _assert_same_outputs(ref(ids), ours(torch.from_numpy(ids)), ref, ours)


def test_multi_head_attention_matches_keras_under_mixed_bfloat16():
    q, v = _seq(2, 3, 4), _seq(2, 5, 4, seed=1)
    pair = _layer_pair(
        lambda: keras.layers.MultiHeadAttention(2, 3), lambda: cornu.layers.MultiHeadAttention(2, 3), q, v
    )
    _assert_same_outputs(*pair)
    assert pair[3].output_dense.compute_dtype == pair[2].output_dense.compute_dtype == "bfloat16"


def test_symbolic_dtypes_match_keras_under_mixed_bfloat16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    set_global_policy("mixed_bfloat16")
    ref_in, our_in = keras.Input((5, 4)), cornu.Input((5, 4))
    ref_lstm, our_lstm = keras.layers.LSTM(3)(ref_in), cornu.layers.LSTM(3)(our_in)
    ref_out = keras.layers.Dense(2, dtype="float32")(keras.layers.BatchNormalization()(ref_lstm))
    our_out = cornu.layers.Dense(2, dtype="float32")(cornu.layers.BatchNormalization()(our_lstm))
    assert (our_in.dtype, our_lstm.dtype, our_out.dtype) == (ref_in.dtype, ref_lstm.dtype, ref_out.dtype)
    assert cornu.Input((1,), dtype="string").dtype == keras.Input((1,), dtype="string").dtype == "string"


def test_mixed_model_saved_by_cornu_loads_in_keras_with_its_policies(tmp_path):
    set_global_policy("mixed_bfloat16")
    model = cornu.models.Sequential(
        [
            cornu.Input((5,), dtype="int32"),
            cornu.layers.Embedding(10, 4),
            cornu.layers.LSTM(3, return_sequences=True),
            cornu.layers.LayerNormalization(),
            cornu.layers.BatchNormalization(),
            cornu.layers.GRU(2),
            cornu.layers.Dense(1, dtype="float32"),
        ]
    )
    model.save(tmp_path / "mixed.keras")
    set_global_policy("float32")
    ref = keras.models.load_model(tmp_path / "mixed.keras")
    assert [layer.dtype_policy.name for layer in ref.layers] == [layer.dtype_policy.name for layer in model.layers]
    assert ref.inputs[0].dtype == "int32"
    x = np.random.default_rng(0).integers(0, 10, size=(3, 5)).astype("int32")
    expected = keras.ops.convert_to_numpy(ref.predict(x, verbose=0))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=2e-2, atol=2e-2)
