"""MobileNetV2 (Sandler et al., 2018): inverted residual blocks with linear bottlenecks.

Layer names are Keras's (`Conv1`, `bn_Conv1`, `expanded_conv_depthwise`, `block_1_expand`, ..., `out_relu`,
`predictions`). Batch norms use Keras's `momentum=0.999`, `epsilon=1e-3`.
"""

import warnings

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.activations import ReLU
from cornu.layers.conv import Conv2D, DepthwiseConv2D
from cornu.layers.core import Dense
from cornu.layers.merging import Add
from cornu.layers.normalization import BatchNormalization
from cornu.layers.pooling import GlobalAveragePooling2D
from cornu.layers.spatial import ZeroPadding2D
from cornu.models.functional import Functional

__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
# (filters, stride, expansion) of the 17 inverted residual blocks, block_id 0 to 16
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
           (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
           (320, 1, 6))  # fmt: skip


def MobileNetV2(
    input_shape=None,
    alpha=1.0,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """MobileNetV2 (3,538,984 weights with its top at `alpha=1`), as Keras builds it.

    Inputs are `[0, 255]` RGB images passed through `cornu.applications.mobilenet_v2.preprocess_input` ("tf" mode).

    Args:
        input_shape: Optional `(height, width, 3)`, each side at least 32. Defaults to `None`.
        alpha: Width multiplier (published: 0.35, 0.5, 0.75, 1.0, 1.3, 1.4). Defaults to `1.0`.
        include_top: Whether to end with global average pooling and the Dense classifier. Defaults to `True`.
        weights: `None`, `"imagenet"` or the path of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor to build the model on. Defaults to `None`.
        pooling: Without the top: `None`, `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name. Defaults to `None` (`"mobilenetv2_{alpha:.2f}_{rows}"`).

    Returns:
        A Functional `Model`.

    Example:
    >>> model = MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.name, model.output_shape
    ('mobilenetv2_1.00_32', (None, 1280))
    """
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    first = backend.image_data_format() == "channels_first"
    default_size = _default_size(input_shape, input_tensor, first)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    rows, cols = input_shape[1:3] if first else input_shape[:2]
    if weights == "imagenet":
        rows = _check_imagenet(alpha, rows, cols)
    image = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()
    x = Conv2D(make_divisible(32 * alpha, 8), 3, strides=(2, 2), padding="same", use_bias=False, name="Conv1")(image)
    x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion=expansion, stride=stride, alpha=alpha, filters=filters, block_id=block_id)
    last_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = Conv2D(last_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    return load_weights(model, weights, _weights_file(alpha, rows, include_top) if weights == "imagenet" else None)


def preprocess_input(x, data_format=None):
    """MobileNetV2's preprocessing: pixels scaled from `[0, 255]` to `[-1, 1]` ("tf" mode).

    Example:
    >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]])).tolist()
    [[[-1.0, 0.0, 1.0]]]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def make_divisible(value, divisor, min_value=None):
    """`value` rounded to the nearest multiple of `divisor` (at least `min_value`), never more than 10% below it.

    Example:
    >>> make_divisible(32 * 0.35, 8), make_divisible(1280 * 1.3, 8)
    (16, 1664)
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _default_size(input_shape, input_tensor, first):
    """The published side to assume: the model's square side when it is one of them, else 224."""
    if input_shape is not None:
        rows, cols = input_shape[1:3] if first else input_shape[:2]
    elif input_tensor is not None and hasattr(input_tensor, "shape"):
        rows, cols = input_tensor.shape[2:4] if first else input_tensor.shape[1:3]
    else:
        return 224
    return rows if rows == cols and rows in _SIZES else 224


def _check_imagenet(alpha, rows, cols):
    if alpha not in _ALPHAS:
        raise ValueError(f"ImageNet weights exist for alpha in {list(_ALPHAS)} only. Received: alpha={alpha}")
    if rows != cols or rows not in _SIZES:
        warnings.warn(
            f"The input is {rows}x{cols}, not one of the published square sizes {_SIZES}; the weights for "
            f"(224, 224) are loaded.",
            stacklevel=3,
        )
        return 224
    return rows


def _weights_file(alpha, rows, include_top):
    suffix = "" if include_top else "_no_top"
    file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{suffix}.h5"
    return WeightsFile(file_name, _BASE + file_name, None)  # Keras publishes no hash for these


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    axis = imagenet_utils.channel_axis()
    in_channels = inputs.shape[axis]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}expand")(x)
        x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}expand_BN")(x)
        x = ReLU(6.0, name=f"{prefix}expand_relu")(x)
    if stride == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = DepthwiseConv2D(
        kernel_size=3,
        strides=stride,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}depthwise_BN")(x)
    x = ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return Add(name=f"{prefix}add")([inputs, x])
    return x
