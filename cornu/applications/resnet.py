"""ResNet50, ResNet101 and ResNet152 (He et al., 2015): bottleneck residual blocks after a 7x7 stem.

Layer names are Keras's (`conv1_conv`, `conv2_block1_0_conv`, ..., `conv5_block3_out`, `predictions`), so weights
Keras publishes or saves for these models load into them. `build_resnet` and the two block stacks are shared with
`cornu.applications.resnet_v2` (pre-activation blocks).
"""

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.conv import Conv2D
from cornu.layers.core import Activation, Dense
from cornu.layers.merging import Add
from cornu.layers.normalization import BatchNormalization
from cornu.layers.pooling import GlobalAveragePooling2D, MaxPooling2D
from cornu.layers.spatial import ZeroPadding2D
from cornu.models.functional import Functional

__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# Hashes of the published files, (with top, without top), as Keras lists them.
HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPSILON = 1.001e-5  # the BatchNormalization epsilon of the original Caffe models


def weights_files(weights_name):
    """`{include_top: WeightsFile}` for one of the published ResNets (`"resnet50"`, ..., `"resnet152v2"`)."""
    files = {}
    for include_top, suffix, file_hash in (
        (True, "", HASHES[weights_name][0]),
        (False, "_notop", HASHES[weights_name][1]),
    ):
        file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        files[include_top] = WeightsFile(file_name, _BASE + file_name, file_hash)
    return files


def ResNet50(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50",
):
    """ResNet50 (25,636,712 weights with its top), as Keras builds it.

    Inputs are `[0, 255]` RGB images passed through `cornu.applications.resnet50.preprocess_input` (caffe mode).

    Args:
        include_top: Whether to end with global average pooling and the Dense classifier (then the input is
            `(224, 224, 3)`). Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras's published weights, fetched once) or the path
            of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (from `cornu.layers.Input`) to build the model on. Defaults to `None`.
        input_shape: Optional `(height, width, 3)` without the top, each side at least 32. Defaults to `None`.
        pooling: Without the top: `None` (the last feature map), `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name. Defaults to `"resnet50"`.

    Returns:
        A Functional `Model`.

    Example:
    >>> model = ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
    >>> model.output_shape, model.get_layer("conv5_block3_out").output.shape
    ((None, 2048), (None, 1, 1, 2048))
    """
    stacks = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))
    return _resnet_v1(
        stacks,
        "resnet50",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ResNet101(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101",
):
    """ResNet101 (44,707,176 weights with its top): ResNet50 with 23 blocks in its fourth stage.

    Arguments as `ResNet50` (`name` defaults to `"resnet101"`).

    Example:
    >>> ResNet101(weights=None, include_top=False, input_shape=(32, 32, 3)).count_params()
    42658176
    """
    stacks = ((64, 3, 1), (128, 4, 2), (256, 23, 2), (512, 3, 2))
    return _resnet_v1(
        stacks,
        "resnet101",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ResNet152(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152",
):
    """ResNet152 (60,419,944 weights with its top): 8 blocks in the third stage and 36 in the fourth.

    Arguments as `ResNet50` (`name` defaults to `"resnet152"`).

    Example:
    >>> ResNet152(weights=None, include_top=False, input_shape=(32, 32, 3)).count_params()
    58370944
    """
    stacks = ((64, 3, 1), (128, 8, 2), (256, 36, 2), (512, 3, 2))
    return _resnet_v1(
        stacks,
        "resnet152",
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
    """ResNet's preprocessing: RGB to BGR, minus the ImageNet mean pixel (caffe mode).

    Example:
    >>> [round(v, 3) for v in preprocess_input(np.full((1, 1, 3), 255.0))[0, 0].tolist()]
    [151.061, 138.221, 131.32]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def build_resnet(
    stack_fn,
    preact,
    use_bias,
    weights_name,
    include_top,
    weights,
    input_tensor,
    input_shape,
    pooling,
    classes,
    classifier_activation,
    name,
):
    """The ResNet skeleton around `stack_fn(x)`: 7x7 stem and max pool, then the stages, then the head.

    `preact=True` (ResNetV2) moves the stem's batch norm and ReLU after the last stage (`post_bn`, `post_relu`).
    """
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 224, 32, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    image = imagenet_utils.image_input(input_tensor, input_shape)
    axis = _bn_axis()
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(image)
    x = Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = BatchNormalization(axis=axis, epsilon=_EPSILON, name="conv1_bn")(x)
        x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = BatchNormalization(axis=axis, epsilon=_EPSILON, name="post_bn")(x)
        x = Activation("relu", name="post_relu")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name)
    return load_weights(model, weights, weights_files(weights_name)[bool(include_top)])


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block (1x1, `kernel_size`, 1x1 to `4 * filters`) added to its shortcut, then ReLU."""
    axis = _bn_axis()
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_3_bn")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """`blocks` v1 blocks; the first has a convolution shortcut and stride `stride1`."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block (batch norm and ReLU first); the stride is on the 3x3 convolution."""
    axis = _bn_axis()
    preact = BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_preact_bn")(x)
    preact = Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = BatchNormalization(axis=axis, epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """`blocks` v2 blocks; the first has a convolution shortcut, the last has stride `stride1`."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _resnet_v1(stacks, weights_name, *arguments):
    def stack_fn(x):
        for stage, (filters, blocks, stride) in enumerate(stacks, start=2):
            x = stack_residual_blocks_v1(x, filters, blocks, stride1=stride, name=f"conv{stage}")
        return x

    return build_resnet(stack_fn, False, True, weights_name, *arguments)


def _bn_axis():
    return 3 if backend.image_data_format() == "channels_last" else 1
