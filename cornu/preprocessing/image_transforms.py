"""The image transforms behind `ImageDataGenerator`: affine maps (with `scipy.ndimage`), channel and brightness shifts.

Coordinates follow Keras 3: `x` runs along the columns and `y` along the rows, so `tx` shifts horizontally, a
positive `theta` turns the picture counter-clockwise, and `zx` scales the width. The affine map is applied about
the image's centre, `((width - 1) / 2, (height - 1) / 2)`; Keras 3.15 takes both offsets from the wrong sides,
which moves the centre of non-square images (a 180 degree turn of a 3x5 image keeps 2 of its 15 pixels). On
square images the two agree exactly.
"""

import numpy as np

from cornu.utils import image_utils

__all__ = [
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "flip_axis",
    "random_brightness",
    "random_channel_shift",
    "random_rotation",
    "random_shear",
    "random_shift",
    "random_zoom",
]

FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2, channel_axis=0,
                           fill_mode="nearest", cval=0.0, order=1):  # fmt: skip
    """Rotates, shifts, shears and zooms one image (a rank-3 array) about its centre.

    Each output pixel `p` samples the input at `A p`, where `A = R(theta) T(tx, ty) S(shear) Z(zx, zy)` is taken
    about the centre; points outside the input are filled as `fill_mode` says.

    Args:
        x: The image, rank 3.
        theta: Rotation in degrees (counter-clockwise as displayed). Defaults to `0`.
        tx: Shift in pixels along the columns (positive moves the content left). Defaults to `0`.
        ty: Shift in pixels along the rows (positive moves the content up). Defaults to `0`.
        shear: Shear angle in degrees. Defaults to `0`.
        zx: Zoom factor along the columns (`< 1` enlarges the content). Defaults to `1`.
        zy: Zoom factor along the rows. Defaults to `1`.
        row_axis, col_axis, channel_axis: The axes of `x`; the channel axis must be first or last.
            Default to `1`, `2`, `0`.
        fill_mode: `"constant"`, `"nearest"`, `"reflect"` or `"wrap"` (`scipy.ndimage` modes). Defaults to
            `"nearest"`.
        cval: The fill value for `"constant"`. Defaults to `0.0`.
        order: Spline order of the interpolation (0 = nearest, 1 = bilinear). Defaults to `1`.

    Example:
    >>> img = np.zeros((3, 3, 1)); img[0, 2] = 1.0  # top-right pixel
    >>> apply_affine_transform(img, theta=90, row_axis=0, col_axis=1, channel_axis=2,
    ...                        fill_mode="constant")[..., 0].round(6).tolist()  # the corner turns to top-left
    [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise ValueError(
            f"row_axis, col_axis and channel_axis must be 0, 1 and 2 in some order. Received: row_axis={row_axis}, "
            f"col_axis={col_axis}, channel_axis={channel_axis}"
        )
    if np.ndim(x) != 3:
        raise ValueError(f"apply_affine_transform expects one image of rank 3. Received shape {np.shape(x)}")
    if channel_axis not in (0, 2):
        raise ValueError(f"The channel axis must be first or last. Received: channel_axis={channel_axis}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}. Received: fill_mode={fill_mode!r}")
    matrix = _affine_matrix(theta, tx, ty, shear, zx, zy)
    if matrix is None:
        return x
    from scipy import ndimage

    channels_rows_cols = np.transpose(x, (channel_axis, row_axis, col_axis))
    height, width = channels_rows_cols.shape[1:]
    centre = np.array([[1, 0, (width - 1) / 2], [0, 1, (height - 1) / 2], [0, 0, 1]])
    matrix = centre @ matrix @ np.linalg.inv(centre)
    matrix = matrix[[1, 0, 2]][:, [1, 0, 2]]  # (x, y) = (col, row) to scipy's (row, col) index order
    out = np.stack([ndimage.affine_transform(channel, matrix[:2, :2], matrix[:2, 2], order=order, mode=fill_mode,
                                             cval=cval) for channel in channels_rows_cols])  # fmt: skip
    return np.transpose(out, np.argsort((channel_axis, row_axis, col_axis)))


def apply_channel_shift(x, intensity, channel_axis=0):
    """Adds `intensity` to every channel, clipped to the image's original minimum and maximum.

    Example:
    >>> apply_channel_shift(np.array([[[0.0, 5.0, 10.0]]]), 4.0, channel_axis=2).tolist()
    [[[4.0, 9.0, 10.0]]]
    """
    return np.clip(x + intensity, np.min(x), np.max(x))


def apply_brightness_shift(x, brightness, scale=True):
    """Scales the brightness by `brightness` with Pillow's `ImageEnhance.Brightness` (1 leaves it unchanged).

    Values outside `[0, 255]` are mapped into it for Pillow and, unless `scale`, back again afterwards.

    Example:
    >>> apply_brightness_shift(np.full((1, 1, 3), 100.0), 0.5, scale=False).tolist()
    [[[50.0, 50.0, 50.0]]]
    """
    from PIL import ImageEnhance

    low, high = np.min(x), np.max(x)
    out_of_range = low < 0 or high > 255
    img = image_utils.array_to_img(x, scale=out_of_range or scale)
    x = image_utils.img_to_array(ImageEnhance.Brightness(img).enhance(brightness))
    if out_of_range and not scale:
        x = x / 255 * (high - low) + low
    return x


def flip_axis(x, axis):
    """`x` reversed along `axis`.

    Example:
    >>> flip_axis(np.array([[1, 2, 3]]), 1).tolist()
    [[3, 2, 1]]
    """
    return np.flip(np.asarray(x), axis)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                    interpolation_order=1):  # fmt: skip
    """Rotates by an angle drawn uniformly from `[-rg, rg]` degrees (with `np.random`).

    Example:
    >>> np.random.seed(0)
    >>> float(random_rotation(np.ones((4, 4, 1)), 45, row_axis=0, col_axis=1, channel_axis=2).min())  # "nearest" fill
    1.0
    """
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)  # fmt: skip


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                 interpolation_order=1):  # fmt: skip
    """Shifts by fractions of the height (drawn from `[-hrg, hrg]`) and width (from `[-wrg, wrg]`).

    Example:
    >>> np.random.seed(0)
    >>> random_shift(np.ones((4, 6, 3)), 0.2, 0.1, row_axis=0, col_axis=1, channel_axis=2).shape
    (4, 6, 3)
    """
    dy = np.random.uniform(-hrg, hrg) * x.shape[row_axis]
    dx = np.random.uniform(-wrg, wrg) * x.shape[col_axis]
    return apply_affine_transform(x, tx=dx, ty=dy, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)  # fmt: skip


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                 interpolation_order=1):  # fmt: skip
    """Shears by an angle drawn uniformly from `[-intensity, intensity]` degrees.

    Example:
    >>> np.random.seed(0)
    >>> float(random_shear(np.full((3, 3, 1), 2.0), 20, row_axis=0, col_axis=1, channel_axis=2).max())
    2.0
    """
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)  # fmt: skip


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                interpolation_order=1):  # fmt: skip
    """Zooms by factors `zx, zy` drawn uniformly from `zoom_range = (lower, upper)`.

    Example:
    >>> img = np.arange(9.0).reshape(3, 3, 1)
    >>> bool((random_zoom(img, (1, 1), row_axis=0, col_axis=1, channel_axis=2) == img).all())  # (1, 1): unchanged
    True
    """
    if len(zoom_range) != 2:
        raise ValueError(f"zoom_range must be two floats (lower, upper). Received: zoom_range={zoom_range}")
    zx, zy = (1, 1) if tuple(zoom_range) == (1, 1) else np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)  # fmt: skip


def random_channel_shift(x, intensity_range, channel_axis=0):
    """`apply_channel_shift` with an intensity drawn from `[-intensity_range, intensity_range]`.

    Example:
    >>> np.random.seed(0)
    >>> random_channel_shift(np.array([[[0.0, 10.0]]]), 5.0, channel_axis=2).round(3).tolist()
    [[[0.488, 10.0]]]
    """
    return apply_channel_shift(x, np.random.uniform(-intensity_range, intensity_range), channel_axis)


def random_brightness(x, brightness_range, scale=True):
    """`apply_brightness_shift` with a factor drawn from `brightness_range = (lower, upper)`.

    Example:
    >>> random_brightness(np.full((1, 1, 3), 100.0), (2.0, 2.0), scale=False).tolist()
    [[[200.0, 200.0, 200.0]]]
    """
    if len(brightness_range) != 2:
        raise ValueError(f"brightness_range must be two floats (lower, upper). Received: {brightness_range}")
    return apply_brightness_shift(x, np.random.uniform(brightness_range[0], brightness_range[1]), scale)


def _affine_matrix(theta, tx, ty, shear, zx, zy):
    """The 3x3 map from output to input (x, y) coordinates, or None for the identity."""
    parts = []
    if theta != 0:
        a = np.deg2rad(theta)
        parts.append(np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]]))
    if tx != 0 or ty != 0:
        parts.append(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], dtype="float64"))
    if shear != 0:
        s = np.deg2rad(shear)
        parts.append(np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        parts.append(np.diag([zx, zy, 1.0]))
    if not parts:
        return None
    matrix = parts[0]
    for part in parts[1:]:
        matrix = matrix @ part
    return matrix
