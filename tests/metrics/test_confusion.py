"""Thresholded counts, Precision/Recall, AUC and the at-fixed-value metrics against hand-counted values and a
float64 per-threshold loop."""

import numpy as np
import pytest
import torch

import cornu.metrics as cm
from cornu.metrics import confusion_utils


def _counts(y_true, y_pred, thresholds, weight=None):
    """float64 reference: one explicit loop per threshold."""
    y_pred = np.asarray(y_pred, "float64")
    weight = np.ones_like(y_pred) if weight is None else np.broadcast_to(weight, y_pred.shape).ravel()
    y_true, y_pred = np.asarray(y_true).ravel() != 0, y_pred.ravel()
    out = {k: [] for k in ("tp", "fp", "tn", "fn")}
    for t in thresholds:
        above = y_pred > t
        out["tp"].append((weight * (above & y_true)).sum())
        out["fp"].append((weight * (above & ~y_true)).sum())
        out["tn"].append((weight * (~above & ~y_true)).sum())
        out["fn"].append((weight * (~above & y_true)).sum())
    return {k: np.array(v) for k, v in out.items()}


def test_condition_counts_by_hand():
    y_true, y_pred = [0, 1, 1, 1, 0], [0.9, 0.2, 0.6, 0.8, 0.1]
    for cls, expected in [(cm.TruePositives, 2), (cm.FalsePositives, 1), (cm.TrueNegatives, 1), (cm.FalseNegatives, 1)]:
        m = cls()
        m.update_state(y_true, y_pred)
        assert float(m.result()) == expected
        m.update_state(y_true, y_pred, sample_weight=[2.0, 2.0, 2.0, 2.0, 2.0])
        assert float(m.result()) == 3 * expected
        m.reset_state()
        assert float(m.result()) == 0.0


@pytest.mark.parametrize("thresholds", [[0.15, 0.5, 0.85], [0.0, 0.5, 1.0], [0.0, 0.25, 0.5, 0.75, 1.0]])
def test_counts_at_many_thresholds_match_a_loop(thresholds, rng):
    # [0, 0.5, 1] and [0, .25, ..., 1] are evenly spaced: the bucketing path must equal the loop.
    y_true, y_pred = rng.integers(0, 2, (6, 3)), rng.uniform(size=(6, 3)).round(2)
    y_pred[0] = [0.0, 0.5, 1.0]  # exactly on thresholds
    weight = rng.uniform(0, 2, (6, 1))
    ref = _counts(y_true, y_pred, thresholds, weight)
    for cls, key in [
        (cm.TruePositives, "tp"),
        (cm.FalsePositives, "fp"),
        (cm.TrueNegatives, "tn"),
        (cm.FalseNegatives, "fn"),
    ]:
        m = cls(thresholds=thresholds)
        m.update_state(y_true, y_pred.astype("float32"), sample_weight=weight[:, 0].astype("float32"))
        np.testing.assert_allclose(m.result().numpy(), ref[key], rtol=1e-6, err_msg=key)


def test_precision_and_recall_by_hand():
    y_true, y_pred = [0, 1, 1, 1], [1, 0, 1, 1]
    p, r = cm.Precision(), cm.Recall()
    p.update_state(y_true, y_pred)
    r.update_state(y_true, y_pred)
    assert (float(p.result()), float(r.result())) == pytest.approx((2 / 3, 2 / 3))
    p.update_state([1, 0], [1, 1], sample_weight=[3.0, 1.0])  # tp += 3, fp += 1
    assert float(p.result()) == pytest.approx(5 / 7)
    p.reset_state()
    assert float(p.result()) == 0.0


def test_precision_top_k_and_class_id():
    y_true = [[0, 0, 1, 1]]
    y_pred = [[0.9, 0.8, 0.7, 0.0]]
    # top_k=2 keeps 0.9 and 0.8, both wrong; 0.7 would be right but is not in the top 2
    p = cm.Precision(top_k=2)
    p.update_state(y_true, y_pred)
    assert float(p.result()) == 0.0
    r = cm.Recall(class_id=2, thresholds=0.5)
    r.update_state([[0, 0, 1], [0, 0, 1], [1, 0, 0]], [[0.1, 0.2, 0.9], [0.7, 0.2, 0.3], [0.1, 0.2, 0.9]])
    assert float(r.result()) == 0.5
    with pytest.raises(ValueError, match="class_id"):
        cm.Precision(class_id=0).update_state([1, 0], [0.7, 0.2])


def test_several_thresholds_give_one_result_each():
    p = cm.Precision(thresholds=[0.3, 0.7])
    p.update_state([1, 0, 1], [0.5, 0.5, 0.9])
    assert p.result().tolist() == pytest.approx([2 / 3, 1.0])


def test_thresholds_are_validated():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        cm.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="num_thresholds"):
        cm.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        cm.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="summation_method"):
        cm.AUC(summation_method="simpson")
    with pytest.raises(ValueError, match="multi_label=True"):
        cm.AUC(num_labels=3)
    with pytest.raises(ValueError, match="specificity"):
        cm.SensitivityAtSpecificity(1.5)


def test_auc_roc_by_hand():
    # thresholds [-eps, 0.5, 1+eps]: (fpr, tpr) = (1, 1), (0.5, 0.5), (0, 0): trapezoids give 0.5 + 0.25 = 0.75
    m = cm.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(m.result()) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 1], [0.1, 0.9])
    assert float(m.result()) == pytest.approx(1.0)


def test_auc_approaches_the_exact_roc_auc(rng):
    y_true = rng.integers(0, 2, 400)
    y_pred = np.clip(0.3 * y_true + rng.uniform(0, 0.7, 400), 0, 1)
    pos, neg = y_pred[y_true == 1], y_pred[y_true == 0]
    exact = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    m = cm.AUC(num_thresholds=1000)
    for chunk in np.array_split(np.arange(400), 4):  # accumulating over batches
        m.update_state(y_true[chunk], y_pred[chunk].astype("float32"))
    assert float(m.result()) == pytest.approx(exact, abs=2e-3)


def test_auc_summation_methods_bracket_interpolation():
    y_true, y_pred = [0, 0, 1, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.6, 0.7]
    values = {}
    for method in ("minoring", "interpolation", "majoring"):
        m = cm.AUC(num_thresholds=5, summation_method=method)
        m.update_state(y_true, y_pred)
        values[method] = float(m.result())
    assert values["minoring"] < values["interpolation"] < values["majoring"]
    assert values["interpolation"] == pytest.approx((values["minoring"] + values["majoring"]) / 2)


def test_auc_pr_of_perfect_scores_is_one():
    m = cm.AUC(curve="PR", num_thresholds=50)
    m.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert float(m.result()) == pytest.approx(1.0, abs=1e-6)


def test_auc_multi_label_is_the_mean_of_per_label_aucs(rng):
    y_true, y_pred = rng.integers(0, 2, (20, 3)), rng.uniform(size=(20, 3)).astype("float32")
    multi = cm.AUC(multi_label=True, num_thresholds=20)
    multi.update_state(y_true, y_pred)
    per_label = []
    for j in range(3):
        single = cm.AUC(num_thresholds=20)
        single.update_state(y_true[:, j], y_pred[:, j])
        per_label.append(float(single.result()))
    assert float(multi.result()) == pytest.approx(np.mean(per_label), rel=1e-6)
    weighted = cm.AUC(multi_label=True, num_thresholds=20, label_weights=[1.0, 0.0, 3.0])
    weighted.update_state(y_true, y_pred)
    assert float(weighted.result()) == pytest.approx((per_label[0] + 3 * per_label[2]) / 4, rel=1e-6)
    assert multi.true_positives.shape == (20, 3)


def test_auc_from_logits_equals_auc_of_sigmoid(rng):
    y_true, logits = rng.integers(0, 2, 30), rng.normal(size=30).astype("float32")
    a, b = cm.AUC(from_logits=True), cm.AUC()
    a.update_state(y_true, logits)
    b.update_state(y_true, torch.sigmoid(torch.tensor(logits)))
    assert float(a.result()) == pytest.approx(float(b.result()))


def test_auc_explicit_thresholds_and_config():
    m = cm.AUC(thresholds=[0.7, 0.3])
    assert m.num_thresholds == 4 and m.thresholds[1:-1] == [0.3, 0.7]
    config = m.get_config()
    assert config["thresholds"] == [0.3, 0.7] and config["curve"] == "ROC"
    assert cm.AUC.from_config(config).get_config() == config
    assert "thresholds" not in cm.AUC().get_config()


def test_at_fixed_value_metrics_by_hand():
    y_true, y_pred = [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]
    expected = {
        cm.SensitivityAtSpecificity(0.5): 0.5,  # thresholds in [0.3, 0.8): spec 2/3, sens 1/2
        cm.SpecificityAtSensitivity(0.5): 2 / 3,
        cm.PrecisionAtRecall(0.5): 0.5,
        cm.RecallAtPrecision(0.4): 1.0,  # threshold < 0.3: precision 2/4 >= 0.4, recall 1
    }
    for metric, value in expected.items():
        metric.update_state(y_true, y_pred)
        assert float(metric.result()) == pytest.approx(value), type(metric).__name__
    assert cm.PrecisionAtRecall(0.5, num_thresholds=1).thresholds == [0.5]


def test_filter_top_k_and_confusion_matrix_helpers():
    filtered = confusion_utils.filter_top_k(torch.tensor([[0.1, 0.7, 0.2, 0.5]]), 2)
    assert filtered.tolist()[0][1:] == pytest.approx([0.7, -1e10, 0.5])
    matrix = confusion_utils.confusion_matrix(
        torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 0, 2]), 3, torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.float32
    )
    assert matrix.tolist() == [[1.0, 0.0, 0.0], [3.0, 2.0, 0.0], [0.0, 0.0, 4.0]]
