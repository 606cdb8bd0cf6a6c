import os

import numpy as np
import pytest

import cornu
from cornu.preprocessing import image
from cornu.preprocessing.image import ImageDataGenerator, apply_affine_transform
from cornu.utils.image_utils import save_img

pytest.importorskip("scipy")
pytest.importorskip("PIL")

CL = dict(row_axis=0, col_axis=1, channel_axis=2)


def _marked(h=5, w=5, r=0, c=1):
    x = np.zeros((h, w, 1), "float32")
    x[r, c] = 1.0
    return x


def test_rotation_by_90_degrees_is_np_rot90():
    x = np.random.default_rng(0).normal(size=(6, 6, 2)).astype("float32")
    out = apply_affine_transform(x, theta=90, fill_mode="constant", **CL)
    np.testing.assert_allclose(out, np.rot90(x, 1, axes=(0, 1)), atol=1e-5)  # counter-clockwise as displayed
    wide = np.random.default_rng(1).normal(size=(3, 5, 1)).astype("float32")
    np.testing.assert_allclose(apply_affine_transform(wide, theta=180, **CL), wide[::-1, ::-1], atol=1e-5)


def test_integer_shifts_move_content_by_whole_pixels():
    x = _marked(r=2, c=2)
    moved = apply_affine_transform(x, tx=1, fill_mode="constant", **CL)  # tx: columns, content moves left
    assert np.argwhere(moved[..., 0] > 0.5).tolist() == [[2, 1]]
    moved = apply_affine_transform(x, ty=-2, fill_mode="constant", **CL)  # ty: rows, negative moves down
    assert np.argwhere(moved[..., 0] > 0.5).tolist() == [[4, 2]]


def test_fill_modes_and_cval():
    x = np.arange(1.0, 5.0).reshape(1, 4, 1) * np.ones((4, 1, 1))
    shifted = apply_affine_transform(x, tx=2, fill_mode="constant", cval=-1, order=0, **CL)
    assert shifted[0, :, 0].tolist() == [3.0, 4.0, -1.0, -1.0]
    assert apply_affine_transform(x, tx=2, fill_mode="nearest", order=0, **CL)[0, :, 0].tolist() == [3, 4, 4, 4]
    assert apply_affine_transform(x, tx=2, fill_mode="reflect", order=0, **CL)[0, :, 0].tolist() == [3, 4, 4, 3]


def test_zoom_half_enlarges_the_centre():
    x = np.arange(16.0).reshape(4, 4, 1)
    out = apply_affine_transform(x, zx=0.5, zy=0.5, order=1, **CL)
    np.testing.assert_allclose(out[..., 0].mean(), x[1:3, 1:3].mean(), atol=1e-5)


def test_channels_first_matches_channels_last():
    x = np.random.default_rng(2).normal(size=(5, 7, 3)).astype("float32")
    last = apply_affine_transform(x, theta=30, tx=1, zx=0.8, shear=10, **CL)
    first = apply_affine_transform(x.transpose(2, 0, 1), theta=30, tx=1, zx=0.8, shear=10)
    np.testing.assert_allclose(first.transpose(1, 2, 0), last, atol=1e-6)


def test_generator_flips_rescale_and_shift_axes():
    x = np.arange(2 * 3 * 4, dtype="float32").reshape(1, 3, 4, 2)
    flipped = ImageDataGenerator(horizontal_flip=True, vertical_flip=True).apply_transform(
        x[0], {"flip_horizontal": True, "flip_vertical": True}
    )
    np.testing.assert_array_equal(flipped, x[0, ::-1, ::-1])
    gen = ImageDataGenerator(height_shift_range=[1], fill_mode="constant")
    params = gen.get_random_transform((5, 5, 1), seed=0)
    assert params["tx"] == 0 and abs(params["ty"]) == 1  # height shift moves rows, as documented
    moved = gen.apply_transform(_marked(r=2, c=2), params)
    assert np.argwhere(moved[..., 0] > 0.5).tolist() == [[2 - int(params["ty"]), 2]]
    gen = ImageDataGenerator(width_shift_range=0.5)
    for seed in range(5):
        assert abs(gen.get_random_transform((4, 10, 3), seed=seed)["tx"]) <= 5.0
    assert ImageDataGenerator(rescale=0.5).standardize(np.full((1, 1, 1), 4.0)).item() == 2.0


def test_featurewise_standardization_uses_fit_statistics():
    x = np.random.default_rng(3).normal(3.0, 2.0, size=(20, 4, 4, 3)).astype("float32")
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    with pytest.warns(UserWarning, match=r"Call datagen.fit\(x_train\) first"):
        gen.standardize(x[0].copy())
    gen.fit(x)
    np.testing.assert_allclose(gen.mean.ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    out = np.stack([gen.standardize(im.copy()) for im in x])
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    sample = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True).standardize(x[0].copy())
    assert abs(sample.mean()) < 1e-5 and abs(sample.std() - 1) < 1e-4


def test_zca_whitening_decorrelates():
    x = np.random.default_rng(4).normal(size=(50, 2, 2, 1)).astype("float64")
    x[..., 0] += x[:, :1, :1, 0]  # correlate the pixels
    with pytest.warns(UserWarning, match="turns on featurewise_center"):
        gen = ImageDataGenerator(zca_whitening=True, dtype="float64")
    gen.fit(x)
    white = np.stack([gen.standardize(im.copy()) for im in x]).reshape(50, -1)
    # The whitening is of the second moment of the (channel-)centred data, so that moment becomes the identity.
    np.testing.assert_allclose(white.T @ white / 50, np.eye(4), atol=1e-4)


def test_flow_batches_shuffle_seed_subset_and_sample_weight():
    x, y, w = np.arange(10.0).reshape(10, 1, 1, 1), np.arange(10) % 2, np.linspace(0, 1, 10)
    gen = ImageDataGenerator(validation_split=0.2)
    it = gen.flow(x, y, batch_size=4, shuffle=False, sample_weight=w)
    assert len(it) == 3 and it[2][0].ravel().tolist() == [8.0, 9.0] and it[0][2].tolist() == w[:4].tolist()
    val = gen.flow(x, y, batch_size=4, subset="validation", shuffle=False)
    train = gen.flow(x, y, batch_size=4, subset="training", shuffle=False)
    assert val.n == 2 and val[0][0].ravel().tolist() == [0.0, 1.0] and train.n == 8
    a = gen.flow(x, y, batch_size=10, seed=5)[0][1].tolist()
    b = gen.flow(x, y, batch_size=10, seed=5)[0][1].tolist()
    assert a == b and sorted(a) == sorted(y.tolist()) and a != y.tolist()
    endless = gen.flow(x, y, batch_size=4, shuffle=False)
    sizes = [len(next(endless)[0]) for _ in range(4)]
    assert sizes == [4, 4, 2, 4]  # next() wraps around forever, as Keras's iterators do


def test_flow_errors():
    gen = ImageDataGenerator(validation_split=0.5)
    with pytest.raises(ValueError, match=r"rank-4.*x\[\.\.\., None\]"):
        gen.flow(np.zeros((4, 3, 3)))
    with pytest.raises(ValueError, match="same length"):
        gen.flow(np.zeros((4, 3, 3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="ignore_class_split=True"):
        gen.flow(np.zeros((4, 3, 3, 1)), np.array([0, 0, 1, 1]), subset="training")
    with pytest.raises(ValueError, match="zoom_range must be"):
        ImageDataGenerator(zoom_range=(1, 2, 3))
    with pytest.raises(ValueError, match="fill_mode must be"):
        ImageDataGenerator(fill_mode="mirror")


@pytest.fixture
def class_dirs(tmp_path):
    for cls, count in [("cats", 5), ("dogs", 3)]:
        os.makedirs(tmp_path / cls)
        for i in range(count):
            save_img(str(tmp_path / cls / f"{i}.png"), np.full((6, 6, 3), 10.0 * i + (100 if cls == "dogs" else 0)),
                     scale=False)  # fmt: skip
    return str(tmp_path)


def test_flow_from_directory_labels_order_and_split(class_dirs):
    gen = ImageDataGenerator(rescale=1 / 10, validation_split=0.4)
    it = gen.flow_from_directory(class_dirs, target_size=(3, 3), batch_size=8, shuffle=False)
    x, y = it[0]
    assert it.class_indices == {"cats": 0, "dogs": 1} and x.shape == (8, 3, 3, 3)
    assert y.tolist() == [[1.0, 0.0]] * 5 + [[0.0, 1.0]] * 3 and x[:, 0, 0, 0].round(4).tolist() == [
        0.0, 1.0, 2.0, 3.0, 4.0, 10.0, 11.0, 12.0]  # fmt: skip
    val = gen.flow_from_directory(class_dirs, target_size=(3, 3), subset="validation", shuffle=False,
                                  class_mode="sparse")  # fmt: skip
    assert val.filenames == [
        os.path.join("cats", "0.png"),
        os.path.join("cats", "1.png"),
        os.path.join("dogs", "0.png"),
    ]
    assert val[0][1].tolist() == [0.0, 0.0, 1.0]
    only = gen.flow_from_directory(class_dirs, classes=["dogs"], class_mode="binary", target_size=(2, 2))
    assert only.samples == 3 and set(only[0][1].tolist()) == {0.0}
    assert isinstance(gen.flow_from_directory(class_dirs, class_mode=None, target_size=(2, 2))[0], np.ndarray)
    inp = gen.flow_from_directory(class_dirs, class_mode="input", target_size=(2, 2), batch_size=2)[0]
    np.testing.assert_array_equal(inp[0], inp[1])


def test_fit_on_flow_from_directory(class_dirs):
    it = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True).flow_from_directory(
        class_dirs, target_size=(4, 4), batch_size=4, seed=0
    )
    model = cornu.models.Sequential([cornu.layers.Input((4, 4, 3)), cornu.layers.Flatten(),
                                     cornu.layers.Dense(2, activation="softmax")])  # fmt: skip
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(it, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_flow_from_directory_errors(tmp_path, class_dirs):
    save_img(str(tmp_path / "loose.png"), np.zeros((2, 2, 3)))
    os.makedirs(tmp_path / "empty_root" / "cls")
    save_img(str(tmp_path / "empty_root" / "a.png"), np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"No images found in '.*empty_root'.*put them in a subdirectory"):
        ImageDataGenerator().flow_from_directory(str(tmp_path / "empty_root"))
    with pytest.raises(FileNotFoundError, match="Directory not found"):
        ImageDataGenerator().flow_from_directory(str(tmp_path / "missing"))
    with open(os.path.join(class_dirs, "dogs", "broken.jpg"), "wb") as f:
        f.write(b"garbage")
    it = ImageDataGenerator().flow_from_directory(class_dirs, classes=["dogs"], batch_size=8, shuffle=False)
    with pytest.raises(ValueError, match=r"Could not read the image file '.*broken\.jpg'"):
        it[0]


def test_module_exports_keras_names():
    for name in ("load_img", "img_to_array", "array_to_img", "save_img", "smart_resize", "ImageDataGenerator",
                 "NumpyArrayIterator", "DirectoryIterator", "random_rotation", "apply_affine_transform"):  # fmt: skip
        assert callable(getattr(image, name))
    np.random.seed(0)
    assert image.random_rotation(np.ones((3, 3, 1)), 30, **CL).shape == (3, 3, 1)
    assert image.random_shift(np.ones((3, 4, 1)), 0.1, 0.1, **CL).shape == (3, 4, 1)


def test_flow_from_dataframe_says_what_to_use_instead():
    with pytest.raises(NotImplementedError, match="flow_from_directory"):
        ImageDataGenerator().flow_from_dataframe(None)
