"""Core layers: `Dense` (the fully connected layer) and `Activation`."""

import torch

from cornu import activations, constraints, initializers, regularizers
from cornu.layers.base import Layer
from cornu.utils.shapes import format_shape

__all__ = ["Dense", "Activation", "dense"]


def dense(inputs, kernel, bias=None):
    """`inputs @ kernel + bias` over the last axis, with the kernel in Keras's `(in, out)` layout.

    >>> dense(torch.ones(1, 2), torch.ones(2, 3), torch.zeros(3)).tolist()
    [[2.0, 2.0, 2.0]]
    """
    if inputs.ndim == 2:
        return torch.addmm(bias, inputs, kernel) if bias is not None else inputs.mm(kernel)
    outputs = torch.matmul(inputs, kernel)
    return outputs + bias if bias is not None else outputs


class Dense(Layer):
    """The fully connected layer: `activation(inputs @ kernel + bias)`.

    Args:
        units: Positive integer, the size of the output.
        activation: Activation name or function. Defaults to `None` (linear).
        use_bias: Whether to add a bias vector. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, bias_regularizer: Optional penalties. Default to `None`.
        activity_regularizer: Optional penalty on the output. Defaults to `None`.
        kernel_constraint, bias_constraint: Optional projections after each update. Default to `None`.

    Input shape: `(batch, ..., input_dim)`. Output shape: `(batch, ..., units)`.

    Example:
    >>> layer = Dense(3, kernel_initializer="ones")
    >>> layer(np.ones((2, 4))).tolist()
    [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]
    >>> [w.shape for w in layer.get_weights()]
    [(4, 3), (3,)]
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense needs a positive integer number of units. Received: units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense layer '{self.name}' needs a known last dimension, but received inputs of shape "
                f"{format_shape(input_shape)}."
            )
        self.kernel = self.add_weight(
            (input_dim, self.units),
            self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (self.units,),
                self.bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._input_dim = input_dim

    def call(self, inputs):
        try:  # no per-step check: a wrong feature count surfaces as torch's error, translated here
            outputs = dense(inputs, self.kernel, self.bias)
        except RuntimeError:
            if inputs.shape[-1] != self._input_dim:
                raise ValueError(_feature_mismatch(self, inputs.shape)) from None
            raise
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        if input_shape[-1] is not None and self.built and input_shape[-1] != self._input_dim:
            raise ValueError(_feature_mismatch(self, input_shape))
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


def _feature_mismatch(layer, shape):
    expected = (None,) * (len(shape) - 1) + (layer._input_dim,)
    got = (None,) + tuple(shape[1:])
    hint = ""
    if len(shape) > 2:
        flat = 1
        for d in shape[1:]:
            flat = flat * d if flat is not None and d is not None else None
        if flat == layer._input_dim:
            hint = f"\n    Add Flatten() before it, or reshape the data with x.reshape(-1, {flat})."
    return (
        f"Layer '{layer.name}' expects inputs of shape {format_shape(expected)}, but received "
        f"{format_shape(got)}.{hint or ' Check the number of features in the data.'}"
    )


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: Activation name (`"relu"`, `"softmax"`, ...) or function.

    Input shape: any. Output shape: same as the input.

    Example:
    >>> Activation("relu")(np.array([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
