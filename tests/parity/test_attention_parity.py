"""Parity of the attention and extra normalization layers with Keras 3.15 (torch backend): Keras's weights loaded
with set_weights, then the same outputs (rtol 1e-4), the same gradients with respect to inputs and weights, masks,
causal masks, attention scores and configs."""

import numpy as np
import pytest
import torch

from cornu.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from cornu.layers.normalization_extra import AlphaDropout, GroupNormalization, UnitNormalization

keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-4, 1e-5


@pytest.fixture(autouse=True)
def _reset_keras_names():
    yield
    keras.backend.clear_session()


def _np(t):
    return keras.ops.convert_to_numpy(t) if not isinstance(t, torch.Tensor) else t.detach().numpy()


def _weights_of(layer, is_keras):
    return [w.value for w in layer.trainable_weights] if is_keras else list(layer.trainable_weights)


def _compare(ref, ours, args, kwargs=None, list_input=False):
    """Copies Keras's weights into ours, then compares outputs, input gradients and weight gradients of a random
    linear loss on every output."""
    kwargs = kwargs or {}
    call_args = [list(args)] if list_input else list(args)

    def run(layer, is_keras):
        tensors = [torch.tensor(a, requires_grad=True) for a in args]
        call = dict(kwargs)
        if is_keras and "query_mask" in call:
            # Keras reads the query's mask from the tensor (it overwrites a query_mask= argument); cornu takes it
            # explicitly, so Keras gets it the way a masking layer before it would hand it over.
            keras.src.backend.set_keras_mask(tensors[0], torch.tensor(call.pop("query_mask")))
        out = layer(tensors, **call) if list_input else layer(*tensors, **call)
        outs = out if isinstance(out, tuple) else (out,)
        loss = 0
        for i, o in enumerate(outs):
            c = torch.as_tensor(np.random.default_rng(i + 1).normal(size=tuple(o.shape)), dtype=o.dtype)
            loss = loss + (o * c).sum()
        loss.backward()
        grads = [w.grad.numpy() for w in _weights_of(layer, is_keras)]
        return [_np(o) for o in outs], [t.grad.numpy() for t in tensors], grads

    ref(*call_args, **{k: v for k, v in kwargs.items() if k not in ("training", "query_mask")})
    ours(*call_args, **{k: v for k, v in kwargs.items() if k != "training"})
    ours.set_weights(ref.get_weights())
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in ref.get_weights()]
    want, got = run(ref, True), run(ours, False)
    for part_want, part_got in zip(want, got):
        assert len(part_want) == len(part_got)
        for w, g in zip(part_want, part_got):
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)
    return got


RNG = np.random.default_rng(0)
Q = RNG.normal(size=(2, 4, 5)).astype("float32")
V = RNG.normal(size=(2, 6, 7)).astype("float32")
K = RNG.normal(size=(2, 6, 3)).astype("float32")
ATTN_MASK = RNG.random((2, 4, 6)) > 0.3
VALUE_MASK = np.array([[True] * 4 + [False] * 2, [True] * 6])
QUERY_MASK = np.array([[True] * 3 + [False], [True] * 4])

MHA_CASES = [
    ({}, {}),
    ({"value_dim": 2, "output_shape": (3,)}, {}),
    ({"output_shape": (2, 3)}, {}),
    ({"use_bias": False}, {}),
    ({"use_gate": True}, {"use_causal_mask": True}),
    ({"sliding_window": 2}, {}),
    ({}, {"attention_mask": ATTN_MASK}),
    ({}, {"attention_mask": ATTN_MASK, "use_causal_mask": True}),
    ({}, {"value_mask": VALUE_MASK, "query_mask": QUERY_MASK}),
    ({}, {"return_attention_scores": True}),
    ({}, {"return_attention_scores": True, "attention_mask": ATTN_MASK, "use_causal_mask": True}),
    ({"dropout": 0.5}, {"training": False}),
]


@pytest.mark.parametrize("config, call", MHA_CASES)
def test_multi_head_attention_matches_keras(config, call):
    ref, ours = keras.layers.MultiHeadAttention(2, 3, **config), MultiHeadAttention(2, 3, **config)
    _compare(ref, ours, (Q, V), call)


def test_multi_head_attention_with_separate_key_matches_keras():
    ref, ours = keras.layers.MultiHeadAttention(3, 2), MultiHeadAttention(3, 2)
    _compare(ref, ours, (Q, V, K), {"return_attention_scores": True})


@pytest.mark.parametrize("axes", [None, (2,), (1, 2)])
def test_multi_head_attention_over_other_axes_matches_keras(axes):
    x = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
    ref, ours = (
        keras.layers.MultiHeadAttention(2, 3, attention_axes=axes),
        MultiHeadAttention(2, 3, attention_axes=axes),
    )
    out, scores = _compare(ref, ours, (x, x), {"return_attention_scores": True})[0]
    assert scores.shape == tuple(keras.ops.convert_to_numpy(ref(x, x, return_attention_scores=True)[1]).shape)


def test_multi_head_attention_weights_and_config_match_keras():
    ref, ours = keras.layers.MultiHeadAttention(2, 3, use_gate=True), MultiHeadAttention(2, 3, use_gate=True)
    ref(Q, V)
    ours(Q, V)
    assert [w.path.split("/", 1)[1] for w in ref.weights] == [
        f"{w_layer}/{w}"
        for w_layer in ("query", "key", "gate", "value", "attention_output")
        for w in ("kernel", "bias")
    ]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.weights]
    want, got = ref.get_config(), ours.get_config()
    assert set(got) == set(want)
    for key in set(want) - {"dtype", "name", "kernel_initializer", "bias_initializer"}:
        assert got[key] == want[key], key


def test_multi_head_attention_dropout_is_active_only_in_training():
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=1)
    a = layer(Q, V, training=False).detach().numpy()
    b = layer(Q, V, training=False).detach().numpy()
    c = layer(Q, V, training=True).detach().numpy()
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3


@pytest.mark.parametrize(
    "config, call",
    [
        ({}, {}),
        ({"use_scale": True}, {}),
        ({"score_mode": "concat"}, {}),
        ({"score_mode": "concat", "use_scale": True}, {"use_causal_mask": True}),
        ({}, {"mask": [QUERY_MASK, VALUE_MASK], "return_attention_scores": True}),
        ({}, {"use_causal_mask": True, "mask": [None, VALUE_MASK], "return_attention_scores": True}),
    ],
)
def test_attention_matches_keras(config, call):
    q, v = Q[..., :3], K
    _compare(keras.layers.Attention(**config), Attention(**config), (q, v), call, list_input=True)
    _compare(keras.layers.Attention(**config), Attention(**config), (q, v, v * 2), call, list_input=True)


@pytest.mark.parametrize("use_scale", [True, False])
def test_additive_attention_matches_keras(use_scale):
    q, v = Q[..., :3], K
    call = {"mask": [QUERY_MASK, VALUE_MASK], "return_attention_scores": True}
    _compare(keras.layers.AdditiveAttention(use_scale=use_scale), AdditiveAttention(use_scale=use_scale), (q, v), call,
             list_input=True)  # fmt: skip


def test_attention_configs_match_keras():
    for ref, ours in [
        (keras.layers.Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=3),
         Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=3)),
        (keras.layers.AdditiveAttention(use_scale=False), AdditiveAttention(use_scale=False)),
    ]:  # fmt: skip
        want, got = ref.get_config(), ours.get_config()
        assert set(got) == set(want)
        assert {k: got[k] for k in want if k not in ("dtype", "name")} == {
            k: want[k] for k in want if k not in ("dtype", "name")
        }


GROUP_CASES = [
    ({"groups": 2}, (2, 3, 4)),
    ({"groups": -1}, (2, 5, 4)),
    ({"groups": 1, "axis": 1}, (2, 4, 3)),
    ({"groups": 2, "axis": 1}, (2, 4, 2, 3)),
    ({"groups": 2, "center": False}, (2, 4)),
]


@pytest.mark.parametrize("config, shape", GROUP_CASES)
def test_group_normalization_matches_keras(config, shape):
    x = RNG.normal(size=shape).astype("float32") * 3 + 1
    ref, ours = keras.layers.GroupNormalization(**config), GroupNormalization(**config)
    ref(x)
    ours(x)
    ref.set_weights([RNG.normal(size=w.shape).astype("float32") for w in ref.get_weights()])
    _compare(ref, ours, (x,))
    want, got = ref.get_config(), ours.get_config()
    assert set(got) == set(want) and got["groups"] == want["groups"]


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_unit_normalization_matches_keras(axis):
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    x[0, 0] = 0.0  # an all-zero row stays zero on both sides
    ref, ours = keras.layers.UnitNormalization(axis=axis), UnitNormalization(axis=axis)
    _compare(ref, ours, (x,))
    assert ours.get_config()["axis"] == ref.get_config()["axis"]


def test_alpha_dropout_statistics_and_config_match_keras():
    x = RNG.normal(size=(200, 100)).astype("float32")
    ref, ours = keras.layers.AlphaDropout(0.2, seed=1), AlphaDropout(0.2, seed=1)
    np.testing.assert_array_equal(ours(x, training=False).numpy(), x)
    want, got = _np(ref(x, training=True)), _np(ours(x, training=True))
    # both keep a SELU-normalized input at mean 0 and variance 1, and drop to the same value a * alpha_p + b
    for out in (want, got):
        assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p**2)) ** -0.5
    dropped = a * alpha_p - a * alpha_p * 0.2  # a * alpha_p + b, the value every dropped unit takes
    for out in (want, got):
        assert abs(np.isclose(out, dropped, rtol=1e-6).mean() - 0.2) < 0.01
    assert {k: v for k, v in ours.get_config().items() if k not in ("dtype", "name")} == {
        k: v for k, v in ref.get_config().items() if k not in ("dtype", "name")
    }


def test_explicit_query_mask_is_a_deliberate_difference():
    # Keras 3.15 overwrites a query_mask= argument with the mask carried by the query tensor (None for plain
    # arrays), so the argument alone changes nothing; cornu's models do not attach masks to tensors, so cornu honours
    # the argument (Keras's result for a query carrying that mask: test_multi_head_attention_matches_keras).
    ref, ours = keras.layers.MultiHeadAttention(2, 3), MultiHeadAttention(2, 3)
    ref(Q, V)
    ours(Q, V)
    ours.set_weights(ref.get_weights())
    plain = _np(ref(Q, V))
    np.testing.assert_allclose(_np(ref(Q, V, query_mask=QUERY_MASK)), plain, rtol=1e-6)
    np.testing.assert_allclose(_np(ours(Q, V)), plain, rtol=RTOL, atol=ATOL)
    assert np.abs(_np(ours(Q, V, query_mask=QUERY_MASK)) - plain).max() > 1e-3


@pytest.mark.parametrize("use_gate", [False, True])
def test_keras_files_with_attention_load_in_cornu(tmp_path, use_gate):
    import cornu

    x = keras.Input((4, 6))
    y = keras.layers.MultiHeadAttention(2, 3, use_gate=use_gate)(x, x)
    y = keras.layers.UnitNormalization()(keras.layers.GroupNormalization(2)(y))
    model = keras.Model(x, y)
    model.save(tmp_path / "attention.keras")  # MHA's projections are saved under query_dense/, key_dense/, ...
    ours = cornu.models.load_model(tmp_path / "attention.keras")
    data = RNG.normal(size=(2, 4, 6)).astype("float32")
    np.testing.assert_allclose(ours.predict(data, verbose=0), _np(model(data)), rtol=RTOL, atol=ATOL)
    mha = [layer for layer in ours.layers if isinstance(layer, MultiHeadAttention)][0]
    want = keras.saving.load_model(tmp_path / "attention.keras").layers[1].get_build_config()
    assert mha.get_build_config() == want


def test_masks_from_a_masked_embedding_reach_attention_as_in_keras():
    import cornu

    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])
    models = []
    for lib in (keras, cornu):
        inputs = lib.layers.Input((5,), dtype="int64")
        x = lib.layers.Embedding(10, 6, mask_zero=True)(inputs)
        x = lib.layers.MultiHeadAttention(2, 3)(x, x)
        models.append(lib.models.Model(inputs, x))
    ref, ours = models
    ours.set_weights(ref.get_weights())
    want = _np(ref(tokens))
    np.testing.assert_allclose(ours.predict(tokens, verbose=0), want, rtol=RTOL, atol=ATOL)
    # the padded keys get no attention: the first sample's unpadded outputs ignore what the padding embeds
    unmasked = MultiHeadAttention(2, 3)
    emb = ours.layers[1](torch.tensor(tokens))
    unmasked(emb, emb)
    unmasked.set_weights(ours.layers[2].get_weights())
    assert np.abs(_np(unmasked(emb.detach(), emb.detach()))[0, :3] - want[0, :3]).max() > 1e-4


@pytest.mark.parametrize("layer_name", ["Attention", "AdditiveAttention"])
def test_masks_from_a_masked_embedding_reach_dot_attention_as_in_keras(layer_name):
    import cornu

    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])
    models = []
    for lib in (keras, cornu):
        inputs = lib.layers.Input((5,), dtype="int64")
        x = lib.layers.Embedding(10, 6, mask_zero=True)(inputs)
        x = getattr(lib.layers, layer_name)()([x, x])
        models.append(lib.models.Model(inputs, x))
    ref, ours = models
    ours.set_weights(ref.get_weights())
    want = _np(ref(tokens))
    assert np.all(want[0, 3:] == 0)  # masked query positions give zeros
    np.testing.assert_allclose(ours.predict(tokens, verbose=0), want, rtol=RTOL, atol=ATOL)
