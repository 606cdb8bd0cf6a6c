"""`SimpleRNN`: the fully connected recurrent layer, run by torch's fused Elman kernel for tanh and relu."""

from cornu import activations
from cornu.layers.recurrent.cells import SimpleRNNCell
from cornu.layers.recurrent.fused import simple_rnn_weights_to_torch
from cornu.layers.recurrent.rnn import RNN, cell_layer_config, cell_property

__all__ = ["SimpleRNN"]

_CELL_ATTRIBUTES = (
    "units activation use_bias kernel_initializer recurrent_initializer bias_initializer kernel_regularizer "
    "recurrent_regularizer bias_regularizer kernel_constraint recurrent_constraint bias_constraint dropout "
    "recurrent_dropout"
).split()


class SimpleRNN(RNN):
    """Fully connected recurrent layer: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.

    Args:
        units: Positive integer, the size of the output and the state.
        activation: Defaults to `"tanh"`.
        use_bias: Defaults to `True`.
        kernel_initializer, recurrent_initializer, bias_initializer: Default to `"glorot_uniform"`,
            `"orthogonal"`, `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer: Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default to `None`.
        dropout, recurrent_dropout: Fractions dropped in training. Default to `0.0`.
        seed: Optional integer for reproducible dropout masks. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful, unroll: As for `RNN`. Default to `False`.

    Input shape: `(batch, time, features)`. Output shape: `(batch, units)` or `(batch, time, units)`.

    Example:
    >>> layer = SimpleRNN(4)
    >>> tuple(layer(np.ones((2, 5, 3))).shape), [w.shape for w in layer.get_weights()]
    ((2, 4), [(3, 4), (4, 4), (4,)])
    """

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        seed=None,
        **kwargs,
    ):
        cell = SimpleRNNCell(
            units,
            activation=activation,
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
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
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

    def _fused_kind(self, training):
        cell = self.cell
        if training and 0.0 < cell.recurrent_dropout < 1.0:
            return None
        return {activations.tanh: "rnn_tanh", activations.relu: "rnn_relu"}.get(cell.activation)

    def _torch_weights(self):
        return simple_rnn_weights_to_torch(self.cell.kernel, self.cell.recurrent_kernel, self.cell.bias)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        return cell_layer_config(self, drop=("seed",))  # Keras's SimpleRNN config has no seed


for _name in _CELL_ATTRIBUTES:
    setattr(SimpleRNN, _name, cell_property(_name))
