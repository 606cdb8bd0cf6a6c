"""Dropout, SpatialDropout1D/2D, GaussianNoise, GaussianDropout and ActivityRegularization: inference is the
identity, training statistics and scaling, seeding, noise shapes, losses, configs and errors."""

import numpy as np
import pytest
import torch

from cornu.layers import (
    ActivityRegularization,
    Dense,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    Input,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from cornu.models import Sequential


@pytest.mark.parametrize(
    "layer", [Dropout(0.5), GaussianNoise(0.5), GaussianDropout(0.5), SpatialDropout1D(0.5), Dropout(0.5, seed=1)]
)
def test_inference_is_the_identity(layer):
    x = torch.randn(2, 3, 4)
    assert layer(x) is x and layer(x, training=False) is x


def test_dropout_keeps_the_expected_fraction_scaled_by_one_over_keep():
    out = Dropout(0.25)(torch.ones(200, 100), training=True).numpy()
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.01
    assert abs(out.mean() - 1.0) < 0.02  # the scaling keeps the expected sum


def test_dropout_seed_repeats_the_mask_sequence():
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    x = torch.ones(4, 10)
    first = a(x, training=True)
    np.testing.assert_array_equal(first.numpy(), b(x, training=True).numpy())
    assert not torch.equal(first, a(x, training=True))  # the generator moves on between calls


def test_dropout_noise_shape_broadcasts_one_draw_over_the_none_free_axes():
    out = Dropout(0.5, noise_shape=(None, 1, 6), seed=0)(torch.ones(3, 5, 6), training=True)
    assert (out == out[:, :1, :]).all() and (out == 0).any() and (out == 2).any()
    with pytest.raises(ValueError, match="one entry per input axis"):
        Dropout(0.5, noise_shape=(1, 6))(torch.ones(3, 5, 6), training=True)


def test_dropout_rate_bounds_are_keras_0_to_1_inclusive():
    np.testing.assert_array_equal(Dropout(1.0)(torch.ones(2, 2), training=True).numpy(), np.zeros((2, 2)))
    x = torch.ones(2, 2)
    assert Dropout(0.0)(x, training=True) is x
    for rate in (-0.1, 1.5, "0.5", None):
        with pytest.raises(ValueError, match="rate must be a float between 0 and 1"):
            Dropout(rate)
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(2, 0))
    with pytest.raises(ValueError, match="seed"):
        Dropout(0.5, seed="x")


def test_dropout_runs_in_training_only_inside_fit(rng):
    model = Sequential([Input((20,)), Dropout(0.9), Dense(1, kernel_initializer="ones", use_bias=False)])
    x = np.ones((64, 20), "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), 20.0)  # inference: no dropout
    model.compile(optimizer="sgd", loss="mse")
    loss = model.train_on_batch(x, np.full((64, 1), 20.0, "float32"))
    assert float(np.ravel(loss)[0]) > 1.0  # training: 90% of inputs dropped, the rest scaled by 10


def test_spatial_dropout_drops_whole_channels():
    out = SpatialDropout1D(0.5, seed=1)(torch.ones(8, 4, 6), training=True)
    assert (out == out[:, :1]).all() and set(out.unique().tolist()) == {0.0, 2.0}
    out = SpatialDropout2D(0.5, seed=1)(torch.ones(8, 3, 3, 6), training=True)
    assert (out == out[:, :1, :1]).all() and set(out.unique().tolist()) == {0.0, 2.0}
    out = SpatialDropout2D(0.5, data_format="channels_first", seed=1)(torch.ones(8, 6, 3, 3), training=True)
    assert (out == out[:, :, :1, :1]).all()
    out = SpatialDropout3D(0.5, data_format="channels_first", seed=1)(torch.ones(8, 6, 2, 2, 2), training=True)
    assert (out == out[:, :, :1, :1, :1]).all() and set(out.unique().tolist()) == {0.0, 2.0}
    with pytest.raises(ValueError, match=r"expects 3D inputs, but received inputs of shape \(2, 3\)"):
        SpatialDropout1D(0.5)(torch.ones(2, 3), training=True)
    config = SpatialDropout2D(0.3, seed=2).get_config()
    assert config == {
        "rate": 0.3,
        "seed": 2,
        "name": config["name"],
        "dtype": "float32",
        "data_format": "channels_last",
    }
    assert SpatialDropout2D.from_config(config).get_config() == config


def test_gaussian_noise_and_dropout_statistics():
    noise = GaussianNoise(0.2, seed=0)(torch.full((300, 100), 3.0), training=True) - 3.0
    assert abs(float(noise.std()) - 0.2) < 0.005 and abs(float(noise.mean())) < 0.005
    factor = GaussianDropout(0.2, seed=0)(torch.ones(300, 100), training=True)
    assert abs(float(factor.std()) - 0.5) < 0.01 and abs(float(factor.mean()) - 1.0) < 0.01  # sqrt(0.2 / 0.8)


def test_noise_layer_errors_and_configs():
    with pytest.raises(ValueError, match="stddev must be a float between 0 and 1"):
        GaussianNoise(1.5)
    # Deliberate difference: Keras accepts rate=1 and then divides by zero at the first training call.
    with pytest.raises(ValueError, match=r"rate must be a float in \[0, 1\)"):
        GaussianDropout(1.0)
    for layer in (GaussianNoise(0.1, seed=3), GaussianDropout(0.4), Dropout(0.2, noise_shape=[None, 1], seed=4)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert Dropout(0.2, noise_shape=[None, 1]).get_config()["noise_shape"] == (None, 1)


def test_activity_regularization_adds_the_batch_averaged_penalty():
    x = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    layer = ActivityRegularization(l1=0.1, l2=0.01)
    assert layer(x) is x
    expected = (0.1 * 6.0 + 0.01 * 14.0) / 2
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-6)
    config = layer.get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.01 and "activity_regularizer" not in config
    assert ActivityRegularization.from_config(config).get_config() == config
