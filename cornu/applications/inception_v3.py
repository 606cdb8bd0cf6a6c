"""InceptionV3 (Szegedy et al., 2016): parallel branches of factorised convolutions, concatenated into `mixed0` ...
`mixed10`.

As in Keras, the convolutions and batch norms inside the modules carry automatic names (`conv2d`, `conv2d_1`, ...,
`batch_normalization_93`), so the published weights are matched to them by order; a model built first in a fresh
session (`cornu.utils.clear_session()`) has exactly Keras's names. Batch norms have no scale (`scale=False`).
"""

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.conv import Conv2D
from cornu.layers.core import Activation, Dense
from cornu.layers.merging import concatenate
from cornu.layers.normalization import BatchNormalization
from cornu.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D
from cornu.models.functional import Functional

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS = {
    True: WeightsFile(
        "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        _BASE + "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        "9a0d58056eeedaa3f26cb7ebd46da564",
    ),
    False: WeightsFile(
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _BASE + "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
}


def InceptionV3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    """InceptionV3 (23,851,784 weights with its top), as Keras builds it.

    Inputs are `[0, 255]` RGB images passed through `cornu.applications.inception_v3.preprocess_input` ("tf" mode).

    Args:
        include_top: Whether to end with global average pooling and the Dense classifier (then the input is
            `(299, 299, 3)`). Defaults to `True`.
        weights: `None`, `"imagenet"` or the path of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor to build the model on. Defaults to `None`.
        input_shape: Optional `(height, width, 3)` without the top, each side at least 75. Defaults to `None`.
        pooling: Without the top: `None`, `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name. Defaults to `"inception_v3"`.

    Returns:
        A Functional `Model`.

    Example:
    >>> InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3)).output_shape
    (None, 1, 1, 2048)
    """
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 299, 75, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    image = imagenet_utils.image_input(input_tensor, input_shape)
    x = conv2d_bn(image, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, pool_filters in enumerate((32, 64, 64)):
        x = _module_a(x, pool_filters, name=f"mixed{i}")
    x = _reduction_a(x)
    x = _module_b(x, 128, name="mixed4")
    for i in range(2):
        x = _module_b(x, 160, name=f"mixed{5 + i}")
    x = _module_b(x, 192, name="mixed7")
    x = _reduction_b(x)
    for i in range(2):
        x = _module_c(x, i)
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
    """InceptionV3's preprocessing: pixels scaled from `[0, 255]` to `[-1, 1]` ("tf" mode).

    Example:
    >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]])).tolist()
    [[[-1.0, 0.0, 1.0]]]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution without bias, batch norm without scale, ReLU; named `{name}_conv`, `{name}_bn`, `{name}`, or
    automatically when `name` is None."""
    axis = 1 if backend.image_data_format() == "channels_first" else 3
    conv_name, bn_name = (f"{name}_conv", f"{name}_bn") if name is not None else (None, None)
    x = Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False, name=conv_name)(x)
    x = BatchNormalization(axis=axis, scale=False, name=bn_name)(x)
    return Activation("relu", name=name)(x)


def _axis():
    return 1 if backend.image_data_format() == "channels_first" else 3


def _average_branch(x, filters):
    return conv2d_bn(AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x), filters, 1, 1)


def _module_a(x, pool_filters, name):
    """35x35: 1x1, 5x5, double 3x3 and pooled branches (`mixed0` to `mixed2`)."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    branch_pool = _average_branch(x, pool_filters)
    return concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=_axis(), name=name)


def _reduction_a(x):
    """35x35 to 17x17 (`mixed3`)."""
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = MaxPooling2D((3, 3), strides=(2, 2))(x)
    return concatenate([branch3x3, branch3x3dbl, branch_pool], axis=_axis(), name="mixed3")


def _module_b(x, width, name):
    """17x17 with factorised 7x7 convolutions of `width` inner filters (`mixed4` to `mixed7`)."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(conv2d_bn(conv2d_bn(x, width, 1, 1), width, 1, 7), 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, width, 1, 1)
    for filters, rows, cols in ((width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)):
        branch7x7dbl = conv2d_bn(branch7x7dbl, filters, rows, cols)
    branch_pool = _average_branch(x, 192)
    return concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=_axis(), name=name)


def _reduction_b(x):
    """17x17 to 8x8 (`mixed8`)."""
    branch3x3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = MaxPooling2D((3, 3), strides=(2, 2))(x)
    return concatenate([branch3x3, branch7x7x3, branch_pool], axis=_axis(), name="mixed8")


def _module_c(x, i):
    """8x8 with split 1x3 / 3x1 branches (`mixed9`, `mixed10`)."""
    axis = _axis()
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = concatenate(
        [conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)], axis=axis, name=f"mixed9_{i}"
    )
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = concatenate([conv2d_bn(branch3x3dbl, 384, 1, 3), conv2d_bn(branch3x3dbl, 384, 3, 1)], axis=axis)
    branch_pool = _average_branch(x, 192)
    return concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=axis, name=f"mixed{9 + i}")
