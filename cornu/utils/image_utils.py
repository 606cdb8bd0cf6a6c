"""Image files and arrays: `load_img`, `img_to_array`, `array_to_img`, `save_img`, `smart_resize`.

Files are read and written with Pillow (`pip install cornu[images]`, or `pip install pillow`); arrays are resized
with `torch.nn.functional.interpolate`, as Keras's torch backend does.
"""

import io
import os
import pathlib
import warnings

import numpy as np
import torch

from cornu import backend

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]

# Pillow's resampling filters, by the names Keras's load_img accepts.
PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
# Array resizing as Keras's torch backend does it: torch's modes, half-pixel centres (align_corners=False).
TORCH_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic", "area": "area"}


def require_pil():
    """Pillow's `Image` module, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            "Reading and writing images needs Pillow. Install it with `pip install pillow` "
            "(or `pip install cornu[images]`)."
        ) from error
    return Image


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Loads an image file as a PIL image.

    Args:
        path: Path of the file (a string or `pathlib.Path`), or an `io.BytesIO`.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`. Defaults to `"rgb"`.
        target_size: `(height, width)` to resize to, or `None` to keep the size. Defaults to `None`.
        interpolation: Pillow filter for the resize: `"nearest"`, `"bilinear"`, `"bicubic"`, `"hamming"`,
            `"box"` or `"lanczos"`. Defaults to `"nearest"`.
        keep_aspect_ratio: Whether to crop the centre to the target's aspect ratio before resizing.
            Defaults to `False`.

    Returns:
        A PIL image.

    Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "red.png")
    >>> save_img(path, np.full((4, 6, 3), 255.0), scale=False)
    >>> img = load_img(path, target_size=(2, 3))
    >>> img.size, img_to_array(img)[0, 0].tolist()
    ((3, 2), [255.0, 255.0, 255.0])
    """
    pil_image = require_pil()
    if isinstance(path, io.BytesIO):
        img = pil_image.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path, os.PathLike)):
        with open(path, "rb") as file:  # read now so that the file is closed when we return
            img = pil_image.open(io.BytesIO(file.read()))
    else:
        raise TypeError(f"path must be a file path or an io.BytesIO. Received: {type(path).__name__}")
    img = convert_color(img, color_mode)
    if target_size is not None and img.size != (target_size[1], target_size[0]):
        if interpolation not in PIL_INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {PIL_INTERPOLATIONS}. Received: {interpolation!r}")
        resample = getattr(pil_image, "Resampling", pil_image).__dict__[interpolation.upper()]
        box = _center_crop_box(img.size, target_size) if keep_aspect_ratio else None
        img = img.resize((target_size[1], target_size[0]), resample, box=box)
    return img


def convert_color(img, color_mode):
    """`img` in the PIL mode of `color_mode` (16- and 32-bit grayscale images stay as they are, as in Keras)."""
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    if color_mode in ("rgb", "rgba"):
        mode = color_mode.upper()
        return img if img.mode == mode else img.convert(mode)
    raise ValueError(f'color_mode must be "grayscale", "rgb" or "rgba". Received: color_mode={color_mode!r}')


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a numpy array of shape `(height, width, channels)` (channels first if `data_format` says so).

    Args:
        img: A PIL image (or anything `np.asarray` turns into a 2D or 3D array).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`cornu.backend.image_data_format()`).
        dtype: Type of the array. Defaults to `None` (`cornu.backend.floatx()`).

    Example:
    >>> img_to_array(array_to_img(np.zeros((2, 3, 1)), scale=False)).shape
    (2, 3, 1)
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array expects a 2D or 3D image. Received an array of shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A numpy array of shape `(height, width, channels)` as a PIL image.

    Args:
        x: Array with 1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`cornu.backend.image_data_format()`).
        scale: Whether to rescale the values to `[0, 255]` (min to 0, max to 255). Defaults to `True`.
        dtype: Type the array is read as. Defaults to `None` (`cornu.backend.floatx()`).

    Example:
    >>> array_to_img(np.array([[[0.0], [0.5], [1.0]]])).getpixel((1, 0))
    127
    """
    pil_image = require_pil()
    x = np.array(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img expects one image of rank 3. Received an array of shape {x.shape}")
    if _data_format(data_format) == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        if x.max() != 0:
            x = x / x.max()
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return pil_image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if x.max() > 255:  # keep 16/32-bit grayscale values instead of wrapping them around
            return pil_image.fromarray(x[:, :, 0].astype("int32"), "I")
        return pil_image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img supports 1, 3 or 4 channels. Received an array of shape {x.shape}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves a numpy array as an image file (the format follows the file's extension unless `file_format` is given).

    Args:
        path: Path (or file object) to write.
        x: Array of shape `(height, width, channels)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`.
        file_format: Format name such as `"png"`. Defaults to `None` (from the extension).
        scale: Whether to rescale the values to `[0, 255]`. Defaults to `True`.
        **kwargs: Passed to `PIL.Image.save`.

    Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> save_img(path, np.zeros((2, 2, 3)))
    >>> os.path.exists(path)
    True
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("JPEG cannot store an alpha channel; the image is saved as RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resizes images to `size` without distorting them: the largest centred crop of the target's aspect ratio is
    taken first, then resized.

    Args:
        x: Array of shape `(height, width, channels)` or `(batch, height, width, channels)`.
        size: `(height, width)` of the output.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"` or `"area"`. Defaults to `"bilinear"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `"channels_last"`.

    Returns:
        A float array (a tensor if `x` was one).

    Example:
    >>> smart_resize(np.arange(8.0).reshape(2, 4, 1), (2, 2))[..., 0].tolist()
    [[1.0, 2.0], [5.0, 6.0]]
    """
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs)}")
    return resize_images(x, size, interpolation, data_format, crop_to_aspect_ratio=True)


def resize_images(x, size, interpolation="bilinear", data_format="channels_last", crop_to_aspect_ratio=False,
                  pad_to_aspect_ratio=False):  # fmt: skip
    """Resizes one image or a batch with torch, cropping or zero-padding to the target's aspect ratio first if asked.

    Returns a numpy array for a numpy input and a tensor for a tensor input.
    """
    if len(size) != 2:
        raise ValueError(f"size must be (height, width). Received: size={size!r}")
    if interpolation not in TORCH_INTERPOLATIONS:
        raise ValueError(
            f"interpolation={interpolation!r} is not supported by cornu; use one of {tuple(TORCH_INTERPOLATIONS)}."
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True.")
    is_tensor = isinstance(x, torch.Tensor)
    images = x if is_tensor else torch.from_numpy(np.asarray(x))
    if images.ndim not in (3, 4):
        raise ValueError(f"Expected an image (rank 3) or a batch of images (rank 4). Received shape {tuple(x.shape)}")
    single = images.ndim == 3
    images = images[None] if single else images
    if not images.is_floating_point():
        images = images.to(backend.torch_dtype(None))
    if data_format == "channels_last":
        images = images.permute(0, 3, 1, 2)
    height, width = images.shape[-2:]
    target_height, target_width = size
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(width * target_height / target_width)), 1)
        crop_w = max(min(width, int(height * target_width / target_height)), 1)
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
        images = images[:, :, top : top + crop_h, left : left + crop_w]
    elif pad_to_aspect_ratio:
        pad_h = (max(height, int(width * target_height / target_width)) - height) // 2
        pad_w = (max(width, int(height * target_width / target_height)) - width) // 2
        images = torch.nn.functional.pad(images, (pad_w, pad_w, pad_h, pad_h))
    mode = TORCH_INTERPOLATIONS[interpolation]
    align = False if mode in ("bilinear", "bicubic") else None
    images = torch.nn.functional.interpolate(images, size=tuple(size), mode=mode, align_corners=align)
    if data_format == "channels_last":
        images = images.permute(0, 2, 3, 1)
    images = images[0] if single else images
    return images if is_tensor else images.contiguous().numpy()


def _center_crop_box(image_size, target_size):
    """The centred crop box `(left, top, right, bottom)` with the target's aspect ratio (Keras's integer rule)."""
    width, height = image_size
    target_height, target_width = target_size
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return [left, top, left + crop_width, top + crop_height]


def _data_format(data_format):
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f'data_format must be "channels_last" or "channels_first". Received: {data_format!r}')
    return data_format
