"""Numeric settings, the compute device and seeding. Imports nothing else of cornu."""

from cornu.backend.config import (
    denormals_flushed,
    epsilon,
    floatx,
    flush_denormal,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_flush_denormal,
    set_image_data_format,
    torch_dtype,
)
from cornu.backend.device import get_device, set_device
from cornu.backend.random import make_generator, set_random_seed

__all__ = [
    "denormals_flushed",
    "flush_denormal",
    "set_flush_denormal",
    "epsilon",
    "floatx",
    "get_device",
    "image_data_format",
    "make_generator",
    "set_device",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_random_seed",
    "torch_dtype",
]
