"""Files across Keras generations, checked against the real Keras 3.15: what cornu writes Keras loads (build_config,
adapted statistics, user activations), what Keras writes cornu loads, and the files Keras 3 itself refuses (Keras 1
`.h5`, tf-keras 2.13-2.15 `.keras`) cornu loads and re-saves in a form Keras 3 reads."""

import numpy as np
import pytest

import cornu
from cornu import activations, saving
from cornu.layers import Dense, Input, MultiHeadAttention, Normalization
from cornu.models import Model, Sequential
from tests.saving import keras1_files as k1
from tests.saving import tf_keras_files as tk
from tests.saving.keras1_files import dense, layer

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def _np(value):
    return np.asarray(keras.ops.convert_to_numpy(value))


def test_multi_head_attention_saved_by_cornu_loads_in_keras(tmp_path, rng):
    query, value = Input((4, 6)), Input((3, 5))
    out = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)(query, value)
    model = Model([query, value], Dense(2)(out))
    model.save(tmp_path / "mha.keras")
    loaded = keras.saving.load_model(tmp_path / "mha.keras")
    x = [rng.normal(size=(2, 4, 6)).astype("float32"), rng.normal(size=(2, 3, 5)).astype("float32")]
    np.testing.assert_allclose(_np(loaded.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-5)


def test_adapted_normalization_both_directions(tmp_path, rng):
    data = rng.normal(2.0, 3.0, size=(40, 3)).astype("float32")
    x = data[:5]
    ours = Normalization()
    ours.adapt(data)
    Sequential([Input((3,)), ours]).save(tmp_path / "cornu.keras")
    from_cornu = keras.saving.load_model(tmp_path / "cornu.keras")
    expected = (x.astype("float64") - data.mean(0)) / np.sqrt(data.var(0))
    np.testing.assert_allclose(_np(from_cornu.predict(x, verbose=0)), expected, atol=1e-4)

    theirs = keras.layers.Normalization()
    theirs.adapt(data)
    keras.Sequential([keras.Input((3,)), theirs]).save(tmp_path / "keras.keras")
    from_keras = saving.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), expected, atol=1e-4)


def _twice(x):
    return 2 * x


def test_user_activation_config_is_keras_s(tmp_path, rng):
    assert activations.serialize(_twice) == keras.activations.serialize(_twice)
    model = Sequential([Input((3,)), Dense(2, activation=_twice)])
    model.save(tmp_path / "a.keras")
    loaded = keras.saving.load_model(tmp_path / "a.keras", custom_objects={"_twice": _twice})
    x = rng.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(_np(loaded.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-6)


def test_keras1_file_keras3_refuses_cornu_loads_and_resaves_for_keras3(tmp_path, rng):
    w1, b1, w2, b2 = (rng.normal(size=s).astype("float32") for s in ((4, 3), (3,), (3, 2), (2,)))
    config = k1.sequential(
        [
            layer("Dense", "dense_1", **dense("dense_1", 3, "relu", input_dim=4, first=True)),
            layer("Dense", "dense_2", **dense("dense_2", 2, "softmax", input_dim=3)),
        ]
    )
    k1.write_model(
        tmp_path / "k1.h5", config, [("dense_1", [("W", w1), ("b", b1)]), ("dense_2", [("W", w2), ("b", b2)])]
    )
    with pytest.raises(Exception):  # noqa: B017 - Keras 3.15 fails inside its loader (a TypeError), not by design
        keras.saving.load_model(tmp_path / "k1.h5")
    model = saving.load_model(tmp_path / "k1.h5")
    model.save(tmp_path / "k1.keras")
    again = keras.saving.load_model(tmp_path / "k1.keras")
    x = rng.normal(size=(3, 4)).astype("float32")
    hidden = np.maximum(x.astype("float64") @ w1 + b1, 0) @ w2 + b2
    expected = np.exp(hidden) / np.exp(hidden).sum(-1, keepdims=True)
    np.testing.assert_allclose(_np(again.predict(x, verbose=0)), expected, atol=1e-5)


def test_tf_keras_file_keras3_refuses_cornu_loads_and_resaves_for_keras3(tmp_path, rng):
    w, b = rng.normal(size=(4, 2)).astype("float32"), rng.normal(size=2).astype("float32")
    layers = [tk.input_layer("input_1", (4,)), tk.dense("dense", 2, "tanh", 4, "input_1")]
    config = tk.functional("model", layers, [["input_1", 0, 0]], [["dense", 0, 0]], [None, 4])
    tk.write(tmp_path / "tf.keras", config, [("layers/dense", [w, b])])
    with pytest.raises(TypeError, match="keras.src.engine.functional cannot be imported"):
        keras.saving.load_model(tmp_path / "tf.keras")  # keras-team/keras#19089
    model = cornu.models.load_model(tmp_path / "tf.keras")
    model.save(tmp_path / "again.keras")
    again = keras.saving.load_model(tmp_path / "again.keras")
    x = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(_np(again.predict(x, verbose=0)), np.tanh(x.astype("float64") @ w + b), atol=1e-5)
