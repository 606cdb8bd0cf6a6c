"""Convolution layers (`layers.py`) and the convolution and window arithmetic they share (`ops.py`)."""

from cornu.layers.conv.layers import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from cornu.layers.conv.ops import conv, conv_transpose, depthwise_conv, torch_kernel

__all__ = [
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "SeparableConv1D",
    "SeparableConv2D",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "torch_kernel",
]
