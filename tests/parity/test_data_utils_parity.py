"""Data utilities against the real Keras 3 (torch backend): pad_sequences, file indexing and splits, resizing,
image conversion, split_dataset, the legacy Tokenizer / text helpers / sequence helpers and ImageDataGenerator.

Keras's dataset builders need TensorFlow (or Grain) for their return value, so file lists, labels and splits are
compared through Keras's own indexing functions, and pixels through `keras.ops.image.resize`, which is what
Keras's TensorFlow-free (Grain) image pipeline calls.
"""

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
