"""Seeding: one call makes Python, NumPy and torch repeat themselves."""

import random

import numpy as np
import torch

__all__ = ["set_random_seed", "make_generator"]


def set_random_seed(seed):
    """Seeds Python's `random`, NumPy and torch, so two runs on the CPU are bit-identical.

    >>> set_random_seed(0); a = torch.rand(1); set_random_seed(0); bool(a == torch.rand(1))
    True
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"The seed must be an int. Received: seed={seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_generator(seed, device="cpu"):
    """A `torch.Generator` seeded with `seed`, or `None` (torch's global generator) when `seed` is None."""
    if seed is None:
        return None
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator
