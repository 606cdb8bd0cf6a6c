"""Unit tests of the attention layers and the extra normalization layers: closed forms in float64, masks, symbolic
use in functional models, config round trips and errors."""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from cornu.layers.normalization_extra import AlphaDropout, GroupNormalization, UnitNormalization


def _reference_mha(layer, q, v, mask=None):
    """Multi-head attention written out in float64 numpy from the layer's weights."""
    wq, bq, wk, bk, wv, bv, wo, bo = [w.astype("float64") for w in layer.get_weights()]
    qp = np.einsum("btd,dnh->btnh", q, wq) + bq
    kp = np.einsum("bsd,dnh->bsnh", v, wk) + bk
    vp = np.einsum("bsd,dnh->bsnh", v, wv) + bv
    logits = np.einsum("btnh,bsnh->bnts", qp, kp) / np.sqrt(wq.shape[-1])
    if mask is not None:
        logits = np.where(mask[:, None], logits, -1e9)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    heads = np.einsum("bnts,bsnh->btnh", probs, vp)
    return np.einsum("btnh,nho->bto", heads, wo) + bo, probs


def test_multi_head_attention_matches_a_float64_reference():
    rng = np.random.default_rng(0)
    q, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 6))
    mask = rng.random((2, 3, 5)) > 0.3
    mask[..., 0] = True
    layer = MultiHeadAttention(2, 3, dtype="float64")
    out, scores = layer(q, v, attention_mask=mask, return_attention_scores=True)
    want_out, want_scores = _reference_mha(layer, q, v, mask)
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=1e-10)
    np.testing.assert_allclose(scores.detach().numpy(), want_scores, rtol=1e-10, atol=1e-12)
    # the fused path (no scores asked for) gives the same numbers
    np.testing.assert_allclose(layer(q, v, attention_mask=mask).detach().numpy(), want_out, rtol=1e-10)


def test_causal_mask_hides_the_future():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 4, 6))
    layer = MultiHeadAttention(2, 3, dtype="float64")
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(scores.detach().numpy()[0, 0], 1) == 0)
    y = x.copy()
    y[0, 3] += 10.0  # changing the last step leaves earlier outputs alone
    a, b = layer(x, x, use_causal_mask=True), layer(y, y, use_causal_mask=True)
    np.testing.assert_allclose(a[0, :3].detach().numpy(), b[0, :3].detach().numpy(), rtol=1e-12)


def test_multi_head_attention_in_a_functional_model_and_from_config():
    inputs = cornu.layers.Input((4, 8))
    layer = MultiHeadAttention(2, 4, name="mha")
    out, scores = layer(inputs, inputs, return_attention_scores=True)
    assert out.shape == (None, 4, 8) and scores.shape == (None, 2, 4, 4)
    model = cornu.models.Model(inputs, out)
    x = np.random.default_rng(0).normal(size=(3, 4, 8)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), layer(x, x).detach().numpy(), rtol=1e-5, atol=1e-6)
    clone = MultiHeadAttention.from_config(layer.get_config())
    clone(x, x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x, x).detach().numpy(), layer(x, x).detach().numpy(), rtol=1e-6)
    assert layer.compute_output_shape((None, 4, 8), (None, 4, 8)) == (None, 4, 8)
    assert len(model.trainable_weights) == 8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_heads": 0, "key_dim": 2}, "num_heads=0"),
        ({"num_heads": 2, "key_dim": "a"}, "key_dim='a'"),
        ({"num_heads": 2, "key_dim": 2, "dropout": 2.0}, "dropout=2.0"),
        ({"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window=0"),
        ({"num_heads": 2, "key_dim": 2, "flash_attention": True, "dropout": 0.1}, "dropout=0.0"),
        ({"num_heads": 2, "key_dim": 2, "attention_axes": "x"}, "attention_axes"),
    ],
)
def test_multi_head_attention_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


def test_multi_head_attention_call_errors():
    with pytest.raises(TypeError, match=r"layer\(query, value\)"):
        MultiHeadAttention(2, 2)(np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match="value and key"):
        MultiHeadAttention(2, 2)(np.ones((1, 2, 3)), np.ones((1, 4, 3)), np.ones((1, 5, 3)))


def test_attention_closed_forms():
    q = np.array([[[1.0, 0.0], [0.0, 2.0]]])
    v = np.array([[[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]]])
    out, scores = Attention(dtype="float64")([q, v], return_attention_scores=True)
    logits = q @ v[0].T
    want = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(scores.detach().numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), want @ v[0], rtol=1e-12)
    # a masked value gets no weight; a masked query gives zeros
    out, scores = Attention(dtype="float64")(
        [q, v], mask=[np.array([[True, False]]), np.array([[True, True, False]])], return_attention_scores=True
    )
    assert scores[0, 0, 2] < 1e-300 and np.all(out[0, 1].detach().numpy() == 0)
    concat = Attention(score_mode="concat", dtype="float64")([q, v], return_attention_scores=True)[1]
    logits = np.tanh(q[0][:, None] + v[0][None]).sum(-1)
    np.testing.assert_allclose(
        concat[0].detach().numpy(), np.exp(logits) / np.exp(logits).sum(-1, keepdims=True), rtol=1e-12
    )


def test_additive_attention_uses_its_scale():
    layer = AdditiveAttention(dtype="float64")
    q, v = np.zeros((1, 1, 2)), np.array([[[1.0, 0.0], [0.0, 1.0]]])
    layer([q, v])
    layer.set_weights([np.array([2.0, 0.0])])
    logits = np.array([2 * np.tanh(1.0), 0.0])
    weights = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(layer([q, v]).detach().numpy()[0, 0], weights @ v[0], rtol=1e-12)
    assert [w.shape for w in layer.get_weights()] == [(2,)]


def test_attention_errors():
    with pytest.raises(ValueError, match="score_mode='add'"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match=r"\[query, value\]"):
        Attention()(np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match="mask=\\[None, value_mask\\]"):
        Attention()([np.ones((1, 2, 3)), np.ones((1, 2, 3))], mask=np.ones((1, 2)))


def test_group_normalization_float64_reference_and_errors():
    x = np.random.default_rng(0).normal(size=(2, 3, 6))
    out = GroupNormalization(groups=3, dtype="float64")(x).detach().numpy()
    g = x.reshape(2, 3, 3, 2)
    want = (g - g.mean((1, 3), keepdims=True)) / np.sqrt(g.var((1, 3), keepdims=True) + 1e-3)
    np.testing.assert_allclose(out, want.reshape(2, 3, 6), rtol=1e-10)
    with pytest.raises(ValueError, match="groups=0"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match="groups=3"):
        GroupNormalization(groups=4)(np.ones((1, 6)))


def test_unit_normalization_and_alpha_dropout():
    out = UnitNormalization(axis=[1, 2], dtype="float64")(np.full((1, 2, 2), 3.0)).numpy()
    np.testing.assert_allclose(out, np.full((1, 2, 2), 0.5), rtol=1e-12)
    with pytest.raises(TypeError, match="axis='x'"):
        UnitNormalization(axis="x")
    with pytest.raises(ValueError, match="rate=1.5"):
        AlphaDropout(1.5)
    a = AlphaDropout(0.3, seed=4)(torch.ones(4, 5), training=True)
    b = AlphaDropout(0.3, seed=4)(torch.ones(4, 5), training=True)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    shared = AlphaDropout(0.5, noise_shape=(4, 1), seed=0)(torch.ones(4, 5), training=True).numpy()
    assert np.all(shared == shared[:, :1])


META_CASES = [
    (lambda: MultiHeadAttention(2, 3, dropout=0.5), {"use_causal_mask": True, "return_attention_scores": True}),
    (lambda: MultiHeadAttention(2, 3), {"attention_mask": True}),
    (lambda: MultiHeadAttention(2, 3, use_gate=True, sliding_window=2), {}),
]


@pytest.mark.parametrize("make, call", META_CASES)
def test_multi_head_attention_training_step_does_not_sync_the_host(make, call):
    layer = make()
    layer(np.zeros((2, 4, 5), "float32"), np.zeros((2, 6, 5), "float32"))
    layer.to("meta")
    if call.get("attention_mask"):
        call = {"attention_mask": torch.empty(2, 4, 6, dtype=torch.bool, device="meta")}
    q, v = torch.empty(2, 4, 5, device="meta"), torch.empty(2, 6, 5, device="meta")
    out = layer(q, v, training=True, **call)
    out = out[0] if isinstance(out, tuple) else out
    assert out.device.type == "meta" and tuple(out.shape) == (2, 4, 5)


@pytest.mark.parametrize(
    "layer, shape",
    [(GroupNormalization(2), (2, 3, 4)), (UnitNormalization(), (2, 3)), (AlphaDropout(0.3), (2, 3))],
)
def test_extra_normalization_layers_do_not_sync_the_host(layer, shape):
    layer(torch.zeros(shape))
    layer.to("meta")
    assert layer(torch.empty(shape, device="meta"), training=True).device.type == "meta"


def test_attention_layers_do_not_sync_the_host():
    for layer in (Attention(use_scale=True, score_mode="concat", dropout=0.2), AdditiveAttention(dropout=0.2)):
        layer([torch.zeros(2, 3, 4), torch.zeros(2, 5, 4)])
        layer.to("meta")
        mask = [torch.empty(2, 3, dtype=torch.bool, device="meta"), torch.empty(2, 5, dtype=torch.bool, device="meta")]
        out = layer(
            [torch.empty(2, 3, 4, device="meta"), torch.empty(2, 5, 4, device="meta")], mask=mask, training=True
        )
        assert out.device.type == "meta"
