"""Wrappers that run a layer in a new way: `Bidirectional` (both directions of an RNN) and `TimeDistributed`
(the same layer at every time step)."""

import torch

from cornu.layers.base import Layer
from cornu.layers.recurrent.nesting import deserialize_layer, serialize_layer
from cornu.utils import tree
from cornu.utils.shapes import format_shape

__all__ = ["Bidirectional", "TimeDistributed"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence, and merges the two outputs.

    The backward copy reads the sequence from its end; with `return_sequences` its outputs are flipped back, so
    step `t` of both lines up. The forward and backward layers are copies of `layer` (named `forward_<name>` and
    `backward_<name>`), so their weights are the forward's then the backward's.

    Args:
        layer: A recurrent layer (`LSTM(...)`, `GRU(...)`, `RNN(...)`).
        merge_mode: How to combine the two outputs: `"concat"`, `"sum"`, `"mul"`, `"ave"` or `None` (a list of
            both). Defaults to `"concat"`.
        weights: Optional list of arrays, the forward layer's then the backward layer's. Defaults to `None`.
        backward_layer: Optional layer to use backwards instead of a copy of `layer`; it must have
            `go_backwards=True`. Defaults to `None`.

    Input shape: `(batch, time, features)`. Output shape: the wrapped layer's, with twice the last axis for
    `"concat"`.

    Example:
    >>> from cornu.layers import LSTM
    >>> layer = Bidirectional(LSTM(4, return_sequences=True, name="lstm"))
    >>> tuple(layer(np.ones((2, 5, 3))).shape), layer.forward_layer.name, layer.backward_layer.name
    ((2, 5, 8), 'forward_lstm', 'backward_lstm')
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional wraps a cornu layer, e.g. Bidirectional(LSTM(32)). Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"backward_layer must be a cornu layer. Received: backward_layer={backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional's merge_mode must be one of 'concat', 'sum', 'mul', 'ave' or None. "
                f"Received: merge_mode={merge_mode!r}"
            )
        super().__init__(weights=weights, **kwargs)
        self.forward_layer = _copy(layer, name=f"forward_{_strip(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _copy(layer, name=f"backward_{_strip(layer.name, 'backward_')}", go_backwards=True)
        self.backward_layer = backward_layer
        _check_pair(self.forward_layer, self.backward_layer)
        for direction in (self.forward_layer, self.backward_layer):
            if hasattr(direction, "zero_output_for_mask"):  # Keras: padded steps of a returned sequence are zeros
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    @property
    def states(self):
        forward, backward = self.forward_layer.states, self.backward_layer.states
        return tuple(forward) + tuple(backward) if forward and backward else None

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' is not stateful, so it has no states to reset.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def build(self, sequences_shape, initial_state_shape=None):
        for direction in (self.forward_layer, self.backward_layer):
            direction.build_from_shape(sequences_shape)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask, training=training)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = torch.flip(y_rev, (1,))
        output = _merge(self.merge_mode, y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = tuple(output_shape[:-1]) + (output_shape[-1] * 2,)
        if self.merge_mode is None:
            outputs = (tuple(output_shape), tuple(output_shape))
            return outputs + state_shapes * 2 if self.return_state else outputs
        return (tuple(output_shape),) + state_shapes * 2 if self.return_state else tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = mask if self.merge_mode else (mask, mask)
        else:
            output_mask = None if self.merge_mode else (None, None)
        if self.return_state and self.states is not None:
            state_masks = (None,) * len(self.states)
            return (*output_mask, *state_masks) if isinstance(output_mask, tuple) else (output_mask, *state_masks)
        return output_mask

    def get_config(self):
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"], custom_objects)
        return cls(**config)


class TimeDistributed(Layer):
    """Applies the same layer to every time step: `(batch, time, ...)` in, the layer's output per step out.

    The steps run as one batch of `batch * time` samples (the same weights at each step, one kernel call).

    Args:
        layer: The layer to apply at each step, e.g. `Dense(8)`.

    Input shape: `(batch, time, ...)`. Output shape: `(batch, time) + layer's output shape without its batch`.

    Example:
    >>> from cornu.layers import Dense
    >>> tuple(TimeDistributed(Dense(8))(np.ones((2, 5, 3))).shape)
    (2, 5, 8)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed wraps a cornu layer, e.g. TimeDistributed(Dense(8)). Received: {layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _step_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed layer '{self.name}' expects inputs of shape (batch, time, ...) with at least 3 "
                f"axes, but received {format_shape(input_shape) if isinstance(input_shape, tuple) else input_shape}."
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        self.layer.build_from_shape(self._step_shape(input_shape))

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs = {"training": training}
        if mask is not None:
            if mask.ndim < 2 or tuple(mask.shape[:2]) != (batch, steps):
                raise ValueError(
                    f"TimeDistributed layer '{self.name}' received a mask of shape {format_shape(tuple(mask.shape))} "
                    f"for inputs of shape {format_shape(tuple(inputs.shape))}; the mask must start with "
                    f"(batch, time) = ({batch}, {steps})."
                )
            kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        outputs = self.layer(inputs.reshape(batch * steps, *inputs.shape[2:]), **kwargs)
        return tree.map_structure(lambda t: t.reshape(batch, steps, *t.shape[1:]), outputs)

    def compute_output_shape(self, input_shape):
        step_output = self.layer.compute_output_shape(self._step_shape(tuple(input_shape)))
        return (step_output[0], input_shape[1], *step_output[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        return cls(**config)


def _merge(mode, y, y_rev):
    if mode == "concat":
        return torch.cat([y, y_rev], dim=-1)
    if mode == "sum":
        return y + y_rev
    if mode == "ave":
        return (y + y_rev) / 2
    if mode == "mul":
        return y * y_rev
    return (y, y_rev)


def _strip(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


def _copy(layer, **overrides):
    """A fresh layer with `layer`'s config and `overrides` (Keras builds Bidirectional's pair this way)."""
    config = serialize_layer(layer)
    config["config"] = {**config["config"], **overrides}
    return deserialize_layer(config, {type(layer).__name__: type(layer)})


def _check_pair(forward, backward):
    if forward.go_backwards == backward.go_backwards:
        raise ValueError(
            f"Bidirectional needs layers that read in opposite directions, but both have "
            f"go_backwards={forward.go_backwards}. Give backward_layer go_backwards={not forward.go_backwards}."
        )
    for attribute in ("stateful", "return_sequences", "return_state"):
        if getattr(forward, attribute) != getattr(backward, attribute):
            raise ValueError(
                f"Bidirectional's forward and backward layers must agree on {attribute}, but the forward layer has "
                f"{attribute}={getattr(forward, attribute)} and the backward layer {getattr(backward, attribute)}."
            )
