"""The classic `ImageDataGenerator` (`keras.preprocessing.image`): augmented batches from arrays or a directory.

Keras 3 keeps it as deprecated legacy code (the preprocessing layers replace it); tutorials still use it, so cornu
keeps its arguments, its random draws (`np.random`, reseeded per batch with `seed + batches seen`, as Keras does) and
its iterators, which `fit` reads like any `PyDataset`. Transforms are in `cornu.preprocessing.image_transforms`.

One deliberate difference: `height_shift_range` moves the picture vertically and `width_shift_range` horizontally,
as documented; Keras 3.15 exchanges the two axes (see `image_transforms` for the centre of rotation).
"""

import math
import os
import threading
import warnings

import numpy as np

from cornu import backend
from cornu.preprocessing.image_transforms import (
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    flip_axis,
    random_brightness,
    random_channel_shift,
    random_rotation,
    random_shear,
    random_shift,
    random_zoom,
)
from cornu.utils.image_utils import array_to_img, img_to_array, load_img, save_img, smart_resize
from cornu.utils.py_dataset import PyDataset

__all__ = [
    "DirectoryIterator",
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "array_to_img",
    "img_to_array",
    "load_img",
    "random_brightness",
    "random_channel_shift",
    "random_rotation",
    "random_shear",
    "random_shift",
    "random_zoom",
    "save_img",
    "smart_resize",
]


class ImageDataGenerator:
    """Random augmentation and standardisation of image batches, fed from arrays (`flow`) or folders
    (`flow_from_directory`).

    Args:
        featurewise_center: Subtract the data set's per-channel mean (learnt by `fit`). Defaults to `False`.
        samplewise_center: Subtract each image's mean. Defaults to `False`.
        featurewise_std_normalization: Divide by the data set's per-channel std (learnt by `fit`).
            Defaults to `False`.
        samplewise_std_normalization: Divide each image by its std. Defaults to `False`.
        zca_whitening: Apply ZCA whitening (learnt by `fit`). Defaults to `False`.
        zca_epsilon: Epsilon of the whitening. Defaults to `1e-6`.
        rotation_range: Rotate by up to this many degrees either way. Defaults to `0`.
        width_shift_range: Horizontal shift: a float `< 1` is a fraction of the width, a float `>= 1` pixels, an
            int `n` a whole number of pixels in `(-n, n)`, a list the allowed pixel values (either sign).
            Defaults to `0.0`.
        height_shift_range: The same, vertically. Defaults to `0.0`.
        brightness_range: `(lower, upper)` brightness factors. Defaults to `None`.
        shear_range: Shear angle in degrees, either way. Defaults to `0.0`.
        zoom_range: A float `z` for zooms in `[1 - z, 1 + z]`, or `(lower, upper)`. Defaults to `0.0`.
        channel_shift_range: Add up to this much to all channels. Defaults to `0.0`.
        fill_mode: `"constant"`, `"nearest"`, `"reflect"` or `"wrap"`, for points outside the input.
            Defaults to `"nearest"`.
        cval: Fill value for `"constant"`. Defaults to `0.0`.
        horizontal_flip: Flip left-right half of the time. Defaults to `False`.
        vertical_flip: Flip upside down half of the time. Defaults to `False`.
        rescale: Multiply the images by this (after the other transforms). Defaults to `None`.
        preprocessing_function: Function applied to each augmented image first. Defaults to `None`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the backend's).
        validation_split: Fraction of the images reserved for `subset="validation"`. Defaults to `0.0`.
        interpolation_order: Spline order of the affine interpolation. Defaults to `1`.
        dtype: Type of the batches. Defaults to `None` (`floatx()`).

    Example:
    >>> gen = ImageDataGenerator(horizontal_flip=True, rescale=1 / 255)
    >>> x = np.arange(8.0).reshape(2, 2, 2, 1) * 255
    >>> batch = gen.flow(x, batch_size=2, shuffle=False, seed=0)[0]
    >>> batch.shape, sorted(batch[0].ravel().round(4).astype(float).tolist())
    ((2, 2, 2, 1), [0.0, 1.0, 2.0, 3.0])
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):  # fmt: skip
        self.featurewise_center, self.samplewise_center = featurewise_center, samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening, self.zca_epsilon = zca_whitening, zca_epsilon
        self.rotation_range, self.shear_range = rotation_range, shear_range
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.channel_shift_range, self.fill_mode, self.cval = channel_shift_range, fill_mode, cval
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.interpolation_order, self.dtype = interpolation_order, dtype or backend.floatx()
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f'data_format must be "channels_last" or "channels_first". Received: {data_format!r}')
        first = self.data_format == "channels_first"
        self.channel_axis, self.row_axis, self.col_axis = (1, 2, 3) if first else (3, 1, 2)
        if fill_mode not in ("constant", "nearest", "reflect", "wrap"):
            raise ValueError(f'fill_mode must be "constant", "nearest", "reflect" or "wrap". Received: {fill_mode!r}')
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be strictly between 0 and 1. Received: {validation_split}")
        self._validation_split = validation_split
        self.mean = self.std = self.zca_whitening_matrix = None
        self.zoom_range = _zoom_bounds(zoom_range)
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list)) or
                                             len(brightness_range) != 2):  # fmt: skip
            raise ValueError(f"brightness_range must be (lower, upper). Received: brightness_range={brightness_range}")
        self.brightness_range = brightness_range
        self._resolve_normalization_flags()

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):  # fmt: skip
        """A `NumpyArrayIterator` of augmented batches of `x` (rank 4) with their `y` (and `sample_weight`)."""
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)  # fmt: skip

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False):  # fmt: skip
        """A `DirectoryIterator` of augmented batches read from `directory/<class>/<image>` files."""
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 data_format=self.data_format, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links, subset=subset,
                                 interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio,
                                 dtype=self.dtype)  # fmt: skip

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class", **kwargs):
        """Not available in cornu yet: raises with the alternatives."""
        raise NotImplementedError(
            "cornu has no flow_from_dataframe yet. Put the images in one folder per class and use "
            "flow_from_directory(...) or cornu.utils.image_dataset_from_directory(...), or pass the file names' "
            "labels in sorted-path order: image_dataset_from_directory(directory, labels=[...])."
        )

    def standardize(self, x):
        """Applies `preprocessing_function`, `rescale` and the sample-/feature-wise normalisations to `x` (in place
        where possible), in Keras's order."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self._fitted("featurewise_center", self.mean):
                x -= self.mean
        if self.featurewise_std_normalization:
            if self._fitted("featurewise_std_normalization", self.std):
                x /= self.std + 1e-6
        if self.zca_whitening:
            if self._fitted("zca_whitening", self.zca_whitening_matrix):
                flat = x.reshape(-1, math.prod(x.shape[-3:]))
                x = np.reshape(flat @ self.zca_whitening_matrix, x.shape)
        return x

    def get_random_transform(self, img_shape, seed=None):
        """Draws the parameters of one random augmentation for an image of shape `img_shape` (with `np.random`, in
        Keras's order of draws), as a dict for `apply_transform`."""
        rows, cols = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        ty = _draw_shift(self.height_shift_range, rows)
        tx = _draw_shift(self.width_shift_range, cols)
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift = None
        if self.channel_shift_range != 0:
            channel_shift = np.random.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift, "brightness": brightness}  # fmt: skip

    def apply_transform(self, x, transform_parameters):
        """Applies the parameters of `get_random_transform` to one image: affine map, channel shift, flips,
        brightness. `tx` is the horizontal shift in pixels, `ty` the vertical one."""
        params = transform_parameters
        row, col, channel = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        x = apply_affine_transform(x, params.get("theta", 0), params.get("tx", 0), params.get("ty", 0),
                                   params.get("shear", 0), params.get("zx", 1), params.get("zy", 1), row_axis=row,
                                   col_axis=col, channel_axis=channel, fill_mode=self.fill_mode, cval=self.cval,
                                   order=self.interpolation_order)  # fmt: skip
        if params.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, params["channel_shift_intensity"], channel)
        if params.get("flip_horizontal", False):
            x = flip_axis(x, col)
        if params.get("flip_vertical", False):
            x = flip_axis(x, row)
        if params.get("brightness") is not None:
            x = apply_brightness_shift(x, params["brightness"], False)
        return x

    def random_transform(self, x, seed=None):
        """One random augmentation of the image `x`."""
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Learns the statistics of the data set `x` (rank 4) that `featurewise_center`,
        `featurewise_std_normalization` and `zca_whitening` need.

        Example:
        >>> gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
        >>> gen.fit(np.array([0.0, 2.0, 4.0, 6.0]).reshape(4, 1, 1, 1))
        >>> gen.mean.ravel().tolist(), gen.std.ravel().astype(float).round(4).tolist()
        ([3.0], [2.2361])
        """
        x = np.array(x, dtype=self.dtype)  # a copy: the caller's array is left alone
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit expects a rank-4 batch of images. Received shape {x.shape}")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f"fit expected 1, 3 or 4 channels on axis {self.channel_axis} ({self.data_format}), but "
                          f"x has shape {x.shape}.", stacklevel=2)  # fmt: skip
        if seed is not None:
            np.random.seed(seed)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.concatenate([np.stack([self.random_transform(image) for image in x]) for _ in range(rounds)])
        broadcast = [1, 1, 1]
        broadcast[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), broadcast)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), broadcast)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = np.reshape(x, (len(x), -1))
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            self.zca_whitening_matrix = (u * (np.sqrt(len(x)) / (s + self.zca_epsilon))) @ u.T

    def _fitted(self, name, statistic):
        if statistic is None:
            warnings.warn(f"This ImageDataGenerator has {name}=True but was not fit on data; the step is skipped. "
                          f"Call datagen.fit(x_train) first.", stacklevel=3)  # fmt: skip
        return statistic is not None

    def _resolve_normalization_flags(self):
        """Keras's implications: ZCA needs centring (and replaces std normalisation); std normalisation needs
        centring."""
        if self.zca_whitening:
            if not self.featurewise_center:
                self.featurewise_center = True
                warnings.warn("zca_whitening=True turns on featurewise_center.", stacklevel=3)
            if self.featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("zca_whitening=True turns off featurewise_std_normalization.", stacklevel=3)
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn("featurewise_std_normalization=True turns on featurewise_center.", stacklevel=3)
        if self.samplewise_std_normalization and not self.samplewise_center:
            self.samplewise_center = True
            warnings.warn("samplewise_std_normalization=True turns on samplewise_center.", stacklevel=3)


class Iterator(PyDataset):
    """Base of the generator's iterators: batch `i` by index (a `PyDataset` for `fit`), or endless `next()` batches.

    With a `seed`, `np.random` is reseeded with `seed + batches served` before each batch, as in Keras, so a seed
    reproduces the order and the augmentations.

    Example:
    >>> it = ImageDataGenerator().flow(np.zeros((5, 2, 2, 1)), batch_size=2)
    >>> len(it), [len(next(it)) for _ in range(4)]  # next() goes round forever
    (3, [2, 2, 1, 2])
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n, batch_size, shuffle, seed):
        super().__init__()
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.batch_index, self.total_batches_seen = 0, 0
        self.lock = threading.Lock()
        self.index_array = None

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def __getitem__(self, idx):
        if not 0 <= idx < len(self):
            raise IndexError(f"Batch {idx} is out of range: this iterator has {len(self)} batches.")
        with self.lock:
            self._reseed()
            if self.index_array is None:
                self._set_index_array()
            return self._get_batches_of_transformed_samples(
                self.index_array[self.batch_size * idx :][: self.batch_size]
            )

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        """Starts the endless iteration again from the first batch."""
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            self._reseed()
            if self.batch_index == 0:
                self._set_index_array()
            start = (self.batch_index * self.batch_size) % self.n if self.n else 0
            self.batch_index = self.batch_index + 1 if self.n > start + self.batch_size else 0
            return self._get_batches_of_transformed_samples(self.index_array[start : start + self.batch_size])

    next = __next__  # Keras 2 spelling: iterator.next()

    def _reseed(self):
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1

    def _set_index_array(self):
        self.index_array = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError

    def _augment(self, x):
        generator = self.image_data_generator
        if generator is None:
            return x
        x = generator.apply_transform(x, generator.get_random_transform(x.shape))
        return generator.standardize(x)

    def _save_batch(self, batch_x, index_array, hash_range):
        if self.save_to_dir:
            for image, index in zip(batch_x, index_array):
                name = f"{self.save_prefix}_{index}_{np.random.randint(hash_range)}.{self.save_format}"
                array_to_img(image, self.data_format, scale=True).save(os.path.join(self.save_to_dir, name))


class NumpyArrayIterator(Iterator):
    """Augmented batches of an in-memory array of images (what `ImageDataGenerator.flow` returns).

    Batches are `x`, `(x, y)` or `(x, y, sample_weight)`; `x` may be `(images, other_inputs)` to pass extra inputs
    through unchanged. With `subset`, the generator's `validation_split` takes the FIRST part of the arrays for
    validation, as in Keras.

    Example:
    >>> it = NumpyArrayIterator(np.arange(6.0).reshape(3, 1, 2, 1), np.array([0, 1, 2]), ImageDataGenerator(),
    ...                         batch_size=2)
    >>> x, y = it[1]
    >>> x.ravel().tolist(), y.tolist()
    ([4.0, 5.0], [2])
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None,
                 ignore_class_split=False, dtype=None):  # fmt: skip
        self.dtype = dtype or backend.floatx()
        data_format = data_format or backend.image_data_format()
        x, x_misc = (x[0], [np.asarray(v) for v in (x[1] if isinstance(x[1], list) else [x[1]])]) if isinstance(
            x, (tuple, list)) else (x, [])  # fmt: skip
        for name, other in [("x[1]", v) for v in x_misc] + [("y", y), ("sample_weight", sample_weight)]:
            if other is not None and len(other) != len(x):
                raise ValueError(f"x (images) and {name} must have the same length. Received: {len(x)} images and "
                                 f"{len(other)} entries in {name}.")  # fmt: skip
        if subset is not None:
            x, x_misc, y, sample_weight = _split_arrays(
                x, x_misc, y, sample_weight, subset, image_data_generator._validation_split, ignore_class_split
            )
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError(f"flow expects a rank-4 array of images (batch, height, width, channels). Received "
                             f"shape {self.x.shape}; add a channel axis with x[..., None].")  # fmt: skip
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(f"flow expected 1, 3 or 4 channels on axis {channels_axis} ({data_format}), but x has shape "
                          f"{self.x.shape}.", stacklevel=3)  # fmt: skip
        self.x_misc = x_misc
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator, self.data_format = image_data_generator, data_format
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._augment(self.x[j].astype(self.dtype))
        self._save_batch(batch_x, index_array, 10_000)
        misc = [v[index_array] for v in self.x_misc]
        inputs = [batch_x] + misc if misc else batch_x
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]


class DirectoryIterator(Iterator):
    """Augmented batches read from `directory/<class>/<image>` files (what `flow_from_directory` returns).

    Classes are the sorted subdirectories (or `classes`); each is searched recursively for `.png`, `.jpg`, `.jpeg`,
    `.bmp`, `.ppm`, `.tif` and `.tiff` files in sorted order. With `subset`, the generator's `validation_split`
    takes the FIRST fraction of each class's files for validation, as in Keras. Images are read when their batch is
    asked for.

    Example:
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for name in ("cat", "dog"):
    ...     os.makedirs(os.path.join(root, name))
    ...     save_img(os.path.join(root, name, "1.png"), np.zeros((4, 4, 3)))
    >>> it = ImageDataGenerator(rescale=1 / 255).flow_from_directory(root, target_size=(2, 2), shuffle=False)
    Found 2 images belonging to 2 classes.
    >>> x, y = it[0]
    >>> x.shape, y.tolist(), it.class_indices
    ((2, 2, 2, 3), [[1.0, 0.0], [0.0, 1.0]], {'cat': 0, 'dog': 1})
    """

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False, dtype=None):  # fmt: skip
        if color_mode not in ("rgb", "rgba", "grayscale"):
            raise ValueError(f'color_mode must be "rgb", "rgba" or "grayscale". Received: color_mode={color_mode!r}')
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"class_mode must be one of {self.allowed_class_modes}. Received: {class_mode!r}")
        if subset not in (None, "training", "validation"):
            raise ValueError(f'subset must be "training" or "validation". Received: subset={subset!r}')
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"Directory not found: '{directory}'. Check the path (relative to {os.getcwd()}).")
        self.directory, self.image_data_generator = directory, image_data_generator
        self.target_size, self.color_mode, self.class_mode = tuple(target_size), color_mode, class_mode
        self.data_format = data_format or backend.image_data_format()
        self.dtype, self.interpolation, self.keep_aspect_ratio = (
            dtype or backend.floatx(),
            interpolation,
            keep_aspect_ratio,
        )
        self.save_to_dir, self.save_prefix, self.save_format, self.subset = (
            save_to_dir,
            save_prefix,
            save_format,
            subset,
        )
        channels = {"rgba": 4, "rgb": 3, "grayscale": 1}[color_mode]
        first = self.data_format == "channels_first"
        self.image_shape = (channels,) + self.target_size if first else self.target_size + (channels,)
        vs = image_data_generator._validation_split if image_data_generator is not None else 0
        self.split = None if subset is None else ((0, vs) if subset == "validation" else (vs, 1))
        if not classes:
            classes = [d for d in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, d))]
        self.num_classes, self.class_indices = len(classes), {name: i for i, name in enumerate(classes)}
        self.filenames, labels = [], []
        for name in classes:
            found = self._class_files(name, follow_links)
            self.filenames += found
            labels += [self.class_indices[name]] * len(found)
        self.classes, self.samples = np.asarray(labels, dtype="int32"), len(self.filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._check_found(classes)
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self):
        return self._filepaths

    @property
    def labels(self):
        return self.classes

    def _class_files(self, name, follow_links):
        class_dir = os.path.join(self.directory, name)
        found = []
        for root, _, files in sorted(os.walk(class_dir, followlinks=follow_links), key=lambda entry: entry[0]):
            found += [os.path.join(name, os.path.relpath(os.path.join(root, f), class_dir)) for f in sorted(files)
                      if f.lower().endswith(self.white_list_formats)]  # fmt: skip
        if self.split:
            found = found[int(self.split[0] * len(found)) : int(self.split[1] * len(found))]
        return found

    def _check_found(self, classes):
        if self.samples:
            return
        loose = [f for f in os.listdir(self.directory) if f.lower().endswith(self.white_list_formats)]
        hint = (f" The {len(loose)} images directly in it are not read: put them in a subdirectory, e.g. "
                f"'{os.path.join(self.directory, 'unknown')}', and keep class_mode=None for unlabelled data."
                if loose else "")  # fmt: skip
        raise ValueError(
            f"No images found in '{self.directory}' (classes: {classes}). flow_from_directory reads "
            f"directory/<class>/<image> files with extensions {self.white_list_formats}.{hint}"
        )

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._augment(self._load(self._filepaths[j]))
        self._save_batch(batch_x, index_array, 10_000_000)
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode in ("binary", "sparse"):
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == "categorical":
            return batch_x, np.eye(self.num_classes, dtype=self.dtype)[self.classes[index_array]]
        return batch_x

    def _load(self, path):
        try:
            img = load_img(path, color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio)  # fmt: skip
        except (OSError, SyntaxError) as error:  # Pillow's UnidentifiedImageError is an OSError
            raise ValueError(f"Could not read the image file '{path}' ({type(error).__name__}: {error}). Delete or "
                             f"replace it, or move it out of the directory.") from error  # fmt: skip
        return img_to_array(img, data_format=self.data_format, dtype=self.dtype)


def _split_arrays(x, x_misc, y, sample_weight, subset, validation_split, ignore_class_split):
    """Keras's flow(subset=...): the first int(n * validation_split) samples validate, the rest train."""
    if subset not in ("training", "validation"):
        raise ValueError(f'subset must be "training" or "validation". Received: subset={subset!r}')
    cut = int(len(x) * validation_split)
    if y is not None and not ignore_class_split and not np.array_equal(np.unique(y[:cut]), np.unique(y[cut:])):
        raise ValueError(
            "The training and validation subsets have different classes after the split (the validation part is "
            "the first samples). Shuffle x and y together first, or pass ignore_class_split=True."
        )
    part = slice(None, cut) if subset == "validation" else slice(cut, None)
    pick = lambda v: None if v is None else v[part]  # noqa: E731
    return pick(x), [np.asarray(v[part]) for v in x_misc], pick(y), pick(sample_weight)


def _zoom_bounds(zoom_range):
    if isinstance(zoom_range, (int, float)) and not isinstance(zoom_range, bool):
        return [1 - zoom_range, 1 + zoom_range]
    if (
        isinstance(zoom_range, (list, tuple))
        and len(zoom_range) == 2
        and all(isinstance(v, (int, float)) for v in zoom_range)
    ):
        return [zoom_range[0], zoom_range[1]]
    raise ValueError(f"zoom_range must be a float or (lower, upper). Received: zoom_range={zoom_range!r}")


def _draw_shift(shift_range, size):
    """One shift in pixels, drawn as Keras does: from the allowed values with a random sign (int or list), or
    uniformly (float); fractions (all values < 1) are of `size`."""
    if not shift_range:
        return 0
    try:
        shift = np.random.choice(shift_range)
        shift *= np.random.choice([-1, 1])
    except ValueError:  # a float range: numpy refuses to choose from it
        shift = np.random.uniform(-shift_range, shift_range)
    if np.max(shift_range) < 1:
        shift *= size
    return shift
