"""`Model`: a Layer that can train (compile, fit, evaluate, predict) and describe itself (summary)."""

import torch

from cornu.layers.base import Layer
from cornu.legacy.translate import translate
from cornu.saving.model_io import ModelIO
from cornu.trainers.trainer import Trainer

__all__ = ["Model"]


class Model(Trainer, ModelIO, Layer):
    """A trainable stack or graph of layers.

    `Model(inputs=..., outputs=...)` makes a Functional model from symbolic tensors; subclassing `Model` and
    writing `call` makes a model of any shape.

    Example:
    >>> from cornu.layers import Dense
    >>> class TwoLayers(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden, self.out = Dense(8, activation="relu"), Dense(2)
    ...     def call(self, inputs, training=False):
    ...         return self.out(self.hidden(inputs))
    >>> TwoLayers()(np.zeros((3, 4))).shape
    torch.Size([3, 2])
    """

    def __new__(cls, *args, **kwargs):
        kwargs = translate(cls, kwargs)  # Keras 1's Model(input=..., output=...)
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from cornu.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, name=None, trainable=True, dtype=None, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(f"{type(self).__name__} takes no inputs/outputs; use Model(inputs=..., outputs=...).")
        Layer.__init__(self, name=name, trainable=trainable, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self):
        """The model's layers, in order."""
        return self._sublayers()

    def get_layer(self, name=None, index=None):
        """A layer of the model, by name or by index in `model.layers`."""
        if index is not None:
            if name is not None:
                raise ValueError("Pass either name or index to get_layer(), not both.")
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Model '{self.name}' has {len(self.layers)} layers; index={index} is out of range.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        from cornu.utils.identifiers import did_you_mean

        names = [layer.name for layer in self.layers]
        raise ValueError(f"No layer named {name!r} in model '{self.name}'.{did_you_mean(name, names)} Layers: {names}.")

    def _build_for(self, inputs):
        self.built = True  # a subclassed model's layers build themselves during its first call

    def reset_states(self):
        """Resets the carried states of every stateful layer in the model (Keras 2's `model.reset_states()`)."""
        for module in self.modules():
            if module is not self and not isinstance(module, Model) and hasattr(module, "reset_states"):
                module.reset_states()

    def build(self, input_shape=None):
        """Builds a subclassed model by running it once on zeros of `input_shape` (batch axis `None`)."""
        if input_shape is None:
            raise ValueError(f"Model '{self.name}'.build() needs an input_shape, e.g. model.build((None, 784)).")
        shape = [2 if d is None else d for d in input_shape]
        with torch.no_grad():
            self.built = True
            self(torch.zeros(shape, device=self._device()), training=False)

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Prints the Keras table of layers, output shapes and parameter counts, with the totals."""
        from cornu.utils.summary import print_summary

        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )
