"""`keras.backend as K`: configuration, values, and the math of Keras 1/2 custom losses, against numpy."""

import numpy as np
import pytest
import torch

import cornu
import cornu.layers
from cornu.legacy import backend as K

X = np.array([[1.0, -2.0, 3.0], [4.0, 0.5, -6.0]])


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "std", "var"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(name, axis, keepdims):
    ours = getattr(K, name)(torch.tensor(X), axis=axis, keepdims=keepdims)
    ref = getattr(np, name)(X, axis=axis, keepdims=keepdims)  # numpy's std/var divide by N, as Keras's do
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12)
    assert ours.shape == np.shape(ref)


def test_elementwise_and_shapes_match_numpy():
    t = torch.tensor(X)
    np.testing.assert_allclose(K.sqrt(t).numpy(), np.sqrt(np.maximum(X, 0)))  # negatives clip to 0, no NaN
    np.testing.assert_allclose(K.clip(t, -1, 1).numpy(), np.clip(X, -1, 1))
    np.testing.assert_allclose(K.square(t).numpy(), X**2)
    np.testing.assert_allclose(K.dot(t, t.T).numpy(), X @ X.T)
    np.testing.assert_allclose(K.batch_dot(t, t, axes=1).numpy(), (X * X).sum(1, keepdims=True))
    a, b = np.arange(24.0).reshape(2, 3, 4), np.arange(40.0).reshape(2, 4, 5)
    np.testing.assert_allclose(K.batch_dot(torch.tensor(a), torch.tensor(b)).numpy(), np.einsum("bij,bjk->bik", a, b))
    np.testing.assert_allclose(K.l2_normalize(t, axis=-1).numpy(), X / np.linalg.norm(X, axis=-1, keepdims=True))
    assert K.int_shape(K.batch_flatten(torch.zeros(2, 3, 4))) == (2, 12)
    assert K.switch(t > 0, t, K.zeros_like(t)).numpy().tolist() == np.where(X > 0, X, 0).tolist()
    np.testing.assert_allclose(K.hard_sigmoid(t).numpy(), np.clip(0.2 * X + 0.5, 0, 1))


def test_crossentropies_match_closed_forms():
    y, p = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_allclose(K.categorical_crossentropy(y, p).numpy(), -np.log([0.8, 0.6]), rtol=1e-6)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(K.binary_crossentropy(y, p).numpy(), bce, rtol=1e-6)


def test_a_keras_2_custom_loss_trains_as_its_closed_form():
    def rmse(y_true, y_pred):  # as Keras 2 tutorials wrote it
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))

    model = cornu.Sequential([cornu.layers.Dense(2, input_shape=(3,), kernel_initializer="ones", use_bias=False)])
    model.compile(loss=rmse, optimizer="sgd")
    x, y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])
    pred = x @ np.ones((3, 2))
    expected = np.sqrt(((pred - y) ** 2).mean(-1)).mean()
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-6)


def test_configuration_and_session():
    assert K.epsilon() == cornu.backend.epsilon() == 1e-7
    assert K.floatx() == "float32" and K.image_data_format() == "channels_last"
    assert K.image_dim_ordering() == "tf"
    cornu.layers.Dense(2)
    K.clear_session()
    assert cornu.layers.Dense(2).name == "dense"


def test_get_and_set_value_on_weights():
    layer = cornu.layers.Dense(2)
    layer.build_from_shape((None, 3))
    K.set_value(layer.kernel, np.full((3, 2), 0.5))
    np.testing.assert_array_equal(K.get_value(layer.kernel), np.full((3, 2), 0.5, dtype="float32"))
    assert K.batch_get_value([torch.tensor(1.0), 2.0]) == [1.0, 2.0]


def test_a_missing_function_says_why():
    with pytest.raises(AttributeError, match="`K.placeholder` is not in cornu's Keras backend.*torch.autograd.grad"):
        K.placeholder  # noqa: B018
