"""Recurrent layers against float64 references written out step by step, the fused kernels against the step loop,
Keras's masking, dropout, stateful and error rules, shapes in models, configs and saved files."""

import numpy as np
import pytest
import torch

import cornu
from cornu import layers as L
from cornu.layers import symbolic


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_reference(x, kernel, recurrent_kernel, bias, mask=None):
    """Keras's LSTM in float64 NumPy: gates i, f, c, o; masked steps keep h, c and the previous output."""
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    h, c, outputs, previous = np.zeros((batch, units)), np.zeros((batch, units)), [], np.zeros((batch, units))
    for t in range(steps):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h_new = _sigmoid(o) * np.tanh(c_new)
        keep = np.ones((batch, 1), bool) if mask is None else mask[:, t : t + 1]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        previous = np.where(keep, h_new, previous)
        outputs.append(previous)
    return np.stack(outputs, axis=1), h, c


def gru_reference(x, kernel, recurrent_kernel, bias, reset_after=True):
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    h, outputs = np.zeros((batch, units)), []
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * units))
    for t in range(steps):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + input_bias, 3, axis=-1)
        r_z, r_r, r_h = np.split(h @ recurrent_kernel + recurrent_bias, 3, axis=-1)
        z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
        if reset_after:
            hh = np.tanh(x_h + r * r_h)
        else:
            hh = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2 * units :])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, axis=1)


def _x(batch=3, steps=12, features=4, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, steps, features))


def _random_weights(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()])
    return layer.get_weights()


def _f64(layer, shape):
    layer.build_from_shape(shape)
    layer.to(torch.float64)
    return layer


def test_lstm_matches_a_float64_reference_and_the_forget_bias_starts_at_one():
    x = _x()
    layer = _f64(L.LSTM(5, return_sequences=True, return_state=True, dtype="float64"), x.shape)
    assert layer.get_weights()[2].tolist() == [0.0] * 5 + [1.0] * 5 + [0.0] * 10
    weights = _random_weights(layer)
    out, h, c = layer(torch.tensor(x))
    want_out, want_h, want_c = lstm_reference(x, *weights)
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=1e-10)
    np.testing.assert_allclose(h.detach().numpy(), want_h, rtol=1e-10)
    np.testing.assert_allclose(c.detach().numpy(), want_c, rtol=1e-10)


def test_masked_lstm_keeps_states_and_repeats_outputs_like_the_reference():
    x, mask = _x(), np.ones((3, 12), bool)
    mask[0, 8:], mask[1, :3], mask[2, 5] = False, False, False
    layer = _f64(L.LSTM(5, return_sequences=True, return_state=True, dtype="float64"), x.shape)
    weights = _random_weights(layer)
    out, h, c = layer(torch.tensor(x), mask=torch.tensor(mask))
    want_out, want_h, want_c = lstm_reference(x, *weights, mask=mask)
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=1e-10)
    np.testing.assert_allclose(c.detach().numpy(), want_c, rtol=1e-10)
    assert np.all(out.detach().numpy()[1, :3] == 0)  # before the first real step the output is zeros


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_a_float64_reference(reset_after):
    x = _x()
    layer = _f64(L.GRU(5, return_sequences=True, reset_after=reset_after, dtype="float64"), x.shape)
    weights = _random_weights(layer)
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(), gru_reference(x, *weights, reset_after), 1e-10)


def _tanh(x):
    return torch.tanh(x)  # the same function under another name: the layer cannot take the fused kernel


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_fused_kernel_equals_the_step_loop_in_values_and_gradients(kind, go_backwards):
    x = torch.tensor(_x(), dtype=torch.float64, requires_grad=True)
    fused = _f64(getattr(L, kind)(5, return_sequences=True, go_backwards=go_backwards, dtype="float64"), x.shape)
    looped = _f64(
        getattr(L, kind)(5, return_sequences=True, go_backwards=go_backwards, activation=_tanh, dtype="float64"),
        x.shape,
    )
    looped.set_weights(_random_weights(fused))
    assert fused._fused_kind(False) is not None and looped._fused_kind(False) is None
    results = []
    for layer in (fused, looped):
        x.grad = None
        out = layer(x)
        (out * torch.linspace(-1, 1, out.numel(), dtype=torch.float64).reshape(out.shape)).sum().backward()
        results.append([out.detach().numpy(), x.grad.numpy()] + [w.grad.numpy() for w in layer.weights])
    for want, got in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_go_backwards_returns_outputs_in_reading_order():
    x = torch.tensor(_x(), dtype=torch.float32)
    forward, backward = L.SimpleRNN(3, return_sequences=True), L.SimpleRNN(3, return_sequences=True, go_backwards=True)
    forward(x)
    backward.build_from_shape(x.shape)
    backward.set_weights(forward.get_weights())
    torch.testing.assert_close(backward(x), forward(torch.flip(x, (1,))))


def test_dropout_uses_one_mask_for_the_whole_sequence():
    # A linear cell without recurrence outputs (x_t * mask) @ kernel: with x_t constant, every step must be equal.
    layer = L.SimpleRNN(6, activation=None, recurrent_initializer="zeros", dropout=0.5, seed=3, return_sequences=True)
    x = torch.ones(4, 7, 5)
    out = layer(x, training=True)
    torch.testing.assert_close(out, out[:, :1].expand_as(out))
    assert not torch.allclose(out, layer(x, training=False))  # some inputs were dropped
    again = L.SimpleRNN(6, activation=None, recurrent_initializer="zeros", dropout=0.5, seed=3, return_sequences=True)
    again.build_from_shape(x.shape)
    again.set_weights(layer.get_weights())
    torch.testing.assert_close(again(x, training=True), out)  # the seed repeats the mask


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_fused_input_dropout_equals_the_loop_with_the_same_mask(kind):
    x = torch.tensor(_x(), dtype=torch.float32)
    fused = getattr(L, kind)(5, dropout=0.4, seed=7, return_sequences=True)
    looped = getattr(L, kind)(5, dropout=0.4, seed=7, return_sequences=True, activation=_tanh)
    fused(x)
    looped.build_from_shape(x.shape)
    looped.set_weights(fused.get_weights())
    torch.testing.assert_close(fused(x, training=True), looped(x, training=True))


def test_recurrent_dropout_changes_training_outputs_only_and_repeats_with_a_seed():
    x = torch.tensor(_x(), dtype=torch.float32)
    outputs = []
    for _ in range(2):
        layer = L.LSTM(5, recurrent_dropout=0.5, dropout=0.2, seed=11)
        layer.build_from_shape(x.shape)
        layer.set_weights(_random_weights(layer))
        outputs.append((layer(x, training=True), layer(x, training=False)))
    torch.testing.assert_close(outputs[0][0], outputs[1][0])
    assert not torch.allclose(outputs[0][0], outputs[0][1])
    plain = L.LSTM(5)
    plain.build_from_shape(x.shape)
    plain.set_weights(layer.get_weights())
    torch.testing.assert_close(outputs[0][1], plain(x))  # no dropout outside training


def test_stateful_layer_continues_the_sequence_across_batches():
    x = torch.tensor(_x(steps=10), dtype=torch.float32)
    whole = L.GRU(4, return_sequences=True)
    stateful = L.GRU(4, return_sequences=True, stateful=True)
    whole(x)
    stateful.build_from_shape((3, 5, 4))
    stateful.set_weights(whole.get_weights())
    halves = torch.cat([stateful(x[:, :5]), stateful(x[:, 5:])], dim=1)
    torch.testing.assert_close(halves, whole(x))
    stateful.reset_states()
    assert all(float(s.abs().sum()) == 0 for s in stateful.states)
    torch.testing.assert_close(stateful(x[:, :5]), whole(x)[:, :5])


def test_stateful_errors_name_the_fix():
    with pytest.raises(ValueError, match="batch_size=32"):
        cornu.models.Sequential([L.Input((5, 1)), L.LSTM(3, stateful=True)])
    layer = L.LSTM(3, stateful=True)
    layer(np.zeros((4, 5, 1)))
    with pytest.raises(ValueError, match="batch_size=4"):
        layer(np.zeros((2, 5, 1)))


def test_symbolic_shape_probe_leaves_stateful_states_alone():
    layer = L.LSTM(3, stateful=True)
    layer(np.ones((2, 5, 1)))
    before = [s.clone() for s in layer.states]
    symbolic.probe_output_spec(layer, [symbolic.KerasTensor((2, 5, 1))], {})
    for old, new in zip(before, layer.states):
        torch.testing.assert_close(old, new)
    assert float(before[0].abs().sum()) > 0


def test_shapes_in_sequential_and_functional_models():
    model = cornu.models.Sequential(
        [
            L.Input((7, 2)),
            L.LSTM(6, return_sequences=True),
            L.GRU(4, return_sequences=True),
            L.TimeDistributed(L.Dense(3)),
        ]
    )
    assert model.output_shape == (None, 7, 3)
    inputs = L.Input((7, 2))
    out, h, c = L.LSTM(5, return_state=True)(inputs)
    both = L.Bidirectional(L.SimpleRNN(3), merge_mode=None)(inputs)
    assert (out.shape, h.shape, c.shape) == ((None, 5), (None, 5), (None, 5))
    assert [t.shape for t in both] == [(None, 3), (None, 3)]
    functional = cornu.models.Model(inputs, [out, c])
    results = functional.predict(np.ones((2, 7, 2)), verbose=0)
    assert [r.shape for r in results] == [(2, 5), (2, 5)]


def test_stacked_cells_equal_the_layers_stacked():
    x = torch.tensor(_x(), dtype=torch.float32)
    stacked = L.RNN([L.LSTMCell(5), L.GRUCell(3)], return_sequences=True)
    first, second = L.LSTM(5, return_sequences=True), L.GRU(3, return_sequences=True)
    stacked(x)
    first(x)
    second(first(x))
    weights = stacked.get_weights()
    first.set_weights(weights[:3])
    second.set_weights(weights[3:])
    torch.testing.assert_close(stacked(x), second(first(x)))


def test_bidirectional_is_forward_and_flipped_backward():
    x = torch.tensor(_x(), dtype=torch.float32)
    layer = L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="concat")
    out = layer(x)
    forward, backward = layer.forward_layer, layer.backward_layer
    torch.testing.assert_close(out, torch.cat([forward(x), torch.flip(backward(x), (1,))], dim=-1))
    assert len(layer.get_weights()) == 6
    copy = L.Bidirectional(L.LSTM(4, return_sequences=True), weights=layer.get_weights())
    torch.testing.assert_close(copy(x), out)  # weights= is forward's then backward's


def test_time_distributed_applies_the_layer_at_every_step():
    x = torch.tensor(_x(), dtype=torch.float32)
    dense = L.Dense(3)
    layer = L.TimeDistributed(dense)
    out = layer(x)
    torch.testing.assert_close(out, torch.stack([dense(x[:, t]) for t in range(x.shape[1])], dim=1))
    mask = torch.ones(3, 12, dtype=torch.bool)
    assert layer.compute_mask(x, mask) is mask


@pytest.mark.parametrize(
    "make",
    [
        lambda: L.LSTM(3, return_sequences=True, dropout=0.1, unit_forget_bias=False),
        lambda: L.GRU(3, reset_after=False, go_backwards=True),
        lambda: L.SimpleRNN(3, activation="relu", stateful=False),
        lambda: L.RNN([L.LSTMCell(3), L.SimpleRNNCell(2)], return_state=True),
        lambda: L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="mul"),
        lambda: L.TimeDistributed(L.Dense(2)),
    ],
)
def test_config_round_trip(make):
    layer = make()
    rebuilt = type(layer).from_config(layer.get_config())
    assert rebuilt.get_config() == layer.get_config()
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    layer(x)
    rebuilt.build_from_shape(x.shape)
    rebuilt.set_weights(layer.get_weights())
    for a, b in zip(cornu.utils.tree.flatten(layer(x)), cornu.utils.tree.flatten(rebuilt(x))):
        torch.testing.assert_close(a, b)


def test_saved_model_predicts_the_same(tmp_path):
    model = cornu.models.Sequential(
        [L.Input((6, 2)), L.Bidirectional(L.LSTM(4, return_sequences=True)), L.GRU(3), L.Dense(1)]
    )
    x = np.random.default_rng(0).normal(size=(5, 6, 2)).astype("float32")
    model.save(tmp_path / "rnn.keras")
    loaded = cornu.models.load_model(tmp_path / "rnn.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: L.LSTM(0), "units=0"),
        (lambda: L.GRU(3, use_cudnn="yes"), "use_cudnn"),
        (lambda: L.Bidirectional(L.LSTM(3), merge_mode="max"), "merge_mode='max'"),
        (lambda: L.RNN(object()), "state_size"),
        (lambda: L.TimeDistributed("dense"), "TimeDistributed"),
    ],
)
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_two_dimensional_input_gets_the_reshape_hint():
    with pytest.raises(ValueError, match="reshape"):
        L.LSTM(3)(np.ones((4, 5)))


@pytest.mark.parametrize("make", [lambda: L.LSTM(3, return_sequences=True), lambda: L.GRU(3, reset_after=False)])
def test_training_step_does_not_sync_the_host(make):
    layer = make()
    layer(torch.zeros(2, 5, 4))
    layer.to("meta")
    mask = torch.ones(2, 5, dtype=torch.bool, device="meta")
    out = layer(torch.empty(2, 5, 4, device="meta"), mask=mask, training=True)
    assert out.device.type == "meta"


class MinimalCell(cornu.layers.Layer):
    """Keras's documented custom cell: `h = x @ kernel + h_prev @ recurrent_kernel`, with no `training` argument."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), "ones", name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.units), "identity", name="recurrent_kernel")

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]


def test_a_custom_cell_runs_in_rnn_with_its_own_math():
    # kernel of ones and an identity recurrence: the output is the running sum of each step's feature sum
    x = torch.arange(12.0).reshape(1, 4, 3)
    out = L.RNN(MinimalCell(2), return_sequences=True)(x)
    expected = torch.cumsum(x.sum(-1), dim=1).unsqueeze(-1).expand(1, 4, 2)
    torch.testing.assert_close(out, expected)


def test_conv_lstm2d_same_padding_pads_like_keras_and_keeps_states_as_images():
    x = np.ones((1, 3, 5, 5, 2), dtype="float32")
    layer = L.ConvLSTM2D(3, 2, strides=2, padding="same", return_state=True)
    out, h, c = layer(x)
    assert tuple(out.shape) == tuple(h.shape) == tuple(c.shape) == (1, 3, 3, 3)
    assert layer.compute_output_shape((None, 3, 5, 5, 2))[0] == (None, 3, 3, 3)
    # "same" with an even kernel puts the extra pixel at the end (TensorFlow's rule): the last row sees padding
    from cornu.layers.recurrent.conv_lstm import conv2d_keras

    y = conv2d_keras(torch.ones(1, 4, 4, 1), torch.ones(2, 2, 1, 1), padding="same")
    assert y[0, :, :, 0].tolist() == [
        [4.0, 4.0, 4.0, 2.0],
        [4.0, 4.0, 4.0, 2.0],
        [4.0, 4.0, 4.0, 2.0],
        [2.0, 2.0, 2.0, 1.0],
    ]
