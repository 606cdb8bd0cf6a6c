"""Dtype policies and how layers and training follow them: weights in the variable dtype, computation (inputs,
weights while a layer runs, outputs) in the compute dtype, float32 gradients, per-layer overrides."""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import Activation, BatchNormalization, Dense
from cornu.mixed_precision import DTypePolicy, LossScaleOptimizer, Policy, global_policy, set_global_policy
from cornu.mixed_precision import policy as policy_module


@pytest.fixture(autouse=True)
def _float32_afterwards():
    yield
    set_global_policy("float32")


@pytest.mark.parametrize(
    "name, compute, variable",
    [
        ("mixed_float16", "float16", "float32"),
        ("mixed_bfloat16", "bfloat16", "float32"),
        ("float64", "float64", "float64"),
    ],
)
def test_policy_dtypes(name, compute, variable):
    policy = DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert repr(policy) == f'<DTypePolicy "{name}">'
    assert DTypePolicy.from_config(policy.get_config()) == policy
    assert Policy is DTypePolicy


def test_policy_errors_name_the_valid_ones():
    with pytest.raises(ValueError, match="'mixed_float16', 'mixed_bfloat16'"):
        DTypePolicy("mixed_float32")
    with pytest.raises(TypeError, match="must be a string"):
        DTypePolicy(16)
    with pytest.raises(ValueError, match="policy name such as"):
        set_global_policy(3)


def test_global_policy_default_follows_floatx_and_set_global_policy():
    assert global_policy() == DTypePolicy("float32")
    set_global_policy("mixed_bfloat16")
    assert global_policy().name == "mixed_bfloat16"
    assert DTypePolicy().name == "mixed_bfloat16"  # no name: the global one, as in Keras
    assert Dense(2).dtype_policy.name == "mixed_bfloat16"
    assert Dense(2, dtype="float32").dtype_policy.name == "float32"


@pytest.mark.parametrize(
    "dtype",
    [
        "mixed_bfloat16",
        DTypePolicy("mixed_bfloat16"),
        {"class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}},
    ],
)
def test_layer_dtype_argument_takes_a_policy_its_name_or_config(dtype):
    layer = Dense(2, dtype=dtype)
    assert (layer.compute_dtype, layer.variable_dtype, layer.dtype) == ("bfloat16", "float32", "float32")
    layer.build((None, 3))
    assert layer.kernel.dtype == torch.float32 and layer.bias.dtype == torch.float32
    assert layer.get_config()["dtype"] == "mixed_bfloat16"
    assert Dense.from_config(layer.get_config()).dtype_policy == DTypePolicy("mixed_bfloat16")


def test_mixed_dense_computes_in_bfloat16_from_float32_weights():
    x = torch.tensor(np.random.default_rng(0).normal(size=(4, 3)), dtype=torch.float32)
    layer = Dense(2, dtype="mixed_bfloat16")
    out = layer(x)
    assert out.dtype == torch.bfloat16
    kernel, bias = layer.kernel.detach(), layer.bias.detach()
    expected = x.bfloat16() @ kernel.bfloat16() + bias.bfloat16()  # what Keras's autocast computes
    torch.testing.assert_close(out, expected)
    assert "kernel" not in layer.__dict__  # the cast copies are gone after the call


def test_gradients_reach_float32_weights_in_float32():
    layer = Dense(1, dtype="mixed_bfloat16", kernel_initializer="ones")
    x = torch.ones(2, 3)
    layer(x).float().sum().backward()
    assert layer.kernel.grad.dtype == torch.float32
    torch.testing.assert_close(layer.kernel.grad, torch.full((3, 1), 2.0))


def test_float32_layer_after_a_mixed_one_upcasts_its_inputs():
    hidden, head = Dense(4, dtype="mixed_bfloat16"), Activation("softmax", dtype="float32")
    out = head(hidden(np.ones((2, 3), dtype="float32")))
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.sum(-1), torch.ones(2))


def test_float64_inputs_to_float32_layers_stay_float64():
    # A deliberate difference from Keras (which casts them to float32): cornu's float32 layers never cast them.
    out = Activation("relu")(torch.ones(2, dtype=torch.float64))
    assert out.dtype == torch.float64


def test_integer_inputs_are_never_cast():
    class Lookup(cornu.layers.Layer):
        def build(self, input_shape):
            self.table = self.add_weight((5, 2), "ones", name="table")

        def call(self, inputs):
            return self.table[inputs], inputs.dtype

    out, index_dtype = Lookup(dtype="mixed_bfloat16")(torch.tensor([[1, 2]]))
    assert index_dtype == torch.int64 and out.dtype == torch.bfloat16


def test_non_trainable_weights_keep_their_dtype_during_the_call():
    class Counter(cornu.layers.Layer):
        def build(self, input_shape):
            self.seen = self.add_weight((), "zeros", trainable=False, name="seen")
            self.scale = self.add_weight((), "ones", name="scale")

        def call(self, inputs):
            self.seen.add_(1.0)  # in place: must reach the real weight
            return inputs * self.scale, self.seen.dtype, self.scale.dtype

    layer = Counter(dtype="mixed_bfloat16")
    out, seen_dtype, scale_dtype = layer(torch.ones(2))
    layer(torch.ones(2))
    assert (out.dtype, seen_dtype, scale_dtype) == (torch.bfloat16, torch.float32, torch.bfloat16)
    assert layer.seen.item() == 2.0


def test_autocast_false_keeps_inputs_and_weights():
    layer = Dense(2, dtype="mixed_bfloat16", autocast=False)
    assert layer(torch.ones(1, 3)).dtype == torch.float32


def test_fit_under_mixed_bfloat16_trains_float32_weights():
    set_global_policy("mixed_bfloat16")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = np.eye(2, dtype="float32")[(x[:, 0] > 0).astype(int)]
    model = cornu.models.Sequential([cornu.Input((4,)), Dense(16, activation="relu"), Dense(2, activation="softmax")])
    model.compile(optimizer=cornu.optimizers.Adam(0.05), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert not isinstance(model.optimizer, LossScaleOptimizer)  # bfloat16 needs no loss scaling
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert all(w.dtype == torch.float32 for w in model.weights)
    prediction = model.predict(x[:5], verbose=0)
    assert prediction.dtype == np.float32  # bfloat16 outputs come back as float32 NumPy (NumPy has no bfloat16)
    np.testing.assert_allclose(prediction.sum(-1), 1.0, atol=1e-2)


def test_mixed_float16_compile_wraps_the_optimizer_with_loss_scaling():
    set_global_policy("mixed_float16")
    model = cornu.models.Sequential([cornu.Input((3,)), Dense(4), Dense(1, dtype="float32")])
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer" and model.optimizer.loss_scale == 2.0**15
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert model.optimizer.iterations == 4 and model.layers[0].kernel.dtype == torch.float32
    unwrapped = cornu.models.Sequential([cornu.Input((3,)), Dense(1)])
    unwrapped.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert not isinstance(unwrapped.optimizer, LossScaleOptimizer)


def test_float16_training_skips_overflowing_steps_and_lowers_the_scale():
    set_global_policy("mixed_float16")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32") * 100  # large errors: a loss scale of 2**15 overflows float16
    model = cornu.models.Sequential([cornu.Input((3,)), Dense(1)])
    model.compile(optimizer=cornu.optimizers.SGD(0.01), loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=6, verbose=0, shuffle=False)
    steps, done = 24, model.optimizer.iterations
    assert 0 < done < steps  # some steps were skipped, the others applied
    assert model.optimizer.loss_scale == 2.0**15 / 2 ** (steps - done)  # each skip halved it; no growth yet
    assert history.history["loss"][-1] < 0.9 * history.history["loss"][0]


def test_batch_normalization_under_mixed_bfloat16_keeps_float32_statistics():
    layer = BatchNormalization(dtype="mixed_bfloat16")
    x = torch.tensor(np.random.default_rng(2).normal(size=(8, 3)), dtype=torch.float32)
    out = layer(x, training=True)
    assert layer.moving_mean.dtype == torch.float32
    assert out.dtype in (torch.bfloat16, torch.float32)
    assert float(layer.moving_mean.abs().sum()) > 0  # the in-place update reached the real weight


def test_policy_module_serialization_round_trip():
    config = policy_module.serialize(DTypePolicy("mixed_bfloat16"))
    assert config["class_name"] == "DTypePolicy" and config["module"] == "keras"
    assert policy_module.deserialize(config) == DTypePolicy("mixed_bfloat16")
    assert policy_module.get(torch.float64).name == "float64"


def test_saved_model_keeps_each_layers_policy(tmp_path):
    set_global_policy("mixed_bfloat16")
    model = cornu.models.Sequential([cornu.Input((4,)), Dense(3), Dense(2, activation="softmax", dtype="float32")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.save(tmp_path / "mixed.keras")
    set_global_policy("float32")
    loaded = cornu.models.load_model(tmp_path / "mixed.keras")
    assert [layer.dtype_policy.name for layer in loaded.layers] == ["mixed_bfloat16", "float32"]
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_saved_mixed_float16_model_loads_with_its_loss_scale_optimizer(tmp_path):
    set_global_policy("mixed_float16")
    model = cornu.models.Sequential([cornu.Input((4,)), Dense(2, dtype="float32")])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "half.keras")
    loaded = cornu.models.load_model(tmp_path / "half.keras")
    assert isinstance(loaded.optimizer, LossScaleOptimizer)
