"""The training API every model has: `compile`, `fit`, `evaluate`, `predict` and the `*_on_batch` steps.

The loop is built for speed: data sits on the device, a step is forward, `autograd.grad`, one fused optimizer
update and tensor-only metric updates; nothing reads a value back to the host until the epoch ends (or a
callback asks for batch logs, which are computed only when read).
"""

import warnings

import numpy as np
import torch

from cornu import backend, distribute
from cornu.callbacks.callback_list import CallbackList
from cornu.callbacks.history import History
from cornu.callbacks.progbar_logger import ProgbarLogger
from cornu.layers.base import any_global_hook, call_context, direct_call
from cornu.legacy import methods as _legacy
from cornu.legacy.translate import legacy_method
from cornu.mixed_precision.loss_scale_optimizer import LossScaleOptimizer
from cornu.trainers import checks, jit
from cornu.trainers.compile_utils import (
    CompiledLoss,
    CompiledMetrics,
    flatten_outputs,
    flatten_sample_weight,
    flatten_targets,
)
from cornu.trainers.data import (
    ArrayData,
    EpochBatches,
    in_model_dtype,
    make_data,
    split_validation,
    to_device_tensors,
)
from cornu.trainers.logs import LazyLogs, Logs, RunningMean
from cornu.utils import tree

__all__ = ["Trainer"]


class Trainer:
    """Mixed into `Model`: Keras's training API on top of the model's `__call__`."""

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._compiled_loss = self._compiled_metrics = None
        self._trackers = None
        self._initial_epoch = None
        self._jit_compile, self._compiled_steps = False, None

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configures training: the optimizer, the loss (per output if several) and the metrics to report.

        Args:
            optimizer: Name (`"adam"`, `"sgd"`, ...) or optimizer instance. Defaults to `"rmsprop"`.
            loss: Name, function `f(y_true, y_pred)` or `Loss`; a list or dict for several outputs.
            loss_weights: Optional list or dict weighting each output's loss. Defaults to `None`.
            metrics: List of names (`"accuracy"`, `"mae"`, ...), functions or `Metric`s; per output for several.
            weighted_metrics: Metrics that also receive `sample_weight`. Defaults to `None`.
            run_eagerly: If True, the steps are never compiled (cornu's eager steps are the default). Defaults to
                `False`.
            steps_per_execution: Accepted for Keras compatibility (each step runs on its own). Defaults to `1`.
            jit_compile: `True` runs the steps through `torch.compile` (forward, loss and backward; on CUDA small
                models replay as CUDA graphs; see `cornu.trainers.jit`); `False` and `"auto"` run them eagerly,
                as Keras with the torch backend does for `"auto"`. Defaults to `"auto"`.
            auto_scale_loss: Under the `"mixed_float16"` policy, wrap the optimizer in a `LossScaleOptimizer`
                (dynamic loss scaling), as Keras does. Defaults to `True`.

        Example:
        >>> from cornu.layers import Dense
        >>> model = cornu.models.Sequential([Dense(1, input_shape=(3,))])
        >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        >>> model.compiled
        True
        """
        from cornu import optimizers

        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16" and self.optimizer is not None:
            if not isinstance(self.optimizer, LossScaleOptimizer):  # float16 gradients underflow without it
                self.optimizer = LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self.loss = loss
        self._compiled_loss = CompiledLoss(loss, loss_weights)
        self._compiled_metrics = CompiledMetrics(metrics, weighted_metrics)
        self._compile_options = {
            "run_eagerly": run_eagerly,
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
        }
        self._trackers = None
        self.jit_compile = jit.resolve_jit_compile(jit_compile, run_eagerly)
        self.compiled = True

    @property
    def jit_compile(self):
        """Whether the steps run through `torch.compile` (`compile(jit_compile=True)`); settable."""
        return self._jit_compile

    @jit_compile.setter
    def jit_compile(self, value):
        self._jit_compile, self._compiled_steps = bool(value), None

    def _assert_compiled(self, method):
        if not self.compiled:
            raise ValueError(
                f"You must call compile() before {method}(). For example: "
                f"model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])."
            )

    # ------------------------------------------------------------------ building blocks
    def _output_names(self, y_pred=None):
        structure = getattr(self, "_output_structure", None)
        if isinstance(structure, dict):
            return sorted(structure)
        outputs = getattr(self, "outputs", None)
        if outputs:
            return [t._keras_history[0].name for t in outputs]
        count = 1 if y_pred is None else len(flatten_outputs(y_pred))
        return ["output"] if count == 1 else [f"output_{i + 1}" for i in range(count)]

    def _prepare(self, x_batch, y_batch):
        """Builds the model, the compiled loss and metrics from one batch (once per compile)."""
        if self._trackers is not None:
            return
        with torch.no_grad():
            y_pred = flatten_outputs(self(x_batch, training=False))
        self._clear_losses()
        self._prepared_output_shapes = [(None,) + tuple(t.shape[1:]) for t in y_pred]
        names = self._output_names(y_pred)
        self._compiled_loss.build(names)
        y_true = flatten_targets(y_batch, names) if y_batch is not None else [None] * len(names)
        self._compiled_metrics.build(names, self._compiled_loss.losses, y_true, y_pred)
        with torch.no_grad():
            self._compiled_metrics.check(y_true, y_pred)
        self._trackers = {"loss": RunningMean("loss")}
        if len(names) > 1:
            losses = dict(zip(names, self._compiled_loss.losses))
            spec = self._compiled_loss.spec
            # Keras creates the per-output trackers in the order of a loss dict (it shows in evaluate's list)
            order = (
                [n for n in spec if n in losses] + [n for n in names if n not in spec]
                if isinstance(spec, dict)
                else names
            )
            for name in order:
                if losses[name] is not None:
                    self._trackers[f"{name}_loss"] = RunningMean(f"{name}_loss")
        self._output_name_list = names

    def _training_state(self, strategy=distribute.LOCAL):
        params = self.trainable_weights
        strategy.build_optimizer(self.optimizer, params)  # FullyShardedDataParallel: this rank's share of the state
        layers = [m for m in self.modules() if hasattr(m, "_losses")]
        regularized = [w for w in params if getattr(w, "regularizer", None) is not None]
        return params, layers, regularized

    def _compute_loss(self, y_true, y_pred, sample_weight, layers, regularized):
        total, parts = self._compiled_loss(y_true, y_pred, sample_weight)
        extra = [w.regularizer(w) for w in regularized]
        for layer in layers:
            if layer._losses:
                extra.extend(layer._losses)
                layer._losses = []
        if extra:
            total = total + torch.stack([torch.as_tensor(e, dtype=total.dtype) for e in extra]).sum()
        return total, parts

    def _track(self, loss, parts, y_true, y_pred, sample_weight, batch_size):
        with torch.no_grad():
            self._trackers["loss"].update(loss.detach(), batch_size)
            if parts is not None:
                for name, part in zip(self._output_name_list, parts):
                    if part is not None:
                        self._trackers[f"{name}_loss"].update(part.detach(), batch_size)
            self._compiled_metrics.update(y_true, [p.detach() for p in y_pred], sample_weight)

    def _forward_loss(self, x, y, sample_weight, layers, regularized, training):
        """The model's outputs and the loss: the part of a step that `jit_compile=True` compiles."""
        y_pred = flatten_outputs(self(x, training=training))
        y_true = flatten_targets(y, self._output_name_list)
        sample_weight = flatten_sample_weight(sample_weight, self._output_name_list)
        loss, parts = self._compute_loss(y_true, y_pred, sample_weight, layers, regularized)
        return loss, parts, y_true, y_pred, sample_weight

    def _train_step(self, x, y, sample_weight, state):
        params, layers, regularized = state
        if self._jit_compile:
            outputs = self._steps().train_forward(x, y, sample_weight, layers, regularized)
        else:
            outputs = self._forward_loss(x, y, sample_weight, layers, regularized, True)
        loss, parts, y_true, y_pred, sample_weight = outputs
        if params:  # a fully frozen model still reports its loss and metrics (Keras warns, at fit's start here)
            # the loss scale of a LossScaleOptimizer (or `loss_scale_factor`): `apply` divides it out again
            grads = _gradients(self.optimizer.scale_loss(loss), params)
            self.optimizer.apply(grads, params)
        self._track(loss, parts, y_true, y_pred, sample_weight, _batch_size(x))

    def _test_step(self, x, y, sample_weight, state):
        _, layers, regularized = state
        if self._jit_compile:
            outputs = self._steps().test_forward(x, y, sample_weight, layers, regularized)
        else:
            outputs = self._forward_loss(x, y, sample_weight, layers, regularized, False)
        loss, parts, y_true, y_pred, sample_weight = outputs
        self._track(loss, parts, y_true, y_pred, sample_weight, _batch_size(x))

    def _steps(self):
        if self._compiled_steps is None:
            self._compiled_steps = jit.CompiledSteps(self)
        return self._compiled_steps

    def reset_metrics(self):
        """Resets the loss trackers and every compiled metric."""
        for tracker in (self._trackers or {}).values():
            tracker.reset()
        if self._compiled_metrics is not None:
            self._compiled_metrics.reset()

    @property
    def metrics(self):
        """The loss trackers and compiled metrics (after the first batch)."""
        trackers = list((self._trackers or {}).values())
        return trackers + (self._compiled_metrics.metrics if self._compiled_metrics else [])

    @property
    def metrics_names(self):
        """The names of the values `evaluate()` and `train_on_batch()` return as a list, in the same order.

        Keras 3 answers `['loss', 'compile_metrics']` here; cornu names each value (as Keras 2 did), so
        `dict(zip(model.metrics_names, model.evaluate(x, y)))` pairs every value with its name."""
        if self._trackers is None:
            return []
        return self._keras_order(self._results())

    def _results(self):
        """The current values as tensors: loss, per-output losses, then metrics (Keras's evaluate order)."""
        results = {name: tracker.result() for name, tracker in self._trackers.items()}
        for metric in self._compiled_metrics.metrics:
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    def _logs(self, prefix=""):
        with distribute.current().synced(self.metrics):  # under torchrun: the values over all ranks
            return Logs((prefix + name, _to_python(value)) for name, value in sorted(self._results().items()))

    # ------------------------------------------------------------------ fit
    @legacy_method("Model.fit")
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Trains the model for `epochs` passes over the data and returns a `History`.

        Args:
            x, y: Arrays or tensors (lists/dicts of them for several inputs/outputs), or a generator / iterable /
                `Sequence` / `DataLoader` yielding `(x, y)` or `(x, y, sample_weight)` batches (then no `y`).
            batch_size: Samples per step. Defaults to `32`.
            epochs: Number of passes. Defaults to `1`.
            verbose: `0` silent, `1` progress bar, `2` one line per epoch. Defaults to `"auto"` (1).
            callbacks: List of `Callback`s. Defaults to `None`.
            validation_split: Fraction in [0, 1) of the data, taken from the END before shuffling, to validate on.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, sample_weight)`, or a generator, instead.
            shuffle: Shuffle the training samples each epoch. `"batch"` shuffles the order of batch-sized chunks of
                consecutive samples instead: for arrays on disk (memmaps), each batch is then one read instead of
                one per sample. Defaults to True.
            class_weight: Dict from class index to a weight for its samples' loss. Defaults to `None`.
            sample_weight: Array with one loss weight per sample. Defaults to `None`.
            initial_epoch: Epoch to start counting from (to resume). Defaults to `0`.
            steps_per_epoch: Batches per epoch. Defaults to the whole data (or the generator's length).
            validation_steps, validation_batch_size, validation_freq: As in Keras.

        Example:
        >>> from cornu.layers import Dense
        >>> model = cornu.models.Sequential([Dense(1, input_shape=(1,))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((8, 1)), np.ones((8, 1)), epochs=2, verbose=0)
        >>> sorted(history.history), len(history.history["loss"])
        (['loss'], 2)
        """
        self._assert_compiled("fit")
        checks.check_epochs(epochs, initial_epoch)
        val = validation_data
        if validation_split is not None:
            checks.check_fraction(validation_split)
        if validation_split and val is None:
            (x, y, sample_weight), val = split_validation(x, y, sample_weight, validation_split)
        sample_weight = checks.merge_class_weight(y, sample_weight, class_weight)
        data = make_data(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle)  # steps_per_epoch: below
        val_data = self._validation_data(val, validation_batch_size or batch_size, validation_steps)
        first = data.peek()
        self._check_data(data, first)
        strategy = distribute.current()  # under torchrun: this rank's part of each batch; rank 0 alone writes
        state = self._training_state(strategy)
        if not state[0]:
            warnings.warn(
                f"Model '{self.name}' has no trainable weights (all frozen with trainable=False): fit() will only "
                f"report the loss. Set layer.trainable = True on the layers to train.",
                stacklevel=2,
            )
        verbose = 1 if verbose == "auto" else verbose
        data, val_data = strategy.shard(data, training=True), strategy.shard(val_data)
        callbacks, verbose = strategy.callbacks(callbacks, verbose)
        steps = steps_per_epoch or data.steps
        history = History()
        callback_list = CallbackList(
            _with_defaults(callbacks, history, verbose), model=self, verbose=verbose, epochs=epochs, steps=steps
        )
        self.stop_training = False
        batches = EpochBatches(data, shuffle, steps_per_epoch)
        self._initial_epoch = None  # a callback (BackupAndRestore) may set it in on_train_begin, to resume
        callback_list.on_train_begin()
        start = self._initial_epoch or initial_epoch
        with backend.denormals_flushed(), strategy.training(self):
            logs = self._run_epochs(batches, val_data, state, callback_list, range(start, epochs), validation_freq)
        callback_list.on_train_end(logs)
        return history

    def _run_epochs(self, batches, val_data, state, callback_list, epochs, validation_freq):
        """The epoch loop of `fit`; returns the last epoch's logs."""
        wants_begin = callback_list.wants("on_train_batch_begin")
        wants_end = callback_list.wants("on_train_batch_end")
        logs = {}
        for epoch in epochs:
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            _set_mode(self, training=True)
            for step, (xb, yb, swb) in enumerate(batches.epoch()):
                if wants_begin:
                    callback_list.on_train_batch_begin(step)
                self._train_step(xb, yb, swb, state)
                if wants_end:
                    callback_list.on_train_batch_end(step, LazyLogs(self._results))
                if self.stop_training:
                    break
            _set_mode(self, training=False)
            logs = self._logs()
            if val_data is not None and (epoch + 1) % validation_freq == 0:
                logs.update(self._run_evaluation(val_data, state, prefix="val_", callback_list=callback_list))
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        return logs

    def _validation_data(self, val, batch_size, steps):
        if val is None:
            return None
        if isinstance(val, (tuple, list)) and 2 <= len(val) <= 3 and not isinstance(val[0], (int, float)):
            x_val, y_val, sw_val = (tuple(val) + (None,))[:3]
            return make_data(x_val, y_val, sw_val, batch_size=batch_size, steps=steps)
        return make_data(val, steps=steps)  # a generator batches itself: fit's batch_size is not for it

    def _check_data(self, data, first):
        """Checks the data against the model once, then builds the compiled loss and metrics from one batch."""
        in_memory = isinstance(data, ArrayData)
        checks.check_inputs(self, data.x if in_memory else first[0])  # a generator: its first batch stands for all
        self._prepare(first[0], first[1])
        y = data.y if in_memory else first[1]
        if y is not None:
            checks.check_targets(self, y, first[0])

    def _run_evaluation(self, data, state, prefix="", callback_list=None):
        """One pass over `data` with the test hooks (also for fit's validation, as Keras does)."""
        callbacks = callback_list if callback_list is not None else CallbackList()
        wants_begin, wants_end = callbacks.wants("on_test_batch_begin"), callbacks.wants("on_test_batch_end")
        self.reset_metrics()
        callbacks.on_test_begin()
        with torch.no_grad():
            for step, (xb, yb, swb) in enumerate(data.epoch(shuffle=False)):
                if yb is None:
                    raise ValueError("Evaluation data must include targets: pass (x, y) or a generator of (x, y).")
                if wants_begin:
                    callbacks.on_test_batch_begin(step)
                self._test_step(xb, yb, swb, state)
                if wants_end:
                    callbacks.on_test_batch_end(step, LazyLogs(self._results))
        logs = self._logs()
        callbacks.on_test_end(logs)
        return {prefix + name: value for name, value in logs.items()}

    # ------------------------------------------------------------------ evaluate / predict
    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        """Returns the loss (a float), or `[loss, *metrics]` when there are metrics, or a dict if `return_dict`.

        Example:
        >>> from cornu.layers import Dense
        >>> model = cornu.models.Sequential([Dense(1, input_shape=(1,), kernel_initializer="zeros")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> model.evaluate(np.ones((4, 1)), np.full((4, 1), 2.0), verbose=0)
        4.0
        """
        self._assert_compiled("evaluate")
        data = make_data(x, y, sample_weight, batch_size=batch_size, steps=steps)
        first = data.peek()
        self._check_data(data, first)
        state = (None,) + self._training_state()[1:]
        verbose = 1 if verbose == "auto" else verbose
        strategy = distribute.current()
        data = strategy.shard(data)
        callbacks, verbose = strategy.callbacks(callbacks, verbose)
        callback_list = CallbackList(
            _with_defaults(callbacks, None, verbose, stage="test"),
            model=self,
            verbose=verbose,
            epochs=1,
            steps=data.steps,
        )
        _set_mode(self, training=False)
        with backend.denormals_flushed():
            logs = self._run_evaluation(data, state, callback_list=callback_list)
        if return_dict:
            return logs
        return self._flatten_in_keras_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Runs the model on `x` in batches and returns NumPy arrays (a list/dict for several outputs).

        With `verbose="auto"` a progress bar is shown only for predictions of more than one batch.

        Example:
        >>> from cornu.layers import Dense
        >>> model = cornu.models.Sequential([Dense(2, input_shape=(3,), kernel_initializer="ones")])
        >>> model.predict(np.ones((1, 3)), verbose=0)
        array([[3., 3.]], dtype=float32)
        """
        fast = _single_batch(x, batch_size)
        if fast is not None and not callbacks:
            return self._predict_one_batch(fast)
        data = make_data(x, batch_size=batch_size, steps=steps, with_targets=False, check=False)
        steps_total = data.steps
        verbose = (1 if (steps_total or 2) > 1 else 0) if verbose == "auto" else verbose
        strategy = distribute.current()
        data = strategy.shard(data)
        callbacks, verbose = strategy.callbacks(callbacks, verbose)
        callback_list = CallbackList(
            _with_defaults(callbacks, None, verbose, stage="predict"),
            model=self,
            verbose=verbose,
            epochs=1,
            steps=steps_total,
        )
        callback_list.on_predict_begin()
        wants_begin, wants_end = (
            callback_list.wants("on_predict_batch_begin"),
            callback_list.wants("on_predict_batch_end"),
        )
        _set_mode(self, training=False)
        outputs = []
        with _inference(self):
            for step, (xb, _, _) in enumerate(data.epoch(shuffle=False, steps=steps)):
                if wants_begin:
                    callback_list.on_predict_batch_begin(step)
                outputs.append(self._predict_batch(xb, batch_size or 32))
                if wants_end:
                    callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
        callback_list.on_predict_end()
        outputs = strategy.gather(outputs, data)  # under torchrun: every rank's outputs, in sample order
        if not outputs:
            raise ValueError("predict() received no data: the input yielded no batches.")
        return _concatenate(outputs)

    def _predict_one_batch(self, x):
        device = self._device()
        if isinstance(x, torch.Tensor):
            x = x if x.device == device else x.to(device, non_blocking=True)
        else:
            x = tree.map_structure(lambda t: t.to(device, non_blocking=True), x)
        _set_mode(self, training=False)
        with _inference(self):
            outputs = self._predict_batch(x, x.shape[0] if isinstance(x, torch.Tensor) else None)
        if isinstance(outputs, torch.Tensor):
            return _to_numpy(outputs)
        return tree.map_structure(_to_numpy, outputs)

    def _predict_batch(self, x, batch_size):
        if self._jit_compile:
            return self._steps().predict(x, batch_size)
        call = direct_call(self, x, keeps_masks=False)
        if call is None or call_context.training is not None or any_global_hook():
            return self(x, training=False)
        call_context.training = False  # what `__call__` would set for the layers inside; it adds nothing else here
        try:
            return call(x, training=False) if self._call_accepts["training"] else call(x)
        finally:
            call_context.training = None

    # ------------------------------------------------------------------ single batches
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one optimizer step on one batch; returns the running loss (and metrics)."""
        self._assert_compiled("train_on_batch")
        sample_weight = checks.merge_class_weight(y, sample_weight, class_weight)
        data = ArrayData(x, y, sample_weight, batch_size=max(1, _batch_size(x)))
        xb, yb, swb = next(data.epoch())
        self._prepare(xb, yb)
        self.reset_metrics()  # Keras reports this batch alone, not a running mean over calls
        _set_mode(self, training=True)
        self._train_step(xb, yb, swb, self._training_state())
        _set_mode(self, training=False)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates one batch; returns the running loss (and metrics)."""
        self._assert_compiled("test_on_batch")
        data = ArrayData(x, y, sample_weight, batch_size=max(1, _batch_size(x)))
        xb, yb, swb = next(data.epoch())
        self._prepare(xb, yb)
        self.reset_metrics()
        _set_mode(self, training=False)
        with torch.no_grad():
            self._test_step(xb, yb, swb, (None,) + self._training_state()[1:])
        return self._batch_result(return_dict)

    # Keras 2's generator methods, translated to fit/evaluate/predict in cornu.legacy.
    fit_generator = _legacy.fit_generator
    evaluate_generator = _legacy.evaluate_generator
    predict_generator = _legacy.predict_generator

    def predict_on_batch(self, x):
        """The model's output on one batch, as NumPy."""
        return self._predict_one_batch(to_device_tensors(x, self._device(), "x"))

    def _batch_result(self, return_dict):
        logs = {name: _to_python(value) for name, value in self._results().items()}
        if return_dict:
            return logs
        return self._flatten_in_keras_order(logs)

    def _flatten_in_keras_order(self, logs):
        """The logs as the list Keras 3 returns (see `_keras_order`)."""
        values = [logs[name] for name in self._keras_order(logs)]
        return values[0] if len(values) == 1 else values

    def _keras_order(self, keys):
        """Log names in Keras 3's list order: `loss`, the metrics by the names they were given (unprefixed, so a
        name given twice, as in metrics and weighted_metrics, repeats), the per-output losses, then every other
        key sorted (keras/src/trainers/trainer.py, `_flatten_metrics_in_order`)."""
        names = ["loss"] + self._compiled_metrics.given_names
        names += [name for name in self._trackers if name != "loss"]
        return [name for name in names if name in keys] + [key for key in sorted(keys) if key not in names]


def _with_defaults(callbacks, history, verbose, stage="train"):
    callbacks = list(callbacks or [])
    if verbose and not any(isinstance(c, ProgbarLogger) for c in callbacks):
        callbacks.append(ProgbarLogger(verbose=verbose, stage=stage))
    if history is not None:
        callbacks.append(history)
    return callbacks


def _batch_size(x):
    """The number of samples in `x`, a tensor or array or a list/dict of them (its first leaf's length)."""
    first = x if hasattr(x, "shape") else tree.flatten(x)[0]
    return len(first)


def _single_batch(x, batch_size):
    """`x` as one device tensor when it is a single array that fits in one batch (predict's fast path)."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf" and len(x) <= (batch_size or 32) and len(x) > 0:
        return in_model_dtype(torch.from_numpy(np.ascontiguousarray(x)))
    if isinstance(x, torch.Tensor) and 0 < len(x) <= (batch_size or 32):
        return in_model_dtype(x)
    return None


def _gradients(loss, params):
    """`torch.autograd.grad(loss, params, allow_unused=True)` for a scalar `loss`, through the autograd engine's own
    entry point: `autograd.grad`'s Python-side checks (~13 µs) are a few % of a small model's step, and their answer
    is known here (one scalar, a list of leaf parameters). Where the entry point is not what this torch expects,
    `autograd.grad` itself, from then on."""
    if _ENGINE["direct"]:
        try:
            engine = torch.autograd.Variable._execution_engine
            # (tensors, grad_tensors, keep_graph, create_graph, inputs, allow_unreachable, accumulate_grad)
            return engine.run_backward((loss,), (torch.ones_like(loss),), False, False, tuple(params), True, False)
        except (AttributeError, TypeError):
            _ENGINE["direct"] = False
    return torch.autograd.grad(loss, params, allow_unused=True)


_ENGINE = {"direct": True}


def _set_mode(model, training):
    """`model.train(training)`, skipped when the model is already in that mode (it walks every module)."""
    if model.training != training:
        model.train(training)


def _inference(model):
    # inference_mode is cheaper than no_grad, but weights created inside it could never train: build first.
    if not model.built:
        return torch.no_grad()
    # The guard `torch.inference_mode()` enters, without its Python wrapper: 0.5 of a one-sample predict's ~55 µs
    return _INFERENCE_MODE(True) if _INFERENCE_MODE is not None else torch.inference_mode()


_INFERENCE_MODE = getattr(torch._C, "_InferenceMode", None)


def _concatenate(batches):
    flat = [tree.flatten(b) for b in batches]
    joined = [_to_numpy(torch.cat([b[i] for b in flat])) for i in range(len(flat[0]))]
    return tree.pack_like(batches[0], joined)


def _to_numpy(tensor):
    """A tensor as a NumPy array; bfloat16 (which NumPy lacks) becomes float32, exactly."""
    if tensor.is_cpu and not tensor.requires_grad and tensor.dtype is not torch.bfloat16:
        return tensor.numpy()  # the common case, one call (predict's outputs are made in inference mode)
    tensor = tensor.detach()
    if tensor.dtype is torch.bfloat16:
        tensor = tensor.float()
    return tensor.cpu().numpy()


def _to_python(value):
    if isinstance(value, torch.Tensor):
        return value.item() if value.numel() == 1 else value.detach().cpu().numpy()
    return value
