"""The `weights=` argument: None, "imagenet" (the published file, fetched through get_file) or a local path, in the
Keras 2 `.h5` layout of the published files, in Keras 3's `.weights.h5`, or a `.keras` file."""

import numpy as np
import pytest
import torch

from cornu.applications import VGG16, MobileNet, ResNet50, weights
from cornu.applications.weights import WeightsFile, check_weights

SMALL = {"include_top": False, "input_shape": (32, 32, 3), "alpha": 0.25}


def _outputs(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x), training=False).numpy()


def _randomized(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.0, w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize("suffix", [".h5", ".weights.h5", ".keras"])
def test_a_path_loads_the_file(tmp_path, suffix):
    source = _randomized(MobileNet(weights=None, **SMALL))
    path = str(tmp_path / f"mobilenet{suffix}")
    source.save(path) if suffix == ".keras" else source.save_weights(path)
    loaded = MobileNet(weights=path, **SMALL)
    for ours, theirs in zip(loaded.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    x = np.random.default_rng(1).normal(size=(1, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(_outputs(loaded, x), _outputs(source, x), rtol=1e-6)


def test_a_published_style_file_loads_by_layer_order_whatever_the_names(tmp_path):
    # Keras's published files were saved from models whose automatic names (conv2d_12, ...) differ from a fresh
    # model's, so they are matched by order, as Keras does.
    source = _randomized(MobileNet(weights=None, name="other", **SMALL))
    path = str(tmp_path / "published.h5")
    source.save_weights(path)
    loaded = MobileNet(weights=path, **SMALL)
    np.testing.assert_array_equal(loaded.get_weights()[-1], source.get_weights()[-1])


def test_imagenet_fetches_kerass_published_file(tmp_path, monkeypatch):
    source = _randomized(MobileNet(weights=None, include_top=False, input_shape=(128, 128, 3), alpha=0.25))
    path = str(tmp_path / "cached.h5")
    source.save_weights(path)
    requested = []
    monkeypatch.setattr(weights, "fetch", lambda spec, what, instead=None: requested.append(spec) or path)
    model = MobileNet(weights="imagenet", include_top=False, input_shape=(128, 128, 3), alpha=0.25)
    assert requested == [
        WeightsFile(
            "mobilenet_2_5_128_tf_no_top.h5",
            "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/mobilenet_2_5_128_tf_no_top.h5",
            None,
        )
    ]
    np.testing.assert_array_equal(model.get_weights()[0], source.get_weights()[0])


def test_imagenet_file_names_and_hashes_are_kerass(monkeypatch):
    requested = []

    def fetch(spec, what, instead=None):
        requested.append(spec)
        raise ConnectionError("stop here")

    monkeypatch.setattr(weights, "fetch", fetch)
    with pytest.raises(ConnectionError):
        ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(ConnectionError):
        VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    assert requested == [
        WeightsFile(
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "4d473c1dd8becc155b73f8504c6f6626",
        ),
        WeightsFile(
            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "6d6bbae143d832006294945121d1f1fc",
        ),
    ]


def test_offline_the_error_names_the_file_and_how_to_pass_it(monkeypatch):
    import cornu.utils.file_utils as file_utils

    def offline(fname, origin, **kwargs):
        assert kwargs["cache_subdir"] == "models"
        raise ConnectionError(f"Could not download {origin} (no network). Copy it to /cache/models/{fname}.")

    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(ConnectionError) as info:
        MobileNet(weights="imagenet", include_top=False, input_shape=(224, 224, 3))
    message = str(info.value)
    assert "mobilenet_1_0_224_tf_no_top.h5" in message
    assert "/cache/models/mobilenet_1_0_224_tf_no_top.h5" in message
    assert "weights='/path/to/mobilenet_1_0_224_tf_no_top.h5'" in message


def test_bad_weights_arguments_are_refused():
    with pytest.raises(ValueError, match=r"weights='imagenett'.*no such file"):
        check_weights("imagenett", include_top=False, classes=1000)
    with pytest.raises(ValueError, match="weights=3"):
        check_weights(3, include_top=False, classes=1000)
    with pytest.raises(ValueError, match=r"1000 classes.*classes=10"):
        VGG16(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="classifier_activation='relu'"):
        MobileNet(weights="imagenet", classifier_activation="relu", alpha=0.25, input_shape=(128, 128, 3))


def test_pretrained_heads_allow_only_softmax_or_logits(tmp_path):
    path = str(tmp_path / "w.h5")
    MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=3).save_weights(path)
    with pytest.raises(ValueError, match="classifier_activation='sigmoid'"):
        MobileNet(weights=path, input_shape=(32, 32, 3), alpha=0.25, classes=3, classifier_activation="sigmoid")
    logits = MobileNet(weights=path, input_shape=(32, 32, 3), alpha=0.25, classes=3, classifier_activation=None)
    assert logits.output_shape == (None, 3)


def test_a_file_of_another_model_is_refused(tmp_path):
    path = str(tmp_path / "w.weights.h5")
    MobileNet(weights=None, **SMALL).save_weights(path)
    with pytest.raises(ValueError, match="different model|has .* weights"):
        MobileNet(weights=path, include_top=False, input_shape=(32, 32, 3), alpha=0.5)
