"""`GRU`: the Gated Recurrent Unit layer, run by torch's fused GRU kernel when `reset_after=True` (the default)."""

from cornu import activations
from cornu.layers.recurrent.cells import GRUCell
from cornu.layers.recurrent.fused import gru_weights_to_torch
from cornu.layers.recurrent.lstm import _check_use_cudnn
from cornu.layers.recurrent.rnn import RNN, cell_layer_config, cell_property

__all__ = ["GRU"]

_CELL_ATTRIBUTES = (
    "units activation recurrent_activation use_bias kernel_initializer recurrent_initializer bias_initializer "
    "kernel_regularizer recurrent_regularizer bias_regularizer kernel_constraint recurrent_constraint bias_constraint "
    "dropout recurrent_dropout reset_after"
).split()


class GRU(RNN):
    """Gated Recurrent Unit layer (Cho et al., 2014): an `RNN` of one `GRUCell`.

    With `reset_after=True`, `tanh`/`sigmoid`, no mask and no recurrent dropout in training, the sequence runs in
    torch's fused GRU kernel, whose math is Keras's (`gru_weights_to_torch` swaps the z and r blocks). Otherwise,
    including `reset_after=False` (the Keras 1/2 and TensorFlow 1 convention), it runs step by step.

    Args:
        units: Positive integer, the size of the output and the state.
        activation: Defaults to `"tanh"`.
        recurrent_activation: Defaults to `"sigmoid"`.
        use_bias: Defaults to `True`.
        kernel_initializer, recurrent_initializer, bias_initializer: Default to `"glorot_uniform"`,
            `"orthogonal"`, `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer: Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default to `None`.
        dropout, recurrent_dropout: Fractions dropped in training. Default to `0.0`.
        seed: Optional integer for reproducible dropout masks. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll: As for `RNN`. Default to `False`.
        reset_after: Whether the reset gate applies after the recurrent matmul. Defaults to `True`.
        use_cudnn: Accepted as Keras does (`"auto"`, `True`, `False`). Defaults to `"auto"`.

    Input shape: `(batch, time, features)`. Output shape: `(batch, units)` or `(batch, time, units)`.

    Example:
    >>> layer = GRU(4)
    >>> tuple(layer(np.ones((2, 5, 3))).shape), [w.shape for w in layer.get_weights()]
    ((2, 4), [(3, 12), (4, 12), (2, 12)])
    """

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        reset_after=True,
        use_cudnn="auto",
        **kwargs,
    ):
        cell = GRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            reset_after=reset_after,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.use_cudnn = _check_use_cudnn(use_cudnn)

    def _fused_kind(self, training):
        cell = self.cell
        standard = cell.activation is activations.tanh and cell.recurrent_activation is activations.sigmoid
        if not standard or not cell.reset_after or (training and 0.0 < cell.recurrent_dropout < 1.0):
            return None
        return "gru"

    def _torch_weights(self):
        return gru_weights_to_torch(self.cell.kernel, self.cell.recurrent_kernel, self.cell.bias)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        return cell_layer_config(self)


for _name in _CELL_ATTRIBUTES:
    setattr(GRU, _name, cell_property(_name))
