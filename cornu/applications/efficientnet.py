"""EfficientNetB0 to B7 (Tan & Le, 2019): mobile inverted bottlenecks with squeeze-and-excite, scaled in width,
depth and resolution together.

The models take `[0, 255]` pixels: they rescale and normalise inside (`Rescaling`, `Normalization`), so
`preprocess_input` returns its input. Layer names are Keras's (`stem_conv`, `block1a_dwconv`, ..., `top_conv`,
`predictions`). As in Keras, `weights="imagenet"` adds a `Rescaling` by `1 / sqrt(std)` after the normalisation,
which the published weights expect.
"""

import math

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.conv import Conv2D, DepthwiseConv2D
from cornu.layers.core import Activation, Dense
from cornu.layers.merging import add, multiply
from cornu.layers.normalization import BatchNormalization
from cornu.layers.pooling import GlobalAveragePooling2D
from cornu.layers.preprocessing import Normalization, Rescaling
from cornu.layers.regularization import Dropout
from cornu.layers.reshaping import Reshape
from cornu.layers.spatial import ZeroPadding2D
from cornu.models.functional import Functional

__all__ = [
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "preprocess_input",
    "decode_predictions",
]

_BASE = "https://storage.googleapis.com/keras-applications/"
# Hashes of the published files, (with top, without top), as Keras lists them.
HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# (width coefficient, depth coefficient, default input size, dropout rate) of B0 to B7
SCALING = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}
# The seven stages of B0: (kernel size, repeats, filters in, filters out, expand ratio, strides); all use identity
# skips and squeeze-and-excite with ratio 0.25.
STAGES = ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
          (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1))  # fmt: skip
CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def EfficientNetB0(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb0",
):
    """EfficientNetB0 (5,330,571 weights with its top, input 224x224), as Keras builds it; takes `[0, 255]` pixels.

    Args:
        include_top: Whether to end with global average pooling, dropout and the Dense classifier.
            Defaults to `True`.
        weights: `None`, `"imagenet"` or the path of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor to build the model on. Defaults to `None`.
        input_shape: Optional `(height, width, 3)` without the top, each side at least 32. Defaults to `None`.
        pooling: Without the top: `None`, `"avg"` or `"max"`. Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name (the published weights file is named after it). Defaults to `"efficientnetb0"`.

    Returns:
        A Functional `Model`.

    Example:
    >>> model = EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape, model.count_params()
    ((None, 1280), 4049571)
    """
    return _variant(
        "b0", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB1(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb1",
):
    """EfficientNetB1 (7,856,239 weights with its top, input 240x240); arguments as `EfficientNetB0`.

    Example (building it allocates all its weights; here only the scaling it applies to B0):
    >>> SCALING["b1"]  # width and depth multipliers, input side, dropout rate
    (1.0, 1.1, 240, 0.2)
    """
    return _variant(
        "b1", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb2",
):
    """EfficientNetB2 (9,177,569 weights with its top, input 260x260); arguments as `EfficientNetB0`.

    Example (building it allocates all its weights; here only the scaling it applies to B0):
    >>> SCALING["b2"]  # width and depth multipliers, input side, dropout rate
    (1.1, 1.2, 260, 0.3)
    """
    return _variant(
        "b2", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb3",
):
    """EfficientNetB3 (12,320,535 weights with its top, input 300x300); arguments as `EfficientNetB0`.

    Example (building it allocates all its weights; here only the scaling it applies to B0):
    >>> SCALING["b3"]  # width and depth multipliers, input side, dropout rate
    (1.2, 1.4, 300, 0.3)
    """
    return _variant(
        "b3", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB4(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb4",
):
    """EfficientNetB4 (19,466,823 weights with its top, input 380x380); arguments as `EfficientNetB0`.

    Example (building it allocates all its weights; here only the scaling it applies to B0):
    >>> SCALING["b4"]  # width and depth multipliers, input side, dropout rate
    (1.4, 1.8, 380, 0.4)
    """
    return _variant(
        "b4", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB5(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb5",
):
    """EfficientNetB5 (30,562,527 weights with its top, input 456x456); arguments as `EfficientNetB0`.

    Example (building it allocates all its weights; here only the scaling it applies to B0):
    >>> SCALING["b5"]  # width and depth multipliers, input side, dropout rate
    (1.6, 2.2, 456, 0.4)
    """
    return _variant(
        "b5", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB6(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb6",
):
    """EfficientNetB6 (43,265,143 weights with its top, input 528x528); arguments as `EfficientNetB0`.

    Example (building it allocates all its weights; here only the scaling it applies to B0):
    >>> SCALING["b6"]  # width and depth multipliers, input side, dropout rate
    (1.8, 2.6, 528, 0.5)
    """
    return _variant(
        "b6", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def EfficientNetB7(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb7",
):
    """EfficientNetB7 (66,658,687 weights with its top, input 600x600); arguments as `EfficientNetB0`.

    Example (building it allocates all its weights; here only the scaling it applies to B0):
    >>> SCALING["b7"]  # width and depth multipliers, input side, dropout rate
    (2.0, 3.1, 600, 0.5)
    """
    return _variant(
        "b7", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def preprocess_input(x, data_format=None):
    """Returns `x`: EfficientNet rescales and normalises its `[0, 255]` inputs itself.

    Example:
    >>> preprocess_input(np.array([255.0])).tolist()
    [255.0]
    """
    return x


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def round_filters(filters, width_coefficient, divisor=8):
    """`filters * width_coefficient` rounded to a multiple of `divisor`, never more than 10% below it.

    Example:
    >>> round_filters(32, 1.1), round_filters(1280, 1.2)
    (32, 1536)
    """
    filters *= width_coefficient
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * filters else rounded)


def build_efficientnet(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    activation="swish",
    name="efficientnet",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """An EfficientNet scaled by `width_coefficient` (filters) and `depth_coefficient` (repeats) from B0."""
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    image = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    x = Rescaling(1.0 / 255.0)(image)
    x = Normalization(axis=axis)(x)
    if weights == "imagenet":  # the published weights were trained with this extra scaling (as Keras builds it)
        x = Rescaling([1.0 / math.sqrt(std) for std in IMAGENET_STDDEV_RGB])(x)
    x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = Conv2D(
        round_filters(32, width_coefficient),
        3,
        strides=2,
        padding="valid",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="stem_conv",
    )(x)
    x = BatchNormalization(axis=axis, name="stem_bn")(x)
    x = Activation(activation, name="stem_activation")(x)
    x = _stages(x, width_coefficient, depth_coefficient, drop_connect_rate, activation)
    x = Conv2D(
        round_filters(1280, width_coefficient),
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="top_conv",
    )(x)
    x = BatchNormalization(axis=axis, name="top_bn")(x)
    x = Activation(activation, name="top_activation")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(
            classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions"
        )(x)
    else:
        x = imagenet_utils.global_pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name)
    spec = _weights_file(name, weights_name, include_top) if weights == "imagenet" else None
    return load_weights(model, weights, spec)


def block(
    inputs,
    activation="swish",
    drop_rate=0.0,
    name="",
    filters_in=32,
    filters_out=16,
    kernel_size=3,
    strides=1,
    expand_ratio=1,
    se_ratio=0.0,
    id_skip=True,
):
    """One mobile inverted bottleneck: 1x1 expansion, depthwise convolution, squeeze-and-excite, 1x1 projection,
    and (same shape) a residual connection whose branch is dropped per sample with `drop_rate` in training."""
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv1x1(x, filters, f"{name}expand_conv")
        x = BatchNormalization(axis=axis, name=f"{name}expand_bn")(x)
        x = Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{name}dwconv_pad")(x)
    x = DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding="valid" if strides == 2 else "same",
        use_bias=False,
        depthwise_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}dwconv",
    )(x)
    x = BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, filters, max(1, int(filters_in * se_ratio)), activation, name, axis)
    x = _conv1x1(x, filters_out, f"{name}project_conv")
    x = BatchNormalization(axis=axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = add([x, inputs], name=f"{name}add")
    return x


def _variant(key, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name):
    width, depth, size, dropout = SCALING[key]
    return build_efficientnet(
        width,
        depth,
        size,
        dropout,
        name=name,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights_name=key,
    )


def _stages(x, width_coefficient, depth_coefficient, drop_connect_rate, activation):
    repeats = [int(math.ceil(depth_coefficient * stage[1])) for stage in STAGES]
    total, done = float(sum(repeats)), 0
    for i, (kernel_size, _, filters_in, filters_out, expand_ratio, strides) in enumerate(STAGES):
        filters_in = round_filters(filters_in, width_coefficient)
        filters_out = round_filters(filters_out, width_coefficient)
        for j in range(repeats[i]):
            x = block(
                x,
                activation,
                drop_connect_rate * done / total,
                name=f"block{i + 1}{chr(j + 97)}_",
                filters_in=filters_in if j == 0 else filters_out,
                filters_out=filters_out,
                kernel_size=kernel_size,
                strides=strides if j == 0 else 1,
                expand_ratio=expand_ratio,
                se_ratio=0.25,
                id_skip=True,
            )
            done += 1
    return x


def _squeeze_excite(x, filters, filters_se, activation, name, axis):
    se = GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = Reshape((1, 1, filters) if axis == 3 else (filters, 1, 1), name=f"{name}se_reshape")(se)
    se = Conv2D(
        filters_se,
        1,
        padding="same",
        activation=activation,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}se_reduce",
    )(se)
    se = Conv2D(
        filters,
        1,
        padding="same",
        activation="sigmoid",
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}se_expand",
    )(se)
    return multiply([x, se], name=f"{name}se_excite")


def _conv1x1(x, filters, name):
    return Conv2D(filters, 1, padding="same", use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER, name=name)(x)


def _weights_file(name, weights_name, include_top):
    suffix, file_hash = (".h5", HASHES[weights_name][0]) if include_top else ("_notop.h5", HASHES[weights_name][1])
    file_name = name + suffix  # Keras names the file after the model (so a renamed model misses the file, as there)
    return WeightsFile(file_name, _BASE + file_name, file_hash)
