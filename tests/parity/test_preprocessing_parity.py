"""Parity of the preprocessing layers with Keras 3.15 (torch backend): same outputs on the same inputs, `adapt`
results (Normalization's mean and variance, Discretization's boundaries), inference-mode identity and statistics of
the random augmentations, and configs. StringLookup, IntegerLookup, TextVectorization and Hashing need TensorFlow in
Keras 3.15, so their Keras facts are checked in tests/layers/preprocessing/ against the values Keras documents."""

import numpy as np
import pytest
import torch

from cornu.layers import preprocessing as P

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
IMAGES = (RNG.random((2, 6, 8, 3)) * 255).astype("float32")


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else keras.ops.convert_to_numpy(t)


def _same_config(ref, ours, skip=("name", "dtype")):
    want, got = ref.get_config(), ours.get_config()
    assert set(got) == set(want)
    for key in set(want) - set(skip):
        assert got[key] == want[key] or np.array_equal(np.asarray(got[key]), np.asarray(want[key])), key


@pytest.mark.parametrize("kwargs", [{"scale": 1 / 255.0}, {"scale": 1 / 127.5, "offset": -1}, {"scale": [1, 2, 3]}])
def test_rescaling_matches_keras(kwargs):
    ref, ours = keras.layers.Rescaling(**kwargs), P.Rescaling(**kwargs)
    np.testing.assert_allclose(_np(ours(IMAGES)), _np(ref(IMAGES)), rtol=1e-6)
    _same_config(ref, ours)


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 2])
def test_normalization_adapt_matches_keras(axis):
    ref, ours = keras.layers.Normalization(axis=axis), P.Normalization(axis=axis)
    ref.adapt(IMAGES)
    ours.adapt(IMAGES)
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(_np(ours(IMAGES)), _np(ref(IMAGES)), rtol=1e-5, atol=1e-5)
    _same_config(ref, ours)


def test_normalization_adapt_on_batches_matches_keras():
    # Keras's adapt() on a list of batches checks for tf.data first (TensorFlow); its pooled moments equal the
    # statistics of the whole array, which is what it is compared with here.
    batches = [IMAGES[:1], IMAGES[1:]]
    ref, ours = keras.layers.Normalization(), P.Normalization()
    ref.adapt(IMAGES)
    ours.adapt(batches)
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("invert", [False, True])
def test_normalization_with_given_statistics_matches_keras(invert):
    kwargs = {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 0.0, 9.0], "invert": invert}
    ref, ours = keras.layers.Normalization(**kwargs), P.Normalization(**kwargs)
    np.testing.assert_allclose(_np(ours(IMAGES)), _np(ref(IMAGES)), rtol=1e-6)
    _same_config(ref, ours)
    assert ours.get_weights() == [] and ref.get_weights() == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"interpolation": "nearest"},
        {"interpolation": "bicubic"},
        {"crop_to_aspect_ratio": True},
        {"pad_to_aspect_ratio": True, "fill_value": 7.0},
        {"antialias": True},
    ],
)
@pytest.mark.parametrize("size", [(3, 3), (9, 5)])
def test_resizing_matches_keras(kwargs, size):
    ref, ours = keras.layers.Resizing(*size, **kwargs), P.Resizing(*size, **kwargs)
    np.testing.assert_allclose(_np(ours(IMAGES)), _np(ref(IMAGES)), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(_np(ours(IMAGES[0])), _np(ref(IMAGES[0])), rtol=1e-4, atol=1e-3)
    _same_config(ref, ours)


def test_resizing_channels_first_matches_keras():
    x = IMAGES.transpose(0, 3, 1, 2)
    ref = keras.layers.Resizing(4, 4, data_format="channels_first")
    ours = P.Resizing(4, 4, data_format="channels_first")
    np.testing.assert_allclose(_np(ours(x)), _np(ref(x)), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("size", [(4, 4), (3, 8), (10, 12), (2, 11)])
def test_center_crop_matches_keras(size):
    ref, ours = keras.layers.CenterCrop(*size), P.CenterCrop(*size)
    np.testing.assert_allclose(_np(ours(IMAGES)), _np(ref(IMAGES)), rtol=1e-4, atol=1e-3)
    _same_config(ref, ours)


RANDOM_LAYERS = [
    ("RandomFlip", {}),
    ("RandomFlip", {"mode": "horizontal"}),
    ("RandomRotation", {"factor": 0.2}),
    ("RandomZoom", {"height_factor": (-0.3, 0.2), "width_factor": 0.1}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": (-0.1, 0.3), "fill_mode": "constant"}),
    ("RandomContrast", {"factor": 0.3}),
    ("RandomContrast", {"factor": (0.2, 0.5), "value_range": (0, 1)}),
]


@pytest.mark.parametrize("name, kwargs", RANDOM_LAYERS)
def test_random_layers_are_the_identity_in_inference_and_match_keras_configs(name, kwargs):
    ref, ours = getattr(keras.layers, name)(seed=3, **kwargs), getattr(P, name)(seed=3, **kwargs)
    np.testing.assert_array_equal(_np(ours(IMAGES, training=False)), _np(ref(IMAGES, training=False)))
    np.testing.assert_array_equal(_np(ours(IMAGES, training=False)), IMAGES)
    _same_config(ref, ours)


def test_random_flip_statistics_match_keras():
    x = np.tile(np.arange(4.0, dtype="float32").reshape(1, 1, 4, 1), (400, 2, 1, 1))
    x[:, 1] += 10
    for layer in (keras.layers.RandomFlip(seed=1), P.RandomFlip(seed=1)):
        out = _np(layer(x, training=True))
        left_right = (out[:, 0, 0, 0] % 10 == 3).mean()  # the first column came from the last
        up_down = (out[:, 0, 0, 0] >= 10).mean()
        assert abs(left_right - 0.5) < 0.1 and abs(up_down - 0.5) < 0.1
        np.testing.assert_array_equal(np.sort(out.reshape(400, -1), axis=1), np.sort(x.reshape(400, -1), axis=1))


def test_random_contrast_range_matches_keras():
    x = (RNG.random((300, 4, 4, 1)) * 100 + 50).astype("float32")
    factors = []
    for layer in (keras.layers.RandomContrast(0.4, seed=2), P.RandomContrast(0.4, seed=2)):
        out = _np(layer(x, training=True))
        mean = x.mean(axis=(1, 2), keepdims=True)
        c = ((out - mean) / (x - mean)).reshape(300, -1)[:, 0]
        np.testing.assert_allclose(out.mean(axis=(1, 2)), mean[:, 0, 0], rtol=1e-4)  # the mean stays
        factors.append(c)
    for c in factors:  # Keras 3.15 draws c in [1 - 0, 1 + 0.4]: single factors only raise the contrast
        assert c.min() >= 1 - 1e-4 and c.max() <= 1.4 + 1e-4 and abs(c.mean() - 1.2) < 0.03


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomRotation", {"factor": 0.1}),
        ("RandomZoom", {"height_factor": 0.3}),
        ("RandomTranslation", {"height_factor": 0.3, "width_factor": 0.3}),
    ],
)
def test_geometric_augmentations_keep_statistics_like_keras(name, kwargs):
    x = np.tile(np.linspace(0, 1, 16, dtype="float32").reshape(1, 1, 16, 1), (64, 16, 1, 1))
    stats = []
    for layer in (getattr(keras.layers, name)(seed=0, **kwargs), getattr(P, name)(seed=0, **kwargs)):
        out = _np(layer(x, training=True))
        assert out.shape == x.shape
        changed = (np.abs(out - x).reshape(64, -1).max(axis=1) > 1e-3).mean()
        stats.append((out.mean(), changed))
        assert out.min() >= -1e-5 and out.max() <= 1 + 1e-5  # reflect fill and bilinear stay within the values
    (keras_mean, keras_changed), (mean, changed) = stats
    assert abs(mean - keras_mean) < 0.05 and changed > 0.8 and keras_changed > 0.8


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(5,), (5, 1), (5, 3)])
def test_category_encoding_matches_keras(mode, shape):
    x = RNG.integers(0, 4, size=shape)
    ref, ours = keras.layers.CategoryEncoding(4, output_mode=mode), P.CategoryEncoding(4, output_mode=mode)
    np.testing.assert_array_equal(_np(ours(x)), _np(ref(x)))
    assert ours.compute_output_shape(shape) == ref.compute_output_shape(shape)
    _same_config(ref, ours)


def test_category_encoding_count_weights_match_keras():
    x, w = np.array([[0, 1, 1], [2, 2, 3]]), np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 3.0]], dtype="float32")
    ref, ours = keras.layers.CategoryEncoding(4, output_mode="count"), P.CategoryEncoding(4, output_mode="count")
    np.testing.assert_allclose(_np(ours(x, count_weights=w)), _np(ref(x, count_weights=w)))


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_matches_keras(mode):
    x = np.array([[-1.5, 0.0, 0.2], [1.0, 3.0, 0.5]], dtype="float32")
    kwargs = {"bin_boundaries": [0.0, 0.5, 1.0], "output_mode": mode}
    ref, ours = keras.layers.Discretization(**kwargs), P.Discretization(**kwargs)
    np.testing.assert_array_equal(_np(ours(x)), _np(ref(x)))
    assert _np(ours(x)).dtype == _np(ref(x)).dtype  # int32 bin indices, the float compute dtype otherwise
    _same_config(ref, ours)


@pytest.mark.parametrize("num_bins, epsilon", [(3, 0.01), (4, 0.1), (5, 0.01)])
def test_discretization_adapt_matches_keras(num_bins, epsilon):
    data = [RNG.normal(size=(300,)).astype("float32"), RNG.exponential(size=(50, 2)).astype("float32")]
    ref = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    # Keras's adapt() checks for tf.data first (it needs TensorFlow); its own per-batch steps need only NumPy
    ref.reset_state()
    for batch in data:
        ref.update_state(batch)
    ref.finalize_state()
    ours = P.Discretization(num_bins=num_bins, epsilon=epsilon)
    ours.adapt(data)
    np.testing.assert_allclose(ours.bin_boundaries, ref.bin_boundaries, rtol=1e-6)
    x = np.concatenate([data[0][:20], data[1][:5, 0]])
    np.testing.assert_array_equal(_np(ours(x)), _np(ref(x)))


def test_augmentation_called_without_training_flag_is_a_deliberate_difference():
    # Keras's augmentation layers default to training=True when called directly (outside fit), so a bare call
    # transforms; cornu layers follow one rule, inference unless training=True (fit passes it), so a bare call is
    # the identity and inference code never augments by accident.
    x = np.arange(16.0, dtype="float32").reshape(1, 4, 4, 1)
    assert np.abs(_np(keras.layers.RandomRotation(0.3, seed=1)(x)) - x).max() > 1.0
    np.testing.assert_array_equal(_np(P.RandomRotation(0.3, seed=1)(x)), x)
    assert np.abs(_np(P.RandomRotation(0.3, seed=1)(x, training=True)) - x).max() > 1.0


def test_keras_files_with_preprocessing_load_in_cornu_and_back(tmp_path):
    import cornu

    data = (RNG.random((3, 8, 8, 3)) * 255).astype("float32")
    inputs = keras.Input((8, 8, 3))
    norm = keras.layers.Normalization()
    norm.adapt(data / 2)
    x = norm(keras.layers.Rescaling(0.5)(inputs))
    x = keras.layers.CenterCrop(4, 4)(keras.layers.Resizing(6, 6)(x))
    # Keras writes training=True into these layers' graph nodes; predict() must still leave the images alone
    x = keras.layers.RandomRotation(0.2)(keras.layers.RandomFlip()(x))
    model = keras.Model(inputs, x)
    model.save(tmp_path / "pre.keras")
    ours = cornu.models.load_model(tmp_path / "pre.keras")
    want = _np(model(data, training=False))
    np.testing.assert_allclose(ours.predict(data, verbose=0), want, rtol=1e-5, atol=1e-4)
    ours.save(tmp_path / "back.keras")
    again = keras.saving.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(_np(again(data, training=False)), want, rtol=1e-5, atol=1e-4)


FACTOR_CASES = [
    ("RandomZoom", (-1.5,)),
    ("RandomZoom", (-1.0,)),
    ("RandomZoom", (2.0,)),
    ("RandomZoom", ((-0.2, 1.5),)),
    ("RandomZoom", ((-0.2, 0.5), (0.1, 1.0))),
    ("RandomTranslation", (1.5, 0.1)),
    ("RandomTranslation", (-1.0, (0.2, -0.3))),
    ("RandomRotation", (-0.5,)),
    ("RandomRotation", (1.5,)),
    ("RandomRotation", ((0.3, 0.1),)),
    ("RandomContrast", (-0.2,)),
    ("RandomContrast", ((-0.1, 0.3),)),
    ("RandomContrast", ((1.2, 1.5),)),
]


@pytest.mark.parametrize("name, args", FACTOR_CASES)
def test_factor_arguments_are_read_and_refused_as_keras_does(name, args):
    def factors(module):
        try:
            config = getattr(module, name)(*args).get_config()
        except ValueError:
            return "ValueError"
        return {k: tuple(v) if isinstance(v, list) else v for k, v in config.items() if "factor" in k}

    assert factors(P) == factors(keras.layers)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Rescaling(0.5, offset=1.0),
        lambda m: m.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 9.0]),
        lambda m: m.Resizing(3, 5),
        lambda m: m.Resizing(4, 4, crop_to_aspect_ratio=True, interpolation="bicubic"),
        lambda m: m.CenterCrop(3, 3),
    ],
)
def test_input_gradients_match_keras(make):
    grads = []
    for module in (keras.layers, P):
        x = torch.tensor(IMAGES, requires_grad=True)
        out = make(module)(x)
        out = out if isinstance(out, torch.Tensor) else out.value
        weights = torch.as_tensor(np.random.default_rng(1).normal(size=tuple(out.shape)), dtype=out.dtype)
        (out * weights).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-4, atol=1e-5)
