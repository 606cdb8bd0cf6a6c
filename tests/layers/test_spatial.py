"""Cropping, ZeroPadding and UpSampling against NumPy: values, argument forms, shapes, configs and errors."""

import numpy as np
import pytest
import torch

from cornu.layers import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Input,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)


def test_cropping(rng):
    x = rng.normal(size=(2, 6, 7, 3)).astype("float32")
    np.testing.assert_array_equal(Cropping2D(((1, 2), (0, 3)))(x).numpy(), x[:, 1:4, 0:4])
    np.testing.assert_array_equal(Cropping2D((1, 2))(x).numpy(), x[:, 1:5, 2:5])
    np.testing.assert_array_equal(Cropping2D(1, data_format="channels_first")(x).numpy(), x[:, :, 1:6, 1:2])
    np.testing.assert_array_equal(Cropping1D(2)(x[:, 0]).numpy(), x[:, 0, 2:5])
    x3 = rng.normal(size=(1, 4, 5, 6, 2)).astype("float32")
    np.testing.assert_array_equal(Cropping3D((1, 0, 2))(x3).numpy(), x3[:, 1:3, :, 2:4])
    assert Cropping2D(((1, 1), (2, 2)))(Input((None, 8, 3))).shape == (None, None, 4, 3)


def test_zero_padding(rng):
    x = rng.normal(size=(1, 2, 3, 2)).astype("float32")
    got = ZeroPadding2D(((1, 0), (2, 1)))(x).numpy()
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0), (1, 0), (2, 1), (0, 0)]))
    got = ZeroPadding2D(1, data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)]))
    np.testing.assert_array_equal(ZeroPadding1D((0, 2))(x[:, 0]).numpy(), np.pad(x[:, 0], [(0, 0), (0, 2), (0, 0)]))
    assert ZeroPadding3D((1, 2, 0))(Input((2, 2, 2, 1))).shape == (None, 4, 6, 2, 1)


def test_upsampling_nearest(rng):
    x = rng.normal(size=(1, 2, 3, 2)).astype("float32")
    np.testing.assert_array_equal(UpSampling2D((2, 3))(x).numpy(), x.repeat(2, 1).repeat(3, 2))
    np.testing.assert_array_equal(UpSampling1D(3)(x[:, 0]).numpy(), x[:, 0].repeat(3, 1))
    x3 = rng.normal(size=(1, 1, 2, 2, 1)).astype("float32")
    np.testing.assert_array_equal(UpSampling3D((2, 1, 2))(x3).numpy(), x3.repeat(2, 1).repeat(2, 3))
    first = UpSampling2D(2, data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(first, x.repeat(2, 2).repeat(2, 3))


def test_upsampling_bilinear_half_pixel_centres():
    """Output cell i samples input coordinate (i + 0.5) / 2 - 0.5, clamped at the edges (TensorFlow's resize)."""
    x = np.array([0.0, 4.0, 8.0], dtype="float32").reshape(1, 1, 3, 1)
    got = UpSampling2D((1, 2), interpolation="bilinear")(x)[0, 0, :, 0].tolist()
    assert got == [0.0, 1.0, 3.0, 5.0, 7.0, 8.0]


def test_configs_match_keras_forms():
    assert Cropping1D(2).get_config()["cropping"] == (2, 2)
    assert "data_format" not in Cropping1D().get_config()
    assert Cropping2D(1).get_config()["cropping"] == ((1, 1), (1, 1))
    assert ZeroPadding1D().get_config()["padding"] == (1, 1)
    assert ZeroPadding2D((1, 2)).get_config()["padding"] == ((1, 1), (2, 2))
    assert UpSampling1D().get_config()["size"] == 2
    assert UpSampling2D(3).get_config()["size"] == (3, 3)
    layer = UpSampling2D((2, 1), interpolation="bilinear")
    assert UpSampling2D.from_config(layer.get_config()).get_config() == layer.get_config()


def test_errors():
    with pytest.raises(ValueError, match=r"crops 6 from an axis of size 6.*nothing would be left"):
        Cropping2D(3)(np.ones((1, 6, 8, 1)))
    with pytest.raises(ValueError, match=r"cropping.*tuple of 2"):
        Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match="non-negative"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match=r"interpolation='nearest' or 'bilinear'.*'bicubic'"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, rows, cols, channels\)"):
        UpSampling2D()(torch.ones(1, 2, 2))
