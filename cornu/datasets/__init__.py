"""Datasets with Keras's `load_data()` functions: same files, same checks, same arrays.

Files come from the addresses Keras uses, are checked against Keras's hashes and kept in `~/.cornu/datasets`
(`$CORNU_HOME/datasets`); files already in Keras's `~/.keras/datasets` are used where they are. See
`cornu.datasets.cache` for mirrors (`CORNU_DATASETS_ORIGIN`) and offline use.
"""

from cornu.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
