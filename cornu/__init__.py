"""cornu: Keras, rebuilt on PyTorch.

>>> import cornu
>>> model = cornu.Sequential([cornu.layers.Dense(2, input_shape=(3,))])
>>> model.count_params()
8
"""

from cornu import (
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    distribute,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    optimizers,
    preprocessing,
    regularizers,
    saving,
    utils,
)
from cornu.layers import Input
from cornu.models import Model, Sequential

__version__ = "0.1.0"
_LAZY_MODULES = ("applications", "wrappers")  # imported on first use: the wrappers need scikit-learn
__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "constraints",
    "datasets",
    "distribute",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "optimizers",
    "preprocessing",
    "regularizers",
    "saving",
    "utils",
    "wrappers",
    "applications",
    "__version__",
]


def __getattr__(name):
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"cornu.{name}")
    raise AttributeError(f"module 'cornu' has no attribute {name!r}")
