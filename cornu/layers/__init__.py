"""Layers: the building blocks of models. Each is a `torch.nn.Module` with Keras's arguments and weights."""

from cornu.layers.base import Layer
from cornu.layers.core import Activation, Dense
from cornu.layers.input_layer import Input, InputLayer
from cornu.layers.symbolic import KerasTensor

__all__ = ["Activation", "Dense", "Input", "InputLayer", "KerasTensor", "Layer"]
