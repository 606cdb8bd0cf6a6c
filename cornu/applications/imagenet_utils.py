"""What the ImageNet applications share: input preprocessing, decoding predictions, input shapes, padding, the head.

`preprocess_input` has Keras's three modes: `"caffe"` (RGB to BGR, minus the ImageNet mean pixel, no scaling; VGG,
ResNet), `"tf"` (to `[-1, 1]`; MobileNet, Inception, Xception, ResNetV2) and `"torch"` (to `[0, 1]`, then minus the
ImageNet mean and divided by its standard deviation, per channel; DenseNet). `decode_predictions` maps 1000 scores
to `(wordnet_id, name, score)` with the class index file Keras publishes, fetched once and cached.
"""

import json
import warnings

import numpy as np
import torch

from cornu import activations, backend
from cornu.applications import weights as weights_lib
from cornu.layers.input_layer import Input, InputLayer
from cornu.layers.pooling import GlobalAveragePooling2D, GlobalMaxPooling2D
from cornu.layers.symbolic import KerasTensor
from cornu.utils.shapes import format_shape

__all__ = [
    "preprocess_input",
    "decode_predictions",
    "obtain_input_shape",
    "correct_pad",
    "validate_activation",
    "image_input",
    "source_inputs",
    "check_pooling",
    "global_pool",
    "channel_axis",
]

CLASS_INDEX = None  # {"0": ["n01440764", "tench"], ...}, loaded by the first decode_predictions
CLASS_INDEX_FILE = weights_lib.WeightsFile(
    "imagenet_class_index.json",
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
    "c2c37ea517e94d9795004a39431a14cb",
)
# ImageNet statistics of the original training code of each family (Keras's constants).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN_RGB = (0.485, 0.456, 0.406)
TORCH_STD_RGB = (0.229, 0.224, 0.225)
_MODES = ("caffe", "tf", "torch")
_FORMATS = ("channels_first", "channels_last")


def preprocess_input(x, data_format=None, mode="caffe"):
    """Turns a batch of `[0, 255]` RGB images into what an ImageNet model was trained on.

    Args:
        x: Images, 3D `(h, w, 3)` or 4D `(n, h, w, 3)` (channels first with `data_format="channels_first"`), as a
            NumPy array or a torch tensor. A floating NumPy array is changed in place (as in Keras), so pass
            `np.copy(x)` to keep it; integer arrays are converted to `floatx()` first; tensors are never changed.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (`image_data_format()`).
        mode: `"caffe"` (RGB to BGR, then minus the ImageNet mean pixel), `"tf"` (to `[-1, 1]`) or `"torch"`
            (to `[0, 1]`, then standardised per channel with ImageNet's mean and standard deviation).
            Defaults to `"caffe"`.

    Returns:
        The preprocessed images, of the same kind (array or tensor) as `x`.

    Example:
    >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]]), mode="tf").tolist()
    [[[-1.0, 0.0, 1.0]]]
    >>> [round(v, 3) for v in preprocess_input(np.array([[[255.0, 0.0, 0.0]]]))[0, 0].tolist()]
    [-103.939, -116.779, 131.32]
    """
    if mode not in _MODES:
        raise ValueError(f"preprocess_input's mode must be one of {list(_MODES)}. Received: mode={mode!r}")
    data_format = _data_format(data_format)
    channel = _channel_axis_of(x, data_format, mode)
    if isinstance(x, np.ndarray):
        return _preprocess_array(x, channel, mode)
    return _preprocess_tensor(torch.as_tensor(x), channel, mode)


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each row of `preds`, best first, as `(wordnet_id, class_name, score)`.

    The class names come from Keras's `imagenet_class_index.json`, fetched with `cornu.utils.file_utils.get_file`
    the first time (offline, download it yourself and set `cornu.applications.imagenet_utils.CLASS_INDEX` to its
    parsed content, or put it in get_file's cache).

    Args:
        preds: Scores of shape `(samples, 1000)` (NumPy array or tensor), e.g. a model's `predict` output.
        top: Integer, how many classes per sample. Defaults to `5`.

    Returns:
        A list with one list of tuples per sample.

    Example:
    >>> import cornu.applications.imagenet_utils as utils
    >>> utils.CLASS_INDEX = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    >>> scores = np.zeros((1, 1000), "float32"); scores[0, 7] = 0.9; scores[0, 3] = 0.1
    >>> [(wnid, name, round(float(p), 2)) for wnid, name, p in utils.decode_predictions(scores, top=2)[0]]
    [('n00000007', 'class_7', 0.9), ('n00000003', 'class_3', 0.1)]
    >>> utils.CLASS_INDEX = None
    """
    if torch.is_tensor(preds):
        preds = preds.detach().cpu().numpy()
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            f"decode_predictions expects scores for the 1000 ImageNet classes, of shape (samples, 1000). "
            f"Received: preds of shape {format_shape(preds.shape)}. Use a model with include_top=True and "
            f"classes=1000."
        )
    index = _class_index()
    results = []
    for row in preds:
        best = np.argsort(row, kind="stable")[::-1][:top]
        results.append([(*index[str(i)], row[i]) for i in best])
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The image shape (without batch axis) a model is built for, checked against what its weights need.

    Args:
        input_shape: The user's shape, or `None`.
        default_size: The side the published weights were trained at (224, 299, ...).
        min_size: The smallest side the architecture accepts.
        data_format: `"channels_last"` or `"channels_first"`.
        require_flatten: Whether the classifier top is included (then the shape must be fully known).
        weights: `None`, `"imagenet"` or a path. Defaults to `None`.

    Returns:
        A tuple of 3 entries, `None` for sizes left open.

    Example:
    >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
    (None, None, 3)
    >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=True)
    (224, 224, 3)
    """
    first = data_format == "channels_first"
    if input_shape is not None:
        input_shape = tuple(input_shape)
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(
                f"These models are usually given 1 or 3 channels; input_shape={input_shape} has {channels}.",
                stacklevel=3,
            )
        sides = (default_size, default_size)
    else:
        channels, sides = 3, (default_size, default_size)
    default_shape = (channels, *sides) if first else (*sides, channels)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(
                f"With include_top=True and weights='imagenet' the input shape must be {default_shape}, the size "
                f"the classifier was trained at. Received: input_shape={input_shape}. Pass include_top=False "
                f"for other sizes."
            )
        return default_shape
    if input_shape:
        _check_shape(input_shape, first, min_size, weights)
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            f"With include_top=True the input shape must be fully known (the classifier's size depends on it). "
            f"Received: input_shape={input_shape}."
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """`((top, bottom), (left, right))` zero padding that makes a strided 'valid' convolution match TF's 'same'.

    Example:
    >>> correct_pad(KerasTensor((None, 32, 32, 3)), 3)
    ((0, 1), (0, 1))
    """
    first = backend.image_data_format() == "channels_first"
    rows, cols = inputs.shape[2:4] if first else inputs.shape[1:3]
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = (kernel[0] // 2, kernel[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Refuses a classifier activation other than softmax or none when pretrained weights are loaded.

    Example:
    >>> validate_activation("softmax", "imagenet")
    >>> validate_activation("sigmoid", None)
    """
    if weights is None:
        return
    function = activations.get(classifier_activation)
    if function not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            f"With pretrained weights the classifier's activation must be 'softmax' or None (the weights were "
            f"trained for it). Received: classifier_activation={classifier_activation!r}. Pass weights=None to "
            f"train another head."
        )


def image_input(input_tensor, input_shape):
    """The model's image tensor: `input_tensor` when given (a symbolic tensor), else a new `Input(input_shape)`.

    Example:
    >>> image_input(None, (32, 32, 3)).shape
    (None, 32, 32, 3)
    """
    if input_tensor is None:
        return Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            f"input_tensor must be a symbolic tensor made by cornu.layers.Input(...) (or by layers called on one). "
            f"Received: input_tensor of type {type(input_tensor).__name__}. Pass input_shape=... instead."
        )
    return input_tensor


def source_inputs(tensor):
    """The `Input` tensors `tensor` was computed from (the model's inputs when built on an `input_tensor`).

    Example:
    >>> from cornu.layers import Dense
    >>> x = Input(shape=(4,))
    >>> source_inputs(Dense(2)(x))[0] is x
    True
    """
    found, seen, stack = [], set(), [tensor]
    while stack:
        current = stack.pop()
        layer, node_index, _ = current._keras_history
        if isinstance(layer, InputLayer):
            if id(current) not in seen:
                seen.add(id(current))
                found.append(current)
            continue
        stack.extend(reversed(layer._inbound_nodes[node_index].input_tensors))
    return found


def check_pooling(pooling):
    """Refuses a `pooling` other than None, 'avg' or 'max' (Keras ignores an unknown one silently).

    Example:
    >>> check_pooling("avg")
    """
    if pooling not in (None, "avg", "max"):
        raise ValueError(
            f"pooling must be None (the last feature map), 'avg' or 'max' (global pooling to a vector). "
            f"Received: pooling={pooling!r}"
        )


def global_pool(x, pooling, avg_name=None, max_name=None):
    """`x`, or its global average (`pooling="avg"`) or max (`"max"`) over the image: a feature extractor's output.

    Example:
    >>> global_pool(Input(shape=(8, 8, 16)), "avg").shape
    (None, 16)
    """
    if pooling == "avg":
        return GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=max_name)(x)
    return x


def channel_axis():
    """The channel axis of image batches under `image_data_format()`: -1 (channels last) or 1.

    Example:
    >>> channel_axis()
    -1
    """
    return 1 if backend.image_data_format() == "channels_first" else -1


def _data_format(data_format):
    if data_format is None:
        return backend.image_data_format()
    if data_format not in _FORMATS:
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first'. Received: data_format={data_format!r}"
        )
    return data_format


def _channel_axis_of(x, data_format, mode):
    ndim = len(x.shape)
    axis = ndim - 1 if data_format == "channels_last" else (0 if ndim == 3 else 1)
    if mode != "tf" and (ndim < 2 or x.shape[axis] != 3):  # "tf" only rescales: any number of channels works
        raise ValueError(
            f"preprocess_input(mode='{mode}') expects RGB images with 3 channels, (h, w, 3) or (n, h, w, 3) for "
            f"data_format='{data_format}'. Received: x of shape {format_shape(tuple(x.shape))}."
        )
    return axis


def _preprocess_array(x, channel, mode):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(backend.floatx())
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "caffe":
        x = np.flip(x, axis=channel)  # a view: like Keras, the caller's float array is updated through it
        mean, std = CAFFE_MEAN_BGR, None
    else:
        x /= 255.0
        mean, std = TORCH_MEAN_RGB, TORCH_STD_RGB
    shape = [1] * x.ndim
    shape[channel] = 3
    x -= np.asarray(mean, dtype=x.dtype).reshape(shape)
    if std is not None:
        x /= np.asarray(std, dtype=x.dtype).reshape(shape)
    # the flipped view has a negative stride, which torch.as_tensor refuses: hand back a plain copy
    return np.ascontiguousarray(x) if mode == "caffe" else x


def _preprocess_tensor(x, channel, mode):
    if not torch.is_floating_point(x):
        x = x.to(backend.torch_dtype(None))
    if mode == "tf":
        return x / 127.5 - 1.0
    shape = [1] * x.ndim
    shape[channel] = 3
    if mode == "caffe":
        x = torch.flip(x, dims=(channel,))
        return x - torch.as_tensor(CAFFE_MEAN_BGR, dtype=x.dtype, device=x.device).reshape(shape)
    mean = torch.as_tensor(TORCH_MEAN_RGB, dtype=x.dtype, device=x.device).reshape(shape)
    std = torch.as_tensor(TORCH_STD_RGB, dtype=x.dtype, device=x.device).reshape(shape)
    return (x / 255.0 - mean) / std


def _check_shape(input_shape, first, min_size, weights):
    if len(input_shape) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels) (3 entries, no batch axis). "
            f"Received: input_shape={input_shape}"
        )
    channels = input_shape[0] if first else input_shape[-1]
    sides = input_shape[1:] if first else input_shape[:2]
    if weights == "imagenet" and channels != 3:
        raise ValueError(f"ImageNet weights need 3 input channels. Received: input_shape={input_shape}")
    if any(side is not None and side < min_size for side in sides):
        raise ValueError(
            f"This model needs images of at least {min_size}x{min_size}. Received: input_shape={input_shape}. "
            f"Resize the images, e.g. with cornu.layers.Resizing({min_size}, {min_size})."
        )


def _class_index():
    global CLASS_INDEX
    if CLASS_INDEX is None:
        instead = "set cornu.applications.imagenet_utils.CLASS_INDEX = json.load(open(path))."
        path = weights_lib.fetch(CLASS_INDEX_FILE, what="the ImageNet class names", instead=instead)
        with open(path, encoding="utf-8") as f:
            CLASS_INDEX = json.load(f)
    return CLASS_INDEX
