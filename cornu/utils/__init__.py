"""Utilities users reach for: labels, normalisation, seeding, sessions."""

from cornu.backend.random import set_random_seed
from cornu.utils.dataset_utils import split_dataset, timeseries_dataset_from_array
from cornu.utils.file_utils import get_file
from cornu.utils.image_dataset_utils import image_dataset_from_directory
from cornu.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from cornu.utils.model_visualization import model_to_dot, plot_model
from cornu.utils.numerical import normalize, to_categorical
from cornu.utils.plotting import plot_history
from cornu.utils.py_dataset import PyDataset, Sequence
from cornu.utils.semi_supervised import pseudo_label
from cornu.utils.sequence_utils import pad_sequences
from cornu.utils.session import clear_session
from cornu.utils.text_dataset_utils import text_dataset_from_directory

__all__ = [
    "PyDataset",
    "Sequence",
    "array_to_img",
    "clear_session",
    "get_file",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "normalize",
    "pad_sequences",
    "plot_history",
    "plot_model",
    "pseudo_label",
    "save_img",
    "set_random_seed",
    "split_dataset",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
]
