"""Xception (Chollet, 2017): depthwise separable convolutions in residual blocks (entry, 8 middle, exit flow).

Layer names are Keras's (`block1_conv1`, `block2_sepconv1`, ..., `block14_sepconv2_act`, `predictions`); the 1x1
convolution shortcuts and their batch norms are named automatically, as in Keras.
"""

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.conv import Conv2D, SeparableConv2D
from cornu.layers.core import Activation, Dense
from cornu.layers.merging import add
from cornu.layers.normalization import BatchNormalization
from cornu.layers.pooling import GlobalAveragePooling2D, MaxPooling2D
from cornu.models.functional import Functional

__all__ = ["Xception", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS = {
    True: WeightsFile(
        "xception_weights_tf_dim_ordering_tf_kernels.h5",
        _BASE + "xception_weights_tf_dim_ordering_tf_kernels.h5",
        "0a58e3b7378bc2990ea3b43d5981f1f6",
    ),
    False: WeightsFile(
        "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _BASE + "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "b0042744bf5b25fce3cb969f33bebb97",
    ),
}


def Xception(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="xception",
):
    """Xception (22,910,480 weights with its top), as Keras builds it.

    Inputs are `[0, 255]` RGB images passed through `cornu.applications.xception.preprocess_input` ("tf" mode).

    Args:
        include_top: Whether to end with global average pooling and the Dense classifier (then the input is
            `(299, 299, 3)`). Defaults to `True`.
        weights: `None`, `"imagenet"` or the path of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor to build the model on. Defaults to `None`.
        input_shape: Optional `(height, width, 3)` without the top, each side at least 71. Defaults to `None`.
        pooling: Without the top: `None`, `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name. Defaults to `"xception"`.

    Returns:
        A Functional `Model`.

    Example:
    >>> Xception(weights=None, include_top=False, input_shape=(71, 71, 3), pooling="avg").output_shape
    (None, 2048)
    """
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 299, 71, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    image = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()
    x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(image)
    x = BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    x = _entry_block(x, 128, 2, relu_first=False)
    x = _entry_block(x, 256, 3)
    x = _entry_block(x, 728, 4)
    for block in range(5, 13):
        residual = x
        for conv in (1, 2, 3):
            x = _act_sepconv_bn(x, 728, f"block{block}_sepconv{conv}")
        x = add([x, residual])
    x = _entry_block(x, (728, 1024), 13)
    for conv, filters in ((1, 1536), (2, 2048)):
        x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=f"block14_sepconv{conv}")(x)
        x = BatchNormalization(axis=axis, name=f"block14_sepconv{conv}_bn")(x)
        x = Activation("relu", name=f"block14_sepconv{conv}_act")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name)
    return load_weights(model, weights, WEIGHTS[bool(include_top)])


def preprocess_input(x, data_format=None):
    """Xception's preprocessing: pixels scaled from `[0, 255]` to `[-1, 1]` ("tf" mode).

    Example:
    >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]])).tolist()
    [[[-1.0, 0.0, 1.0]]]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def _entry_block(x, filters, block, relu_first=True):
    """Two separable convolutions and a strided max pool, added to a strided 1x1 convolution of the input.

    `filters` is one number, or (first, second) for block 13; block 2 starts without ReLU, and names its only
    activation `block2_sepconv2_act`, as in Keras.
    """
    axis = imagenet_utils.channel_axis()
    first, second = (filters, filters) if isinstance(filters, int) else filters
    residual = Conv2D(second, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = BatchNormalization(axis=axis)(residual)
    if relu_first:
        x = _act_sepconv_bn(x, first, f"block{block}_sepconv1")
    else:
        x = SeparableConv2D(first, (3, 3), padding="same", use_bias=False, name=f"block{block}_sepconv1")(x)
        x = BatchNormalization(axis=axis, name=f"block{block}_sepconv1_bn")(x)
    x = _act_sepconv_bn(x, second, f"block{block}_sepconv2")
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return add([x, residual])


def _act_sepconv_bn(x, filters, name):
    x = Activation("relu", name=f"{name}_act")(x)
    x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return BatchNormalization(axis=imagenet_utils.channel_axis(), name=f"{name}_bn")(x)
