"""`ModelIO`: the saving methods of `Model` (`save`, `save_weights`, `load_weights`, `to_json`), as a mixin."""

from cornu.saving import saving_api, serialization

__all__ = ["ModelIO"]


class ModelIO:
    """Mixed into `Model`: save and load in Keras's file formats.

    Example:
    >>> import os, tempfile
    >>> from cornu.layers import Dense
    >>> from cornu.models import Sequential
    >>> model = Sequential([Dense(1, input_shape=(2,))])
    >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.h5")
    >>> model.save_weights(path)
    >>> model.load_weights(path)
    >>> '"class_name": "Dense"' in model.to_json()
    True
    """

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the model to `filepath` (`.keras` or `.h5`); see `cornu.saving.save_model`."""
        saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights to `filepath` (`.weights.h5`, or `.h5` in the Keras 2 layout)."""
        saving_api.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Loads weights saved by `save_weights` or `save` (cornu's or Keras's) into this model."""
        saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (Keras 3's config); `kwargs` go to `json.dumps`."""
        return serialization.model_to_json(self, **kwargs)
