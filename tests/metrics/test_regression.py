"""Loss-based metrics (regression, probabilistic, hinge), RMSE, cosine, R^2 and correlations, against float64
numpy formulas over several weighted batches."""

import numpy as np
import pytest

import cornu.metrics as cm

EPS = 1e-7


def _cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def _signed(t):
    return np.where(t == 0, -1.0, t)


FORMULAS = {
    "MeanSquaredError": lambda t, p: ((t - p) ** 2).mean(-1),
    "MeanAbsoluteError": lambda t, p: np.abs(t - p).mean(-1),
    "MeanAbsolutePercentageError": lambda t, p: (100 * np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "MeanSquaredLogarithmicError": lambda t, p: (
        (np.log1p(np.maximum(t, EPS)) - np.log1p(np.maximum(p, EPS))) ** 2
    ).mean(-1),
    "LogCoshError": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "CosineSimilarity": lambda t, p: (t * p).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1),
    "BinaryCrossentropy": _bce,
    "CategoricalCrossentropy": _cce,
    "KLDivergence": lambda t, p: (t * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "Poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "Hinge": lambda t, p: np.maximum(1 - _signed(t) * p, 0).mean(-1),
    "SquaredHinge": lambda t, p: (np.maximum(1 - _signed(t) * p, 0) ** 2).mean(-1),
    "CategoricalHinge": lambda t, p: np.maximum(0, 1 + ((1 - t) * p).max(-1) - (t * p).sum(-1)),
    "PearsonCorrelation": lambda t, p: (
        ((t - t.mean(-1, keepdims=True)) * (p - p.mean(-1, keepdims=True))).mean(-1) / t.std(-1) / p.std(-1)
    ),
}


def _batch(rng, name):
    if name in ("BinaryCrossentropy", "Hinge", "SquaredHinge"):
        return rng.integers(0, 2, (4, 3)).astype("float64"), rng.uniform(0.05, 0.95, (4, 3))
    if name in ("CategoricalCrossentropy", "CategoricalHinge", "KLDivergence"):
        p = rng.uniform(0.1, 1, (4, 3))
        t = np.eye(3)[rng.integers(0, 3, 4)] if name != "KLDivergence" else rng.dirichlet(np.ones(3), 4)
        return t, p / p.sum(-1, keepdims=True)
    if name in ("MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Poisson"):
        return rng.uniform(0.1, 2, (4, 3)), rng.uniform(0.1, 2, (4, 3))
    return rng.normal(size=(4, 3)), rng.normal(size=(4, 3))


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_weighted_mean_of_per_sample_formula_over_batches(name, rng):
    m = getattr(cm, name)()
    values, weights = [], []
    for _ in range(3):
        y_true, y_pred = _batch(rng, name)
        weight = rng.uniform(0, 2, 4)
        m.update_state(y_true.astype("float32"), y_pred.astype("float32"), sample_weight=weight.astype("float32"))
        values.append(FORMULAS[name](y_true, y_pred) * weight)
        weights.append(weight)
    expected = np.concatenate(values).sum() / np.concatenate(weights).sum()
    assert float(m.result()) == pytest.approx(expected, rel=1e-4, abs=1e-5)
    m.reset_state()
    assert float(m.result()) == 0.0
    y_true, y_pred = _batch(rng, name)
    m.update_state(y_true.astype("float32"), y_pred.astype("float32"))
    assert float(m.result()) == pytest.approx(FORMULAS[name](y_true, y_pred).mean(), rel=1e-4, abs=1e-5)


def test_sparse_categorical_crossentropy_equals_categorical_on_one_hot(rng):
    labels, p = rng.integers(0, 3, 5), rng.dirichlet(np.ones(3), 5).astype("float32")
    sparse, dense = cm.SparseCategoricalCrossentropy(), cm.CategoricalCrossentropy()
    sparse.update_state(labels, p)
    dense.update_state(np.eye(3, dtype="float32")[labels], p)
    assert float(sparse.result()) == pytest.approx(float(dense.result()), rel=1e-6)
    assert float(sparse.result()) == pytest.approx(_cce(np.eye(3)[labels], p.astype("float64")).mean(), rel=1e-5)


def test_crossentropy_options_reach_the_loss():
    logits = np.array([[2.0], [-1.0]], "float32")
    m = cm.BinaryCrossentropy(from_logits=True)
    m.update_state([[1.0], [0.0]], logits)
    expected = np.mean([np.log1p(np.exp(-2.0)), np.log1p(np.exp(-1.0))])
    assert float(m.result()) == pytest.approx(expected, rel=1e-5)
    smooth = cm.BinaryCrossentropy(label_smoothing=0.2)
    smooth.update_state([[1.0]], [[0.8]])
    assert float(smooth.result()) == pytest.approx(-(0.9 * np.log(0.8) + 0.1 * np.log(0.2)), rel=1e-5)


def test_root_mean_squared_error_is_sqrt_of_weighted_mse():
    m = cm.RootMeanSquaredError()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    assert float(m.result()) == pytest.approx(0.5)
    m.update_state([[2.0, 2.0]], [[0.0, 0.0]], sample_weight=[2.0])
    assert float(m.result()) == pytest.approx(np.sqrt((0.5 + 0.0 + 2 * 4.0) / 4))


def test_r2_score_matches_closed_form(rng):
    y_true, y_pred, weight = rng.normal(size=(6, 2)), rng.normal(size=(6, 2)), rng.uniform(0.5, 2, 6)
    m = cm.R2Score(class_aggregation=None)
    m.update_state(y_true[:3].astype("float32"), y_pred[:3].astype("float32"), sample_weight=weight[:3])
    m.update_state(y_true[3:].astype("float32"), y_pred[3:].astype("float32"), sample_weight=weight[3:])
    w = weight[:, None]
    mean = (w * y_true).sum(0) / w.sum()
    expected = 1 - (w * (y_true - y_pred) ** 2).sum(0) / (w * (y_true - mean) ** 2).sum(0)
    np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-4)


def test_r2_score_adjusted_and_fallback():
    y_true, y_pred = [[1.0], [2.0], [3.0], [4.0]], [[1.0], [2.0], [4.0], [4.0]]
    plain = 1 - 1.0 / 5.0
    adjusted = cm.R2Score(num_regressors=1)
    adjusted.update_state(y_true, y_pred)
    assert float(adjusted.result()) == pytest.approx(1 - (1 - plain) * 3 / 2)
    too_many = cm.R2Score(num_regressors=5)  # more regressors than samples: plain R^2, as Keras
    too_many.update_state(y_true, y_pred)
    assert float(too_many.result()) == pytest.approx(plain)
    with pytest.raises(ValueError, match="class_aggregation"):
        cm.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="R2Score expects"):
        cm.R2Score().update_state([1.0, 2.0], [1.0, 2.0])


def test_concordance_correlation_of_identical_rows_is_one_and_of_shifted_rows_less():
    m = cm.ConcordanceCorrelation()
    m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    assert float(m.result()) == pytest.approx(1.0, abs=1e-6)
    shifted = cm.concordance_correlation([[1.0, 2.0, 3.0]], [[2.0, 3.0, 4.0]])
    # var = 2/3 each, mean gap 1: Keras's covariance term centres y_true on mean(y_pred) -> mean(2*(t-3)*(p-3))/(4/3+1)
    t, p = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])
    assert float(shifted[0]) == pytest.approx(np.mean(2 * (t - 3) * (p - 3) / (4 / 3 + 1 + EPS)), rel=1e-6)


def test_regression_configs_round_trip():
    for cls in (cm.MeanSquaredError, cm.LogCoshError, cm.CosineSimilarity, cm.Hinge, cm.Poisson):
        config = cls().get_config()
        assert set(config) == {"name", "dtype"}
        assert cls.from_config(config).get_config() == config
    assert cm.LogCoshError().name == "logcosh"
    config = cm.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1).get_config()
    assert config == {
        "name": "categorical_crossentropy",
        "dtype": "float32",
        "from_logits": True,
        "label_smoothing": 0.1,
        "axis": -1,
    }
