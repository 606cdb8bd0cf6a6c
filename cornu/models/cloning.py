"""`clone_model`: the same architecture as a model, with new layers and freshly initialized weights."""

from cornu.layers.input_layer import Input
from cornu.layers.symbolic import KerasTensor
from cornu.models.functional import Functional
from cornu.models.model import Model
from cornu.models.sequential import Sequential
from cornu.utils import tree

__all__ = ["clone_model"]


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model with `model`'s architecture: new layers, newly initialized weights (copy them with
    `clone.set_weights(model.get_weights())`), not compiled.

    Args:
        model: A `Sequential` or Functional model (a subclassed model is rebuilt from its `get_config()`).
        input_tensors: Optional symbolic tensors (from `Input`) to build the clone on, instead of new `Input`s.
        clone_function: Optional `f(layer) -> layer` making each new layer. Defaults to rebuilding the layer from its
            config (`layer.__class__.from_config(layer.get_config())`).
        call_function: Optional `f(layer, *args, **kwargs) -> outputs` calling each new layer while the graph is
            rebuilt (e.g. to wrap or tag its outputs). Defaults to calling the layer.
        recursive: Also clone the layers inside nested models with `clone_function` (rather than cloning a
            nested model as one layer). Defaults to `False`.

    Example:
    >>> model = cornu.Sequential([cornu.Input((3,)), cornu.layers.Dense(2, name="d")])
    >>> clone = cornu.models.clone_model(model)
    >>> clone.get_layer("d") is model.get_layer("d"), clone.count_params() == model.count_params()
    (False, True)
    """
    if kwargs:
        raise TypeError(f"clone_model() got unexpected keyword arguments {sorted(kwargs)}.")
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone_function, call_function, recursive)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone_function, call_function, recursive)
    if clone_function is not None or input_tensors is not None or call_function is not None:
        raise ValueError(
            f"clone_model() can rebuild a subclassed model ({type(model).__name__}) only from its config: "
            "clone_function, input_tensors and call_function need a Sequential or Functional model."
        )
    try:
        return type(model).from_config(model.get_config())
    except (TypeError, NotImplementedError) as error:
        raise ValueError(
            f"Cannot clone the subclassed model {type(model).__name__}: {error}. Give it a get_config() that "
            "returns its constructor's arguments (and from_config if they are not plain values)."
        ) from error


def _default_clone(layer):
    if isinstance(layer, (Sequential, Functional)):  # a nested model: its whole graph, through its saved config
        from cornu.saving.serialization import deserialize_layer, serialize_layer

        return deserialize_layer(serialize_layer(layer), safe_mode=False)
    return type(layer).from_config(layer.get_config())


def _cloner(clone_function, recursive, call_function):
    make = clone_function or _default_clone
    made = {}  # a layer shared by several nodes is cloned once, and the clones are shared alike

    def clone(layer):
        if id(layer) not in made:
            if recursive and isinstance(layer, (Sequential, Functional)):
                made[id(layer)] = clone_model(layer, clone_function=clone_function, call_function=call_function,
                                              recursive=True)  # fmt: skip
            else:
                made[id(layer)] = make(layer)
        return made[id(layer)]

    return clone


def _clone_sequential(model, input_tensors, clone_function, call_function, recursive):
    clone = _cloner(clone_function, recursive, call_function)
    layers = [clone(layer) for layer in model.layers]
    shape = _input_shape(model)
    if input_tensors is None and call_function is None:
        return Sequential(([Input(batch_shape=shape)] if shape is not None else []) + layers, name=model.name)
    if input_tensors is None and shape is None:
        raise ValueError(f"Model '{model.name}' is not built, so it has no input shape: pass input_tensors.")
    inputs = input_tensors if input_tensors is not None else Input(batch_shape=shape)
    outputs = tree.flatten(inputs)[0] if isinstance(inputs, (list, tuple)) else inputs
    for layer in layers:
        outputs = call_function(layer, outputs) if call_function else layer(outputs)
    return Model(inputs, outputs, name=model.name)


def _input_shape(model):
    try:
        return model.input_shape
    except AttributeError:  # never built: the clone is not either
        return None


def _clone_functional(model, input_tensors, clone_function, call_function, recursive):
    clone = _cloner(clone_function, recursive, call_function)
    if input_tensors is None:
        new_inputs = [Input(batch_shape=t.shape, dtype=t.dtype, name=t._keras_history[0].name) for t in model.inputs]
    else:
        new_inputs = tree.flatten(input_tensors)
        if len(new_inputs) != len(model.inputs):
            raise ValueError(
                f"input_tensors holds {len(new_inputs)} tensor(s) but model '{model.name}' has {len(model.inputs)} "
                f"input(s); pass one Input per model input, in the order of model.inputs."
            )
    tensors = {id(old): new for old, new in zip(model.inputs, new_inputs)}

    def remap(value):
        return tensors[id(value)] if isinstance(value, KerasTensor) else value

    for node in model._nodes:
        layer = clone(node.layer)
        args, kwargs = tree.map_structure(remap, (node.call_args, node.call_kwargs))
        outputs = call_function(layer, *args, **kwargs) if call_function else layer(*args, **kwargs)
        for old, new in zip(node.output_tensors, tree.flatten(outputs)):
            tensors[id(old)] = new
    inputs = tree.pack_like(model._input_structure, new_inputs) if input_tensors is None else input_tensors
    outputs = tree.pack_like(model._output_structure, [tensors[id(t)] for t in model.outputs])
    return Model(inputs, outputs, name=model.name)
