"""Convolution, pooling and spatial layers against Keras 3: same weights (Keras's get_weights() loads as is), same
outputs, same gradients with respect to the inputs and the weights, same configs, both data formats, every padding."""

import numpy as np
import pytest
import torch

import cornu.layers
import cornu.models
from cornu.layers.conv.ops import same_padding

keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-5
X1 = np.random.default_rng(1).normal(size=(2, 9, 4)).astype("float32")
X2 = np.random.default_rng(2).normal(size=(2, 7, 8, 4)).astype("float32")
X3 = np.random.default_rng(3).normal(size=(2, 5, 6, 7, 4)).astype("float32")
INPUTS = {1: X1, 2: X2, 3: X3}


def _compare(name, kwargs, x, check_config=True):
    """Builds Keras's and cornu's layer, copies Keras's weights into cornu's, compares outputs and gradients."""
    ref, ours = getattr(keras.layers, name)(**kwargs), getattr(cornu.layers, name)(**kwargs)
    ref.build(x.shape)
    ours.build(x.shape)
    ours.set_weights(ref.get_weights())  # Keras layouts on both sides: no transposes
    x_ref, x_ours = torch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ref, y_ours = ref(x_ref), ours(x_ours)
    assert tuple(y_ours.shape) == tuple(y_ref.shape)
    assert tuple(ours.compute_output_shape((None,) + x.shape[1:]))[1:] == tuple(y_ref.shape)[1:]
    np.testing.assert_allclose(y_ours.detach().numpy(), y_ref.detach().numpy(), rtol=RTOL, atol=ATOL)
    upstream = torch.tensor(np.random.default_rng(0).normal(size=tuple(y_ref.shape)).astype("float32"))
    (y_ref * upstream).sum().backward()
    (y_ours * upstream).sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_ref.grad.numpy(), rtol=RTOL, atol=ATOL)
    for theirs, mine in zip(ref.weights, ours.weights):
        assert mine.keras_name == theirs.name
        np.testing.assert_allclose(mine.grad.numpy(), theirs.value.grad.numpy(), rtol=RTOL, atol=ATOL)
    if check_config:
        expected, got = ref.get_config(), ours.get_config()
        assert set(got) == set(expected)
        assert {k: v for k, v in got.items() if k not in ("name", "dtype")} == {
            k: v for k, v in expected.items() if k not in ("name", "dtype")
        }
    return y_ours


WINDOWS = [(3, 1, 1), (2, 1, 1), (3, 2, 1), (2, 2, 1), (3, 3, 1), (3, 1, 2), (2, 1, 2)]  # kernel, stride, dilation


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kernel_size,strides,dilation_rate", WINDOWS)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_and_transpose(padding, kernel_size, strides, dilation_rate, data_format):
    window = dict(kernel_size=kernel_size, strides=strides, dilation_rate=dilation_rate, padding=padding)
    x = X2 if data_format == "channels_last" else X2.transpose(0, 3, 1, 2).copy()
    _compare("Conv2D", dict(filters=3, data_format=data_format, activation="relu", **window), x)
    _compare("Conv2DTranspose", dict(filters=3, data_format=data_format, **window), x)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("kernel_size,strides,dilation_rate", WINDOWS)
def test_conv1d(padding, kernel_size, strides, dilation_rate):
    window = dict(kernel_size=kernel_size, strides=strides, dilation_rate=dilation_rate, padding=padding)
    _compare("Conv1D", dict(filters=3, **window), X1)
    _compare("Conv1D", dict(filters=3, data_format="channels_first", **window), X1.transpose(0, 2, 1).copy())
    if padding != "causal":
        _compare("Conv1DTranspose", dict(filters=3, **window), X1)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_conv3d_and_transpose(padding, strides):
    for data_format, x in (("channels_last", X3), ("channels_first", X3.transpose(0, 4, 1, 2, 3).copy())):
        kwargs = dict(filters=2, kernel_size=(2, 3, 2), strides=strides, padding=padding, data_format=data_format)
        _compare("Conv3D", kwargs, x)
        _compare("Conv3DTranspose", kwargs, x)


@pytest.mark.parametrize("name,rank", [("Conv1D", 1), ("Conv2D", 2), ("Conv3D", 3)])
def test_groups(name, rank):
    _compare(name, dict(filters=6, kernel_size=2, groups=2, padding="same"), INPUTS[rank])
    _compare(name, dict(filters=4, kernel_size=2, groups=4), INPUTS[rank])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, strides=2, padding="same", output_padding=1),
        dict(kernel_size=3, strides=2, padding="valid", output_padding=1),
        dict(kernel_size=4, strides=3, padding="same", output_padding=2),
        dict(kernel_size=2, strides=2, padding="same", output_padding=0),
    ],
)
def test_conv_transpose_output_padding(kwargs):
    _compare("Conv2DTranspose", dict(filters=2, **kwargs), X2)
    _compare("Conv1DTranspose", dict(filters=2, **kwargs), X1)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides,dilation_rate", [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize("rank", [1, 2])
def test_depthwise_and_separable(padding, strides, dilation_rate, rank):
    window = dict(kernel_size=3, strides=strides, dilation_rate=dilation_rate, padding=padding)
    x = INPUTS[rank]
    x_first = np.moveaxis(x, -1, 1).copy()
    _compare(f"DepthwiseConv{rank}D", dict(depth_multiplier=2, **window), x)
    _compare(f"DepthwiseConv{rank}D", dict(depth_multiplier=1, data_format="channels_first", **window), x_first)
    _compare(f"SeparableConv{rank}D", dict(filters=5, depth_multiplier=2, **window), x)
    _compare(f"SeparableConv{rank}D", dict(filters=3, data_format="channels_first", **window), x_first)


def test_conv_configs_with_initializers_regularizers_constraints():
    kwargs = dict(
        filters=2,
        kernel_size=3,
        use_bias=False,
        kernel_initializer="he_normal",
        kernel_regularizer="l2",
        kernel_constraint="max_norm",
        activation="tanh",
    )
    ours = _compare("Conv2D", kwargs, X2)
    assert ours.shape == (2, 5, 6, 2)
    layer = cornu.layers.Conv2D.from_config(cornu.layers.Conv2D(**kwargs).get_config())
    assert layer.get_config()["kernel_initializer"]["class_name"] == "HeNormal"


def test_keras_configs_rebuild_cornu_layers():
    for layer in (
        keras.layers.Conv2D(4, (3, 5), strides=(1, 2), padding="same", groups=2, activation="relu"),
        keras.layers.Conv1DTranspose(2, 3, strides=2, output_padding=1),
        keras.layers.SeparableConv2D(3, 3, depth_multiplier=2),
        keras.layers.DepthwiseConv1D(3, padding="same"),
        keras.layers.AveragePooling2D(3, strides=2, padding="same"),
        keras.layers.GlobalMaxPooling3D(keepdims=True),
        keras.layers.Cropping2D(((1, 2), (3, 4))),
        keras.layers.ZeroPadding1D((1, 2)),
        keras.layers.UpSampling2D((2, 3), interpolation="bilinear"),
    ):
        config = layer.get_config()
        ours = getattr(cornu.layers, type(layer).__name__).from_config(config).get_config()
        assert {k: v for k, v in ours.items() if k != "dtype"} == {k: v for k, v in config.items() if k != "dtype"}


POOL_WINDOWS = [(2, None), (3, None), (3, 2), (2, 1), (3, 1)]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool_size,strides", POOL_WINDOWS)
@pytest.mark.parametrize("kind", ["Max", "Average"])
def test_pooling(padding, pool_size, strides, kind):
    window = dict(pool_size=pool_size, strides=strides, padding=padding)
    compare = _compare if (kind, padding) != ("Average", "same") else _compare_average_same
    for rank, x in INPUTS.items():
        compare(f"{kind}Pooling{rank}D", window, x)
        compare(f"{kind}Pooling{rank}D", dict(data_format="channels_first", **window), np.moveaxis(x, -1, 1).copy())
    compare(f"{kind}Pooling2D", dict(pool_size=(2, 3), strides=(1, 2), padding=padding), X2)


def _compare_average_same(name, kwargs, x):
    """'same' average pooling: Keras's torch backend miscounts some windows whose padding is one-sided (see the
    next test), so values are checked against TensorFlow's definition (the mean of the real cells in each window),
    and against Keras wherever its torch backend follows that definition."""
    ours = getattr(cornu.layers, name)(**kwargs)
    got = ours(x).numpy()
    np.testing.assert_allclose(got, _average_pool_reference(x, ours), rtol=RTOL, atol=ATOL)
    ref = getattr(keras.layers, name)(**kwargs)(torch.tensor(x)).numpy()
    if np.allclose(ref, _average_pool_reference(x, ours), rtol=RTOL, atol=ATOL):
        _compare(name, kwargs, x)


def _average_pool_reference(x, layer):
    """TensorFlow's 'same' average pooling in float64 with explicit windows: pad with NaN, average the rest."""
    data = np.moveaxis(x, 1, -1) if layer.data_format == "channels_first" else x
    spatial = data.shape[1:-1]
    pads = [same_padding(n, k, s) for n, k, s in zip(spatial, layer.pool_size, layer.strides)]
    padded = np.pad(data.astype("float64"), [(0, 0)] + pads + [(0, 0)], constant_values=np.nan)
    counts = [-(-n // s) for n, s in zip(spatial, layer.strides)]
    out = np.empty((data.shape[0], *counts, data.shape[-1]))
    for index in np.ndindex(*counts):
        window = tuple(slice(i * s, i * s + k) for i, s, k in zip(index, layer.strides, layer.pool_size))
        out[(slice(None), *index)] = np.nanmean(
            padded[(slice(None), *window)].reshape(data.shape[0], -1, data.shape[-1]), 1
        )
    return np.moveaxis(out, -1, 1) if layer.data_format == "channels_first" else out


def test_average_pooling_same_follows_tensorflow_where_keras_torch_differs():
    """Deliberate difference: length 8, window 3, stride 2, 'same' pads one cell after the end. TensorFlow and
    Keras's jax backend average the last window's two real cells, (6 + 7) / 2 = 6.5; Keras's torch backend gives
    6.667. cornu follows TensorFlow."""
    x = np.arange(8.0, dtype="float32").reshape(1, 8, 1)
    ours = cornu.layers.AveragePooling1D(3, strides=2, padding="same")(x)
    assert ours[0, :, 0].tolist() == [1.0, 3.0, 5.0, 6.5]
    theirs = keras.layers.AveragePooling1D(3, strides=2, padding="same")(torch.tensor(x))
    np.testing.assert_allclose(theirs[0, :, 0].numpy(), [1.0, 3.0, 5.0, 20 / 3], rtol=1e-6)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kind", ["Max", "Average"])
def test_global_pooling(keepdims, data_format, kind):
    for rank, x in INPUTS.items():
        _compare(f"Global{kind}Pooling{rank}D", dict(keepdims=keepdims, data_format=data_format), x)


def test_global_average_pooling1d_with_mask():
    mask = np.array([[True] * 6 + [False] * 3, [True] * 9])
    ref = keras.layers.GlobalAveragePooling1D()(torch.tensor(X1), mask=torch.tensor(mask))
    ours = cornu.layers.GlobalAveragePooling1D()(X1, mask=torch.tensor(mask))
    np.testing.assert_allclose(ours.numpy(), ref.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours[0].numpy(), X1[0, :6].mean(0), rtol=RTOL)


@pytest.mark.parametrize(
    "name,kwargs,rank",
    [
        ("Cropping1D", dict(cropping=(1, 3)), 1),
        ("Cropping1D", dict(cropping=2), 1),
        ("Cropping2D", dict(cropping=((1, 2), (0, 3))), 2),
        ("Cropping2D", dict(cropping=(1, 2), data_format="channels_first"), 2),
        ("Cropping3D", dict(cropping=(1, 2, 1)), 3),
        ("Cropping3D", dict(cropping=((0, 1), (2, 0), (1, 1)), data_format="channels_first"), 3),
        ("ZeroPadding1D", dict(padding=(1, 3)), 1),
        ("ZeroPadding1D", dict(padding=2, data_format="channels_first"), 1),
        ("ZeroPadding2D", dict(padding=((1, 2), (0, 3))), 2),
        ("ZeroPadding2D", dict(padding=2, data_format="channels_first"), 2),
        ("ZeroPadding3D", dict(padding=(1, 2, 1)), 3),
        ("ZeroPadding3D", dict(padding=1, data_format="channels_first"), 3),
        ("UpSampling1D", dict(size=3), 1),
        ("UpSampling2D", dict(size=(2, 3)), 2),
        ("UpSampling2D", dict(size=2, data_format="channels_first"), 2),
        ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), 2),
        ("UpSampling2D", dict(size=(3, 2), interpolation="bilinear", data_format="channels_first"), 2),
        ("UpSampling3D", dict(size=(1, 2, 3)), 3),
        ("UpSampling3D", dict(size=2, data_format="channels_first"), 3),
    ],
)
def test_spatial_layers(name, kwargs, rank):
    x = INPUTS[rank]
    if kwargs.get("data_format") == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    _compare(name, kwargs, x)


def test_mnist_cnn_matches_keras_after_training_steps():
    """The example's network, same initial weights, three Adam steps: same predictions and weights as Keras."""
    rng = np.random.default_rng(0)
    x = rng.random((16, 12, 12, 1)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 16)]

    def build(layers, sequential):
        return sequential(
            [
                layers.Input((12, 12, 1)),
                layers.Conv2D(4, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Conv2D(8, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(padding="same"),
                layers.Flatten(),
                layers.Dense(10, activation="softmax"),
            ]
        )

    ref, ours = build(keras.layers, keras.Sequential), build(cornu.layers, cornu.models.Sequential)
    ours.set_weights(ref.get_weights())
    for model in (ref, ours):
        model.compile(loss="categorical_crossentropy", optimizer="adam")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for theirs, mine in zip(ref.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_saved_models_load_both_ways(tmp_path):
    """A cornu .keras file of every weighted conv layer loads in Keras with the same predictions, and back."""
    layers = cornu.layers
    model = cornu.models.Sequential(
        [
            layers.Input((12, 12, 2)),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.SeparableConv2D(3, 3),
            layers.DepthwiseConv2D(2, depth_multiplier=2),
            layers.Conv2DTranspose(2, 3, strides=2),
            layers.AveragePooling2D(2, padding="same"),
            layers.ZeroPadding2D(1),
            layers.Cropping2D(1),
            layers.UpSampling2D(),
            layers.GlobalMaxPooling2D(),
        ]
    )
    x = np.random.default_rng(0).random((3, 12, 12, 2)).astype("float32")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "cornu.keras")
    theirs = keras.saving.load_model(tmp_path / "cornu.keras")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    theirs.save(tmp_path / "keras.keras")
    ours = cornu.models.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
