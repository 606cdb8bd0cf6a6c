"""`fit`, `evaluate`, `predict` and the `*_on_batch` steps against the real Keras 3 (torch backend).

Each test builds the same model in both libraries, copies Keras's initial weights into cornu, trains both on the
same data with `shuffle=False`, and compares every History key and value (rtol 1e-4), then the final weights.
"""

import numpy as np
import pytest

import cornu
from cornu.layers import Dense

keras = pytest.importorskip("keras")

RTOL = 1e-4
FIT = {"epochs": 3, "batch_size": 16, "shuffle": False, "validation_split": 0.2, "verbose": 0}


def _data(n=70, features=200, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    labels = rng.integers(0, classes, n)
    return x, labels, np.eye(classes, dtype="float32")[labels]


def _seed_mlp(hidden="sigmoid", features=200, out=5, out_activation="softmax"):
    """The seed tutorial's MLP 200-128-256-5 in both libraries, cornu holding Keras's initial weights."""
    ref = keras.Sequential(
        [
            keras.Input((features,)),
            keras.layers.Dense(128, activation=hidden),
            keras.layers.Dense(256, activation=hidden),
            keras.layers.Dense(out, activation=out_activation),
        ]
    )
    ours = cornu.Sequential(
        [
            Dense(128, activation=hidden, input_shape=(features,)),
            Dense(256, activation=hidden),
            Dense(out, activation=out_activation),
        ]
    )
    ours.set_weights(ref.get_weights())
    return ref, ours


def _optimizers(name):
    if name == "sgd":
        return keras.optimizers.SGD(0.01), cornu.optimizers.SGD(0.01)
    return name, name


def _compile_both(ref, ours, optimizer="sgd", **kwargs):
    ref_opt, our_opt = _optimizers(optimizer)
    ref.compile(optimizer=ref_opt, **kwargs)
    ours.compile(optimizer=our_opt, **kwargs)


def assert_same_history(ref_history, our_history):
    assert sorted(our_history.history) == sorted(ref_history.history)
    for key, values in ref_history.history.items():
        np.testing.assert_allclose(our_history.history[key], values, rtol=RTOL, atol=1e-6, err_msg=key)
    assert our_history.epoch == ref_history.epoch


def assert_same_weights(ref, ours, rtol=RTOL, atol=1e-5):
    for ref_w, our_w in zip(ref.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(our_w, ref_w, rtol=rtol, atol=atol)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_seed_mlp_categorical_history_matches(optimizer):
    x, _, y = _data()
    ref, ours = _seed_mlp()
    _compile_both(ref, ours, optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    expected, got = ref.fit(x, y, **FIT), ours.fit(x, y, **FIT)
    assert sorted(got.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert_same_history(expected, got)
    assert_same_weights(ref, ours)
    assert ours.history is got


def test_sparse_categorical_with_integer_labels():
    x, labels, _ = _data()
    ref, ours = _seed_mlp(hidden="relu")
    _compile_both(ref, ours, "adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert_same_history(ref.fit(x, labels, **FIT), ours.fit(x, labels, **FIT))


def test_mse_regression_with_mae():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(45, 8)).astype("float32"), rng.normal(size=(45, 3)).astype("float32")
    ref, ours = _seed_mlp(hidden="tanh", features=8, out=3, out_activation=None)
    _compile_both(ref, ours, "sgd", loss="mse", metrics=["mae"])
    assert_same_history(ref.fit(x, y, **FIT), ours.fit(x, y, **FIT))


def test_sample_weight_and_weighted_metrics():
    x, _, y = _data()
    weights = np.random.default_rng(2).uniform(0.1, 2.0, size=len(x)).astype("float32")
    ref, ours = _seed_mlp()
    _compile_both(
        ref, ours, "adam", loss="categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"]
    )
    expected, got = ref.fit(x, y, sample_weight=weights, **FIT), ours.fit(x, y, sample_weight=weights, **FIT)
    assert "weighted_accuracy" in got.history or "val_accuracy" in got.history
    assert_same_history(expected, got)


def test_class_weight_with_a_class_left_out():
    # Keras gives classes missing from class_weight the weight 1.0.
    x, labels, y = _data()
    class_weight = {0: 2.0, 1: 0.5, 3: 4.0}
    ref, ours = _seed_mlp()
    _compile_both(ref, ours, "sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    expected = ref.fit(x, y, class_weight=class_weight, **FIT)
    got = ours.fit(x, y, class_weight=class_weight, **FIT)
    assert_same_history(expected, got)


def test_class_weight_and_sample_weight_together_are_refused():
    x, _, y = _data(n=8)
    _, ours = _seed_mlp()
    ours.compile(optimizer="sgd", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="class_weight.*sample_weight"):
        ours.fit(x, y, sample_weight=np.ones(8), class_weight={0: 1.0}, verbose=0)


@pytest.mark.parametrize("batch_size", [7, 13, 56])
def test_partial_last_batch(batch_size):
    x, _, y = _data()
    ref, ours = _seed_mlp()
    _compile_both(ref, ours, "adam", loss="categorical_crossentropy", metrics=["accuracy"])
    options = dict(FIT, batch_size=batch_size)
    assert_same_history(ref.fit(x, y, **options), ours.fit(x, y, **options))
    assert_same_weights(ref, ours)


def test_validation_data_and_validation_batch_size():
    x, _, y = _data()
    ref, ours = _seed_mlp()
    _compile_both(ref, ours, "sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    options = {"epochs": 2, "batch_size": 10, "shuffle": False, "verbose": 0, "validation_batch_size": 6}
    expected = ref.fit(x[:50], y[:50], validation_data=(x[50:], y[50:]), **options)
    got = ours.fit(x[:50], y[:50], validation_data=(x[50:], y[50:]), **options)
    assert_same_history(expected, got)


def test_evaluate_forms_match_keras():
    x, _, y = _data(n=37)
    ref, ours = _seed_mlp()
    _compile_both(ref, ours, "sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    expected, got = ref.evaluate(x, y, batch_size=8, verbose=0), ours.evaluate(x, y, batch_size=8, verbose=0)
    assert isinstance(got, list) and len(got) == 2
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    expected = ref.evaluate(x, y, verbose=0, return_dict=True)
    got = ours.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(got) == sorted(expected) == ["accuracy", "loss"]
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=RTOL)

    ref2, ours2 = _seed_mlp()
    _compile_both(ref2, ours2, "sgd", loss="categorical_crossentropy")
    expected, got = ref2.evaluate(x, y, verbose=0), ours2.evaluate(x, y, verbose=0)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_evaluate_with_sample_weight():
    x, _, y = _data(n=37)
    weights = np.random.default_rng(3).uniform(0, 1, size=37).astype("float32")
    ref, ours = _seed_mlp()
    _compile_both(ref, ours, "sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    expected = ref.evaluate(x, y, sample_weight=weights, batch_size=10, verbose=0)
    got = ours.evaluate(x, y, sample_weight=weights, batch_size=10, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_predict_matches_keras_over_several_batches():
    x, _, _ = _data(n=75)
    ref, ours = _seed_mlp()
    expected = ref.predict(x, batch_size=32, verbose=0)
    got = ours.predict(x, batch_size=32, verbose=0)
    assert got.shape == (75, 5) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict(x[:3], verbose=0), expected[:3], rtol=1e-5, atol=1e-6)


def test_on_batch_steps_match_keras():
    x, _, y = _data(n=20)
    ref, ours = _seed_mlp()
    _compile_both(ref, ours, "adam", loss="categorical_crossentropy", metrics=["accuracy"])
    for _ in range(3):  # Keras resets the metrics at each call: the values are those of this batch alone
        np.testing.assert_allclose(ours.train_on_batch(x, y), ref.train_on_batch(x, y), rtol=RTOL)
    assert_same_weights(ref, ours)
    np.testing.assert_allclose(ours.test_on_batch(x, y), ref.test_on_batch(x, y), rtol=RTOL)
    np.testing.assert_allclose(ours.test_on_batch(x[:5], y[:5]), ref.test_on_batch(x[:5], y[:5]), rtol=RTOL)
    expected = ref.train_on_batch(x, y, return_dict=True)
    got = ours.train_on_batch(x, y, return_dict=True)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=RTOL)
    np.testing.assert_allclose(ours.predict_on_batch(x), ref.predict_on_batch(x), rtol=1e-5, atol=1e-6)


def test_train_on_batch_class_weight_matches_keras():
    x, _, y = _data(n=20)
    ref, ours = _seed_mlp()
    _compile_both(ref, ours, "sgd", loss="categorical_crossentropy")
    weights = {0: 3.0, 2: 0.25}
    got, expected = ours.train_on_batch(x, y, class_weight=weights), ref.train_on_batch(x, y, class_weight=weights)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    assert_same_weights(ref, ours)


def _small(lib, *layers):
    return lib.Sequential([lib.Input((6,)), *layers])


def _pair_small(build):
    ref, ours = build(keras), build(cornu)
    ours.set_weights(ref.get_weights())
    return ref, ours


def _small_data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 6)).astype("float32")
    labels = rng.integers(0, 3, 50)
    return x, labels, np.eye(3, dtype="float32")[labels]


@pytest.mark.parametrize(
    "options",
    [
        {"epochs": 4, "validation_freq": 2},
        {"epochs": 4, "initial_epoch": 2},
        {"steps_per_epoch": 2},  # Keras spreads one pass over epochs; the second epoch runs out early
    ],
    ids=["validation_freq", "initial_epoch", "steps_per_epoch"],
)
def test_fit_options_match_keras(options):
    x, _, y = _small_data()
    ref, ours = _pair_small(lambda lib: _small(lib, lib.layers.Dense(3, activation="softmax")))
    _compile_both(ref, ours, "adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fit = dict(FIT, **options)
    with pytest.warns(UserWarning) if "steps_per_epoch" in options else _no_warning():
        expected = ref.fit(x, y, **fit)
    with pytest.warns(UserWarning, match="ran out of data") if "steps_per_epoch" in options else _no_warning():
        got = ours.fit(x, y, **fit)
    assert_same_history(expected, got)
    assert_same_weights(ref, ours)


def _no_warning():
    import contextlib

    return contextlib.nullcontext()


def test_regularizers_add_to_the_loss_like_keras():
    x, _, y = _small_data()

    def build(lib):
        hidden = lib.layers.Dense(
            8,
            activation="relu",
            kernel_regularizer=lib.regularizers.l2(0.01),
            bias_regularizer="l1",
            activity_regularizer=lib.regularizers.l1(0.01),
        )
        return _small(lib, hidden, lib.layers.Dense(3, activation="softmax"))

    ref, ours = _pair_small(build)
    _compile_both(ref, ours, "adam", loss="categorical_crossentropy", metrics=["accuracy"])
    assert_same_history(ref.fit(x, y, **FIT), ours.fit(x, y, **FIT))
    assert_same_weights(ref, ours)


def test_batch_normalization_trains_and_moves_its_statistics_like_keras():
    x, _, y = _small_data()

    def build(lib):
        return _small(
            lib,
            lib.layers.Dense(8),
            lib.layers.BatchNormalization(),
            lib.layers.Activation("relu"),
            lib.layers.Dense(3, activation="softmax"),
        )

    ref, ours = _pair_small(build)
    _compile_both(ref, ours, "adam", loss="categorical_crossentropy", metrics=["accuracy"])
    assert_same_history(ref.fit(x, y, **FIT), ours.fit(x, y, **FIT))
    # the bias before BatchNormalization gets ~0 gradients that Adam scales to noise: compared absolutely
    assert_same_weights(ref, ours, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_binary_crossentropy_with_accuracy_and_auc():
    x, labels, _ = _small_data()
    y = (labels > 0).astype("float32")
    ref, ours = _pair_small(lambda lib: _small(lib, lib.layers.Dense(1, activation="sigmoid")))
    _compile_both(ref, ours, "rmsprop", loss="binary_crossentropy", metrics=["accuracy", "AUC"])
    expected, got = ref.fit(x, y, **FIT), ours.fit(x, y, **FIT)
    assert sorted(got.history) == [
        "AUC",
        "accuracy",
        "loss",
        "val_AUC",
        "val_accuracy",
        "val_loss",
    ]  # the name as written
    assert_same_history(expected, got)


def test_nested_model_validation_data_with_weights_and_evaluate_steps():
    x, _, y = _small_data()
    weights = np.random.default_rng(4).uniform(size=50).astype("float32")

    def build(lib):
        inner = lib.Sequential([lib.Input((6,)), lib.layers.Dense(4, activation="relu")], name="inner")
        return lib.Sequential([lib.Input((6,)), inner, lib.layers.Dense(3, activation="softmax")])

    ref, ours = _pair_small(build)
    _compile_both(
        ref, ours, "adam", loss="categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"]
    )
    options = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0}
    validation = (x[40:], y[40:], weights[40:])
    expected = ref.fit(x[:40], y[:40], sample_weight=weights[:40], validation_data=validation, **options)
    got = ours.fit(x[:40], y[:40], sample_weight=weights[:40], validation_data=validation, **options)
    assert "val_weighted_accuracy" in got.history
    assert_same_history(expected, got)
    # Keras lists metrics by their given names: 'accuracy' twice (its first value twice), then weighted_accuracy
    expected = ref.evaluate(x, y, sample_weight=weights, batch_size=8, steps=2, verbose=0)
    got = ours.evaluate(x, y, sample_weight=weights, batch_size=8, steps=2, verbose=0)
    assert len(got) == len(expected) == 4
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    assert ours.predict(x, batch_size=8, steps=2, verbose=0).shape == (16, 3)
    np.testing.assert_allclose(ours.train_on_batch(x, y), ref.train_on_batch(x, y), rtol=RTOL)


def test_custom_loss_function_and_metric_objects_and_functions():
    import torch

    def my_loss(y_true, y_pred):
        return torch.mean(torch.abs(y_true - y_pred) ** 1.5, dim=-1)

    def peak_error(y_true, y_pred):
        return torch.max(torch.abs(y_true - y_pred), dim=-1).values

    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(30, 4)).astype("float32"), rng.normal(size=(30, 2)).astype("float32")
    ref, ours = _pair_small(lambda lib: lib.Sequential([lib.Input((4,)), lib.layers.Dense(2)]))
    for lib, model in ((keras, ref), (cornu, ours)):
        model.compile(
            optimizer="sgd", loss=my_loss, metrics=[peak_error, lib.metrics.MeanAbsoluteError(name="mae_obj"), "mse"]
        )
    expected, got = ref.fit(x, y, **FIT), ours.fit(x, y, **FIT)
    assert sorted(got.history) == sorted(
        ["loss", "mae_obj", "mse", "peak_error"] + ["val_loss", "val_mae_obj"] + ["val_mse", "val_peak_error"]
    )
    assert_same_history(expected, got)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=RTOL)
