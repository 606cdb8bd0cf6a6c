"""Convolution layers: `Conv1D/2D/3D`, their transposes, `SeparableConv1D/2D` and `DepthwiseConv1D/2D`.

Weights are in Keras's layouts and under Keras's names (`kernel (*kernel_size, in / groups, filters)`, a transposed
kernel `(*kernel_size, filters, in)`, `depthwise_kernel`/`pointwise_kernel`), so Keras's `get_weights()` loads as is.
The math is in `cornu.layers.conv.ops`.
"""

from cornu import activations, constraints, initializers, regularizers
from cornu.layers.base import Layer
from cornu.layers.conv import ops
from cornu.utils.shapes import format_shape

__all__ = [
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "SeparableConv1D",
    "SeparableConv2D",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
]


class _BaseConv(Layer):
    """What every convolution shares: window arguments, activation, bias, checks and the shape errors."""

    rank = 2
    paddings = ("valid", "same")
    _fuses_activation = False  # whether `_convolve(inputs, relu=True)` applies a relu activation itself

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        bias_initializer="zeros",
        bias_regularizer=None,
        activity_regularizer=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.kernel_size = ops.as_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = ops.as_tuple(strides, self.rank, "strides")
        self.padding = ops.check_padding(padding, self.paddings)
        self.data_format = ops.check_data_format(data_format)
        self.dilation_rate = ops.as_tuple(dilation_rate, self.rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{type(self).__name__} cannot combine strides > 1 with dilation_rate > 1 (as in Keras). "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)

    def _check_input(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        channels = ops.channel_size(input_shape, self.data_format)
        if channels is None:
            raise ValueError(
                f"Layer '{self.name}' needs a known number of channels, but received inputs of shape "
                f"{format_shape(input_shape)} ({self.data_format})."
            )
        if self.padding == "valid":
            ops.check_window_fits(self, input_shape, self.kernel_size, self.dilation_rate)
        self._input_channels = channels
        return channels

    def _add_bias(self, size):
        self.built = True  # also when a user calls build() directly, as Keras allows
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (size,), self.bias_initializer, name="bias", regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )  # fmt: skip

    def call(self, inputs):
        fuse = self.activation is activations.relu and self._fuses_activation
        try:  # no per-step checks: a wrong input surfaces as torch's error, translated here
            outputs = self._convolve(inputs, relu=True) if fuse else self._convolve(inputs)
        except (RuntimeError, KeyError):  # KeyError: no torch kernel for that rank
            self._explain(tuple(inputs.shape))
            raise
        return outputs if fuse else self.activation(outputs)

    def _explain(self, shape):
        """Raises a ValueError that names the mistake in `shape`, if it is one; else returns (torch's error stands)."""
        if len(shape) != self.rank + 2:
            expected = ops.expected_shape(self.rank, self.data_format)
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of shape {expected}, but received "
                f"{format_shape((None,) + shape[1:])}.{ops.rank_hint(self.rank, shape, self.data_format)}"
            ) from None
        got = ops.channel_size(shape, self.data_format)
        if got != self._input_channels:
            expected = ops.expected_shape(self.rank, self.data_format, str(self._input_channels))
            hint = ops.layout_hint(shape, self.data_format, self._input_channels)
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of shape {expected} "
                f"({self.data_format}), but received {format_shape((None,) + shape[1:])}: {got} channels instead "
                f"of {self._input_channels}.{hint or ' Check the number of channels in the data.'}"
            ) from None
        if self.padding == "valid":
            ops.check_window_fits(self, shape, self.kernel_size, self.dilation_rate)

    def compute_output_shape(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        sizes = ops.spatial_sizes(input_shape, self.data_format)
        spatial = [
            ops.conv_output_length(n, k, s, self.padding, d)
            for n, k, s, d in zip(sizes, self.kernel_size, self.strides, self.dilation_rate)
        ]
        return ops.with_spatial(input_shape, self.data_format, spatial, self._output_channels(input_shape))

    def _window_config(self):
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }

    def _weights_config(self, *weights):
        """Keras's order: initializers, regularizers (then the activity one), constraints, each per weight."""
        config = {}
        for kind, module in (("initializer", initializers), ("regularizer", regularizers), ("constraint", constraints)):
            config.update({f"{w}_{kind}": module.serialize(getattr(self, f"{w}_{kind}")) for w in weights})
            if kind == "regularizer":
                config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    def _tail_config(self):
        return {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }


class _Conv(_BaseConv):
    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        _no_lora(kwargs)
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, bias_initializer,
            bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )  # fmt: skip
        self.filters = ops.positive_int("filters", filters)
        self.groups = ops.positive_int("groups", groups)
        if self.filters % self.groups:
            raise ValueError(
                f"filters must be divisible by groups. Received: filters={filters}, groups={groups}. "
                f"Use filters={self.filters - self.filters % self.groups or self.groups}, or another groups."
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"Layer '{self.name}' has groups={self.groups}, which does not divide the {channels} input channels "
                f"(input shape {format_shape(input_shape)}). Use a groups that divides {channels}."
            )
        self.kernel = self.add_weight(
            self.kernel_size + (channels // self.groups, self.filters), self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )  # fmt: skip
        self._add_bias(self.filters)

    _fuses_activation = True  # `relu` runs inside the convolution (ops.conv(relu=True))

    def _convolve(self, inputs, relu=False):
        return ops.conv(
            inputs, self.kernel, self.bias, self.strides, self.padding, self.data_format, self.dilation_rate,
            self.groups, relu=relu,
        )  # fmt: skip

    def _output_channels(self, input_shape):
        return self.filters

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._window_config(),
            "groups": self.groups,
            **self._tail_config(),
            **self._weights_config("kernel", "bias"),
        }


class Conv1D(_Conv):
    """1D convolution over steps: `activation(conv(inputs, kernel) + bias)`.

    Args:
        filters: Positive integer, the number of output channels.
        kernel_size: Integer or tuple of 1 integer, the window length.
        strides: Integer or tuple, the step of the window. Defaults to `1`.
        padding: `"valid"` (no padding), `"same"` (output length `ceil(steps / strides)`) or `"causal"` (padding
            only before the first step, so output `t` sees no input after `t`). Defaults to `"valid"`.
        data_format: `"channels_last"` `(batch, steps, channels)` or `"channels_first"`. Defaults to
            `cornu.backend.image_data_format()`.
        dilation_rate: Integer or tuple, the spacing of the window's taps. Defaults to `1`.
        groups: Positive integer dividing both channel counts; each group of input channels has its own filters.
            Defaults to `1`.
        activation: Activation name or function. Defaults to `None` (linear).
        use_bias: Whether to add a bias. Defaults to `True`.
        kernel_initializer, bias_initializer: Default to `"glorot_uniform"` and `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional penalties. Default to `None`.
        kernel_constraint, bias_constraint: Optional projections after each update. Default to `None`.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, new_steps, filters)`. Weights: `kernel`
    `(kernel_size, channels / groups, filters)`, `bias` `(filters,)`.

    Example:
    >>> layer = Conv1D(2, 3, padding="causal", kernel_initializer="ones")
    >>> layer(np.ones((1, 4, 1)))[0, :, 0].tolist()
    [1.0, 2.0, 3.0, 3.0]
    """

    rank = 1
    paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2D convolution over images: `activation(conv(inputs, kernel) + bias)`.

    Args: as `Conv1D`, with `kernel_size`, `strides` and `dilation_rate` an integer or a tuple of 2, and `padding`
    `"valid"` or `"same"`.

    Input shape: `(batch, rows, cols, channels)` (channels_last) or `(batch, channels, rows, cols)`. Output shape:
    `(batch, new_rows, new_cols, filters)`. Weights: `kernel` `(kh, kw, channels / groups, filters)`, `bias`.

    Example:
    >>> layer = Conv2D(4, 3, activation="relu")
    >>> layer(np.ones((2, 28, 28, 1))).shape
    torch.Size([2, 26, 26, 4])
    >>> layer.get_weights()[0].shape
    (3, 3, 1, 4)
    """

    rank = 2


class Conv3D(_Conv):
    """3D convolution over volumes: `activation(conv(inputs, kernel) + bias)`.

    Args: as `Conv2D`, with tuples of 3.

    Input shape: `(batch, d1, d2, d3, channels)` or channels_first. Output shape: `(batch, n1, n2, n3, filters)`.

    Example:
    >>> Conv3D(2, 2)(np.ones((1, 3, 3, 3, 1))).shape
    torch.Size([1, 2, 2, 2, 2])
    """

    rank = 3


class _ConvTranspose(_BaseConv):
    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, bias_initializer,
            bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )  # fmt: skip
        self.filters = ops.positive_int("filters", filters)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = ops.as_tuple(output_padding, self.rank, "output_padding", minimum=0)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"Each output_padding must be smaller than its stride. Received: output_padding="
                    f"{self.output_padding}, strides={self.strides}"
                )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        channels = ops.channel_size(input_shape, self.data_format)
        if channels is None:
            raise ValueError(f"Layer '{self.name}' needs a known number of channels. Received: {input_shape}")
        self._input_channels = channels
        self.kernel = self.add_weight(
            self.kernel_size + (self.filters, channels), self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )  # fmt: skip
        self._add_bias(self.filters)

    def _convolve(self, inputs):
        return ops.conv_transpose(
            inputs, self.kernel, self.bias, self.strides, self.padding, self.output_padding, self.data_format,
            self.dilation_rate,
        )  # fmt: skip

    def compute_output_shape(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        sizes = ops.spatial_sizes(input_shape, self.data_format)
        paddings = self.output_padding or (None,) * self.rank
        spatial = [
            ops.transpose_output_length(n, k, s, self.padding, p, d)
            for n, k, s, p, d in zip(sizes, self.kernel_size, self.strides, paddings, self.dilation_rate)
        ]
        return ops.with_spatial(input_shape, self.data_format, spatial, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._window_config(),
            "output_padding": self.output_padding,
            **self._tail_config(),
            **self._weights_config("kernel", "bias"),
        }


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution (the gradient of `Conv1D`), e.g. to upsample a sequence with learned filters.

    Args: as `Conv1D` (without `groups`; `padding` `"valid"` or `"same"`), plus `output_padding`: integer or tuple,
    extra steps at the end of the output, each smaller than its stride. Defaults to `None` (the output length is
    `steps * strides` for 'same', `(steps - 1) * strides + max(kernel_size, strides)` for 'valid').

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, new_steps, filters)`. Weights: `kernel`
    `(kernel_size, filters, channels)` (Keras's transposed layout), `bias` `(filters,)`.

    Example:
    >>> Conv1DTranspose(1, 3, strides=2, kernel_initializer="ones")(np.ones((1, 2, 1)))[0, :, 0].tolist()
    [1.0, 1.0, 2.0, 1.0, 1.0]
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution (the gradient of `Conv2D`), the learned upsampling of decoders and GANs.

    Args: as `Conv1DTranspose`, with tuples of 2.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, new_rows, new_cols, filters)`. Weights:
    `kernel` `(kh, kw, filters, channels)`, `bias` `(filters,)`.

    Example:
    >>> Conv2DTranspose(8, 3, strides=2, padding="same")(np.ones((1, 7, 7, 4))).shape
    torch.Size([1, 14, 14, 8])
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution (the gradient of `Conv3D`).

    Args: as `Conv1DTranspose`, with tuples of 3.

    Input shape: `(batch, d1, d2, d3, channels)`. Output shape: `(batch, n1, n2, n3, filters)`.

    Example:
    >>> Conv3DTranspose(2, 2, strides=2)(np.ones((1, 2, 2, 2, 3))).shape
    torch.Size([1, 4, 4, 4, 2])
    """

    rank = 3


class _DepthwiseConv(_BaseConv):
    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, bias_initializer,
            bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )  # fmt: skip
        self.depth_multiplier = ops.positive_int("depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        self.kernel = self.add_weight(
            self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer, name="kernel",
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
        )  # fmt: skip
        self._add_bias(channels * self.depth_multiplier)

    def _convolve(self, inputs):
        return ops.depthwise_conv(
            inputs, self.kernel, self.bias, self.strides, self.padding, self.data_format, self.dilation_rate
        )

    def _output_channels(self, input_shape):
        channels = ops.channel_size(input_shape, self.data_format)
        return None if channels is None else channels * self.depth_multiplier

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **self._window_config(),
            **self._tail_config(),
            **self._weights_config("depthwise", "bias"),
        }


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution: each input channel is convolved with its own `depth_multiplier` filters.

    Args: as `Conv1D` without `filters` and `groups` (`padding` `"valid"` or `"same"`), plus `depth_multiplier`:
    positive integer, filters per input channel (defaults to `1`), and `depthwise_initializer` /
    `depthwise_regularizer` / `depthwise_constraint` for the kernel.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, new_steps, channels * depth_multiplier)`, output
    channel `c * depth_multiplier + j` coming from input channel `c`. Weights: `kernel`
    `(kernel_size, channels, depth_multiplier)`, `bias` `(channels * depth_multiplier,)`.

    Example:
    >>> DepthwiseConv1D(2, depth_multiplier=3)(np.ones((1, 5, 2))).shape
    torch.Size([1, 4, 6])
    """

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2D convolution: each input channel is convolved with its own `depth_multiplier` filters.

    Args: as `DepthwiseConv1D`, with tuples of 2.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, new_rows, new_cols, channels *
    depth_multiplier)`. Weights: `kernel` `(kh, kw, channels, depth_multiplier)`, `bias`.

    Example:
    >>> DepthwiseConv2D(3, padding="same")(np.ones((1, 5, 5, 4))).shape
    torch.Size([1, 5, 5, 4])
    """

    rank = 2


class _SeparableConv(_BaseConv):
    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, bias_initializer,
            bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )  # fmt: skip
        self.filters = ops.positive_int("filters", filters)
        self.depth_multiplier = ops.positive_int("depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._check_input(input_shape)
        self.depthwise_kernel = self.add_weight(
            self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer, name="depthwise_kernel",
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
        )  # fmt: skip
        self.pointwise_kernel = self.add_weight(
            (1,) * self.rank + (channels * self.depth_multiplier, self.filters), self.pointwise_initializer,
            name="pointwise_kernel", regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint,
        )  # fmt: skip
        self._add_bias(self.filters)

    def _convolve(self, inputs):
        depthwise = ops.depthwise_conv(
            inputs, self.depthwise_kernel, None, self.strides, self.padding, self.data_format, self.dilation_rate
        )
        return ops.conv(depthwise, self.pointwise_kernel, self.bias, data_format=self.data_format)

    def _output_channels(self, input_shape):
        return self.filters

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            **self._window_config(),
            **self._tail_config(),
            **self._weights_config("depthwise", "pointwise", "bias"),
        }


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1D convolution: a `DepthwiseConv1D` then a pointwise (size-1) `Conv1D` to `filters`.

    Args: as `Conv1D` (without `groups`; `padding` `"valid"` or `"same"`), plus `depth_multiplier` (defaults to
    `1`) and `depthwise_*` / `pointwise_*` initializers, regularizers and constraints for the two kernels.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, new_steps, filters)`. Weights:
    `depthwise_kernel` `(kernel_size, channels, depth_multiplier)`, `pointwise_kernel`
    `(1, channels * depth_multiplier, filters)`, `bias` `(filters,)`.

    Example:
    >>> SeparableConv1D(4, 3)(np.ones((1, 5, 2))).shape
    torch.Size([1, 3, 4])
    """

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2D convolution: a `DepthwiseConv2D` then a pointwise (1x1) `Conv2D` to `filters`.

    Args: as `SeparableConv1D`, with tuples of 2.

    Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, new_rows, new_cols, filters)`. Weights:
    `depthwise_kernel` `(kh, kw, channels, depth_multiplier)`, `pointwise_kernel` `(1, 1, channels *
    depth_multiplier, filters)`, `bias`.

    Example:
    >>> SeparableConv2D(8, 3, padding="same")(np.ones((1, 6, 6, 3))).shape
    torch.Size([1, 6, 6, 8])
    """

    rank = 2


def _no_lora(kwargs):
    for key in ("lora_rank", "lora_alpha"):
        if kwargs.pop(key, None) is not None:
            raise NotImplementedError(f"cornu's convolutions have no LoRA mode. Use {key}=None.")
