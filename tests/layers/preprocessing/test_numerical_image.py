"""Numerical and image preprocessing layers: closed forms, training-only augmentation, seeds, inside models, errors."""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import preprocessing as P
from cornu.layers.preprocessing.image import _fill_index


def test_normalization_closed_form_and_invert():
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    layer = P.Normalization(dtype="float64")
    layer.adapt(x)
    np.testing.assert_allclose(layer.get_weights()[0], [2.0, 20.0])
    np.testing.assert_allclose(layer.get_weights()[1], [1.0, 100.0])
    np.testing.assert_allclose(layer(x).numpy(), [[-1, -1], [1, 1]])
    back = P.Normalization(mean=[2.0, 20.0], variance=[1.0, 100.0], invert=True)
    np.testing.assert_allclose(back(np.array([[-1.0, 1.0]])).numpy(), [[1.0, 30.0]])
    scalar = P.Normalization(axis=None, mean=1.0, variance=4.0)
    np.testing.assert_allclose(scalar(np.array([[3.0, 5.0]])).numpy(), [[1.0, 2.0]])


def test_normalization_batches_pool_exactly():
    rng = np.random.default_rng(0)
    batches = [rng.normal(size=(n, 3)) * 5 + 2 for n in (3, 7, 1)]
    layer = P.Normalization(dtype="float64")
    layer.adapt(batches)
    whole = np.concatenate(batches)
    np.testing.assert_allclose(layer.get_weights()[0], whole.mean(0), rtol=1e-12)
    np.testing.assert_allclose(layer.get_weights()[1], whole.var(0), rtol=1e-12)


def test_normalization_errors():
    with pytest.raises(ValueError, match="both mean and variance"):
        P.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        P.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="out of range"):
        P.Normalization(axis=3)(np.ones((2, 2)))


def test_normalization_inside_a_model_runs_in_fit():
    x = np.random.default_rng(1).normal(size=(64, 3)).astype("float32") * 10 + 5
    y = (x[:, :1] > 5).astype("float32")
    norm = P.Normalization()
    norm.adapt(x)
    model = cornu.models.Sequential([cornu.layers.Input((3,)), norm, cornu.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=cornu.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=30, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9
    np.testing.assert_allclose(norm.get_weights()[0], x.mean(0), rtol=1e-5)  # fit leaves the statistics alone


def test_rescaling_category_encoding_discretization_closed_forms():
    np.testing.assert_allclose(P.Rescaling(0.5, offset=1.0)(np.array([[2.0]])).numpy(), [[2.0]])
    out = P.CategoryEncoding(3, output_mode="one_hot")(np.array([[0], [2], [5]]))
    assert out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]  # out-of-range values encode to nothing
    assert P.Discretization(bin_boundaries=[1.0])(np.array([0.5, 1.0, 1.5])).tolist() == [0, 1, 1]
    layer = P.Discretization(num_bins=4)
    layer.adapt(np.arange(400.0))
    np.testing.assert_allclose(layer.bin_boundaries, [99.5, 199.5, 299.5], atol=1.0)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: P.CategoryEncoding(), ValueError, "IntegerLookup"),
        (lambda: P.CategoryEncoding(3, output_mode="tf_idf"), ValueError, "output_mode='tf_idf'"),
        (lambda: P.Discretization(), ValueError, "exactly one"),
        (lambda: P.Discretization(bin_boundaries=[0.0]).adapt([1.0]), ValueError, "num_bins"),
        (lambda: P.Hashing(0), ValueError, "num_bins=0"),
        (lambda: P.Rescaling("x"), ValueError, "scale='x'"),
        (lambda: P.Resizing(0, 2), ValueError, "height=0"),
        (lambda: P.Resizing(2, 2, interpolation="lanczos3"), ValueError, "lanczos3"),
        (lambda: P.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ValueError, "not both"),
        (lambda: P.RandomFlip("diagonal"), ValueError, "mode='diagonal'"),
        (lambda: P.RandomRotation(2.0), ValueError, "factor=2.0"),
        (lambda: P.RandomRotation(0.1, fill_mode="mirror"), NotImplementedError, "mirror"),
        (lambda: P.RandomZoom(0.1, interpolation="bicubic"), NotImplementedError, "bicubic"),
        (lambda: P.RandomContrast(1.5), ValueError, "factor=1.5"),
        (lambda: P.CenterCrop(2, 2, data_format="nhwc"), ValueError, "data_format='nhwc'"),
    ],
)
def test_argument_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_hashing_is_stable_masks_and_spreads():
    layer = P.Hashing(num_bins=5, mask_value="")
    words = np.array([["a"], ["b"], [""], ["a"]])
    out = layer(words).tolist()
    assert out[0] == out[3] and out[2] == [0] and all(1 <= v[0] < 5 for v in out if v != [0])
    ints = P.Hashing(num_bins=8)(torch.arange(1000)).tolist()
    assert set(ints) == set(range(8)) and max(np.bincount(ints)) < 180  # roughly uniform
    assert P.Hashing(8)(torch.arange(5)).tolist() == ints[:5]  # the same value always lands in the same bin
    salted = P.Hashing(num_bins=8, salt=7)(torch.arange(1000)).tolist()
    assert salted != ints
    assert P.Hashing(3, output_mode="one_hot")(np.array(["x"])).shape == (1, 3)


def test_center_crop_and_resizing_closed_forms():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    assert P.CenterCrop(2, 2)(x)[0, :, :, 0].tolist() == [[5.0, 6.0], [9.0, 10.0]]
    np.testing.assert_allclose(P.Resizing(2, 2)(x)[0, :, :, 0].numpy(), [[2.5, 4.5], [10.5, 12.5]])
    assert P.Resizing(3, 5).compute_output_shape((None, 4, 4, 1)) == (None, 3, 5, 1)
    assert P.CenterCrop(3, 5, data_format="channels_first").compute_output_shape((None, 1, 4, 4)) == (None, 1, 3, 5)


def test_fill_modes_map_coordinates_like_keras():
    index = torch.arange(-3, 7)  # size 4: positions -3..6
    assert _fill_index(index, 4, "reflect").tolist() == [2, 1, 0, 0, 1, 2, 3, 3, 2, 1]
    assert _fill_index(index, 4, "wrap").tolist() == [1, 2, 3, 0, 1, 2, 3, 0, 1, 2]
    assert _fill_index(index, 4, "nearest").tolist() == [0, 0, 0, 0, 1, 2, 3, 3, 3, 3]


def test_augmentations_are_seeded_training_only_and_exact_in_simple_cases():
    x = np.arange(16.0, dtype="float32").reshape(1, 4, 4, 1)
    for layer in (P.RandomFlip(seed=1), P.RandomRotation(0.3, seed=1), P.RandomZoom(0.3, seed=1),
                  P.RandomTranslation(0.3, 0.3, seed=1), P.RandomContrast(0.5, seed=1)):  # fmt: skip
        np.testing.assert_array_equal(layer(x).numpy(), x)  # no training flag: inference, the identity
        twin = type(layer).from_config(layer.get_config())
        np.testing.assert_array_equal(layer(x, training=True).numpy(), twin(x, training=True).numpy())
    # a half turn maps the image onto itself reversed; a full-width translation with wrap is the identity
    half = P.RandomRotation((0.5, 0.5), interpolation="nearest")(x, training=True)
    np.testing.assert_allclose(half[0, :, :, 0].numpy(), x[0, ::-1, ::-1, 0], atol=1e-4)
    shift = P.RandomTranslation((0.25, 0.25), (0.0, 0.0), fill_mode="constant", fill_value=-1.0)(x, training=True)
    np.testing.assert_allclose(shift[0, :, :, 0].numpy(), np.vstack([[-1] * 4, x[0, :3, :, 0]]), atol=1e-5)
    zoom_in = P.RandomZoom((-0.5, -0.5), interpolation="bilinear")(x, training=True)
    np.testing.assert_allclose(zoom_in[0, :, :, 0].numpy(), 0.5 * x[0, :, :, 0] + 0.5 * 7.5, atol=1e-4)


def test_augmentation_inside_a_model_follows_fit_and_predict():
    x = np.ones((8, 4, 4, 1), dtype="float32") * np.arange(4.0, dtype="float32").reshape(1, 1, 4, 1)
    flip = P.RandomFlip("horizontal", seed=0)
    model = cornu.models.Sequential([cornu.layers.Input((4, 4, 1)), flip])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    flipped = flip(x, training=True).numpy()
    assert {tuple(r) for r in flipped[:, 0, :, 0]} == {(0, 1, 2, 3), (3, 2, 1, 0)}


def test_normalization_adapt_refuses_data_of_another_shape():
    layer = P.Normalization()
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(None, 3\).*\(4, 5\)"):
        layer.adapt(np.ones((4, 5)))


@pytest.mark.parametrize(
    "layer, shape",
    [
        (P.Rescaling(0.5), (2, 4, 4, 3)),
        (P.RandomFlip(), (2, 4, 4, 3)),
        (P.RandomRotation(0.2), (2, 4, 4, 3)),
        (P.RandomZoom(0.2, 0.1), (2, 4, 4, 3)),
        (P.RandomTranslation(0.2, 0.2, fill_mode="constant"), (2, 4, 4, 3)),
        (P.RandomContrast(0.2), (2, 4, 4, 3)),
        (P.Resizing(2, 3), (2, 4, 4, 3)),
        (P.CenterCrop(2, 2), (2, 4, 4, 3)),
        (P.Normalization(), (2, 3)),
    ],
)
def test_tensor_preprocessing_layers_do_not_sync_the_host(layer, shape):
    layer(torch.zeros(shape))
    layer.to("meta")
    assert layer(torch.empty(shape, device="meta"), training=True).device.type == "meta"
