"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017): each layer gets the feature maps of all earlier
layers of its block, concatenated; transition blocks halve the channels and the image between blocks.

Layer names are Keras's (`conv1_conv`, `conv2_block1_0_bn`, ..., `pool2_conv`, `bn`, `predictions`). Inputs are
preprocessed in "torch" mode (scaled to `[0, 1]`, then standardised with ImageNet's per-channel statistics).
"""

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.conv import Conv2D
from cornu.layers.core import Activation, Dense
from cornu.layers.merging import Concatenate
from cornu.layers.normalization import BatchNormalization
from cornu.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D
from cornu.layers.spatial import ZeroPadding2D
from cornu.models.functional import Functional

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# Hashes of the published files, (with top, without top), as Keras lists them.
HASHES = {
    "densenet121": ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_EPSILON = 1.001e-5


def DenseNet121(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet121",
):
    """DenseNet121 (8,062,504 weights with its top), as Keras builds it. Channels-last images only, as in Keras.

    Args:
        include_top: Whether to end with global average pooling and the Dense classifier. Defaults to `True`.
        weights: `None`, `"imagenet"` or the path of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor to build the model on. Defaults to `None`.
        input_shape: Optional `(height, width, 3)` without the top, each side at least 32. Defaults to `None`.
        pooling: Without the top: `None`, `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name. Defaults to `"densenet121"`.

    Returns:
        A Functional `Model`.

    Example:
    >>> DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 1024)
    """
    return build_densenet(
        (6, 12, 24, 16),
        "densenet121",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def DenseNet169(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet169",
):
    """DenseNet169 (14,307,880 weights with its top); arguments as `DenseNet121`.

    Example:
    >>> DenseNet169(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 1664)
    """
    return build_densenet(
        (6, 12, 32, 32),
        "densenet169",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def DenseNet201(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet201",
):
    """DenseNet201 (20,242,984 weights with its top); arguments as `DenseNet121`.

    Example:
    >>> DenseNet201(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 1920)
    """
    return build_densenet(
        (6, 12, 48, 32),
        "densenet201",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def preprocess_input(x, data_format=None):
    """DenseNet's preprocessing: to `[0, 1]`, then minus ImageNet's mean and over its standard deviation per channel.

    Example:
    >>> [round(v, 4) for v in preprocess_input(np.zeros((1, 1, 3)))[0, 0].tolist()]
    [-2.1179, -2.0357, -1.8044]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def build_densenet(
    blocks, weights_name, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
):
    """A DenseNet with `blocks[i]` convolution blocks in dense block `i + 1`, each adding 32 channels."""
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "DenseNet works on channels-last images only (as in Keras). Call "
            "cornu.backend.set_image_data_format('channels_last') and transpose the images to (h, w, 3)."
        )
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 224, 32, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    image = imagenet_utils.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(image)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = BatchNormalization(axis=3, epsilon=_EPSILON, name="conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = BatchNormalization(axis=3, epsilon=_EPSILON, name="bn")(x)
    x = Activation("relu", name="relu")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name)
    return load_weights(model, weights, _weights_file(weights_name, include_top))


def dense_block(x, blocks, name):
    """`blocks` convolution blocks, each concatenating 32 new channels to its input."""
    for i in range(1, blocks + 1):
        x = conv_block(x, 32, name=f"{name}_block{i}")
    return x


def transition_block(x, reduction, name):
    """Batch norm, ReLU, a 1x1 convolution to `reduction` of the channels, and 2x2 average pooling."""
    x = BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_bn")(x)
    x = Activation("relu", name=f"{name}_relu")(x)
    x = Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """Batch norm, ReLU, 1x1 convolution to `4 * growth_rate`, batch norm, ReLU, 3x3 convolution to `growth_rate`;
    the result is concatenated to `x`."""
    y = BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_0_bn")(x)
    y = Activation("relu", name=f"{name}_0_relu")(y)
    y = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_1_bn")(y)
    y = Activation("relu", name=f"{name}_1_relu")(y)
    y = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return Concatenate(axis=3, name=f"{name}_concat")([x, y])


def _weights_file(weights_name, include_top):
    suffix, file_hash = ("", HASHES[weights_name][0]) if include_top else ("_notop", HASHES[weights_name][1])
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return WeightsFile(file_name, _BASE + file_name, file_hash)
