"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., 2016): ResNets with pre-activation residual blocks.

Built by `cornu.applications.resnet.build_resnet` with `preact=True`; names are Keras's (`conv2_block1_preact_bn`,
..., `post_bn`, `predictions`). Inputs are preprocessed in "tf" mode (to `[-1, 1]`), unlike the v1 ResNets.
"""

from cornu.applications import imagenet_utils
from cornu.applications.resnet import build_resnet, stack_residual_blocks_v2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]


def ResNet50V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50v2",
):
    """ResNet50V2 (25,613,800 weights with its top), as Keras builds it.

    Arguments as `cornu.applications.ResNet50` (`name` defaults to `"resnet50v2"`); inputs go through
    `cornu.applications.resnet_v2.preprocess_input`.

    Example:
    >>> model = ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape, model.count_params()
    ((None, 2048), 23564800)
    """
    stacks = ((64, 3, 2), (128, 4, 2), (256, 6, 2), (512, 3, 1))
    return _resnet_v2(
        stacks,
        "resnet50v2",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ResNet101V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101v2",
):
    """ResNet101V2 (44,675,560 weights with its top); arguments as `ResNet50V2`.

    Example:
    >>> ResNet101V2(weights=None, include_top=False, input_shape=(32, 32, 3)).count_params()
    42626560
    """
    stacks = ((64, 3, 2), (128, 4, 2), (256, 23, 2), (512, 3, 1))
    return _resnet_v2(
        stacks,
        "resnet101v2",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ResNet152V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152v2",
):
    """ResNet152V2 (60,380,648 weights with its top); arguments as `ResNet50V2`.

    Example:
    >>> ResNet152V2(weights=None, include_top=False, input_shape=(32, 32, 3)).count_params()
    58331648
    """
    stacks = ((64, 3, 2), (128, 8, 2), (256, 36, 2), (512, 3, 1))
    return _resnet_v2(
        stacks,
        "resnet152v2",
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
    """ResNetV2's preprocessing: pixels scaled from `[0, 255]` to `[-1, 1]` ("tf" mode).

    Example:
    >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]])).tolist()
    [[[-1.0, 0.0, 1.0]]]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def _resnet_v2(stacks, weights_name, *arguments):
    def stack_fn(x):
        for stage, (filters, blocks, stride) in enumerate(stacks, start=2):
            x = stack_residual_blocks_v2(x, filters, blocks, stride1=stride, name=f"conv{stage}")
        return x

    return build_resnet(stack_fn, True, True, weights_name, *arguments)
