"""Files go both ways between cornu and the real Keras 3: `.keras`, `.h5`, `.weights.h5` and JSON configs."""

import numpy as np
import pytest

import cornu
from cornu import saving
from cornu.saving.serialization import serialize_layer

keras = pytest.importorskip("keras")


def _cornu_models():
    from cornu.layers import BatchNormalization, Dense, Dropout, Input, concatenate
    from cornu.models import Model, Sequential

    mlp = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(3, activation="softmax")])
    a, b = Input((3,), name="a"), Input((2,), name="b")
    two = Model([a, b], Dense(2)(Dense(5, activation="tanh")(concatenate([a, b]))))
    bn = Sequential([Input((4,)), Dense(6), BatchNormalization(), Dropout(0.3), Dense(2)])
    return {"mlp": mlp, "two_inputs": two, "bn_dropout": bn}


def _keras_models():
    layers = keras.layers
    mlp = keras.Sequential(
        [keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")]
    )
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    two = keras.Model([a, b], layers.Dense(2)(layers.Dense(5, activation="tanh")(layers.concatenate([a, b]))))
    bn = keras.Sequential(
        [keras.Input((4,)), layers.Dense(6), layers.BatchNormalization(), layers.Dropout(0.3), layers.Dense(2)]
    )
    return {"mlp": mlp, "two_inputs": two, "bn_dropout": bn}


def _inputs(name, rng):
    if name == "two_inputs":
        return [rng.random((6, 3)).astype("float32"), rng.random((6, 2)).astype("float32")]
    return rng.random((6, 4)).astype("float32")


def _targets(name, rng):
    return rng.random((6, 3 if name == "mlp" else 2)).astype("float32")


def _keras_predict(model, x):
    return keras.ops.convert_to_numpy(model.predict(x, verbose=0))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", ["mlp", "two_inputs", "bn_dropout"])
def test_cornu_file_loads_in_keras_with_same_predictions(tmp_path, rng, name, suffix):
    model = _cornu_models()[name]
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = _inputs(name, rng)
    model.fit(x, _targets(name, rng), epochs=2, batch_size=3, verbose=0)  # trained BN statistics and Adam slots
    path = tmp_path / f"{name}{suffix}"
    saving.save_model(model, path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(_keras_predict(loaded, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert type(loaded.optimizer).__name__ == "Adam"
    if suffix == ".keras":  # Keras 3 does not restore optimizer state from .h5 files, even its own
        assert int(loaded.optimizer.iterations) == 4
        theirs = [keras.ops.convert_to_numpy(v) for v in loaded.optimizer.variables]
        for mine, their in zip(model.optimizer.get_weights(), theirs, strict=True):
            np.testing.assert_allclose(their, mine, rtol=1e-6)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", ["mlp", "two_inputs", "bn_dropout"])
def test_keras_file_loads_in_cornu_with_same_predictions(tmp_path, rng, name, suffix):
    model = _keras_models()[name]
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = _inputs(name, rng)
    model.fit(x, _targets(name, rng), epochs=2, batch_size=3, verbose=0)
    path = tmp_path / f"{name}{suffix}"
    model.save(path)
    loaded = saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), _keras_predict(model, x), rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert type(loaded.optimizer).__name__ == "Adam"
    assert loaded.optimizer.iterations == 4
    theirs = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
    for mine, their in zip(loaded.optimizer.get_weights(), theirs, strict=True):
        np.testing.assert_allclose(mine, their, rtol=1e-6)


def test_training_resumed_in_cornu_matches_keras_continuing(tmp_path, rng):
    model = _keras_models()["mlp"]
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x, y = _inputs("mlp", rng), _targets("mlp", rng)
    model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    model.save(tmp_path / "k.keras")
    model.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    ours = saving.load_model(tmp_path / "k.keras")
    ours.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    for mine, theirs in zip(ours.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_weights_files_both_ways(tmp_path, rng):
    ours, theirs = _cornu_models()["bn_dropout"], _keras_models()["bn_dropout"]
    x = _inputs("bn_dropout", rng)
    theirs.save_weights(tmp_path / "k.weights.h5")
    saving.load_weights(ours, tmp_path / "k.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), _keras_predict(theirs, x), rtol=1e-5, atol=1e-6)
    ours.set_weights([w + 0.5 for w in ours.get_weights()])
    saving.save_weights(ours, tmp_path / "c.weights.h5")
    theirs.load_weights(tmp_path / "c.weights.h5")
    np.testing.assert_allclose(_keras_predict(theirs, x), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_json_configs_both_ways(rng):
    theirs = _keras_models()["two_inputs"]
    ours = saving.model_from_json(theirs.to_json())
    ours.set_weights(theirs.get_weights())
    x = _inputs("two_inputs", rng)
    np.testing.assert_allclose(ours.predict(x, verbose=0), _keras_predict(theirs, x), rtol=1e-5, atol=1e-6)
    back = keras.models.model_from_json(saving.serialization.model_to_json(ours))
    assert [layer.name for layer in back.layers] == [layer.name for layer in theirs.layers]
    hidden = back.layers[3].name
    assert back.get_layer(hidden).units == 5 and back.get_layer(hidden).activation.__name__ == "tanh"
    back.set_weights(ours.get_weights())
    np.testing.assert_allclose(_keras_predict(back, x), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def _layers_to_compare():
    from cornu import layers

    return [
        (layers.Dense(3, activation="relu", use_bias=False), (None, 4)),
        (layers.BatchNormalization(momentum=0.9, epsilon=1e-2), (None, 4)),
        (layers.Dropout(0.25, seed=1), (None, 4)),
        (layers.Activation("tanh"), (None, 4)),
        (layers.Flatten(), (None, 2, 2)),
        (layers.Reshape((2, 2)), (None, 4)),
        (layers.Embedding(10, 3), (None, 4)),
        (layers.LayerNormalization(), (None, 4)),
        (layers.Concatenate(axis=-1), [(None, 2), (None, 3)]),
        (layers.Add(), [(None, 2), (None, 2)]),
        (layers.LeakyReLU(negative_slope=0.2), (None, 4)),
    ]


@pytest.mark.parametrize("index", range(11))
def test_layer_configs_deserialize_in_keras_to_the_same_config(index):
    layer, _ = _layers_to_compare()[index]
    config = serialize_layer(layer)
    theirs = keras.layers.deserialize(config)
    their_config = theirs.get_config()
    for key, value in config["config"].items():
        if key in their_config:
            assert their_config[key] == value or (isinstance(value, list) and tuple(value) == their_config[key]), key
    back = saving.deserialize_layer(keras.layers.serialize(theirs))
    assert type(back) is type(layer) and back.get_config() == layer.get_config() | {"name": back.name}


def test_unsupported_keras_argument_is_dropped_with_a_warning():
    config = keras.layers.serialize(keras.layers.Dense(2))
    config["config"]["flash_attention"] = True
    with pytest.warns(UserWarning, match=r"flash_attention=True"):
        layer = saving.deserialize_layer(config)
    assert layer.units == 2
    assert cornu.layers.Dense is type(layer)


def test_lambda_files_refused_both_ways_unless_safe_mode_false(tmp_path):
    from cornu.layers import Input, Lambda
    from cornu.models import Sequential

    x = np.ones((2, 2), dtype="float32")
    ours = Sequential([Input((2,)), Lambda(lambda t: t * 3.0)])
    saving.save_model(ours, tmp_path / "c.keras")
    with pytest.raises(ValueError, match="Lambda"):
        keras.models.load_model(tmp_path / "c.keras")
    np.testing.assert_array_equal(
        _keras_predict(keras.models.load_model(tmp_path / "c.keras", safe_mode=False), x), 3 * x
    )
    theirs = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda t: t * 3.0)])
    theirs.save(tmp_path / "k.keras")
    with pytest.raises(ValueError, match=r"k\.keras.*Python code.*safe_mode=False"):
        saving.load_model(tmp_path / "k.keras")
    np.testing.assert_array_equal(saving.load_model(tmp_path / "k.keras", safe_mode=False).predict(x, verbose=0), 3 * x)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_nested_model_files_both_ways(tmp_path, rng, suffix):
    from cornu.layers import Dense, Dropout, Input
    from cornu.models import Model, Sequential

    x = rng.random((5, 3)).astype("float32")
    inner = Sequential([Input((3,)), Dense(4, activation="relu", kernel_regularizer="l2"), Dropout(0.1)], name="inner")
    a = Input((3,))
    ours = Model(a, Dense(2, trainable=False)(inner(a)))
    saving.save_model(ours, tmp_path / f"c{suffix}")
    loaded = keras.models.load_model(tmp_path / f"c{suffix}")
    np.testing.assert_allclose(_keras_predict(loaded, x), ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert loaded.layers[2].trainable is False and loaded.get_layer("inner").layers[0].kernel_regularizer is not None
    k_inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu")], name="kin")
    ka = keras.Input((3,))
    theirs = keras.Model(ka, keras.layers.Dense(2)(k_inner(ka)))
    theirs.save(tmp_path / f"k{suffix}")
    np.testing.assert_allclose(
        saving.load_model(tmp_path / f"k{suffix}").predict(x, verbose=0),
        _keras_predict(theirs, x),
        rtol=1e-5,
        atol=1e-6,
    )


def _times_two(x):
    return x * 2


def test_keras_file_with_own_function_needs_custom_objects(tmp_path, rng):
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation=_times_two)])
    theirs.save(tmp_path / "k.keras")
    with pytest.raises(ValueError, match=r"k\.keras.*layer 'dense\w*' \(Dense\).*_times_two.*custom_objects"):
        saving.load_model(tmp_path / "k.keras")
    ours = saving.load_model(tmp_path / "k.keras", custom_objects={"_times_two": _times_two})
    x = rng.random((4, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), _keras_predict(theirs, x), rtol=1e-5, atol=1e-6)


def test_custom_object_scope_and_registered_function(tmp_path, rng):
    def triple(x):
        return x * 3

    theirs = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation=triple)])
    theirs.save(tmp_path / "k.keras")
    with saving.custom_object_scope({"triple": triple}):
        ours = saving.load_model(tmp_path / "k.keras")
    assert ours.layers[0].activation is triple
    assert "triple" not in saving.get_custom_objects()
    x = rng.random((3, 2)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)
