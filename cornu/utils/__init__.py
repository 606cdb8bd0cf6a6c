"""Utilities users reach for: labels, normalisation, seeding, sessions."""

from cornu.backend.random import set_random_seed
from cornu.utils.numerical import normalize, to_categorical
from cornu.utils.py_dataset import PyDataset, Sequence
from cornu.utils.session import clear_session

__all__ = ["PyDataset", "Sequence", "clear_session", "normalize", "set_random_seed", "to_categorical"]
