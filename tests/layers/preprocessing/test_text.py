"""StringLookup, IntegerLookup and TextVectorization. Keras 3.15 runs these only with TensorFlow installed, so the
expected values are the ones Keras documents for the same calls (its docstring examples), plus closed forms."""

import numpy as np
import pytest
import torch

from cornu.layers.preprocessing import IntegerLookup, StringLookup, TextVectorization

VOCAB = ["a", "b", "c", "d"]
DATA = [["a", "c", "d"], ["d", "z", "b"]]
DOCS = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]


def _list(t):
    return t.tolist() if isinstance(t, (torch.Tensor, np.ndarray)) else t


def test_string_lookup_documented_examples():
    assert _list(StringLookup(vocabulary=VOCAB)(DATA)) == [[1, 3, 4], [4, 0, 2]]
    layer = StringLookup()
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]  # by count, then reverse order
    assert _list(layer(DATA)) == [[5, 3, 1], [1, 2, 4]]
    out = StringLookup(vocabulary=VOCAB, output_mode="one_hot")(["a", "b", "c", "d", "z"])
    np.testing.assert_array_equal(out.numpy(), np.eye(5)[[1, 2, 3, 4, 0]])
    assert _list(StringLookup(vocabulary=VOCAB, output_mode="multi_hot")(DOCS)) == [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    assert _list(StringLookup(vocabulary=VOCAB, output_mode="count")(DOCS)) == [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]


def test_string_lookup_tf_idf_documented_examples():
    layer = StringLookup(output_mode="tf_idf")
    layer.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(layer(DOCS).numpy(), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    layer = StringLookup(output_mode="tf_idf")
    layer.set_vocabulary(["[UNK]"] + VOCAB, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(layer(DOCS).numpy(), [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]], rtol=1e-6)


def test_string_lookup_adapt_tf_idf_uses_keras_formula():
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt(DOCS)  # two documents: d in both, the others in one
    idf = dict(zip(layer.get_vocabulary()[1:], layer._idf))
    np.testing.assert_allclose(idf["d"], np.log(1 + 2 / 3))
    np.testing.assert_allclose(idf["a"], np.log(1 + 2 / 2))


def test_string_lookup_invert_and_round_trip():
    forward, inverse = StringLookup(vocabulary=VOCAB), StringLookup(vocabulary=VOCAB, invert=True)
    assert inverse([[1, 3, 4], [4, 0, 2]]).tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]
    assert inverse(forward(DATA)).tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]


def test_string_lookup_mask_token_and_oov_buckets():
    layer = StringLookup(vocabulary=VOCAB, mask_token="")
    assert layer.get_vocabulary() == ["", "[UNK]"] + VOCAB
    assert _list(layer([["a", ""], ["q", "d"]])) == [[2, 0], [1, 5]]
    layer = StringLookup(vocabulary=VOCAB, num_oov_indices=3)
    out = layer(["a", "m", "z", "m"]).tolist()
    assert out[0] == 3 and all(0 <= i < 3 for i in out[1:]) and out[1] == out[3]  # stable buckets
    with pytest.raises(ValueError, match="num_oov_indices=1"):
        StringLookup(vocabulary=VOCAB, num_oov_indices=0)(["z"])


def test_string_lookup_max_tokens_and_padding():
    layer = StringLookup(max_tokens=3, output_mode="multi_hot", pad_to_max_tokens=True)
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z"]
    assert layer(DATA).shape == (2, 3)
    assert layer.get_config()["vocabulary_size"] == 3


def test_string_lookup_vocabulary_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\nd\n", encoding="utf-8")
    assert _list(StringLookup(vocabulary=str(path))(DATA)) == [[1, 3, 4], [4, 0, 2]]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"output_mode": "binary"}, "output_mode='binary'"),
        ({"vocabulary": ["a", "a"]}, "Repeated"),
        ({"vocabulary": ["a", "[UNK]"]}, "special token"),
        ({"invert": True, "output_mode": "count"}, "output_mode='int'"),
        ({"pad_to_max_tokens": True}, "max_tokens"),
        ({"idf_weights": [1.0]}, "tf_idf"),
        ({"sparse": True}, "sparse=False"),
        ({"max_tokens": 1}, "max_tokens=1"),
    ],
)
def test_string_lookup_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StringLookup(**kwargs)


def test_string_lookup_cannot_adapt_a_given_vocabulary():
    with pytest.raises(ValueError, match="without"):
        StringLookup(vocabulary=VOCAB).adapt(DATA)


def test_lookup_config_keys_are_keras_keys():
    keys = {"name", "trainable", "dtype", "invert", "max_tokens", "num_oov_indices", "oov_token", "mask_token",
            "output_mode", "sparse", "pad_to_max_tokens", "idf_weights", "vocabulary", "vocabulary_size",
            "oov_method", "salt"}  # fmt: skip
    assert set(StringLookup(vocabulary=VOCAB).get_config()) == keys | {"encoding"}
    assert set(IntegerLookup().get_config()) == keys | {"vocabulary_dtype"}
    config = StringLookup(vocabulary=VOCAB, num_oov_indices=2).get_config()
    clone = StringLookup.from_config(config)
    assert clone.get_vocabulary() == ["[UNK]", "[UNK]"] + VOCAB


def test_integer_lookup_documented_examples():
    vocab = [12, 36, 1138, 42]
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    assert IntegerLookup(vocabulary=vocab)(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = IntegerLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    assert layer(data).tolist() == [[5, 2, 1], [1, 3, 4]]
    two = IntegerLookup(vocabulary=vocab, num_oov_indices=2)
    assert two(np.array([[12, 1138, 42], [37, 1000, 36]])).tolist() == [[2, 4, 5], [1, 0, 3]]
    floormod = IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4)
    assert floormod(np.array([100, 300, 700, 1100, 1700, 2000])).tolist() == [0] * 6
    docs = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])
    assert IntegerLookup(vocabulary=vocab, output_mode="count")(docs).tolist() == [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]
    tf_idf = IntegerLookup(output_mode="tf_idf", vocabulary=[-1] + vocab, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tf_idf(docs).numpy(), [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]], rtol=1e-6)
    inverse = IntegerLookup(vocabulary=vocab, invert=True)
    assert inverse(np.array([[1, 3, 4], [4, 0, 2]])).tolist() == [[12, 1138, 42], [42, -1, 36]]


def test_integer_lookup_farmhash_method_spreads_oov_values_and_errors():
    layer = IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash")
    out = layer(torch.arange(100, 2100, 100))
    assert len(set(out.tolist())) > 1 and max(out.tolist()) < 4
    with pytest.raises(ValueError, match="oov_method='farmhash'"):
        IntegerLookup(salt=3)
    with pytest.raises(ValueError, match="vocabulary_dtype='float32'"):
        IntegerLookup(vocabulary_dtype="float32")


def test_text_vectorization_int_output_and_vocabulary():
    layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    assert layer([["foo qux bar"], ["qux baz"]]).tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    layer = TextVectorization(vocabulary=["earth", "wind", "and", "fire"], output_sequence_length=4)
    assert layer([["earth wind and fire"], ["fire and earth michigan"]]).tolist() == [[2, 3, 4, 5], [5, 4, 2, 1]]


def test_text_vectorization_standardize_split_and_ngrams():
    layer = TextVectorization(ngrams=2, vocabulary=["a", "b", "a b"])
    assert layer._tokens("A, b!") == ["a", "b", "a b"]
    assert layer(["A, b!"]).tolist() == [[2, 3, 4]]
    assert TextVectorization(standardize=None, split="character")._tokens("Ab") == ["A", "b"]
    assert TextVectorization(standardize="lower", split=None)._tokens("A-b c") == ["a-b c"]
    custom = TextVectorization(standardize=lambda s: s.replace("x", ""), split=lambda s: s.split(","))
    assert custom._tokens("axb,c") == ["ab", "c"]
    # long texts are cut at output_sequence_length, short ones padded with 0; no length pads to the longest
    layer = TextVectorization(vocabulary=["a"], output_sequence_length=2)
    assert layer(["a a a", ""]).tolist() == [[2, 2], [0, 0]]
    assert TextVectorization(vocabulary=["a"])(["a a a", "a"]).tolist() == [[2, 2, 2], [2, 0, 0]]


def test_text_vectorization_vector_modes():
    texts = ["the cat", "the the dog"]
    multi = TextVectorization(output_mode="multi_hot")
    multi.adapt(texts)
    assert multi.get_vocabulary() == ["[UNK]", "the", "dog", "cat"]
    assert multi(texts + ["a bird"]).tolist() == [[0, 1, 0, 1], [0, 1, 1, 0], [1, 0, 0, 0]]
    count = TextVectorization(output_mode="count", vocabulary=["the", "dog", "cat"])
    assert count(texts).tolist() == [[0, 1, 0, 1], [0, 2, 1, 0]]
    tf_idf = TextVectorization(output_mode="tf_idf")
    tf_idf.adapt(texts)
    idf_the, idf_cat = np.log(1 + 2 / 3), np.log(1 + 2 / 2)
    np.testing.assert_allclose(tf_idf(["the the cat"]).numpy()[0, 1:], [2 * idf_the, 0, idf_cat], rtol=1e-6)
    padded = TextVectorization(output_mode="multi_hot", max_tokens=10, pad_to_max_tokens=True, vocabulary=["a"])
    assert padded(["a"]).shape == (1, 10)


def test_text_vectorization_ragged_config_and_errors():
    layer = TextVectorization(vocabulary=["a", "b"], ragged=True)
    assert [t.tolist() for t in layer(["a b a", "b"])] == [[2, 3, 2], [3]]
    config = TextVectorization(vocabulary=["a", "b"], output_sequence_length=3).get_config()
    assert set(config) == {"name", "trainable", "dtype", "max_tokens", "standardize", "split", "ngrams",
                           "output_mode", "output_sequence_length", "pad_to_max_tokens", "sparse", "ragged",
                           "vocabulary", "idf_weights", "encoding", "vocabulary_size"}  # fmt: skip
    assert TextVectorization.from_config(config)(["b a"]).tolist() == [[3, 2, 0]]
    with pytest.raises(ValueError, match="output_mode='int'"):
        TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="split='tabs'"):
        TextVectorization(split="tabs")
    with pytest.raises(ValueError, match=r"\(batch, 1\)"):
        TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))


def test_text_vectorization_output_trains_a_model():
    import cornu

    texts = ["good great fine", "bad awful poor", "great good", "poor bad"] * 8
    labels = np.array([1, 0, 1, 0] * 8, dtype="float32")
    vectorizer = TextVectorization(output_mode="multi_hot")
    vectorizer.adapt(texts)
    model = cornu.models.Sequential([cornu.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=cornu.optimizers.Adam(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(vectorizer(texts), labels, epochs=20, verbose=0)
    assert model.evaluate(vectorizer(texts), labels, verbose=0)[1] == 1.0


def test_integer_lookup_without_oov_index_marks_unknown_values():
    # Keras raises on an unknown value when num_oov_indices=0; checking that would read the result back to the host
    # every call, so cornu's device-side lookup returns -1 instead (a deliberate difference).
    layer = IntegerLookup(vocabulary=[3, 5], num_oov_indices=0)
    assert layer(torch.tensor([5, 3, 4])).tolist() == [1, 0, -1]
    assert IntegerLookup(vocabulary=[3, 5], num_oov_indices=0, output_mode="multi_hot")(
        torch.tensor([[4, 5]])
    ).tolist() == [[0.0, 1.0]]


def test_lookups_before_any_vocabulary_map_everything_to_oov_and_tables_follow_the_device():
    assert IntegerLookup()(torch.tensor([3, 4])).tolist() == [0, 0]
    assert StringLookup()(["x"]).tolist() == [0]
    layer = IntegerLookup(vocabulary=[7, 8]).to("meta")
    assert layer._sorted_keys.device.type == "meta" and "_sorted_keys" not in layer.state_dict()
    assert layer(torch.empty(2, 3, dtype=torch.long, device="meta")).device.type == "meta"


def test_learned_vocabularies_travel_through_keras_asset_hooks(tmp_path):
    layer = TextVectorization(output_mode="tf_idf")
    layer.adapt(["the cat", "the the dog"])
    store = {}
    layer.save_assets(tmp_path)
    layer.save_own_variables(store)
    assert (tmp_path / "vocabulary.txt").read_text(encoding="utf-8").splitlines() == ["[UNK]", "the", "dog", "cat"]
    clone = TextVectorization.from_config(layer.get_config())
    clone.load_own_variables(store)
    clone.load_assets(tmp_path)
    np.testing.assert_allclose(clone(["the cat bird"]).numpy(), layer(["the cat bird"]).numpy(), rtol=1e-12)
    ints = IntegerLookup()
    ints.adapt(np.array([[5, 5, 7]]))
    ints.save_assets(tmp_path)
    again = IntegerLookup()
    again.load_assets(tmp_path)
    assert again.get_vocabulary() == [-1, 5, 7]


def test_text_vectorization_lowercases_ascii_letters_only_as_keras():
    # Keras standardizes with tf.strings.lower, which leaves non-ASCII letters as they are (checked live against
    # Keras on TensorFlow in tests/parity/test_text_layers_with_tensorflow.py)
    from cornu.layers import TextVectorization

    layer = TextVectorization()
    layer.adapt(np.array(["Über Café ÉTÉ"]))
    assert set(layer.get_vocabulary()[2:]) == {"café", "Über", "ÉtÉ"}
