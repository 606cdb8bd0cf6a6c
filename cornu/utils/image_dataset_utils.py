"""`image_dataset_from_directory`: a directory of image files as a batched, labelled `Dataset`.

The files are listed, labelled, shuffled and split exactly as Keras does (same seed, same files in each subset);
images are read with Pillow when a batch is asked for, so the directory need not fit in memory.
"""

import os

import numpy as np

from cornu import backend
from cornu.utils import dataset_utils, image_utils
from cornu.utils.dataset_utils import Dataset

__all__ = ["image_dataset_from_directory"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    format="tf",
    verbose=True,
):
    """A `Dataset` of `(images, labels)` batches read from the image files under `directory`.

    With `labels="inferred"`, each subdirectory of `directory` is a class (sorted by name: the first is label 0)
    and its images, searched recursively, get that label. Formats: `.bmp`, `.gif` (first frame), `.jpeg`, `.jpg`,
    `.png`.

    Args:
        directory: The directory to read.
        labels: `"inferred"` (from the subdirectories), `None` (images only), or a list of integer labels, one per
            file in sorted path order. Defaults to `"inferred"`.
        label_mode: `"int"` (int32 labels), `"categorical"` (one-hot float32), `"binary"` (float32 of shape
            `(batch, 1)`, exactly two classes) or `None` (images only). Defaults to `"int"`.
        class_names: With `labels="inferred"`, the subdirectories to use, in label order. Defaults to `None`
            (all, sorted).
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` (1, 3 or 4 channels). Defaults to `"rgb"`.
        batch_size: Images per batch, or `None` for single images. Defaults to `32`.
        image_size: `(height, width)` every image is resized to. `None` keeps the files' size, which must then be
            the same for all (a cornu extension). Defaults to `(256, 256)`.
        shuffle: Whether to shuffle the files (and redraw the order each epoch). Defaults to `True`; `False`
            keeps the sorted order.
        seed: Seed of the shuffle and of the split. Defaults to `None`.
        validation_split: Fraction of the files kept for validation (the last ones after shuffling).
            Defaults to `None`.
        subset: `"training"`, `"validation"` or `"both"` (returns both datasets). Defaults to `None`.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"` or `"area"`. Defaults to `"bilinear"`.
        follow_links: Whether to follow symbolic links to subdirectories. Defaults to `False`.
        crop_to_aspect_ratio: Whether to crop each image to the target aspect ratio (centred) before resizing,
            instead of distorting it. Defaults to `False`.
        pad_to_aspect_ratio: Whether to pad each image with zeros to the target aspect ratio instead.
            Defaults to `False`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None`
            (`cornu.backend.image_data_format()`).
        format: Accepted for Keras compatibility (`"tf"` or `"grain"`); a cornu `Dataset` is returned either way.
        verbose: Whether to print how many files and classes were found. Defaults to `True`.

    Returns:
        A `Dataset` (a pair of them for `subset="both"`) with `class_names` and `file_paths`; batches are float32
        images of shape `(batch, height, width, channels)` with labels as `label_mode` says. `fit` reads up to
        `ds.workers` (4) batches ahead in threads; set `ds.workers = 1` to read them one at a time.

    Example:
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for name, value in [("cat", 0.0), ("dog", 255.0)]:
    ...     os.makedirs(os.path.join(root, name))
    ...     for i in range(3):
    ...         cornu.utils.save_img(os.path.join(root, name, f"{i}.png"), np.full((8, 8, 3), value), scale=False)
    >>> ds = image_dataset_from_directory(root, image_size=(4, 4), batch_size=4, shuffle=False)
    Found 6 files belonging to 2 classes.
    >>> images, labels = ds[0]
    >>> ds.class_names, images.shape, labels.tolist(), images[3, 0, 0].tolist()
    (['cat', 'dog'], (4, 4, 4, 3), [0, 0, 0, 1], [255.0, 255.0, 255.0])
    """
    labels, label_mode, num_channels = _check_args(labels, label_mode, class_names, color_mode)
    image_size = _check_image_size(image_size)
    interpolation = _check_interpolation(interpolation)
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True.")
    if format not in ("tf", "grain"):
        raise ValueError(f'format must be "tf" or "grain". Received: format={format!r}')
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    data_format = image_utils._data_format(data_format)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names, shuffle, seed, follow_links, verbose, kind="image files"
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f'label_mode="binary" needs exactly 2 classes, but {len(class_names)} were found: {class_names}. Use '
            f'label_mode="categorical" (or "int"), or keep two classes with class_names=[...].'
        )
    options = dict(image_size=image_size, num_channels=num_channels, color_mode=color_mode,
                   label_mode=label_mode, num_classes=len(class_names) if class_names else 0,
                   interpolation=interpolation, crop=crop_to_aspect_ratio, pad=pad_to_aspect_ratio,
                   data_format=data_format, batch_size=batch_size, seed=seed)  # fmt: skip
    subsets = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for name in subsets:
        # As in Keras: subset="both" leaves the validation half in order; a lone subset shuffles as asked.
        subset_shuffle = shuffle and not (subset == "both" and name == "validation")
        subset_paths, subset_labels = dataset_utils.training_or_validation_split(
            paths, labels, validation_split, name, verbose
        )
        _check_found(subset_paths, directory, name)
        dataset = _paths_to_dataset(subset_paths, subset_labels, shuffle=subset_shuffle, **options)
        dataset.class_names = class_names
        datasets.append(dataset)
    return tuple(datasets) if subset == "both" else datasets[0]


def load_image(path, color_mode, image_size, interpolation="bilinear", crop=False, pad=False):
    """One image file as a float32 array `(height, width, channels)`, resized to `image_size` unless it is None."""
    pil_image = image_utils.require_pil()
    try:
        with pil_image.open(path) as img:
            array = np.asarray(image_utils.convert_color(img, color_mode), dtype="float32")
    except (OSError, SyntaxError, ValueError) as error:  # Pillow's UnidentifiedImageError is an OSError
        raise ValueError(
            f"Could not read the image file '{path}' ({type(error).__name__}: {error}). The file is corrupt or not "
            f"an image: delete or replace it, or move it out of the directory."
        ) from error
    array = array[:, :, None] if array.ndim == 2 else array
    if image_size is None or array.shape[:2] == tuple(image_size) and not (crop or pad):
        return array
    return image_utils.resize_images(array, image_size, interpolation, crop_to_aspect_ratio=crop,
                                     pad_to_aspect_ratio=pad)  # fmt: skip


def _paths_to_dataset(paths, labels, image_size, num_channels, color_mode, label_mode, num_classes, interpolation,
                      crop, pad, data_format, batch_size, shuffle, seed):  # fmt: skip
    if image_size is None:
        _check_same_size(paths)
    encoded = None if label_mode is None else dataset_utils.encode_labels(labels, label_mode, num_classes)
    paths_array = np.asarray(paths, dtype=object)

    def load(idx):
        images = [load_image(path, color_mode, image_size, interpolation, crop, pad) for path in paths_array[idx]]
        batch = np.stack(images)  # a Dataset never asks for an empty batch
        batch = batch.transpose(0, 3, 1, 2) if data_format == "channels_first" else batch
        batch = batch.astype(backend.floatx(), copy=False)
        return batch if encoded is None else (batch, encoded[idx])

    # Decoding releases the GIL, so a few threads read batches ahead while the model trains (tf.data does the same).
    workers = max(1, min(4, os.cpu_count() or 1))
    dataset = Dataset(len(paths), load, batch_size=batch_size, shuffle=shuffle, seed=seed, workers=workers)
    dataset.file_paths = list(paths)
    return dataset


def _check_args(labels, label_mode, class_names, color_mode):
    labels, label_mode = dataset_utils.check_label_args(labels, label_mode, class_names, "image")
    if color_mode not in CHANNELS:
        raise ValueError(f'color_mode must be "rgb", "rgba" or "grayscale". Received: color_mode={color_mode!r}')
    return labels, label_mode, CHANNELS[color_mode]


def _check_image_size(image_size):
    if image_size is None:
        return None
    if isinstance(image_size, int):
        return (image_size, image_size)
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"image_size must be (height, width), e.g. (180, 180). Received: image_size={image_size!r}")
    return tuple(int(n) for n in image_size)


def _check_interpolation(interpolation):
    interpolation = interpolation.lower()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}. Received: interpolation={interpolation!r}")
    if interpolation not in image_utils.TORCH_INTERPOLATIONS:
        raise ValueError(
            f"interpolation={interpolation!r} is not available in cornu (torch has no such kernel). Use one of "
            f"{tuple(image_utils.TORCH_INTERPOLATIONS)}; 'bicubic' is the closest."
        )
    return interpolation


def _check_found(paths, directory, subset):
    if paths:
        return
    what = f"No {subset} images" if subset else "No images"
    raise ValueError(
        f"{what} found in directory '{directory}'. Allowed formats: {ALLOWLIST_FORMATS}. With labels='inferred' the "
        f"images must be in one subdirectory per class (directory/class_a/img.jpg); with labels=None they may be "
        f"anywhere below the directory."
    )


def _check_same_size(paths):
    """With `image_size=None` all images must have one size: read each file's header (cheap) to be sure."""
    pil_image = image_utils.require_pil()
    first_size, first_path = None, None
    for path in paths:
        try:
            with pil_image.open(path) as img:
                size = img.size
        except (OSError, SyntaxError, ValueError) as error:
            raise ValueError(
                f"Could not read the image file '{path}' ({error}). Delete or replace it, or move it out of the "
                f"directory."
            ) from error
        if first_size is None:
            first_size, first_path = size, path
        elif size != first_size:
            raise ValueError(
                f"image_size=None keeps each image's own size, but the images differ: '{first_path}' is "
                f"{first_size[1]}x{first_size[0]} and '{path}' is {size[1]}x{size[0]} (height x width). Pass "
                f"image_size=(height, width) to resize them all, e.g. image_size=({first_size[1]}, {first_size[0]})."
            )
