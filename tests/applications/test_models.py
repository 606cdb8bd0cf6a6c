"""What the builders do beyond Keras parity (tests/parity/test_applications_parity.py): Keras's parameter counts,
pooling, heads, input tensors, the per-family checks, and the small private layers."""

import numpy as np
import pytest
import torch

import cornu
from cornu import applications, backend
from cornu.applications import convnext, efficientnet, mobilenet_v3, weights
from cornu.layers import Input, Rescaling

# Keras 3.15's `keras.applications.X(weights=None).count_params()` (include_top=True, default input size).
KERAS_COUNTS = {
    "VGG16": 138_357_544,
    "VGG19": 143_667_240,
    "ResNet50": 25_636_712,
    "ResNet101": 44_707_176,
    "ResNet152": 60_419_944,
    "ResNet50V2": 25_613_800,
    "ResNet101V2": 44_675_560,
    "ResNet152V2": 60_380_648,
    "MobileNet": 4_253_864,
    "MobileNetV2": 3_538_984,
    "MobileNetV3Small": 2_554_968,
    "MobileNetV3Large": 5_507_432,
    "DenseNet121": 8_062_504,
    "DenseNet169": 14_307_880,
    "DenseNet201": 20_242_984,
    "InceptionV3": 23_851_784,
    "Xception": 22_910_480,
    "EfficientNetB0": 5_330_571,
    "EfficientNetB1": 7_856_239,
    "EfficientNetB2": 9_177_569,
    "EfficientNetB3": 12_320_535,
    "ConvNeXtTiny": 28_589_128,
}
# Keras's numbers of layers in model.layers for the same models (ConvNeXt: see test_convnext_adds_one_layer_per_block)
KERAS_LAYERS = {"ResNet50": 177, "MobileNetV2": 156, "MobileNetV3Small": 164, "InceptionV3": 313, "DenseNet121": 429}


def _outputs(model, x, training=False):
    with torch.no_grad():
        return model(torch.as_tensor(x), training=training).numpy()


@pytest.mark.parametrize("name", sorted(KERAS_COUNTS))
def test_parameter_counts_equal_kerass(name):
    model = getattr(applications, name)(weights=None)
    assert model.count_params() == KERAS_COUNTS[name]
    assert model.output_shape == (None, 1000)
    if name in KERAS_LAYERS:
        assert len(model.layers) == KERAS_LAYERS[name]


def test_pooling_reduces_the_last_feature_map():
    model = applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
    features = cornu.models.Model(model.inputs, model.get_layer("block5_pool").output)
    x = np.random.default_rng(0).normal(size=(2, 64, 64, 3)).astype("float32")
    assert model.output_shape == (None, 512)
    np.testing.assert_allclose(_outputs(model, x), _outputs(features, x).max(axis=(1, 2)), rtol=1e-6)
    average = applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    assert average.layers[-1].name == "avg_pool" and average.output_shape == (None, 2048)


def test_open_input_sizes_take_any_image_size_without_the_top():
    model = applications.MobileNetV2(weights=None, include_top=False, alpha=0.35)
    assert model.input_shape == (None, None, None, 3)
    assert _outputs(model, np.zeros((1, 64, 96, 3), "float32")).shape == (1, 2, 3, 1280)


def test_classifier_activation_none_gives_the_logits_of_the_softmax_head():
    softmax = applications.MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=5)
    logits = applications.MobileNet(
        weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=5, classifier_activation=None
    )
    logits.set_weights(softmax.get_weights())
    x = np.random.default_rng(0).normal(size=(3, 32, 32, 3)).astype("float32")
    probabilities, scores = _outputs(softmax, x), _outputs(logits, x)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(probabilities, torch.softmax(torch.from_numpy(scores), dim=1).numpy(), rtol=1e-5)


def test_input_tensor_builds_on_an_existing_graph():
    pixels = Input(shape=(32, 32, 3))
    scaled = Rescaling(1 / 127.5, offset=-1)(pixels)
    model = applications.MobileNetV2(weights=None, include_top=False, alpha=0.35, input_tensor=scaled)
    assert model.inputs[0] is pixels
    assert model.layers[1].name == "rescaling"
    direct = applications.MobileNetV2(weights=None, include_top=False, alpha=0.35, input_shape=(32, 32, 3))
    direct.set_weights(model.get_weights())
    x = np.random.default_rng(0).uniform(0, 255, size=(1, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(_outputs(model, x), _outputs(direct, x / 127.5 - 1), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="symbolic tensor"):
        applications.MobileNetV2(weights=None, include_top=False, input_tensor=np.zeros((1, 32, 32, 3)))


@pytest.mark.parametrize(
    "name, side, minimum", [("InceptionV3", 74, 75), ("Xception", 70, 71), ("ResNet50", 31, 32), ("VGG16", 16, 32)]
)
def test_too_small_images_are_refused(name, side, minimum):
    with pytest.raises(ValueError, match=f"at least {minimum}x{minimum}"):
        getattr(applications, name)(weights=None, include_top=False, input_shape=(side, side, 3))
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.MobileNetV3Small(weights=None, input_shape=(16, 16, 3))


@pytest.mark.parametrize("name", ["DenseNet121", "ConvNeXtTiny"])
def test_channels_last_only_families_say_so(name):
    backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="channels-last images only"):
            getattr(applications, name)(weights=None, include_top=False, input_shape=(3, 32, 32))
    finally:
        backend.set_image_data_format("channels_last")


def test_vgg_builds_for_channels_first():
    backend.set_image_data_format("channels_first")
    try:
        model = applications.VGG16(weights=None, include_top=False, input_shape=(3, 32, 32))
        assert model.output_shape == (None, 512, 1, 1)
    finally:
        backend.set_image_data_format("channels_last")


def test_mobilenet_imagenet_arguments_are_checked_before_any_download(monkeypatch):
    monkeypatch.setattr(weights, "fetch", lambda *args, **kwargs: pytest.fail("nothing should be fetched"))
    with pytest.raises(ValueError, match="alpha=0.3"):
        applications.MobileNet(weights="imagenet", alpha=0.3)
    with pytest.raises(ValueError, match="depth_multiplier=2"):
        applications.MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha=0.6"):
        applications.MobileNetV2(weights="imagenet", alpha=0.6)
    with pytest.raises(ValueError, match="alpha=0.75, minimalistic=True"):
        applications.MobileNetV3Small(weights="imagenet", alpha=0.75, minimalistic=True)


def test_mobilenet_non_square_imagenet_input_falls_back_to_the_224_weights(monkeypatch):
    requested = []

    def fetch(spec, what, instead=None):
        requested.append(spec.name)
        raise ConnectionError("offline")

    monkeypatch.setattr(weights, "fetch", fetch)
    with pytest.warns(UserWarning, match=r"\(224, 224\)"), pytest.raises(ConnectionError):
        applications.MobileNetV2(weights="imagenet", include_top=False, input_shape=(64, 96, 3))
    assert requested == ["mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"]


def test_mobilenet_v3_rescales_its_own_inputs_unless_told_not_to():
    inside = applications.MobileNetV3Small(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    outside = applications.MobileNetV3Small(
        weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg", include_preprocessing=False
    )
    outside.set_weights(inside.get_weights())
    assert inside.layers[1].name == "rescaling" and "rescaling" not in [layer.name for layer in outside.layers]
    x = np.random.default_rng(0).uniform(0, 255, size=(1, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(_outputs(inside, x), _outputs(outside, x / 127.5 - 1), rtol=1e-4, atol=1e-5)
    assert mobilenet_v3.preprocess_input(x) is x


def test_hard_sigmoid_is_relu6_of_x_plus_3_over_6():
    x = torch.tensor([-4.0, -3.0, 0.0, 1.5, 3.0, 9.0])
    expected = torch.clamp(x + 3.0, 0.0, 6.0) / 6.0
    assert mobilenet_v3.HardSigmoid()(x).tolist() == expected.tolist()


def test_efficientnet_with_imagenet_weights_adds_kerass_extra_rescaling(monkeypatch):
    loaded = []
    monkeypatch.setattr(efficientnet, "load_weights", lambda model, weights, spec: loaded.append(spec) or model)
    model = applications.EfficientNetB0(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    assert [type(layer).__name__ for layer in model.layers[1:4]] == ["Rescaling", "Normalization", "Rescaling"]
    np.testing.assert_allclose(model.layers[3].scale, [1 / np.sqrt(s) for s in (0.229, 0.224, 0.225)])
    assert model.layers[4].name == "stem_conv_pad"
    assert [spec.name for spec in loaded] == ["efficientnetb0_notop.h5"]
    assert loaded[0].url == "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5"


def test_efficientnet_scaling_rounds_filters_like_keras():
    assert [efficientnet.round_filters(f, 1.1) for f in (32, 16, 24, 40, 80, 112, 192, 320, 1280)] == [
        32, 16, 24, 48, 88, 120, 208, 352, 1408,
    ]  # fmt: skip


def test_convnext_adds_one_layer_per_block():
    # Deliberate difference: Keras adds each block's shortcut with a tensor `+` (not a layer); cornu uses Add.
    model = applications.ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3))
    added = [layer.name for layer in model.layers if layer.name.endswith("_add")]
    assert len(added) == sum(convnext.MODEL_CONFIGS["tiny"][0]) == 18
    assert added[0] == "convnext_tiny_stage_0_block_0_add"
    assert len(model.layers) == 133 + 18  # Keras's ConvNeXtTiny without top has 133 layers


def test_convnext_imagenet_needs_its_name(monkeypatch):
    monkeypatch.setattr(weights, "fetch", lambda *args, **kwargs: pytest.fail("nothing should be fetched"))
    with pytest.raises(ValueError, match="'convnext_tiny'.*name='mine'"):
        applications.ConvNeXtTiny(weights="imagenet", name="mine")


def test_convnext_normalises_its_inputs_with_imagenet_statistics():
    model = applications.ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3))
    prestem = model.get_layer("convnext_tiny_prestem_normalization")
    pixels = torch.tensor([[[[0.485 * 255, 0.456 * 255 + 0.224 * 255, 0.0]]]])
    np.testing.assert_allclose(prestem(pixels).numpy().ravel(), [0.0, 1.0, -0.406 / 0.225], rtol=1e-5)


def test_layer_scale_and_stochastic_depth():
    scale = convnext.LayerScale(0.25, 4)
    assert scale(torch.ones(2, 4)).tolist() == [[0.25] * 4] * 2
    assert [w.shape for w in scale.weights] == [torch.Size([4])]
    drop = convnext.StochasticDepth(0.5)
    x = torch.ones(200, 3)
    assert torch.equal(drop(x, training=False), x)
    kept = drop(x, training=True)
    assert set(kept.unique().tolist()) == {0.0, 2.0}  # whole samples dropped, the rest scaled by 1 / keep
    assert all(len(set(row)) == 1 for row in kept.tolist())
    assert 60 < int(kept[:, 0].sum() / 2) < 140
    with pytest.raises(ValueError, match="drop_path_rate=1"):
        convnext.StochasticDepth(1)


def test_convnext_builder_uses_stochastic_depth_when_asked():
    model = convnext.ConvNeXt((1, 1, 1, 1), (8, 16, 32, 64), drop_path_rate=0.3, include_top=False,
                              input_shape=(32, 32, 3))  # fmt: skip
    rates = [layer.drop_path_rate for layer in model.layers if isinstance(layer, convnext.StochasticDepth)]
    assert rates == pytest.approx([0.1, 0.2, 0.3])  # linear from 0 over the blocks; the first block has none


def test_an_application_trains():
    model = applications.MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=2)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    x = np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype("float32")
    history = model.fit(x, np.array([0, 1, 0, 1]), epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    changed = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
    assert changed[0] and any(changed[-2:])  # the first convolution and the classifier moved


def test_models_with_private_layers_round_trip_through_keras_files(tmp_path):
    small_convnext = convnext.ConvNeXt(
        (1, 1, 1, 1), (8, 16, 32, 64), drop_path_rate=0.3, include_top=False, input_shape=(32, 32, 3)
    )
    mobile = applications.MobileNetV3Small(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.75)
    x = torch.from_numpy(np.random.default_rng(0).uniform(0, 255, size=(1, 32, 32, 3)).astype("float32"))
    for model in (small_convnext, mobile):
        path = str(tmp_path / f"{model.name}.keras")
        model.save(path)
        loaded = cornu.models.load_model(path)  # LayerScale, StochasticDepth, HardSigmoid need no custom_objects
        np.testing.assert_array_equal(_outputs(loaded, x), _outputs(model, x))


def test_keras_module_paths_answer():
    from cornu.applications import resnet, resnet50

    assert resnet50.ResNet50 is resnet.ResNet50 is applications.ResNet50
    assert resnet50.preprocess_input is resnet.preprocess_input
    builders = [name for name in applications.__all__ if name[0].isupper()]
    assert len(builders) == 30 and all(callable(getattr(applications, name)) for name in builders)
