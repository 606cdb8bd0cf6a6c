"""Pooling layers against NumPy: window values, TensorFlow's 'same' windows, global poolings, masks, errors."""

import numpy as np
import pytest
import torch

from cornu.layers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling3D,
    Input,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from cornu.layers.pooling import average_pool, max_pool


def test_max_pooling2d_takes_window_maxima(rng):
    x = rng.normal(size=(2, 4, 6, 3)).astype("float32")
    expected = x.reshape(2, 2, 2, 3, 2, 3).max(axis=(2, 4))
    np.testing.assert_array_equal(MaxPooling2D()(x).numpy(), expected)
    np.testing.assert_allclose(AveragePooling2D(2)(x).numpy(), x.reshape(2, 2, 2, 3, 2, 3).mean(axis=(2, 4)), rtol=1e-6)


def test_same_windows_follow_tensorflow():
    """Length 8, window 3, stride 2: one padded cell after the end. It never wins a max and is not counted."""
    x = torch.arange(8.0).reshape(1, 8, 1)
    assert max_pool(-x, 3, 2, "same")[0, :, 0].tolist() == [-0.0, -2.0, -4.0, -6.0]
    assert average_pool(x, 3, 2, "same")[0, :, 0].tolist() == [1.0, 3.0, 5.0, 6.5]
    # symmetric padding (length 5, window 3, stride 1): the edges average two real cells
    assert AveragePooling1D(3, strides=1, padding="same")(np.arange(5.0).reshape(1, 5, 1))[0, :, 0].tolist() == [
        0.5,
        1.0,
        2.0,
        3.0,
        3.5,
    ]


def test_average_pooling_same_gradient_float64():
    x = torch.randn(1, 5, 7, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: average_pool(t, (2, 3), (2, 2), "same"), (x,))
    assert torch.autograd.gradcheck(lambda t: max_pool(t, 3, 2, "same"), (x,))


def test_3d_and_channels_first(rng):
    x = rng.normal(size=(1, 4, 4, 4, 2)).astype("float32")
    np.testing.assert_allclose(
        AveragePooling3D(2)(x).numpy(), x.reshape(1, 2, 2, 2, 2, 2, 2, 2).mean(axis=(2, 4, 6)), rtol=1e-6
    )
    first = MaxPooling3D(data_format="channels_first")(np.moveaxis(x, -1, 1).copy()).numpy()
    np.testing.assert_array_equal(np.moveaxis(first, 1, -1), MaxPooling3D()(x).numpy())


def test_strides_default_to_pool_size_and_shapes():
    layer = MaxPooling1D(3)
    assert layer.strides == (3,) and layer.get_config()["strides"] == (3,)
    assert MaxPooling2D((2, 2), padding="same")(Input((5, 7, 3))).shape == (None, 3, 4, 3)
    assert AveragePooling2D(3, strides=1)(Input((None, 7, 3))).shape == (None, None, 5, 3)


def test_global_pooling(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    np.testing.assert_allclose(GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(
        GlobalAveragePooling2D(data_format="channels_first", keepdims=True)(x).numpy(),
        x.mean(axis=(2, 3), keepdims=True),
        rtol=1e-6,
    )
    x3 = rng.normal(size=(2, 2, 3, 4, 5)).astype("float32")
    np.testing.assert_array_equal(GlobalMaxPooling3D()(x3).numpy(), x3.max(axis=(1, 2, 3)))
    assert GlobalMaxPooling1D(keepdims=True)(Input((7, 4))).shape == (None, 1, 4)


def test_global_average_pooling1d_skips_masked_steps(rng):
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    got = GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(got, np.stack([x[0, :2].mean(0), x[1].mean(0)]), rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match=r"expects inputs of shape \(batch, rows, cols, channels\)"):
        MaxPooling2D()(np.ones((1, 4, 4)))
    with pytest.raises(ValueError, match=r"pool_size=\(3, 3\) with padding='valid'.*larger than"):
        MaxPooling2D(3)(np.ones((1, 2, 5, 1)))
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        AveragePooling1D(2, padding="causal")
    with pytest.raises(ValueError, match="pool_size"):
        MaxPooling2D((2, 2, 2))
    with pytest.raises(TypeError):
        AveragePooling2D()  # as in Keras, average pooling has no default window
