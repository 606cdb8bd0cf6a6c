"""Preprocessing layers: numbers (`Rescaling`, `Normalization`, `Discretization`, `CategoryEncoding`, `Hashing`),
images (`Resizing`, `CenterCrop`, random augmentations active only in training) and vocabularies (`StringLookup`,
`IntegerLookup`, `TextVectorization`, which run on the host at the data edge)."""

from cornu.layers.preprocessing.image import (
    CenterCrop,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
)
from cornu.layers.preprocessing.numerical import CategoryEncoding, Discretization, Hashing, Normalization, Rescaling
from cornu.layers.preprocessing.text import IntegerLookup, StringLookup
from cornu.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "Discretization",
    "Hashing",
    "IntegerLookup",
    "Normalization",
    "RandomContrast",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "StringLookup",
    "TextVectorization",
]
