"""`BackupAndRestore`: a `fit` that is interrupted (an exception, a kill, a lost machine) resumes where it stopped.

What is in `backup_dir` (one file per backup, so a backup is whole or absent; nothing is pickled):

- `latest.weights.h5`: the newest backup, written atomically (temporary file + rename). Its body is Keras 3's
  `.weights.h5` layout (the model's weights under `layers/...`, the optimizer's state under `optimizer/vars`), so
  `model.load_weights(path)` reads it as it is. The root attributes `epoch` and `batch` say where training was
  (`epoch` = the number of epochs completed, the one to resume at; `batch` = the last batch seen when the backup
  was taken mid-epoch, else 0), as Keras's `training_metadata.json` does. The group `training_state` holds what
  makes the continuation exact: the random generators' states (`torch_cpu`, `torch_cuda_<i>`, `numpy_keys` with
  its attributes, `python_state`, and `generators/<layer path>|<device>` for seeded layers such as
  `Dropout(seed=...)`, the path being the layer's weights path with dots, e.g. `layers.dropout|cpu`) and the
  learning rate at full precision (attribute `learning_rate`).
- `latest.weights.h5.bkp`: with `double_checkpoint=True`, the backup before the newest, used when the newest
  cannot be read.

A backup holds one process's generators. Shuffling in `fit` draws from torch's global generator, so the saved
`torch_cpu` state makes the resumed epochs shuffle as the uninterrupted run would have.
"""

import contextlib
import glob
import os
import random
import warnings

import numpy as np
import torch

from cornu import backend
from cornu.callbacks.callback import Callback
from cornu.saving import weights_h5
from cornu.saving.atomic import atomic_path

__all__ = ["BackupAndRestore"]

LATEST = "latest.weights.h5"
PREVIOUS = LATEST + ".bkp"


class BackupAndRestore(Callback):
    """Backs up the training state during `fit`; a later `fit` with the same `backup_dir` resumes from it.

    At each epoch's end (or every `save_freq` batches) the model's weights, the optimizer's state, the epoch and
    the random generators' states (torch, NumPy, Python's `random`, seeded layers) are written to `backup_dir`. When
    `fit` starts and a backup is there, it is loaded and training resumes at the epoch where it stopped. Because the
    generators are restored too, a deterministic run that is interrupted between epochs and resumed ends with exactly
    the weights of a run that never stopped (Keras restores the weights and the epoch only). A backup taken
    mid-epoch (integer `save_freq`) resumes at the start of that epoch, with the weights of the backup, as in Keras.
    The model and `compile` must be the same as when the backup was written. The files are described in the
    module's docstring.

    Args:
        backup_dir: Folder for the backup files; give each training run its own. Defaults to none: required.
        save_freq: `"epoch"` to back up at each epoch's end, or an integer `N` to back up every `N` training batches
            (counted across epochs). Defaults to `"epoch"`.
        double_checkpoint: Keep the previous backup as well, and fall back to it when the newest cannot be read.
            Defaults to `False`.
        delete_checkpoint: Delete the backup files when `fit` completes (not when it is interrupted). Defaults to
            `True`.

    Example:
    >>> import tempfile
    >>> from cornu.layers import Dense
    >>> class Interrupt(cornu.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 2:
    ...             raise RuntimeError("interrupted")
    >>> model = cornu.models.Sequential([Dense(1, input_shape=(2,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> x, y = np.ones((4, 2)), np.ones((4, 1))
    >>> backup = BackupAndRestore(tempfile.mkdtemp())
    >>> try:
    ...     model.fit(x, y, epochs=5, callbacks=[backup, Interrupt()], verbose=0)
    ... except RuntimeError:
    ...     pass
    >>> history = model.fit(x, y, epochs=5, callbacks=[backup], verbose=0)
    >>> len(history.history["loss"])  # epochs 3 to 5
    3
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"BackupAndRestore needs a folder for its backups. Received: backup_dir={backup_dir!r}. "
                "Pass one, e.g. BackupAndRestore(backup_dir='/tmp/backup')."
            )
        if save_freq != "epoch" and (
            not isinstance(save_freq, (int, np.integer)) or isinstance(save_freq, bool) or save_freq <= 0
        ):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. Pass 'epoch' to back "
                "up at each epoch's end, or a positive integer N to back up every N batches."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, LATEST)
        self._prev_weights_path = os.path.join(self.backup_dir, PREVIOUS)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        if save_freq != "epoch":
            # Bound on the instance only when backing up by batch, so that with save_freq="epoch" the loop sees no
            # batch hook at all (cornu.callbacks.CallbackList.wants).
            self.on_train_batch_end = self._on_train_batch_end

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        candidates = [self._weights_path] + ([self._prev_weights_path] if self.double_checkpoint else [])
        existing = [path for path in candidates if os.path.exists(path)]
        errors = []
        for path in existing:
            try:
                self._restore(path)
            except (OSError, ValueError, KeyError) as error:  # h5py reports a damaged file as OSError
                errors.append(f"{path}: {error}")
                continue
            if path == self._prev_weights_path:  # the next backup must not rotate the damaged one over this one
                os.replace(self._prev_weights_path, self._weights_path)
            if errors:
                warnings.warn(
                    f"BackupAndRestore could not read the newest backup ({errors[0]}); resumed from the previous "
                    f"one instead, at epoch {self.model._initial_epoch}.",
                    stacklevel=2,
                )
            return
        if errors:
            raise OSError(
                "BackupAndRestore cannot read the backup in "
                f"{self.backup_dir!r}:\n  " + "\n  ".join(errors) + "\nDelete the folder to train from the start, or "
                "pass the model and compile() arguments that wrote it."
            )

    def on_epoch_begin(self, epoch, logs=None):
        # Keras counts the epoch in progress from the previous epoch's end, which is 0 in the first epoch of a resumed
        # run; a mid-epoch backup there would send the next resume back to epoch 0.
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def _on_train_batch_end(self, batch, logs=None):
        if batch <= self._last_batch_seen:  # a new epoch
            self._batches_seen_since_last_saving += batch + 1
        else:
            self._batches_seen_since_last_saving += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save()

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        # Only this callback's files: the folder itself goes only if nothing else is in it (Keras removes the tree).
        leftovers = glob.glob(os.path.join(glob.escape(self.backup_dir), f".{LATEST}*.tmp-*"))
        for path in [self._weights_path, self._prev_weights_path, *leftovers]:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)

    # ------------------------------------------------------------------ writing and reading
    def _save(self):
        h5py = weights_h5.require_h5py()
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            # A rename, not a copy: killed right after it, the folder still holds a whole backup (the previous one).
            os.replace(self._weights_path, self._prev_weights_path)
        with atomic_path(self._weights_path) as tmp, h5py.File(tmp, "w") as f:
            weights_h5.write_weights(f, self.model)
            f.attrs["epoch"] = self._current_epoch
            f.attrs["batch"] = self._last_batch_seen
            _write_training_state(f.create_group("training_state"), self.model)

    def _restore(self, path):
        h5py = weights_h5.require_h5py()
        with h5py.File(path, "r") as f:
            epoch = int(f.attrs["epoch"])
            state = _read_training_state(f["training_state"])  # read whole before anything is changed
            weights_h5.read_weights(f, self.model, repr(path))
        optimizer = getattr(self.model, "optimizer", None)
        if "learning_rate" in state and isinstance(getattr(optimizer, "_learning_rate", None), float):
            optimizer.learning_rate = state["learning_rate"]  # the file's optimizer variables hold it in float32
        _set_generators(state, self.model)
        self.model._initial_epoch = epoch
        self._current_epoch = epoch


# ---------------------------------------------------------------------- random generators
def _write_training_state(group, model):
    group.create_dataset("torch_cpu", data=torch.get_rng_state().numpy())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            group.create_dataset(f"torch_cuda_{i}", data=state.numpy())
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    numpy_keys = group.create_dataset("numpy_keys", data=keys)
    numpy_keys.attrs.update({"kind": kind, "pos": pos, "has_gauss": has_gauss, "cached_gaussian": cached})
    version, internal, gauss_next = random.getstate()
    python = group.create_dataset("python_state", data=np.asarray(internal, dtype=np.int64))
    python.attrs["version"] = version
    if gauss_next is not None:
        python.attrs["gauss_next"] = gauss_next
    layers = group.create_group("generators")
    for name, generator in _layer_generators(model):
        layers.create_dataset(name, data=generator.get_state().numpy())
    learning_rate = getattr(getattr(model, "optimizer", None), "_learning_rate", None)
    if isinstance(learning_rate, float):
        group.attrs["learning_rate"] = learning_rate


def _read_training_state(group):
    python = group["python_state"]
    keys = group["numpy_keys"]
    state = {
        "torch_cpu": torch.from_numpy(np.asarray(group["torch_cpu"])),
        "torch_cuda": [torch.from_numpy(np.asarray(group[f"torch_cuda_{i}"])) for i in range(_count_cuda(group))],
        "numpy": (
            str(keys.attrs["kind"]),
            np.asarray(keys),
            int(keys.attrs["pos"]),
            int(keys.attrs["has_gauss"]),
            float(keys.attrs["cached_gaussian"]),
        ),
        "python": (
            int(python.attrs["version"]),
            tuple(int(v) for v in np.asarray(python)),
            float(python.attrs["gauss_next"]) if "gauss_next" in python.attrs else None,
        ),
        "generators": {name: torch.from_numpy(np.asarray(data)) for name, data in group["generators"].items()},
    }
    if "learning_rate" in group.attrs:
        state["learning_rate"] = float(group.attrs["learning_rate"])
    return state


def _count_cuda(group):
    return sum(1 for name in group if name.startswith("torch_cuda_"))


def _set_generators(state, model):
    torch.set_rng_state(state["torch_cpu"])
    if state["torch_cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["torch_cuda"][: torch.cuda.device_count()])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    layers = _layers_by_path(model)
    for name, saved in state["generators"].items():
        path, device = name.rsplit("|", 1)
        layer = layers.get(path)
        if layer is None or getattr(layer, "seed", None) is None:
            continue
        if device not in layer._generators:  # a fresh process: the layer makes its generator at its first call
            layer._generators[device] = backend.make_generator(layer.seed, device=device)
        layer._generators[device].set_state(saved)


def _layers_by_path(model):
    """Layers by their place in the model (Keras's weight paths, `layers/dropout` with `/` as `.`): unlike module
    names, these do not hold the layers' names, which differ between two models built in one process."""
    return {
        path.replace("/", ".") or ".": layer for path, layer in weights_h5.saveables(model, include_optimizer=False)
    }


def _layer_generators(model):
    """`(name, generator)` for every seeded layer's generator; names are `<layer path>|<device>`."""
    for path, layer in _layers_by_path(model).items():
        for device, generator in sorted((getattr(layer, "_generators", None) or {}).items()):
            if isinstance(generator, torch.Generator):
                yield f"{path}|{device}", generator
