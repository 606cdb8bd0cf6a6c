"""Keras 1 layer names: `merge(mode=...)` gives the Keras 3 merge layer's numbers; `Convolution2D(32, 3, 3)`."""

import numpy as np
import pytest

import cornu.layers as L
from cornu.legacy.layers import Convolution2D, merge
from cornu.models import Model

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


def test_merge_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match=r"Lambda\(function\)\(inputs\)"):
        merge([L.Input((2,)), L.Input((2,))], mode="sub")


def test_convolution2d_builds_conv2d_with_one_kernel_size():
    if not hasattr(L, "Conv2D"):
        with pytest.raises(NotImplementedError, match="Convolution2D is Keras 1/2's name of Conv2D"):
            Convolution2D(32, 3, 3)
        return
    with pytest.warns(DeprecationWarning, match=r"write `Conv2D\(32, \(3, 5\)\)`"):
        layer = Convolution2D(32, 3, 5, padding="same")
    assert type(layer) is L.Conv2D and (layer.filters, tuple(layer.kernel_size)) == (32, (3, 5))
