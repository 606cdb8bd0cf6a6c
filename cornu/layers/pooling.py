"""Pooling layers: `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` and the global max/average poolings.

Windows follow Keras: `strides` default to `pool_size`; 'same' padding is TensorFlow's (the odd row goes after),
padded cells never win a max and are not counted in an average. channels_last data is pooled through an NCHW view
with NHWC strides (torch's `channels_last` format, no copy), and 1D data as 2D over a unit height.
"""

import torch.nn.functional as F

from cornu.layers.base import Layer
from cornu.layers.conv import ops

__all__ = [
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "max_pool",
    "average_pool",
]

_MAX_POOL = {2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {2: F.avg_pool2d, 3: F.avg_pool3d}


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    """The maximum over each window (`strides` default to `pool_size`).

    >>> max_pool(torch.arange(5.0).reshape(1, 5, 1), 2, padding="same")[0, :, 0].tolist()
    [1.0, 3.0, 4.0]
    """
    return _pool(inputs, pool_size, strides, padding, data_format, average=False)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    """The mean over each window; with 'same' padding the padded cells are not counted (as in Keras).

    >>> average_pool(torch.arange(5.0).reshape(1, 5, 1), 2, padding="same")[0, :, 0].tolist()
    [0.5, 2.5, 4.0]
    """
    return _pool(inputs, pool_size, strides, padding, data_format, average=True)


def _pool(inputs, pool_size, strides, padding, data_format, average):
    rank = inputs.ndim - 2
    pool_size = ops.as_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else ops.as_tuple(strides, rank, "strides")
    x = ops.to_channels_first(inputs, data_format, rank)
    if rank == 1:
        pool_size, strides = (1,) + pool_size, (1,) + strides
    ones = (1,) * len(pool_size)
    padded, pads = ops.pad_spatial(x, pool_size, strides, ones, padding, value=0.0 if average else -float("inf"))
    if not average:
        outputs = _MAX_POOL[x.ndim - 2](padded, pool_size, strides, pads)
    elif padded is x:  # no padding, or symmetric padding that torch leaves out of the count itself
        outputs = _AVG_POOL[x.ndim - 2](x, pool_size, strides, pads, count_include_pad=False)
    else:  # asymmetric 'same' padding: divide the window sums by the number of real cells in each window
        outputs = _AVG_POOL[x.ndim - 2](padded, pool_size, strides)
        cells = ops.pad_spatial(x.new_ones((1, 1) + tuple(x.shape[2:])), pool_size, strides, ones, padding)[0]
        outputs = outputs / _AVG_POOL[x.ndim - 2](cells, pool_size, strides)
    return ops.from_channels_first(outputs, data_format, rank)


class _Pooling(Layer):
    rank = 2
    average = False

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = ops.as_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else ops.as_tuple(strides, self.rank, "strides")
        self.padding = ops.check_padding(padding)
        self.data_format = ops.check_data_format(data_format)

    def build(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        if self.padding == "valid":
            ops.check_window_fits(self, input_shape, self.pool_size, (1,) * self.rank, what="pool_size")
        self.built = True

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:  # torch's own message would speak of NCHW
            ops.check_input_rank(self, tuple(inputs.shape), self.rank)
        return _pool(inputs, self.pool_size, self.strides, self.padding, self.data_format, self.average)

    def compute_output_shape(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        spatial = [
            ops.conv_output_length(n, k, s, self.padding)
            for n, k, s in zip(ops.spatial_sizes(input_shape, self.data_format), self.pool_size, self.strides)
        ]
        return ops.with_spatial(input_shape, self.data_format, spatial, ops.channel_size(input_shape, self.data_format))

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class MaxPooling1D(_Pooling):
    """Max pooling over steps: the largest value in each window of `pool_size` steps.

    Args:
        pool_size: Integer or tuple of 1, the window length. Defaults to `2`.
        strides: Integer or tuple, the step of the window. Defaults to `None` (`pool_size`).
        padding: `"valid"` or `"same"` (output length `ceil(steps / strides)`). Defaults to `"valid"`.
        data_format: `"channels_last"` `(batch, steps, channels)` or `"channels_first"`. Defaults to
            `cornu.backend.image_data_format()`.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, pooled_steps, channels)`.

    Example:
    >>> MaxPooling1D()(np.array([[[1.0], [3.0], [2.0], [0.0]]]))[0, :, 0].tolist()
    [3.0, 2.0]
    """

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(_Pooling):
    """Max pooling over images: the largest value in each `pool_size` window, per channel.

    Args: as `MaxPooling1D`, with `pool_size` defaulting to `(2, 2)` and tuples of 2.

    Input shape: `(batch, rows, cols, channels)` or channels_first. Output shape: `(batch, pooled_rows,
    pooled_cols, channels)`.

    Example:
    >>> MaxPooling2D()(np.ones((1, 28, 28, 32))).shape
    torch.Size([1, 14, 14, 32])
    """

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling3D(_Pooling):
    """Max pooling over volumes.

    Args: as `MaxPooling1D`, with `pool_size` defaulting to `(2, 2, 2)` and tuples of 3.

    Input shape: `(batch, d1, d2, d3, channels)` or channels_first. Output shape: pooled likewise.

    Example:
    >>> MaxPooling3D()(np.ones((1, 4, 4, 4, 2))).shape
    torch.Size([1, 2, 2, 2, 2])
    """

    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(_Pooling):
    """Average pooling over steps: the mean of each window (padded steps of 'same' are not counted).

    Args: as `MaxPooling1D`, but `pool_size` is required.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, pooled_steps, channels)`.

    Example:
    >>> AveragePooling1D(2, padding="same")(np.array([[[1.0], [3.0], [5.0]]]))[0, :, 0].tolist()
    [2.0, 5.0]
    """

    rank = 1
    average = True


class AveragePooling2D(_Pooling):
    """Average pooling over images (padded cells of 'same' are not counted).

    Args: as `AveragePooling1D`, with tuples of 2.

    Input shape: `(batch, rows, cols, channels)` or channels_first. Output shape: pooled likewise.

    Example:
    >>> AveragePooling2D(2)(np.ones((1, 4, 4, 3))).shape
    torch.Size([1, 2, 2, 3])
    """

    rank = 2
    average = True


class AveragePooling3D(_Pooling):
    """Average pooling over volumes (padded cells of 'same' are not counted).

    Args: as `AveragePooling1D`, with tuples of 3.

    Example:
    >>> AveragePooling3D(2)(np.ones((1, 4, 4, 4, 1))).shape
    torch.Size([1, 2, 2, 2, 1])
    """

    rank = 3
    average = True


class _GlobalPooling(Layer):
    rank = 2
    average = False

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = ops.check_data_format(data_format)
        self.keepdims = bool(keepdims)
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + self.rank))

    def build(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        self.built = True

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            ops.check_input_rank(self, tuple(inputs.shape), self.rank)
        if self.average:
            return inputs.mean(dim=self._axes, keepdim=self.keepdims)
        return inputs.amax(dim=self._axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        ops.check_input_rank(self, input_shape, self.rank)
        if self.keepdims:
            return tuple(1 if i in self._axes else d for i, d in enumerate(input_shape))
        return (input_shape[0], ops.channel_size(input_shape, self.data_format))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over all steps, per channel.

    Args:
        data_format: `"channels_last"` `(batch, steps, channels)` or `"channels_first"`. Defaults to
            `cornu.backend.image_data_format()`.
        keepdims: Whether to keep the pooled axis with size 1. Defaults to `False`.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, channels)` (`(batch, 1, channels)` with
    `keepdims`).

    Example:
    >>> GlobalMaxPooling1D()(np.array([[[1.0, 5.0], [3.0, 2.0]]])).tolist()
    [[3.0, 5.0]]
    """

    rank = 1


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over all rows and columns, per channel.

    Args: as `GlobalMaxPooling1D`.

    Input shape: `(batch, rows, cols, channels)` or channels_first. Output shape: `(batch, channels)`.

    Example:
    >>> GlobalMaxPooling2D(keepdims=True)(np.ones((2, 5, 5, 3))).shape
    torch.Size([2, 1, 1, 3])
    """

    rank = 2


class GlobalMaxPooling3D(_GlobalPooling):
    """The maximum over all three spatial axes, per channel.

    Example:
    >>> GlobalMaxPooling3D()(np.ones((2, 3, 3, 3, 4))).shape
    torch.Size([2, 4])
    """

    rank = 3


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over all steps, per channel; masked steps (e.g. after `Embedding(mask_zero=True)`) are left out.

    Args: as `GlobalMaxPooling1D`.

    Input shape: `(batch, steps, channels)`. Output shape: `(batch, channels)`.

    Example:
    >>> GlobalAveragePooling1D()(np.array([[[1.0, 5.0], [3.0, 2.0]]])).tolist()
    [[2.0, 3.5]]
    """

    rank = 1
    average = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        weights = mask.to(inputs.dtype).unsqueeze(2 if self.data_format == "channels_last" else 1)
        total = (inputs * weights).sum(dim=self._axes, keepdim=self.keepdims)
        return total / weights.sum(dim=self._axes, keepdim=self.keepdims)

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over all rows and columns, per channel.

    Args: as `GlobalMaxPooling1D`.

    Example:
    >>> GlobalAveragePooling2D()(np.ones((2, 5, 5, 3))).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    rank = 2
    average = True


class GlobalAveragePooling3D(_GlobalPooling):
    """The mean over all three spatial axes, per channel.

    Example:
    >>> GlobalAveragePooling3D(keepdims=True)(np.ones((1, 2, 2, 2, 3))).shape
    torch.Size([1, 1, 1, 1, 3])
    """

    rank = 3
    average = True
