"""imdb and reuters: Keras's shuffles, index shifts and vocabulary limits on small files; word indices; safety."""

import pickle

import numpy as np
import pytest

from cornu.datasets import imdb, reuters


@pytest.fixture
def imdb_file(make, publish, rng):
    arrays = {
        "x_train": make.ragged(make.word_sequences(rng, 8)),
        "y_train": rng.integers(0, 2, 8),
        "x_test": make.ragged(make.word_sequences(rng, 5)),
        "y_test": rng.integers(0, 2, 5),
    }
    publish(imdb, "imdb.npz", make.npz_bytes(**arrays))
    return arrays


def shuffled_like_keras(seed, *arrays_per_split):
    """Each split reordered by permutations drawn one after the other from RandomState(seed)."""
    rng, out = np.random.RandomState(seed), []
    for arrays in arrays_per_split:
        order = rng.permutation(len(arrays[0]))
        out.append([a[order] for a in arrays])
    return out


def test_imdb_defaults_shift_indices_and_shuffle_with_seed_113(imdb_file, homes, server):
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    [(ref_x, ref_y), (ref_xt, ref_yt)] = shuffled_like_keras(
        113, (imdb_file["x_train"], imdb_file["y_train"]), (imdb_file["x_test"], imdb_file["y_test"])
    )
    largest = max(max(s) for s in list(ref_x) + list(ref_xt)) + 3
    expected = [[1] + [w + 3 if w + 3 < largest else 2 for w in s] for s in ref_x]  # the largest index is oov
    assert x_train.dtype == object and x_train.tolist() == expected
    np.testing.assert_array_equal(y_train, ref_y)
    np.testing.assert_array_equal(y_test, ref_yt)
    assert len(x_test) == 5 and all(s[0] == 1 for s in x_test)
    assert server.requests == [("imdb.npz", None)]


def test_imdb_num_words_skip_top_and_oov(imdb_file, homes):
    (x_train, _), (x_test, _) = imdb.load_data(num_words=10, skip_top=5)
    words = [w for s in list(x_train) + list(x_test) for w in s[1:]]
    assert words and all(5 <= w < 10 or w == 2 for w in words)
    (removed, _), _ = imdb.load_data(num_words=10, oov_char=None, start_char=None, index_from=0)
    assert all(0 < w < 10 for s in removed for w in s)


def test_imdb_maxlen_keeps_shorter_sequences_only(imdb_file, homes):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(maxlen=8)
    assert all(len(s) < 8 for s in list(x_train) + list(x_test))
    assert len(x_train) == len(y_train) and len(x_test) == len(y_test)
    with pytest.raises(ValueError, match="maxlen=1"):
        imdb.load_data(maxlen=1)


def test_imdb_start_char_none_and_index_from_zero_give_the_stored_words(imdb_file, homes):
    (x_train, _), _ = imdb.load_data(start_char=None, index_from=0, seed=5, num_words=1000)
    [(ref_x, _)] = shuffled_like_keras(5, (imdb_file["x_train"], imdb_file["y_train"]))
    assert x_train.tolist() == [list(s) for s in ref_x]


def test_imdb_nb_words_is_translated_and_unknown_keywords_refused(imdb_file, homes):
    with pytest.warns(DeprecationWarning, match=r"num_words=10"):
        (old, _), _ = imdb.load_data(nb_words=10)
    (new, _), _ = imdb.load_data(num_words=10)
    assert old.tolist() == new.tolist()
    with pytest.raises(TypeError, match="num_wrods"):  # Keras 3 would ignore the typo silently
        imdb.load_data(num_wrods=10)


def test_imdb_word_index_checked_by_md5_as_keras_checks_it(make, publish, homes, monkeypatch):
    assert len(imdb.WORD_INDEX_HASH) == 32  # Keras gives an md5 for the word index
    mapping = {"the": 1, "and": 2, "a": 3}
    data = publish(imdb, "imdb_word_index.json", make.json.dumps(mapping).encode(), attr=None)
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", make.md5(data))
    assert imdb.get_word_index() == mapping
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", make.md5(b"other"))
    (homes / "cornu" / "datasets" / "imdb_word_index.json").unlink()
    with pytest.raises(ValueError, match="md5"):
        imdb.get_word_index()
    path = make.write_json(homes / "my_index.json", {"x": 7})
    assert imdb.get_word_index(path) == {"x": 7}


def test_a_malicious_npz_is_refused_and_never_runs(make, publish, homes, rng):
    marker = homes / "pwned"
    evil = make.ragged(make.word_sequences(rng, 2))
    evil[1] = make.Evil(marker)
    publish(imdb, "imdb.npz", make.npz_bytes(x_train=evil, y_train=np.zeros(2), x_test=evil, y_test=np.zeros(2)))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load `posix.system`"):
        imdb.load_data()
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------- reuters
@pytest.fixture
def reuters_file(make, publish, rng):
    arrays = {"x": make.ragged(make.word_sequences(rng, 11)), "y": rng.integers(0, 46, 11)}
    publish(reuters, "reuters.npz", make.npz_bytes(**arrays))
    return arrays


def test_reuters_shuffles_then_splits_the_last_fraction_for_testing(reuters_file, homes):
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.3, num_words=1000)
    [(ref_x, ref_y)] = shuffled_like_keras(113, (reuters_file["x"], reuters_file["y"]))
    assert len(x_train) == int(11 * 0.7) == 7 and len(x_test) == 4
    assert x_train.tolist() + x_test.tolist() == [[1] + [w + 3 for w in s] for s in ref_x]
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), ref_y)


def test_reuters_maxlen_and_legacy_nb_words(reuters_file, homes):
    (x_train, _), (x_test, _) = reuters.load_data(maxlen=6)
    assert all(len(s) < 6 for s in list(x_train) + list(x_test))
    with pytest.warns(DeprecationWarning, match="nb_words"):
        (x_train, _), _ = reuters.load_data(nb_words=8)
    assert all(w < 8 for s in x_train for w in s)
    with pytest.raises(TypeError, match="test_spilt"):
        reuters.load_data(test_spilt=0.1)


def test_reuters_word_index_and_label_names(make, publish, homes):
    data = publish(reuters, "reuters_word_index.json", b'{"said": 2, "the": 1}', attr="WORD_INDEX_HASH")
    assert reuters.WORD_INDEX_HASH == make.sha256(data)
    assert reuters.get_word_index() == {"said": 2, "the": 1}
    names = reuters.get_label_names()
    assert len(names) == 46 and len(set(names)) == 46
    assert (names[0], names[3], names[45]) == ("cocoa", "earn", "lead")
