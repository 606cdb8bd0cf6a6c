"""Saving and loading models in Keras's files: `.keras` (Keras 3), `.h5` (Keras 2 layout), `.weights.h5`, JSON.

Files go both ways: what cornu writes loads in Keras 3, and what Keras writes loads in cornu. Older files load
too: Keras 1.x `.h5` models and weights (`keras1_config`, `keras1_h5`) and the `.keras` files of tf-keras
2.13-2.15 (`tf_keras_zip`), which Keras 3 itself refuses. Writes are atomic, loading runs no code from the file
unless `safe_mode=False`, and nothing is pickled.
"""

from cornu.saving.model_io import ModelIO
from cornu.saving.registry import (
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from cornu.saving.saving_api import load_model, load_weights, save_model, save_weights
from cornu.saving.serialization import deserialize_layer, model_from_json, serialize_layer

__all__ = [
    "ModelIO",
    "custom_object_scope",
    "get_custom_objects",
    "deserialize_layer",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "model_from_json",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_layer",
]
