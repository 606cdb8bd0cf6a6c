"""Keras 1 layer names: `merge(mode=...)` and `Merge([left, right])` give the Keras 3 merge layers' numbers;
`Convolution2D(32, 3, 3)` is `Conv2D(32, (3, 3))`."""

import numpy as np
import pytest

import cornu.layers as L
from cornu.legacy.layers import Convolution2D, Merge, merge
from cornu.models import Model, Sequential

A = np.array([[1.0, -2.0], [3.0, 4.0]])
B = np.array([[0.5, 2.0], [-1.0, 1.0]])


@pytest.mark.parametrize(
    "mode, kwargs, expected",
    [
        ("sum", {}, A + B),
        ("mul", {}, A * B),
        ("ave", {}, (A + B) / 2),
        ("max", {}, np.maximum(A, B)),
        ("concat", {"concat_axis": -1}, np.concatenate([A, B], -1)),
        ("dot", {"dot_axes": 1}, (A * B).sum(1, keepdims=True)),
        (
            "cos",
            {"dot_axes": 1},
            ((A * B).sum(1) / np.linalg.norm(A, axis=1) / np.linalg.norm(B, axis=1)).reshape(2, 1),
        ),
    ],
)
def test_merge_modes_compute_the_keras_3_layers_numbers(mode, kwargs, expected):
    a, b = L.Input((2,)), L.Input((2,))
    with pytest.warns(DeprecationWarning, match=f"`merge\\(mode='{mode}'\\)` is Keras 1's; write `"):
        out = merge([a, b], mode=mode, **kwargs)
    model = Model(inputs=[a, b], outputs=out)
    np.testing.assert_allclose(model.predict([A, B], verbose=0), expected, rtol=1e-6)


def test_merge_with_a_function_is_a_lambda():
    a, b = L.Input((2,)), L.Input((2,))
    with pytest.warns(DeprecationWarning, match=r"write `Lambda\(function\)\(inputs\)`"):
        out = merge([a, b], mode=lambda xs: xs[0] * 2 - xs[1], output_shape=(2,))
    np.testing.assert_allclose(Model([a, b], out).predict([A, B], verbose=0), 2 * A - B, rtol=1e-6)


def test_merge_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match=r"Lambda\(function\)\(inputs\)"):
        merge([L.Input((2,)), L.Input((2,))], mode="sub")


def test_convolution2d_builds_conv2d_with_one_kernel_size():
    with pytest.warns(DeprecationWarning, match=r"write `Conv2D\(32, \(3, 5\)\)`"):
        layer = Convolution2D(32, 3, 5, padding="same")
    assert type(layer) is L.Conv2D and (layer.filters, tuple(layer.kernel_size)) == (32, (3, 5))


def _branch(units, inputs, name):
    """A built Sequential branch whose Dense kernel is a fixed ramp (so the expected numbers are known)."""
    branch = Sequential(name=name)
    branch.add(L.Dense(units, input_dim=inputs))
    kernel = np.arange(inputs * units, dtype="float32").reshape(inputs, units) / 10
    branch.layers[0].set_weights([kernel, np.full(units, 0.5, "float32")])
    return branch, kernel


X_LEFT = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 2.0]], "float32")
X_RIGHT = np.array([[1.0, -1.0, 0.0], [2.0, 1.0, 1.0]], "float32")


@pytest.mark.parametrize(
    "mode, combine",
    [
        ("concat", lambda a, b: np.concatenate([a, b], -1)),
        ("sum", lambda a, b: a + b),
        ("mul", lambda a, b: a * b),
        ("ave", lambda a, b: (a + b) / 2),
        ("max", np.maximum),
        ("dot", lambda a, b: (a * b).sum(1, keepdims=True)),
        (
            "cos",
            lambda a, b: ((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)).reshape(-1, 1),
        ),
    ],
)
def test_merge_of_sequential_branches_inside_sequential(mode, combine):
    left, k_left = _branch(2, 3, "left")
    right, k_right = _branch(2, 3, "right")
    model = Sequential()
    with pytest.warns(DeprecationWarning, match=rf"`Merge\(\[...\], mode='{mode}'\)` is Keras 1's layer of models"):
        model.add(Merge([left, right], mode=mode, dot_axes=1))
    expected = combine(X_LEFT @ k_left + 0.5, X_RIGHT @ k_right + 0.5)
    np.testing.assert_allclose(model.predict([X_LEFT, X_RIGHT], verbose=0), expected, rtol=1e-5)


def test_merge_with_a_function_mode():
    left, k_left = _branch(2, 3, "left")
    right, k_right = _branch(2, 3, "right")
    with pytest.warns(DeprecationWarning, match=r"mode=function\)` .*Lambda\(function\)\(\[left.output"):
        model = Sequential([Merge([left, right], mode=lambda xs: xs[0] - 2 * xs[1], output_shape=(2,))])
    expected = (X_LEFT @ k_left + 0.5) - 2 * (X_RIGHT @ k_right + 0.5)
    np.testing.assert_allclose(model.predict([X_LEFT, X_RIGHT], verbose=0), expected, rtol=1e-5)


def test_merge_model_trains_its_branches_and_equals_the_functional_model():
    left, _ = _branch(4, 3, "left")
    right, _ = _branch(4, 3, "right")
    head = L.Dense(1, kernel_initializer="ones", name="head")
    model = Sequential([Merge([left, right], mode="concat"), head])
    functional = Model([left.input, right.input], head(L.concatenate([left.output, right.output])))
    np.testing.assert_allclose(
        model.predict([X_LEFT, X_RIGHT], verbose=0), functional.predict([X_LEFT, X_RIGHT], verbose=0), rtol=1e-6
    )
    before = left.layers[0].get_weights()[0].copy()
    model.compile(loss="mse", optimizer="sgd")
    model.fit([X_LEFT, X_RIGHT], np.zeros((2, 1)), epochs=1, verbose=0)
    assert len(model.trainable_weights) == 6  # both branches' kernels and biases, and the head's
    assert not np.allclose(left.layers[0].get_weights()[0], before)  # the branch was trained through the Merge


def test_merge_errors_say_what_to_write():
    left, _ = _branch(2, 3, "left")
    right, _ = _branch(2, 3, "right")
    with pytest.raises(ValueError, match=r"nor a function of the list of branch outputs"):
        Merge([left, right], mode="sub")
    with pytest.raises(ValueError, match=r"at least two models"):
        Merge([left])
    model = Sequential([Merge([left, right], mode="sum")])
    with pytest.raises(ValueError, match=r"one input array per branch, as a list: model.fit\(\[x_1, ..., x_2\], y\)"):
        model.predict([X_LEFT, X_RIGHT, X_LEFT], verbose=0)
    with pytest.raises(ValueError, match=r"has 2 branches and takes one input array per branch"):
        Sequential([Merge([left, right], mode="sum")]).predict(X_LEFT, verbose=0)
    with pytest.raises(NotImplementedError, match="save_weights"):
        model.layers[0].get_config()


def test_merge_model_weights_round_trip_and_whole_model_save_says_what_to_do(tmp_path):
    def build():
        left, _ = _branch(2, 3, "left")
        right, _ = _branch(2, 3, "right")
        return Sequential([Merge([left, right], mode="sum"), L.Dense(1, name="head")])

    model = build()
    model.compile(loss="mse", optimizer="sgd")
    model.fit([X_LEFT, X_RIGHT], np.ones((2, 1)), epochs=2, verbose=0)
    model.save_weights(tmp_path / "merge.weights.h5")
    other = build()
    other.predict([X_LEFT, X_RIGHT], verbose=0)  # built at the first call
    other.load_weights(tmp_path / "merge.weights.h5")
    np.testing.assert_allclose(
        other.predict([X_LEFT, X_RIGHT], verbose=0), model.predict([X_LEFT, X_RIGHT], verbose=0), rtol=1e-6
    )
    with pytest.raises(NotImplementedError, match=r"cannot be saved whole. Save the weights"):
        model.save(tmp_path / "merge.keras")
