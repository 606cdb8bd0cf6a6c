"""`.keras` details: `build_config` from `get_build_config()`, adapted vocabularies and statistics in `assets/` and the
weights file, and user-defined activation functions saved by name (loadable) instead of silently lost."""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

import cornu
from cornu import activations, saving
from cornu.layers import Dense, Input, IntegerLookup, MultiHeadAttention, Normalization, StringLookup, TextVectorization
from cornu.models import Model, Sequential


def _config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


# --------------------------------------------------------------------------------------------- build_config
def test_multi_head_attention_build_config_records_query_and_value_shapes(tmp_path, rng):
    query, value = Input((4, 6)), Input((3, 5))
    model = Model([query, value], MultiHeadAttention(num_heads=2, key_dim=3)(query, value))
    model.save(tmp_path / "mha.keras")
    layer = _config(tmp_path / "mha.keras")["config"]["layers"][2]
    assert layer["build_config"] == {"shapes_dict": {"query_shape": [None, 4, 6], "value_shape": [None, 3, 5]}}
    loaded = saving.load_model(tmp_path / "mha.keras")
    x = [rng.normal(size=(2, 4, 6)).astype("float32"), rng.normal(size=(2, 3, 5)).astype("float32")]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_layer_alone_is_rebuilt_from_shapes_dict():
    config = {
        "module": "keras.layers",
        "class_name": "MultiHeadAttention",
        "config": {"num_heads": 2, "key_dim": 3, "name": "mha"},
        "build_config": {"shapes_dict": {"query_shape": [None, 4, 6], "value_shape": [None, 3, 5]}},
    }
    layer = saving.deserialize_layer(config)
    assert layer.built
    assert [tuple(w.shape) for w in layer.weights][:2] == [(6, 2, 3), (2, 3)]


def test_bad_build_config_names_the_file():
    config = {
        "module": "keras.layers",
        "class_name": "MultiHeadAttention",
        "config": {"num_heads": 2, "key_dim": 3, "name": "mha"},
        "build_config": {"shapes_dict": {"query_shape": [None, 4, 6], "queries_shape": [None, 4, 6]}},
    }
    with pytest.raises(ValueError, match=r"b\.keras.*'mha'.*cannot be built from its build_config"):
        saving.deserialize_layer(config, where="'b.keras'")


# --------------------------------------------------------------------------------------------- assets
def test_string_lookup_vocabulary_round_trips_through_assets(tmp_path):
    layer = StringLookup()
    layer.adapt(np.array(["a", "b", "b", "c", "c", "c"]))
    Sequential([layer]).save(tmp_path / "s.keras")
    with zipfile.ZipFile(tmp_path / "s.keras") as archive:
        assert archive.read("assets/layers/string_lookup/vocabulary.txt").decode() == "[UNK]\nc\nb\na"
    loaded = saving.load_model(tmp_path / "s.keras").layers[0]
    assert loaded.get_vocabulary() == ["[UNK]", "c", "b", "a"]
    assert loaded(np.array([["a"], ["c"], ["zz"]])).tolist() == [[3], [1], [0]]


def test_text_vectorization_tf_idf_round_trips(tmp_path):
    layer = TextVectorization(output_mode="tf_idf", max_tokens=6)
    layer.adapt(np.array(["the cat", "the dog sat"]))
    x = np.array(["the cat", "dog x", "sat"])
    Sequential([layer]).save(tmp_path / "t.keras")
    with zipfile.ZipFile(tmp_path / "t.keras") as archive:
        names = set(archive.namelist())
    # Keras writes the vocabulary at the layer's path and at its inner lookup layer's (`_lookup_layer`)
    assert {"assets/layers/text_vectorization/vocabulary.txt",
            "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt"} <= names  # fmt: skip
    loaded = saving.load_model(tmp_path / "t.keras").layers[0]
    np.testing.assert_allclose(loaded(x).numpy(), layer(x).numpy(), atol=1e-6)
    idf = np.log(1 + 2 / (1 + np.array([2, 1, 1, 1])))  # the: 2 documents; cat, dog, sat: 1
    np.testing.assert_allclose(sorted(loaded(np.array(["the cat dog sat"])).numpy()[0, 1:]), sorted(idf), atol=1e-6)


def test_integer_lookup_and_normalization_in_a_model_round_trip(tmp_path, rng):
    lookup, norm = IntegerLookup(), Normalization()
    lookup.adapt(np.array([5, 5, 7, 9]))
    data = rng.normal(3.0, 2.0, size=(50, 2)).astype("float32")
    norm.adapt(data)
    ids, values = Input((2,), dtype="int64"), Input((2,))
    model = Model([ids, values], [lookup(ids), norm(values)])
    model.save(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    x = [np.array([[5, 9], [1, 7]]), data[:2]]
    got = loaded.predict(x, verbose=0)
    assert np.asarray(got[0]).tolist() == [[1, 2], [0, 3]]  # 5 (twice), then the ties 9, 7
    expected = (data[:2].astype("float64") - data.mean(0)) / np.sqrt(data.var(0))
    np.testing.assert_allclose(got[1], expected, atol=1e-4)


def test_string_lookup_file_as_keras_writes_it(tmp_path):
    """Keras 3 needs TensorFlow for StringLookup; this file has the config keys and paths its source writes
    (`IndexLookup.get_config`, `save_assets` into `assets/<layer path>/vocabulary.txt`)."""
    lookup = {
        "module": "keras.layers",
        "class_name": "StringLookup",
        "registered_name": None,
        "config": {
            "name": "string_lookup",
            "trainable": True,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": "int64"},
                "registered_name": None,
            },
            "invert": False,
            "max_tokens": None,
            "num_oov_indices": 1,
            "oov_token": "[UNK]",
            "mask_token": None,
            "output_mode": "int",
            "sparse": False,
            "pad_to_max_tokens": False,
            "idf_weights": None,
            "vocabulary": None,
            "vocabulary_size": 4,
            "oov_method": "floormod",
            "salt": None,
            "encoding": "utf-8",
        },  # fmt: skip
    }
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "trainable": True, "layers": [lookup]}}  # fmt: skip
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_group("layers/string_lookup/vars").attrs["name"] = "string_lookup"
    with zipfile.ZipFile(tmp_path / "k.keras", "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights.getvalue())
        archive.writestr("assets/layers/string_lookup/vocabulary.txt", "[UNK]\nthe\ncat\ndog")
    layer = saving.load_model(tmp_path / "k.keras").layers[0]
    assert layer.get_vocabulary() == ["[UNK]", "the", "cat", "dog"]
    assert layer(np.array([["dog"], ["the"], ["emu"]])).tolist() == [[3], [1], [0]]


def test_missing_vocabulary_names_file_and_problem(tmp_path):
    layer = StringLookup()
    layer.adapt(np.array(["a", "b"]))
    path = tmp_path / "s.keras"
    Sequential([layer]).save(path)
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist() if not n.startswith("assets/")}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match=r"s\.keras.*'layers/string_lookup'.*assets.*vocabulary"):
        saving.load_model(path)


# --------------------------------------------------------------------------------------------- activations
def _double(x):
    return 2 * x


def test_user_function_serializes_as_keras_does_and_needs_custom_objects(tmp_path, rng):
    assert activations.serialize(_double) == {
        "module": "builtins",
        "class_name": "function",
        "config": "_double",
        "registered_name": "function",
    }
    model = Sequential([Input((3,)), Dense(2, activation=_double)])
    model.save(tmp_path / "f.keras")
    with pytest.raises(ValueError, match=r"f\.keras.*'_double'.*custom_objects=\{'_double': _double\}"):
        saving.load_model(tmp_path / "f.keras")
    loaded = saving.load_model(tmp_path / "f.keras", custom_objects={"_double": _double})
    x = rng.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_registered_function_loads_without_custom_objects(tmp_path, rng):
    @saving.register_keras_serializable(package="tests")
    def triple(x):
        return 3 * x

    assert activations.serialize(triple)["config"] == "tests>triple"
    model = Sequential([Input((3,)), Dense(2, activation=triple)])
    model.save(tmp_path / "r.keras")
    loaded = saving.load_model(tmp_path / "r.keras")
    assert loaded.layers[0].activation is triple
    x = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_lambda_activation_is_refused_when_saving(tmp_path):
    with pytest.raises(ValueError, match="not one of cornu.s built-in activations.*lambda has no name.*def"):
        activations.serialize(lambda x: x)
    model = Sequential([Input((3,)), Dense(2, activation=lambda x: x)])
    with pytest.raises(ValueError, match="lambda"):
        model.save(tmp_path / "l.keras")
    assert not (tmp_path / "l.keras").exists()


def test_keras1_hard_sigmoid_survives_a_resave(tmp_path, rng):
    from cornu.saving.keras1_config import keras1_hard_sigmoid

    model = Sequential([Input((3,)), Dense(2, activation=keras1_hard_sigmoid)])
    model.save(tmp_path / "h.keras")
    loaded = cornu.models.load_model(tmp_path / "h.keras")
    assert loaded.layers[0].activation is keras1_hard_sigmoid
