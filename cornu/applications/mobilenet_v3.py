"""MobileNetV3Small and MobileNetV3Large (Howard et al., 2019): inverted residuals with squeeze-and-excite and
hard-swish, found by architecture search; `minimalistic=True` drops those (ReLU, 3x3 kernels, no squeeze-and-excite).

The models rescale `[0, 255]` pixels to `[-1, 1]` themselves (a `Rescaling` layer, unless
`include_preprocessing=False`), so `preprocess_input` returns its input. Layer names are Keras's (`conv`, `conv_bn`,
`expanded_conv_1_expand`, ..., `logits`, `predictions`).
"""

import warnings

import torch.nn.functional as F

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.activations import ReLU
from cornu.layers.base import Layer
from cornu.layers.conv import Conv2D, DepthwiseConv2D
from cornu.layers.core import Activation
from cornu.layers.merging import Add, Multiply
from cornu.layers.normalization import BatchNormalization
from cornu.layers.pooling import GlobalAveragePooling2D
from cornu.layers.preprocessing import Rescaling
from cornu.layers.regularization import Dropout
from cornu.layers.reshaping import Flatten
from cornu.layers.spatial import ZeroPadding2D
from cornu.models.functional import Functional
from cornu.saving.registry import register_keras_serializable
from cornu.utils.naming import unique_name

__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
# Hashes of the published files, (with top, without top), as Keras lists them.
HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"),
}
# (expansion, filters, kernel size ("k": 5, or 3 when minimalistic), stride, squeeze-excite?, activation ("hs": hard
# swish, or ReLU when minimalistic)) of each block, from the paper's tables 1 and 2 as Keras encodes them.
_SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"), (88 / 24, 24, 3, 1, False, "relu"),
          (4, 40, "k", 2, True, "hs"), (6, 40, "k", 1, True, "hs"), (6, 40, "k", 1, True, "hs"),
          (3, 48, "k", 1, True, "hs"), (3, 48, "k", 1, True, "hs"), (6, 96, "k", 2, True, "hs"),
          (6, 96, "k", 1, True, "hs"), (6, 96, "k", 1, True, "hs"))  # fmt: skip
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
          (3, 40, "k", 2, True, "relu"), (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
          (6, 80, 3, 2, False, "hs"), (2.5, 80, 3, 1, False, "hs"), (2.3, 80, 3, 1, False, "hs"),
          (2.3, 80, 3, 1, False, "hs"), (6, 112, 3, 1, True, "hs"), (6, 112, 3, 1, True, "hs"),
          (6, 160, "k", 2, True, "hs"), (6, 160, "k", 1, True, "hs"), (6, 160, "k", 1, True, "hs"))  # fmt: skip


def MobileNetV3Small(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Small",
):
    """MobileNetV3Small (2,554,968 weights with its top), as Keras builds it; takes `[0, 255]` pixels.

    Args:
        input_shape: Optional `(height, width, 3)`, each side at least 32. Defaults to `None` (open sizes).
        alpha: Width multiplier (published: 0.75 and 1.0; 1.0 when minimalistic). Defaults to `1.0`.
        minimalistic: Whether to use the variant without squeeze-and-excite, hard-swish and 5x5 kernels.
            Defaults to `False`.
        include_top: Whether to end with the classifier. Defaults to `True`.
        weights: `None`, `"imagenet"` or the path of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor to build the model on. Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        pooling: Without the top: `None`, `"avg"` or `"max"`. Defaults to `None`.
        dropout_rate: Dropout rate before the last layer. Defaults to `0.2`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        include_preprocessing: Whether the model rescales `[0, 255]` inputs to `[-1, 1]` itself. Defaults to `True`.
        name: The model's name. Defaults to `"MobileNetV3Small"`.

    Returns:
        A Functional `Model`.

    Example:
    >>> model = MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=10)
    >>> model.output_shape
    (None, 10)
    """
    return _mobilenet_v3(
        _SMALL,
        1024,
        "small",
        input_shape,
        alpha,
        minimalistic,
        include_top,
        weights,
        input_tensor,
        classes,
        pooling,
        dropout_rate,
        classifier_activation,
        include_preprocessing,
        name,
    )


def MobileNetV3Large(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Large",
):
    """MobileNetV3Large (5,507,432 weights with its top); arguments as `MobileNetV3Small`.

    Example:
    >>> MobileNetV3Large(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 960)
    """
    return _mobilenet_v3(
        _LARGE,
        1280,
        "large",
        input_shape,
        alpha,
        minimalistic,
        include_top,
        weights,
        input_tensor,
        classes,
        pooling,
        dropout_rate,
        classifier_activation,
        include_preprocessing,
        name,
    )


def preprocess_input(x, data_format=None):
    """Returns `x`: MobileNetV3 rescales its `[0, 255]` inputs itself (its `Rescaling` layer).

    Example:
    >>> preprocess_input(np.array([255.0])).tolist()
    [255.0]
    """
    return x


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


@register_keras_serializable(package="cornu.applications")  # so saved MobileNetV3s load without custom_objects
class HardSigmoid(Layer):
    """`relu6(x + 3) / 6`, the gate of MobileNetV3's squeeze-and-excite.

    Keras writes it as `ReLU(6.0)(x + 3.0) * (1.0 / 6.0)`, where only the ReLU is a layer; this layer takes the
    ReLU's automatic name, so every layer of the model is named as in Keras.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("name", unique_name("re_lu"))
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs):
        return F.hardsigmoid(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


def depth(value, divisor=8, min_value=None):
    """`value` rounded to a multiple of `divisor`, never more than 10% below it (the channel rounding of MobileNets).

    Example:
    >>> depth(16 * 0.75), depth(72)
    (16, 72)
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _mobilenet_v3(
    blocks,
    last_point_ch,
    model_type,
    input_shape,
    alpha,
    minimalistic,
    include_top,
    weights,
    input_tensor,
    classes,
    pooling,
    dropout_rate,
    classifier_activation,
    include_preprocessing,
    name,
):
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = _input_shape(input_shape, input_tensor)
    if weights == "imagenet":
        _check_imagenet(alpha, minimalistic, input_shape)
    image = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()
    kernel, hard, se_ratio = (3, _relu, None) if minimalistic else (5, _hard_swish, 0.25)
    x = Rescaling(scale=1.0 / 127.5, offset=-1.0)(image) if include_preprocessing else image
    x = Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="conv_bn")(x)
    x = hard(x)
    for block_id, (expansion, filters, size, stride, squeeze, act) in enumerate(blocks):
        x = _inverted_res_block(
            x,
            expansion,
            depth(filters * alpha),
            kernel if size == "k" else size,
            stride,
            se_ratio if squeeze else None,
            hard if act == "hs" else _relu,
            block_id,
        )
    last_conv_ch = depth(x.shape[axis] * 6)
    if alpha > 1.0:
        last_point_ch = depth(last_point_ch * alpha)
    x = Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="conv_1_bn")(x)
    x = hard(x)
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x)
        x = hard(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate)(x)
        x = Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name)
    spec = _weights_file(model_type, minimalistic, alpha, include_top) if weights == "imagenet" else None
    return load_weights(model, weights, spec)


def _input_shape(input_shape, input_tensor):
    first = backend.image_data_format() == "channels_first"
    if input_shape is None and input_tensor is not None:
        rows, cols = input_tensor.shape[2:4] if first else input_tensor.shape[1:3]
        input_shape = (3, cols, rows) if first else (cols, rows, 3)
    if input_shape is None:
        input_shape = (3, None, None) if first else (None, None, 3)
    rows, cols = input_shape[1:3] if first else input_shape[:2]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"MobileNetV3 needs images of at least 32x32. Received: input_shape={tuple(input_shape)}")
    return tuple(input_shape)


def _check_imagenet(alpha, minimalistic, input_shape):
    if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
        raise ValueError(
            f"ImageNet weights exist for alpha 0.75 and 1.0 (1.0 only when minimalistic). Received: alpha={alpha}, "
            f"minimalistic={minimalistic}"
        )
    rows, cols = input_shape[1:3] if backend.image_data_format() == "channels_first" else input_shape[:2]
    if rows != cols or rows != 224:
        warnings.warn(
            f"input_shape={input_shape} is not (224, 224, 3), the size the published weights were trained at; "
            f"they are loaded anyway.",
            stacklevel=4,
        )


def _weights_file(model_type, minimalistic, alpha, include_top):
    key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    if include_top:
        file_name, file_hash = f"weights_mobilenet_v3_{key}.h5", HASHES[key][0]
    else:
        file_name, file_hash = f"weights_mobilenet_v3_{key}_no_top_v2.h5", HASHES[key][1]
    return WeightsFile(file_name, _BASE + file_name, file_hash)


def _relu(x):
    return ReLU()(x)


def _hard_swish(x):
    return Activation("hard_swish")(x)


def _se_block(inputs, filters, se_ratio, prefix):
    x = GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = Conv2D(depth(filters * se_ratio), kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv")(x)
    x = ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = HardSigmoid()(x)
    return Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    axis = imagenet_utils.channel_axis()
    shortcut, in_filters = x, x.shape[axis]
    prefix = f"expanded_conv_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = Conv2D(
            depth(in_filters * expansion), kernel_size=1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad")(x)
    x = DepthwiseConv2D(
        kernel_size,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        use_bias=False,
        name=f"{prefix}depthwise",
    )(x)
    x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, depth(in_filters * expansion), se_ratio, prefix)
    x = Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}project_bn")(x)
    if stride == 1 and in_filters == filters:
        x = Add(name=f"{prefix}add")([shortcut, x])
    return x
