"""Ready-made image models with Keras's architectures, layer names and weights files: VGG, ResNet, MobileNet, ...

Each builder takes Keras's arguments (`include_top`, `weights`, `input_tensor`, `input_shape`, `pooling`, `classes`,
`classifier_activation`, `name`) and returns a Functional model whose layers carry Keras's names, so the weights
Keras publishes (`weights="imagenet"`, fetched once) or any file Keras saved for that model load into it. Each family's
module also has its `preprocess_input` and `decode_predictions`, e.g. `cornu.applications.vgg16.preprocess_input`.
"""

from cornu.applications import imagenet_utils, resnet, resnet_v2, vgg16, vgg19
from cornu.applications.resnet import ResNet50, ResNet101, ResNet152
from cornu.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from cornu.applications.vgg16 import VGG16
from cornu.applications.vgg19 import VGG19

__all__ = [
    "ResNet50",
    "ResNet50V2",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "VGG16",
    "VGG19",
    "imagenet_utils",
    "resnet",
    "resnet_v2",
    "vgg16",
    "vgg19",
]
