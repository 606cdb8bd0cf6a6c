"""`text_dataset_from_directory`: a directory of `.txt` files as a batched, labelled `Dataset` of strings."""

import numpy as np

from cornu.utils import dataset_utils
from cornu.utils.dataset_utils import Dataset

__all__ = ["text_dataset_from_directory"]


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    format="tf",
    verbose=True,
):
    """A `Dataset` of `(texts, labels)` batches read from the `.txt` files under `directory`.

    Files are listed, labelled, shuffled and split as Keras does (each subdirectory is a class, sorted by name);
    a file is read when its batch is asked for.

    Args:
        directory: The directory to read.
        labels: `"inferred"` (from the subdirectories), `None` (texts only), or a list of integer labels, one per
            file in sorted path order. Defaults to `"inferred"`.
        label_mode: `"int"`, `"categorical"`, `"binary"` or `None`. Defaults to `"int"`.
        class_names: With `labels="inferred"`, the subdirectories to use, in label order. Defaults to `None`.
        batch_size: Texts per batch, or `None` for single texts. Defaults to `32`.
        max_length: Keep only the first `max_length` characters of each text. Defaults to `None` (all).
        shuffle: Whether to shuffle the files (and redraw the order each epoch). Defaults to `True`.
        seed: Seed of the shuffle and of the split. Defaults to `None`.
        validation_split: Fraction of the files kept for validation. Defaults to `None`.
        subset: `"training"`, `"validation"` or `"both"`. Defaults to `None`.
        follow_links: Whether to follow symbolic links to subdirectories. Defaults to `False`.
        format: Accepted for Keras compatibility; a cornu `Dataset` is returned either way.
        verbose: Whether to print how many files and classes were found. Defaults to `True`.

    Returns:
        A `Dataset` (a pair for `subset="both"`) with `class_names` and `file_paths`. Texts come as numpy arrays of
        Python strings (`dtype=object`), decoded as UTF-8; TensorFlow gives bytes instead.

    Example:
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for label, text in [("neg", "awful"), ("pos", "great film")]:
    ...     os.makedirs(os.path.join(root, label))
    ...     with open(os.path.join(root, label, "review.txt"), "w") as f:
    ...         _ = f.write(text)
    >>> ds = text_dataset_from_directory(root, shuffle=False, verbose=False)
    >>> texts, labels = ds[0]
    >>> texts.tolist(), labels.tolist(), ds.class_names
    (['awful', 'great film'], [0, 1], ['neg', 'pos'])
    """
    labels, label_mode = dataset_utils.check_label_args(labels, label_mode, class_names, "text")
    if format not in ("tf", "grain"):
        raise ValueError(f'format must be "tf" or "grain". Received: format={format!r}')
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose, kind="text files"
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f'label_mode="binary" needs exactly 2 classes, but {len(class_names)} were found: {class_names}. Use '
            f'label_mode="categorical" (or "int").'
        )
    subsets = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for name in subsets:
        # As in Keras: subset="both" leaves the validation half in order; a lone subset shuffles as asked.
        subset_shuffle = shuffle and not (subset == "both" and name == "validation")
        subset_paths, subset_labels = dataset_utils.training_or_validation_split(
            paths, labels, validation_split, name, verbose
        )
        if not subset_paths:
            raise ValueError(
                f"No {name + ' ' if name else ''}text files found in directory '{directory}'. Allowed format: .txt "
                f"(with labels='inferred', one subdirectory per class: directory/class_a/doc.txt)."
            )
        encoded = None if label_mode is None else dataset_utils.encode_labels(subset_labels, label_mode,
                                                                             len(class_names))  # fmt: skip
        dataset = Dataset(len(subset_paths), _loader(subset_paths, encoded, max_length), batch_size=batch_size,
                          shuffle=subset_shuffle, seed=seed)  # fmt: skip
        dataset.class_names, dataset.file_paths = class_names, list(subset_paths)
        datasets.append(dataset)
    return tuple(datasets) if subset == "both" else datasets[0]


def _loader(paths, encoded, max_length):
    paths = np.asarray(paths, dtype=object)

    def load(idx):
        texts = np.empty(len(idx), dtype=object)
        for i, path in enumerate(paths[idx]):
            with open(path, encoding="utf-8", errors="replace") as file:
                texts[i] = file.read() if max_length is None else file.read(max_length)
        return texts if encoded is None else (texts, encoded[idx])

    return load
