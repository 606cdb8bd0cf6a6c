"""Each application against Keras's: the same layers, names and weight shapes, and the same outputs once the weights
Keras saved (in the published Keras 2 `.h5` layout, and in Keras 3's `.weights.h5`) are loaded into cornu's model."""

import numpy as np
import pytest
import torch

import cornu
import cornu.applications as applications
from cornu.utils import clear_session

keras = pytest.importorskip("keras")
legacy_h5 = pytest.importorskip("keras.src.legacy.saving.legacy_h5_format")
h5py = pytest.importorskip("h5py")

# (model, keyword arguments, input range): small inputs keep the file fast; the tops are exercised where the
# architecture allows a small image. "pixels" models include their own preprocessing and take [0, 255] images.
CASES = [
    ("VGG16", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"}, "normal"),
    ("VGG19", {"include_top": False, "input_shape": (32, 32, 3)}, "normal"),
    ("ResNet50", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "max"}, "normal"),
    ("ResNet50V2", {"include_top": True, "input_shape": (32, 32, 3), "classes": 10}, "normal"),
    ("MobileNet", {"include_top": True, "input_shape": (32, 32, 3), "classes": 10, "alpha": 0.5}, "normal"),
    ("MobileNetV2", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"}, "normal"),
    ("MobileNetV3Small", {"include_top": True, "input_shape": (32, 32, 3), "classes": 10}, "pixels"),
    ("MobileNetV3Large", {"include_top": False, "input_shape": (32, 32, 3), "minimalistic": True}, "pixels"),
    ("DenseNet121", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "avg"}, "normal"),
    ("InceptionV3", {"include_top": True, "input_shape": (75, 75, 3), "classes": 10}, "normal"),
    ("Xception", {"include_top": False, "input_shape": (71, 71, 3), "pooling": "max"}, "normal"),
    ("EfficientNetB0", {"include_top": True, "input_shape": (32, 32, 3), "classes": 10}, "pixels"),
    ("ConvNeXtTiny", {"include_top": True, "input_shape": (32, 32, 3), "classes": 10}, "pixels"),
]
# Layers cornu adds where Keras uses a tensor operation (not a layer): ConvNeXt's residual `+`.
EXTRA_LAYERS = {"ConvNeXtTiny": "_add"}


def _randomized(model, seed):
    """Keras's initial weights with every bias and batch-norm statistic made random too (they start at 0 or 1)."""
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.weights:
        value = keras.ops.convert_to_numpy(variable)
        leaf = variable.path.split("/")[-1]
        if leaf in ("moving_variance", "gamma", "variance"):
            value = rng.uniform(0.5, 1.5, value.shape)
        elif leaf in ("moving_mean", "beta", "bias", "mean"):
            value = rng.normal(0.0, 0.1, value.shape)
        values.append(value.astype(keras.ops.convert_to_numpy(variable).dtype))
    model.set_weights(values)
    return model


def _keras_model(name, kwargs):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    return _randomized(getattr(keras.applications, name)(weights=None, **kwargs), seed=1)


def _batch(shape, kind):
    rng = np.random.default_rng(2)
    if kind == "pixels":
        return rng.uniform(0.0, 255.0, (1, *shape)).astype("float32")
    return rng.normal(size=(1, *shape)).astype("float32")


def _outputs(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x), training=False).numpy()


def _published_layout(model, path):
    """The layout of Keras's published application weights: Keras 2 `.h5`, layers matched by order."""
    with h5py.File(path, "w") as f:
        legacy_h5.save_weights_to_hdf5_group(f, model)


@pytest.mark.parametrize("name, kwargs, kind", CASES, ids=[case[0] for case in CASES])
def test_application_matches_keras(name, kwargs, kind, tmp_path):
    ref = _keras_model(name, kwargs)
    legacy_path, keras3_path = tmp_path / "published.h5", tmp_path / "model.weights.h5"
    _published_layout(ref, legacy_path)
    ref.save_weights(keras3_path)
    x = _batch(kwargs["input_shape"], kind)
    expected = keras.ops.convert_to_numpy(ref(x, training=False))

    clear_session()  # Keras's session was cleared too: automatic names count from zero in both
    ours = getattr(applications, name)(weights=str(legacy_path), **kwargs)
    assert ours.name == ref.name
    assert _names(ours, name) == [layer.name for layer in ref.layers]
    assert _weighted(ours) == _weighted(ref)  # names and shapes, in Keras's order
    assert ours.count_params() == ref.count_params()
    tolerance = 1e-4 * max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(_outputs(ours, x), expected, rtol=1e-4, atol=tolerance)

    with torch.no_grad():  # the same weights from Keras 3's own format, into a model emptied first
        for weight in ours.weights:
            weight.zero_()
    ours.load_weights(str(keras3_path))
    for loaded, reference in zip(ours.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_array_equal(loaded, reference)


def _names(model, name):
    extra = EXTRA_LAYERS.get(name)
    return [layer.name for layer in model.layers if extra is None or not layer.name.endswith(extra)]


def _weighted(model):
    return [
        (layer.name, [tuple(w.shape) for w in layer.get_weights()]) for layer in model.layers if layer.get_weights()
    ]


def test_cornu_is_importable_as_keras_applications():
    assert cornu.applications.VGG16 is applications.vgg16.VGG16


def test_channels_first_matches_keras(tmp_path):
    kwargs = {"include_top": True, "input_shape": (3, 32, 32), "classes": 5, "alpha": 0.35}
    keras.backend.set_image_data_format("channels_first")
    cornu.backend.set_image_data_format("channels_first")
    try:
        ref = _keras_model("MobileNetV2", kwargs)
        _published_layout(ref, tmp_path / "published.h5")
        x = _batch(kwargs["input_shape"], "normal")
        ours = applications.MobileNetV2(weights=str(tmp_path / "published.h5"), **kwargs)
        expected = keras.ops.convert_to_numpy(ref(x, training=False))
        np.testing.assert_allclose(_outputs(ours, x), expected, rtol=1e-4, atol=1e-5)
    finally:
        keras.backend.set_image_data_format("channels_last")
        cornu.backend.set_image_data_format("channels_last")


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(mode, data_format):
    x = np.random.default_rng(3).uniform(0, 255, size=(2, 3, 4, 3)).astype("float32")
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2).copy()
    theirs_input, ours_input = x.copy(), x.copy()
    expected = keras.applications.imagenet_utils.preprocess_input(theirs_input, data_format=data_format, mode=mode)
    got = applications.imagenet_utils.preprocess_input(ours_input, data_format=data_format, mode=mode)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(ours_input, theirs_input, rtol=1e-6, atol=1e-5)  # the same in-place update
    from_tensor = applications.imagenet_utils.preprocess_input(torch.from_numpy(x), data_format=data_format, mode=mode)
    np.testing.assert_allclose(from_tensor.numpy(), expected, rtol=1e-6, atol=1e-5)


def test_decode_predictions_matches_keras(monkeypatch):
    keras_utils = pytest.importorskip("keras.src.applications.imagenet_utils")
    index = {str(i): [f"n{i:08d}", f"label_{i}"] for i in range(1000)}
    monkeypatch.setattr(keras_utils, "CLASS_INDEX", index)  # no download on either side
    monkeypatch.setattr(applications.imagenet_utils, "CLASS_INDEX", index)
    scores = np.random.default_rng(4).dirichlet(np.ones(1000), size=3).astype("float32")
    expected = keras.applications.imagenet_utils.decode_predictions(scores, top=4)
    got = applications.imagenet_utils.decode_predictions(scores, top=4)
    assert [[row[:2] for row in sample] for sample in got] == [[row[:2] for row in sample] for sample in expected]
    np.testing.assert_array_equal([[row[2] for row in s] for s in got], [[row[2] for row in s] for s in expected])
