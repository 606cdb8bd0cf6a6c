"""`LSTM`: the Long Short-Term Memory layer, run by torch's fused LSTM kernel whenever Keras's math allows."""

from cornu import activations
from cornu.layers.recurrent.cells import LSTMCell
from cornu.layers.recurrent.fused import lstm_weights_to_torch
from cornu.layers.recurrent.rnn import RNN, cell_layer_config, cell_property

__all__ = ["LSTM"]

_CELL_ATTRIBUTES = (
    "units activation recurrent_activation use_bias unit_forget_bias kernel_initializer recurrent_initializer "
    "bias_initializer kernel_regularizer recurrent_regularizer bias_regularizer kernel_constraint recurrent_constraint "
    "bias_constraint dropout recurrent_dropout"
).split()


class LSTM(RNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997): an `RNN` of one `LSTMCell`.

    With `tanh`/`sigmoid` activations, no mask and no recurrent dropout in training, the whole sequence runs in
    torch's fused LSTM kernel (Keras's weights converted by `lstm_weights_to_torch`); otherwise step by step.

    Args:
        units: Positive integer, the size of the output and of the states.
        activation: Defaults to `"tanh"`.
        recurrent_activation: The gates' activation. Defaults to `"sigmoid"`.
        use_bias: Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        recurrent_initializer: Defaults to `"orthogonal"`.
        bias_initializer: Defaults to `"zeros"`.
        unit_forget_bias: Whether the forget gate's bias starts at 1. Defaults to `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer: Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default to `None`.
        dropout: Fraction of the inputs dropped in training (one mask per sequence). Defaults to `0.0`.
        recurrent_dropout: Fraction of the previous output dropped in training. Defaults to `0.0`.
        seed: Optional integer for reproducible dropout masks. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll: As for `RNN`. Default to `False`.
        use_cudnn: Keras's switch for its cuDNN path, one of `"auto"`, `True`, `False`; cornu always uses torch's
            kernels where exact. Defaults to `"auto"`.

    Input shape: `(batch, time, features)`. Output shape: `(batch, units)` or `(batch, time, units)`.

    Example:
    >>> layer = LSTM(4, return_sequences=True)
    >>> tuple(layer(np.ones((2, 5, 3))).shape), [w.shape for w in layer.get_weights()]
    ((2, 5, 4), [(3, 16), (4, 16), (16,)])
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
        unit_forget_bias=True,
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
        use_cudnn="auto",
        **kwargs,
    ):
        cell = LSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
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
        if not standard or (training and 0.0 < cell.recurrent_dropout < 1.0):
            return None
        return "lstm"

    def _torch_weights(self):
        return lstm_weights_to_torch(self.cell.kernel, self.cell.recurrent_kernel, self.cell.bias)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        return cell_layer_config(self)


for _name in _CELL_ATTRIBUTES:
    setattr(LSTM, _name, cell_property(_name))


def _check_use_cudnn(use_cudnn):
    if use_cudnn not in ("auto", True, False):
        raise ValueError(f"use_cudnn must be one of 'auto', True, False. Received: use_cudnn={use_cudnn!r}")
    return use_cudnn
