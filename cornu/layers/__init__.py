"""Layers: the building blocks of models. Each is a `torch.nn.Module` with Keras's arguments and weights."""

from cornu.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from cornu.layers.base import Layer
from cornu.layers.core import Activation, Dense, Embedding, Identity, Lambda, Masking
from cornu.layers.input_layer import Input, InputLayer
from cornu.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from cornu.layers.normalization import BatchNormalization, LayerNormalization
from cornu.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from cornu.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from cornu.layers.symbolic import KerasTensor

__all__ = [
    "Activation",
    "ActivityRegularization",
    "Add",
    "Average",
    "BatchNormalization",
    "Concatenate",
    "Dense",
    "Dot",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "Identity",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "Maximum",
    "Minimum",
    "Multiply",
    "Permute",
    "PReLU",
    "ReLU",
    "RepeatVector",
    "Reshape",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
