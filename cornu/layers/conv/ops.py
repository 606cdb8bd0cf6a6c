"""Convolution and window arithmetic shared by the convolution, pooling and spatial layers: pure tensor functions.

Images are channels_last at the API and kernels are in Keras's layout, `(*kernel_size, in / groups, filters)`.
Inside, a channels_last batch becomes an NCHW-shaped *view* with NHWC strides (torch's `channels_last` memory
format, no copy), which routes CPU convolutions to oneDNN; `torch_kernel` is the one function that turns a Keras
kernel into torch's `(out, in, *kernel_size)` layout. 1D data runs on the 2D kernels over a unit height, so it gets
the same fast path. 'same' padding is TensorFlow's (the odd row or column goes after), as in Keras.
"""

import math

import torch
import torch.nn.functional as F

from cornu import backend
from cornu.utils.shapes import format_shape

__all__ = [
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "torch_kernel",
    "to_channels_first",
    "from_channels_first",
    "same_padding",
    "pad_spatial",
    "conv_output_length",
    "transpose_output_length",
]

_TORCH_CONV = {2: F.conv2d, 3: F.conv3d}
_TORCH_CONV_TRANSPOSE = {2: F.conv_transpose2d, 3: F.conv_transpose3d}
_SPATIAL_NAMES = {1: "steps", 2: "rows, cols", 3: "spatial_dim1, spatial_dim2, spatial_dim3"}


# ---------------------------------------------------------------------------------------------- pure functions
def torch_kernel(kernel):
    """Keras's kernel layout `(*kernel_size, a, b)` as torch's `(b, a, *kernel_size)`: a view, no copy.

    For a convolution `(a, b)` is `(in / groups, filters)`, giving torch's `(filters, in / groups, ...)`; for a
    transposed one Keras stores `(filters, in)`, giving torch's `(in, filters, ...)`. The kernel's gradient comes
    back in the kernel's own (contiguous) layout: `torch.autograd.grad` hands gradients over as produced, and a
    permuted one would trip fused optimizer kernels that walk parameter and gradient memory in step.

    >>> torch_kernel(torch.zeros(3, 5, 2, 8)).shape
    torch.Size([8, 2, 3, 5])
    """
    return _TorchKernel.apply(kernel)


class _TorchKernel(torch.autograd.Function):
    @staticmethod
    def forward(kernel):
        rank = kernel.ndim - 2
        return kernel.permute(rank + 1, rank, *range(rank))

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        rank = grad.ndim - 2
        return grad.permute(*range(2, rank + 2), 1, 0).contiguous()


def conv(
    inputs, kernel, bias=None, strides=1, padding="valid", data_format="channels_last", dilation_rate=1, groups=1,
    relu=False,
):  # fmt: skip
    """N-D convolution with a Keras kernel `(*kernel_size, in / groups, filters)`; `padding` is 'valid', 'same' or
    'causal' (1D only: all padding before the first step). With `relu=True`, `relu(conv(...))`, fused where oneDNN
    can (see `_ConvReLU`).

    >>> conv(torch.ones(1, 4, 4, 1), torch.ones(3, 3, 1, 2), padding="same")[0, :, :, 0].tolist()
    [[4.0, 6.0, 6.0, 4.0], [6.0, 9.0, 9.0, 6.0], [6.0, 9.0, 9.0, 6.0], [4.0, 6.0, 6.0, 4.0]]
    """
    rank = kernel.ndim - 2
    strides, dilation_rate = as_tuple(strides, rank, "strides"), as_tuple(dilation_rate, rank, "dilation_rate")
    x = to_channels_first(inputs, data_format, rank)
    weight = torch_kernel(kernel)
    if rank == 1:  # run as 2D over a unit height: the channels_last fast path exists for 4D and 5D tensors only
        weight, strides, dilation_rate = weight.unsqueeze(2), (1,) + strides, (1,) + dilation_rate
    x, pads = pad_spatial(x, weight.shape[2:], strides, dilation_rate, padding)
    if relu and _fuses_relu(x, weight):
        pads = [pads] * (x.ndim - 2) if isinstance(pads, int) else pads
        outputs = _ConvReLU.apply(x, weight, bias, list(pads), list(strides), list(dilation_rate), groups)
    else:
        outputs = _TORCH_CONV[x.ndim - 2](x, weight, bias, strides, pads, dilation_rate, groups)
        outputs = torch.relu(outputs) if relu else outputs
    return from_channels_first(outputs, data_format, rank)


def _fuses_relu(x, weight):
    return (
        x.ndim == 4
        and x.device.type == "cpu"
        and x.dtype is torch.float32
        and weight.dtype is torch.float32
        and _FUSED_CONV is not None
        and torch.backends.mkldnn.is_available()
        and not _is_compiling()
    )


_FUSED_CONV = getattr(getattr(torch.ops, "mkldnn", None), "_convolution_pointwise", None)
_is_compiling = getattr(torch.compiler, "is_compiling", lambda: False)  # torch >= 2.3 (2.2 traces the Function)


class _ConvReLU(torch.autograd.Function):
    """`relu(conv2d(x, weight, bias))` in one oneDNN pass on the CPU, with the two backward steps autograd takes.

    The unfused forward writes the convolution's output and then reads it back to write the relu's: for the MNIST
    convnet's first layer that is 11 MB each way per batch of 128, memory-bound at ~4 ms, a fifth of the step
    (TensorFlow's grappler fuses the same pair). The values are identical: the relu runs on the same sums, in
    registers. The backward is autograd's own: the relu's mask from the output, then `convolution_backward`.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, padding, stride, dilation, groups):
        output = _FUSED_CONV(x, weight, bias, padding, stride, dilation, groups, "relu", [], "")
        ctx.save_for_backward(x, weight, output)
        ctx.bias_sizes = None if bias is None else list(bias.shape)
        ctx.settings = (stride, padding, dilation, groups)
        return output

    @staticmethod
    def backward(ctx, grad):
        x, weight, output = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.settings
        grad = torch.ops.aten.threshold_backward(grad, output, 0)
        wanted = [ctx.needs_input_grad[0], ctx.needs_input_grad[1], ctx.needs_input_grad[2]]
        grad_x, grad_weight, grad_bias = torch.ops.aten.convolution_backward(
            grad, x, weight, ctx.bias_sizes, stride, padding, dilation, False, [0] * len(stride), groups, wanted
        )
        return grad_x, grad_weight, grad_bias, None, None, None, None


def conv_transpose(
    inputs,
    kernel,
    bias=None,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format="channels_last",
    dilation_rate=1,
):
    """The transpose (gradient) of `conv`, with a Keras kernel `(*kernel_size, filters, in)`.

    The output size per axis follows Keras: `size * stride` for 'same', `(size - 1) * stride + max(kernel, stride)`
    for 'valid', and `(size - 1) * stride + kernel - 2 * pad + output_padding` when `output_padding` is given.

    >>> conv_transpose(torch.ones(1, 2, 1), torch.ones(3, 1, 1), strides=2)[0, :, 0].tolist()
    [1.0, 1.0, 2.0, 1.0, 1.0]
    """
    rank = kernel.ndim - 2
    strides, dilation_rate = as_tuple(strides, rank, "strides"), as_tuple(dilation_rate, rank, "dilation_rate")
    output_padding = None if output_padding is None else as_tuple(output_padding, rank, "output_padding", 0)
    x = to_channels_first(inputs, data_format, rank)
    weight = torch_kernel(kernel)
    sizes = x.shape[2:] if rank > 1 else x.shape[3:]
    lengths = [
        transpose_output_length(n, k, s, padding, None if output_padding is None else output_padding[i], d)
        for i, (n, k, s, d) in enumerate(zip(sizes, kernel.shape[:rank], strides, dilation_rate))
    ]
    starts = [
        _transpose_crop(n, k, s, d, padding, length)
        for n, k, s, d, length in zip(sizes, kernel.shape[:rank], strides, dilation_rate, lengths)
    ]
    if rank == 1:
        weight, strides, dilation_rate = weight.unsqueeze(2), (1,) + strides, (1,) + dilation_rate
        starts, lengths = [0] + starts, [1] + lengths
    full = _TORCH_CONV_TRANSPOSE[x.ndim - 2](x, weight, None, strides, 0, 0, 1, dilation_rate)
    outputs = _crop_or_pad(full, starts, lengths)
    if bias is not None:  # after the crop: positions no kernel reached still get the bias, as in Keras
        outputs = outputs + bias.view((-1,) + (1,) * (outputs.ndim - 2))
    return from_channels_first(outputs, data_format, rank)


def depthwise_conv(inputs, kernel, bias=None, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    """Convolves each input channel with its own `depth_multiplier` filters; Keras kernel `(*kernel_size, in, m)`.

    Output channel `c * m + j` is input channel `c` under its filter `j`, as in Keras.

    >>> depthwise_conv(torch.ones(1, 3, 2), torch.ones(2, 2, 1))[0].tolist()
    [[2.0, 2.0], [2.0, 2.0]]
    """
    rank = kernel.ndim - 2
    channels = kernel.shape[-2]
    grouped = kernel.reshape(kernel.shape[:rank] + (1, channels * kernel.shape[-1]))
    return conv(inputs, grouped, bias, strides, padding, data_format, dilation_rate, groups=channels)


# ---------------------------------------------------------------------------------------------- layout and padding
def to_channels_first(inputs, data_format, rank):
    """The `(N, C, *spatial)` view of a batch (channels_last data keeps its strides: torch's channels_last format).

    1D data gains a unit height axis, `(N, C, 1, steps)`, so that it runs on the 2D kernels.
    """
    if rank == 1:
        inputs = inputs.unsqueeze(1 if data_format == "channels_last" else 2)
    return inputs.movedim(-1, 1) if data_format == "channels_last" else inputs


def from_channels_first(outputs, data_format, rank):
    """Undoes `to_channels_first` (a view again: no copy)."""
    if data_format == "channels_last":
        outputs = outputs.movedim(1, -1)
        return outputs.squeeze(1) if rank == 1 else outputs
    return outputs.squeeze(2) if rank == 1 else outputs


def same_padding(size, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding `(before, after)` of one axis: the odd one goes after.

    >>> same_padding(5, 2, 2), same_padding(4, 3, 1)
    ((0, 1), (1, 1))
    """
    span = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def pad_spatial(x, kernel_size, strides, dilation_rate, padding, value=0.0):
    """Pads the spatial axes of an `(N, C, *spatial)` tensor for `padding`; returns it and the symmetric padding
    left for torch to apply (asymmetric padding is applied here, with `value`)."""
    sizes = x.shape[2:]
    if padding == "valid":
        return x, 0
    if padding == "causal":  # 1D run as 2D: the height axis is a unit one
        pairs = [(0, 0)] * (len(sizes) - 1) + [((kernel_size[-1] - 1) * dilation_rate[-1], 0)]
    else:
        pairs = [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel_size, strides, dilation_rate)]
    if all(before == after for before, after in pairs):
        return x, [before for before, _ in pairs]
    flat = [p for pair in reversed(pairs) for p in pair]
    return F.pad(x, flat, value=value), 0


def conv_output_length(size, kernel, stride, padding, dilation=1):
    """The output size of one axis of a convolution or pooling (`None` stays `None`)."""
    if size is None:
        return None
    if padding == "valid":
        return (size - (kernel - 1) * dilation - 1) // stride + 1
    return math.ceil(size / stride)


def transpose_output_length(size, kernel, stride, padding, output_padding=None, dilation=1):
    """The output size of one axis of a transposed convolution, as Keras computes it."""
    if size is None:
        return None
    span = (kernel - 1) * dilation + 1
    if output_padding is None:
        return size * stride if padding == "same" else (size - 1) * stride + max(span, stride)
    pad = span // 2 if padding == "same" else 0
    return (size - 1) * stride + span - 2 * pad + output_padding


def _transpose_crop(size, kernel, stride, dilation, padding, length):
    """Where the output starts inside the unpadded transposed convolution: the forward 'same' conv's padding."""
    if padding == "valid":
        return 0
    span = (kernel - 1) * dilation + 1
    return max((size - 1) * stride + span - length, 0) // 2


def _crop_or_pad(x, starts, lengths):
    for axis, (start, length) in enumerate(zip(starts, lengths), start=2):
        available = x.shape[axis] - start
        x = x.narrow(axis, start, min(length, available))
        if length > available:  # output_padding beyond the kernel's reach: zeros
            pad = [0, 0] * (x.ndim - axis - 1) + [0, length - available]
            x = F.pad(x, pad)
    return x


# ---------------------------------------------------------------------------------------------- argument checks
def as_tuple(value, rank, name, minimum=1):
    """`value` as a tuple of `rank` integers (an integer is repeated), each at least `minimum`."""
    values = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        values = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        values = None
    if values is None or len(values) != rank or any(v < minimum for v in values):
        raise ValueError(
            f"`{name}` must be an integer or a tuple of {rank} integers, each at least {minimum}. "
            f"Received: {name}={value!r}"
        )
    return values


def check_data_format(data_format):
    data_format = backend.image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first'. Received: data_format={data_format!r}"
        )
    return data_format


def check_padding(padding, allowed=("valid", "same")):
    value = str(padding).lower()
    if value not in allowed:
        choices = " or ".join(repr(a) for a in allowed)
        raise ValueError(f"padding must be {choices}. Received: padding={padding!r}")
    return value


def expected_shape(rank, data_format, channels="channels"):
    """The input shape a layer expects, as users read it: `(batch, rows, cols, channels)`."""
    spatial = _SPATIAL_NAMES[rank]
    inner = f"{spatial}, {channels}" if data_format == "channels_last" else f"{channels}, {spatial}"
    return f"(batch, {inner})"


def check_input_rank(layer, input_shape, rank):
    if len(input_shape) != rank + 2:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects inputs of shape "
            f"{expected_shape(rank, layer.data_format)}, i.e. rank {rank + 2}, but received inputs of shape "
            f"{format_shape(input_shape)}.{rank_hint(rank, input_shape, layer.data_format)}"
        )


def rank_hint(rank, input_shape, data_format):
    if len(input_shape) == rank + 1:
        axis = "-1" if data_format == "channels_last" else "1"
        return f" Add a channel axis, e.g. x = x[..., None] or np.expand_dims(x, {axis}) for one channel."
    return ""


def layout_hint(input_shape, data_format, expected_channels=None):
    """A sentence when the data looks like the other data_format (e.g. (None, 1, 28, 28) fed as channels_last)."""
    dims = list(input_shape[1:])
    if len(dims) < 2 or any(d is None for d in dims):
        return ""
    first, last = (dims[0], dims[-1]) if data_format == "channels_last" else (dims[-1], dims[0])
    if expected_channels is not None:
        looks_other = first == expected_channels and last != expected_channels
    else:
        looks_other = first in (1, 3, 4) and last > 4 * first and all(d > first for d in dims[1:])
    if not looks_other:
        return ""
    if data_format == "channels_last":
        perm = (0,) + tuple(range(2, len(dims) + 1)) + (1,)
        return (
            f" The data looks channels_first (channels on axis 1, size {first}). Transpose it to channels_last "
            f"with x = x.transpose{perm}, or build the layers with data_format='channels_first'."
        )
    perm = (0, len(dims)) + tuple(range(1, len(dims)))
    return (
        f" The data looks channels_last (channels on the last axis, size {first}). Transpose it with "
        f"x = x.transpose{perm}, or use data_format='channels_last'."
    )


def check_window_fits(layer, input_shape, window, dilation, what="kernel_size"):
    """'valid' padding needs each spatial size to hold the (dilated) window."""
    spatial = spatial_sizes(input_shape, layer.data_format)
    spans = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    if any(n is not None and n < span for n, span in zip(spatial, spans)):
        value = getattr(layer, what)
        raise ValueError(
            f"Layer '{layer.name}' has {what}={value} with padding='valid', which is larger than its input's spatial "
            f"size {tuple(spatial)} (input shape {format_shape(input_shape)}). Use padding='same', a smaller "
            f"{what}, or a larger input.{layout_hint(input_shape, layer.data_format)}"
        )


def spatial_sizes(shape, data_format):
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def channel_size(shape, data_format):
    return shape[-1] if data_format == "channels_last" else shape[1]


def with_spatial(shape, data_format, spatial, channels):
    if data_format == "channels_last":
        return (shape[0],) + tuple(spatial) + (channels,)
    return (shape[0], channels) + tuple(spatial)


def positive_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return value
