"""Accuracy functions and classes against hand-counted matches, with weights, accumulation and reset."""

import pytest
import torch

import cornu.metrics as cm


def test_accuracy_counts_exact_matches():
    m = cm.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert float(m.result()) == 0.75
    m.update_state([[1], [2]], [[0], [0]], sample_weight=[1.0, 3.0])  # adds 0 matches over weight 4
    assert float(m.result()) == pytest.approx(3 / 8)
    m.reset_state()
    m.update_state([1, 2], [1, 2])
    assert float(m.result()) == 1.0


def test_binary_accuracy_threshold_and_weights():
    y_true, y_pred = [[1], [1], [0], [0]], [[0.98], [1.0], [0.0], [0.6]]
    assert cm.binary_accuracy(y_true, y_pred).tolist() == [[1.0], [1.0], [1.0], [0.0]]
    m = cm.BinaryAccuracy()
    m.update_state(y_true, y_pred, sample_weight=[1.0, 0.0, 0.0, 1.0])
    assert float(m.result()) == 0.5
    m = cm.BinaryAccuracy(threshold=0.7)
    m.update_state(y_true, y_pred)
    assert float(m.result()) == 1.0
    # 0.5 itself is not above the default threshold
    assert cm.binary_accuracy([1.0], [0.5]).tolist() == [0.0]


def test_binary_accuracy_rank_1_labels_against_column_predictions():
    assert cm.binary_accuracy(torch.tensor([1.0, 0.0]), torch.tensor([[0.9], [0.9]])).tolist() == [[1.0], [0.0]]


def test_categorical_accuracy_accumulates_over_batches():
    m = cm.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert float(m.result()) == 0.5
    m.update_state([[1, 0, 0]], [[0.7, 0.2, 0.1]])
    assert float(m.result()) == pytest.approx(2 / 3)
    m.update_state([[1, 0, 0]], [[0.1, 0.2, 0.7]], sample_weight=[3.0])
    assert float(m.result()) == pytest.approx(2 / 6)


def test_categorical_accuracy_keeps_extra_axes():
    y_true = torch.eye(3)[torch.tensor([[0, 1], [2, 2]])]  # (2, 2, 3) one-hot
    y_pred = torch.eye(3)[torch.tensor([[0, 2], [2, 1]])]
    assert cm.categorical_accuracy(y_true, y_pred).tolist() == [[1.0, 0.0], [1.0, 0.0]]


def test_sparse_categorical_accuracy_label_shapes():
    y_pred = [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]
    assert cm.sparse_categorical_accuracy([2, 1], y_pred).tolist() == [0.0, 1.0]
    assert cm.sparse_categorical_accuracy([[2], [1]], y_pred).tolist() == [0.0, 1.0]
    assert cm.sparse_categorical_accuracy(torch.tensor([1, 1]), y_pred).tolist() == [1.0, 1.0]  # integer labels
    m = cm.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], y_pred, sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)


def test_top_k_categorical_accuracy():
    y_true, y_pred = [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert cm.top_k_categorical_accuracy(y_true, y_pred, k=1).tolist() == [0.0, 1.0]
    assert cm.top_k_categorical_accuracy(y_true, [[0.1, 0.9, 0.8], [0.9, 0.05, 0.8]], k=2).tolist() == [1.0, 0.0]
    m = cm.TopKCategoricalAccuracy(k=1)
    m.update_state(y_true, y_pred, sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    assert cm.TopKCategoricalAccuracy().k == 5


def test_top_k_counts_ties_as_in():
    # Keras's in_top_k: a target whose score equals the k-th largest is a hit.
    assert cm.top_k_categorical_accuracy([[0, 0, 1]], [[0.5, 0.5, 0.5]], k=1).tolist() == [1.0]


def test_sparse_top_k_categorical_accuracy_and_sorted_ids():
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert cm.sparse_top_k_categorical_accuracy([2, 1], y_pred, k=1).tolist() == [0.0, 1.0]
    assert cm.sparse_top_k_categorical_accuracy([[2], [1]], y_pred, k=2).tolist() == [[1.0], [1.0]]
    sorted_ids = [[1, 2, 0], [1, 0, 2]]
    assert cm.sparse_top_k_categorical_accuracy([2, 2], sorted_ids, k=2, from_sorted_ids=True).tolist() == [1.0, 0.0]
    m = cm.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], y_pred)
    m.update_state([0], [[1.0, 0.0, 0.0]])
    assert float(m.result()) == pytest.approx(2 / 3)
    m.reset_state()
    assert float(m.result()) == 0.0


def test_accuracy_configs():
    assert cm.BinaryAccuracy(threshold=0.3).get_config() == {
        "name": "binary_accuracy",
        "dtype": "float32",
        "threshold": 0.3,
    }
    assert cm.TopKCategoricalAccuracy(k=2, name="t").get_config() == {"name": "t", "dtype": "float32", "k": 2}
    config = cm.SparseTopKCategoricalAccuracy(from_sorted_ids=True).get_config()
    assert config["from_sorted_ids"] is True and cm.SparseTopKCategoricalAccuracy.from_config(config).from_sorted_ids
    assert "from_sorted_ids" not in cm.SparseTopKCategoricalAccuracy().get_config()
