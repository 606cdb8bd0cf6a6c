"""Layer families under "mixed_bfloat16": each computes in bfloat16 (or, for normalizations, takes its statistics
in float32) and returns bfloat16, keeps its weights in float32, and agrees with the same layer run in float32 on
the same weights within bfloat16's precision. Also: symbolic tensors carry the compute dtype, `Input` takes
non-float data dtypes ("string"), configs keep the policy, and a model with BatchNormalization and an LSTM trains."""

import numpy as np
import pytest
import torch

import cornu
from cornu import layers
from cornu.mixed_precision import set_global_policy
from cornu.saving.serialization import serialize_layer

# bfloat16 keeps 8 significant bits (relative step 2**-8 ~ 0.004); a few roundings through a layer stay under this.
RTOL = ATOL = 3e-2


@pytest.fixture(autouse=True)
def _float32_afterwards():
    yield
    set_global_policy("float32")


def _x(*shape, seed=0):
    return torch.tensor(np.random.default_rng(seed).normal(size=shape), dtype=torch.float32)


def _mixed_and_float32(make, *inputs, **call_kwargs):
    """`make()` built under "mixed_bfloat16" and under "float32", the float32 one given the mixed one's weights;
    returns (mixed layer, mixed output, float32 output)."""
    set_global_policy("mixed_bfloat16")
    mixed = make()
    set_global_policy("float32")
    plain = make()
    mixed_out = mixed(*inputs, **call_kwargs)
    plain(*inputs, **call_kwargs) if not plain.built else None  # builds it
    plain.set_weights(mixed.get_weights())
    return mixed, mixed_out, plain(*inputs, **call_kwargs)


def _check(mixed, mixed_out, plain_out):
    for out, ref in zip(mixed_out if isinstance(mixed_out, (list, tuple)) else [mixed_out], _listed(plain_out)):
        assert out.dtype == torch.bfloat16
        assert ref.dtype == torch.float32
        torch.testing.assert_close(out.float(), ref, rtol=RTOL, atol=ATOL)
    assert mixed.weights and all(w.dtype == torch.float32 for w in mixed.weights)
    assert mixed.compute_dtype == "bfloat16" and mixed.variable_dtype == "float32"


def _listed(value):
    return value if isinstance(value, (list, tuple)) else [value]


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_takes_float32_statistics_and_returns_bfloat16(training):
    x = _x(8, 3) * 3 + 2
    mixed, out, ref = _mixed_and_float32(
        lambda: layers.BatchNormalization(beta_initializer="ones", gamma_initializer="ones"), x, training=training
    )
    _check(mixed, out, ref)
    if training:  # updated in place, in float32, from the moments of the (bfloat16, as in Keras) inputs
        expected_mean = 0.01 * x.bfloat16().float().mean(0)
        torch.testing.assert_close(mixed.moving_mean.detach(), expected_mean, rtol=1e-5, atol=1e-6)
    assert not any(getattr(w, "autocast", True) for w in (mixed.gamma, mixed.beta))  # as Keras creates them


def test_layer_and_group_normalization_under_mixed_bfloat16():
    x = _x(4, 5, 6) * 4 + 10  # a large offset: half precision statistics would lose it, float32 ones do not
    for make in (layers.LayerNormalization, lambda: layers.GroupNormalization(groups=2)):
        mixed, out, ref = _mixed_and_float32(make, x)
        _check(mixed, out, ref)
        assert mixed.autocast is False  # as in Keras: inputs keep their precision
        torch.testing.assert_close(out.float().mean(), torch.tensor(0.0), rtol=0, atol=2e-2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.LSTM(3, return_sequences=True),
        lambda: layers.GRU(3),
        lambda: layers.GRU(3, reset_after=False),
        lambda: layers.SimpleRNN(3, return_state=True),
        lambda: layers.RNN(layers.LSTMCell(3)),
        lambda: layers.RNN([layers.GRUCell(2), layers.SimpleRNNCell(3)]),
        lambda: layers.LSTM(3, activation="relu"),  # not torch's kernel: the step loop
        lambda: layers.Bidirectional(layers.LSTM(2)),
    ],
)
def test_recurrent_layers_under_mixed_bfloat16(make):
    mixed, out, ref = _mixed_and_float32(make, _x(2, 5, 4))
    _check(mixed, out, ref)


def test_recurrent_layer_with_a_mask_and_initial_state_under_mixed_bfloat16():
    x, mask = _x(2, 4, 3), torch.tensor([[True, True, False, False], [True, True, True, True]])
    state = [_x(2, 2, seed=1), _x(2, 2, seed=2)]
    mixed, out, ref = _mixed_and_float32(lambda: layers.LSTM(2, return_state=True), x, mask=mask, initial_state=state)
    _check(mixed, out, ref)


def test_recurrent_initial_states_are_in_the_compute_dtype():
    set_global_policy("mixed_bfloat16")
    states = layers.LSTMCell(3).get_initial_state(batch_size=2)
    assert [s.dtype for s in states] == [torch.bfloat16, torch.bfloat16]
    layer = layers.GRU(2, stateful=True)
    layer(_x(2, 3, 2))
    assert layer.states[0].dtype == torch.bfloat16


def test_conv_lstm_under_mixed_bfloat16():
    mixed, out, ref = _mixed_and_float32(lambda: layers.ConvLSTM2D(2, 3, padding="same"), _x(2, 3, 5, 5, 2))
    _check(mixed, out, ref)


def test_recurrent_gradients_reach_float32_weights():
    set_global_policy("mixed_bfloat16")
    layer = layers.LSTM(2)
    layer(_x(2, 3, 4)).float().sum().backward()
    grads = [w.grad for w in layer.trainable_weights]
    assert all(g is not None and g.dtype == torch.float32 for g in grads)
    assert all(float(g.abs().sum()) > 0 for g in grads)
    assert "kernel" not in layer.cell.__dict__  # the cast copies are gone after the call


def test_multi_head_attention_projects_in_bfloat16():
    q, v = _x(2, 3, 4), _x(2, 5, 4, seed=1)
    mixed, out, ref = _mixed_and_float32(lambda: layers.MultiHeadAttention(2, 3), q, v)
    _check(mixed, out, ref)
    assert mixed.query_dense.dtype_policy.name == "mixed_bfloat16"


def test_embedding_returns_the_compute_dtype():
    ids = torch.tensor([[1, 2], [0, 4]])
    mixed, out, ref = _mixed_and_float32(lambda: layers.Embedding(5, 3), ids)
    _check(mixed, out, ref)
    torch.testing.assert_close(out, mixed.embeddings.detach()[ids].bfloat16())  # rows rounded once


def test_preprocessing_layers_return_the_compute_dtype():
    images = torch.rand(2, 6, 6, 3) * 255
    for make, x in (
        (lambda: layers.Rescaling(1 / 255.0, offset=-0.5), images),
        (lambda: layers.Resizing(3, 3), images),
        (lambda: layers.CenterCrop(4, 4), images.to(torch.uint8)),
        (lambda: layers.Normalization(mean=2.0, variance=4.0), _x(3, 2)),
    ):
        set_global_policy("mixed_bfloat16")
        out = make()(x)
        set_global_policy("float32")
        ref = make()(x)
        assert (out.dtype, ref.dtype) == (torch.bfloat16, torch.float32)
        torch.testing.assert_close(out.float(), ref, rtol=RTOL, atol=ATOL * float(ref.abs().max()))
    set_global_policy("mixed_bfloat16")
    hot = layers.CategoryEncoding(4, output_mode="one_hot")(torch.tensor([1, 3]))
    assert hot.dtype == torch.float32  # as Keras: CategoryEncoding encodes in `self.dtype`, the variable dtype
    torch.testing.assert_close(hot, torch.eye(4)[[1, 3]])
    bins = layers.Discretization(bin_boundaries=[0.0], output_mode="one_hot")(torch.tensor([-1.0, 2.0]))
    assert bins.dtype == torch.bfloat16  # as Keras: encoded outputs in the compute dtype
    torch.testing.assert_close(bins.float(), torch.eye(2))


def test_symbolic_tensors_carry_the_compute_dtype():
    set_global_policy("mixed_bfloat16")
    inputs = cornu.Input((5, 4))
    assert inputs.dtype == "float32"  # as in Keras: inputs take float32 data
    hidden = layers.LSTM(3, return_sequences=True)(inputs)
    normed = layers.LayerNormalization()(hidden)
    outputs = layers.Dense(2, dtype="float32")(layers.Dense(3)(normed))
    assert (hidden.dtype, normed.dtype, outputs.dtype) == ("bfloat16", "bfloat16", "float32")
    model = cornu.Model(inputs, outputs)
    assert model(_x(2, 5, 4)).dtype == torch.float32


def test_input_takes_a_string_dtype_and_keeps_it_in_its_config():
    set_global_policy("mixed_bfloat16")
    text = cornu.Input((1,), dtype="string")
    layer = text._keras_history[0]
    assert text.dtype == layer.dtype == "string"
    assert layer.get_config()["dtype"] == "string"
    again = layers.InputLayer.from_config(layer.get_config())
    assert again.output.dtype == "string" and again.batch_shape == (None, 1)
    assert cornu.Input((2,), dtype="int32").dtype == "int32"
    assert cornu.Input((2,), dtype=torch.int64).dtype == "int64"
    assert cornu.Input((2,)).dtype == "float32"
    with pytest.raises(ValueError, match="Cannot convert 'strin' to a dtype policy"):
        cornu.Input((1,), dtype="strin")


def test_configs_keep_the_mixed_policy():
    set_global_policy("mixed_bfloat16")
    spatial = layers.SpatialDropout1D(0.2)
    # Keras's SpatialDropout saves `self.dtype` ("float32") and loses the policy; cornu keeps its name.
    assert spatial.get_config()["dtype"] == "mixed_bfloat16"
    assert layers.SpatialDropout1D.from_config(spatial.get_config()).compute_dtype == "bfloat16"
    assert layers.Dropout(0.2).get_config()["dtype"] == "mixed_bfloat16"
    model = cornu.models.Sequential([cornu.Input((3,)), layers.Dense(2)])
    config = serialize_layer(model)["config"]
    assert config["dtype"]["config"] == {"name": "mixed_bfloat16"}  # the model's policy, as Keras writes it
    assert config["layers"][0]["config"]["dtype"] == "float32"  # the InputLayer's data dtype, as in Keras


def test_fit_with_batch_normalization_and_an_lstm_under_mixed_bfloat16():
    set_global_policy("mixed_bfloat16")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 3)).astype("float32")
    y = (x[:, :, 0].sum(1, keepdims=True) > 0).astype("float32")
    model = cornu.models.Sequential(
        [
            cornu.Input((6, 3)),
            layers.BatchNormalization(),
            layers.LSTM(8),
            layers.Dense(1, activation="sigmoid", dtype="float32"),
        ]
    )
    model.compile(optimizer=cornu.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert all(w.dtype == torch.float32 for w in model.weights)
    assert float(model.layers[0].moving_variance.detach().mean()) != 1.0  # the statistics moved


def test_unit_normalization_under_mixed_float16_does_not_overflow():
    set_global_policy("mixed_float16")
    x = torch.tensor([[300.0, 400.0], [0.0, 0.0]])  # 300**2 + 400**2 overflows float16
    out = layers.UnitNormalization()(x)
    assert out.dtype == torch.float16
    torch.testing.assert_close(out.float(), torch.tensor([[0.6, 0.8], [0.0, 0.0]]), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("make", [layers.BatchNormalization, layers.LayerNormalization, lambda: layers.LSTM(2)])
def test_mixed_float16_layers_return_float16(make):
    set_global_policy("mixed_float16")
    layer = make()
    out = layer(_x(2, 3, 4) * 100)
    assert out.dtype == torch.float16 and bool(torch.isfinite(out).all())
    assert all(w.dtype == torch.float32 for w in layer.weights)
