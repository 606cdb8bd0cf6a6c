"""VGG16 (Simonyan & Zisserman, 2015): five blocks of 3x3 convolutions and max pooling, then three Dense layers.

Layer names and weight shapes are Keras's (`block1_conv1` ... `block5_pool`, `fc1`, `fc2`, `predictions`), so the
weights Keras publishes, and any file Keras saved for this model, load as they are.
"""

from cornu import backend
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.conv import Conv2D
from cornu.layers.core import Dense
from cornu.layers.pooling import MaxPooling2D
from cornu.layers.reshaping import Flatten
from cornu.models.functional import Functional

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
WEIGHTS = {
    True: WeightsFile(
        "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        _BASE + "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "64373286793e3c8b2b4e3219cbf3544b",
    ),
    False: WeightsFile(
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _BASE + "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
    ),
}


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    """The VGG16 image classifier (138,357,544 weights with its top), as Keras builds it.

    Inputs are `[0, 255]` RGB images passed through `cornu.applications.vgg16.preprocess_input` (caffe mode).

    Args:
        include_top: Whether to end with the three Dense layers (then the input is `(224, 224, 3)`).
            Defaults to `True`.
        weights: `None` (random initialization), `"imagenet"` (Keras's published weights, fetched once) or the path
            of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor (from `cornu.layers.Input`) to build the model on. Defaults to `None`.
        input_shape: Optional `(height, width, 3)` without the top, each side at least 32. Defaults to `None`
            (`(224, 224, 3)` with the top, `(None, None, 3)` without).
        pooling: Without the top: `None` (the last block's feature map), `"avg"` or `"max"` (global pooling to a
            vector). Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name. Defaults to `"vgg16"`.

    Returns:
        A Functional `Model`.

    Example:
    >>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape, model.count_params()
    ((None, 512), 14714688)
    """
    return build_vgg(
        (2, 2, 3, 3, 3),
        WEIGHTS,
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
    """VGG16's preprocessing: RGB to BGR, minus the ImageNet mean pixel (`imagenet_utils.preprocess_input` caffe).

    Example:
    >>> [round(v, 3) for v in preprocess_input(np.zeros((1, 1, 3)))[0, 0].tolist()]
    [-103.939, -116.779, -123.68]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`.

    Example:
    >>> decode_predictions(np.zeros((1, 10)))
    Traceback (most recent call last):
    ...
    ValueError: decode_predictions expects scores for the 1000 ImageNet classes, ...
    """
    return imagenet_utils.decode_predictions(preds, top=top)


def build_vgg(
    block_depths,
    weights_files,
    include_top,
    weights,
    input_tensor,
    input_shape,
    pooling,
    classes,
    classifier_activation,
    name,
):
    """VGG with `block_depths[i]` convolutions in block `i + 1` (VGG16: 2, 2, 3, 3, 3; VGG19: 2, 2, 4, 4, 4)."""
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, 224, 32, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    image = imagenet_utils.image_input(input_tensor, input_shape)
    x = image
    for block, depth in enumerate(block_depths, start=1):
        filters = min(64 * 2 ** (block - 1), 512)
        for conv in range(1, depth + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{conv}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name)
    return load_weights(model, weights, weights_files[bool(include_top)])
