"""What `compile` was given, made ready for the step: one loss (and metrics) per model output.

Losses and metrics may be given once, as a list in output order, or as a dict by output name; here they are
lined up with the flat list of outputs, so the step works on plain lists. History names follow Keras 3:
`loss`, `<output>_loss` for each output of a multi-output model, and `<output>_<metric>`.
"""

import torch

from cornu import losses as losses_module
from cornu import metrics as metrics_module
from cornu.utils import tree
from cornu.utils.shapes import format_shape

__all__ = [
    "CompiledLoss",
    "CompiledMetrics",
    "align_to_outputs",
    "flatten_outputs",
    "flatten_sample_weight",
    "flatten_targets",
]


def align_to_outputs(value, output_names, argument):
    """`value` as a list with one entry per output (a single entry is shared by all outputs)."""
    count = len(output_names)
    if isinstance(value, dict):
        unknown = [key for key in value if key not in output_names]
        if unknown:
            raise ValueError(
                f"compile({argument}=...) names outputs {unknown}, but the model's outputs are {output_names}."
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and (count > 1 or len(value) == 1):
        if len(value) != count:
            raise ValueError(
                f"compile({argument}=...) got a list of {len(value)} entries, but the model has {count} outputs "
                f"{output_names}. Give one entry per output, or a dict keyed by output name."
            )
        return list(value)
    return [value] * count


def _as_loss(identifier):
    if identifier is None:
        return None
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", "loss"))


class CompiledLoss:
    """The weighted sum of the per-output losses, as one scalar tensor."""

    def __init__(self, loss, loss_weights=None):
        _check_names(loss, _as_loss)  # a misspelt name fails at compile(), not at the first fit()
        self.spec, self.weights_spec = loss, loss_weights
        self.losses, self.weights, self.output_names = None, None, None

    def build(self, output_names):
        self.output_names = list(output_names)
        self.losses = [_as_loss(item) for item in align_to_outputs(self.spec, self.output_names, "loss")]
        if self.weights_spec is None:
            self.weights = [1.0] * len(self.losses)
        else:
            self.weights = [
                1.0 if w is None else float(w)
                for w in align_to_outputs(self.weights_spec, self.output_names, "loss_weights")
            ]
        if all(loss is None for loss in self.losses):
            raise ValueError("compile() needs a loss to train with, e.g. loss='categorical_crossentropy'.")
        self.single = len(self.losses) == 1

    def __call__(self, y_true, y_pred, sample_weight):
        """Returns `(total, per_output)`, where `per_output` is None for a single-output model.

        `sample_weight` is a list with one entry (or None) per output, as `flatten_sample_weight` gives."""
        if self.single:  # one output: no per-output entries in the logs, as in Keras
            value = self.losses[0](y_true[0], y_pred[0], sample_weight[0])
            return (value if self.weights[0] == 1.0 else value * self.weights[0]), None
        parts = []
        total = None
        for loss, weight, target, prediction, sw in zip(self.losses, self.weights, y_true, y_pred, sample_weight):
            if loss is None or target is None:
                parts.append(None)
                continue
            value = loss(target, prediction, sw)
            parts.append(value)
            total = value * weight if total is None else total + value * weight
        return total, parts


class CompiledMetrics:
    """The compiled metrics of every output, updated together; results named as Keras 3 names them."""

    def __init__(self, metrics=None, weighted_metrics=None):
        for spec in (metrics, weighted_metrics):
            _check_names(spec, lambda name: metrics_module.get_compile_metric(name))
        self.spec, self.weighted_spec = metrics, weighted_metrics
        self.entries = []  # (output index, metric, weighted)
        self.given_names = []  # each metric's name before output prefixes and de-duplication

    def build(self, output_names, losses, y_true, y_pred):
        self.entries, self.given_names = [], []
        prefix = (lambda index: f"{output_names[index]}_") if len(output_names) > 1 else (lambda index: "")
        taken = {}
        for spec, weighted in ((self.spec, False), (self.weighted_spec, True)):
            if not spec:
                continue
            per_output = _metrics_per_output(spec, output_names)
            for index, identifiers in enumerate(per_output):
                for identifier in identifiers:
                    metric = metrics_module.get_compile_metric(identifier, losses[index], y_true[index], y_pred[index])
                    self.given_names.append(metric.name)
                    metric.name = _unique_metric_name(taken, prefix(index), metric.name, weighted)
                    self.entries.append((index, metric, weighted))

    @property
    def metrics(self):
        return [metric for _, metric, _ in self.entries]

    def check(self, y_true, y_pred):
        """Updates each metric once on a sample batch (then resets it), so a metric that cannot read these
        targets fails here, naming itself, instead of as a torch shape error inside the loop."""
        for index, metric, _ in self.entries:
            if y_true[index] is None:
                continue
            try:
                metric.update_state(y_true[index], y_pred[index])
            except (RuntimeError, ValueError, IndexError) as error:
                raise ValueError(
                    f"Metric '{metric.name}' cannot compare targets of shape {_shape(y_true[index])} with "
                    f"predictions of shape {_shape(y_pred[index])}: {error}. Pick a metric that fits these targets "
                    f"(e.g. 'sparse_categorical_accuracy' for integer labels, 'mae' for values of the output's shape)."
                ) from error
            finally:
                metric.reset_state()

    def update(self, y_true, y_pred, sample_weight):
        for index, metric, weighted in self.entries:
            if y_true[index] is not None:
                metric.update_state(y_true[index], y_pred[index], sample_weight[index] if weighted else None)

    def reset(self):
        for _, metric, _ in self.entries:
            metric.reset_state()


def _check_names(spec, resolve):
    """Resolves every string in a (nested) compile argument once, so unknown names raise with a suggestion."""
    if isinstance(spec, str):
        resolve(spec)
    elif isinstance(spec, dict):
        for value in spec.values():
            _check_names(value, resolve)
    elif isinstance(spec, (list, tuple)):
        for value in spec:
            _check_names(value, resolve)


def _unique_metric_name(taken, prefix, name, weighted):
    """Keras 3's History names: a repeated name gets `_1`, `_2`, ...; a weighted metric that repeats an
    unweighted one is called `weighted_<name>` (see keras/src/trainers/compile_utils.py, `result`)."""
    candidate = prefix + name
    if candidate not in taken:
        taken[candidate] = 1
        return candidate
    if weighted:
        candidate = f"{prefix}weighted_{name}"
        if candidate not in taken:
            taken[candidate] = 1
            return candidate
    index = taken[candidate]
    taken[candidate] += 1
    return f"{candidate}_{index}"


def _shape(tensor):
    return format_shape((None,) + tuple(tensor.shape)[1:])


def _metrics_per_output(spec, output_names):
    count = len(output_names)
    if isinstance(spec, dict):
        aligned = align_to_outputs(spec, output_names, "metrics")
        return [[] if m is None else (list(m) if isinstance(m, (list, tuple)) else [m]) for m in aligned]
    spec = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if count == 1:
        return [spec]
    if len(spec) == count and all(isinstance(m, (list, tuple)) or m is None for m in spec):
        return [[] if m is None else list(m) for m in spec]
    raise ValueError(
        f"For a model with several outputs {output_names}, metrics must be a dict keyed by output name or a list "
        f"with one list per output, e.g. metrics=[['accuracy'], ['mae']]. Received: metrics={spec!r}"
    )


def flatten_targets(y, output_names):
    """Targets as a list in output order, from one array, a list, or a dict keyed by output name."""
    if isinstance(y, dict):
        missing = [name for name in output_names if name not in y]
        if missing and len(y) == len(output_names):
            raise ValueError(f"The targets dict has keys {sorted(y)}, but the model's outputs are {output_names}.")
        return [y.get(name) for name in output_names]
    if isinstance(y, (list, tuple)) and (len(output_names) > 1 or len(y) == 1):
        return list(y)
    return [y]


def flatten_sample_weight(sample_weight, output_names):
    """Per-output sample weights: one array is shared by every output (Keras); a list or dict gives each its own."""
    if isinstance(sample_weight, dict):
        return [sample_weight.get(name) for name in output_names]
    if isinstance(sample_weight, (list, tuple)):
        if len(sample_weight) != len(output_names):
            raise ValueError(
                f"sample_weight holds {len(sample_weight)} arrays, but the model has {len(output_names)} outputs "
                f"{output_names}. Pass one array per output, or a single array for all of them."
            )
        return list(sample_weight)
    return [sample_weight] * len(output_names)


def flatten_outputs(y_pred):
    if isinstance(y_pred, torch.Tensor):
        return [y_pred]
    return tree.flatten(y_pred)
