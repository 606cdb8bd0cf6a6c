import io

import numpy as np
import pytest

from cornu.utils.image_utils import array_to_img, img_to_array, load_img, resize_images, save_img, smart_resize

pytest.importorskip("PIL")


def test_save_and_load_round_trip_exact_for_png(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, size=(5, 7, 3)).astype("float32")
    save_img(str(tmp_path / "x.png"), x, scale=False)
    back = img_to_array(load_img(str(tmp_path / "x.png")))
    np.testing.assert_array_equal(back, x)
    gray = img_to_array(load_img(str(tmp_path / "x.png"), color_mode="grayscale"))
    assert gray.shape == (5, 7, 1)
    rgba = img_to_array(load_img(str(tmp_path / "x.png"), color_mode="rgba"))
    assert rgba.shape == (5, 7, 4) and (rgba[..., 3] == 255).all()


def test_load_img_target_size_keep_aspect_ratio_crops_the_centre(tmp_path):
    x = np.zeros((4, 8, 3), "float32")
    x[:, 2:6] = 255.0
    save_img(str(tmp_path / "x.png"), x, scale=False)
    img = load_img(str(tmp_path / "x.png"), target_size=(2, 2), keep_aspect_ratio=True)
    assert img.size == (2, 2) and img_to_array(img).min() == 255.0
    with open(tmp_path / "x.png", "rb") as f:
        assert load_img(io.BytesIO(f.read())).size == (8, 4)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        load_img(str(tmp_path / "x.png"), target_size=(3, 3), interpolation="cubic")


def test_array_to_img_scales_to_0_255_and_channels_first():
    img = array_to_img(np.array([[[-1.0], [0.0], [1.0]]]).transpose(2, 0, 1), data_format="channels_first")
    assert img.mode == "L" and [img.getpixel((i, 0)) for i in range(3)] == [0, 127, 255]
    assert array_to_img(np.full((1, 1, 1), 1000.0), scale=False).mode == "I"
    assert img_to_array(array_to_img(np.zeros((2, 3, 3))), data_format="channels_first").shape == (3, 2, 3)
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        array_to_img(np.zeros((2, 2, 2)))


def test_smart_resize_is_centre_crop_then_resize():
    x = np.arange(24.0).reshape(4, 6, 1)
    np.testing.assert_array_equal(smart_resize(x, (4, 4)), x[:, 1:5])
    batch = smart_resize(np.stack([x, x]), (2, 3))
    assert batch.shape == (2, 2, 3, 1)


def test_resize_bilinear_half_pixel_closed_form():
    # Halving with half-pixel centres averages each 2x2 block exactly.
    x = np.arange(16.0).reshape(4, 4, 1)
    expected = x.reshape(2, 2, 2, 2).mean(axis=(1, 3))[..., None]
    np.testing.assert_allclose(resize_images(x, (2, 2)), expected)
