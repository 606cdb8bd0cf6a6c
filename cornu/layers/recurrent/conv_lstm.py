"""`ConvLSTM2D`: an LSTM whose input and recurrent transformations are 2D convolutions (Shi et al., 2015).

Inputs are sequences of images `(batch, time, rows, cols, channels)` (channels_last, Keras's default) and the
states are images too. Weights are Keras's: `kernel (kh, kw, in, 4 * filters)`, `recurrent_kernel (kh, kw, filters,
4 * filters)`, `bias (4 * filters,)`, gates i, f, c, o. The input convolution uses the layer's strides, padding and
dilation; the recurrent one stride 1 and "same" padding, as in Keras. "same" pads as TensorFlow does (the odd pixel
at the end), so even kernels and strides line up with Keras.
"""

import torch
import torch.nn.functional as F

from cornu import activations, backend
from cornu.layers.recurrent.cells import _DropoutCell, _ForgetBiasOne
from cornu.layers.recurrent.rnn import RNN, cell_layer_config, cell_property

__all__ = ["ConvLSTM2D", "conv2d_keras"]


def _pair(name, value):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
        raise ValueError(f"ConvLSTM2D's {name} must be an int or a pair of positive ints. Received: {name}={value!r}")
    return pair


def conv2d_keras(x, kernel, strides=(1, 1), padding="valid", dilation_rate=(1, 1), channels_last=True):
    """A 2D convolution with Keras's kernel layout `(kh, kw, in, out)` and Keras's "same" padding.

    >>> conv2d_keras(torch.ones(1, 4, 4, 1), torch.ones(3, 3, 1, 1), padding="same")[0, :, :, 0].tolist()[0]
    [4.0, 6.0, 6.0, 4.0]
    """
    if channels_last:
        x = x.permute(0, 3, 1, 2)
    weight = kernel.permute(3, 2, 0, 1)
    if padding == "same":
        pads = []
        for size, k, s, d in zip(x.shape[2:], weight.shape[2:], strides, dilation_rate):
            total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
            pads.append((total // 2, total - total // 2))
        x = F.pad(x, (*pads[1], *pads[0]))
    y = F.conv2d(x, weight, None, strides, 0, dilation_rate)
    return y.permute(0, 2, 3, 1) if channels_last else y


def _output_size(size, k, s, d, padding):
    if size is None:
        return None
    return -(-size // s) if padding == "same" else (size - d * (k - 1) - 1) // s + 1


class _ConvLSTM2DCell(_DropoutCell):
    """One ConvLSTM step. Keras always gives each gate its own dropout mask here."""

    gates = 4

    def __init__(
        self,
        filters,
        kernel_size,
        strides,
        padding,
        data_format,
        dilation_rate,
        recurrent_activation,
        unit_forget_bias,
        **kwargs,
    ):
        super().__init__(filters, **kwargs)
        self.filters = filters
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.strides = _pair("strides", strides)
        self.dilation_rate = _pair("dilation_rate", dilation_rate)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"ConvLSTM2D's padding must be 'valid' or 'same'. Received: padding={padding!r}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"ConvLSTM2D cannot combine strides > 1 with dilation_rate > 1. Received: strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}. Set one of them to 1."
            )
        self.data_format = data_format or backend.image_data_format()
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [filters, filters]

    @property
    def _per_gate_masks(self):
        return True

    def build(self, input_shape):
        last = self.data_format == "channels_last"
        channels, spatial = (input_shape[-1], input_shape[1:-1]) if last else (input_shape[1], input_shape[2:])
        if channels is None or None in tuple(spatial):
            raise ValueError(
                f"ConvLSTM2D needs known rows, columns and channels, but received steps of shape {input_shape}."
            )
        self.spatial = tuple(
            _output_size(n, k, s, d, self.padding)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        kh, kw = self.kernel_size
        shape = lambda fan_in: (kh, kw, fan_in, 4 * self.filters)  # noqa: E731
        self.kernel = self.add_weight(
            shape(channels),
            self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape(self.filters),
            self.recurrent_initializer,
            name="recurrent_kernel",
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            initializer = _ForgetBiasOne(self.bias_initializer, self.filters) if self.unit_forget_bias else None
            self.bias = self.add_weight(
                (4 * self.filters,),
                initializer or self.bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def get_initial_state(self, batch_size=None):
        shape = (
            (batch_size, *self.spatial, self.filters)
            if self.data_format == "channels_last"
            else (batch_size, self.filters, *self.spatial)
        )
        dtype = self._compute_torch_dtype  # states live in the compute dtype, like the outputs
        return [torch.zeros(shape, dtype=dtype, device=self._device()) for _ in range(2)]

    def _convolve(self, x, kernel, masks, **conv):
        last = self.data_format == "channels_last"
        if masks is None:
            return conv2d_keras(x, kernel, channels_last=last, **conv)
        blocks = kernel.chunk(4, dim=-1)
        return torch.cat(
            [conv2d_keras(x * m, k, channels_last=last, **conv) for m, k in zip(masks, blocks)], dim=-1 if last else 1
        )

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        input_masks, recurrent_masks = self._masks(inputs, h, training)
        z = self._convolve(
            inputs,
            self.kernel,
            input_masks,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
        )
        z = z + self._convolve(h, self.recurrent_kernel, recurrent_masks, padding="same")
        axis = -1 if self.data_format == "channels_last" else 1
        if self.bias is not None:
            z = z + (self.bias if axis == -1 else self.bias.reshape(-1, 1, 1))
        i, f, g, o = z.chunk(4, dim=axis)
        gate = self.recurrent_activation
        c_new = gate(f) * c + gate(i) * self.activation(g)
        h_new = gate(o) * self.activation(c_new)
        return h_new, [h_new, c_new]

    def get_config(self):
        config = super().get_config()
        del config["units"]
        return {
            **config,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


class ConvLSTM2D(RNN):
    """2D convolutional LSTM: an LSTM over sequences of images whose matmuls are convolutions.

    Args:
        filters: Positive integer, the number of output channels (and state channels).
        kernel_size: Int or pair, the convolution window.
        strides: Int or pair, the input convolution's strides. Defaults to `1`.
        padding: `"valid"` or `"same"` (for the input convolution). Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `cornu.backend.image_data_format()`.
        dilation_rate: Int or pair. Defaults to `1`.
        activation, recurrent_activation: Default to `"tanh"` and `"sigmoid"`.
        use_bias, unit_forget_bias: Default to `True`.
        kernel_initializer, recurrent_initializer, bias_initializer: Default to `"glorot_uniform"`,
            `"orthogonal"`, `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer: Default to `None`.
        kernel_constraint, recurrent_constraint, bias_constraint: Default to `None`.
        dropout, recurrent_dropout: Fractions dropped in training (one mask per gate and sequence). Default to `0.0`.
        seed: Optional integer for reproducible dropout masks. Defaults to `None`.
        return_sequences, return_state, go_backwards, stateful: As for `RNN`. Default to `False`.

    Input shape: `(batch, time, rows, cols, channels)`. Output shape: `(batch, new_rows, new_cols, filters)`, with
    the time axis after the batch when `return_sequences=True`.

    Example:
    >>> layer = ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    >>> tuple(layer(np.ones((1, 4, 5, 5, 3))).shape), [w.shape for w in layer.get_weights()]
    ((1, 4, 5, 5, 2), [(3, 3, 3, 8), (3, 3, 2, 8), (8,)])
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        **kwargs,
    ):
        cell = _ConvLSTM2DCell(
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            recurrent_activation,
            unit_forget_bias,
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
            name="conv_lstm_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        cell = self.cell
        last = cell.data_format == "channels_last"
        spatial = sequences_shape[2:4] if not last else sequences_shape[2:-1]
        spatial = tuple(
            _output_size(n, k, s, d, cell.padding)
            for n, k, s, d in zip(spatial, cell.kernel_size, cell.strides, cell.dilation_rate)
        )
        image = (*spatial, cell.filters) if last else (cell.filters, *spatial)
        batch = sequences_shape[0]
        output = (batch, sequences_shape[1], *image) if self.return_sequences else (batch, *image)
        return (output, (batch, *image), (batch, *image)) if self.return_state else output

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        return cell_layer_config(self)


for _name in (
    "filters kernel_size strides padding data_format dilation_rate activation recurrent_activation use_bias "
    "unit_forget_bias kernel_initializer recurrent_initializer bias_initializer kernel_regularizer "
    "recurrent_regularizer bias_regularizer kernel_constraint recurrent_constraint bias_constraint dropout "
    "recurrent_dropout"
).split():
    setattr(ConvLSTM2D, _name, cell_property(_name))
