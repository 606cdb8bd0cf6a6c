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
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    preprocessing,
    regularizers,
    saving,
    utils,
    wrappers,
)
from cornu.layers import Input
from cornu.models import Model, Sequential

__version__ = "0.1.0"
__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "preprocessing",
    "regularizers",
    "saving",
    "utils",
    "wrappers",
    "__version__",
]
