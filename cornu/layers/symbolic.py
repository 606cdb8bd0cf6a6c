"""Symbolic tensors and the nodes that connect them: how the Functional API records a graph.

Calling a layer on a `KerasTensor` (what `Input` returns) builds the layer, works out the output's shape and
records a `Node`: which layer, called on which tensors, produced which tensors. A Functional model is read off
these nodes. Output shapes come from the layer's `compute_output_shape` when it has one, else from running the
layer on a tiny batch of zeros (twice when other sizes are open, so sizes that follow the input stay `None`).
"""

import warnings

import numpy as np
import torch

from cornu import backend
from cornu.utils import tree
from cornu.utils.shapes import format_shape

__all__ = [
    "KerasTensor",
    "Node",
    "any_symbolic",
    "call_symbolic",
    "call_symbolic_on_text",
    "probe_output_spec",
    "is_probing",
]

_state = {"probing": False}


class KerasTensor:
    """A placeholder for a tensor in a model being defined: a shape (with `None` for open sizes) and a dtype.

    >>> KerasTensor((None, 784))
    <KerasTensor shape=(None, 784), dtype=float32>
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(dtype).replace("torch.", "")
        self.name = name
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={format_shape(self.shape)}, dtype={self.dtype}>"

    def __len__(self):
        raise TypeError(
            f"A symbolic tensor of shape {format_shape(self.shape)} has no length while the model is being defined. "
            f"Use .shape[0] once data is known."
        )


class Node:
    """One call of a layer in a graph: the tensors it was called on and the tensors it produced."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args, self.call_kwargs = tuple(call_args), dict(call_kwargs)
        self.input_tensors = [t for t in tree.flatten((self.call_args, self.call_kwargs)) if isinstance(t, KerasTensor)]
        self.outputs = outputs
        self.output_tensors = tree.flatten(outputs)
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for position, tensor in enumerate(self.output_tensors):
            tensor._keras_history = (layer, self.index, position)
        self._single_input = (
            len(self.call_args) == 1 and isinstance(self.call_args[0], KerasTensor) and not self.call_kwargs
        )

    @property
    def parent_nodes(self):
        return [t._keras_history[0]._inbound_nodes[t._keras_history[1]] for t in self.input_tensors]

    def run(self, values):
        """Calls the layer on the real tensors in `values` (keyed by id of the KerasTensor) and stores its outputs."""
        if self._single_input:
            outputs = self.layer(values[id(self.call_args[0])])
        else:
            args, kwargs = tree.map_structure(
                lambda v: values[id(v)] if isinstance(v, KerasTensor) else v, (self.call_args, self.call_kwargs)
            )
            outputs = self.layer(*args, **kwargs)
        if len(self.output_tensors) == 1:
            values[id(self.output_tensors[0])] = (
                outputs if isinstance(outputs, torch.Tensor) else tree.flatten(outputs)[0]
            )
        else:
            for tensor, value in zip(self.output_tensors, tree.flatten(outputs)):
                values[id(tensor)] = value


def any_symbolic(structure):
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple, dict)):
        return any(isinstance(leaf, KerasTensor) for leaf in tree.flatten(structure))
    return False


def is_probing():
    """True while a layer runs on zeros to find its output shape (stateful layers keep their state then)."""
    return _state["probing"]


def call_symbolic(layer, args, kwargs):
    """Records `layer(*args, **kwargs)` on symbolic inputs: builds the layer and returns symbolic outputs."""
    inputs = args[0] if args else kwargs["inputs"]
    shapes = tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else tuple(t.shape), inputs)
    if not layer.built:
        _check_input_spec(layer, inputs)
        layer.build_from_shape(shapes)
    outputs = _output_spec(layer, args, kwargs, shapes)
    Node(layer, args, kwargs, outputs)
    return outputs


def call_symbolic_on_text(layer, inputs):
    """Records a layer that reads strings on the host (`TextVectorization`, `StringLookup`) on a symbolic input.

    Its output spec comes from running its `call` on two small batches of text, the second with one more row and
    one more word in each: sizes that differ between them (the batch, a sequence length the text decides) are open.

    >>> from cornu.layers import StringLookup
    >>> call_symbolic_on_text(StringLookup(vocabulary=["a", "b"]), KerasTensor((None, 3), "string"))
    <KerasTensor shape=(None, 3), dtype=int64>
    """
    if not isinstance(inputs, KerasTensor):
        raise ValueError(f"Layer '{layer.name}' takes one string input; received {inputs!r}.")

    def probe(rows, text):
        return layer.call(np.full([rows if d is None else d for d in inputs.shape], text, dtype=object))

    first, second = probe(2, "a"), probe(3, "a b")
    if not isinstance(first, torch.Tensor):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) returns {type(first).__name__} objects, which a Functional "
            "model cannot pass on (e.g. ragged=True). Call it on the data before the model instead."
        )
    shape = [a if a == b else None for a, b in zip(first.shape, second.shape)]
    if inputs.shape and inputs.shape[0] is None:
        shape[0] = None
    outputs = KerasTensor(shape, str(first.dtype))
    layer.built = True
    Node(layer, (inputs,), {}, outputs)
    return outputs


def _check_input_spec(layer, inputs):
    expected = getattr(layer, "_batch_input_shape", None)
    if expected is None or not isinstance(inputs, KerasTensor):
        return
    if len(expected) != inputs.ndim or any(
        e is not None and d is not None and e != d for e, d in zip(expected[1:], inputs.shape[1:])
    ):
        # Keras (2 and 3) ignores input_shape/input_dim on all but a model's first layer, and tutorials rely on it
        # (seed 001 repeats input_dim on a later layer): say so, and go on with the shape the layer receives.
        warnings.warn(
            f"Layer '{layer.name}' was declared with input shape {format_shape((None,) + tuple(expected[1:]))}, "
            f"but it is called on a tensor of shape {format_shape(inputs.shape)}: the declared shape is ignored, "
            f"as in Keras. Only a model's first layer takes input_shape/input_dim; remove it from this one.",
            stacklevel=4,
        )


def _output_spec(layer, args, kwargs, shapes):
    if getattr(type(layer).compute_output_shape, "_probes", False):
        return probe_output_spec(layer, args, kwargs)
    output_shapes = layer.compute_output_shape(shapes)
    dtype = layer.compute_dtype  # a mixed layer's outputs are in its compute dtype, as Keras's KerasTensors say
    if _is_shape(output_shapes):
        return KerasTensor(output_shapes, dtype)
    return _map_shapes(lambda s: KerasTensor(s, dtype), output_shapes)


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _map_shapes(fn, structure):
    if _is_shape(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    return type(structure)(_map_shapes(fn, s) for s in structure)


def probe_output_spec(layer, args, kwargs):
    """Symbolic outputs of `layer` found by running it on zeros: open sizes become 2, then 3, and stay `None`."""
    symbolic = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
    first = _probe(layer, args, kwargs, fill=2)
    inner_open = any(d is None for t in symbolic for d in t.shape[1:])
    second = _probe(layer, args, kwargs, fill=3) if inner_open else None
    batch_open = any(t.shape and t.shape[0] is None for t in symbolic)

    def spec(index, tensor):
        shape = list(tensor.shape)
        if second is not None:
            other = tree.flatten(second)[index].shape
            shape = [None if a != b else a for a, b in zip(shape, other)]
        if batch_open and shape and shape[0] == 2:
            shape[0] = None
        return KerasTensor(shape, str(tensor.dtype))

    flat = tree.flatten(first)
    return tree.pack_like(first, [spec(i, t) for i, t in enumerate(flat)])


def _probe(layer, args, kwargs, fill):
    device = layer._device()

    def concrete(value):
        if not isinstance(value, KerasTensor):
            return value
        shape = [fill if d is None else d for d in value.shape]
        return torch.zeros(shape, dtype=backend.torch_dtype(value.dtype), device=device)

    args, kwargs = tree.map_structure(concrete, (tuple(args), dict(kwargs)))
    kwargs["training"] = False
    _state["probing"] = True
    try:
        with torch.no_grad():
            return layer(*args, **kwargs)
    finally:
        _state["probing"] = False
        layer._clear_losses()
