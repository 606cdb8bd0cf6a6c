"""MobileNet (Howard et al., 2017): depthwise separable convolutions, with a width multiplier `alpha`.

Layer names are Keras's (`conv1`, `conv_dw_1`, `conv_pw_1_bn`, ..., `conv_preds`, `predictions`). The classifier is
a 1x1 convolution on the pooled features, as in the published weights.
"""

import warnings

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.activations import ReLU
from cornu.layers.conv import Conv2D, DepthwiseConv2D
from cornu.layers.core import Activation
from cornu.layers.normalization import BatchNormalization
from cornu.layers.pooling import GlobalAveragePooling2D
from cornu.layers.regularization import Dropout
from cornu.layers.reshaping import Reshape
from cornu.layers.spatial import ZeroPadding2D
from cornu.models.functional import Functional

__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_SIZES = (128, 160, 192, 224)  # the input sides weights were published for
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
# (pointwise filters, stride) of the 13 depthwise separable blocks
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
           (512, 1), (1024, 2), (1024, 1))  # fmt: skip


def MobileNet(
    input_shape=None,
    alpha=1.0,
    depth_multiplier=1,
    dropout=1e-3,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """MobileNet v1 (4,253,864 weights with its top at `alpha=1`), as Keras builds it.

    Inputs are `[0, 255]` RGB images passed through `cornu.applications.mobilenet.preprocess_input` ("tf" mode).

    Args:
        input_shape: Optional `(height, width, 3)`, each side at least 32. Defaults to `None` (`(224, 224, 3)` with
            the top, open sizes without).
        alpha: Width multiplier: every layer's filters are scaled by it (published: 0.25, 0.5, 0.75, 1.0).
            Defaults to `1.0`.
        depth_multiplier: Depth multiplier of the depthwise convolutions (published: 1). Defaults to `1`.
        dropout: Dropout rate before the classifier. Defaults to `1e-3`.
        include_top: Whether to end with the classifier. Defaults to `True`.
        weights: `None`, `"imagenet"` or the path of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor to build the model on. Defaults to `None`.
        pooling: Without the top: `None`, `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name. Defaults to `None` (`"mobilenet_{alpha:.2f}_{rows}"`).

    Returns:
        A Functional `Model`.

    Example:
    >>> model = MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=10)
    >>> model.name, model.output_shape
    ('mobilenet_0.25_32', (None, 10))
    """
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    rows = _square_side(input_shape)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, rows or 224, 32, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    rows = input_shape[1 if backend.image_data_format() == "channels_first" else 0]
    if weights == "imagenet":
        rows = _check_imagenet(alpha, depth_multiplier, rows, input_shape)
    image = imagenet_utils.image_input(input_tensor, input_shape)
    x = _conv_block(image, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, strides=(stride, stride), block_id=block_id)
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Dropout(dropout, name="dropout")(x)
        x = Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name or f"mobilenet_{alpha:0.2f}_{rows}")
    return load_weights(model, weights, _weights_file(alpha, rows, include_top) if weights == "imagenet" else None)


def preprocess_input(x, data_format=None):
    """MobileNet's preprocessing: pixels scaled from `[0, 255]` to `[-1, 1]` ("tf" mode).

    Example:
    >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]])).tolist()
    [[[-1.0, 0.0, 1.0]]]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def _square_side(input_shape):
    """The published size matching a square `input_shape`, else None (Keras then assumes 224)."""
    if input_shape is None:
        return None
    rows, cols = input_shape[1:3] if backend.image_data_format() == "channels_first" else input_shape[:2]
    return rows if rows == cols and rows in _SIZES else None


def _check_imagenet(alpha, depth_multiplier, rows, input_shape):
    if depth_multiplier != 1:
        raise ValueError(
            f"ImageNet weights exist for depth_multiplier=1 only. Received: depth_multiplier={depth_multiplier}"
        )
    if alpha not in _ALPHA_TEXT:
        raise ValueError(f"ImageNet weights exist for alpha in {sorted(_ALPHA_TEXT)} only. Received: alpha={alpha}")
    cols = input_shape[2 if backend.image_data_format() == "channels_first" else 1]
    if rows != cols or rows not in _SIZES:
        warnings.warn(
            f"input_shape={input_shape} is not one of the published square sizes {_SIZES}; the weights for "
            f"(224, 224) are loaded.",
            stacklevel=3,
        )
        return 224
    return rows


def _weights_file(alpha, rows, include_top):
    file_name = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{'' if include_top else '_no_top'}.h5"
    return WeightsFile(file_name, _BASE + file_name, None)  # Keras publishes no hash for these


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    axis = imagenet_utils.channel_axis()
    x = Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides, name="conv1")(inputs)
    x = BatchNormalization(axis=axis, name="conv1_bn")(x)
    return ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, filters, alpha, depth_multiplier=1, strides=(1, 1), block_id=1):
    axis = imagenet_utils.channel_axis()
    x = inputs
    if strides != (1, 1):  # TF's 'same' pads bottom/right only for stride 2; Keras pads explicitly to match it
        x = ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = DepthwiseConv2D(
        (3, 3),
        padding="same" if strides == (1, 1) else "valid",
        depth_multiplier=depth_multiplier,
        strides=strides,
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = Conv2D(
        int(filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1), name=f"conv_pw_{block_id}"
    )(x)
    x = BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)
