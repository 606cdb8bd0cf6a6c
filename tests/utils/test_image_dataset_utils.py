import os

import numpy as np
import pytest

from cornu.utils import image_utils
from cornu.utils.image_dataset_utils import image_dataset_from_directory
from cornu.utils.text_dataset_utils import text_dataset_from_directory

pytest.importorskip("PIL")


def _write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image_utils.save_img(path, np.asarray(array, dtype="float32"), scale=False)


@pytest.fixture
def folder(tmp_path):
    """Two classes; each image is filled with a value that names it (class * 100 + index)."""
    for cls, name in enumerate(["b_dogs", "a_cats"]):
        for i in range(3 + cls):
            _write(str(tmp_path / name / f"img{i}.png"), np.full((6, 4, 3), 100 * cls + i * 10))
    return str(tmp_path)


def test_labels_from_sorted_subdirectories_and_file_order(folder):
    ds = image_dataset_from_directory(folder, image_size=(6, 4), batch_size=3, shuffle=False, verbose=False)
    assert ds.class_names == ["a_cats", "b_dogs"] and len(ds) == 3
    names = [os.path.relpath(p, folder) for p in ds.file_paths]
    assert names == [f"a_cats/img{i}.png" for i in range(4)] + [f"b_dogs/img{i}.png" for i in range(3)]
    images = np.concatenate([x for x, _ in ds])
    labels = np.concatenate([y for _, y in ds])
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, 1] and labels.dtype == np.int32
    assert images.dtype == np.float32 and images.shape == (7, 6, 4, 3)
    assert images[:, 0, 0, 0].tolist() == [100.0, 110.0, 120.0, 130.0, 0.0, 10.0, 20.0]


@pytest.mark.parametrize(
    "label_mode, expected",
    [("categorical", [[1.0, 0.0], [0.0, 1.0]]), ("binary", [[0.0], [1.0]]), ("int", [0, 1])],
)
def test_label_modes(folder, label_mode, expected):
    ds = image_dataset_from_directory(folder, label_mode=label_mode, image_size=(2, 2), batch_size=None,
                                      shuffle=False, verbose=False)  # fmt: skip
    assert [ds[0][1].tolist(), ds[6][1].tolist()] == expected


def test_label_mode_none_and_explicit_labels(folder):
    ds = image_dataset_from_directory(folder, labels=None, image_size=(2, 2), shuffle=False, verbose=False)
    assert ds[0].shape == (7, 2, 2, 3) and ds.class_names is None
    ds = image_dataset_from_directory(folder, labels=[5, 5, 5, 5, 7, 7, 7], image_size=(2, 2), shuffle=False,
                                      verbose=False)  # fmt: skip
    assert ds[0][1].tolist() == [5, 5, 5, 5, 7, 7, 7] and ds.class_names == ["5", "7"]


def test_class_names_choose_and_order_classes(folder):
    ds = image_dataset_from_directory(folder, class_names=["b_dogs"], image_size=(2, 2), shuffle=False,
                                      verbose=False)  # fmt: skip
    assert ds.class_names == ["b_dogs"] and ds[0][1].tolist() == [0, 0, 0]


def test_validation_split_is_keras_numpy_shuffle_then_last_fraction(folder):
    train, val = image_dataset_from_directory(folder, image_size=(2, 2), validation_split=0.3, subset="both",
                                              seed=42, verbose=False)  # fmt: skip
    files = sorted(os.path.join(folder, c, f"img{i}.png") for c, n in [("a_cats", 4), ("b_dogs", 3)] for i in range(n))
    np.random.RandomState(42).shuffle(files)  # Keras's rule: numpy shuffle with the seed, last int(0.3 * 7) files
    assert train.file_paths == files[:-2] and val.file_paths == files[-2:]
    alone = image_dataset_from_directory(folder, image_size=(2, 2), validation_split=0.3, subset="validation",
                                         seed=42, verbose=False)  # fmt: skip
    assert alone.file_paths == val.file_paths
    assert sorted(v for _, y in val for v in y.tolist()) == sorted(int("b_dogs" in f) for f in files[-2:])


def test_resize_crop_and_pad_to_aspect_ratio(tmp_path):
    image = np.zeros((4, 8, 1))
    image[:, 2:6] = 200.0  # a bright centre band two pixels from each side
    _write(str(tmp_path / "c" / "x.png"), np.repeat(image, 3, axis=2))
    kwargs = dict(image_size=(4, 4), color_mode="grayscale", batch_size=None, verbose=False, shuffle=False)
    cropped = image_dataset_from_directory(str(tmp_path), crop_to_aspect_ratio=True, **kwargs)[0][0]
    assert cropped[..., 0].tolist() == [[200.0] * 4] * 4  # the centre 4x4 crop is all band
    padded = image_dataset_from_directory(str(tmp_path), pad_to_aspect_ratio=True, interpolation="nearest",
                                          **kwargs)[0][0]  # fmt: skip
    assert padded[0, :, 0].tolist() == [0.0, 0.0, 0.0, 0.0] and padded[2, :, 0].tolist() == [0.0, 200.0, 200.0, 0.0]
    squeezed = image_dataset_from_directory(str(tmp_path), interpolation="nearest", **kwargs)[0][0]
    assert squeezed[0, :, 0].tolist() == [0.0, 200.0, 200.0, 0.0]


def test_image_size_none_keeps_size_and_channels_first(folder):
    ds = image_dataset_from_directory(folder, image_size=None, data_format="channels_first", color_mode="rgba",
                                      verbose=False, shuffle=False)  # fmt: skip
    assert ds[0][0].shape == (7, 4, 6, 4) and ds[0][0][0, 3, 0, 0] == 255.0


def test_fit_on_an_image_directory(folder):
    import cornu

    ds = image_dataset_from_directory(folder, image_size=(4, 4), batch_size=4, seed=1, verbose=False)
    model = cornu.models.Sequential([cornu.layers.Input((4, 4, 3)), cornu.layers.Rescaling(1 / 255),
                                     cornu.layers.Flatten(), cornu.layers.Dense(2)])  # fmt: skip
    model.compile(loss=cornu.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


# Bad input: each error names the path and the fix.


def test_error_directory_with_no_images(tmp_path):
    (tmp_path / "cls").mkdir()
    (tmp_path / "cls" / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match=rf"No images found in directory '{tmp_path}'.*one subdirectory per class"):
        image_dataset_from_directory(str(tmp_path), verbose=False)


def test_error_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="Directory not found: .*nope"):
        image_dataset_from_directory(str(tmp_path / "nope"))


def test_error_corrupt_image_names_the_file(tmp_path):
    _write(str(tmp_path / "a" / "good.png"), np.zeros((2, 2, 3)))
    (tmp_path / "a" / "bad.jpg").write_bytes(b"not a jpeg")
    ds = image_dataset_from_directory(str(tmp_path), shuffle=False, verbose=False, image_size=(2, 2))
    with pytest.raises(ValueError, match=r"Could not read the image file '.*bad\.jpg'.*delete or replace it"):
        ds[0]


def test_error_mixed_sizes_without_image_size(tmp_path):
    _write(str(tmp_path / "a" / "1.png"), np.zeros((2, 2, 3)))
    _write(str(tmp_path / "a" / "2.png"), np.zeros((3, 5, 3)))
    with pytest.raises(ValueError, match=r"'.*1\.png' is 2x2 and '.*2\.png' is 3x5.*image_size=\(2, 2\)"):
        image_dataset_from_directory(str(tmp_path), image_size=None, shuffle=False, verbose=False)


def test_error_labels_do_not_match_the_file_count(folder):
    with pytest.raises(ValueError, match=rf"labels has 2 entries but '{folder}' holds 7 image files.*one label per"):
        image_dataset_from_directory(folder, labels=[0, 1], verbose=False)


def test_error_class_names_do_not_match_subdirectories(folder):
    with pytest.raises(ValueError, match=r"no subdirectory named \['birds'\]\. The subdirectories are \['a_cats'"):
        image_dataset_from_directory(folder, class_names=["a_cats", "birds"], verbose=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"validation_split": 0.2, "subset": "training"}, "pass a seed"),
        ({"validation_split": 0.2}, "pass both"),
        ({"label_mode": "binary", "class_names": ["a_cats"]}, "exactly 2 classes"),
        ({"interpolation": "lanczos3"}, "not available in cornu"),
        ({"image_size": 5.0}, r"image_size must be \(height, width\)"),
        ({"color_mode": "cmyk"}, "color_mode must be"),
        ({"labels": [0] * 7, "class_names": ["a"]}, "only be given with labels='inferred'"),
    ],
)
def test_argument_errors(folder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        image_dataset_from_directory(folder, verbose=False, **kwargs)


def test_text_dataset_from_directory(tmp_path):
    for label, texts in [("pos", ["good", "great fun"]), ("neg", ["bad"])]:
        (tmp_path / label).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text)
    ds = text_dataset_from_directory(str(tmp_path), shuffle=False, max_length=4, label_mode="binary", verbose=False)
    texts, labels = ds[0]
    assert texts.tolist() == ["bad", "good", "grea"] and labels.tolist() == [[0.0], [1.0], [1.0]]
    train, val = text_dataset_from_directory(str(tmp_path), validation_split=0.34, subset="both", seed=3,
                                             verbose=False)  # fmt: skip
    assert len(train.file_paths) == 2 and len(val.file_paths) == 1
    assert not set(train.file_paths) & set(val.file_paths)
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"No text files found in directory '.*empty'"):
        text_dataset_from_directory(str(tmp_path / "empty"), verbose=False)


def test_error_categorical_labels_out_of_range(folder):
    with pytest.raises(ValueError, match=r"needs labels in \[0, 1\] \(2 classes\), but they span \[5, 7\]"):
        image_dataset_from_directory(folder, labels=[5, 5, 5, 5, 7, 7, 7], label_mode="categorical", verbose=False)


def test_image_dataset_reads_ahead_in_threads_with_the_same_batches(folder):
    from cornu.utils import PyDataset
    from cornu.utils.py_dataset import batches_in_order

    ds = image_dataset_from_directory(folder, image_size=(3, 3), batch_size=2, seed=4, verbose=False)
    assert isinstance(ds, PyDataset) and ds.workers >= 1
    ds.workers = 3
    threaded = [y.tolist() for _, y in batches_in_order(ds, range(len(ds)))]
    assert threaded == [y.tolist() for _, y in ds]


def test_validation_half_of_both_is_in_order_but_a_lone_subset_shuffles(folder):
    kwargs = dict(image_size=(2, 2), validation_split=0.5, seed=1, verbose=False, batch_size=None)
    _, val = image_dataset_from_directory(folder, subset="both", **kwargs)
    assert [int(i) for i in val._order] == list(range(len(val)))
    alone = image_dataset_from_directory(folder, subset="validation", **kwargs)
    assert alone.file_paths == val.file_paths and sorted(alone._order.tolist()) == list(range(len(alone)))
    assert alone._order.tolist() != list(range(len(alone)))
