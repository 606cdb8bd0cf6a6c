"""Flatten, Reshape, Permute and RepeatVector against numpy: values, symbolic shapes, configs and errors."""

import numpy as np
import pytest
import torch

from cornu.layers import Dense, Flatten, Input, Permute, RepeatVector, Reshape
from cornu.models import Sequential


def test_flatten_channels_last_and_channels_first(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    np.testing.assert_array_equal(Flatten()(x).numpy(), x.reshape(2, -1))
    # channels_first: the channel axis moves last first, so features line up with the channels_last model's
    np.testing.assert_array_equal(
        Flatten(data_format="channels_first")(x).numpy(), x.transpose(0, 2, 3, 1).reshape(2, -1)
    )
    assert Flatten()(np.ones(3)).shape == (3, 1)
    assert Flatten()(Input((3, None))).shape == (None, None)
    assert Flatten()(Input((3, 4))).shape == (None, 12)


def test_reshape_resolves_minus_one(rng):
    x = rng.normal(size=(2, 12)).astype("float32")
    np.testing.assert_array_equal(Reshape((3, -1))(x).numpy(), x.reshape(2, 3, 4))
    assert Reshape((-1, 2))(Input((6,))).shape == (None, 3, 2)
    assert Reshape((-1, 2)).compute_output_shape((None, None)) == (None, None, 2)
    assert Reshape([4, 3]).get_config()["target_shape"] == (4, 3)


def test_reshape_errors():
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((0, 2))
    with pytest.raises(ValueError, match=r"cannot reshape samples of shape \(5,\) \(5 values\)"):
        Reshape((2, 3))(Input((5,)))
    with pytest.raises(ValueError, match="same number of values"):
        Reshape((-1, 2))(torch.ones(2, 5))


def test_permute_and_repeat_vector(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    np.testing.assert_array_equal(Permute((3, 1, 2))(x).numpy(), x.transpose(0, 3, 1, 2))
    assert Permute((2, 1))(Input((3, 7))).shape == (None, 7, 3)
    v = rng.normal(size=(2, 4)).astype("float32")
    np.testing.assert_array_equal(RepeatVector(3)(v).numpy(), np.repeat(v[:, None], 3, axis=1))
    assert RepeatVector(3)(Input((4,))).shape == (None, 3, 4)


def test_permute_and_repeat_vector_errors():
    with pytest.raises(ValueError, match=r"permutation of 1..2.*Received: dims=\(0, 1\)"):
        Permute((0, 1))
    with pytest.raises(ValueError, match="rank 3"):
        Permute((2, 1))(torch.ones(2, 3))
    with pytest.raises(TypeError, match="n must be an integer"):
        RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive"):
        RepeatVector(0)
    with pytest.raises(ValueError, match=r"Add Flatten\(\) before it"):
        RepeatVector(2)(torch.ones(2, 3, 4))


def test_configs_round_trip():
    for layer in (Flatten(data_format="channels_first"), Reshape((2, -1)), Permute((2, 1)), RepeatVector(4)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    with pytest.raises(ValueError, match="data_format"):
        Flatten(data_format="nchw")


def test_reshaping_in_a_sequential_model_trains(rng):
    model = Sequential([Input((2, 3)), Permute((2, 1)), Flatten(), RepeatVector(2), Reshape((-1,)), Dense(1)])
    x = rng.normal(size=(4, 2, 3)).astype("float32")
    assert model.predict(x, verbose=0).shape == (4, 1)
    kernel = model.layers[-1].get_weights()[0]
    flat = np.tile(x.transpose(0, 2, 1).reshape(4, -1), 2)
    np.testing.assert_allclose(model.predict(x, verbose=0), flat @ kernel, rtol=1e-5, atol=1e-6)
