"""Recurrent layers against Keras 3 on the same weights: outputs over 50 steps, gradients with respect to the
inputs and every weight, masks, directions, states carried by stateful layers, and configs."""

import numpy as np
import pytest
import torch

import cornu
from cornu.utils import tree

keras = pytest.importorskip("keras")

STEPS, BATCH, FEATURES, UNITS = 50, 3, 4, 5


def _inputs(seed=0, batch=BATCH, steps=STEPS):
    return np.random.default_rng(seed).normal(size=(batch, steps, FEATURES)).astype("float32")


def _mask(batch=BATCH, steps=STEPS):
    """Right padding, left padding and holes in the middle: every way Keras lets a step be skipped."""
    mask = np.ones((batch, steps), dtype=bool)
    mask[0, steps - 7 :] = False
    mask[1, :5] = False
    mask[2, 10:20:3] = False
    return mask


def _numpy(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else keras.ops.convert_to_numpy(value)


def _run(layer, weights_of, x, kwargs, grad_weights):
    """Outputs, d(weighted sum)/d(inputs) and d/d(weights) of one call."""
    inputs = torch.tensor(x, requires_grad=True)
    outputs = tree.flatten(layer(inputs, **kwargs))
    rng = np.random.default_rng(1)
    loss = sum((o * torch.as_tensor(rng.normal(size=tuple(o.shape)).astype("float32"))).sum() for o in outputs)
    params = weights_of(layer)
    for p in params:
        p.grad = None
    loss.backward()
    grads = [_numpy(p.grad) if p.grad is not None else np.zeros(tuple(p.shape), "float32") for p in params]
    return [_numpy(o) for o in outputs], _numpy(inputs.grad), grads if grad_weights else []


def _keras_params(layer):
    return [w.value for w in layer.weights]


def _cornu_params(layer):
    return list(layer.weights)


def check(make, x=None, grad_weights=True, **kwargs):
    """Builds `make(keras.layers)` and `make(cornu.layers)`, gives cornu Keras's weights, compares everything."""
    x = _inputs() if x is None else x
    ref, ours = make(keras.layers), make(cornu.layers)
    ref(x[:1] if not getattr(ref, "stateful", False) else x, **{k: v for k, v in kwargs.items() if k != "mask"})
    ours.build_from_shape(x.shape)
    weights = ref.get_weights()
    ours.set_weights(weights)
    expected = _run(ref, _keras_params, x, kwargs, grad_weights)
    actual = _run(ours, _cornu_params, x, kwargs, grad_weights)
    for want, got in zip(expected[0], actual[0]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert len(expected[0]) == len(actual[0])
    np.testing.assert_allclose(actual[1], expected[1], rtol=1e-4, atol=1e-5)
    for want, got in zip(expected[2], actual[2]):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
    return ref, ours


OPTIONS = [
    {},
    {"return_sequences": True},
    {"return_state": True},
    {"return_sequences": True, "return_state": True, "go_backwards": True},
    {"go_backwards": True},
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_layer_matches_keras(kind, options):
    check(lambda L: getattr(L, kind)(UNITS, **options))


@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "go_backwards": True}])
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_masked_steps_keep_the_previous_state_as_in_keras(kind, options):
    check(lambda L: getattr(L, kind)(UNITS, return_state=True, **options), mask=_mask())


def test_gru_reset_after_false_matches_keras():
    check(lambda L: L.GRU(UNITS, reset_after=False, return_sequences=True))
    check(lambda L: L.GRU(UNITS, reset_after=False, return_state=True), mask=_mask())


def test_non_standard_activations_take_the_step_loop_and_match_keras():
    check(lambda L: L.LSTM(UNITS, activation="relu", recurrent_activation="hard_sigmoid", return_sequences=True))
    check(lambda L: L.GRU(UNITS, activation="softsign", return_sequences=True))
    check(lambda L: L.SimpleRNN(UNITS, activation="relu", return_sequences=True))


def test_no_bias_matches_keras():
    check(lambda L: L.LSTM(UNITS, use_bias=False, return_sequences=True))
    check(lambda L: L.GRU(UNITS, use_bias=False, return_sequences=True))
    check(lambda L: L.SimpleRNN(UNITS, use_bias=False, return_sequences=True))


def test_zero_output_for_mask_matches_keras():
    check(lambda L: L.LSTM(UNITS, return_sequences=True, zero_output_for_mask=True), mask=_mask())


def test_initial_state_matches_keras():
    rng = np.random.default_rng(3)
    h, c = (rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(2))
    check(lambda L: L.LSTM(UNITS, return_sequences=True), initial_state=[torch.tensor(h), torch.tensor(c)])
    check(lambda L: L.GRU(UNITS, return_state=True), initial_state=[torch.tensor(h)])


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell", "SimpleRNNCell"])
def test_rnn_of_a_cell_matches_keras(cell):
    check(lambda L: L.RNN(getattr(L, cell)(UNITS), return_sequences=True, return_state=True))


def test_stacked_cells_match_keras():
    make = lambda L: L.RNN([L.LSTMCell(UNITS), L.GRUCell(3), L.SimpleRNNCell(2)], return_state=True)  # noqa: E731
    check(make)
    check(make, mask=_mask())


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes_match_keras(merge_mode):
    check(lambda L: L.Bidirectional(L.LSTM(UNITS, return_sequences=True), merge_mode=merge_mode))
    check(lambda L: L.Bidirectional(L.GRU(UNITS), merge_mode=merge_mode))


def test_bidirectional_with_mask_and_states_matches_keras():
    check(lambda L: L.Bidirectional(L.LSTM(UNITS, return_sequences=True, return_state=True)), mask=_mask())
    check(lambda L: L.Bidirectional(L.GRU(UNITS, return_state=True), merge_mode="sum"), mask=_mask())


def test_time_distributed_dense_matches_keras():
    check(lambda L: L.TimeDistributed(L.Dense(3, activation="tanh")))


def test_stateful_carry_across_batches_and_reset_matches_keras():
    batch1, batch2 = _inputs(0, steps=10), _inputs(1, steps=10)
    for kind in ("LSTM", "GRU", "SimpleRNN"):
        ref = getattr(keras.layers, kind)(UNITS, stateful=True, return_state=True)
        ours = getattr(cornu.layers, kind)(UNITS, stateful=True, return_state=True)
        ref(batch1)
        ref.reset_states()
        ours.build_from_shape(batch1.shape)
        ours.set_weights(ref.get_weights())
        for x in (batch1, batch2):  # the second batch starts from the first one's final states
            for want, got in zip(ref(x), ours(x)):
                np.testing.assert_allclose(_numpy(got), _numpy(want), rtol=1e-4, atol=1e-5)
        ref.reset_states()
        ours.reset_states()
        for want, got in zip(ref(batch2), ours(batch2)):
            np.testing.assert_allclose(_numpy(got), _numpy(want), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(_numpy(ours.states[0]), _numpy(ref.states[0]), rtol=1e-4, atol=1e-5)


def test_stateful_bidirectional_matches_keras():
    x = _inputs(0, steps=10)
    ref = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, stateful=True))
    ours = cornu.layers.Bidirectional(cornu.layers.LSTM(UNITS, stateful=True))
    ref(x)
    ref.reset_states()
    ours.build_from_shape(x.shape)
    ours.set_weights(ref.get_weights())
    for _ in range(2):
        np.testing.assert_allclose(_numpy(ours(x)), _numpy(ref(x)), rtol=1e-4, atol=1e-5)


def test_compute_mask_matches_keras():
    mask = torch.tensor(_mask())
    for make in (
        lambda L: L.LSTM(UNITS, return_sequences=True),
        lambda L: L.LSTM(UNITS),
        lambda L: L.GRU(UNITS, return_sequences=True, return_state=True),
        lambda L: L.Bidirectional(L.LSTM(UNITS, return_sequences=True)),
        lambda L: L.Bidirectional(L.LSTM(UNITS, return_sequences=True), merge_mode=None),
        lambda L: L.TimeDistributed(L.Dense(2)),
        lambda L: L.ConvLSTM2D(2, 3, return_state=True),
    ):
        want = tree.flatten(make(keras.layers).compute_mask(None, mask))
        got = tree.flatten(make(cornu.layers).compute_mask(None, mask))
        assert len(got) == len(want)
        for w, g in zip(want, got):
            assert (w is None and g is None) or np.array_equal(_numpy(w), _numpy(g))


def _keys(config):
    return set(config) - {"dtype"}


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.SimpleRNN(3),
        lambda L: L.LSTM(3),
        lambda L: L.GRU(3),
        lambda L: L.SimpleRNNCell(3),
        lambda L: L.LSTMCell(3),
        lambda L: L.GRUCell(3),
        lambda L: L.RNN(L.LSTMCell(3)),
        lambda L: L.StackedRNNCells([L.LSTMCell(3)]),
        lambda L: L.Bidirectional(L.LSTM(3)),
        lambda L: L.TimeDistributed(L.Dense(2)),
    ],
)
def test_config_keys_match_keras_and_keras_configs_load(make):
    ref, ours = make(keras.layers), make(cornu.layers)
    want, got = ref.get_config(), ours.get_config()
    assert _keys(got) == _keys(want)
    for key in ("cell", "layer", "backward_layer"):
        if key in want and want[key]["class_name"] != "Dense":  # Dense's own keys are Dense's tests' business
            assert _keys(got[key]["config"]) == _keys(want[key]["config"]), key
            assert got[key]["class_name"] == want[key]["class_name"]
    rebuilt = type(ours).from_config(want)  # Keras's own config rebuilds the cornu layer
    assert _keys(rebuilt.get_config()) == _keys(want)


def test_layer_from_keras_config_computes_like_keras():
    ref = keras.layers.Bidirectional(keras.layers.GRU(UNITS, return_sequences=True), merge_mode="ave")
    x = _inputs()
    ref(x)
    ours = cornu.layers.Bidirectional.from_config(ref.get_config())
    ours.build_from_shape(x.shape)
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(ref(x)), rtol=1e-4, atol=1e-5)


def _images(seed=0, batch=2, steps=6, channels_first=False):
    shape = (batch, steps, 3, 7, 6) if channels_first else (batch, steps, 7, 6, 3)
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    "options",
    [
        {"kernel_size": 3},
        {"kernel_size": (2, 3), "padding": "same", "return_sequences": True},
        {"kernel_size": 3, "strides": 2, "padding": "same", "return_state": True},
        {"kernel_size": 2, "dilation_rate": 2, "go_backwards": True, "return_sequences": True},
        {"kernel_size": 3, "padding": "same", "data_format": "channels_first"},
    ],
)
def test_conv_lstm2d_matches_keras(options):
    x = _images(channels_first=options.get("data_format") == "channels_first")
    check(lambda L: L.ConvLSTM2D(4, **options), x=x)


def test_masked_conv_lstm2d_matches_keras():
    mask = np.ones((2, 6), bool)
    mask[0, 4:], mask[1, 1] = False, False
    check(lambda L: L.ConvLSTM2D(4, 3, return_sequences=True), x=_images(), mask=mask)


def test_conv_lstm2d_config_keys_match_keras():
    want, got = keras.layers.ConvLSTM2D(3, 3).get_config(), cornu.layers.ConvLSTM2D(3, 3).get_config()
    assert _keys(got) == _keys(want)
    rebuilt = cornu.layers.ConvLSTM2D.from_config(want)
    assert rebuilt.get_config()["kernel_size"] == (3, 3)


def test_keras_files_with_recurrent_layers_load_both_ways(tmp_path):
    x = _inputs(steps=6)[:, :, :2]
    ours = cornu.models.Sequential(
        [
            cornu.layers.Input((6, 2)),
            cornu.layers.Bidirectional(cornu.layers.LSTM(4, return_sequences=True)),
            cornu.layers.TimeDistributed(cornu.layers.Dense(3)),
            cornu.layers.GRU(3),
            cornu.layers.Dense(1),
        ]
    )
    ours.save(tmp_path / "cornu.keras")
    theirs = keras.models.load_model(tmp_path / "cornu.keras")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    theirs.save(tmp_path / "keras.keras")
    again = cornu.models.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_bidirectional_initial_state_matches_keras():
    rng = np.random.default_rng(4)
    states = [torch.tensor(rng.normal(size=(BATCH, UNITS)).astype("float32")) for _ in range(4)]
    check(lambda L: L.Bidirectional(L.LSTM(UNITS, return_sequences=True)), initial_state=states)
