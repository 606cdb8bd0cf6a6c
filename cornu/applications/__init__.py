"""Ready-made image models with Keras's architectures, layer names and weights files: VGG, ResNet, MobileNet, ...

Each builder takes Keras's arguments (`include_top`, `weights`, `input_tensor`, `input_shape`, `pooling`, `classes`,
`classifier_activation`, `name`) and returns a Functional model whose layers carry Keras's names, so the weights
Keras publishes (`weights="imagenet"`, fetched once) or any file Keras saved for that model load into it. Each family's
module also has its `preprocess_input` and `decode_predictions`, e.g. `cornu.applications.vgg16.preprocess_input`.
"""

from cornu.applications import (
    convnext,
    densenet,
    efficientnet,
    imagenet_utils,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    resnet,
    resnet50,
    resnet_v2,
    vgg16,
    vgg19,
    xception,
)
from cornu.applications.convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from cornu.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from cornu.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from cornu.applications.inception_v3 import InceptionV3
from cornu.applications.mobilenet import MobileNet
from cornu.applications.mobilenet_v2 import MobileNetV2
from cornu.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from cornu.applications.resnet import ResNet50, ResNet101, ResNet152
from cornu.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from cornu.applications.vgg16 import VGG16
from cornu.applications.vgg19 import VGG19
from cornu.applications.xception import Xception

__all__ = [
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Large",
    "MobileNetV3Small",
    "ResNet50",
    "ResNet50V2",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "VGG16",
    "VGG19",
    "Xception",
    "convnext",
    "densenet",
    "efficientnet",
    "imagenet_utils",
    "inception_v3",
    "mobilenet",
    "mobilenet_v2",
    "mobilenet_v3",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg16",
    "vgg19",
    "xception",
]
