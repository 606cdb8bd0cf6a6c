"""Losses: what training minimises. Keras 3's functions, classes, names and reductions, computed by torch.

A loss function `f(y_true, y_pred)` returns one loss per sample; a `Loss` class wraps it with a reduction
(`"sum_over_batch_size"` by default) and sample weights. The families live in `regression`, `probabilistic`,
`margin` (hinge), `segmentation` (Dice, Tversky), `similarity` (Circle) and `sequence` (CTC). `get` turns a
name, config or object into a loss; `check_targets` tells the user, before training, when targets do not fit.

Example:
>>> import cornu.losses
>>> loss = cornu.losses.get("categorical_crossentropy")
>>> [round(v, 4) for v in loss([[0.0, 1.0]], [[0.2, 0.8]]).tolist()]
[0.2231]
"""

from cornu.losses.base import Loss, LossFunctionWrapper
from cornu.losses.margin import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from cornu.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from cornu.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from cornu.losses.segmentation import Dice, Tversky, dice, tversky
from cornu.losses.sequence import CTC, ctc
from cornu.losses.serialization import deserialize, get, serialize
from cornu.losses.similarity import Circle, circle
from cornu.losses.targets import check_targets

# Short and Keras 1/2 names of the functions (Keras 3 keeps the short ones under keras._legacy).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber

__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "ctc",
    "dice",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
    "mse",
    "MSE",
    "mae",
    "MAE",
    "mape",
    "MAPE",
    "msle",
    "MSLE",
    "kld",
    "KLD",
    "kullback_leibler_divergence",
    "logcosh",
    "huber_loss",
    "get",
    "serialize",
    "deserialize",
    "check_targets",
]
