"""Keras 1/2's preprocessing modules, as tutorials import them: `image`, `sequence`, `text`; and the dataset
builders `keras.preprocessing` also offers."""

from cornu.preprocessing import image, sequence, text
from cornu.utils.dataset_utils import timeseries_dataset_from_array
from cornu.utils.image_dataset_utils import image_dataset_from_directory
from cornu.utils.text_dataset_utils import text_dataset_from_directory

__all__ = [
    "image",
    "image_dataset_from_directory",
    "sequence",
    "text",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
