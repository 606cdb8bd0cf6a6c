"""Keras 1/2 model methods that Keras 3 removed: `fit_generator`, `evaluate_generator`, `predict_generator`, and
`Sequential.predict_classes` / `predict_proba` (attached by `cornu.compat.install()`, so only old scripts see them).

Keras 3 folded them into `fit`/`evaluate`/`predict`, which take a generator directly; these keep the old
signatures (Keras 2's, and Keras 1's names through the table) and call the modern method. They are plain functions
of `self`, meant to be attached to the trainer (`fit_generator = legacy_fit_generator`).

Keras 1 counted samples (`samples_per_epoch`, `nb_val_samples`, `val_samples`) where Keras 2/3 count batches; the
number of batches depends on the generator's batch size, so those arguments are refused with the line to write.
The data-loading arguments (`workers`, `use_multiprocessing`, `max_queue_size`) apply, as in Keras 2, to a `Sequence`
(an object with `__len__` and `__getitem__`): its batches are prepared by that many threads or processes
(`cornu.utils.PyDataset`'s workers). A Python generator cannot be read from several workers safely; cornu pulls its
batches in the loop and says so.
Keras 2 counted batches until `steps_done >= steps`, so the tutorials' `steps_per_epoch=len(x) / 32` (a float) ran
`ceil(len(x) / 32)` batches; these methods do the same, with a warning giving the integer to write.
"""

import math

from cornu.legacy.translate import legacy_method, warn_once
from cornu.trainers.data import is_sequence
from cornu.utils.py_dataset import PyDataset

__all__ = ["fit_generator", "evaluate_generator", "predict_generator", "predict_classes", "predict_proba"]

_LOADING_DEFAULTS = {"max_queue_size": 10, "workers": 1, "use_multiprocessing": False}


@legacy_method("Model.fit_generator")
def fit_generator(
    self,
    generator,
    steps_per_epoch=None,
    epochs=1,
    verbose=1,
    callbacks=None,
    validation_data=None,
    validation_steps=None,
    validation_freq=1,
    class_weight=None,
    max_queue_size=10,
    workers=1,
    use_multiprocessing=False,
    shuffle=True,
    initial_epoch=0,
):
    """Keras 2's `fit_generator`: `fit(generator, steps_per_epoch=..., epochs=...)` (warns once)."""
    _warn("fit_generator", "fit", max_queue_size, workers, use_multiprocessing, generator)
    generator = _with_workers(generator, max_queue_size, workers, use_multiprocessing)
    steps_per_epoch = _whole_steps("steps_per_epoch", steps_per_epoch)
    validation_steps = _whole_steps("validation_steps", validation_steps)
    return self.fit(
        generator,
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        verbose=verbose,
        callbacks=callbacks,
        validation_data=validation_data,
        validation_steps=validation_steps,
        validation_freq=validation_freq,
        class_weight=class_weight,
        shuffle=shuffle,
        initial_epoch=initial_epoch,
    )


@legacy_method("Model.evaluate_generator")
def evaluate_generator(
    self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1, use_multiprocessing=False, verbose=0
):
    """Keras 2's `evaluate_generator`: `evaluate(generator, steps=...)` (warns once)."""
    _warn("evaluate_generator", "evaluate", max_queue_size, workers, use_multiprocessing, generator)
    generator = _with_workers(generator, max_queue_size, workers, use_multiprocessing)
    return self.evaluate(generator, steps=_whole_steps("steps", steps), callbacks=callbacks, verbose=verbose)


@legacy_method("Model.predict_generator")
def predict_generator(
    self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1, use_multiprocessing=False, verbose=0
):
    """Keras 2's `predict_generator`: `predict(generator, steps=...)` (warns once)."""
    _warn("predict_generator", "predict", max_queue_size, workers, use_multiprocessing, generator)
    generator = _with_workers(generator, max_queue_size, workers, use_multiprocessing)
    return self.predict(generator, steps=_whole_steps("steps", steps), callbacks=callbacks, verbose=verbose)


def predict_classes(self, x, batch_size=32, verbose=0):
    """Keras 1/2's `Sequential.predict_classes`: the argmax of each prediction, or `p > 0.5` for one column.

    Example:
    >>> import warnings
    >>> from cornu.layers import Dense
    >>> model = cornu.models.Sequential([Dense(3, input_dim=2, kernel_initializer="identity")])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     predict_classes(model, np.array([[0.0, 2.0], [1.0, 0.0]])).tolist()
    [1, 0]
    """
    warn_once(
        ("Model", "predict_classes"),
        "`model.predict_classes(x)` is Keras 2's (removed in 2.6); write `np.argmax(model.predict(x), axis=-1)`, or "
        "`(model.predict(x) > 0.5).astype('int32')` for one sigmoid output.",
    )
    proba = self.predict(x, batch_size=batch_size, verbose=verbose)
    if proba.shape[-1] > 1:
        return proba.argmax(axis=-1)
    return (proba > 0.5).astype("int32")


def predict_proba(self, x, batch_size=32, verbose=0):
    """Keras 1/2's `Sequential.predict_proba`: `predict(x)` (the model's outputs are the probabilities)."""
    warn_once(
        ("Model", "predict_proba"), "`model.predict_proba(x)` is Keras 2's (removed in 2.6); write `model.predict(x)`."
    )
    return self.predict(x, batch_size=batch_size, verbose=verbose)


def _whole_steps(name, steps):
    """Keras 2 ran batches while `steps_done < steps`: a float count such as `len(x) / 32` means its ceiling.

    Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     _whole_steps("steps_per_epoch", 1000 / 32), _whole_steps("steps", 10)
    (32, 10)
    """
    if not isinstance(steps, float):
        return steps
    whole = math.ceil(steps)
    warn_once(
        ("Model", name, "float"),
        f"`{name}={steps!r}` is a float; Keras 2 ran {whole} batches for it (whole batches until the count is "
        f"reached). Write `{name}={whole}` (e.g. `math.ceil(len(x) / batch_size)`).",
    )
    return whole


def _warn(old, new, max_queue_size, workers, use_multiprocessing, generator):
    warn_once(("Model", old), f"`model.{old}(generator, ...)` is Keras 2's; write `model.{new}(generator, ...)`.")
    if is_sequence(generator):
        return  # the loading arguments apply: see _with_workers
    given = {"max_queue_size": max_queue_size, "workers": workers, "use_multiprocessing": use_multiprocessing}
    for name, value in given.items():
        if value != _LOADING_DEFAULTS[name]:
            warn_once(
                ("Model", name),
                f"`{name}={value!r}` is ignored for a Python generator: several workers cannot read one generator "
                "safely. Make it a cornu.utils.Sequence (__len__ and __getitem__) to load batches in parallel, or "
                "pass a torch DataLoader(dataset, batch_size=..., num_workers=...) to fit.",
            )


def _with_workers(source, max_queue_size, workers, use_multiprocessing):
    """A `Sequence` read by `workers` threads (or processes), as Keras 2's generator methods read it."""
    if not is_sequence(source) or (workers <= 1 and not use_multiprocessing):
        return source
    return _LoadedInParallel(source, max(1, workers), use_multiprocessing, max_queue_size)


class _LoadedInParallel(PyDataset):
    """The user's `Sequence`, unchanged, with the loading settings `fit_generator` was given."""

    def __init__(self, sequence, workers, use_multiprocessing, max_queue_size):
        super().__init__(workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        self.sequence = sequence

    def __len__(self):
        return len(self.sequence)

    def __getitem__(self, index):
        return self.sequence[index]

    def on_epoch_begin(self):
        if hasattr(self.sequence, "on_epoch_begin"):
            self.sequence.on_epoch_begin()

    def on_epoch_end(self):
        if hasattr(self.sequence, "on_epoch_end"):
            self.sequence.on_epoch_end()
