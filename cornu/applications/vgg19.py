"""VGG19 (Simonyan & Zisserman, 2015): VGG16 with a fourth convolution in blocks 3, 4 and 5.

Layer names and weight shapes are Keras's (`block3_conv4`, ...), so Keras's published weights load as they are.
"""

from cornu.applications import imagenet_utils
from cornu.applications.vgg16 import build_vgg
from cornu.applications.weights import WeightsFile

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
WEIGHTS = {
    True: WeightsFile(
        "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        _BASE + "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        "cbe5617147190e668d6c5d5026f83318",
    ),
    False: WeightsFile(
        "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _BASE + "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "253f8cb515780f3b799900260a226db6",
    ),
}


def VGG19(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg19",
):
    """The VGG19 image classifier (143,667,240 weights with its top), as Keras builds it.

    Inputs are `[0, 255]` RGB images passed through `cornu.applications.vgg19.preprocess_input` (caffe mode).
    Arguments as `cornu.applications.VGG16` (`name` defaults to `"vgg19"`).

    Example:
    >>> model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape, model.count_params()
    ((None, 1, 1, 512), 20024384)
    """
    return build_vgg(
        (2, 2, 4, 4, 4),
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
    """VGG19's preprocessing: RGB to BGR, minus the ImageNet mean pixel (caffe mode).

    Example:
    >>> [round(v, 3) for v in preprocess_input(np.zeros((1, 1, 3)))[0, 0].tolist()]
    [-103.939, -116.779, -123.68]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes per sample as `(wordnet_id, name, score)`; see `imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
