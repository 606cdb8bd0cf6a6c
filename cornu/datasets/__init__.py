"""Datasets with Keras's `load_data()` functions."""

from cornu.datasets import mnist

__all__ = ["mnist"]
