"""IoU family and F-scores against hand-counted confusion matrices."""

import warnings

import numpy as np
import pytest

import cornu.metrics as cm


def test_mean_iou_by_hand_accumulates_and_resets():
    # cm = [[1, 1], [1, 1]]: IoU = 1 / (2 + 2 - 1) for both classes
    m = cm.MeanIoU(num_classes=2)
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(m.result()) == pytest.approx(1 / 3, rel=1e-5)
    m.update_state([1], [1])  # cm = [[1, 1], [1, 2]]: IoU0 = 1/3, IoU1 = 2/4
    assert float(m.result()) == pytest.approx((1 / 3 + 1 / 2) / 2, rel=1e-5)
    assert m.total_cm.tolist() == [[1, 1], [1, 2]] and m.total_cm.dtype.is_floating_point is False
    m.reset_state()
    assert m.total_cm.sum() == 0


def test_iou_with_weights_targets_and_absent_classes():
    m = cm.IoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.2, 0.3, 1.0, 0.4])
    # class 0: tp 0.2, row 0.5, column 1.2 -> 0.2 / 1.5; class 2 never occurs: left out of the mean
    assert float(m.result()) == pytest.approx(0.2 / 1.5, rel=1e-5)


def test_iou_ignores_out_of_range_and_ignore_class():
    m = cm.MeanIoU(num_classes=2, ignore_class=1)
    m.update_state([0, 1, 0, 5, -1], [0, 0, 1, 0, 0])
    assert m.total_cm.tolist() == [[1, 1], [0, 0]]


def test_integer_iou_warns_about_float_weights():
    m = cm.MeanIoU(num_classes=2)
    with pytest.warns(UserWarning, match="truncated"):
        m.update_state([0, 1], [0, 1], sample_weight=np.array([1.5, 2.5], "float32"))
    assert m.total_cm.tolist() == [[1, 0], [0, 2]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.update_state([0], [0], sample_weight=np.array([2]))


def test_binary_and_one_hot_iou():
    b = cm.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    b.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])  # predictions [0, 0, 1, 1]: cm [[1, 1], [1, 1]]
    assert float(b.result()) == pytest.approx(1 / 3, rel=1e-5)
    o = cm.OneHotIoU(num_classes=3, target_class_ids=[0, 1])
    o.update_state([[1, 0, 0], [0, 1, 0], [0, 1, 0]], [[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]])
    # class 0: tp 1, fp 1 -> 1/2; class 1: tp 1, fn 1 -> 1/2
    assert float(o.result()) == pytest.approx(0.5, rel=1e-5)
    om = cm.OneHotMeanIoU(num_classes=3)
    om.update_state([[1, 0, 0], [0, 1, 0], [0, 1, 0]], [[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]])
    assert float(om.result()) == pytest.approx(0.5, rel=1e-5)  # class 2 absent, left out


def test_iou_configs():
    assert cm.MeanIoU(3, name="m").get_config() == {
        "num_classes": 3,
        "name": "m",
        "dtype": "int32",
        "ignore_class": None,
        "sparse_y_true": True,
        "sparse_y_pred": True,
        "axis": -1,
    }
    with pytest.raises(ValueError, match="out of range"):
        cm.IoU(num_classes=2, target_class_ids=[2])
    config = cm.BinaryIoU(threshold=0.4).get_config()
    assert cm.BinaryIoU.from_config(config).get_config() == config


Y_TRUE = [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
Y_PRED = [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]


def _f(p, r, beta=1.0):
    return 0.0 if p + r == 0 else (1 + beta**2) * p * r / (beta**2 * p + r)


def test_f1_per_class_by_hand():
    # threshold 0.5 -> predictions [[0,1,1],[0,1,1],[1,1,0]]; per class (tp, fp, fn): (1,0,2), (2,1,0), (1,1,0)
    m = cm.F1Score(threshold=0.5)
    m.update_state(Y_TRUE, Y_PRED)
    expected = [_f(1, 1 / 3), _f(2 / 3, 1), _f(1 / 2, 1)]
    np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-5)


def test_f_score_averages_and_beta():
    micro = cm.F1Score(average="micro", threshold=0.5)
    micro.update_state(Y_TRUE, Y_PRED)
    assert float(micro.result()) == pytest.approx(_f(4 / 6, 4 / 6), rel=1e-5)  # pooled tp 4, fp 2, fn 2
    macro = cm.F1Score(average="macro", threshold=0.5)
    macro.update_state(Y_TRUE, Y_PRED)
    assert float(macro.result()) == pytest.approx(np.mean([_f(1, 1 / 3), _f(2 / 3, 1), _f(1 / 2, 1)]), rel=1e-5)
    weighted = cm.FBetaScore(average="weighted", beta=2.0, threshold=0.5)
    weighted.update_state(Y_TRUE, Y_PRED)
    scores = np.array([_f(1, 1 / 3, 2), _f(2 / 3, 1, 2), _f(1 / 2, 1, 2)])
    assert float(weighted.result()) == pytest.approx((scores * [3, 2, 1]).sum() / 6, rel=1e-5)


def test_f_score_default_threshold_takes_each_row_max_and_weights_and_resets():
    m = cm.F1Score()
    m.update_state([[1, 0], [0, 1]], [[0.6, 0.4], [0.7, 0.3]], sample_weight=[1.0, 2.0])
    # predictions [[1,0],[1,0]]: class 0 tp 1, fp 2 -> P 1/3, R 1; class 1 tp 0
    np.testing.assert_allclose(m.result().numpy(), [_f(1 / 3, 1), 0.0], atol=1e-6)
    m.reset_state()
    m.update_state([[1, 0]], [[0.9, 0.1]])
    np.testing.assert_allclose(m.result().numpy(), [1.0, 0.0], atol=1e-6)


def test_f_score_argument_errors_and_config():
    with pytest.raises(ValueError, match="average"):
        cm.F1Score(average="mean")
    with pytest.raises(ValueError, match="beta"):
        cm.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="threshold"):
        cm.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="batch_size, num_classes"):
        cm.F1Score().update_state([1, 0], [0.3, 0.2])
    assert cm.F1Score(threshold=0.5).get_config() == {
        "name": "f1_score",
        "dtype": "float32",
        "average": None,
        "threshold": 0.5,
    }
