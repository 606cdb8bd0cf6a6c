"""Image preprocessing layers: `Resizing`, `CenterCrop` and the augmentations `RandomFlip`, `RandomRotation`,
`RandomZoom`, `RandomTranslation`, `RandomContrast`.

Images are `(batch, height, width, channels)` (or one image without the batch axis; `data_format="channels_first"`
puts the channels before the height). Resizing runs torch's `F.interpolate`, as Keras's torch backend does. The
random layers transform only in training (`training=True`, as `fit` calls them) and return their input unchanged
otherwise. Geometric augmentations sample each output pixel from an affine map of the input, with Keras's fill modes
(`"reflect"`, `"wrap"`, `"constant"`, `"nearest"`) and interpolations (`"bilinear"`, `"nearest"`).
"""

import math

import torch
import torch.nn.functional as F

from cornu import backend
from cornu.layers.base import Layer, call_context
from cornu.utils.shapes import format_shape

__all__ = [
    "Resizing",
    "CenterCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomContrast",
    "resize",
]

_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_SAMPLING = ("nearest", "bilinear")


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_value=0.0):  # fmt: skip
    """Resizes channels-first `(batch, channels, h, w)` images to `size`, optionally cropping or padding (with
    `fill_value`) to the target's aspect ratio first, centred, as Keras does.

    Example:
    >>> resize(torch.arange(4.0).reshape(1, 1, 2, 2), (1, 1)).tolist()
    [[[[1.5]]]]
    """
    height, width = images.shape[-2:]
    target_h, target_w = size
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(width * target_h / target_w)), 1)
        crop_w = max(min(width, int(height * target_w / target_h)), 1)
        top, left = int((height - crop_h) / 2), int((width - crop_w) / 2)
        images = images[..., top : top + crop_h, left : left + crop_w]
    elif pad_to_aspect_ratio:
        pad_h = max(height, int(width * target_h / target_w))
        pad_w = max(width, int(height * target_w / target_h))
        top, left = int((pad_h - height) / 2), int((pad_w - width) / 2)
        images = F.pad(images, (left, left, top, top), value=fill_value)
    compute = images if images.is_floating_point() else images.float()
    corners = False if interpolation in ("bilinear", "bicubic") else None
    return F.interpolate(compute, size=tuple(size), mode=_INTERPOLATIONS[interpolation], align_corners=corners,
                         antialias=antialias and interpolation in ("bilinear", "bicubic"))  # fmt: skip


class _ImageLayer(Layer):
    """Shared plumbing: the data format, and running a channels-first batch function on any input layout."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format = backend.image_data_format() if data_format is None else str(data_format).lower()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"{type(self).__name__}'s data_format must be 'channels_last' or 'channels_first'. "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format
        self.supports_masking = False
        self.built = True

    def _on_images(self, images, fn):
        """Runs `fn` on `(batch, channels, h, w)` float images and returns the result in the input's layout."""
        if images.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} expects images of rank 3 or 4 ((batch,) height, width, channels). Received "
                f"inputs of shape {format_shape(images.shape)}."
            )
        single = images.ndim == 3
        x = images.unsqueeze(0) if single else images
        last = self.data_format == "channels_last"
        x = x.permute(0, 3, 1, 2) if last else x
        if not x.is_floating_point():
            x = x.to(self._compute_torch_dtype)
        out = fn(x)
        out = out.permute(0, 2, 3, 1) if last else out
        return out.squeeze(0) if single else out

    def _spatial_axes(self, rank):
        offset = rank - 3
        return (offset, offset + 1) if self.data_format == "channels_last" else (offset + 1, offset + 2)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Resizing(_ImageLayer):
    """Resizes images to `(height, width)`.

    Args:
        height, width: Integers, the output size.
        interpolation: `"bilinear"`, `"nearest"` or `"bicubic"`. Defaults to `"bilinear"`.
        crop_to_aspect_ratio: Whether to crop the largest centred box of the target's aspect ratio first.
            Defaults to `False`.
        pad_to_aspect_ratio: Whether to pad (with `fill_value`) to the target's aspect ratio first. Defaults to `False`.
        fill_mode: Only `"constant"` (as on Keras's torch backend). Defaults to `"constant"`.
        fill_value: Float, the padding value. Defaults to `0.0`.
        antialias: Whether to low-pass filter when downsampling. Defaults to `False`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `image_data_format()`.

    Example:
    >>> Resizing(2, 2)(np.ones((1, 4, 4, 3))).shape
    torch.Size([1, 2, 2, 3])
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False, data_format=None,
                 **kwargs):  # fmt: skip
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _size("height", height), _size("width", width)
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"Resizing's interpolation must be one of {tuple(_INTERPOLATIONS)}. "
                f"Received: interpolation={interpolation!r}"
            )
        if fill_mode != "constant":
            raise ValueError(f"Resizing supports only fill_mode='constant'. Received: fill_mode={fill_mode!r}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing takes crop_to_aspect_ratio=True or pad_to_aspect_ratio=True, not both.")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = bool(crop_to_aspect_ratio), bool(pad_to_aspect_ratio)
        self.antialias = bool(antialias)

    def call(self, inputs):
        def fn(x):
            return resize(x, (self.height, self.width), self.interpolation, self.antialias,
                          self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_value)  # fmt: skip

        return self._on_images(inputs, fn)

    def compute_output_shape(self, input_shape):
        return _with_size(self, input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }


class CenterCrop(_ImageLayer):
    """Crops the central `(height, width)` box; an image smaller than that is first cropped to the target's aspect
    ratio and resized (bilinear), as Keras does.

    Args:
        height, width: Integers, the output size.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `image_data_format()`.

    Example:
    >>> CenterCrop(1, 2)(np.arange(9.0).reshape(1, 3, 3, 1))[0, :, :, 0].tolist()
    [[3.0, 4.0]]
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _size("height", height), _size("width", width)

    def call(self, inputs):
        h_axis, w_axis = self._spatial_axes(inputs.ndim)
        dh, dw = inputs.shape[h_axis] - self.height, inputs.shape[w_axis] - self.width
        if dh >= 0 and dw >= 0:
            x = inputs.narrow(h_axis, dh // 2, self.height).narrow(w_axis, dw // 2, self.width)
            return x if x.is_floating_point() else x.to(self._compute_torch_dtype)
        return self._on_images(inputs, lambda x: resize(x, (self.height, self.width), crop_to_aspect_ratio=True))

    def compute_output_shape(self, input_shape):
        return _with_size(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class _RandomImageLayer(_ImageLayer):
    """An augmentation: a seed, a generator per device, and the identity outside training."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__}'s seed must be an integer or None. Received: seed={seed!r}")
        self.seed = seed
        self._generators = {}

    def _uniform(self, shape, low, high, like):
        generator = None
        if self.seed is not None:
            key = str(like.device)
            if key not in self._generators:
                self._generators[key] = backend.make_generator(self.seed, device=like.device)
            generator = self._generators[key]
        draws = torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)
        return low + (high - low) * draws

    def call(self, inputs, training=True):
        # Keras records `training=True` in the graph nodes of augmentation layers (their call's default) and lets the
        # model's own flag override it; the outermost call's flag (cornu's call context) has the last word here too,
        # so a Keras model file does not augment in predict().
        if not training or call_context.training is False:
            return inputs
        return self._on_images(inputs, self._augment)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_RandomImageLayer):
    """Flips each image left-right and/or up-down with probability 1/2 each (training only).

    Args:
        mode: `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"`. Defaults to `"horizontal_and_vertical"`.
        seed: Optional integer for reproducible flips. Defaults to `None`.
        data_format: Defaults to `image_data_format()`.

    Example:
    >>> x = np.arange(4.0).reshape(1, 2, 2, 1)
    >>> bool((RandomFlip()(x, training=False).numpy() == x).all())
    True
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(
                f"RandomFlip's mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical'. "
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def _augment(self, x):
        batch = x.shape[0]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flip = self._uniform((batch, 1, 1, 1), 0.0, 1.0, x) > 0.5
            x = torch.where(flip, x.flip(-1), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flip = self._uniform((batch, 1, 1, 1), 0.0, 1.0, x) > 0.5
            x = torch.where(flip, x.flip(-2), x)
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(_RandomImageLayer):
    """A random affine augmentation: subclasses give, per image, where each output pixel is sampled from."""

    def __init__(self, fill_mode, interpolation, seed, fill_value, data_format, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(
                f"{type(self).__name__} does not know fill_mode={fill_mode!r}. Use one of {_FILL_MODES}."
            )
        if interpolation not in _SAMPLING:
            raise NotImplementedError(
                f"{type(self).__name__} does not know interpolation={interpolation!r}. Use one of {_SAMPLING}."
            )
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def _augment(self, x):
        batch, _, height, width = x.shape
        ys = torch.arange(height, dtype=x.dtype, device=x.device).view(1, height, 1).expand(batch, height, width)
        xs = torch.arange(width, dtype=x.dtype, device=x.device).view(1, 1, width).expand(batch, height, width)
        src_y, src_x = self._source(ys, xs, height, width, x)
        return _sample(x, src_y, src_x, self.fill_mode, self.interpolation, self.fill_value)

    def get_config(self):
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle about its centre (training only).

    Args:
        factor: Float or pair `(low, high)`, fractions of a full turn: `0.1` draws angles in `[-36, 36]` degrees.
            Positive angles turn counter-clockwise.
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"`. Defaults to `"reflect"`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        seed: Optional integer. Defaults to `None`.
        fill_value: Float used by `fill_mode="constant"`. Defaults to `0.0`.
        data_format: Defaults to `image_data_format()`.

    Example:
    >>> RandomRotation(0.25, seed=0)(np.zeros((1, 3, 3, 1)), training=True).shape
    torch.Size([1, 3, 3, 1])
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _factor_range(self, "factor", factor, (-1.0, 1.0))

    def _source(self, ys, xs, height, width, x):
        angles = self._uniform((x.shape[0], 1, 1), self.factor[0], self.factor[1], x) * 2 * math.pi
        cy, cx = (height - 1) / 2, (width - 1) / 2
        cos, sin = torch.cos(angles), torch.sin(angles)
        # the output pixel at offset (dy, dx) from the centre shows the input rotated back by the angle
        dy, dx = ys - cy, xs - cx
        return cy + cos * dy + sin * dx, cx - sin * dy + cos * dx

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_AffineLayer):
    """Zooms each image in or out about its centre by a random amount (training only).

    Args:
        height_factor: Float or pair `(low, high)` in `(-1, 1]`: the zoom is `1 + draw`, so `0.2` draws from
            `[-20%, +20%]`; positive values zoom out, negative ones zoom in.
        width_factor: Float or pair, as `height_factor`. Defaults to `None` (the same zoom as the height: the aspect
            ratio is kept).
        fill_mode, interpolation, seed, fill_value, data_format: As for `RandomRotation`.

    Example:
    >>> RandomZoom(0.5)(np.ones((1, 4, 4, 1)), training=False).shape
    torch.Size([1, 4, 4, 1])
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = _shift_range(self, "height_factor", height_factor, open_low=True)
        self._width_range = None
        if width_factor is not None:
            self._width_range = _shift_range(self, "width_factor", width_factor, open_low=True)

    def _source(self, ys, xs, height, width, x):
        zoom_h = 1 + self._uniform((x.shape[0], 1, 1), *self._height_range, x)
        zoom_w = zoom_h if self._width_range is None else 1 + self._uniform((x.shape[0], 1, 1), *self._width_range, x)
        cy, cx = (height - 1) / 2, (width - 1) / 2
        return cy + (ys - cy) * zoom_h, cx + (xs - cx) * zoom_w

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width (training only).

    Args:
        height_factor: Float or pair `(low, high)` in `[-1, 1]`, fractions of the height: `0.2` shifts by up to 20%
            up or down.
        width_factor: Float or pair, fractions of the width.
        fill_mode, interpolation, seed, fill_value, data_format: As for `RandomRotation`.

    Example:
    >>> RandomTranslation(0.5, 0.5)(np.ones((1, 4, 4, 1)), training=False).shape
    torch.Size([1, 4, 4, 1])
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = _shift_range(self, "height_factor", height_factor, open_low=False)
        self._width_range = _shift_range(self, "width_factor", width_factor, open_low=False)

    def _source(self, ys, xs, height, width, x):
        shift_y = self._uniform((x.shape[0], 1, 1), *self._height_range, x) * height
        shift_x = self._uniform((x.shape[0], 1, 1), *self._width_range, x) * width
        return ys - shift_y, xs - shift_x

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomContrast(_RandomImageLayer):
    """Scales each image's deviation from its per-channel mean by a random factor, then clips to `value_range`
    (training only): `(x - mean) * c + mean`.

    Keras 3.15 reads a single `factor` as the range `(0, factor)` and draws `c` from `[1 - low, 1 + high]`, so
    `factor=0.2` only ever raises the contrast (`c` in `[1, 1.2]`); a pair `(low, high)` gives `[1 - low, 1 + high]`.
    cornu does the same.

    Args:
        factor: Float in `[0, 1]`, or a pair.
        value_range: The `(min, max)` the outputs are clipped to. Defaults to `(0, 255)`.
        seed: Optional integer. Defaults to `None`.

    Example:
    >>> RandomContrast(0.5)(np.ones((1, 2, 2, 1)), training=True).tolist()  # a flat image has no contrast
    [[[[1.0], [1.0]], [[1.0], [1.0]]]]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_range(self, "factor", factor, (0.0, 1.0))
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 or value_range[0] > value_range[1]:
            raise ValueError(
                f"RandomContrast's value_range must be a pair (min, max). Received: value_range={value_range!r}"
            )
        self.value_range = value_range

    def _augment(self, x):
        c = self._uniform((x.shape[0], 1, 1, 1), 1.0 - self.factor[0], 1.0 + self.factor[1], x)
        mean = x.mean(dim=(2, 3), keepdim=True)
        return ((x - mean) * c + mean).clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


# ---------------------------------------------------------------------------------------------------- helpers
def _size(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"The {name} must be a positive integer. Received: {name}={value!r}")
    return value


def _with_size(layer, input_shape):
    shape = list(input_shape)
    h_axis, _ = layer._spatial_axes(len(shape))
    shape[h_axis], shape[h_axis + 1] = layer.height, layer.width
    return tuple(shape)


def _factor_range(layer, name, factor, bounds):
    """Keras's reading of a factor with `bounds`: a number `f` in the bounds is `(max(-|f|, low), |f|)`; a pair is
    sorted (refused only when it lies wholly outside the bounds)."""
    low_bound, high_bound = bounds
    message = (
        f"{type(layer).__name__}'s {name} must be a number or a pair of numbers in [{low_bound}, {high_bound}]. "
        f"Received: {name}={factor!r}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, (int, float)) for f in factor):
            raise ValueError(message)
        if factor[0] > high_bound or factor[1] < low_bound:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not low_bound <= factor <= high_bound:
        raise ValueError(message)
    return (max(-abs(factor), low_bound), abs(factor))


def _shift_range(layer, name, factor, open_low):
    """RandomZoom's and RandomTranslation's factors: each number in `[-1, 1]` (zoom: `(-1, 1]`, a zoom of 0 would
    collapse the image); a number `f` means `(-|f|, |f|)`."""
    values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    interval = "(-1.0, 1.0]" if open_low else "[-1.0, 1.0]"
    if len(values) not in (1, 2) or (isinstance(factor, (tuple, list)) and len(values) != 2):
        raise ValueError(
            f"{type(layer).__name__}'s {name} must be a number or a pair in {interval}. Received: {factor!r}"
        )
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value > 1
            or value < -1
            or (open_low and value == -1)
        ):
            raise ValueError(
                f"{type(layer).__name__}'s {name} must be a number or a pair in {interval}. Received: {name}={factor!r}"
            )
    return tuple(sorted(values)) if len(values) == 2 else (-abs(values[0]), abs(values[0]))


def _fill_index(index, size, mode):
    """Integer coordinates outside `[0, size)` mapped back in by the fill mode ('constant' keeps them out)."""
    if mode == "reflect":  # d c b a | a b c d | d c b a
        period = torch.remainder(index, 2 * size)
        return torch.where(period >= size, 2 * size - 1 - period, period)
    if mode == "wrap":
        return torch.remainder(index, size)
    return index.clamp(0, size - 1) if mode == "nearest" else index


def _sample(images, src_y, src_x, fill_mode, interpolation, fill_value):
    """Samples `(batch, c, h, w)` images at float coordinates `(batch, h, w)`."""
    batch, channels, height, width = images.shape
    flat = images.reshape(batch, channels, height * width)

    def gather(iy, ix):
        iy, ix = _fill_index(iy, height, fill_mode), _fill_index(ix, width, fill_mode)
        inside = (iy >= 0) & (iy < height) & (ix >= 0) & (ix < width)
        index = (iy.clamp(0, height - 1) * width + ix.clamp(0, width - 1)).reshape(batch, 1, -1)
        values = flat.gather(2, index.expand(batch, channels, -1)).reshape(batch, channels, *iy.shape[1:])
        return torch.where(inside.unsqueeze(1), values, torch.as_tensor(fill_value, dtype=images.dtype))

    if interpolation == "nearest":
        return gather(torch.round(src_y).long(), torch.round(src_x).long())
    y0, x0 = torch.floor(src_y), torch.floor(src_x)
    wy, wx = (src_y - y0).unsqueeze(1), (src_x - x0).unsqueeze(1)
    y0, x0 = y0.long(), x0.long()
    top = gather(y0, x0) * (1 - wx) + gather(y0, x0 + 1) * wx
    bottom = gather(y0 + 1, x0) * (1 - wx) + gather(y0 + 1, x0 + 1) * wx
    return top * (1 - wy) + bottom * wy
