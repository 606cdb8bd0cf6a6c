"""Pseudo-labelling: a trained classifier labels the unlabelled samples it is confident about, to train on them too.

Seed 004's semi-supervised recipe: train on the few labelled samples, predict the many unlabelled ones, keep the
predictions above a confidence threshold as if they were labels, and train again on both.
"""

import numpy as np

from cornu.utils import tree

__all__ = ["pseudo_label"]


def pseudo_label(model, x_unlabelled, threshold=0.95, batch_size=256, one_hot=False, max_per_class=None):
    """Labels the samples of `x_unlabelled` whose predicted class probability is at least `threshold`.

    Args:
        model: A trained classifier whose `predict` returns class probabilities, shape `(samples, classes)`.
        x_unlabelled: The unlabelled inputs (an array, or a list/dict of arrays for several inputs).
        threshold: Least probability of the predicted class for a sample to be kept. Defaults to `0.95`.
        batch_size: Batch size for `predict`. Defaults to `256`.
        one_hot: Return the labels one-hot (for `categorical_crossentropy`) instead of as integers.
        max_per_class: Keep at most this many samples per class, the most confident first, so that a class the
            model finds easy does not swamp the others. Defaults to `None` (no limit).

    Returns:
        `(x_selected, y_selected, index)`: the kept samples, their pseudo-labels, and their positions in
        `x_unlabelled` (most confident first within each class when `max_per_class` is set, else in order).

    Example:
    >>> model = cornu.Sequential([cornu.layers.Dense(2, activation="softmax", input_shape=(1,))])
    >>> model.set_weights([np.array([[4.0, -4.0]], "float32"), np.zeros(2, "float32")])
    >>> x = np.array([[-2.0], [0.1], [2.0]], "float32")
    >>> _, labels, index = cornu.utils.pseudo_label(model, x, threshold=0.9)
    >>> labels.tolist(), index.tolist()
    ([1, 0], [0, 2])
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold is a probability in (0, 1]. Received: threshold={threshold!r}")
    probabilities = np.asarray(model.predict(x_unlabelled, batch_size=batch_size, verbose=0))
    if probabilities.ndim != 2 or probabilities.shape[1] < 2:
        raise ValueError(
            f"pseudo_label needs a classifier that outputs class probabilities of shape (samples, classes); this "
            f"model outputs shape {probabilities.shape}. For a single sigmoid unit, stack [1 - p, p] first."
        )
    labels = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    index = np.flatnonzero(confidence >= threshold)
    if max_per_class is not None:
        index = _most_confident_per_class(index, labels, confidence, max_per_class)
    kept = labels[index]
    if one_hot:
        kept = np.eye(probabilities.shape[1], dtype="float32")[kept]
    return _take(x_unlabelled, index), kept, index


def _most_confident_per_class(index, labels, confidence, limit):
    chosen = []
    for label in np.unique(labels[index]):
        members = index[labels[index] == label]
        chosen.append(members[np.argsort(-confidence[members], kind="stable")][:limit])
    return np.concatenate(chosen) if chosen else index


def _take(x, index):
    return tree.map_structure(lambda array: np.asarray(array)[index], x)  # one or several inputs alike
