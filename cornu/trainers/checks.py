"""Checks made once, at the edge of fit/evaluate, so mistakes get a clear message instead of a torch traceback."""

import numpy as np
import torch

from cornu.utils import tree
from cornu.utils.shapes import format_shape

__all__ = ["check_epochs", "check_fraction", "check_inputs", "check_targets", "merge_class_weight"]


def check_epochs(epochs, initial_epoch):
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer. Received: epochs={epochs!r}")
    if not isinstance(initial_epoch, (int, np.integer)) or initial_epoch < 0:
        raise ValueError(f"initial_epoch must be a non-negative integer. Received: initial_epoch={initial_epoch!r}")


def check_fraction(validation_split):
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(
            f"validation_split must be a fraction in [0, 1), e.g. 0.1 for 10%. Received: "
            f"validation_split={validation_split!r}"
        )


def check_inputs(model, x):
    """Compares the data's per-sample shape with each model Input's (where the model declares them)."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return
    structure = getattr(model, "_input_structure", None)
    if isinstance(x, dict) and not isinstance(structure, dict):
        names = [t._keras_history[0].name for t in inputs]
        arrays = [x.get(name) for name in names]
    else:
        arrays = tree.flatten(x)
    if len(arrays) != len(inputs):
        raise ValueError(
            f"Model '{model.name}' has {len(inputs)} inputs but x holds {len(arrays)} arrays. Pass one array per "
            f"Input, as a list in the order of Model(inputs=[...]) or a dict keyed by the Input names."
        )
    for tensor, array in zip(inputs, arrays):
        if array is None:
            continue
        expected, got = tensor.shape, tuple(array.shape)
        if tensor.dtype == "string" and len(got) == len(expected) - 1 and expected[-1] == 1:
            got = got + (1,)  # one text per sample, as Keras reads texts for Input(shape=(1,), dtype="string")
        compatible = len(expected) == len(got) and all(e is None or e == g for e, g in zip(expected[1:], got[1:]))
        if not compatible:
            raise ValueError(_input_mismatch(model, tensor, expected, got))


def _input_mismatch(model, tensor, expected, got):
    name = tensor._keras_history[0].name
    message = (
        f"Input '{name}' of model '{model.name}' expects data of shape {format_shape(expected)}, but x has shape "
        f"{format_shape(got)} (that is {format_shape((None,) + got[1:])} per batch)."
    )
    flat_expected = np.prod([d for d in expected[1:] if d is not None]) if None not in expected[1:] else None
    if len(expected) == 2 and len(got) > 2 and flat_expected == np.prod(got[1:]):
        return message + f"\n    Flatten the samples first: x = x.reshape(len(x), {flat_expected})."
    if len(expected) > 2 and len(got) == 2 and flat_expected == got[1]:
        return message + f"\n    Reshape the samples first: x = x.reshape((-1,) + {tuple(expected[1:])})."
    return message + " Check the number of features in the data or the model's input_shape."


def check_targets(model, y, x_batch):
    """Asks each output's loss whether the targets fit it (integer labels vs one-hot, wrong widths)."""
    from cornu import losses

    compiled = model._compiled_loss
    names = compiled.output_names
    targets = [y] if len(names) == 1 and not isinstance(y, (list, tuple, dict)) else None
    if targets is None:
        from cornu.trainers.compile_utils import flatten_targets

        targets = flatten_targets(y, names)
    outputs = _output_shapes(model, x_batch)
    for loss_spec, target, output_shape in zip(compiled.losses, targets, outputs):
        if loss_spec is None or target is None or not hasattr(losses, "check_targets"):
            continue
        losses.check_targets(loss_spec, tuple(target.shape), output_shape)


def _output_shapes(model, x_batch):
    outputs = getattr(model, "outputs", None)
    if outputs:
        structure = getattr(model, "_output_structure", None)
        if isinstance(structure, dict):
            return [structure[name].shape for name in sorted(structure)]
        return [t.shape for t in outputs]
    seen = getattr(model, "_prepared_output_shapes", None)
    if seen is not None:  # a subclassed model already ran once in _prepare: do not run it again
        return seen
    with torch.no_grad():
        y_pred = model(x_batch, training=False)
    return [(None,) + tuple(t.shape[1:]) for t in tree.flatten(y_pred)]


def merge_class_weight(y, sample_weight, class_weight):
    """Turns `class_weight={class: weight}` into per-sample weights; classes not in the dict weigh 1.0 (Keras)."""
    if not class_weight:
        return sample_weight
    if sample_weight is not None:
        raise ValueError(
            "class_weight and sample_weight cannot be used together (as in Keras). Fold the class weights into "
            "sample_weight instead: sample_weight = sample_weight * np.array([class_weight[c] for c in labels])."
        )
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("class_weight works for single-output models; use sample_weight per output instead.")
    labels = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    elif labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    labels = np.round(labels).astype(np.int64)
    lookup = {int(key): float(weight) for key, weight in class_weight.items()}
    table = {label: lookup.get(label, 1.0) for label in np.unique(labels).tolist()}
    return np.array([table[label] for label in labels.tolist()], dtype="float32")
