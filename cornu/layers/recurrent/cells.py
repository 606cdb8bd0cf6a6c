"""Recurrent cells: one time step of a recurrent layer, `(inputs_t, states) -> (output_t, new_states)`.

`SimpleRNNCell`, `LSTMCell` and `GRUCell` hold Keras's weights in Keras's layouts (`kernel (in, gates * units)`,
`recurrent_kernel (units, gates * units)`, `bias`); gate blocks are ordered as Keras orders them (LSTM: i, f, c, o;
GRU: z, r, h). `StackedRNNCells` chains cells into one. An `RNN` layer runs a cell over a sequence; the `LSTM`,
`GRU` and `SimpleRNN` layers hand the whole sequence to torch's fused kernels where the math allows.

Dropout follows Keras: one mask per sequence, drawn at the first step and reused at every step. Without
`recurrent_dropout` the input mask is a single `(batch, input_dim)` tensor; with it (Keras's "implementation 1")
every gate gets its own input mask and its own recurrent mask.
"""

import torch

from cornu import activations, backend, constraints, initializers, regularizers
from cornu.layers.base import Layer
from cornu.layers.regularization import keep_mask
from cornu.utils import tree

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]


class _DropoutCell(Layer):
    """What the three built-in cells share: arguments, weights and the per-sequence dropout masks."""

    gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"{type(self).__name__} needs a positive integer number of units. Received: units={units!r}"
            )
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__}'s seed must be an integer or None. Received: seed={seed!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # Keras clips the rates into [0, 1] instead of refusing them; a rate of 1 then drops nothing (0 < rate < 1).
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.state_size = units
        self.output_size = units
        self._generators = {}
        self._in_sequence = False
        self._sequence_masks = None  # (input masks, recurrent masks) while an RNN runs a sequence

    def _build_kernels(self, input_dim, bias_shape, bias_initializer):
        self.kernel = self.add_weight(
            (input_dim, self.gates * self.units),
            self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            (self.units, self.gates * self.units),
            self.recurrent_initializer,
            name="recurrent_kernel",
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                bias_shape,
                bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    # ------------------------------------------------------------------ dropout masks
    @property
    def _per_gate_masks(self):
        # Keras switches to one mask per gate ("implementation 1") as soon as recurrent dropout is on.
        return self.gates > 1 and self.recurrent_dropout > 0

    def _draw(self, like, rate):
        generator = None
        if self.seed is not None:
            key = str(like.device)
            if key not in self._generators:
                self._generators[key] = backend.make_generator(self.seed, device=like.device)
            generator = self._generators[key]

        def one():
            keep = keep_mask(like.shape, 1.0 - rate, generator, like.device)
            return keep.to(like.dtype) / (1.0 - rate)

        return [one() for _ in range(self.gates)] if self._per_gate_masks else one()

    def _masks(self, inputs, h, training):
        """(input masks, recurrent masks) for this step: the sequence's cached pair, else fresh ones."""
        if not training:
            return None, None
        if self._sequence_masks is not None:
            return self._sequence_masks
        input_mask = self._draw(inputs, self.dropout) if 0.0 < self.dropout < 1.0 else None
        recurrent_mask = self._draw(h, self.recurrent_dropout) if 0.0 < self.recurrent_dropout < 1.0 else None
        if self._in_sequence:  # drawn at the first step, reused until the RNN ends the sequence
            self._sequence_masks = (input_mask, recurrent_mask)
        return input_mask, recurrent_mask

    def _begin_sequence(self):
        self._in_sequence, self._sequence_masks = True, None

    def _end_sequence(self):
        self._in_sequence, self._sequence_masks = False, None

    def call(self, inputs, states, training=False):
        h = states[0] if tree.is_nested(states) else states
        input_mask, recurrent_mask = self._masks(inputs, h, training)
        return self._recurrent_part(self._input_part(inputs, input_mask), states, recurrent_mask)

    def _project(self, sequences, h, training):
        """The input half of every step at once, `(batch, time, gates * units)`: one matmul instead of one a step.

        Exact where one input mask serves every gate (Keras's implementation 2); None with per-gate masks.
        """
        input_mask, _ = self._masks(sequences[:, 0], h, training)  # drawn (and cached) for the whole sequence
        if isinstance(input_mask, list):
            return None
        return self._input_part(sequences, input_mask.unsqueeze(1) if input_mask is not None else None)

    def get_initial_state(self, batch_size=None):
        """Zero states, one `(batch_size, n)` tensor per entry of `state_size`."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        dtype = self._compute_torch_dtype  # states live in the compute dtype, like the outputs
        return [torch.zeros((batch_size, n), dtype=dtype, device=self._device()) for n in sizes]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNNCell(_DropoutCell):
    """One step of the fully connected recurrent layer: `h = activation(x @ kernel + h_prev @ recurrent_kernel + b)`.

    Args:
        units: Positive integer, the size of the output and of the state.
        activation: Defaults to `"tanh"`.
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default to `None`.
        dropout: Fraction of the inputs dropped in training (one mask per sequence). Defaults to `0.0`.
        recurrent_dropout: Fraction of the previous state dropped in training. Defaults to `0.0`.
        seed: Optional integer for reproducible dropout masks. Defaults to `None`.

    Call: `cell(inputs, states)` with `inputs (batch, input_dim)` and `states` a tensor or `[tensor]` of shape
    `(batch, units)`; returns `(output, new_states)`.

    Example:
    >>> cell = SimpleRNNCell(2, kernel_initializer="ones", recurrent_initializer="zeros", activation=None)
    >>> out, state = cell(np.ones((1, 3)), [torch.zeros(1, 2)])
    >>> out.tolist()
    [[3.0, 3.0]]
    """

    def build(self, input_shape):
        self._build_kernels(input_shape[-1], (self.units,), self.bias_initializer)

    def _input_part(self, inputs, input_mask):
        z = _gate_inputs(inputs, self.kernel, input_mask)
        return z + self.bias if self.bias is not None else z

    def _recurrent_part(self, z, states, recurrent_mask):
        h = states[0] if tree.is_nested(states) else states
        h_in = h * recurrent_mask if recurrent_mask is not None else h
        output = self.activation(z + torch.matmul(h_in, self.recurrent_kernel))
        return output, ([output] if tree.is_nested(states) else output)


def _cell_arguments(arguments):
    """The arguments a subclass's `__init__` passes on to `_DropoutCell` (its own extras stay behind)."""
    names = (
        "units activation use_bias kernel_initializer recurrent_initializer bias_initializer kernel_regularizer "
        "recurrent_regularizer bias_regularizer kernel_constraint recurrent_constraint bias_constraint dropout "
        "recurrent_dropout seed"
    ).split()
    return {name: arguments[name] for name in names}


def _gate_inputs(x, kernel, masks):
    """`x @ kernel`, each gate's column block seeing its own dropped copy of `x` when `masks` is a list."""
    if masks is None:
        return torch.matmul(x, kernel)
    if isinstance(masks, torch.Tensor):
        return torch.matmul(x * masks, kernel)
    blocks = kernel.chunk(len(masks), dim=1)
    return torch.cat([torch.matmul(x * m, k) for m, k in zip(masks, blocks)], dim=-1)


class LSTMCell(_DropoutCell):
    """One step of the Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997), gates in Keras's order.

    With `z = x @ kernel + h_prev @ recurrent_kernel + bias` split into blocks `i, f, c, o`:
    `c = σ(f) * c_prev + σ(i) * tanh(c)`, `h = σ(o) * tanh(c)` (σ is `recurrent_activation`, tanh is `activation`).

    Args:
        units: Positive integer, the size of the output and of each state.
        activation: Defaults to `"tanh"`.
        recurrent_activation: The gates' activation. Defaults to `"sigmoid"`.
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: Whether the forget gate's bias starts at 1 (Jozefowicz et al., 2015). Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default to `None`.
        dropout: Fraction of the inputs dropped in training. Defaults to `0.0`.
        recurrent_dropout: Fraction of the previous output dropped in training. Defaults to `0.0`.
        seed: Optional integer for reproducible dropout masks. Defaults to `None`.

    Call: `cell(inputs, [h, c])`; returns `(h_new, [h_new, c_new])`.

    Example:
    >>> cell = LSTMCell(2)
    >>> h, (h2, c) = cell(np.ones((1, 3)), [torch.zeros(1, 2), torch.zeros(1, 2)])
    >>> [w.shape for w in cell.get_weights()], cell.get_weights()[2].tolist()
    ([(3, 8), (2, 8), (8,)], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    """

    gates = 4

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**_cell_arguments(locals()), **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [units, units]

    def build(self, input_shape):
        initializer = self.bias_initializer
        if self.unit_forget_bias:
            initializer = _ForgetBiasOne(self.bias_initializer, self.units)
        self._build_kernels(input_shape[-1], (4 * self.units,), initializer)

    def _input_part(self, inputs, input_mask):
        z = _gate_inputs(inputs, self.kernel, input_mask)
        return z + self.bias if self.bias is not None else z

    def _recurrent_part(self, z, states, recurrent_mask):
        h, c = states[0], states[1]
        z = z + _gate_inputs(h, self.recurrent_kernel, recurrent_mask)
        i, f, g, o = z.chunk(4, dim=-1)
        gate = self.recurrent_activation
        c_new = gate(f) * c + gate(i) * self.activation(g)
        h_new = gate(o) * self.activation(c_new)
        return h_new, [h_new, c_new]

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class _ForgetBiasOne:
    """Keras's LSTM bias start: the user's initializer everywhere except ones on the forget gate's block."""

    def __init__(self, initializer, units):
        self.initializer, self.units = initializer, units

    def __call__(self, shape, dtype=None):
        u = self.units
        part = [self.initializer((u,), dtype=dtype), torch.ones(u), self.initializer((2 * u,), dtype=dtype)]
        return torch.cat([torch.as_tensor(p, dtype=dtype) for p in part])


class GRUCell(_DropoutCell):
    """One step of the Gated Recurrent Unit (Cho et al., 2014), gates in Keras's order z (update), r (reset), h.

    `h = z * h_prev + (1 - z) * hh` with `hh = tanh(x W_h + r * (h_prev U_h + b_rh))` when `reset_after=True`
    (Keras's default, cuDNN's and torch's convention; the bias is then `(2, 3 * units)`: input row, recurrent row),
    or `hh = tanh(x W_h + (r * h_prev) U_h + b_h)` when `False` (bias `(3 * units,)`).

    Args:
        units: Positive integer, the size of the output and the state.
        activation: Defaults to `"tanh"`.
        recurrent_activation: The gates' activation. Defaults to `"sigmoid"`.
        use_bias: Defaults to `True`.
        kernel_initializer, recurrent_initializer, bias_initializer: Default to `"glorot_uniform"`,
            `"orthogonal"`, `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default to `None`.
        dropout, recurrent_dropout: Fractions dropped in training. Default to `0.0`.
        reset_after: Whether the reset gate applies after the recurrent matmul. Defaults to `True`.
        seed: Optional integer for reproducible dropout masks. Defaults to `None`.

    Example:
    >>> cell = GRUCell(2)
    >>> _ = cell(np.ones((1, 3)), torch.zeros(1, 2))
    >>> [w.shape for w in cell.get_weights()]
    [(3, 6), (2, 6), (2, 6)]
    """

    gates = 3

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
        seed=None,
        **kwargs,
    ):
        super().__init__(**_cell_arguments(locals()), **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def build(self, input_shape):
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._build_kernels(input_shape[-1], shape, self.bias_initializer)

    def _input_part(self, inputs, input_mask):
        x = _gate_inputs(inputs, self.kernel, input_mask)
        input_bias = self._biases()[0]
        return x + input_bias if input_bias is not None else x

    def _recurrent_part(self, x, states, recurrent_mask):
        h = states[0] if tree.is_nested(states) else states
        recurrent_bias = self._biases()[1]
        x_z, x_r, x_h = x.chunk(3, dim=-1)
        gate, u = self.recurrent_activation, self.units
        if self.reset_after:
            rec = _gate_inputs(h, self.recurrent_kernel, recurrent_mask)
            if recurrent_bias is not None:
                rec = rec + recurrent_bias
            r_z, r_r, r_h = rec.chunk(3, dim=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            hh = self.activation(x_h + r * r_h)
        else:
            # a recurrent mask exists only with recurrent dropout, and then there is one per gate
            h_z, h_r, h_h = (h * m for m in recurrent_mask) if recurrent_mask is not None else (h, h, h)
            kernel = self.recurrent_kernel
            z = gate(x_z + torch.matmul(h_z, kernel[:, :u]))
            r = gate(x_r + torch.matmul(h_r, kernel[:, u : 2 * u]))
            hh = self.activation(x_h + torch.matmul(r * h_h, kernel[:, 2 * u :]))
        output = z * h + (1 - z) * hh
        return output, ([output] if tree.is_nested(states) else output)

    def _biases(self):
        if self.bias is None:
            return None, None
        if self.reset_after:
            return self.bias[0], self.bias[1]
        return self.bias, None

    def get_config(self):
        config = super().get_config()
        seed = config.pop("seed")
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        config["seed"] = seed
        return config


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the output of one cell to the next.

    Args:
        cells: List of cells (`LSTMCell(...)`, ...), bottom first.

    Example:
    >>> stack = StackedRNNCells([LSTMCell(4), GRUCell(2)])
    >>> stack.state_size, stack.output_size
    ([[4, 4], 2], 2)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(
                    f"StackedRNNCells needs cells with a `call` method and a `state_size` attribute. Received: {cell!r}"
                )
        self.cells = cells

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        size = last.state_size
        return size[0] if isinstance(size, (list, tuple)) else size

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                state = cell.get_initial_state(batch_size=batch_size)
                states.append(state if isinstance(cell.state_size, (list, tuple)) else state[0])
            else:
                states.append(torch.zeros((batch_size, cell.state_size), device=self._device()))
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build_from_shape(input_shape)
            size = getattr(cell, "output_size", None) or tree.flatten(cell.state_size)[0]
            input_shape = (input_shape[0], size)

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, state in zip(self.cells, states):
            state = list(state) if tree.is_nested(state) else [state]
            inputs, state = _call_cell(cell, inputs, state, training)
            new_states.append(state)
        return inputs, new_states

    def _begin_sequence(self):
        for cell in self.cells:
            if hasattr(cell, "_begin_sequence"):
                cell._begin_sequence()

    def _end_sequence(self):
        for cell in self.cells:
            if hasattr(cell, "_end_sequence"):
                cell._end_sequence()

    def get_config(self):
        from cornu.layers.recurrent.nesting import serialize_layer

        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cornu.layers.recurrent.nesting import deserialize_layer

        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


def _call_cell(cell, inputs, states, training):
    """Runs one step of `cell`, passing `training` only to cells whose `call` takes it (custom cells may not)."""
    if isinstance(cell, Layer):
        if cell._call_accepts["training"]:
            return cell.call(inputs, states, training=training)
        return cell.call(inputs, states)
    return cell(inputs, states)
