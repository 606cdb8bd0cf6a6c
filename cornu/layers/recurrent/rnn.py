"""`RNN`: runs a recurrent cell over the time axis, with Keras's options and masking rules.

Keras's rules, kept here: a masked step keeps the previous states and repeats the previous output (zeros before
the first unmasked step, or zeros throughout with `zero_output_for_mask=True`); `go_backwards` reads the sequence
from the end and returns the outputs in the order they were computed (reversed); a `stateful` layer has a fixed
batch size, starts each batch from the last batch's final states and forgets them on `reset_states()`. States
carried between batches are detached: gradients stop at the batch boundary, as with Keras's state variables.
"""

import torch

from cornu.layers import symbolic
from cornu.layers.base import Layer
from cornu.layers.recurrent.cells import StackedRNNCells, _call_cell, _DropoutCell
from cornu.layers.recurrent.fused import run_fused
from cornu.layers.recurrent.nesting import deserialize_layer, serialize_layer
from cornu.utils import tree
from cornu.utils.shapes import format_shape

__all__ = ["RNN", "cell_property", "cell_layer_config"]


class RNN(Layer):
    """A recurrent layer built from a cell: `RNN(LSTMCell(32))`, or a list of cells to stack them.

    Args:
        cell: A cell (an object with `call(inputs_t, states)` and `state_size`), or a list of cells
            (run as `StackedRNNCells`).
        return_sequences: Whether to return the output of every step, `(batch, time, units)`, or only the last,
            `(batch, units)`. Defaults to `False`.
        return_state: Whether to return the final states after the output. Defaults to `False`.
        go_backwards: Whether to read the sequence from its end. Defaults to `False`.
        stateful: Whether each batch starts from the final states of the previous one (sample `i` continues
            sample `i`). Needs a fixed batch size: `batch_size=` on the first layer or `Input(batch_shape=...)`.
            Defaults to `False`.
        unroll: Accepted for Keras compatibility; torch runs the steps eagerly either way. Defaults to `False`.
        zero_output_for_mask: Whether masked steps output zeros instead of the previous output. Defaults to
            `False`.

    Call arguments: `sequences (batch, time, features)`; `initial_state` (list of tensors); `mask` (`(batch,
    time)` booleans, True where a step is real); `training`.

    Input shape: `(batch, time, features)`. Output shape: `(batch, units)`, or `(batch, time, units)` with
    `return_sequences`; followed by the final states with `return_state`.

    Example:
    >>> from cornu.layers import LSTMCell
    >>> layer = RNN(LSTMCell(4), return_sequences=True, return_state=True)
    >>> out, h, c = layer(np.ones((2, 5, 3)))
    >>> tuple(out.shape), tuple(h.shape), bool((out[:, -1] == h).all())
    ((2, 5, 4), (2, 4), True)
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or getattr(cell, "state_size", None) is None:
            raise ValueError(
                f"RNN needs a cell with a `call(inputs, states)` method and a `state_size` attribute (an int or a "
                f"list of ints, one per state), e.g. RNN(LSTMCell(32)). Received: cell={cell!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None

    @property
    def state_size(self):
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    # ------------------------------------------------------------------ lifecycle
    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' expects sequences of shape (batch, time, features), but received "
                f"{format_shape(sequences_shape)}. For one feature per step, use x.reshape(len(x), -1, 1)."
            )
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build_from_shape(step_shape)
        if self.stateful:
            if sequences_shape[0] is None:
                raise ValueError(
                    f"Layer '{self.name}' is stateful, so its batch size must be fixed, but it was built for inputs "
                    f"of shape {format_shape(sequences_shape)}. Give the first layer batch_size=32 (or "
                    f"batch_input_shape=(32, ...)), or use Input(batch_shape=(32, ...)), and fit with that batch_size."
                )
            self.states = self.get_initial_state(sequences_shape[0])

    def get_initial_state(self, batch_size):
        """Zero states for `batch_size` sequences (the cell's own `get_initial_state` when it has one)."""
        if hasattr(self.cell, "get_initial_state"):
            states = self.cell.get_initial_state(batch_size=batch_size)
            return list(states) if tree.is_nested(states) else [states]
        return [torch.zeros((batch_size, n), device=self._device()) for n in self.state_size]

    def reset_states(self):
        """Sets the carried states of a stateful layer back to zeros (call it between independent sequences)."""
        self.reset_state()

    def reset_state(self):
        if self.states is not None:
            self.states = tree.map_structure(torch.zeros_like, self.states)

    # ------------------------------------------------------------------ computation
    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not self._mixed:
            return self._call_sequences(sequences, initial_state, mask, training)
        casts = _cast_cell_weights(self.cell, self._compute_torch_dtype)
        try:
            return self._call_sequences(sequences, initial_state, mask, training)
        finally:
            for module, names in casts:
                for name in names:
                    module.__dict__.pop(name, None)

    def _call_sequences(self, sequences, initial_state, mask, training):
        if tree.is_nested(mask):
            mask = tree.flatten(mask)[0]
        if mask is not None and not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(mask, device=sequences.device)
        states = self._initial_states(sequences, initial_state)
        result = self._run_fused(sequences, states, mask, training)
        if result is None:
            result = self._run_steps(sequences, states, mask, training)
        outputs, final_states = result
        if self.stateful and not symbolic.is_probing():
            self.states = tree.map_structure(lambda s: s.detach(), list(final_states))
        output = outputs if self.return_sequences else outputs[:, -1]
        if self.return_state:
            return (output, *final_states)
        return output

    def _initial_states(self, sequences, initial_state):
        if initial_state is None:
            if self.stateful:
                self._check_stateful_batch(sequences)
                return tree.map_structure(lambda s: s.to(sequences.device), self.states)
            zeros = self.get_initial_state(sequences.shape[0])
            return tree.map_structure(lambda s: s.to(device=sequences.device, dtype=sequences.dtype), zeros)
        states = list(initial_state) if tree.is_nested(initial_state) else [initial_state]
        return tree.map_structure(lambda s: torch.as_tensor(s, dtype=sequences.dtype, device=sequences.device), states)

    def _check_stateful_batch(self, sequences):
        if self.states is None:
            self.states = self.get_initial_state(sequences.shape[0])
        expected = tree.flatten(self.states)[0].shape[0]
        if sequences.shape[0] != expected:
            raise ValueError(
                f"Layer '{self.name}' is stateful with batch size {expected}, but received a batch of "
                f"{sequences.shape[0]}. Every batch must have {expected} samples: pass batch_size={expected} to "
                f"fit/predict and make the number of samples a multiple of it."
            )

    def _run_fused(self, sequences, states, mask, training):
        """`(outputs, final_states)` from one call of torch's fused kernel, or None where it does not apply."""
        kind = self._fused_kind(training) if mask is None else None
        if kind is None:
            return None
        cell = self.cell
        if training and 0.0 < cell.dropout < 1.0:
            # Without recurrent dropout Keras draws one input mask per sequence: dropping the whole sequence at once
            # with it is the same computation.
            sequences = sequences * cell._draw(sequences[:, 0], cell.dropout).unsqueeze(1)
        return run_fused(kind, sequences, states, self._torch_weights(), self.go_backwards)

    def _fused_kind(self, training):
        """The name of torch's kernel that computes this layer exactly (LSTM, GRU and SimpleRNN say), else None."""
        return None

    def _run_steps(self, sequences, states, mask, training):
        """Keras's step loop: any cell, any activation, masks and recurrent dropout."""
        steps = sequences.unbind(1)
        masks = mask.to(torch.bool).unbind(1) if mask is not None else None
        if self.go_backwards:
            masks = masks[::-1] if masks is not None else None
        if hasattr(self.cell, "_begin_sequence"):
            self.cell._begin_sequence()
        try:
            step = self._projected_step(sequences, states, training)
            if step is not None:
                steps, step_fn = step
                steps = steps[::-1] if self.go_backwards else steps
            else:
                steps = steps[::-1] if self.go_backwards else steps
                step_fn = lambda x, s: _call_cell(self.cell, x, s, training)  # noqa: E731
            outputs, states = self._loop(steps, masks, states, step_fn)
        finally:
            if hasattr(self.cell, "_end_sequence"):
                self.cell._end_sequence()
        return torch.stack(outputs, dim=1), states

    def _projected_step(self, sequences, states, training):
        """For the built-in cells: every step's input half in one matmul, and the step that adds the rest."""
        cell = self.cell
        if not isinstance(cell, _DropoutCell) or type(cell).call is not _DropoutCell.call:
            return None  # a cell with its own `call` (a user's subclass, ConvLSTM) runs step by step through it
        h = tree.flatten(states)[0]
        projected = cell._project(sequences, h, training)
        if projected is None:
            return None

        def step(z, step_states):
            recurrent_mask = cell._masks(None, h, training)[1]
            return cell._recurrent_part(z, step_states, recurrent_mask)

        return projected.unbind(1), step

    def _loop(self, steps, masks, states, step_fn):
        outputs, previous = [], None
        for t, x in enumerate(steps):
            output, new_states = step_fn(x, states)
            new_states = tree.pack_like(
                states, tree.flatten(new_states if tree.is_nested(new_states) else [new_states])
            )
            if masks is not None:
                keep = masks[t].reshape(-1, *([1] * (output.ndim - 1)))  # (batch, 1, ...) for any state rank
                if previous is None or self.zero_output_for_mask:
                    previous = torch.zeros_like(output)
                output = torch.where(keep, output, previous)
                new_states = tree.pack_like(
                    states, [torch.where(keep, n, s) for n, s in zip(tree.flatten(new_states), tree.flatten(states))]
                )
            outputs.append(output)
            previous, states = output, new_states
        return outputs, states

    # ------------------------------------------------------------------ shapes, masks, config
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None) or tree.flatten(self.state_size)[0]
        output_shape = (batch, length, output_size) if self.return_sequences else (batch, output_size)
        if not self.return_state:
            return output_shape
        states = [
            [(batch, s) for s in size] if isinstance(size, (list, tuple)) else (batch, size) for size in self.state_size
        ]
        return (output_shape, *states)

    def compute_mask(self, inputs, mask=None):
        if tree.is_nested(mask):
            mask = tree.flatten(mask)[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_layer(self.cell),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_layer(config.pop("cell"), custom_objects)
        return cls(cell, **config)


def cell_property(name):
    """A read-only attribute of a recurrent layer that reads its cell's (`LSTM(4).units` is `cell.units`)."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")


def cell_layer_config(layer, drop=()):
    """The config of `LSTM`/`GRU`/`SimpleRNN`: the RNN's keys and the cell's arguments, without the cell itself."""
    from cornu import regularizers

    config = RNN.get_config(layer)
    del config["cell"]
    cell_config = layer.cell.get_config()
    for key in ("name", "trainable", "dtype", *drop):
        cell_config.pop(key, None)
    config.update(cell_config)
    config["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    return config


def _cast_cell_weights(cell, dtype):
    """Under a mixed policy Keras reads every float weight in the layer's compute dtype for the length of its call,
    the cell's too; cornu's RNN runs its cells' `call` directly (no `__call__`, which would cast them), so the copies
    shadow the cells' parameters here, as `Layer` does for its own. Returns `[(module, names)]` to remove after."""
    casts = []
    for module in cell.modules() if isinstance(cell, torch.nn.Module) else ():
        copies = {
            name: weight.to(dtype)
            for name, weight in module._parameters.items()
            if weight is not None
            and weight.is_floating_point()
            and weight.dtype is not dtype
            and getattr(weight, "autocast", True)
            and getattr(weight, "keras_trainable", True)
        }
        module.__dict__.update(copies)
        casts.append((module, list(copies)))
    return casts
