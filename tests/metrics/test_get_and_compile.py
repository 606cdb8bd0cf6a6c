"""`get`/`serialize`/`deserialize`, compile-time name resolution, and the no-host-sync rule for every metric."""

import numpy as np
import pytest
import torch

import cornu.metrics as cm
from cornu.metrics.compile_utils import (
    get_compile_metric,
    get_compile_metrics,
    is_binary_or_sparse_categorical,
    resolve_crossentropy,
)


def test_get_names_classes_and_objects():
    assert type(cm.get("mse")) is cm.MeanSquaredError and cm.get("mse").name == "mean_squared_error"
    assert type(cm.get("AUC")) is cm.AUC and type(cm.get("auc")) is cm.AUC
    assert type(cm.get("categorical_accuracy")) is cm.CategoricalAccuracy
    assert type(cm.get(cm.Precision)) is cm.Precision
    metric = cm.Recall()
    assert cm.get(metric) is metric and cm.get(None) is None
    assert cm.get(cm.mean_squared_error) is cm.mean_squared_error
    assert type(cm.get({"class_name": "AUC", "config": {"num_thresholds": 7}})) is cm.AUC


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        cm.get("acuracy")
    with pytest.raises(ValueError, match="Could not interpret"):
        cm.get(3)


def test_serialize_round_trips_classes_and_functions():
    config = cm.serialize(cm.AUC(num_thresholds=7, name="a"))
    assert config["module"] == "keras.metrics" and config["class_name"] == "AUC"
    assert config["registered_name"] is None
    rebuilt = cm.deserialize(config)
    assert type(rebuilt) is cm.AUC and rebuilt.num_thresholds == 7 and rebuilt.name == "a"
    assert cm.serialize(cm.binary_accuracy) == "binary_accuracy"
    assert cm.deserialize("binary_accuracy") is cm.binary_accuracy
    assert cm.serialize(cm.mean_squared_error) == "mean_squared_error"
    keras_form = {"module": "builtins", "class_name": "function", "config": "mean_squared_error"}
    assert cm.deserialize(keras_form) is cm.mean_squared_error
    with pytest.raises(ValueError, match="neither"):
        cm.serialize(lambda t, p: t)


def test_every_exported_class_round_trips_its_config():
    required = {"MeanIoU": (2,), "IoU": (2, [0]), "OneHotIoU": (2, [0]), "OneHotMeanIoU": (2,)}
    required.update({"SensitivityAtSpecificity": (0.5,), "SpecificityAtSensitivity": (0.5,)})
    required.update({"PrecisionAtRecall": (0.5,), "RecallAtPrecision": (0.5,)})
    for name in cm.__all__:
        cls = getattr(cm, name)
        if not isinstance(cls, type) or cls in (cm.Metric, cm.MeanMetricWrapper):
            continue
        metric = cls(*required.get(name, ()))
        config = metric.get_config()
        assert cls.from_config(config).get_config() == config, name


def test_is_binary_or_sparse_categorical_from_shapes_and_tensors():
    assert is_binary_or_sparse_categorical((8, 1), (8, 1)) == (True, False)
    assert is_binary_or_sparse_categorical((8,), (8, 5)) == (False, True)
    assert is_binary_or_sparse_categorical((8, 1), (8, 5)) == (False, True)
    assert is_binary_or_sparse_categorical(torch.zeros(8, 5), np.zeros((8, 5))) == (False, False)
    assert resolve_crossentropy((8, 1), (8, 1)) == "binary_crossentropy"


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        ((8, 10), (8, 10), cm.CategoricalAccuracy),
        ((8,), (8, 10), cm.SparseCategoricalAccuracy),
        ((8, 1), (8, 10), cm.SparseCategoricalAccuracy),
        ((8, 1), (8, 1), cm.BinaryAccuracy),
        ((8,), (8, 1), cm.BinaryAccuracy),
    ],
)
def test_accuracy_is_resolved_from_shapes(y_true, y_pred, expected):
    for identifier in ("accuracy", "acc", "Accuracy"):
        metric = get_compile_metric(identifier, "mse", y_true, y_pred)
        assert type(metric) is expected and metric.name == identifier


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        ("binary_crossentropy", cm.BinaryAccuracy),
        ("sparse_categorical_crossentropy", cm.SparseCategoricalAccuracy),
        ("categorical_crossentropy", cm.CategoricalAccuracy),
        ("mse", cm.CategoricalAccuracy),
    ],
)
def test_accuracy_falls_back_on_the_loss_without_shapes(loss, expected):
    assert type(get_compile_metric("acc", loss)) is expected


def test_crossentropy_as_a_metric_is_resolved_like_accuracy():
    # cornu extension: Keras 3 only resolves 'crossentropy' for losses and rejects it as a metric.
    metric = get_compile_metric("crossentropy", None, (8,), (8, 4))
    assert type(metric) is cm.SparseCategoricalCrossentropy and metric.name == "crossentropy"
    assert type(get_compile_metric("ce", None, (8, 1), (8, 1))) is cm.BinaryCrossentropy


def _weighted_error(y_true, y_pred):
    return (y_true - y_pred).abs().mean(-1)


def test_compile_metric_names_follow_keras():
    shapes = ((4, 3), (4, 3))
    assert [m.name for m in get_compile_metrics(["mse", "MAE", "auc"], "mse", *shapes)] == ["mse", "MAE", "auc"]
    assert type(get_compile_metric("mse", "mse", *shapes)) is cm.MeanSquaredError
    wrapped = get_compile_metric(_weighted_error, None, *shapes)
    assert type(wrapped) is cm.MeanMetricWrapper and wrapped.name == "_weighted_error"
    wrapped.update_state(np.zeros((2, 3), "float32"), np.ones((2, 3), "float32"))
    assert float(wrapped.result()) == 1.0
    assert get_compile_metric(cm.Precision(name="p"), None, *shapes).name == "p"
    assert get_compile_metric(cm.AUC, None, *shapes).name.startswith("auc")
    assert get_compile_metrics(None) == [] and len(get_compile_metrics("mae")) == 1
    with pytest.raises(ValueError, match="Did you mean"):
        get_compile_metric("accurracy_score_x", None, *shapes)
    with pytest.raises(ValueError, match="received None"):
        get_compile_metric(None)


def _data(name):
    rng = np.random.default_rng(0)
    probs = torch.softmax(torch.tensor(rng.normal(size=(6, 4)), dtype=torch.float32), -1)
    one_hot = torch.eye(4)[torch.tensor(rng.integers(0, 4, 6))]
    if name in ("SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "SparseCategoricalCrossentropy"):
        return torch.tensor(rng.integers(0, 4, 6)), probs
    if name == "BinaryIoU":
        return torch.tensor(rng.integers(0, 2, 6)), probs[:, 0]
    if "IoU" in name and "OneHot" not in name:
        return torch.tensor(rng.integers(0, 4, 6)), torch.tensor(rng.integers(0, 4, 6))
    return one_hot, probs


_ARGS = {"MeanIoU": (4,), "IoU": (4, [0, 1]), "OneHotIoU": (4, [0]), "OneHotMeanIoU": (4,)}
_ARGS.update({"SensitivityAtSpecificity": (0.5,), "SpecificityAtSensitivity": (0.5,)})
_ARGS.update({"PrecisionAtRecall": (0.5,), "RecallAtPrecision": (0.5,), "Sum": (), "Mean": ()})
_CLASSES = [n for n in cm.__all__ if isinstance(getattr(cm, n), type) and n not in ("Metric", "MeanMetricWrapper")]


@pytest.mark.parametrize("name", _CLASSES)
def test_update_state_never_syncs_the_host(name, no_host_sync):
    metric = getattr(cm, name)(*_ARGS.get(name, ()))
    y_true, y_pred = _data(name)
    weight = torch.ones(6)
    metric.update_state(y_true, y_pred) if name not in ("Sum", "Mean") else metric.update_state(y_pred)
    with no_host_sync():  # the step after the first (which may build state from shapes)
        for _ in range(2):
            if name in ("Sum", "Mean"):
                metric.update_state(y_pred, sample_weight=weight)
            else:
                metric.update_state(y_true, y_pred, sample_weight=weight.long() if "IoU" in name else weight)
    assert torch.isfinite(torch.as_tensor(metric.result(), dtype=torch.float32)).all()
