"""Running means, lazy batch logs, the compiled loss's weighting and Keras's metric names."""

import numpy as np
import pytest
import torch

import cornu
from cornu.trainers import checks
from cornu.trainers.compile_utils import CompiledLoss, CompiledMetrics, align_to_outputs
from cornu.trainers.logs import LazyLogs, RunningMean


def test_running_mean_weights_each_batch_by_its_size():
    mean = RunningMean("loss")
    mean.update(torch.tensor(2.0), 32)
    mean.update(torch.tensor(5.0), 8)
    assert mean.result().item() == pytest.approx((2.0 * 32 + 5.0 * 8) / 40)
    mean.reset()
    assert mean.result().item() == 0.0


def test_lazy_logs_compute_once_and_only_when_read():
    calls = []

    def compute():
        calls.append(1)
        return {"loss": torch.tensor(0.25), "acc": torch.tensor(0.5)}

    logs = LazyLogs(compute)
    assert calls == []  # handing logs to a callback costs nothing
    assert logs["loss"] == 0.25 and isinstance(logs["loss"], float)
    assert list(logs) == ["acc", "loss"] and len(logs) == 2 and dict(logs) == {"acc": 0.5, "loss": 0.25}
    assert calls == [1]


def test_fit_without_batch_callbacks_never_reads_batch_logs(monkeypatch):
    reads = []
    original = LazyLogs._resolved
    monkeypatch.setattr(LazyLogs, "_resolved", lambda self: reads.append(1) or original(self))
    model = cornu.Sequential([cornu.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((64, 2)), np.ones((64, 1)), batch_size=4, epochs=2, verbose=0)
    assert reads == []


def test_compiled_loss_is_the_weighted_sum_of_output_losses():
    loss = CompiledLoss(["mse", "mae"], {"b": 0.5, "a": 2.0})
    loss.build(["a", "b"])
    y_true = [torch.zeros(2, 1), torch.zeros(2, 1)]
    y_pred = [torch.full((2, 1), 3.0), torch.full((2, 1), -4.0)]
    total, parts = loss(y_true, y_pred, [None, None])
    assert [p.item() for p in parts] == [9.0, 4.0]
    assert total.item() == 2.0 * 9.0 + 0.5 * 4.0


def test_compile_arguments_are_checked_against_the_outputs():
    assert align_to_outputs("mse", ["a", "b"], "loss") == ["mse", "mse"]
    assert align_to_outputs({"b": "mae"}, ["a", "b"], "loss") == [None, "mae"]
    with pytest.raises(ValueError, match=r"names outputs \['c'\], but the model's outputs are \['a', 'b'\]"):
        align_to_outputs({"c": "mse"}, ["a", "b"], "loss")
    with pytest.raises(ValueError, match="got a list of 3 entries, but the model has 2 outputs"):
        align_to_outputs(["mse"] * 3, ["a", "b"], "loss")
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        CompiledLoss("mes")
    with pytest.raises(ValueError, match=r"metrics must be a dict keyed by output name or a list with one list"):
        CompiledMetrics(["mae"]).build(["a", "b"], [None, None], [None, None], [None, None])


def test_metric_names_follow_keras():
    metrics = CompiledMetrics(["mae", "mae"], weighted_metrics=["mae", "mae"])
    y = torch.zeros(4, 1)
    metrics.build(["out"], [None], [y], [y])
    assert [m.name for m in metrics.metrics] == ["mae", "mae_1", "weighted_mae", "weighted_mae_1"]
    per_output = CompiledMetrics({"b": ["mse"], "a": "mae"})
    per_output.build(["a", "b"], [None, None], [y, y], [y, y])
    assert [m.name for m in per_output.metrics] == ["a_mae", "b_mse"]


def test_class_weight_to_sample_weights():
    labels = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(checks.merge_class_weight(labels, None, {0: 3.0, 2: 0.5}), [3.0, 0.5, 1.0, 0.5])
    one_hot = np.eye(3)[labels]
    np.testing.assert_array_equal(checks.merge_class_weight(one_hot, None, {1: 4.0}), [1.0, 1.0, 4.0, 1.0])
    assert checks.merge_class_weight(labels, "untouched", None) == "untouched"
    with pytest.raises(ValueError, match="single-output"):
        checks.merge_class_weight([labels, labels], None, {0: 1.0})


def test_metrics_names_pair_with_evaluate_values():
    # Deliberate difference: Keras 3 answers ['loss', 'compile_metrics']; cornu names every listed value.
    inputs = cornu.Input((3,))
    model = cornu.Model(
        inputs, [cornu.layers.Dense(1, name="a")(inputs), cornu.layers.Dense(2, name="b")(inputs)], name="two"
    )
    model.compile(optimizer="sgd", loss={"b": "mae", "a": "mse"}, metrics={"a": ["mae"]})
    assert model.metrics_names == []
    x, y = np.ones((4, 3), "float32"), [np.zeros((4, 1), "float32"), np.zeros((4, 2), "float32")]
    values = model.evaluate(x, y, verbose=0)
    assert model.metrics_names == ["loss", "b_loss", "a_loss", "a_mae"]
    assert dict(zip(model.metrics_names, values, strict=True)) == model.evaluate(x, y, verbose=0, return_dict=True)


def test_batch_logs_can_be_written_like_a_dict():
    logs = LazyLogs(lambda: {"loss": torch.tensor(1.5)})
    logs["note"] = 2.0
    logs.update(extra=3.0)
    del logs["loss"]
    assert dict(logs) == {"note": 2.0, "extra": 3.0} and logs.get("loss") is None
