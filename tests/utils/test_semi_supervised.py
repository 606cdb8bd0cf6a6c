"""pseudo_label keeps exactly the confident predictions, with the predicted class as label."""

import numpy as np
import pytest

import cornu
from cornu.utils.semi_supervised import pseudo_label


def _fixed_softmax_model():
    # logits = x @ W: three classes whose probabilities we can compute by hand
    model = cornu.Sequential([cornu.layers.Dense(3, activation="softmax", use_bias=False, input_shape=(3,))])
    model.set_weights([np.eye(3, dtype="float32") * 5.0])
    return model


def _softmax(logits):
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_keeps_samples_above_threshold_with_argmax_labels():
    x = np.array([[1, 0, 0], [0, 1, 0], [0.2, 0.1, 0.15], [0, 0, 1], [0, 0.9, 0]], "float32")
    probabilities = _softmax(x.astype("float64") * 5.0)
    expected = np.flatnonzero(probabilities.max(1) >= 0.97)
    x_kept, labels, index = pseudo_label(_fixed_softmax_model(), x, threshold=0.97)
    np.testing.assert_array_equal(index, expected)
    np.testing.assert_array_equal(labels, probabilities.argmax(1)[expected])
    np.testing.assert_array_equal(x_kept, x[expected])


def test_one_hot_and_max_per_class_keeps_the_most_confident():
    x = np.array([[1, 0, 0], [2, 0, 0], [0.8, 0, 0], [0, 1, 0]], "float32")
    x_kept, labels, index = pseudo_label(_fixed_softmax_model(), x, threshold=0.5, one_hot=True, max_per_class=2)
    assert index.tolist() == [1, 0, 3]  # class 0: the two most confident (x=2 before x=1); class 1: its one
    np.testing.assert_array_equal(labels, np.eye(3, dtype="float32")[[0, 0, 1]])


def test_list_inputs_are_indexed_together():
    first = cornu.Input((3,))
    second = cornu.Input((1,))
    out = cornu.layers.Dense(3, activation="softmax", use_bias=False)(cornu.layers.concatenate([first, second]))
    model = cornu.Model([first, second], out)
    model.set_weights([np.vstack([np.eye(3) * 5.0, np.zeros((1, 3))]).astype("float32")])
    a = np.array([[1, 0, 0], [0.1, 0.1, 0.1]], "float32")
    b = np.array([[7.0], [8.0]], "float32")
    (kept_a, kept_b), labels, index = pseudo_label(model, [a, b], threshold=0.9)
    assert index.tolist() == [0] and labels.tolist() == [0]
    np.testing.assert_array_equal(kept_b, [[7.0]])


def test_bad_threshold_and_non_classifier_are_explained():
    with pytest.raises(ValueError, match="threshold"):
        pseudo_label(_fixed_softmax_model(), np.zeros((1, 3), "float32"), threshold=1.5)
    regressor = cornu.Sequential([cornu.layers.Dense(1, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"class probabilities of shape \(samples, classes\)"):
        pseudo_label(regressor, np.zeros((2, 3), "float32"))
