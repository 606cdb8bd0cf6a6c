"""keras.utils.np_utils: the seed's `np_utils.to_categorical(y_train, 5)` and Keras 1's names."""

import numpy as np
import pytest

from cornu.legacy import np_utils


def test_the_seeds_to_categorical():
    y_train = np.array([3, 1, 0, 4, 2])
    Y_train = np_utils.to_categorical(y_train, 5)
    assert Y_train.dtype == np.float32 and Y_train.shape == (5, 5)
    np.testing.assert_array_equal(Y_train[1, :], [0.0, 1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(Y_train.argmax(1), y_train)


def test_keras_1_nb_classes_and_keras_2_dtype():
    with pytest.warns(
        DeprecationWarning, match="`nb_classes` is the Keras 1 name of `num_classes`; write `num_classes=3`"
    ):
        a = np_utils.to_categorical([2, 0], nb_classes=3)
    np.testing.assert_array_equal(a, np_utils.to_categorical([2, 0], num_classes=3))
    assert np_utils.to_categorical([1], 2, dtype="int64").tolist() == [[0, 1]]
    with pytest.raises(TypeError, match="Keep only num_classes=3"):
        np_utils.to_categorical([1], num_classes=3, nb_classes=3)


def test_probas_to_classes():
    assert np_utils.probas_to_classes(np.array([[0.2, 0.8], [0.9, 0.1]])).tolist() == [1, 0]
    assert np_utils.probas_to_classes(np.array([[0.7], [0.3]])).tolist() == [1, 0]
    assert np_utils.categorical_probas_to_classes([[0.1, 0.2, 0.7]]).tolist() == [2]
