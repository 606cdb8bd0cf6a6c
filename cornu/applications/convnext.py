"""ConvNeXt Tiny, Small, Base, Large and XLarge (Liu et al., 2022): a ResNet modernised after vision transformers
(7x7 depthwise convolutions, LayerNorm, GELU MLPs, layer scale).

The models normalise `[0, 255]` pixels themselves (a `Normalization` "prestem" layer, unless
`include_preprocessing=False`), so `preprocess_input` returns its input. Layer names are Keras's
(`convnext_tiny_stem`, `convnext_tiny_stage_0_block_0_depthwise_conv`, ..., `convnext_tiny_head_dense`); the stem
and the downsampling blocks are nested `Sequential` models, as in Keras. Keras adds each block's shortcut with a
tensor `+` (an operation, not a layer); cornu's symbolic tensors have no arithmetic, so each block ends in an `Add`
layer named `{block}_add`: the model has one more (weightless) layer per block than Keras's.
"""

import numpy as np
import torch

from cornu import backend, initializers
from cornu.applications import imagenet_utils
from cornu.applications.weights import WeightsFile, check_weights, load_weights
from cornu.layers.base import Layer
from cornu.layers.conv import Conv2D
from cornu.layers.core import Activation, Dense
from cornu.layers.merging import Add
from cornu.layers.normalization import LayerNormalization
from cornu.layers.pooling import GlobalAveragePooling2D
from cornu.layers.preprocessing import Normalization
from cornu.models.functional import Functional
from cornu.models.sequential import Sequential
from cornu.saving.registry import register_keras_serializable

__all__ = [
    "ConvNeXtTiny",
    "ConvNeXtSmall",
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtXLarge",
    "LayerScale",
    "StochasticDepth",
    "preprocess_input",
    "decode_predictions",
]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# SHA-256 of the published files, (with top, without top), as Keras lists them.
HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}
# blocks per stage and channels per stage of each size
MODEL_CONFIGS = {
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}
_MEAN_RGB = (0.485 * 255, 0.456 * 255, 0.406 * 255)
_VARIANCE_RGB = ((0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2)


@register_keras_serializable(package="cornu.applications")  # so saved ConvNeXts load without custom_objects
class StochasticDepth(Layer):
    """Drops a residual branch per sample with probability `drop_path_rate` in training (scaling the rest up).

    Example:
    >>> StochasticDepth(0.5)(np.ones((2, 3)), training=False).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= drop_path_rate < 1:
            raise ValueError(f"drop_path_rate must be in [0, 1). Received: drop_path_rate={drop_path_rate}")
        self.drop_path_rate = drop_path_rate
        self.built = True

    def call(self, x, training=None):
        if not training or self.drop_path_rate == 0:
            return x
        keep = 1 - self.drop_path_rate
        mask = torch.floor(keep + torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype, device=x.device))
        return x / keep * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


@register_keras_serializable(package="cornu.applications")
class LayerScale(Layer):
    """Multiplies the last axis by a learned vector `gamma`, initialised to `init_values`.

    Example:
    >>> LayerScale(0.5, 2)(np.ones((1, 2))).tolist()
    [[0.5, 0.5]]
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values, self.projection_dim = init_values, projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight((self.projection_dim,), initializers.Constant(self.init_values))

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


def ConvNeXtTiny(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_tiny",
):
    """ConvNeXtTiny (28,589,128 weights with its top), as Keras builds it; takes `[0, 255]` pixels.

    Args:
        include_top: Whether to end with pooling, LayerNorm and the Dense classifier. Defaults to `True`.
        include_preprocessing: Whether the model normalises `[0, 255]` inputs itself. Defaults to `True`.
        weights: `None`, `"imagenet"` or the path of a weights file. Defaults to `"imagenet"`.
        input_tensor: Optional symbolic tensor to build the model on. Defaults to `None`.
        input_shape: Optional `(height, width, 3)` without the top, each side at least 32. Defaults to `None`.
        pooling: Without the top: `None`, `"avg"` or `"max"` (then a LayerNorm, as in Keras). Defaults to `None`.
        classes: Number of classes of the top. Defaults to `1000`.
        classifier_activation: The top's activation; `None` gives logits. Defaults to `"softmax"`.
        name: The model's name, also the prefix of its layers' names. Defaults to `"convnext_tiny"`.

    Returns:
        A Functional `Model`.

    Example:
    >>> model = ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape, model.count_params()
    ((None, 768), 27820128)
    """
    return _variant(
        "tiny",
        include_top,
        include_preprocessing,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ConvNeXtSmall(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_small",
):
    """ConvNeXtSmall (50,223,688 weights with its top); arguments as `ConvNeXtTiny`.

    Example (building it allocates all its weights; here only its blocks and channels per stage):
    >>> MODEL_CONFIGS["small"]
    ((3, 3, 27, 3), (96, 192, 384, 768))
    """
    return _variant(
        "small",
        include_top,
        include_preprocessing,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ConvNeXtBase(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_base",
):
    """ConvNeXtBase (88,591,464 weights with its top); arguments as `ConvNeXtTiny`.

    Example (building it allocates all its weights; here only its blocks and channels per stage):
    >>> MODEL_CONFIGS["base"]
    ((3, 3, 27, 3), (128, 256, 512, 1024))
    """
    return _variant(
        "base",
        include_top,
        include_preprocessing,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ConvNeXtLarge(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_large",
):
    """ConvNeXtLarge (197,767,336 weights with its top); arguments as `ConvNeXtTiny`.

    Example (building it allocates all its weights; here only its blocks and channels per stage):
    >>> MODEL_CONFIGS["large"]
    ((3, 3, 27, 3), (192, 384, 768, 1536))
    """
    return _variant(
        "large",
        include_top,
        include_preprocessing,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ConvNeXtXLarge(
    include_top=True,
    include_preprocessing=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="convnext_xlarge",
):
    """ConvNeXtXLarge (350,196,968 weights with its top); arguments as `ConvNeXtTiny`.

    Example (building it allocates all its weights; here only its blocks and channels per stage):
    >>> MODEL_CONFIGS["xlarge"]
    ((3, 3, 27, 3), (256, 512, 1024, 2048))
    """
    return _variant(
        "xlarge",
        include_top,
        include_preprocessing,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def preprocess_input(x, data_format=None):
    """Returns `x`: ConvNeXt normalises its `[0, 255]` inputs itself.

    Example:
    >>> preprocess_input(np.array([255.0])).tolist()
    [255.0]
    """
    return x


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)


def ConvNeXt(
    depths,
    projection_dims,
    drop_path_rate=0.0,
    layer_scale_init_value=1e-6,
    default_size=224,
    name="convnext",
    include_preprocessing=True,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """A ConvNeXt with `depths[i]` blocks of `projection_dims[i]` channels in stage `i` (the sizes' common builder).

    Example:
    >>> ConvNeXt((1, 1, 1, 1), (8, 16, 32, 64), include_top=False, input_shape=(32, 32, 3)).output_shape
    (None, 1, 1, 64)
    """
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt works on channels-last images only (as in Keras). Call "
            "cornu.backend.set_image_data_format('channels_last') and transpose the images to (h, w, 3)."
        )
    check_weights(weights, include_top, classes)
    imagenet_utils.check_pooling(pooling)
    if weights == "imagenet":
        _check_imagenet(depths, projection_dims, name, weights_name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, backend.image_data_format(), require_flatten=include_top, weights=weights
    )
    image = imagenet_utils.image_input(input_tensor, input_shape)
    x = image
    if include_preprocessing and input_shape[-1] == 3:
        x = Normalization(mean=list(_MEAN_RGB), variance=list(_VARIANCE_RGB), name=f"{name}_prestem_normalization")(x)
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    done = 0
    for stage, (count, dim) in enumerate(zip(depths, projection_dims)):
        x = _downsample(name, stage, dim)(x)
        for j in range(count):
            x = _block(x, dim, rates[done + j], layer_scale_init_value, name=f"{name}_stage_{stage}_block_{j}")
        done += count
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        x = imagenet_utils.global_pool(x, pooling)
        x = LayerNormalization(epsilon=1e-6)(x)
    inputs = image if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Functional(inputs, x, name=name)
    spec = _weights_file(name, weights_name, include_top) if weights == "imagenet" else None
    return load_weights(model, weights, spec)


def _variant(
    size,
    include_top,
    include_preprocessing,
    weights,
    input_tensor,
    input_shape,
    pooling,
    classes,
    classifier_activation,
    name,
):
    depths, dims = MODEL_CONFIGS[size]
    return ConvNeXt(
        depths,
        dims,
        0.0,
        1e-6,
        224,
        name=name,
        include_preprocessing=include_preprocessing,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights_name=f"convnext_{size}",
    )


def _downsample(name, stage, dim):
    """Stage 0's stem (4x4 patches, then LayerNorm), or a later stage's LayerNorm and 2x2 strided convolution."""
    if stage == 0:
        return Sequential(
            [
                Conv2D(dim, kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
            ],
            name=f"{name}_stem",
        )
    i = stage - 1
    return Sequential(
        [
            LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
            Conv2D(dim, kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}"),
        ],
        name=f"{name}_downsampling_block_{i}",
    )


def _block(inputs, dim, drop_path_rate, layer_scale_init_value, name):
    x = Conv2D(dim, kernel_size=7, padding="same", groups=dim, name=f"{name}_depthwise_conv")(inputs)
    x = LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = Dense(4 * dim, name=f"{name}_pointwise_conv_1")(x)
    x = Activation("gelu", name=f"{name}_gelu")(x)
    x = Dense(dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        x = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")(x)
    else:
        x = Activation("linear", name=f"{name}_identity")(x)
    return Add(name=f"{name}_add")([inputs, x])


def _check_imagenet(depths, projection_dims, name, weights_name):
    size = weights_name.split("convnext_")[-1]
    expected_depths, expected_dims = MODEL_CONFIGS[size]
    if tuple(depths) != expected_depths or tuple(projection_dims) != expected_dims:
        raise ValueError(
            f"The ImageNet weights of {weights_name} need depths={list(expected_depths)} and "
            f"projection_dims={list(expected_dims)}. Received: depths={list(depths)}, "
            f"projection_dims={list(projection_dims)}."
        )
    if weights_name not in name:
        raise ValueError(
            f"With weights='imagenet' the model's name must contain '{weights_name}' (its layers are named after "
            f"it, and the weights file after them). Received: name={name!r}"
        )


def _weights_file(name, weights_name, include_top):
    suffix, file_hash = (".h5", HASHES[weights_name][0]) if include_top else ("_notop.h5", HASHES[weights_name][1])
    file_name = name + suffix
    return WeightsFile(file_name, _BASE + file_name, file_hash)
