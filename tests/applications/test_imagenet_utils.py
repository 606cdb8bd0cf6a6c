"""preprocess_input's three modes in closed form, decode_predictions with a local class index, and the shape,
padding and activation checks the applications share."""

import json

import numpy as np
import pytest
import torch

from cornu import backend
from cornu.applications import imagenet_utils, weights
from cornu.layers import Input
from cornu.layers.symbolic import KerasTensor

PIXELS = np.array([[[[10.0, 20.0, 30.0], [255.0, 0.0, 128.0]]]], dtype="float32")  # (1, 1, 2, 3) RGB


def _expected(mode, x):
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    return x[..., ::-1] - np.array([103.939, 116.779, 123.68])


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_modes_match_closed_forms_for_arrays_and_tensors(mode):
    expected = _expected(mode, PIXELS.astype("float64"))
    from_array = imagenet_utils.preprocess_input(PIXELS.copy(), mode=mode)
    from_tensor = imagenet_utils.preprocess_input(torch.from_numpy(PIXELS.copy()), mode=mode)
    np.testing.assert_allclose(from_array, expected, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(from_tensor.numpy(), expected, rtol=1e-6, atol=1e-4)
    assert isinstance(from_tensor, torch.Tensor) and from_tensor.dtype == torch.float32


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_channels_first_matches_channels_last(mode):
    last = imagenet_utils.preprocess_input(PIXELS.copy(), data_format="channels_last", mode=mode)
    first = imagenet_utils.preprocess_input(
        PIXELS.transpose(0, 3, 1, 2).copy(), data_format="channels_first", mode=mode
    )
    single = imagenet_utils.preprocess_input(
        PIXELS[0].transpose(2, 0, 1).copy(), data_format="channels_first", mode=mode
    )
    np.testing.assert_allclose(first, last.transpose(0, 3, 1, 2), rtol=1e-6)
    np.testing.assert_allclose(single, last[0].transpose(2, 0, 1), rtol=1e-6)


def test_float_arrays_are_changed_in_place_as_in_keras_and_tensors_are_not():
    array = PIXELS.copy()
    imagenet_utils.preprocess_input(array, mode="tf")
    np.testing.assert_allclose(array, PIXELS / 127.5 - 1.0, rtol=1e-6)
    array = PIXELS.copy()
    out = imagenet_utils.preprocess_input(array, mode="caffe")  # Keras updates the RGB array through its BGR view
    np.testing.assert_allclose(array, PIXELS - np.array([123.68, 116.779, 103.939], dtype="float32"), rtol=1e-6)
    np.testing.assert_array_equal(out, array[..., ::-1])
    tensor = torch.from_numpy(PIXELS.copy())
    imagenet_utils.preprocess_input(tensor, mode="tf")
    np.testing.assert_array_equal(tensor.numpy(), PIXELS)


def test_caffe_mode_returns_an_array_torch_accepts():
    out = imagenet_utils.preprocess_input(PIXELS.copy(), mode="caffe")
    assert all(stride > 0 for stride in out.strides)
    assert torch.as_tensor(out).shape == (1, 1, 2, 3)


def test_integer_images_become_floatx():
    out = imagenet_utils.preprocess_input(np.full((1, 1, 3), 255, dtype="uint8"), mode="tf")
    assert out.dtype == np.float32 and out.tolist() == [[[1.0, 1.0, 1.0]]]
    tensor = imagenet_utils.preprocess_input(torch.full((1, 1, 3), 255, dtype=torch.uint8), mode="tf")
    assert tensor.dtype == torch.float32 and tensor.tolist() == [[[1.0, 1.0, 1.0]]]


def test_tf_mode_takes_any_number_of_channels_and_the_others_need_three():
    assert imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 1)), mode="tf").tolist() == [[[[-1.0]] * 2] * 2]
    with pytest.raises(ValueError, match=r"3 channels.*\(1, 2, 2, 1\)"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 1)), mode="caffe")


def test_bad_mode_and_data_format_name_the_argument():
    with pytest.raises(ValueError, match="mode='bgr'"):
        imagenet_utils.preprocess_input(PIXELS.copy(), mode="bgr")
    with pytest.raises(ValueError, match="data_format='nhwc'"):
        imagenet_utils.preprocess_input(PIXELS.copy(), data_format="nhwc")


def test_family_modules_use_their_modes():
    from cornu.applications import densenet, efficientnet, mobilenet_v2, resnet50, resnet_v2, vgg16

    image = np.full((1, 1, 1, 3), 255.0)
    assert vgg16.preprocess_input(image.copy())[0, 0, 0].tolist() == pytest.approx([151.061, 138.221, 131.32])
    assert resnet50.preprocess_input(image.copy())[0, 0, 0].tolist() == pytest.approx([151.061, 138.221, 131.32])
    assert mobilenet_v2.preprocess_input(image.copy()).ravel().tolist() == [1.0, 1.0, 1.0]
    assert resnet_v2.preprocess_input(image.copy()).ravel().tolist() == [1.0, 1.0, 1.0]
    assert densenet.preprocess_input(image.copy()).ravel().tolist() == pytest.approx(
        [(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225]
    )
    assert efficientnet.preprocess_input(image) is image  # the model rescales inside


@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A made-up ImageNet index served from a local file in place of the download."""
    index = {str(i): [f"n{i:08d}", f"label_{i}"] for i in range(1000)}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    requested = []

    def fetch(spec, what, instead=None):
        requested.append(spec)
        return str(path)

    monkeypatch.setattr(weights, "fetch", fetch)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    return requested


def test_decode_predictions_returns_the_top_classes_best_first(class_index):
    scores = np.zeros((2, 1000), dtype="float32")
    scores[0, [5, 900, 42]] = [0.2, 0.7, 0.1]
    scores[1, 999] = 1.0
    decoded = imagenet_utils.decode_predictions(scores, top=3)
    assert [(wnid, name) for wnid, name, _ in decoded[0]] == [
        ("n00000900", "label_900"),
        ("n00000005", "label_5"),
        ("n00000042", "label_42"),
    ]
    assert [float(p) for _, _, p in decoded[0]] == pytest.approx([0.7, 0.2, 0.1])
    assert decoded[1][0][:2] == ("n00000999", "label_999")
    assert [spec.name for spec in class_index] == ["imagenet_class_index.json"]
    assert class_index[0].file_hash == "c2c37ea517e94d9795004a39431a14cb"  # Keras's hash of the published file


def test_decode_predictions_fetches_the_index_once_and_takes_tensors(class_index):
    imagenet_utils.decode_predictions(np.eye(1, 1000), top=1)
    decoded = imagenet_utils.decode_predictions(torch.eye(1, 1000) * 3, top=1)
    assert decoded[0][0][:2] == ("n00000000", "label_0") and float(decoded[0][0][2]) == 3.0
    assert len(class_index) == 1


def test_decode_predictions_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_says_what_to_download(monkeypatch):
    import cornu.utils.file_utils as file_utils

    def offline(*args, **kwargs):
        raise ConnectionError("Could not download it (no network). Copy it to /cache/models/x.")

    monkeypatch.setattr(file_utils, "get_file", offline)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    with pytest.raises(ConnectionError, match=r"imagenet_class_index\.json.*CLASS_INDEX"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))


@pytest.mark.parametrize(
    "given, include_top, weights, expected",
    [
        (None, False, None, (None, None, 3)),
        (None, True, None, (224, 224, 3)),
        (None, True, "imagenet", (224, 224, 3)),
        ((64, 48, 3), False, "imagenet", (64, 48, 3)),
        ((32, 32, 1), True, None, (32, 32, 1)),
        ((None, None, 3), False, None, (None, None, 3)),
    ],
)
def test_obtain_input_shape(given, include_top, weights, expected):
    assert imagenet_utils.obtain_input_shape(given, 224, 32, "channels_last", include_top, weights) == expected


def test_obtain_input_shape_refuses_what_the_model_cannot_take():
    with pytest.raises(ValueError, match=r"at least 32x32.*\(16, 64, 3\)"):
        imagenet_utils.obtain_input_shape((16, 64, 3), 224, 32, "channels_last", False)
    with pytest.raises(ValueError, match=r"must be \(224, 224, 3\)"):
        imagenet_utils.obtain_input_shape((64, 64, 3), 224, 32, "channels_last", True, "imagenet")
    with pytest.raises(ValueError, match="3 input channels"):
        imagenet_utils.obtain_input_shape((64, 64, 1), 224, 32, "channels_last", False, "imagenet")
    with pytest.raises(ValueError, match="fully known"):
        imagenet_utils.obtain_input_shape((None, None, 3), 224, 32, "channels_last", True)
    with pytest.raises(ValueError, match="3 entries"):
        imagenet_utils.obtain_input_shape((64, 64), 224, 32, "channels_last", False)
    with pytest.warns(UserWarning, match="1 or 3 channels"):
        imagenet_utils.obtain_input_shape((64, 64, 5), 224, 32, "channels_last", False)


def test_obtain_input_shape_channels_first():
    assert imagenet_utils.obtain_input_shape(None, 299, 75, "channels_first", True) == (3, 299, 299)
    assert imagenet_utils.obtain_input_shape(None, 299, 75, "channels_first", False) == (3, None, None)


@pytest.mark.parametrize(
    "side, kernel, expected",
    [(32, 3, ((0, 1), (0, 1))), (33, 3, ((1, 1), (1, 1))), (None, 5, ((1, 2), (1, 2))), (32, 5, ((1, 2), (1, 2)))],
)
def test_correct_pad_reproduces_tensorflow_same_padding(side, kernel, expected):
    assert imagenet_utils.correct_pad(KerasTensor((None, side, side, 8)), kernel) == expected


def test_correct_pad_channels_first():
    backend.set_image_data_format("channels_first")
    try:
        assert imagenet_utils.correct_pad(KerasTensor((None, 8, 32, 33)), 3) == ((0, 1), (1, 1))
    finally:
        backend.set_image_data_format("channels_last")


def test_validate_activation_allows_softmax_or_none_with_pretrained_weights():
    imagenet_utils.validate_activation("softmax", "imagenet")
    imagenet_utils.validate_activation(None, "/some/weights.h5")
    imagenet_utils.validate_activation("sigmoid", None)
    with pytest.raises(ValueError, match="classifier_activation='sigmoid'"):
        imagenet_utils.validate_activation("sigmoid", "imagenet")


def test_unknown_pooling_is_refused_where_keras_ignores_it():
    # Deliberate difference: Keras silently returns the unpooled feature map for pooling="average".
    with pytest.raises(ValueError, match="pooling='average'"):
        imagenet_utils.check_pooling("average")


def test_source_inputs_walks_back_to_the_inputs():
    from cornu.layers import Add, Dense

    a, b = Input(shape=(3,)), Input(shape=(3,))
    out = Dense(2)(Add()([Dense(3)(a), b]))
    assert imagenet_utils.source_inputs(out) == [a, b]
    assert imagenet_utils.source_inputs(a) == [a]
