"""Raw strings into a Functional model: Input(dtype="string") -> TextVectorization / StringLookup -> layers.

Keras runs this only on TensorFlow (its torch backend has no string tensors); cornu keeps the strings on the host
and hands the layers after the lookup ordinary integer tensors.
"""

import numpy as np
import pytest
import torch

import cornu
from cornu import layers

TEXTS = np.array(["the cat sat", "a dog ran fast", "the dog sat", "a cat ran"])
LABELS = np.array([0.0, 1.0, 1.0, 0.0], dtype="float32")


def _text_model(output_sequence_length=4):
    cornu.utils.set_random_seed(1)
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=output_sequence_length)
    vectorize.adapt(TEXTS)
    inputs = cornu.Input(shape=(1,), dtype="string")
    ids = vectorize(inputs)
    x = layers.GlobalAveragePooling1D()(layers.Embedding(20, 3)(ids))
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return cornu.Model(inputs, outputs), vectorize, ids


def test_symbolic_output_specs_of_the_string_layers():
    _, _, ids = _text_model()
    assert ids.shape == (None, 4) and ids.dtype == "int64"
    _, _, open_ids = _text_model(output_sequence_length=None)
    assert open_ids.shape == (None, None)  # the length the texts decide stays open
    lookup = layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")
    assert lookup(cornu.Input(shape=(2,), dtype="string")).shape == (None, 2, 3)
    ragged = layers.TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="ragged"):
        ragged(cornu.Input(shape=(1,), dtype="string"))


def test_a_string_input_model_trains_predicts_and_equals_the_two_step_pipeline():
    model, vectorize, _ = _text_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(TEXTS, LABELS, batch_size=2, epochs=3, verbose=0, shuffle=True)
    assert len(history.history["loss"]) == 3 and np.isfinite(history.history["loss"]).all()
    # the same weights on the integer ids computed outside: the model is the lookup followed by the layers
    ids = vectorize(TEXTS)
    assert ids.tolist()[0][3] == 0 and ids.dtype == torch.int64  # padded to output_sequence_length
    table, kernel, bias = (w.detach().double().numpy() for w in model.weights)
    expected = 1 / (1 + np.exp(-(table[ids.numpy()].mean(axis=1) @ kernel + bias)))
    np.testing.assert_allclose(model.predict(TEXTS, verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(TEXTS[:, None], verbose=0), expected, rtol=1e-6)  # (batch, 1) too
    loss, accuracy = model.evaluate(TEXTS, LABELS, verbose=0)
    assert 0.0 <= accuracy <= 1.0 and np.isfinite(loss)


def test_string_lookup_in_a_model_of_categorical_features():
    lookup = layers.StringLookup(vocabulary=["red", "green", "blue"], output_mode="one_hot")
    inputs = cornu.Input(shape=(1,), dtype="string")
    outputs = layers.Dense(2, kernel_initializer="ones")(layers.Flatten()(lookup(inputs)))
    model = cornu.Model(inputs, outputs)
    colours = np.array([["blue"], ["red"], ["purple"]], dtype=object)  # purple: the OOV index 0
    np.testing.assert_allclose(model.predict(colours, verbose=0), np.ones((3, 2)))  # one-hot rows sum to 1
    assert lookup(colours).argmax(-1).ravel().tolist() == [3, 1, 0]


def test_a_string_input_model_saves_and_loads_with_its_vocabulary(tmp_path):
    model, _, _ = _text_model()
    path = tmp_path / "text.keras"
    model.save(path)
    loaded = cornu.models.load_model(path)
    assert loaded.inputs[0].dtype == "string"
    np.testing.assert_array_equal(loaded.predict(TEXTS, verbose=0), model.predict(TEXTS, verbose=0))
