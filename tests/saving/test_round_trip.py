"""Round trips through every file format: same predictions, same compile config, same optimizer state."""

import json
import zipfile

import h5py
import numpy as np
import pytest

import cornu
from cornu import saving
from cornu.layers import BatchNormalization, Dense, Dropout, Embedding, Flatten, Input, Reshape, concatenate
from cornu.models import Model, Sequential


class SaveableSequential(Sequential):
    """A Sequential subclass: saved under its own module, with Model's saving methods."""


def _mlp():
    model = Sequential([Input((4,)), Dense(3, activation="relu"), BatchNormalization(), Dropout(0.2), Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def _two_inputs():
    a, b = Input((3,), name="a"), Input((2,), name="b")
    shared = Dense(4, activation="tanh")
    out = cornu.layers.add([shared(concatenate([a, b])), shared(Dense(5)(a))])
    return Model([a, b], out)


def _data(rng, n=8):
    return rng.random((n, 4)).astype("float32"), rng.random((n, 2)).astype("float32")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_sequential_round_trip_keeps_predictions_compile_and_optimizer(tmp_path, rng, suffix):
    model = _mlp()
    x, y = _data(rng)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    path = tmp_path / f"m{suffix}"
    saving.save_model(model, path)
    loaded = saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [layer.name for layer in loaded.layers] == ["dense", "batch_normalization", "dropout", "dense_1"]
    assert type(loaded.optimizer).__name__ == "Adam" and loaded.optimizer.iterations == 4
    for ours, theirs in zip(loaded.optimizer.get_weights(), model.optimizer.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert loaded.get_layer("dropout").rate == 0.2


def test_functional_two_inputs_shared_layer_round_trip(tmp_path, rng):
    model = _two_inputs()
    xa, xb = rng.random((5, 3)).astype("float32"), rng.random((5, 2)).astype("float32")
    for suffix in (".keras", ".h5"):
        saving.save_model(model, tmp_path / f"f{suffix}")
        loaded = saving.load_model(tmp_path / f"f{suffix}")
        np.testing.assert_array_equal(loaded.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0))
        assert [layer.name for layer in loaded.layers] == ["a", "b", "concatenate", "dense_1", "dense", "add"]
        assert len(loaded.get_layer("dense")._inbound_nodes) == 2  # still shared


def test_resume_after_reload_equals_uninterrupted_training(tmp_path, rng):
    x, y = _data(rng, 12)

    def make():
        model = Sequential([Input((4,)), Dense(5, activation="relu"), BatchNormalization(), Dense(2)])
        model.compile(optimizer=cornu.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        return model

    straight = make()
    start = straight.get_weights()
    straight.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    for suffix in (".keras", ".h5"):
        resumed = make()
        resumed.set_weights(start)
        resumed.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        saving.save_model(resumed, tmp_path / f"r{suffix}")
        reloaded = saving.load_model(tmp_path / f"r{suffix}")
        history = reloaded.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        assert reloaded.optimizer.iterations == 9
        for ours, theirs in zip(reloaded.get_weights(), straight.get_weights()):
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
        assert np.isfinite(history.history["loss"][0])


def test_keras_zip_layout_is_keras3s(tmp_path):
    model = _mlp()
    path = tmp_path / "m.keras"
    saving.save_model(model, path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["compile_config"]["loss"] == "mse" and config["compile_config"]["metrics"] == ["mae"]
    dense = config["config"]["layers"][1]
    assert dense["config"]["dtype"] == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    }
    assert config["config"]["layers"][0]["class_name"] == "InputLayer"
    (tmp_path / "w.h5").write_bytes(weights)
    with h5py.File(tmp_path / "w.h5") as f:
        assert f["layers/dense/vars/0"].shape == (4, 3)
        assert f["layers/dense_1/vars/0"].shape == (3, 2)
        assert len(f["layers/batch_normalization/vars"]) == 4
        assert f["optimizer/vars"].attrs["name"] == model.optimizer.name
        assert "vars" in f and len(f["layers/dropout/vars"]) == 0


def test_legacy_h5_layout(tmp_path):
    model = _mlp()
    path = tmp_path / "m.h5"
    saving.save_model(model, path)
    with h5py.File(path) as f:
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "mean_squared_error"  # spelled out: Keras 3.15 cannot read back "mse" from .h5
        assert training["optimizer_config"]["class_name"] == "Adam"
        group = f["model_weights"]
        assert [n.decode() for n in group.attrs["layer_names"]] == [
            "dense",
            "batch_normalization",
            "dropout",
            "dense_1",
        ]
        names = [n.decode() for n in group["batch_normalization"].attrs["weight_names"]]
        assert names == [f"batch_normalization/{w}" for w in ("gamma", "beta", "moving_mean", "moving_variance")]
        np.testing.assert_array_equal(group["dense/dense/kernel"][()], model.get_layer("dense").get_weights()[0])


def test_weights_files_and_model_io_mixin(tmp_path, rng):
    def make():
        return SaveableSequential([Input((4,), dtype="int64"), Embedding(10, 2), Flatten(), Dense(6), Reshape((3, 2))])

    model, other = make(), make()
    x = rng.integers(0, 10, (5, 4))
    for name in ("w.weights.h5", "w.h5"):
        model.save_weights(tmp_path / name)
        other.set_weights([np.zeros_like(w) for w in other.get_weights()])
        other.load_weights(tmp_path / name)
        np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    model.save(tmp_path / "m.keras")
    other.set_weights([np.zeros_like(w) for w in other.get_weights()])
    other.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])
    clone = saving.model_from_json(model.to_json(), custom_objects={"SaveableSequential": SaveableSequential})
    assert type(clone) is SaveableSequential
    assert [type(layer).__name__ for layer in clone.layers] == [type(layer).__name__ for layer in model.layers]


def test_load_weights_by_name_and_skip_mismatch(tmp_path):
    source = Sequential([Input((4,)), Dense(3, name="keep"), Dense(2, name="head")])
    source.save_weights(tmp_path / "w.h5") if hasattr(source, "save_weights") else saving.save_weights(
        source, tmp_path / "w.h5"
    )
    target = Sequential([Input((4,)), Dense(3, name="keep"), Dense(7, name="head")])
    with pytest.raises(ValueError, match=r"w\.h5.*'head'.*\(3, 7\).*\(3, 2\)"):
        saving.load_weights(target, tmp_path / "w.h5", by_name=True)
    with pytest.warns(UserWarning, match="Skipping"):
        saving.load_weights(target, tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_layer("keep").get_weights()[0], source.get_layer("keep").get_weights()[0])


def test_zipped_false_writes_a_folder(tmp_path, rng):
    model = _mlp()
    x, _ = _data(rng)
    saving.save_model(model, tmp_path / "folder.keras", zipped=False)
    assert (tmp_path / "folder.keras" / "config.json").is_file()
    np.testing.assert_array_equal(
        saving.load_model(tmp_path / "folder.keras").predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_overwrite_false_raises_instead_of_prompting(tmp_path):
    # Deliberate difference: Keras asks on the terminal; a library call should not block on input().
    model = _mlp()
    saving.save_model(model, tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        saving.save_model(model, tmp_path / "m.keras", overwrite=False)


def test_compile_false_and_custom_objects(tmp_path, rng):
    @saving.register_keras_serializable(package="tests")
    class Doubler(cornu.layers.Layer):
        def call(self, inputs):
            return 2 * inputs

    model = Sequential([Input((2,)), Dense(2), Doubler()])
    model.compile(optimizer="sgd", loss="mse")
    saving.save_model(model, tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and type(loaded.layers[1]) is Doubler
    x = rng.random((3, 2)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
