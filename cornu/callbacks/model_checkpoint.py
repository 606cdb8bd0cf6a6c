"""`ModelCheckpoint`: saves the model (or its weights) during `fit`, every epoch, every N batches, or when best.

The format follows the file name, as `model.save` / `model.save_weights` decide it: `.keras` is Keras 3's zip,
`.h5` / `.hdf5` the Keras 2 HDF5 layout (what Keras 2 tutorials write: `ModelCheckpoint('model.h5')`), and
`.weights.h5` Keras 3's weights-only file. Every write is atomic, so a run killed while saving leaves the previous
checkpoint intact.
"""

import os
import warnings

import numpy as np
import torch

from cornu.callbacks.early_stopping import MonitorCallback
from cornu.callbacks.logs import Logs

__all__ = ["ModelCheckpoint"]

_MODEL_FORMATS = ((".keras", "Keras 3 zip"), (".h5", "Keras 2 HDF5"))
_WEIGHTS_FORMATS = ((".weights.h5", "Keras 3 weights"), (".h5", "Keras 2 HDF5 weights"))
_KERAS_2_NAMES = {"acc": "accuracy", "val_acc": "val_accuracy"}
_SUPPORTED = "'.keras' (Keras 3 zip), '.h5' or '.hdf5' (Keras 2 HDF5) and '.weights.h5' (Keras 3 weights)"


class ModelCheckpoint(MonitorCallback):
    """Saves the model or its weights while `fit` runs: each epoch, every `save_freq` batches, or only when best.

    `filepath` may hold `str.format` fields, filled at each save: `{epoch}` (1-based), `{batch}` (1-based, when
    `save_freq` is an integer) and any key of the logs, e.g. `"weights.{epoch:02d}-{val_loss:.2f}.keras"`. Keras 2's
    `{val_acc}` answers for `val_accuracy`. The file's extension picks the format: `.keras` (Keras 3 zip), `.h5` or
    `.hdf5` (the Keras 2 HDF5 layout) or `.weights.h5` (Keras 3 weights). With `save_weights_only=True`, `.weights.h5`
    gets Keras 3's weights layout and a plain `.h5` Keras 2's `save_weights` layout; without it, the whole model is
    written with `model.save` (a `.weights.h5` name then holds a Keras 2 HDF5 model, as in Keras).

    With `save_best_only=True`, a save happens only when the monitored value beats the best so far (and
    `initial_value_threshold`, if given); `mode` says which way is better, `"auto"` minimizing losses and following the
    compiled metric's direction otherwise (accuracies and AUC go up). A log without the monitored value warns and saves
    anyway, as Keras does. The best value is kept across `fit` calls.

    Args:
        filepath: Path (or `os.PathLike`) of the file to write, possibly a template (see above).
        monitor: Name of the logged quantity to watch. Defaults to `"val_loss"`.
        verbose: `1` prints each save (with the file's format) and each epoch that did not improve. Defaults to `0`.
        save_best_only: Save only when the monitored value improves. Defaults to `False`.
        save_weights_only: Save the weights (and optimizer state) only, not the architecture. Defaults to `False`.
        mode: `"auto"`, `"min"` or `"max"`. Defaults to `"auto"`.
        save_freq: `"epoch"` to save at each epoch's end, or an integer `N` to save every `N` training batches
            (counted across epochs). Defaults to `"epoch"`.
        initial_value_threshold: A value the monitored quantity must beat before the first save when
            `save_best_only=True`. Defaults to `None`.

    Attributes:
        best: The best monitored value seen so far (or `initial_value_threshold`).

    Example:
    >>> import os, tempfile
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = ModelCheckpoint(os.path.join(folder, "model.{epoch:02d}.keras"), monitor="loss",
    ...                              save_best_only=True)
    >>> checkpoint.set_model(model)
    >>> for epoch, loss in enumerate([0.5, 0.7, 0.4]):
    ...     checkpoint.on_epoch_end(epoch, {"loss": loss})
    >>> sorted(os.listdir(folder)), checkpoint.best
    (['model.01.keras', 'model.03.keras'], 0.4)
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = _check_save_freq(save_freq)
        self._format = _file_format(self.filepath, save_weights_only)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch":
            # Bound on the instance only when saving by batch: with save_freq="epoch" the loop sees no batch hook
            # and builds no batch logs (cornu.callbacks.CallbackList.wants).
            self.on_train_batch_end = self._on_train_batch_end

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def _should_save_on_batch(self, batch):
        """Counts batches across epochs, as Keras does: a batch index not above the last one starts a new epoch."""
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            self._batches_seen_since_last_saving += batch + 1
        else:
            self._batches_seen_since_last_saving += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch, batch, logs):
        # Resolved here, not in the constructor: "auto" asks the compiled metrics, which exist once fit has begun.
        # Keras 3 resolves it even when no comparison is made (and refuses monitor='val_acc' then); cornu only when
        # save_best_only needs it.
        if self.monitor_op is None and self.save_best_only:
            self._set_monitor_op()
        logs = Logs(logs or {})
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint cannot write {filepath!r}: it is an existing directory. Pass a file path, e.g. "
                f"filepath=os.path.join({filepath!r}, 'model.keras')."
            )
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}", flush=True)

    def _should_save_model(self, epoch, logs, filepath):
        """Whether to save now; prints Keras's verbose lines (plus the format being written)."""
        if not self.save_best_only:
            self._say(f"Epoch {epoch + 1}: saving model to {filepath} ({self._format})")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=4)
            return True
        if isinstance(current, (np.ndarray, torch.Tensor)) and current.ndim > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=4,
            )
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            self._say(
                f"Epoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, saving model to "
                f"{filepath} ({self._format})"
            )
            self.best = current
            return True
        self._say(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _auto_direction(self):
        # Keras 2's monitor='val_acc' (the tutorials' spelling) follows the direction of the compiled accuracy.
        modern = _KERAS_2_NAMES.get(self.monitor)
        if modern is None or any(getattr(m, "name", None) == "acc" for m in getattr(self.model, "metrics", [])):
            return super()._auto_direction()
        given, self.monitor = self.monitor, modern
        try:
            return super()._auto_direction()
        finally:
            self.monitor = given

    def _get_file_path(self, epoch, batch, logs):
        """`filepath` with its fields filled: epoch and batch 1-based, the rest from the logs."""
        values = Logs(logs)
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            values["batch"] = batch + 1
        try:
            return self.filepath.format_map(values)
        except KeyError as error:
            available = ", ".join(sorted(values))
            raise KeyError(
                f"ModelCheckpoint cannot fill {{{error.args[0]}}} in filepath={self.filepath!r}: there is no "
                f"{error.args[0]!r} in the logs. Available keys: {available}. Use one of them (validation values "
                f"such as 'val_loss' exist only when fit is given validation data)."
            ) from None

    def _say(self, message):
        if self.verbose > 0:
            print(f"\n{message}", flush=True)


def _check_save_freq(save_freq):
    if save_freq == "epoch":
        return save_freq
    if isinstance(save_freq, (int, np.integer)) and not isinstance(save_freq, bool) and save_freq > 0:
        return int(save_freq)
    raise ValueError(
        f"Unrecognized save_freq: {save_freq!r}. Pass save_freq='epoch' to save at the end of each epoch, or a "
        f"positive integer N to save every N batches, e.g. save_freq=100."
    )


def _file_format(filepath, save_weights_only):
    """The format written at `filepath` (a label for messages), or a ValueError naming the supported ones."""
    name = filepath.lower()
    if name.endswith(".hdf5"):
        name = name[: -len(".hdf5")] + ".h5"
    formats = _WEIGHTS_FORMATS if save_weights_only else _MODEL_FORMATS
    for suffix, label in formats:
        if name.endswith(suffix):
            return label
    if save_weights_only and name.endswith(".keras"):
        raise ValueError(
            f"ModelCheckpoint: save_weights_only=True writes weights, but filepath={filepath!r} names a whole-model "
            f"'.keras' file. End the path in '.weights.h5' (or '.h5'), or pass save_weights_only=False."
        )
    raise ValueError(
        f"ModelCheckpoint cannot tell which format to write from filepath={filepath!r}. The supported endings are "
        f"{_SUPPORTED}, e.g. filepath='model.{{epoch:02d}}.keras'."
    )
