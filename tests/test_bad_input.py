"""Mistakes users make with fit/evaluate/predict get an error that names the problem and the fix.

And the generator/iterable inputs that are right give exactly what the array path gives.
"""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import cornu
from cornu.layers import Dense

N, FEATURES, CLASSES = 20, 200, 5


def _model(loss="categorical_crossentropy", optimizer="adam", metrics=("accuracy",), compile=True):
    model = cornu.Sequential(
        [Dense(8, activation="relu", input_shape=(FEATURES,)), Dense(CLASSES, activation="softmax")]
    )
    if compile:
        model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


@pytest.fixture
def data():
    x = np.random.default_rng(0).normal(size=(N, FEATURES)).astype("float32")
    labels = np.arange(N) % CLASSES
    return x, labels, np.eye(CLASSES, dtype="float32")[labels]


def test_fit_before_compile(data):
    x, _, y = data
    for method, args in (("fit", (x, y)), ("evaluate", (x, y)), ("train_on_batch", (x, y))):
        with pytest.raises(ValueError, match=rf"must call compile\(\) before {method}\(\).*model.compile\(optimizer="):
            getattr(_model(compile=False), method)(*args, verbose=0) if method != "train_on_batch" else getattr(
                _model(compile=False), method
            )(*args)


def test_x_and_y_of_different_lengths(data):
    x, _, y = data
    with pytest.raises(ValueError, match="x has 20 samples but y has 19.*one entry per sample"):
        _model().fit(x, y[:19], verbose=0)
    with pytest.raises(ValueError, match="x has 20 samples but sample_weight has 3"):
        _model().fit(x, y, sample_weight=np.ones(3), verbose=0)


def test_integer_labels_with_categorical_crossentropy(data):
    x, labels, _ = data
    with pytest.raises(
        ValueError, match=r"(?s)expects one-hot targets.*\(20,\).*sparse_categorical_crossentropy.*to_categorical"
    ):
        _model().fit(x, labels, verbose=0)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        _model().evaluate(x, labels, verbose=0)


def test_one_hot_labels_with_the_sparse_loss(data):
    x, _, y = data
    with pytest.raises(
        ValueError, match=r"(?s)expects integer class targets.*\(20, 5\).*loss='categorical_crossentropy'.*argmax"
    ):
        _model("sparse_categorical_crossentropy").fit(x, y, verbose=0)


def test_wrong_feature_count(data):
    x, _, y = data
    with pytest.raises(ValueError, match=r"expects data of shape \(None, 200\), but x has shape \(20, 199\)"):
        _model().fit(x[:, :199], y, verbose=0)
    with pytest.raises(ValueError, match=r"\(None, 200\).*\(None, 199\)"):
        _model().predict(x[:, :199], verbose=0)
    with pytest.raises(ValueError, match=r"Flatten the samples first: x = x.reshape\(len\(x\), 200\)"):
        _model().fit(x.reshape(N, 20, 10), y, verbose=0)


def test_wrong_number_of_input_arrays(data):
    x, _, y = data
    with pytest.raises(ValueError, match="has 1 inputs but x holds 2 arrays"):
        _model().fit([x, x], y, verbose=0)


def test_nan_in_inputs_and_targets(data):
    x, _, y = data
    x = x.copy()
    x[2, 7] = np.nan
    with pytest.raises(
        ValueError, match=r"x contains 1 NaN or infinite values \(the first at index \(2, 7\)\).*nan_to_num"
    ):
        _model().fit(x, y, verbose=0)
    y = y.copy()
    y[0, 0] = np.inf
    with pytest.raises(ValueError, match="y contains 1 NaN or infinite"):
        _model().fit(data[0], y, verbose=0)


def test_unknown_identifiers_suggest_the_name():
    with pytest.raises(ValueError, match="Unknown optimizer: 'adm'. Did you mean 'adam'"):
        _model(optimizer="adm")
    with pytest.raises(ValueError, match="Did you mean 'categorical_crossentropy'"):
        _model(loss="categorical_crossentropyy")
    with pytest.raises(ValueError, match="Unknown metric: 'acuracy'. Did you mean 'accuracy'"):
        _model(metrics=["acuracy"])
    with pytest.raises(ValueError, match="Did you mean 'mae'"):
        _model(loss={"dense_1": "maee"})


@pytest.mark.parametrize("split", [1.0, -0.1, 1.5, "0.2"])
def test_validation_split_outside_the_unit_interval(data, split):
    x, _, y = data
    with pytest.raises(
        ValueError, match=r"validation_split must be a fraction in \[0, 1\).*Received: validation_split="
    ):
        _model().fit(x, y, validation_split=split, verbose=0)


def test_validation_split_that_leaves_no_training_sample(data):
    x, _, y = data
    with pytest.raises(ValueError, match="leaves no training samples out of 20. Use a split between"):
        _model().fit(x, y, validation_split=0.96, verbose=0)


def test_empty_arrays():
    with pytest.raises(ValueError, match=r"x is empty \(0 samples\)"):
        _model().fit(np.zeros((0, FEATURES), "float32"), np.zeros((0, CLASSES)), verbose=0)


def test_bad_batch_size_and_epochs(data):
    x, _, y = data
    with pytest.raises(ValueError, match="batch_size must be a positive integer. Received: batch_size=0"):
        _model().fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="epochs must be a non-negative integer. Received: epochs=-1"):
        _model().fit(x, y, epochs=-1, verbose=0)


def test_generator_yielding_the_wrong_structure(data):
    x, _, y = data
    with pytest.raises(
        ValueError, match=r"must yield \(x, y\) or \(x, y, sample_weight\) tuples; batch 0 was a ndarray"
    ):
        _model().fit((x[:5] for _ in range(3)), steps_per_epoch=3, verbose=0)
    with pytest.raises(ValueError, match="batch 0 was a 4-tuple"):
        _model().fit(((x[:5], y[:5], None, 1) for _ in range(3)), steps_per_epoch=3, verbose=0)
    with pytest.raises(ValueError, match="do not pass y"):
        _model().fit((b for b in [(x, y)]), y, verbose=0)
    with pytest.raises(ValueError, match="yielded no batches"):
        _model().fit(iter([]), verbose=0)


def test_generator_batches_are_checked_against_the_model(data):
    x, labels, y = data
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        _model().fit(((x[:5], labels[:5]) for _ in range(3)), steps_per_epoch=3, verbose=0)
    with pytest.raises(ValueError, match=r"expects data of shape \(None, 200\), but x has shape \(5, 199\)"):
        _model().fit(((x[:5, :199], y[:5]) for _ in range(3)), steps_per_epoch=3, verbose=0)


def _regression(seed=1):
    cornu.utils.set_random_seed(seed)
    model = cornu.Sequential([Dense(4, activation="tanh", input_shape=(6,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(0)
    return (
        rng.normal(size=(20, 6)).astype("float32"),
        rng.normal(size=(20, 2)).astype("float32"),
        rng.uniform(size=20).astype("float32"),
    )


def _batches(x, y, sw=None, size=5):
    for start in range(0, len(x), size):
        end = start + size
        yield (x[start:end], y[start:end]) if sw is None else (x[start:end], y[start:end], sw[start:end])


@pytest.mark.parametrize("with_weights", [False, True])
def test_generators_and_iterables_match_the_array_path(regression_data, with_weights):
    x, y, sw = regression_data
    sw = sw if with_weights else None
    reference = _regression()
    expected = reference.fit(x, y, sample_weight=sw, batch_size=5, epochs=2, shuffle=False, verbose=0).history

    def endless():
        while True:
            yield from _batches(x, y, sw)

    from_generator = _regression()
    got = from_generator.fit(endless(), steps_per_epoch=4, epochs=2, verbose=0).history
    assert got == expected
    tensors = [torch.tensor(a) for a in ((x, y) if sw is None else (x, y, sw))]
    from_loader = _regression()
    assert from_loader.fit(DataLoader(TensorDataset(*tensors), batch_size=5), epochs=2, verbose=0).history == expected
    for model in (from_generator, from_loader):
        for a, b in zip(reference.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert reference.evaluate(x, y, sample_weight=sw, batch_size=5, verbose=0) == reference.evaluate(
        _batches(x, y, sw), verbose=0
    )
    np.testing.assert_array_equal(
        reference.predict((x[i : i + 5] for i in range(0, 20, 5)), verbose=0), reference.predict(x, verbose=0)
    )


def test_validation_data_as_a_generator_matches_arrays(regression_data):
    x, y, _ = regression_data
    options = {"batch_size": 5, "epochs": 1, "shuffle": False, "verbose": 0}
    expected = _regression().fit(x[:15], y[:15], validation_data=(x[15:], y[15:]), **options).history
    got = _regression().fit(x[:15], y[:15], validation_data=_batches(x[15:], y[15:]), **options).history
    assert got == expected


def test_a_metric_that_cannot_read_the_targets_names_itself(data):
    x, labels, _ = data
    with pytest.raises(ValueError, match=r"Metric 'mae' cannot compare targets of shape \(None,\) with predictions"):
        _model("sparse_categorical_crossentropy", metrics=("accuracy", "mae")).fit(x, labels, verbose=0)


def test_nan_in_sample_weight(data):
    x, _, y = data
    weights = np.ones(N)
    weights[4] = np.nan
    with pytest.raises(
        ValueError, match=r"sample_weight contains 1 NaN or infinite values \(the first at index \(4,\)\)"
    ):
        _model().fit(x, y, sample_weight=weights, verbose=0)


@pytest.mark.parametrize(
    "layer, mask_shape",
    [
        (lambda: cornu.layers.LSTM(3), (2, 4)),
        (lambda: cornu.layers.GlobalAveragePooling1D(), (2, 6)),
        (lambda: cornu.layers.SimpleRNN(2), (5, 2)),
    ],
)
def test_mask_of_the_wrong_shape_names_both_shapes_and_the_expected_one(layer, mask_shape):
    x = np.ones((2, 5, 4), "float32")
    with pytest.raises(ValueError, match=r"mask of shape \(.*\) for inputs of shape \(2, 5, 4\).*shape \(2, 5\) here"):
        layer()(x, mask=np.ones(mask_shape, bool))


def test_masks_of_the_right_shape_still_work_and_numpy_masks_are_converted():
    x = np.arange(40, dtype="float32").reshape(2, 5, 4)
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    pooled = cornu.layers.GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(pooled, [x[0, :2].mean(0), x[1].mean(0)])
    scores = np.zeros((2, 3), "float32")
    softmax = cornu.layers.Softmax()(scores, mask=np.array([[1, 1, 0], [1, 0, 0]], bool)).numpy()
    np.testing.assert_allclose(softmax, [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]], atol=1e-6)  # element-wise mask
