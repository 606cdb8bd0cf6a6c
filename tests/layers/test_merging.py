"""Merge layers and their functional forms against numpy: values, broadcasting, Dot's axes and normalization,
symbolic shapes, masks, configs and the shape errors (in Keras notation)."""

import numpy as np
import pytest
import torch

from cornu import layers as L
from cornu.layers import Add, Concatenate, Dot, Input, Maximum, Minimum, Subtract


def _xs(rng, *shapes):
    return [rng.normal(size=s) for s in shapes]


def _np(t):
    return t.detach().numpy()


def test_elementwise_merges(rng):
    a, b, c = _xs(rng, (2, 3), (2, 3), (2, 3))
    ta, tb, tc = (torch.tensor(v) for v in (a, b, c))
    np.testing.assert_allclose(_np(L.Add()([ta, tb, tc])), a + b + c, rtol=1e-12)
    np.testing.assert_allclose(_np(L.Subtract()([ta, tb])), a - b, rtol=1e-12)
    np.testing.assert_allclose(_np(L.Multiply()([ta, tb, tc])), a * b * c, rtol=1e-12)
    np.testing.assert_allclose(_np(L.Average()([ta, tb, tc])), (a + b + c) / 3, rtol=1e-12)
    np.testing.assert_allclose(_np(Maximum()([ta, tb, tc])), np.maximum(np.maximum(a, b), c), rtol=1e-12)
    np.testing.assert_allclose(_np(Minimum()([ta, tb])), np.minimum(a, b), rtol=1e-12)


def test_lower_rank_inputs_get_axes_after_the_batch(rng):
    a, b = _xs(rng, (2, 4, 3), (2, 3))
    np.testing.assert_allclose(_np(Add()([torch.tensor(a), torch.tensor(b)])), a + b[:, None, :], rtol=1e-12)
    assert Add()([Input((4, 3)), Input((3,))]).shape == (None, 4, 3)
    assert L.Multiply()([Input((4, 1)), Input((4, 5))]).shape == (None, 4, 5)


def test_functional_forms_are_the_layers(rng):
    a, b = _xs(rng, (2, 3), (2, 3))
    ta, tb = torch.tensor(a), torch.tensor(b)
    np.testing.assert_allclose(_np(L.add([ta, tb])), a + b, rtol=1e-12)
    np.testing.assert_allclose(_np(L.subtract([ta, tb])), a - b, rtol=1e-12)
    np.testing.assert_allclose(_np(L.multiply([ta, tb])), a * b, rtol=1e-12)
    np.testing.assert_allclose(_np(L.average([ta, tb])), (a + b) / 2, rtol=1e-12)
    np.testing.assert_allclose(_np(L.maximum([ta, tb])), np.maximum(a, b), rtol=1e-12)
    np.testing.assert_allclose(_np(L.minimum([ta, tb])), np.minimum(a, b), rtol=1e-12)
    np.testing.assert_allclose(_np(L.concatenate([ta, tb], axis=0)), np.concatenate([a, b], 0), rtol=1e-12)
    np.testing.assert_allclose(_np(L.dot([ta, tb], axes=1)), (a * b).sum(1, keepdims=True), rtol=1e-12)
    assert L.add([Input((3,)), Input((3,))], name="sum")._keras_history[0].name == "sum"


def test_concatenate_values_and_shapes(rng):
    a, b = _xs(rng, (2, 3, 4), (2, 1, 4))
    out = Concatenate(axis=1)([torch.tensor(a), torch.tensor(b)])
    np.testing.assert_array_equal(_np(out), np.concatenate([a, b], axis=1))
    assert Concatenate()([Input((3,)), Input((5,))]).shape == (None, 8)
    assert Concatenate(axis=1)([Input((None, 4)), Input((2, 4))]).shape == (None, None, 4)


def test_concatenate_shape_error_names_the_shapes_in_keras_notation():
    with pytest.raises(ValueError) as info:
        Concatenate()([Input((10,)), Input((5, 2))])
    assert str(info.value) == (
        "Concatenate needs inputs with matching shapes except along axis -1; received (None, 10) and (None, 5, 2)."
    )
    with pytest.raises(ValueError, match=r"except along axis 1; received \(None, 2, 3\) and \(None, 2, 4\)"):
        Concatenate(axis=1)([torch.ones(2, 2, 3), torch.ones(2, 2, 4)])


def test_elementwise_shape_errors():
    with pytest.raises(ValueError, match=r"Add needs inputs of the same shape .*received \(None, 3\) and \(None, 4\)"):
        Add()([Input((3,)), Input((4,))])
    with pytest.raises(ValueError, match="Subtract needs exactly 2 inputs; received 3"):
        Subtract()([Input((3,))] * 3)
    with pytest.raises(ValueError, match=r"must be called on a list of tensors, e.g. Add\(\)\(\[a, b\]\)"):
        Add()(Input((3,)))
    with pytest.raises(ValueError, match="one batch size"):
        Add()([torch.ones(2, 3), torch.ones(3, 3)])
    layer = Add()
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match=r"received \(None, 3\) and \(None, 4\)"):  # a later call, other shapes
        layer([torch.ones(2, 3), torch.ones(2, 4)])
    layer = Concatenate()
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match=r"axis -1; received \(None, 3\) and \(None, 2, 3\)"):
        layer([torch.ones(2, 3), torch.ones(2, 2, 3)])


def test_dot_matches_einsum(rng):
    a, b = _xs(rng, (2, 3, 5), (2, 4, 3))
    out = Dot(axes=(1, 2))([torch.tensor(a), torch.tensor(b)])
    np.testing.assert_allclose(_np(out), np.einsum("bji,bkj->bik", a, b), rtol=1e-12)
    a, b = _xs(rng, (2, 3, 4, 5), (2, 4, 2))
    out = Dot(axes=(2, 1))([torch.tensor(a), torch.tensor(b)])
    np.testing.assert_allclose(_np(out), np.einsum("bijk,bjl->bikl", a, b), rtol=1e-12)
    assert Dot(axes=(2, 1))([Input((3, 4, 5)), Input((4, 2))]).shape == (None, 3, 5, 2)
    assert Dot(axes=-1)([Input((3,)), Input((3,))]).shape == (None, 1)


def test_dot_normalize_gives_cosine_similarity(rng):
    a, b = _xs(rng, (3, 4), (3, 4))
    out = Dot(axes=1, normalize=True)([torch.tensor(a), torch.tensor(b)])
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(_np(out).ravel(), cosine, rtol=1e-12)
    zero = Dot(axes=1, normalize=True)([torch.zeros(1, 2, dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64)])
    assert _np(zero).tolist() == [[0.0]]  # Keras's epsilon floor: no NaN for a zero vector


def test_dot_errors_and_config():
    with pytest.raises(ValueError, match=r"sizes along axes \(1, 1\) to match; received \(None, 3\) and \(None, 4\)"):
        Dot(axes=1)([Input((3,)), Input((4,))])
    with pytest.raises(ValueError, match="non-batch axes"):
        Dot(axes=0)([Input((3,)), Input((3,))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Dot(axes=1)([Input((3,))] * 3)
    with pytest.raises(ValueError, match="pair of integers"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="axes"):
        Dot(axes="1")
    config = Dot(axes=(1, 2), normalize=True).get_config()
    assert config["axes"] == (1, 2) and config["normalize"] is True
    assert Dot.from_config(config).get_config() == config


def test_merge_masks():
    m1, m2 = torch.tensor([[True, False, True]]), torch.tensor([[True, True, False]])
    x = torch.ones(1, 3, 2)
    np.testing.assert_array_equal(Add().compute_mask([x, x], [m1, m2]).numpy(), [[True, False, False]])
    assert Add().compute_mask([x, x], [None, None]) is None
    out = Concatenate(axis=1).compute_mask([x, x], [m1, None]).numpy()
    np.testing.assert_array_equal(out, [[True, False, True, True, True, True]])
    assert Dot(axes=1).compute_mask([x, x], [m1, m2]) is None


def test_merge_layers_in_a_functional_model_train(rng):
    from cornu.models import Model

    a, b = Input((3,)), Input((3,))
    h = L.concatenate([L.add([a, b]), L.multiply([a, b]), L.Dot(axes=1)([a, b])])
    model = Model([a, b], L.Dense(1)(h))
    xa, xb = (rng.normal(size=(8, 3)).astype("float32") for _ in range(2))
    h_ref = np.concatenate([xa + xb, xa * xb, (xa * xb).sum(1, keepdims=True)], axis=1)
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0), h_ref @ kernel + bias, rtol=1e-5, atol=1e-6)
