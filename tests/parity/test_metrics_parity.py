"""Every cornu metric against the real Keras 3 metric on the same random batches: several updates, with and
without sample weights, a reset; and `compile(metrics=['accuracy'])` resolution against Keras's."""

import re

import numpy as np
import pytest

import cornu.metrics as cm
from cornu.metrics.compile_utils import get_compile_metric

keras = pytest.importorskip("keras")
from keras.src.trainers.compile_utils import get_metric as keras_get_metric  # noqa: E402

N = 8


def _binary(rng, width=1):
    return rng.integers(0, 2, (N, width)).astype("float32"), rng.uniform(size=(N, width)).astype("float32")


def _multilabel(rng):
    return _binary(rng, 3)


def _probabilities(rng, classes=5):
    logits = rng.normal(size=(N, classes))
    return (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")


def _categorical(rng):
    return np.eye(5, dtype="float32")[rng.integers(0, 5, N)], _probabilities(rng)


def _sparse(rng):
    return rng.integers(0, 5, (N,)).astype("float32"), _probabilities(rng)


def _sparse_column(rng):
    return rng.integers(0, 5, (N, 1)).astype("float32"), _probabilities(rng)


def _sparse_int(rng):
    return rng.integers(0, 5, (N,)).astype("int64"), _probabilities(rng)


def _regression(rng):
    return rng.normal(size=(N, 3)).astype("float32"), rng.normal(size=(N, 3)).astype("float32")


def _positive(rng):
    return rng.uniform(0.1, 2, (N, 3)).astype("float32"), rng.uniform(0.1, 2, (N, 3)).astype("float32")


def _distributions(rng):
    return _probabilities(rng, 3), _probabilities(rng, 3)


def _signed(rng):
    return rng.choice([-1.0, 1.0], (N, 3)).astype("float32"), rng.normal(size=(N, 3)).astype("float32")


def _equal_ints(rng):
    return rng.integers(0, 3, (N, 2)).astype("float32"), rng.integers(0, 3, (N, 2)).astype("float32")


def _logits(rng):
    return rng.integers(0, 2, (N, 1)).astype("float32"), rng.normal(size=(N, 1)).astype("float32") * 3


def _segmentation(rng):
    return rng.integers(0, 4, (N, 3)).astype("float32"), rng.integers(0, 4, (N, 3)).astype("float32")


def _one_hot_segmentation(rng):
    return np.eye(4, dtype="float32")[rng.integers(0, 4, N)], _probabilities(rng, 4)


# (class name, constructor kwargs, data, rtol)
CASES = [
    ("Accuracy", {}, _equal_ints, 1e-5),
    ("BinaryAccuracy", {}, _binary, 1e-5),
    ("BinaryAccuracy", {"threshold": 0.3}, _multilabel, 1e-5),
    ("CategoricalAccuracy", {}, _categorical, 1e-5),
    ("SparseCategoricalAccuracy", {}, _sparse, 1e-5),
    ("SparseCategoricalAccuracy", {}, _sparse_column, 1e-5),
    ("TopKCategoricalAccuracy", {}, _categorical, 1e-5),
    ("TopKCategoricalAccuracy", {"k": 2}, _categorical, 1e-5),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, _sparse_int, 1e-5),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, _sparse_column, 1e-5),
    ("MeanSquaredError", {}, _regression, 1e-5),
    ("MeanAbsoluteError", {}, _regression, 1e-5),
    ("MeanAbsolutePercentageError", {}, _positive, 1e-5),
    ("MeanSquaredLogarithmicError", {}, _positive, 1e-5),
    ("RootMeanSquaredError", {}, _regression, 1e-5),
    ("CosineSimilarity", {}, _regression, 1e-5),
    ("LogCoshError", {}, _regression, 1e-5),
    ("R2Score", {}, _regression, 1e-5),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, _regression, 1e-5),
    ("R2Score", {"class_aggregation": None}, _regression, 1e-5),
    ("BinaryCrossentropy", {}, _binary, 1e-5),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, _logits, 1e-5),
    ("CategoricalCrossentropy", {}, _categorical, 1e-5),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, _categorical, 1e-5),
    ("SparseCategoricalCrossentropy", {}, _sparse, 1e-5),
    ("KLDivergence", {}, _distributions, 1e-5),
    ("Poisson", {}, _positive, 1e-5),
    ("Hinge", {}, _signed, 1e-5),
    ("SquaredHinge", {}, _signed, 1e-5),
    ("CategoricalHinge", {}, _categorical, 1e-5),
    ("TruePositives", {}, _binary, 1e-5),
    ("TrueNegatives", {}, _multilabel, 1e-5),
    ("FalsePositives", {"thresholds": [0.2, 0.5, 0.8]}, _multilabel, 1e-5),
    ("FalseNegatives", {"thresholds": [0.0, 0.5, 1.0]}, _multilabel, 1e-5),
    ("Precision", {}, _binary, 1e-5),
    ("Precision", {"thresholds": [0.1, 0.4, 0.7]}, _multilabel, 1e-5),
    ("Precision", {"top_k": 2}, _multilabel, 1e-5),
    ("Precision", {"class_id": 1}, _multilabel, 1e-5),
    ("Recall", {}, _binary, 1e-5),
    ("Recall", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, _multilabel, 1e-5),
    ("Recall", {"top_k": 1, "class_id": 2}, _multilabel, 1e-5),
    ("AUC", {}, _binary, 1e-4),
    ("AUC", {"num_thresholds": 7}, _multilabel, 1e-4),
    ("AUC", {"curve": "PR"}, _multilabel, 1e-4),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, _binary, 1e-4),
    ("AUC", {"summation_method": "majoring"}, _binary, 1e-4),
    ("AUC", {"curve": "PRGAIN"}, _multilabel, 1e-4),
    ("AUC", {"multi_label": True}, _multilabel, 1e-4),
    ("AUC", {"multi_label": True, "curve": "PR", "label_weights": [0.2, 1.0, 0.5]}, _multilabel, 1e-4),
    ("AUC", {"label_weights": [0.2, 1.0, 0.5]}, _multilabel, 1e-4),
    ("AUC", {"thresholds": [0.3, 0.6, 0.9]}, _multilabel, 1e-4),
    ("AUC", {"from_logits": True}, _logits, 1e-4),
    ("AUC", {"multi_label": True, "thresholds": [0.2, 0.45, 0.9], "curve": "PR"}, _multilabel, 1e-4),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, _multilabel, 1e-5),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5, "num_thresholds": 10}, _multilabel, 1e-5),
    ("PrecisionAtRecall", {"recall": 0.6}, _multilabel, 1e-5),
    ("RecallAtPrecision", {"precision": 0.4, "class_id": 0}, _multilabel, 1e-5),
    ("MeanIoU", {"num_classes": 4}, _segmentation, 1e-5),
    ("MeanIoU", {"num_classes": 4, "ignore_class": 0, "dtype": "float32"}, _segmentation, 1e-5),
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, _segmentation, 1e-5),
    ("BinaryIoU", {"threshold": 0.4}, _binary, 1e-5),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [1, 3]}, _one_hot_segmentation, 1e-5),
    ("OneHotMeanIoU", {"num_classes": 4}, _one_hot_segmentation, 1e-5),
    ("F1Score", {}, _categorical, 1e-5),
    ("F1Score", {"average": "micro", "threshold": 0.3}, _multilabel, 1e-5),
    ("F1Score", {"average": "macro", "threshold": 0.5}, _multilabel, 1e-5),
    ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.4}, _multilabel, 1e-5),
    ("PearsonCorrelation", {}, _regression, 1e-5),
    ("ConcordanceCorrelation", {}, _regression, 1e-5),
]


def _value(result):
    return np.asarray(keras.ops.convert_to_numpy(result), dtype="float64")


def _ours(result):
    return np.asarray(result.detach().cpu().numpy(), dtype="float64")


# Both libraries warn that integer IoU counts truncate float weights; the weights used here are whole numbers.
@pytest.mark.filterwarnings("ignore:.*(truncated|passing weight as).*:UserWarning")
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    ("cls_name", "kwargs", "data", "rtol"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_metric_matches_keras(cls_name, kwargs, data, rtol, weighted):
    rng = np.random.default_rng(len(cls_name) + 7 * weighted)
    ours, ref = getattr(cm, cls_name)(**kwargs), getattr(keras.metrics, cls_name)(**kwargs)
    # MeanIoU's integer confusion matrix truncates fractional weights, in both: use integer weights there.
    integer_weights = "IoU" in cls_name and "dtype" not in kwargs
    for step in range(4):
        if step == 3:  # after a reset, one more batch must give that batch's value alone
            ours.reset_state()
            ref.reset_state()
        y_true, y_pred = data(rng)
        # Segmentation labels (N, 3) take one weight per pixel (IoU flattens both), other metrics one per sample.
        shape = y_true.shape if data is _segmentation else (N,)
        weight = rng.integers(0, 3, shape) if integer_weights else rng.uniform(0, 2, shape)
        weight = weight.astype("float32") if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=weight)
        ref.update_state(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(_ours(ours.result()), _value(ref.result()), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize(
    ("cls_name", "kwargs", "data", "rtol"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_config_matches_keras(cls_name, kwargs, data, rtol):
    ours, ref = getattr(cm, cls_name)(**kwargs), getattr(keras.metrics, cls_name)(**kwargs)
    ours_config, ref_config = ours.get_config(), ref.get_config()
    ref_config["name"] = ours_config["name"]  # auto-generated names count instances per session
    if ref_config.get("label_weights") is not None:
        ref_config["label_weights"] = _value(ref_config["label_weights"]).tolist()
        ours_config["label_weights"] = np.float64(ours_config["label_weights"]).tolist()
    assert ours_config == ref_config
    rebuilt = type(ours).from_config(ours_config)
    assert rebuilt.get_config() == ours_config


def test_default_names_match_keras():
    for cls_name, kwargs, _, _ in CASES:
        ours, ref = getattr(cm, cls_name)(**kwargs), getattr(keras.metrics, cls_name)(**kwargs)
        # Both number repeated auto-names (`precision_3`); the counters differ between the two libraries.
        assert re.sub(r"_\d+$", "", ours.name) == re.sub(r"_\d+$", "", ref.name), cls_name


@pytest.mark.parametrize(
    ("loss", "y_true", "y_pred"),
    [
        ("categorical_crossentropy", (8, 10), (8, 10)),
        ("sparse_categorical_crossentropy", (8,), (8, 10)),
        ("sparse_categorical_crossentropy", (8, 1), (8, 10)),
        ("binary_crossentropy", (8, 1), (8, 1)),
        ("binary_crossentropy", (8,), (8, 1)),
        ("mse", (8, 1), (8, 1)),
        ("mse", (8, 3), (8, 3)),
    ],
)
@pytest.mark.parametrize("identifier", ["accuracy", "acc", "ACC"])
def test_accuracy_resolution_matches_keras(loss, y_true, y_pred, identifier):
    true, pred = np.zeros(y_true, "float32"), np.zeros(y_pred, "float32")
    ref = keras_get_metric(identifier, true, pred)
    ours = get_compile_metric(identifier, loss, true, pred)
    assert type(ours).__name__ == type(ref).__name__
    assert ours.name == ref.name == identifier
    assert get_compile_metric(identifier, loss, y_true, y_pred).__class__ is type(ours)  # shapes do as well


def _my_metric(y_true, y_pred):
    return (y_true - y_pred).abs().mean(-1) if hasattr(y_true, "abs") else np.abs(y_true - y_pred).mean(-1)


@pytest.mark.parametrize("identifier", ["mse", "MSE", "mae", "mean_squared_error", "AUC", "auc", "binary_crossentropy"])
def test_compile_names_match_keras(identifier):
    true, pred = np.zeros((4, 3), "float32"), np.zeros((4, 3), "float32")
    ref, ours = keras_get_metric(identifier, true, pred), get_compile_metric(identifier, "mse", true, pred)
    assert (type(ours).__name__, ours.name) == (type(ref).__name__, ref.name)


def test_compile_names_of_objects_match_keras():
    true, pred = np.zeros((4, 3), "float32"), np.zeros((4, 3), "float32")
    ref = keras_get_metric(keras.metrics.Precision(name="prec"), true, pred)
    assert get_compile_metric(cm.Precision(name="prec"), None, true, pred).name == ref.name == "prec"
    ref = keras_get_metric(_my_metric, true, pred)
    ours = get_compile_metric(_my_metric, None, true, pred)
    assert ours.name == ref.name == "_my_metric"
    assert type(ours).__name__ == type(ref).__name__ == "MeanMetricWrapper"
    ref = keras_get_metric(keras.metrics.mean_squared_error, true, pred)
    assert get_compile_metric(cm.mean_squared_error, None, true, pred).name == ref.name == "mean_squared_error"


def test_get_names_match_keras():
    for name in ["mse", "MSE", "bce", "mape", "msle", "accuracy", "auc", "AUC", "f1_score", "mean_io_u", "r2_score"]:
        if name in ("mean_io_u",):
            continue  # needs num_classes, in both
        assert type(cm.get(name)).__name__ == type(keras.metrics.get(name)).__name__


@pytest.mark.parametrize("cls_name", ["Mean", "Sum"])
@pytest.mark.parametrize(
    ("values_shape", "weight_shape"),
    [((N,), None), ((N,), (N,)), ((N, 3), None), ((N, 3), (N,)), ((N, 3), (N, 1)), ((N, 3), (N, 3)), ((N, 2, 3), (N,))],
)
def test_reductions_match_keras(cls_name, values_shape, weight_shape):
    rng = np.random.default_rng(0)
    ours, ref = getattr(cm, cls_name)(), getattr(keras.metrics, cls_name)()
    for _ in range(3):
        values = rng.normal(size=values_shape).astype("float32")
        weight = None if weight_shape is None else rng.uniform(0, 2, weight_shape).astype("float32")
        ours.update_state(values, sample_weight=weight)
        ref.update_state(values, sample_weight=weight)
        np.testing.assert_allclose(_ours(ours.result()), _value(ref.result()), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_metric_wrapper_matches_keras(weighted):
    rng = np.random.default_rng(1)
    ours = cm.MeanMetricWrapper(cm.mean_absolute_error, name="w")
    ref = keras.metrics.MeanMetricWrapper(keras.metrics.mean_absolute_error, name="w")
    for _ in range(3):
        y_true, y_pred = _regression(rng)
        weight = rng.uniform(0, 2, N).astype("float32") if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=weight)
        ref.update_state(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(_ours(ours.result()), _value(ref.result()), rtol=1e-5)
    assert ours.get_config()["fn"] == "mean_absolute_error" == ref.get_config()["fn"]["config"]


@pytest.mark.parametrize("weighted", [False, True])
def test_ignore_class_and_prediction_masks_match_keras(weighted):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    ours, ref = (
        cm.SparseCategoricalCrossentropy(ignore_class=0),
        keras.metrics.SparseCategoricalCrossentropy(ignore_class=0),
    )
    ours_mse, ref_mse = cm.MeanSquaredError(), keras.metrics.MeanSquaredError()
    for _ in range(3):
        y_true, y_pred = _sparse(rng)
        weight = rng.uniform(0, 2, N).astype("float32") if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=weight)
        ref.update_state(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(_ours(ours.result()), _value(ref.result()), rtol=1e-5)
        # a prediction carrying a Keras mask (as a masked sequence layer leaves it): masked samples weigh 0
        y_true, y_pred = _regression(rng)
        masked = torch.tensor(y_pred)
        masked._keras_mask = torch.tensor(rng.integers(0, 2, N).astype(bool))
        ours_mse.update_state(y_true, masked, sample_weight=weight)
        ref_mse.update_state(y_true, masked, sample_weight=weight)
        np.testing.assert_allclose(_ours(ours_mse.result()), _value(ref_mse.result()), rtol=1e-5)


@pytest.mark.parametrize(
    ("cls_name", "kwargs", "data", "weight_shape"),
    [
        ("MeanSquaredError", {}, _regression, (N, 1)),
        ("CategoricalAccuracy", {}, _categorical, (N, 1)),
        ("BinaryAccuracy", {}, _multilabel, (N, 3)),
        ("Precision", {"thresholds": [0.3, 0.6]}, _multilabel, (N, 3)),
        ("AUC", {}, _multilabel, (N, 3)),
        ("AUC", {"multi_label": True, "num_labels": 3}, _multilabel, (N, 3)),
        ("Recall", {}, _binary, (N, 1)),
        ("MeanSquaredError", {"dtype": "float64"}, _regression, (N,)),
    ],
)
def test_weight_ranks_and_dtypes_match_keras(cls_name, kwargs, data, weight_shape):
    rng = np.random.default_rng(3)
    ours, ref = getattr(cm, cls_name)(**kwargs), getattr(keras.metrics, cls_name)(**kwargs)
    for _ in range(3):
        y_true, y_pred = data(rng)
        weight = rng.uniform(0, 2, weight_shape).astype("float32")
        ours.update_state(y_true, y_pred, sample_weight=weight)
        ref.update_state(y_true, y_pred, sample_weight=weight)
        np.testing.assert_allclose(_ours(ours.result()), _value(ref.result()), rtol=1e-5, atol=1e-6)
    ref_dtype = str(keras.ops.convert_to_numpy(ref.result()).dtype)
    # Deliberate difference: Keras's torch backend returns float32 from a float64 Mean (its variables are
    # float64); cornu returns the metric's dtype.
    assert str(ours.result().dtype).replace("torch.", "") == kwargs.get("dtype", ref_dtype)
