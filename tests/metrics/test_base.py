"""The Metric lifecycle and the Mean/Sum/MeanMetricWrapper reductions, against hand-computed values."""

import numpy as np
import pytest
import torch

import cornu.metrics as cm
from cornu.metrics.base import reduce_to_samplewise, squeeze_or_expand_to_same_rank


def test_no_host_sync_guard_catches_item(no_host_sync):
    with pytest.raises(AssertionError, match="host sync"), no_host_sync():
        torch.ones(1).item()


def test_mean_accumulates_over_updates_and_resets():
    m = cm.Mean()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state(np.array([4.0]))
    assert float(m.result()) == pytest.approx(2.5)
    assert (float(m.total), float(m.count)) == (10.0, 4.0)
    m.reset_state()
    assert float(m.result()) == 0.0  # divide_no_nan before any data
    m.update_state(torch.tensor([7.0]))
    assert float(m.result()) == 7.0


def test_mean_with_sample_weight():
    m = cm.Mean()
    m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 2.0])
    assert float(m.result()) == pytest.approx((1 + 3 + 14) / 4)


def test_mean_of_rank_2_values_averages_each_sample_first():
    m = cm.Mean()
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[1.0, 3.0])
    assert float(m.result()) == pytest.approx((2 * 1 + 6 * 3) / 4)


def test_mean_with_per_element_weights():
    # Keras rule: values * weights summed per sample (mean over the row), weights averaged per row.
    values, weights = torch.tensor([[1.0, 3.0], [5.0, 7.0]]), torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    m = cm.Mean()
    m.update_state(values, sample_weight=weights)
    assert float(m.result()) == pytest.approx((0.5 + 6.0) / (0.5 + 1.0))


def test_sum_with_weights_and_reset():
    m = cm.Sum()
    m.update_state([1.0, 3.0, 5.0, 7.0])
    m.update_state([[1.0, 1.0]], sample_weight=[2.0])
    assert float(m.result()) == 20.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_mean_metric_wrapper_with_kwargs_and_call():
    m = cm.MeanMetricWrapper(lambda t, p, scale: scale * (t - p).abs(), name="scaled_l1", scale=2.0)
    assert float(m([[0.0, 1.0]], [[1.0, 1.0]])) == pytest.approx(1.0)  # __call__ updates and returns the result
    assert float(m([[0.0, 0.0]], [[0.0, 0.0]])) == pytest.approx(0.5)
    assert m.name == "scaled_l1"


def test_mean_metric_wrapper_resolves_loss_names_and_serializes_them():
    m = cm.MeanMetricWrapper("mean_squared_error", name="w")
    m.update_state([[0.0, 2.0]], [[0.0, 0.0]])
    assert float(m.result()) == pytest.approx(2.0)
    config = m.get_config()
    assert config == {"name": "w", "dtype": "float32", "fn": "mean_squared_error"}
    assert float(cm.MeanMetricWrapper.from_config(config)([[2.0]], [[0.0]])) == pytest.approx(4.0)
    accuracy = cm.MeanMetricWrapper("binary_accuracy", threshold=0.9)  # metric functions by name too
    assert accuracy.get_config()["fn"] == "binary_accuracy" and accuracy.get_config()["threshold"] == 0.9
    assert float(accuracy([[1.0], [1.0]], [[0.95], [0.8]])) == 0.5
    custom = cm.MeanMetricWrapper(lambda t, p: t)
    assert callable(custom.get_config()["fn"])  # a user function is kept as the object itself


def test_state_is_created_on_the_backend_device_and_moves_in_place():
    m = cm.AUC(num_thresholds=5)
    assert all(v.device == cornu_device() for v in m.variables)
    assert m.to("meta") is m
    assert len(m.variables) == 4 and all(v.device.type == "meta" for v in m.variables)
    # Every attribute that names a state now names the moved tensor.
    assert m.true_positives is m.variables[0] is m._states["tp"]
    assert m._thresholds_t.device.type == "meta" and m.device.type == "meta"
    m.true_positives.assign_add(1.0)  # Keras's assign methods follow the move


def cornu_device():
    import cornu.backend

    return cornu.backend.get_device()


def test_variables_are_tensors_with_keras_assign_methods():
    m = cm.Mean()
    assert [v.variable_name for v in m.variables] == ["total", "count"]
    m.total.assign(3.0)
    m.total.assign_add(2.0)
    m.count.assign_sub(-2.0)
    assert float(m.result()) == 2.5


class BinaryTruePositives(cm.Metric):
    """A custom metric written as for Keras: add_variable in __init__, assign_add in update_state."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = (torch.as_tensor(y_true).bool() & torch.as_tensor(y_pred).bool()).float()
        if sample_weight is not None:
            values = values * torch.as_tensor(sample_weight, dtype=torch.float32)
        self.true_positives.assign_add(values.sum())

    def result(self):
        return self.true_positives


def test_keras_style_custom_metric_runs():
    m = BinaryTruePositives()
    m.update_state([1, 1, 0, 1], [1, 0, 0, 1], sample_weight=[0.5, 1.0, 1.0, 2.0])
    assert float(m.result()) == 2.5
    m.reset_state()
    assert float(m.result()) == 0.0
    assert BinaryTruePositives.from_config(m.get_config()).name == "binary_true_positives"


class Pair(cm.Metric):
    def __init__(self):
        super().__init__(name="pair")
        self.first, self.second = cm.Mean(name="a"), cm.Sum(name="b")


def test_sub_metric_state_is_tracked_and_reset():
    m = Pair()
    assert len(m.variables) == 3
    m.first.update_state([2.0])
    m.second.update_state([3.0])
    m.reset_state()
    assert float(m.first.result()) == 0.0 and float(m.second.result()) == 0.0


def test_initializers_and_errors():
    m = cm.Mean()
    assert float(m.add_variable((2,), "ones").sum()) == 2.0
    assert float(m.add_variable((2,), 3.0).sum()) == 6.0
    assert m.add_variable((2,), lambda shape, dtype: np.full(shape, 2.0)).tolist() == [2.0, 2.0]
    assert m.add_variable((), dtype="int32").dtype == torch.int32
    with pytest.raises(ValueError, match="Use 'zeros'"):
        m.add_variable((2,), "glorot")

    class Forgot(cm.Metric):
        def __init__(self):
            self.v = self.add_variable(())

    with pytest.raises(RuntimeError, match="super"):
        Forgot()


def test_default_names_are_unique_and_snake_cased():
    assert [cm.Precision().name, cm.Precision().name, cm.MeanIoU(2).name] == ["precision", "precision_1", "mean_io_u"]
    assert repr(cm.Mean()) == "<Mean name=mean>"


def test_dtype_of_state_and_result():
    m = cm.Mean(dtype="float64")
    m.update_state([1.0, 2.0])
    assert m.dtype == "float64" and m.result().dtype == torch.float64


def test_update_state_does_not_track_gradients():
    y_pred = torch.tensor([[0.2, 0.8]], requires_grad=True)
    m = cm.MeanSquaredError()
    m.update_state(torch.tensor([[0.0, 1.0]]), y_pred)
    assert not m.total.requires_grad and m.total.grad_fn is None


def test_squeeze_or_expand_to_same_rank():
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(4, 1), torch.zeros(4))
    assert (a.shape, b.shape) == ((4, 1), (4, 1))
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(4, 3, 1), torch.zeros(4, 3))
    assert (a.shape, b.shape) == ((4, 3), (4, 3))
    a, b = squeeze_or_expand_to_same_rank(torch.zeros(4), torch.zeros(4, 1), expand_rank_1=False)
    assert (a.shape, b.shape) == ((4,), (4,))


def test_reduce_to_samplewise_sums_or_averages_trailing_axes():
    values, weight = reduce_to_samplewise(torch.ones(2, 3), torch.tensor([1.0, 2.0]), torch.sum)
    assert values.tolist() == [3.0, 6.0] and weight.tolist() == [1.0, 2.0]


def test_masks_on_predictions_and_losses_weigh_entries_zero():
    probs = np.full((4, 3), 1 / 3, "float32")
    weighted = cm.SparseCategoricalCrossentropy(ignore_class=0)
    weighted.update_state([0, 1, 2, 0], probs, sample_weight=np.ones(4, "float32"))
    assert float(weighted.result()) == pytest.approx(np.log(3), rel=1e-6)  # the two ignored samples are dropped
    # Keras applies the loss's own mask only to given weights: unweighted, ignored samples count as 0 loss
    unweighted = cm.SparseCategoricalCrossentropy(ignore_class=0)
    unweighted.update_state([0, 1, 2, 0], probs)
    assert float(unweighted.result()) == pytest.approx(np.log(3) / 2, rel=1e-6)
    masked = torch.tensor(probs)
    masked._keras_mask = torch.tensor([True, False, False, True])  # as a masking layer leaves it
    accuracy = cm.CategoricalAccuracy()
    accuracy.update_state(np.eye(3)[[0, 1, 2, 0]], masked)
    assert float(accuracy.result()) == 1.0  # only samples 0 and 3 count; both argmax to class 0
