"""Masks travel from layer to layer as in Keras: Embedding(mask_zero=True) or Masking -> the next layers' `mask=`."""

import numpy as np
import pytest

import cornu
from cornu.layers import LSTM, Dense, Embedding, Input, Masking

keras = pytest.importorskip("keras")

TOKENS = np.array([[3, 5, 0, 0], [1, 2, 4, 0], [7, 0, 0, 0]])


def _pair(kind):
    ours_layers = [Embedding(10, 4, mask_zero=True), LSTM(3, return_sequences=True), LSTM(3), Dense(2)]
    keras_layers = [
        keras.layers.Embedding(10, 4, mask_zero=True),
        keras.layers.LSTM(3, return_sequences=True),
        keras.layers.LSTM(3),
        keras.layers.Dense(2),
    ]
    if kind == "sequential":
        ours = cornu.Sequential([Input((4,), dtype="int64")] + ours_layers)
        ref = keras.Sequential([keras.Input((4,), dtype="int64")] + keras_layers)
        return ours, ref
    ours_in, ref_in = Input((4,), dtype="int64"), keras.Input((4,), dtype="int64")
    ours_out, ref_out = ours_in, ref_in
    for ours_layer, ref_layer in zip(ours_layers, keras_layers):
        ours_out, ref_out = ours_layer(ours_out), ref_layer(ref_out)
    return cornu.Model(ours_in, ours_out), keras.Model(ref_in, ref_out)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_embedding_mask_reaches_stacked_lstms_as_in_keras(kind):
    ours, ref = _pair(kind)
    ours.set_weights(ref.get_weights())
    expected = keras.ops.convert_to_numpy(ref(TOKENS))
    np.testing.assert_allclose(ours.predict(TOKENS, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_without_the_mask_the_padded_steps_would_change_the_output():
    ours, ref = _pair("sequential")
    ours.set_weights(ref.get_weights())
    ours.layers[0].mask_zero = False
    difference = np.abs(ours.predict(TOKENS, verbose=0) - keras.ops.convert_to_numpy(ref(TOKENS))).max()
    assert difference > 1e-3


def test_masking_layer_and_masked_training_match_keras():
    x = np.random.default_rng(0).normal(size=(6, 5, 3)).astype("float32")
    x[:, 3:] = 0.0  # padded steps
    y = np.random.default_rng(1).normal(size=(6, 1)).astype("float32")
    ours = cornu.Sequential([Input((5, 3)), Masking(0.0), LSTM(4), Dense(1)])
    ref = keras.Sequential(
        [keras.Input((5, 3)), keras.layers.Masking(0.0), keras.layers.LSTM(4), keras.layers.Dense(1)]
    )
    ours.set_weights(ref.get_weights())
    ours.compile(optimizer="sgd", loss="mse")
    ref.compile(optimizer="sgd", loss="mse")
    ours_history = ours.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0).history
    ref_history = ref.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(ours_history["loss"], ref_history["loss"], rtol=1e-4)
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
