"""BatchNormalization and LayerNormalization against float64 references: training and inference outputs, Keras's
moving-average update with the biased variance, frozen layers, masks, configs and errors."""

import numpy as np
import pytest
import torch

from cornu.layers import BatchNormalization, Input, LayerNormalization
from cornu.models import Sequential


def _bn_reference(x, axis, gamma, beta, mean, var, eps):
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("shape, axis", [((6, 3), -1), ((4, 2, 2, 3), -1), ((4, 3, 5), 1), ((2, 3), 0)])
def test_batch_norm_training_uses_biased_batch_moments_and_updates_moving_statistics(rng, shape, axis):
    x = rng.normal(size=shape) * 2.0 + 1.0
    layer = BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-3, dtype="float64")
    layer.build_from_shape(shape)
    gamma, beta = rng.normal(size=shape[axis]), rng.normal(size=shape[axis])
    moving_mean, moving_var = rng.normal(size=shape[axis]), rng.random(shape[axis]) + 0.5
    layer.set_weights([gamma, beta, moving_mean, moving_var])
    reduce = tuple(d for d in range(len(shape)) if d != axis % len(shape))
    mean, var = x.mean(axis=reduce), x.var(axis=reduce)  # numpy's var is the biased one
    out = layer(torch.tensor(x), training=True).detach().numpy()
    np.testing.assert_allclose(out, _bn_reference(x, axis % len(shape), gamma, beta, mean, var, 1e-3), rtol=1e-10)
    new = layer.get_weights()
    np.testing.assert_allclose(new[2], 0.9 * moving_mean + 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(new[3], 0.9 * moving_var + 0.1 * var, rtol=1e-12)
    # inference uses the moving statistics and changes nothing
    out = layer(torch.tensor(x), training=False).detach().numpy()
    np.testing.assert_allclose(out, _bn_reference(x, axis % len(shape), gamma, beta, new[2], new[3], 1e-3), rtol=1e-10)
    np.testing.assert_array_equal(layer.get_weights()[3], new[3])


def test_batch_norm_single_value_per_feature_gives_zero_variance_like_keras():
    layer = BatchNormalization(dtype="float64")
    out = layer(torch.tensor([[3.0, -1.0]], dtype=torch.float64), training=True)
    np.testing.assert_array_equal(out.detach().numpy(), [[0.0, 0.0]])
    np.testing.assert_allclose(layer.get_weights()[2], [0.03, -0.01])
    np.testing.assert_allclose(layer.get_weights()[3], [0.99, 0.99])


def test_batch_norm_defaults_and_weight_order():
    layer = BatchNormalization()
    assert (layer.axis, layer.momentum, layer.epsilon, layer.center, layer.scale) == (-1, 0.99, 1e-3, True, True)
    layer.build_from_shape((None, 4))
    assert [w.keras_name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.keras_name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.keras_name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert [w.tolist() for w in layer.get_weights()] == [[1.0] * 4, [0.0] * 4, [0.0] * 4, [1.0] * 4]
    partial = BatchNormalization(center=False, scale=False)
    partial.build_from_shape((None, 4))
    assert [w.keras_name for w in partial.weights] == ["moving_mean", "moving_variance"]


def test_frozen_batch_norm_runs_in_inference_and_keeps_its_statistics(rng):
    x = torch.tensor(rng.normal(size=(8, 3)) * 3 + 2, dtype=torch.float32)
    layer = BatchNormalization()
    layer(x, training=True)
    before = layer.get_weights()
    layer.trainable = False
    out = layer(x, training=True).detach().numpy()
    expected = _bn_reference(x.numpy(), 1, *[w.astype("float64") for w in before], 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_batch_norm_in_a_fitted_model_moves_its_statistics_towards_the_data(rng):
    x = (rng.normal(size=(64, 2)) * 2.0 + 5.0).astype("float32")
    model = Sequential([Input((2,)), BatchNormalization(momentum=0.5)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((64, 2), "float32"), batch_size=64, epochs=8, verbose=0)
    mean, var = model.layers[0].get_weights()[2:]
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=0.01)
    np.testing.assert_allclose(var, x.var(axis=0), rtol=0.02)


def test_batch_norm_mask_excludes_positions_from_the_statistics(rng):
    x = rng.normal(size=(2, 4, 3))
    mask = np.array([[True, True, False, True], [False, True, True, True]])
    layer = BatchNormalization(momentum=0.0, dtype="float64")
    layer(torch.tensor(x), training=True, mask=torch.tensor(mask))
    kept = x[mask]
    np.testing.assert_allclose(layer.get_weights()[2], kept.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(layer.get_weights()[3], kept.var(axis=0), rtol=1e-6)
    with pytest.raises(ValueError, match="one axis fewer"):
        layer(torch.tensor(x), training=True, mask=torch.ones(2, 4, 3, dtype=torch.bool))


def test_batch_norm_gradients_match_float64_autograd_reference(rng):
    x64 = torch.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    layer = BatchNormalization(dtype="float64")
    out = layer(x64, training=True)
    (out * torch.arange(15.0, dtype=torch.float64).reshape(5, 3)).sum().backward()
    x_ref = x64.detach().clone().requires_grad_(True)
    mean, var = x_ref.mean(0), x_ref.var(0, unbiased=False)
    ref = (x_ref - mean) / torch.sqrt(var + 1e-3)
    (ref * torch.arange(15.0, dtype=torch.float64).reshape(5, 3)).sum().backward()
    np.testing.assert_allclose(x64.grad.numpy(), x_ref.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_batch_norm_config_round_trip_and_errors():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_regularizer="l2")
    config = layer.get_config()
    assert config["axis"] == 1 and config["momentum"] == 0.9 and config["epsilon"] == 1e-5 and not config["center"]
    assert config["synchronized"] is False and config["renorm"] is False
    assert BatchNormalization.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="synchronized=False"):
        BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="keys 'rmax', 'rmin' and 'dmax'"):
        BatchNormalization(renorm=True, renorm_clipping={"rmx": 2.0})
    with pytest.raises(ValueError, match="rmax >= rmin"):
        BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 2.0})
    with pytest.raises(ValueError, match="dmax >= 0"):
        BatchNormalization(renorm=True, renorm_clipping={"dmax": -1.0})
    with pytest.raises(ValueError, match=r"axis 3 of inputs of shape \(None, 4\)"):
        BatchNormalization(axis=3).build_from_shape((None, 4))


@pytest.mark.parametrize("shape, axis", [((3, 5), -1), ((2, 3, 4), [1, 2]), ((2, 3, 4), 1), ((2, 3, 4, 2), [1, 3])])
def test_layer_norm_matches_float64_reference(rng, shape, axis):
    x = rng.normal(size=shape) * 3.0 + 1.0
    layer = LayerNormalization(axis=axis, epsilon=1e-3, dtype="float64")
    layer.build_from_shape(shape)
    axes = [a % len(shape) for a in (axis if isinstance(axis, list) else [axis])]
    gamma, beta = rng.normal(size=layer.get_weights()[0].shape), rng.normal(size=layer.get_weights()[1].shape)
    layer.set_weights([gamma, beta])
    mean, var = x.mean(axis=tuple(axes), keepdims=True), x.var(axis=tuple(axes), keepdims=True)
    broadcast = [shape[d] if d in axes else 1 for d in range(len(shape))]
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(broadcast) + beta.reshape(broadcast)
    for training in (False, True):  # per-sample statistics: the same either way
        np.testing.assert_allclose(layer(torch.tensor(x), training=training).detach().numpy(), expected, rtol=1e-10)


def test_layer_norm_weights_config_and_errors():
    layer = LayerNormalization(axis=[1, 2], center=False)
    layer.build_from_shape((None, 3, 4))
    assert [w.keras_name for w in layer.weights] == ["gamma"] and layer.get_weights()[0].shape == (3, 4)
    config = layer.get_config()
    assert config["axis"] == [1, 2] and config["epsilon"] == 1e-3 and config["rms_scaling"] is False
    assert LayerNormalization.from_config(config).get_config() == config
    with pytest.raises(TypeError, match="axis"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match=r"axis 2 of inputs of shape \(None, 4\)"):
        LayerNormalization(axis=2).build_from_shape((None, 4))


def test_layer_norm_rms_scaling_is_keras_deprecated_variance_scaling(rng):
    x = rng.normal(size=(2, 5)) + 2.0
    with pytest.warns(DeprecationWarning, match="rms_scaling"):
        layer = LayerNormalization(rms_scaling=True, dtype="float64")
    out = layer(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(out, x / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-3), rtol=1e-10)
    assert [w.keras_name for w in layer.weights] == ["gamma"]


def test_batch_renormalization_first_step_and_clipping_closed_forms(rng):
    x = rng.normal(size=(8, 2)) * 3.0 + 1.0
    mean, var = x.mean(0), x.var(0)
    stddev = np.sqrt(var + 1e-3)
    layer = BatchNormalization(renorm=True, renorm_momentum=0.5, momentum=0.9, dtype="float64")
    layer.build_from_shape((None, 2))
    assert [w.keras_name for w in layer.weights][4:] == ["moving_stddev", "renorm_mean", "renorm_stddev"]
    # initial renorm_mean 0, renorm_stddev 1: r = stddev, d = mean, so the output is the batch-normalized x
    # times r plus d, i.e. x itself up to epsilon
    out = layer(torch.tensor(x), training=True).detach().numpy()
    np.testing.assert_allclose(out, (x - mean) / stddev * stddev + mean, rtol=1e-10)
    weights = dict(zip([w.keras_name for w in layer.weights], layer.get_weights()))
    np.testing.assert_allclose(weights["renorm_mean"], 0.5 * mean, rtol=1e-12)
    np.testing.assert_allclose(weights["renorm_stddev"], 0.5 + 0.5 * stddev, rtol=1e-12)
    np.testing.assert_allclose(weights["moving_stddev"], 0.9 + 0.1 * stddev, rtol=1e-12)
    np.testing.assert_allclose(weights["moving_variance"], (0.9 + 0.1 * stddev) ** 2 - 1e-3, rtol=1e-12)
    clipped = BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "dmax": 0.0}, dtype="float64")
    out = clipped(torch.tensor(x), training=True).detach().numpy()
    np.testing.assert_allclose(out, (x - mean) / stddev * np.minimum(stddev, 1.0), rtol=1e-10)
