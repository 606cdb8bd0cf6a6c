"""`Sequential`: a plain stack of layers, each feeding the next."""

import torch
from torch import nn

from cornu.layers.base import (
    _HALF_DTYPES,
    ATTRIBUTES_VERSION,
    Layer,
    any_global_hook,
    call_context,
    layer_direct_call,
)
from cornu.layers.input_layer import InputLayer
from cornu.layers.symbolic import KerasTensor
from cornu.models.model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A stack of layers with one input and one output, built up with `add`.

    Args:
        layers: Optional list of layers to add. Defaults to `None`.
        name: The model's name. Defaults to `"sequential"` plus a counter.

    Example:
    >>> from cornu.layers import Activation, Dense
    >>> model = Sequential()
    >>> model.add(Dense(128, input_dim=200))
    >>> model.add(Activation("sigmoid"))
    >>> model.add(Dense(5, activation="softmax"))
    >>> model.count_params()
    26373
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._graph_layers = nn.ModuleDict()
        self._layer_list = []
        self._input_layer = None
        self._symbolic_output = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._layer_list)

    def add(self, layer):
        """Appends a layer (or an `Input(...)` tensor, which sets the input shape) to the stack."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._layer_list or self._input_layer is not None:
                raise ValueError("An Input can only come first in a Sequential model.")
            self._input_layer = layer
            self._symbolic_output = layer.output
            self.built = True
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add() takes a cornu layer. Received: layer={layer!r} ({type(layer).__name__})."
            )
        if layer.name in self._graph_layers or layer.name.replace(".", "_") in self._graph_layers:
            raise ValueError(
                f"Model '{self.name}' already has a layer named '{layer.name}'; layer names must be unique."
            )
        self._graph_layers[layer.name.replace(".", "_")] = layer
        self._layer_list.append(layer)
        if self._symbolic_output is None and not self._layer_list[:-1] and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape, name=f"{layer.name}_input")
            self._symbolic_output = self._input_layer.output
        if self._symbolic_output is not None:
            self._symbolic_output = layer(self._symbolic_output)
            self.built = True

    def pop(self):
        """Removes the last layer."""
        if not self._layer_list:
            raise ValueError(f"Model '{self.name}' has no layers to pop.")
        layer = self._layer_list.pop()
        del self._graph_layers[layer.name.replace(".", "_")]
        self._symbolic_output = self._layer_list[-1].output if self._layer_list and self._input_layer else None
        return layer

    _build_for = Layer._build_for  # built from the first input's shape, like any layer

    def build(self, input_shape=None):
        """Builds every layer for inputs of `input_shape` (the batch axis may be `None`)."""
        if self._input_layer is not None:
            return
        if input_shape is None:
            raise ValueError(f"Sequential model '{self.name}' cannot be built without an input shape.")
        if input_shape and isinstance(input_shape[0], (list, tuple)):
            return  # several inputs: Keras 1's Merge of branch models comes first; each layer builds at its first call
        self._input_layer = InputLayer(batch_shape=(None,) + tuple(input_shape[1:]), name=f"{self.name}_input")
        output = self._input_layer.output
        for layer in self._layer_list:
            output = layer(output)
        self._symbolic_output = output
        self.built = True

    def call(self, inputs, training=None, mask=None):
        training = call_context.training  # what each layer's own `__call__` would hand it
        if training is None or any_global_hook():
            for layer in self._layer_list:
                inputs = layer(inputs)
            return inputs
        for layer, call, takes_training in self._direct_plan():
            # what depends on the tensor passed on is checked at every layer, as direct_call does
            if call is None or type(inputs) is not torch.Tensor or inputs.dtype in _HALF_DTYPES:
                inputs = layer(inputs)
            elif takes_training:
                inputs = call(inputs, training=training)
            else:
                inputs = call(inputs)
        return inputs

    def _direct_plan(self):
        """`(layer, its call or None, whether it takes training)` for each layer: `direct_call`'s answer for the
        layer, worked out again only when some layer's attributes or hooks have changed since (ATTRIBUTES_VERSION).
        The checks are ~0.6 µs a layer: kept, they take 1-2 µs off the hello-world MLP's ~50 µs one-sample predict
        (2% in an A/B of separate processes, 4% in one process)."""
        kept = self.__dict__.get("_plan")
        if kept is not None and kept[0] == ATTRIBUTES_VERSION[0] and kept[1] == len(self._layer_list):
            return kept[2]
        plan = tuple((layer, layer_direct_call(layer), layer._call_accepts["training"]) for layer in self._layer_list)
        self.__dict__["_plan"] = (ATTRIBUTES_VERSION[0], len(self._layer_list), plan)  # not a setattr: that moves it
        return plan

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def outputs(self):
        return [self._symbolic_output] if self._symbolic_output is not None else None

    @property
    def input(self):
        return self._input_layer.output if self._input_layer is not None else super().input

    @property
    def output(self):
        return self._symbolic_output if self._symbolic_output is not None else super().output

    def compute_output_shape(self, input_shape):
        if self._symbolic_output is not None:
            return self._symbolic_output.shape
        return super().compute_output_shape(input_shape)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}
