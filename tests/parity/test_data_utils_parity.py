"""Data utilities against the real Keras 3 (torch backend): pad_sequences, file indexing and splits, resizing,
image conversion, split_dataset, the legacy Tokenizer / text helpers / sequence helpers and ImageDataGenerator.

Keras's dataset builders need TensorFlow (or Grain) for their return value, so file lists, labels and splits are
compared through Keras's own indexing functions, and pixels through `keras.ops.image.resize`, which is what
Keras's TensorFlow-free (Grain) image pipeline calls.
"""

import json
import os

import numpy as np
import pytest
import torch

from cornu.utils import dataset_utils, image_utils
from cornu.utils.image_dataset_utils import image_dataset_from_directory
from cornu.utils.sequence_utils import pad_sequences

keras = pytest.importorskip("keras")
pytest.importorskip("PIL")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 3},
        {"maxlen": 3, "padding": "post"},
        {"maxlen": 2, "truncating": "post", "value": -1},
        {"dtype": "float32", "value": 0.5},
    ],  # fmt: skip
)
def test_pad_sequences_matches_keras(kwargs):
    rng = np.random.default_rng(0)
    seqs = [rng.integers(1, 9, size=n).tolist() for n in (5, 0, 1, 3, 4)]
    ours, ref = pad_sequences(seqs, **kwargs), keras.utils.pad_sequences(seqs, **kwargs)
    assert ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)
    nested = [rng.normal(size=(n, 2)) for n in (2, 4)]
    np.testing.assert_array_equal(
        pad_sequences(nested, dtype="float32"), keras.utils.pad_sequences(nested, dtype="float32")
    )


@pytest.fixture(scope="module")
def image_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(1)
    layout = {"zebra": 3, "ant": 4, "moth/nested": 2, ".hidden": 1}
    for sub, count in layout.items():
        os.makedirs(root / sub, exist_ok=True)
        for i in range(count):
            size = (5 + i, 9 - i, 3)
            image_utils.save_img(str(root / sub / f"f{i}.{'png' if i % 2 else 'JPG'}"), rng.integers(0, 255, size))
    (root / "ant" / "readme.txt").write_text("not an image")
    return str(root)


@pytest.mark.parametrize("shuffle, seed", [(False, None), (True, 1337), (True, 7)])
@pytest.mark.parametrize("labels", ["inferred", None])
def test_file_order_labels_and_split_match_keras(image_tree, shuffle, seed, labels):
    from keras.src.utils import dataset_utils as keras_dataset_utils

    formats = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
    ref_paths, ref_labels, ref_classes = keras_dataset_utils.index_directory(
        image_tree, labels, formats, shuffle=shuffle, seed=seed, verbose=False
    )
    for subset in ("training", "validation"):
        split = 0.25 if shuffle else None
        ours = image_dataset_from_directory(image_tree, labels=labels, image_size=(4, 4), shuffle=shuffle, seed=seed,
                                            validation_split=split, subset=subset if shuffle else None,
                                            verbose=False)  # fmt: skip
        paths, want = keras_dataset_utils.get_training_or_validation_split(ref_paths, ref_labels, split, subset)
        assert ours.file_paths == list(paths) and ours.class_names == ref_classes
        if labels is not None:
            got = np.concatenate([y for _, y in ours.unbatch().batch(100)]) if not shuffle else None
            if got is not None:
                assert got.tolist() == list(want)
            assert sorted(dict(zip(ours.file_paths, _labels_in_file_order(ours))).items()) == sorted(
                zip(paths, [int(v) for v in want])
            )


def test_explicit_labels_are_shuffled_with_their_files_as_in_keras(image_tree):
    from keras.src.utils import dataset_utils as keras_dataset_utils

    labels = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]  # ten files: hidden folders count when labels are given
    formats = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
    ref_paths, ref_labels, ref_classes = keras_dataset_utils.index_directory(
        image_tree, list(labels), formats, shuffle=True, seed=21, verbose=False
    )
    ours = image_dataset_from_directory(image_tree, labels=labels, image_size=(2, 2), seed=21, verbose=False)
    assert ours.file_paths == list(ref_paths) and ours.class_names == ref_classes
    assert sorted(zip(ours.file_paths, _labels_in_file_order(ours))) == sorted(zip(ref_paths, ref_labels))


def _labels_in_file_order(ds):
    ds = ds.unbatch()
    order = ds._order
    labels = [None] * len(order)
    for position, index in enumerate(order):
        labels[index] = int(ds[position][1])
    return labels


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("aspect", [{}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True}])
def test_loaded_pixels_match_keras_resize(image_tree, interpolation, aspect):
    ds = image_dataset_from_directory(image_tree, image_size=(4, 6), batch_size=None, shuffle=False,
                                      interpolation=interpolation, verbose=False, **aspect)  # fmt: skip
    for i in (0, 4, 8):
        raw = np.asarray(image_utils.load_img(ds.file_paths[i]), dtype="float32")
        ref = keras.ops.convert_to_numpy(keras.ops.image.resize(raw, (4, 6), interpolation=interpolation, **aspect))
        np.testing.assert_allclose(ds[i][0], ref, atol=1e-3)


def test_smart_resize_matches_keras():
    x = np.random.default_rng(2).normal(size=(7, 11, 3)).astype("float32")
    for size in [(4, 4), (5, 2), (3, 9)]:
        ref = keras.ops.convert_to_numpy(keras.preprocessing.image.smart_resize(x, size))
        np.testing.assert_allclose(image_utils.smart_resize(x, size), ref, atol=1e-5)


def test_image_conversions_match_keras(tmp_path):
    x = np.random.default_rng(3).normal(size=(5, 4, 3)).astype("float32")
    for scale in (True, False):
        ours, ref = (
            image_utils.array_to_img(x * 50 + 100, scale=scale),
            keras.utils.array_to_img(x * 50 + 100, scale=scale),
        )
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref))
    path = str(tmp_path / "x.png")
    keras.utils.save_img(path, x)
    crop = {"target_size": (2, 3), "keep_aspect_ratio": True, "interpolation": "bilinear"}
    for kwargs in [{}, {"color_mode": "grayscale"}, {"target_size": (3, 2)}, crop]:
        ours, ref = image_utils.load_img(path, **kwargs), keras.utils.load_img(path, **kwargs)
        np.testing.assert_array_equal(image_utils.img_to_array(ours), keras.utils.img_to_array(ref))
        np.testing.assert_array_equal(image_utils.img_to_array(ours, data_format="channels_first"),
                                      keras.utils.img_to_array(ref, data_format="channels_first"))  # fmt: skip


@pytest.mark.parametrize("left_size, right_size, seed", [(0.8, None, 1), (3, None, 5), (None, 0.25, 9), (None, 7, 2)])
def test_split_dataset_shuffled_sides_match_keras_torch_backend(left_size, right_size, seed):
    data = np.arange(20)
    ref_left, ref_right = keras.utils.split_dataset(data, left_size=left_size, right_size=right_size, shuffle=True,
                                                    seed=seed, preferred_backend="torch")  # fmt: skip
    left, right = dataset_utils.split_dataset(data, left_size=left_size, right_size=right_size, shuffle=True, seed=seed)
    assert [int(v) for v in left] == [int(ref_left[i][0]) for i in range(len(ref_left))]
    assert [int(v) for v in right] == [int(ref_right[i][0]) for i in range(len(ref_right))]


def test_split_dataset_without_shuffle_keeps_order_unlike_keras_torch():
    """Deliberate difference: Keras's torch path calls random_split(generator=None), which shuffles with the global
    torch generator even when shuffle=False; cornu keeps the order, as the argument (and Keras's TF path) says."""
    torch.manual_seed(0)
    ref_left, _ = keras.utils.split_dataset(np.arange(20), left_size=0.5, preferred_backend="torch")
    left, _ = dataset_utils.split_dataset(np.arange(20), left_size=0.5)
    assert [int(v) for v in left] == list(range(10))
    assert [int(ref_left[i][0]) for i in range(10)] != list(range(10))


# The legacy preprocessing modules (Keras 3 keeps them under keras.src.legacy.preprocessing).

CORPUS = ["The quick brown fox.", "The lazy dog, the END!", "quick quick slow", "", "Brown dog; lazy fox"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_words": 4},
        {"oov_token": "<oov>"},
        {"num_words": 5, "oov_token": "<oov>"},
        {"char_level": True},
        {"lower": False, "filters": "."},
    ],  # fmt: skip
)
def test_tokenizer_matches_keras(kwargs):
    from keras.src.legacy.preprocessing import text as keras_text

    from cornu.preprocessing.text import Tokenizer, tokenizer_from_json

    ref, ours = keras_text.Tokenizer(**kwargs), Tokenizer(**kwargs)
    ref.fit_on_texts(CORPUS)
    ours.fit_on_texts(CORPUS)
    assert ours.word_index == ref.word_index and ours.index_docs == ref.index_docs
    probe = ["the fox and the quick cat", "dog dog END"]
    seqs = ref.texts_to_sequences(probe)
    assert ours.texts_to_sequences(probe) == seqs
    assert ours.sequences_to_texts(seqs + [[1, 2, 50]]) == ref.sequences_to_texts(seqs + [[1, 2, 50]])
    for mode in ("binary", "count", "tfidf", "freq"):
        np.testing.assert_allclose(ours.texts_to_matrix(probe, mode), ref.texts_to_matrix(probe, mode))
    assert json.loads(ours.to_json()) == json.loads(ref.to_json())
    assert tokenizer_from_json(ref.to_json()).word_index == ref.word_index  # reads Keras's files


def test_text_helpers_match_keras():
    from keras.src.legacy.preprocessing import text as keras_text

    from cornu.preprocessing import text

    for sample in CORPUS + ["Tabs\tand\nnew lines -- dashes"]:
        assert text.text_to_word_sequence(sample) == keras_text.text_to_word_sequence(sample)
        assert text.hashing_trick(sample, 17, "md5") == keras_text.hashing_trick(sample, 17, "md5")
        assert text.one_hot(sample, 11) == keras_text.one_hot(sample, 11)


def test_sequence_helpers_match_keras():
    import random

    from keras.src.legacy.preprocessing import sequence as keras_sequence

    from cornu.preprocessing import sequence

    np.testing.assert_allclose(sequence.make_sampling_table(50), keras_sequence.make_sampling_table(50))
    table = np.linspace(0.2, 1.0, 10)
    results = []
    for module in (keras_sequence, sequence):
        random.seed(3)
        results.append(module.skipgrams([1, 5, 0, 3, 9, 2, 2], 10, window_size=2, negative_samples=1.5,
                                        sampling_table=table, seed=4))  # fmt: skip
    assert results[0] == results[1]
    data, targets = np.arange(40).reshape(20, 2), np.arange(20)
    for kwargs in [{}, {"sampling_rate": 2, "stride": 3, "start_index": 2, "end_index": 17}, {"reverse": True}]:
        ref = keras_sequence.TimeseriesGenerator(data, targets, length=5, batch_size=3, **kwargs)
        ours = sequence.TimeseriesGenerator(data, targets, length=5, batch_size=3, **kwargs)
        assert len(ours) == len(ref)
        for i in range(len(ref)):
            np.testing.assert_array_equal(ours[i][0], ref[i][0])
            np.testing.assert_array_equal(ours[i][1], ref[i][1])


GENERATOR_CONFIGS = [
    {"rotation_range": 30},
    {"zoom_range": 0.3, "fill_mode": "constant", "cval": 7.0},
    {"shear_range": 20, "fill_mode": "reflect"},
    {"horizontal_flip": True, "vertical_flip": True},
    {"channel_shift_range": 20.0},
    {"brightness_range": (0.5, 1.5)},
    {
        "rotation_range": 40,
        "zoom_range": [0.8, 1.1],
        "horizontal_flip": True,
        "rescale": 1 / 255,
        "samplewise_center": True,
        "samplewise_std_normalization": True,
        "fill_mode": "wrap",
    },  # fmt: skip
]


@pytest.mark.parametrize("config", GENERATOR_CONFIGS)
def test_image_data_generator_flow_matches_keras_on_square_images(config):
    """Same seed, same np.random draws, same scipy maps: identical augmented batches (indexed and next())."""
    from keras.src.legacy.preprocessing import image as keras_image

    from cornu.preprocessing.image import ImageDataGenerator

    x = np.random.default_rng(5).uniform(0, 255, size=(7, 8, 8, 3)).astype("float32")
    y = np.arange(7)
    ref = keras_image.ImageDataGenerator(**config).flow(x, y, batch_size=3, seed=11)
    ours = ImageDataGenerator(**config).flow(x, y, batch_size=3, seed=11)
    for i in range(len(ref)):
        (rx, ry), (ox, oy) = ref[i], ours[i]
        np.testing.assert_allclose(ox, rx, atol=1e-4)
        np.testing.assert_array_equal(oy, ry)
    ref.on_epoch_end()
    ours.on_epoch_end()
    for _ in range(4):
        np.testing.assert_allclose(next(ours)[0], next(ref)[0], atol=1e-4)


def test_image_data_generator_fit_statistics_match_keras():
    from keras.src.legacy.preprocessing import image as keras_image

    from cornu.preprocessing.image import ImageDataGenerator

    x = np.random.default_rng(6).normal(size=(12, 4, 4, 3)).astype("float32")
    config = {"featurewise_center": True, "featurewise_std_normalization": True, "rotation_range": 10}
    ref, ours = keras_image.ImageDataGenerator(**config), ImageDataGenerator(**config)
    ref.fit(x, augment=True, rounds=2, seed=1)
    ours.fit(x, augment=True, rounds=2, seed=1)
    np.testing.assert_allclose(ours.mean, ref.mean, rtol=1e-5)
    np.testing.assert_allclose(ours.std, ref.std, rtol=1e-5)
    zca_ref = keras_image.ImageDataGenerator(zca_whitening=True)
    zca_ours = ImageDataGenerator(zca_whitening=True)
    zca_ref.fit(x)
    zca_ours.fit(x)
    np.testing.assert_allclose(zca_ours.zca_whitening_matrix, zca_ref.zca_whitening_matrix, rtol=1e-4, atol=1e-4)


def test_flow_from_directory_matches_keras(tmp_path):
    from keras.src.legacy.preprocessing import image as keras_image

    from cornu.preprocessing.image import ImageDataGenerator

    rng = np.random.default_rng(7)
    for cls, count in [("b", 4), ("a", 5), ("c/deep", 2)]:
        os.makedirs(tmp_path / cls)
        for i in range(count):
            image_utils.save_img(str(tmp_path / cls / f"{i}.png"), rng.uniform(0, 255, size=(9, 7, 3)), scale=False)
    config = {"rotation_range": 20, "horizontal_flip": True, "validation_split": 0.3}
    for subset in ("training", "validation"):
        kwargs = dict(target_size=(6, 6), batch_size=4, seed=2, subset=subset, class_mode="categorical")
        ref = keras_image.ImageDataGenerator(**config).flow_from_directory(str(tmp_path), **kwargs)
        ours = ImageDataGenerator(**config).flow_from_directory(str(tmp_path), **kwargs)
        assert ours.filenames == ref.filenames and ours.class_indices == ref.class_indices
        for i in range(len(ref)):
            np.testing.assert_allclose(ours[i][0], ref[i][0], atol=1e-4)
            np.testing.assert_array_equal(ours[i][1], ref[i][1])


def test_height_shift_moves_rows_unlike_keras_3_15():
    """Deliberate difference: Keras 3.15 feeds the height shift into the column axis (its docs say vertical);
    cornu shifts vertically. On a 5x5 image with one bright pixel, Keras moves it sideways, cornu up or down."""
    from keras.src.legacy.preprocessing import image as keras_image

    from cornu.preprocessing.image import ImageDataGenerator

    x = np.zeros((5, 5, 1), "float32")
    x[2, 2] = 1.0
    config = {"height_shift_range": [1], "fill_mode": "constant"}
    ref = keras_image.ImageDataGenerator(**config).random_transform(x, seed=0)
    ours = ImageDataGenerator(**config).random_transform(x, seed=0)
    (rr, rc), (orow, ocol) = np.argwhere(ref[..., 0] > 0.5)[0], np.argwhere(ours[..., 0] > 0.5)[0]
    assert rr == 2 and rc != 2  # Keras: sideways
    assert ocol == 2 and orow != 2  # cornu: vertically


def test_non_square_rotation_is_about_the_centre_unlike_keras_3_15():
    """Deliberate difference: Keras 3.15 takes the rotation centre's offsets from the wrong axes, so a 180 degree
    turn of a 3x5 image leaves 2 of its 15 pixels; cornu returns the image turned about its centre."""
    from keras.src.legacy.preprocessing import image as keras_image

    from cornu.preprocessing.image_transforms import apply_affine_transform

    x = np.arange(15.0).reshape(3, 5, 1) + 1
    axes = dict(row_axis=0, col_axis=1, channel_axis=2, fill_mode="constant")
    assert np.count_nonzero(keras_image.apply_affine_transform(x, theta=180, **axes)) <= 2  # of 15 pixels
    # (fill_mode="nearest": sin(pi) is 1e-16, not 0, and "constant" blanks samples a hair outside the border)
    turned = apply_affine_transform(x, theta=180, row_axis=0, col_axis=1, channel_axis=2, fill_mode="nearest")
    np.testing.assert_allclose(turned, x[::-1, ::-1], atol=1e-6)
    square = np.random.default_rng(8).normal(size=(6, 6, 2))
    for params in [{"theta": 33}, {"tx": 1.5, "ty": -2}, {"shear": 12, "zx": 0.7, "zy": 1.2}]:
        np.testing.assert_allclose(apply_affine_transform(square, **params, **axes),
                                   keras_image.apply_affine_transform(square, **params, **axes), atol=1e-6)  # fmt: skip
