"""cornu.losses against float64 NumPy closed forms; reductions, weights, masks; names, configs; check_targets."""

import math
import warnings

import numpy as np
import pytest
import torch

import cornu.losses as L
from cornu.losses.base import reduce_weighted_values, squeeze_or_expand_to_same_rank

EPS = 1e-7


# ---- float64 references, written from the formulas ----
def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _bce(t, p):
    p = _clip(p)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _signed(t):
    return 2 * t - 1 if np.isin(t, [0, 1]).all() else t


def _unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-7)


def _smooth_binary(t, s):
    return t * (1 - s) + 0.5 * s


def _smooth_categorical(t, s):
    return t * (1 - s) + s / t.shape[-1]


REFERENCES = {
    "mean_squared_error": lambda t, p: ((t - p) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(t - p).mean(-1),
    "mean_absolute_percentage_error": lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "mean_squared_logarithmic_error": lambda t, p: (
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2
    ).mean(-1),
    "cosine_similarity": lambda t, p: -(_unit(t) * _unit(p)).sum(-1),
    "log_cosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "hinge": lambda t, p: np.maximum(1 - _signed(t) * p, 0).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - _signed(t) * p, 0) ** 2).mean(-1),
    "categorical_hinge": lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "kl_divergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "binary_crossentropy": lambda t, p: _bce(t, p).mean(-1),
    "categorical_crossentropy": lambda t, p: -(t * np.log(_clip(p / p.sum(-1, keepdims=True)))).sum(-1),
}


def _huber(t, p, delta):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2).mean(-1)


def _binary_focal(t, p, gamma, alpha=None):
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t) ** gamma * _bce(t, p)
    if alpha is not None:
        focal = (t * alpha + (1 - t) * (1 - alpha)) * focal
    return focal.mean(-1)


def _categorical_focal(t, p, alpha, gamma):
    q = _clip(p / p.sum(-1, keepdims=True))
    return (alpha * (1 - q) ** gamma * -t * np.log(q)).sum(-1)


def _data(kind, rng, shape=(5, 4)):
    if kind == "real":
        return rng.normal(size=shape), rng.normal(size=shape)
    if kind == "positive":
        return rng.uniform(0, 2, size=shape), rng.uniform(0.1, 2, size=shape)
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype(float), rng.uniform(0.02, 0.98, size=shape)
    if kind == "one_hot":
        return np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])], rng.uniform(0.01, 2, size=shape)
    if kind == "distribution":
        p, q = rng.uniform(size=shape), rng.uniform(size=shape)
        return p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)
    raise ValueError(kind)


def _t(x):
    return torch.tensor(x, dtype=torch.float64)


KINDS = {
    "mean_squared_error": "real",
    "mean_absolute_error": "real",
    "mean_absolute_percentage_error": "real",
    "mean_squared_logarithmic_error": "positive",
    "cosine_similarity": "real",
    "log_cosh": "real",
    "hinge": "real",
    "squared_hinge": "real",
    "categorical_hinge": "one_hot",
    "kl_divergence": "distribution",
    "poisson": "positive",
    "binary_crossentropy": "binary",
    "categorical_crossentropy": "one_hot",
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_function_matches_float64_closed_form(name, rng):
    y_true, y_pred = _data(KINDS[name], rng)
    got = getattr(L, name)(_t(y_true), _t(y_pred))
    assert got.dtype == torch.float64 and got.shape == (5,)
    np.testing.assert_allclose(got.numpy(), REFERENCES[name](y_true, y_pred), rtol=1e-10, atol=1e-12)


def test_hinge_maps_zero_one_labels_to_signs(rng):
    y_true, y_pred = rng.integers(0, 2, size=(5, 4)).astype(float), rng.normal(size=(5, 4))
    want = np.maximum(1 - (2 * y_true - 1) * y_pred, 0).mean(-1)
    np.testing.assert_allclose(L.hinge(_t(y_true), _t(y_pred)).numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_closed_form(delta, rng):
    y_true, y_pred = _data("real", rng)
    got = L.huber(_t(y_true), _t(y_pred), delta=delta).numpy()
    np.testing.assert_allclose(got, _huber(y_true, y_pred, delta), rtol=1e-12)


def test_log_cosh_does_not_overflow_for_large_errors():
    got = L.log_cosh(torch.tensor([[0.0]]), torch.tensor([[200.0]])).item()
    assert got == pytest.approx(200.0 - math.log(2.0), rel=1e-6)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_binary_crossentropy_probabilities_and_logits(smoothing, rng):
    y_true, logits = rng.integers(0, 2, size=(5, 4)).astype(float), 3 * rng.normal(size=(5, 4))
    smoothed = _smooth_binary(y_true, smoothing)
    want = _bce(smoothed, _sigmoid(logits)).mean(-1)
    got = L.binary_crossentropy(_t(y_true), _t(logits), from_logits=True, label_smoothing=smoothing)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9)
    got = L.binary_crossentropy(_t(y_true), _t(_sigmoid(logits)), label_smoothing=smoothing)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9)


def test_binary_crossentropy_clips_probabilities_to_epsilon():
    got = L.binary_crossentropy(_t([[1.0]]), _t([[0.0]])).item()
    assert got == pytest.approx(-math.log(EPS), rel=1e-9)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_categorical_crossentropy_probabilities_and_logits(smoothing, rng):
    y_true, y_pred = _data("one_hot", rng)
    logits = 3 * rng.normal(size=y_pred.shape)
    smoothed = _smooth_categorical(y_true, smoothing)
    got = L.categorical_crossentropy(_t(y_true), _t(logits), from_logits=True, label_smoothing=smoothing)
    np.testing.assert_allclose(got.numpy(), -(smoothed * _log_softmax(logits)).sum(-1), rtol=1e-10)
    got = L.categorical_crossentropy(_t(y_true), _t(y_pred), label_smoothing=smoothing)
    np.testing.assert_allclose(got.numpy(), REFERENCES["categorical_crossentropy"](smoothed, y_pred), rtol=1e-10)


def test_categorical_crossentropy_on_another_axis(rng):
    y_true, y_pred = _data("one_hot", rng, (3, 4))
    got = L.categorical_crossentropy(_t(y_true.T), _t(y_pred.T), axis=0)
    np.testing.assert_allclose(got.numpy(), REFERENCES["categorical_crossentropy"](y_true, y_pred), rtol=1e-10)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_equals_categorical_on_one_hot_labels(from_logits, rng):
    labels = rng.integers(0, 4, size=(6,))
    y_pred = 3 * rng.normal(size=(6, 4)) if from_logits else rng.uniform(0.01, 2, size=(6, 4))
    want = L.categorical_crossentropy(_t(np.eye(4)[labels]), _t(y_pred), from_logits=from_logits)
    for y_true in (labels, labels[:, None]):
        got = L.sparse_categorical_crossentropy(torch.tensor(y_true), _t(y_pred), from_logits=from_logits)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_sparse_loss_keeps_integer_targets_integer(rng):
    seen = []

    def spy(y_true, y_pred, **kwargs):
        seen.append(y_true.dtype)
        return L.sparse_categorical_crossentropy(y_true, y_pred, **kwargs)

    labels, logits = rng.integers(0, 3, size=(5,)), _t(rng.normal(size=(5, 3)))
    loss = L.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    loss.fn = spy
    values = [loss(y, logits).item() for y in (labels, torch.tensor(labels), labels.astype(float), labels.tolist())]
    assert seen == [torch.int64, torch.int64, torch.float64, torch.float64]
    assert values == pytest.approx([(-_log_softmax(logits.numpy())[np.arange(5), labels]).mean()] * 4, rel=1e-12)


def test_sparse_ignore_class_zeroes_and_excludes_entries(rng):
    labels = np.array([0, 2, -1, 1])
    logits = rng.normal(size=(4, 3))
    per_sample = -_log_softmax(logits)[np.arange(4), np.maximum(labels, 0)]
    loss = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, reduction="none", dtype="float64")
    np.testing.assert_allclose(loss(labels, logits).numpy(), per_sample * (labels != -1), rtol=1e-12)
    mean = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, dtype="float64")(labels, logits)
    assert mean.item() == pytest.approx(per_sample[labels != -1].mean(), rel=1e-12)


def test_sparse_ignore_class_with_probabilities_has_finite_gradients(rng):
    probabilities = torch.tensor(rng.uniform(0.1, 1, size=(4, 3)), requires_grad=True)
    loss = L.SparseCategoricalCrossentropy(ignore_class=255, dtype="float64")(
        torch.tensor([0, 255, 2, 1]), probabilities
    )
    loss.backward()
    assert torch.isfinite(probabilities.grad).all() and (probabilities.grad[1] == 0).all()


@pytest.mark.parametrize("balancing", [False, True])
@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_focal_crossentropy_closed_form(balancing, from_logits, rng):
    y_true, logits = rng.integers(0, 2, size=(5, 4)).astype(float), rng.normal(size=(5, 4))
    y_pred = logits if from_logits else _sigmoid(logits)
    smoothed = _smooth_binary(y_true, 0.1)
    got = L.binary_focal_crossentropy(
        _t(y_true),
        _t(y_pred),
        apply_class_balancing=balancing,
        alpha=0.4,
        gamma=1.5,
        from_logits=from_logits,
        label_smoothing=0.1,
    )
    want = _binary_focal(smoothed, _sigmoid(logits), 1.5, 0.4 if balancing else None)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9)


def test_binary_focal_with_gamma_zero_is_binary_crossentropy(rng):
    y_true, y_pred = _data("binary", rng)
    got = L.binary_focal_crossentropy(_t(y_true), _t(y_pred), gamma=0.0)
    np.testing.assert_allclose(got.numpy(), L.binary_crossentropy(_t(y_true), _t(y_pred)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.25, [0.1, 0.2, 0.3, 0.4]])
def test_categorical_focal_crossentropy_closed_form(alpha, rng):
    y_true, y_pred = _data("one_hot", rng)
    got = L.categorical_focal_crossentropy(_t(y_true), _t(y_pred), alpha=alpha, gamma=2.0)
    np.testing.assert_allclose(got.numpy(), _categorical_focal(y_true, y_pred, np.asarray(alpha), 2.0), rtol=1e-10)


def test_dice_and_tversky_closed_forms(rng):
    y_true, y_pred = _data("binary", rng, (3, 4, 4))
    tp, total = (y_true * y_pred).sum((1, 2)), y_true.sum((1, 2)) + y_pred.sum((1, 2))
    got = L.dice(_t(y_true), _t(y_pred), axis=(1, 2))
    np.testing.assert_allclose(got.numpy(), 1 - 2 * tp / (total + EPS), rtol=1e-12)
    assert L.dice(_t(y_true), _t(y_pred)).item() == pytest.approx(1 - 2 * tp.sum() / (total.sum() + EPS), rel=1e-12)
    missed, extra = ((1 - y_pred) * y_true).sum((1, 2)), (y_pred * (1 - y_true)).sum((1, 2))
    got = L.tversky(_t(y_true), _t(y_pred), alpha=0.3, beta=0.7, axis=(1, 2))
    np.testing.assert_allclose(got.numpy(), 1 - tp / (tp + 0.3 * missed + 0.7 * extra + EPS), rtol=1e-12)
    half = L.tversky(_t(y_true), _t(y_pred), axis=(1, 2))
    np.testing.assert_allclose(half.numpy(), L.dice(_t(y_true), _t(y_pred), axis=(1, 2)).numpy(), rtol=1e-6)


def test_categorical_generalized_cross_entropy_closed_form(rng):
    labels, probabilities = rng.integers(0, 4, size=(6,)), _data("distribution", rng, (6, 4))[1]
    want = (1 - probabilities[np.arange(6), labels] ** 0.3) / 0.3
    for y_true in (labels, labels[:, None]):  # (batch, 1) targets too, where Keras broadcasts wrongly
        got = L.categorical_generalized_cross_entropy(torch.tensor(y_true), _t(probabilities), q=0.3)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    with pytest.raises(ValueError, match="q=1.5"):
        L.CategoricalGeneralizedCrossEntropy(q=1.5)


def _ctc_by_enumeration(labels, logits):
    """-log of the total probability of every path that collapses (merge repeats, drop blanks 0) to `labels`."""
    import itertools

    probabilities = np.exp(_log_softmax(logits))
    steps, classes = probabilities.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != 0] == list(labels):
            total += np.prod(probabilities[np.arange(steps), path])
    return -np.log(total)


def test_ctc_against_enumerated_alignments(rng):
    labels = np.array([[1, 2, 0], [2, 2, 1], [1, 0, 0]])
    logits = rng.normal(size=(3, 5, 3))
    got = L.ctc(torch.tensor(labels), _t(logits))
    want = [_ctc_by_enumeration([c for c in row if c], x) for row, x in zip(labels, logits, strict=True)]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    assert L.CTC(dtype="float64")(labels, logits).item() == pytest.approx(np.mean(want), rel=1e-10)


def _circle_reference(labels, embeddings, gamma, margin, remove_diagonal=True):
    distances = np.maximum(1 - embeddings @ embeddings.T, 0)
    positive = labels[:, None] == labels[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(len(labels), dtype=bool)
    out = []
    for i in range(len(labels)):
        a_p = np.maximum(margin + distances[i], 0)  # positive pairs: weight by distance from the optimum -margin
        a_n = np.maximum(1 + margin - distances[i], 0)
        pos = -gamma * a_p * (margin - distances[i])
        neg = gamma * a_n * (1 - margin - distances[i])
        lse_p = np.log(np.exp(pos[positive[i]]).sum()) if positive[i].any() else -np.inf
        lse_n = np.log(np.exp(neg[negative[i]]).sum()) if negative[i].any() else -np.inf
        out.append(np.logaddexp(0, lse_p + lse_n))
    return np.array(out)


def test_circle_closed_form_and_mask(rng):
    embeddings = rng.normal(size=(6, 4))
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    labels = np.array([0, 0, 1, 1, 1, 2])  # class 2 has no positive pair: loss 0, left out of the mean
    want = _circle_reference(labels, embeddings, gamma=8.0, margin=0.25)
    got = L.circle(torch.tensor(labels), _t(embeddings), gamma=8.0, margin=0.25)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    assert want[5] == 0.0
    mean = L.Circle(gamma=8.0, margin=0.25, dtype="float64")(labels, embeddings).item()
    assert mean == pytest.approx(want[:5].mean(), rel=1e-10)


def test_cosine_similarity_of_a_zero_vector_is_zero():
    assert L.cosine_similarity(_t([[0.0, 0.0]]), _t([[1.0, 2.0]])).item() == 0.0


# ---- the Loss call: reductions, weights, masks, ranks, dtypes ----
def _losses_and_weights(rng):
    y_true, y_pred = _data("real", rng)
    weights = rng.uniform(0, 2, size=5)
    return y_true, y_pred, weights, REFERENCES["mean_squared_error"](y_true, y_pred)


def test_each_reduction_against_closed_form(rng):
    y_true, y_pred, weights, per_sample = _losses_and_weights(rng)
    weighted = per_sample * weights
    expected = {
        "sum_over_batch_size": weighted.mean(),
        "mean": weighted.mean(),
        "sum": weighted.sum(),
        "mean_with_sample_weight": weighted.sum() / weights.sum(),
        "none": weighted,
        None: weighted,
    }
    for reduction, want in expected.items():
        loss = L.MeanSquaredError(reduction=reduction, dtype="float64")
        np.testing.assert_allclose(loss(y_true, y_pred, sample_weight=weights).numpy(), want, rtol=1e-12)
    unweighted = L.MeanSquaredError(reduction="mean_with_sample_weight", dtype="float64")(y_true, y_pred)
    assert unweighted.item() == pytest.approx(per_sample.mean(), rel=1e-12)


def test_sample_weight_shapes_broadcast_like_keras(rng):
    y_true, y_pred, weights, per_sample = _losses_and_weights(rng)
    loss = L.MeanSquaredError(reduction="sum", dtype="float64")
    for shaped in (weights, weights[:, None], torch.tensor(weights)):
        assert loss(y_true, y_pred, shaped).item() == pytest.approx((per_sample * weights).sum(), rel=1e-12)
    assert loss(y_true, y_pred, 2.0).item() == pytest.approx(2 * per_sample.sum(), rel=1e-12)


def test_per_timestep_weights(rng):
    y_true, y_pred = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    weights = rng.uniform(size=(3, 4))
    got = L.MeanSquaredError(dtype="float64")(y_true, y_pred, weights).item()
    assert got == pytest.approx((((y_true - y_pred) ** 2).mean(-1) * weights).mean(), rel=1e-12)


def test_mask_on_predictions_averages_over_kept_entries(rng):
    y_true, y_pred = rng.normal(size=(3, 4, 2)), _t(rng.normal(size=(3, 4, 2)))
    mask = rng.integers(0, 2, size=(3, 4)).astype(bool)
    mask[0, 0] = True
    y_pred._keras_mask = torch.tensor(mask)
    per_step = ((y_true - y_pred.numpy()) ** 2).mean(-1)
    got = L.MeanSquaredError(dtype="float64")(y_true, y_pred).item()
    assert got == pytest.approx(per_step[mask].mean(), rel=1e-12)
    got = L.MeanSquaredError(reduction="sum", dtype="float64")(y_true, y_pred).item()
    assert got == pytest.approx(per_step[mask].sum(), rel=1e-12)


def test_all_zero_weights_give_zero_not_nan(rng):
    y_true, y_pred, weights, _ = _losses_and_weights(rng)
    loss = L.MeanSquaredError(reduction="mean_with_sample_weight")
    assert loss(y_true, y_pred, np.zeros(5)).item() == 0.0


def test_targets_are_aligned_to_the_prediction_rank(rng):
    y = rng.normal(size=(6,))
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(6, 1), torch.zeros(6))
    assert (tuple(a.shape), tuple(b.shape)) == ((6, 1), (6, 1))
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(2, 3, 1), torch.zeros(2, 3))
    assert (tuple(a.shape), tuple(b.shape)) == ((2, 3), (2, 3))
    loss = L.MeanSquaredError(reduction="none", dtype="float64")
    np.testing.assert_allclose(loss(y, y[:, None] + 1).numpy(), np.ones(6))
    np.testing.assert_allclose(loss(y[:, None], y + 1).numpy(), np.ones(6))


def test_call_casts_to_the_loss_dtype():
    assert L.MeanSquaredError()(np.ones((2, 2)), np.zeros((2, 2), np.float64)).dtype == torch.float32
    assert L.MeanSquaredError(dtype="float64")([[1]], [[0]]).dtype == torch.float64
    assert L.MeanSquaredError(dtype="float64").dtype == "float64"
    assert L.mean_squared_error([[1.0]], [[0.0]]).dtype == torch.float32  # Python floats: floatx, as in Keras


def test_losses_are_differentiable(rng):
    y_pred = torch.tensor(rng.uniform(0.1, 0.9, size=(4, 3)), requires_grad=True)
    y_true = np.eye(3)[[0, 1, 2, 0]]
    L.CategoricalCrossentropy(dtype="float64")(y_true, y_pred).backward()
    assert torch.isfinite(y_pred.grad).all() and y_pred.grad.abs().sum() > 0


COMPILED = [
    (L.MeanSquaredError(), "real"),
    (L.Huber(), "real"),
    (L.CosineSimilarity(), "real"),
    (L.Hinge(), "binary"),
    (L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), "binary"),
    (L.BinaryFocalCrossentropy(apply_class_balancing=True), "binary"),
    (L.CategoricalCrossentropy(), "one_hot"),
    (L.CategoricalFocalCrossentropy(alpha=[0.1, 0.2, 0.3, 0.4]), "one_hot"),
    (L.SparseCategoricalCrossentropy(from_logits=True), "sparse"),
    (L.SparseCategoricalCrossentropy(ignore_class=0), "sparse"),
    (L.Dice(), "binary"),
    (L.KLDivergence(), "distribution"),
]


@pytest.mark.parametrize("loss,kind", COMPILED, ids=lambda x: getattr(x, "name", x))
def test_call_compiles_to_one_graph_so_it_never_syncs_the_host(loss, kind, rng):
    if kind == "sparse":
        y_true, y_pred = torch.tensor(rng.integers(0, 4, size=(5,))).float(), torch.randn(5, 4)
    else:
        y_true, y_pred = (torch.tensor(a, dtype=torch.float32) for a in _data(kind, rng))
    weights = torch.rand(5)
    torch._dynamo.reset()  # every instance shares Loss.__call__: start each from an empty compile cache
    compiled = torch.compile(loss, backend="eager", fullgraph=True)  # fails on .item() or a branch on values
    torch.testing.assert_close(compiled(y_true, y_pred, weights), loss(y_true, y_pred, weights))


def test_losses_compute_on_the_prediction_device():
    # The meta device stands in for a GPU: any tensor made on the CPU by mistake would fail to combine with it.
    y_pred, weights = torch.empty(4, 3, 2, device="meta"), torch.empty(4, 3, device="meta")
    y_pred._keras_mask = torch.empty(4, 3, dtype=torch.bool, device="meta")
    names = [n for n in L.__all__ if n[0].isupper() and isinstance(getattr(L, n), type) and "Loss" not in n]
    names.remove("CTC")  # torch has no meta kernel for CTC
    for name in names:
        sparse = name in ("SparseCategoricalCrossentropy", "CategoricalGeneralizedCrossEntropy")
        y_true = torch.empty(4, 3, device="meta") if sparse else np.ones((4, 3, 2), np.float32)
        inputs = (np.ones(4), torch.empty(4, 3, device="meta")) if name == "Circle" else (y_true, y_pred)
        for reduction in ("sum_over_batch_size", "mean_with_sample_weight", "none"):
            sample_weight = weights[:, 0] if name == "Circle" else weights
            assert getattr(L, name)(reduction=reduction)(*inputs, sample_weight).device.type == "meta", name


# ---- Loss subclasses and LossFunctionWrapper ----
def test_custom_loss_subclass_gets_reduction_and_weights():
    class AbsoluteError(L.Loss):
        def call(self, y_true, y_pred):
            return (y_pred - y_true).abs().sum(dim=-1)

    loss = AbsoluteError(reduction="sum")
    assert loss.name == "absolute_error"
    assert loss([[1.0], [2.0]], [[2.0], [4.0]], sample_weight=[1.0, 0.5]).item() == 2.0
    assert AbsoluteError().name == "absolute_error_1"
    with pytest.raises(NotImplementedError, match="must implement"):
        L.Loss()([1.0], [1.0])


def test_loss_function_wrapper_passes_kwargs_and_round_trips():
    loss = L.LossFunctionWrapper(L.huber, name="h", reduction="sum", delta=0.5)
    assert loss(_t([[0.0, 0.0]]), _t([[2.0, 0.25]])).item() == pytest.approx(
        (0.875 + 0.03125) / 2
    )  # 0.5*2 - 0.5*0.5**2, then 0.5*0.25**2
    config = loss.get_config()
    assert config["fn"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "huber",
        "registered_name": "function",
    }
    again = L.LossFunctionWrapper.from_config(config)
    assert (again.fn, again._fn_kwargs, again.name, again.reduction) == (L.huber, {"delta": 0.5}, "h", "sum")
    assert L.LossFunctionWrapper(L.mse).name == "loss_function_wrapper"


def test_custom_function_survives_serialize_with_custom_objects():
    def my_loss(y_true, y_pred):
        return (y_true - y_pred).mean(dim=-1)

    config = L.serialize(L.LossFunctionWrapper(my_loss))
    assert L.deserialize(config, custom_objects={"my_loss": my_loss}).fn is my_loss
    with pytest.raises(ValueError, match="Define the loss with `def`"):
        L.serialize(lambda t, p: t)


# ---- names, configs, serialization ----
def test_every_class_round_trips_through_its_config():
    for cls in [getattr(L, n) for n in L.__all__ if n[0].isupper() and n not in ("Loss", "LossFunctionWrapper")]:
        if not isinstance(cls, type):
            continue
        loss = cls(reduction="sum", name="x")
        again = L.deserialize(L.serialize(loss))
        assert type(again) is cls and again.get_config() == loss.get_config()


def test_config_keeps_options_keras_drops():
    # Deliberate difference: Keras's Huber/CosineSimilarity/SparseCategoricalCrossentropy configs lose these.
    assert L.Huber.from_config(L.Huber(delta=3.0).get_config()).delta == 3.0
    assert L.CosineSimilarity(axis=1).get_config()["axis"] == 1
    assert L.SparseCategoricalCrossentropy(axis=1).get_config()["axis"] == 1


def test_get_accepts_names_configs_classes_and_callables():
    assert L.get("mse") is L.mean_squared_error is L.mse is L.MSE
    assert L.get("MAE") is L.mean_absolute_error
    assert L.get("bce") is L.binary_crossentropy
    assert L.get("logcosh") is L.log_cosh and L.get("kullback_leibler_divergence") is L.kl_divergence
    assert L.get("huber_loss") is L.huber
    assert isinstance(L.get("CategoricalCrossentropy"), L.CategoricalCrossentropy)
    assert isinstance(L.get(L.Huber), L.Huber)
    instance = L.Hinge()
    assert L.get(instance) is instance and L.get(None) is None
    assert L.get({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}}).from_logits is True
    assert L.deserialize("mse") is L.mean_squared_error  # Keras 3 fails on this alias; cornu resolves it


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        L.get("msee")
    with pytest.raises(ValueError, match="Did you mean 'categorical_crossentropy'"):
        L.get("categorical_crossentropie")
    with pytest.raises(ValueError, match="Did you mean 'Huber'"):
        L.deserialize({"class_name": "Hubber", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        L.get(42)


def test_constructors_validate_their_arguments():
    with pytest.raises(ValueError, match="reduction="):
        L.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing=1\.5"):  # Keras accepts it; cornu refuses nonsense
        L.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="axis=True"):
        L.BinaryCrossentropy(axis=True)
    with pytest.raises(ValueError, match="delta=-1"):
        L.Huber(delta=-1)
    with pytest.raises(ValueError, match="ignore_class"):
        L.SparseCategoricalCrossentropy(ignore_class="void")
    with pytest.raises(TypeError, match="fn="):
        L.LossFunctionWrapper("mse")


def test_reduce_weighted_values_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="Expected one of"):
        reduce_weighted_values(torch.ones(2), reduction="average")


# ---- check_targets ----
@pytest.mark.parametrize(
    "loss,y_shape,out_shape",
    [
        ("sparse_categorical_crossentropy", (600,), (None, 10)),
        ("sparse_categorical_crossentropy", (600, 1), (None, 10)),
        (L.SparseCategoricalCrossentropy(from_logits=True), (600, 7), (None, 7, 10)),
        ("categorical_crossentropy", (600, 10), (None, 10)),
        (L.CategoricalCrossentropy(), (600, 5, 10), (None, 5, 10)),
        ("binary_crossentropy", (600,), (None, 1)),
        ("binary_crossentropy", (600, 1), (None, 1)),
        ("binary_crossentropy", (600, 10), (None, 10)),
        (L.binary_focal_crossentropy, (600,), (None,)),
        ("mse", (600,), (None, 1)),
        ("mse", (600, 1), (None, 1)),
        ("mse", (600, 3), (None, 3)),
        ("mae", (600, 1), (None, 5)),
        ("huber_loss", (600, 4, 2), (None, None, 2)),
        ("kld", (600, 3), (None, 3)),
        (L.Dice(axis=(1, 2)), (600, 8, 8, 1), (None, 8, 8, 1)),
        (L.CategoricalGeneralizedCrossEntropy(), (600,), (None, 4)),
        (lambda y_true, y_pred: y_pred, (600, 2), (None, 9)),
    ],
)
def test_check_targets_accepts_legitimate_shapes(loss, y_shape, out_shape):
    assert L.check_targets(loss, y_shape, out_shape) is None


def test_check_targets_integer_labels_for_categorical_crossentropy():
    message = (
        "'categorical_crossentropy' expects one-hot targets of shape (None, 10), but y has shape (60000, 1).\n"
        "    Use loss='sparse_categorical_crossentropy', or y = cornu.utils.to_categorical(y, 10)."
    )
    with pytest.raises(ValueError) as error:
        L.check_targets("categorical_crossentropy", (60000, 1), (None, 10))
    assert str(error.value) == message
    with pytest.raises(ValueError, match=r"to_categorical\(y, 10\)"):
        L.check_targets(L.categorical_crossentropy, (60000,), (None, 10))
    with pytest.raises(ValueError, match=r"SparseCategoricalCrossentropy\(from_logits=True\)"):
        L.check_targets(L.CategoricalCrossentropy(from_logits=True), (60000,), (None, 10))


def test_check_targets_one_hot_labels_for_sparse_loss():
    with pytest.raises(ValueError, match=r"Use loss='categorical_crossentropy', or y = y\.argmax\(axis=-1\)") as error:
        L.check_targets("sparse_categorical_crossentropy", (60000, 10), (None, 10))
    assert "expects integer class targets of shape (None,) or (None, 1), but y has shape (60000, 10)" in str(
        error.value
    )


def test_check_targets_binary_crossentropy_on_a_multiclass_output():
    with pytest.raises(ValueError, match="use loss='sparse_categorical_crossentropy' with a softmax output"):
        L.check_targets("binary_crossentropy", (60000,), (None, 10))
    with pytest.raises(ValueError, match=r"to_categorical\(y, 10\)"):
        L.check_targets(L.BinaryCrossentropy(), (60000, 1), (None, 10))


def test_check_targets_incompatible_shapes_for_other_losses():
    with pytest.raises(ValueError, match=r"give y the shape \(600, 5\)") as error:
        L.check_targets("mse", (600, 3), (None, 5))
    assert "'mean_squared_error' expects targets shaped like the model's output (None, 5)" in str(error.value)
    with pytest.raises(ValueError, match=r"Make the model's output \(None, 1\)"):
        L.check_targets(L.Hinge(), (600,), (None, 5))
    with pytest.raises(ValueError, match=r"to_categorical\(y, 4\)"):
        L.check_targets("categorical_hinge", (600,), (None, 4))
    with pytest.raises(ValueError, match=r"Make the model's output"):
        L.check_targets("categorical_crossentropy", (600, 3), (None, 10))
    with pytest.raises(ValueError, match=r"one class index in \[0, 10\)"):
        L.check_targets("sparse_categorical_crossentropy", (600, 4), (None, 10))


def test_check_targets_warns_for_a_one_class_softmax():
    # Keras warns on every call; cornu warns once, before training.
    with pytest.warns(SyntaxWarning, match="always 0"):
        L.check_targets("categorical_crossentropy", (60, 1), (None, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L.check_targets("binary_crossentropy", (60, 1), (None, 1))


# ---- categorical crossentropy on a softmax output: computed from the recorded logits ----
def _keras_probability_form(y, logits):
    """Keras-torch's formula, step by step in float32 (normalise, clip, log), and its gradient w.r.t. the logits."""
    logits = logits.clone().requires_grad_(True)
    p = torch.softmax(logits, -1)
    q = (p / p.sum(-1, keepdim=True)).clamp(EPS, 1 - EPS)
    loss = -(y * q.log()).sum(-1).mean()
    return loss.detach(), torch.autograd.grad(loss, logits)[0]


@pytest.mark.parametrize("scale", [1.0, 40.0])  # 40: saturated rows, where the clip sets values and zero gradients
def test_crossentropy_of_a_softmax_output_equals_the_probability_form(scale, rng):
    from cornu import activations

    y = torch.from_numpy(np.eye(5, dtype="float32")[rng.integers(0, 5, 64)])
    logits = torch.from_numpy(rng.normal(size=(64, 5)).astype("float32") * scale)
    expected_loss, expected_grad = _keras_probability_form(y, logits)
    leaf = logits.clone().requires_grad_(True)
    probabilities = activations.softmax(leaf)
    loss = L.CategoricalCrossentropy()(y, probabilities)
    (grad,) = torch.autograd.grad(loss, leaf)
    torch.testing.assert_close(loss, expected_loss, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-5, atol=1e-7)
    if scale > 1:  # the clipped terms: Keras's bound log(float32(1e-7)) and no gradient through them
        assert (grad == 0).any() and math.isclose(loss.item(), expected_loss.item(), rel_tol=1e-6)


def test_crossentropy_uses_the_probabilities_when_they_are_not_that_softmax(rng):
    from cornu import activations

    y = torch.from_numpy(np.eye(3, dtype="float32")[rng.integers(0, 3, 8)])
    logits = torch.from_numpy(rng.normal(size=(8, 3)).astype("float32"))
    over_rows = activations.softmax(logits, axis=0)  # a softmax along another axis: its logits must not be used
    rescaled = activations.softmax(logits) * 2.0  # a new tensor, no logits attached: Keras's normalisation applies
    for probabilities in (over_rows, rescaled):
        q = np.clip(probabilities.numpy() / probabilities.numpy().sum(-1, keepdims=True), EPS, 1 - EPS)
        expected = -(y.numpy() * np.log(q)).sum(-1)
        np.testing.assert_allclose(L.categorical_crossentropy(y, probabilities).numpy(), expected, rtol=1e-6)
