import json
import random

import numpy as np
import pytest

from cornu.preprocessing import sequence, text
from cornu.preprocessing.text import Tokenizer, tokenizer_from_json

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat and dog"]


def test_word_index_by_frequency_then_first_seen():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    assert list(tok.word_index.items())[:4] == [("the", 1), ("cat", 2), ("dog", 3), ("sat", 4)]
    assert tok.word_counts["the"] == 3 and tok.word_docs["cat"] == 2 and tok.document_count == 3
    assert tok.index_word[2] == "cat"


def test_sequences_num_words_and_oov():
    tok = Tokenizer(num_words=4, oov_token="<unk>")
    tok.fit_on_texts(TEXTS)
    assert tok.word_index["<unk>"] == 1 and tok.word_index["the"] == 2
    assert tok.texts_to_sequences(["the cat flew"]) == [[2, 3, 1]]  # "flew" unknown -> 1
    assert tok.texts_to_sequences(["dog"]) == [[1]]  # index 4 >= num_words -> oov
    assert tok.sequences_to_texts([[2, 3, 99]]) == ["the cat <unk>"]
    plain = Tokenizer(num_words=3)
    plain.fit_on_texts(TEXTS)
    assert plain.texts_to_sequences(["the cat dog flew"]) == [[1, 2]]


def test_matrix_modes_closed_forms():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    seqs = [[1, 1, 2], []]
    width = len(tok.word_index) + 1
    binary, count = tok.sequences_to_matrix(seqs, "binary"), tok.sequences_to_matrix(seqs, "count")
    assert binary.shape == (2, width) and binary[0, :3].tolist() == [0, 1, 1] and not binary[1].any()
    assert count[0, :3].tolist() == [0, 2, 1]
    assert tok.sequences_to_matrix(seqs, "freq")[0, :3].tolist() == [0, 2 / 3, 1 / 3]
    tfidf = tok.sequences_to_matrix(seqs, "tfidf")
    # word 1 ("the") is in 2 of 3 documents, seen twice here: (1 + ln 2) * ln(1 + 3 / (1 + 2))
    assert tfidf[0, 1] == pytest.approx((1 + np.log(2)) * np.log(1 + 3 / 3))
    assert tfidf[0, 2] == pytest.approx(1 * np.log(1 + 3 / (1 + 2)))
    with pytest.raises(ValueError, match="mode must be one of"):
        tok.sequences_to_matrix(seqs, "tf")
    with pytest.raises(ValueError, match="call fit_on_texts first"):
        Tokenizer().texts_to_matrix(["a"])


def test_char_level_lists_analyzer_and_legacy_nb_words():
    tok = Tokenizer(char_level=True)
    tok.fit_on_texts(["aab"])
    assert tok.word_index == {"a": 1, "b": 2}
    tok = Tokenizer(analyzer=lambda t: t.split("|"))
    tok.fit_on_texts(["x|y|y"])
    assert tok.texts_to_sequences(["y|x|z"]) == [[1, 2]]
    with pytest.warns(DeprecationWarning, match="write num_words=5"):
        assert Tokenizer(nb_words=5).num_words == 5
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        Tokenizer(num_word=5)


def test_json_round_trip_keeps_state():
    tok = Tokenizer(num_words=10, oov_token="?")
    tok.fit_on_texts(TEXTS)
    back = tokenizer_from_json(tok.to_json())
    assert back.word_index == tok.word_index and back.index_word == tok.index_word
    assert back.texts_to_matrix(TEXTS, "tfidf").tolist() == tok.texts_to_matrix(TEXTS, "tfidf").tolist()
    assert json.loads(tok.to_json())["class_name"] == "Tokenizer"


def test_text_helpers():
    assert text.text_to_word_sequence("Hi, there!\tYou", lower=False) == ["Hi", "there", "You"]
    assert text.text_to_word_sequence("a-b", filters="", split="-") == ["a", "b"]
    hashed = text.hashing_trick("b a b", 7, hash_function="md5")
    assert hashed[0] == hashed[2] and all(1 <= h < 7 for h in hashed)
    assert text.hashing_trick("a", 5, hash_function=lambda w: 11) == [11 % 4 + 1]


def test_timeseries_generator_closed_form():
    data, targets = np.arange(20), np.arange(20) * 10
    gen = sequence.TimeseriesGenerator(data, targets, length=4, sampling_rate=2, stride=3, batch_size=2)
    x, y = gen[0]
    assert x.tolist() == [[0, 2], [3, 5]] and y.tolist() == [40, 70]
    assert len(gen) == 3 and gen[2][1].tolist() == [160, 190]
    rev = sequence.TimeseriesGenerator(data, targets, length=3, reverse=True, batch_size=1)
    assert rev[0][0].tolist() == [[2, 1, 0]]
    with pytest.raises(ValueError, match="same length"):
        sequence.TimeseriesGenerator(data, targets[:5], length=2)
    with pytest.raises(ValueError, match="no timestep is left"):
        sequence.TimeseriesGenerator(data, targets, length=25)
    assert json.loads(gen.to_json())["config"]["length"] == 4


def test_skipgrams_pairs_and_negatives():
    couples, labels = sequence.skipgrams([1, 2, 0, 3], 5, window_size=2, negative_samples=0.5, shuffle=True, seed=1)
    positives = sorted(c for c, label in zip(couples, labels) if label == 1)
    assert positives == [[1, 2], [2, 1], [2, 3], [3, 2]]  # index 0 is padding: no pair with it
    assert labels.count(0) == int(len(positives) * 0.5)
    assert all(1 <= c[1] <= 4 for c, label in zip(couples, labels) if label == 0)
    random.seed(0)
    cat = sequence.skipgrams([1, 2], 3, categorical=True, negative_samples=0, shuffle=False)
    assert cat == ([[1, 2], [2, 1]], [[0, 1], [0, 1]])


def test_make_sampling_table_closed_form():
    table = sequence.make_sampling_table(5, sampling_factor=1e-3)
    rank = np.array([1, 1, 2, 3, 4])
    expected = np.minimum(1, np.sqrt(1e-3 * (rank * (np.log(rank) + 0.577) + 0.5 - 1 / (12 * rank))))
    np.testing.assert_allclose(table, expected)


def test_pad_sequences_is_reexported():
    assert sequence.pad_sequences([[1], [2, 3]]).tolist() == [[0, 1], [2, 3]]
