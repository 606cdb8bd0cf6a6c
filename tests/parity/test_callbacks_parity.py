"""The callbacks against the real Keras 3: the same log sequences fed by hand to Keras's callback and to cornu's.

Each side gets a small real model (cornu's starts from Keras's weights). Compared: the epoch at which training
stops, the counters and best values, the weights restored, the learning rates set and logged, the CSV bytes, and
every printed message and warning.
"""

import warnings

import numpy as np
import pytest

import cornu
from cornu.layers import Dense

keras = pytest.importorskip("keras")

MISSING = None  # an epoch whose logs lack the monitored key


def _pair(lr=0.1, metrics=None, fitted=False):
    ref = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    ref.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", metrics=metrics)
    ours = cornu.Sequential([Dense(1, input_shape=(2,))])
    ours.compile(optimizer=cornu.optimizers.SGD(lr), loss="mse", metrics=metrics)
    ours.set_weights(ref.get_weights())
    if fitted:  # the compiled metrics exist only after the first batch, in both libraries
        x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
        ref.fit(x, y, verbose=0)
        ours.fit(x, y, verbose=0)
    return ref, ours


def _lr(model):
    return float(np.float32(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))


def _drive(callback, model, values, key, capsys):
    """Runs the epoch hooks over `{key: value}` logs, each epoch with weights that name it; returns a trace."""
    callback.set_model(model)
    model.stop_training = False
    trace = {"stop": None, "rates": [], "logs": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback.on_train_begin({})
        for epoch, value in enumerate(values):
            model.set_weights([np.full((2, 1), epoch, "float32"), np.full((1,), -epoch, "float32")])
            callback.on_epoch_begin(epoch, {})
            logs = {"loss": 9.0} if value is MISSING else {"loss": 9.0, key: value}
            callback.on_epoch_end(epoch, logs)
            trace["rates"].append(_lr(model))
            trace["logs"].append(logs)
            if model.stop_training:
                trace["stop"] = epoch
                break
        callback.on_train_end({})
    trace["weights"] = [np.asarray(w).tolist() for w in model.get_weights()]
    trace["warnings"] = [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
    trace["out"] = capsys.readouterr().out
    return trace


def _both(make, values, key, capsys, **pair):
    ref_model, our_model = _pair(**pair)
    ref_cb, our_cb = make(keras.callbacks), make(cornu.callbacks)
    ref, ours = _drive(ref_cb, ref_model, values, key, capsys), _drive(our_cb, our_model, values, key, capsys)
    return ref, ours, ref_cb, our_cb


def _state(callback, names):
    return {name: _plain(getattr(callback, name)) for name in names}


def _plain(value):
    return None if value is None else float(value) if np.ndim(value) == 0 else value


# --------------------------------------------------------------------------------------------- EarlyStopping
EARLY_STOPPING = [
    ({"patience": 2}, [1.0, 0.8, 0.9, 0.85, 0.7]),
    ({"patience": 0}, [3.0, 2.0, 2.0, 1.0]),
    ({"min_delta": 0.1, "patience": 1}, [1.0, 0.95, 0.91, 0.5]),
    ({"min_delta": -0.1, "patience": 2}, [1.0, 0.85, 0.8, 0.7, 0.74, 0.65]),
    ({"patience": 3, "baseline": 0.5, "restore_best_weights": True, "verbose": 1}, [0.9, 0.95, 0.97, 0.8]),
    ({"patience": 2, "baseline": 0.5}, [0.9, 0.4, 0.45, 0.3, 0.35, 0.36]),
    ({"patience": 3, "baseline": 0.1, "restore_best_weights": True, "verbose": 1}, [0.9, 0.5, 0.7, 0.6]),
    ({"patience": 2, "restore_best_weights": True, "verbose": 1}, [1.0, 0.5, 0.7, 0.6]),
    ({"patience": 5, "restore_best_weights": True, "verbose": 1}, [0.9, 0.5, 0.7]),
    ({"patience": 1, "start_from_epoch": 2, "restore_best_weights": True, "verbose": 1}, [1.0, 2.0, 3.0, 2.5, 2.6]),
    ({"patience": 0}, [0.5, 0.5 - 1e-9, 0.4]),  # float32 comparison: not an improvement
    ({"patience": 0}, [0.5, 0.5 - 1e-6, 0.6]),
    ({"patience": 1}, [1.0, float("nan"), 0.9, float("nan"), float("nan")]),
    ({"patience": 1, "verbose": 1}, [1.0, MISSING, 1.2, 1.3]),
    ({"mode": "max", "patience": 1, "restore_best_weights": True, "verbose": 1}, [0.5, 0.6, 0.55, 0.58]),
    ({"mode": "min", "patience": 1, "min_delta": 0.05}, [0.5, 0.6, 0.46, 0.44]),
]


@pytest.mark.parametrize("kwargs, values", EARLY_STOPPING)
def test_early_stopping_matches_keras(capsys, kwargs, values):
    make = lambda package: package.EarlyStopping(monitor="val_metric", **kwargs)
    if "mode" not in kwargs:  # auto mode needs a name Keras knows: a loss
        make = lambda package: package.EarlyStopping(**kwargs)
    key = "val_metric" if "mode" in kwargs else "val_loss"
    ref, ours, ref_cb, our_cb = _both(make, values, key, capsys)
    assert ours == ref
    names = ["stopped_epoch", "best", "best_epoch", "wait", "min_delta"]
    assert _state(our_cb, names) == _state(ref_cb, names)


@pytest.mark.parametrize(
    "monitor",
    ["loss", "val_loss", "accuracy", "val_accuracy", "val_acc", "mae", "val_mae", "my_metric", "val_my_metric", "x"],
)
def test_auto_mode_picks_the_same_direction_or_refuses_the_same_names(capsys, monitor):
    def my_metric(y_true, y_pred):
        return y_pred

    metrics = ["accuracy", "acc", "mae", my_metric]  # "acc": the Keras 2 spelling old scripts monitor as "val_acc"
    ref_model, our_model = _pair(metrics=metrics, fitted=True)
    results = []
    for package, model in ((keras.callbacks, ref_model), (cornu.callbacks, our_model)):
        try:
            results.append(_drive(package.EarlyStopping(monitor, patience=0), model, [1.0, 2.0], monitor, capsys))
        except ValueError as error:
            assert "Pass `mode='max'`" in str(error) and "`mode='min'`" in str(error)
            results.append("ValueError")
    assert results[1] == results[0]


@pytest.mark.parametrize("name", ["EarlyStopping", "ReduceLROnPlateau"])
def test_unknown_mode_warns_the_same_and_falls_back_to_auto(name):
    messages = []
    for package in (keras.callbacks, cornu.callbacks):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            callback = getattr(package, name)(mode="maximum")
        messages.append([str(w.message) for w in caught])
        assert callback.mode == "auto"
    assert messages[1] == messages[0] == [f"{name} mode 'maximum' is unknown, fallback to auto mode."]


# ------------------------------------------------------------------------------------------ LearningRateScheduler
def _halve(epoch, lr):
    return lr * 0.5


SCHEDULES = [
    (_halve, 0.1),
    (lambda epoch, lr: lr if epoch < 2 else lr * 0.9, 0.01),
    (lambda epoch: 0.1 / (epoch + 1), 0.5),  # Keras 1: the epoch alone
    (lambda epoch, lr: np.float32(0.25 / (epoch + 1)), 0.5),
    (lambda epoch, lr: 0.3 if epoch % 2 else 0.7, 1.0),
]


@pytest.mark.parametrize("schedule, lr", SCHEDULES)
def test_learning_rate_scheduler_matches_keras(capsys, schedule, lr):
    seen = {"keras": [], "cornu": []}

    def recording(side):
        if schedule.__code__.co_argcount == 1:
            return lambda epoch: seen[side].append(epoch) or schedule(epoch)
        return lambda epoch, rate: seen[side].append((epoch, rate)) or schedule(epoch, rate)

    ref_model, our_model = _pair(lr=lr)
    ref = _drive(keras.callbacks.LearningRateScheduler(recording("keras"), verbose=1), ref_model, [0] * 4, "x", capsys)
    ours = _drive(cornu.callbacks.LearningRateScheduler(recording("cornu"), verbose=1), our_model, [0] * 4, "x", capsys)
    assert ours == ref
    assert seen["cornu"] == seen["keras"]
    assert [logs["learning_rate"] for logs in ours["logs"]] == [logs["learning_rate"] for logs in ref["logs"]]


def test_learning_rate_scheduler_refuses_an_int_as_keras_does(capsys):
    for package, model in zip((keras.callbacks, cornu.callbacks), _pair()):
        with pytest.raises(ValueError, match=r"float"):
            _drive(package.LearningRateScheduler(lambda epoch, lr: 1), model, [0], "x", capsys)


# -------------------------------------------------------------------------------------------- ReduceLROnPlateau
REDUCE = [
    ({"factor": 0.5, "patience": 2}, [1.0, 1.0, 1.0, 0.5, 0.6, 0.7, 0.8], 1.0),
    ({"factor": 0.5, "patience": 1, "cooldown": 2}, [1.0] * 7, 1.0),
    ({"factor": 0.1, "patience": 1, "min_lr": 0.05}, [1.0] * 4, 1.0),
    ({"factor": 0.5, "patience": 1}, [1.0, 0.99995, 0.9998, 0.9999], 0.1),  # min_delta's default, 1e-4
    ({"factor": 0.2, "patience": 0, "min_delta": 0.0}, [3.0, 3.0, 2.0, 2.0, 2.0], 0.3),
    ({"factor": 0.5, "patience": 1, "min_lr": 0.1}, [1.0] * 4, 0.1),  # already at the floor
    ({"factor": 0.5, "patience": 1}, [1.0, MISSING, 2.0, 2.0], 1.0),
    ({"factor": 0.5, "patience": 1, "mode": "max"}, [0.5, 0.6, 0.55, 0.58, 0.7], 0.01),
    ({"factor": 0.0, "patience": 1, "mode": "min"}, [0.5, 0.6, 0.7], 0.01),
]


@pytest.mark.parametrize("kwargs, values, lr", REDUCE)
def test_reduce_lr_on_plateau_matches_keras(capsys, kwargs, values, lr):
    if "mode" in kwargs:
        make = lambda package: package.ReduceLROnPlateau(monitor="val_metric", verbose=1, **kwargs)
    else:
        make = lambda package: package.ReduceLROnPlateau(verbose=1, **kwargs)
    key = "val_metric" if "mode" in kwargs else "val_loss"
    ref, ours, ref_cb, our_cb = _both(make, values, key, capsys, lr=lr)
    assert ours == ref
    names = ["best", "wait", "cooldown_counter", "min_delta"]
    assert _state(our_cb, names) == _state(ref_cb, names)


def test_reduce_lr_on_plateau_refuses_a_factor_of_one_as_keras_does():
    for package in (keras.callbacks, cornu.callbacks):
        with pytest.raises(ValueError, match=r"factor=1\.5"):
            package.ReduceLROnPlateau(factor=1.5)


# ----------------------------------------------------------------------------------------------------- CSVLogger
CSV_RUNS = [
    [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.125, "accuracy": 0.75}],
    [{"loss": 0.5}, {"loss": 0.25, "val_loss": 0.75, "extra": 1.0}, {"loss": 0.2}],
    [{"val_loss": 0.5, "loss": 0.1 + 0.2}],
    [{"loss": np.float32(0.1), "per_class": np.array([0.5, 1.5]), "note": 'say "hi", then', "zero": np.array(2.0)}],
    [{}],
]


@pytest.mark.parametrize("runs", CSV_RUNS)
@pytest.mark.parametrize("separator", [",", "\t", ";"])
def test_csv_logger_writes_the_same_bytes(tmp_path, runs, separator):
    contents = []
    for package in (keras.callbacks, cornu.callbacks):
        path = tmp_path / f"{package.__name__}.csv"
        logger = package.CSVLogger(str(path), separator=separator)
        logger.set_model(None)
        logger.on_train_begin()
        for epoch, logs in enumerate(runs):
            logger.on_epoch_end(epoch, dict(logs))
        logger.on_train_end()
        contents.append(path.read_bytes())
    assert contents[1] == contents[0]


def test_csv_logger_append_and_overwrite_runs_write_the_same_bytes(tmp_path):
    contents = []
    for package in (keras.callbacks, cornu.callbacks):
        path = tmp_path / f"{package.__name__}.csv"
        for append, logs in [(True, {"loss": 1.0}), (True, {"loss": 0.5, "val_loss": 0.7}), (False, {"acc": 0.1})]:
            logger = package.CSVLogger(str(path), append=append)
            logger.on_train_begin()
            logger.on_epoch_end(0, logs)
            logger.on_epoch_end(1, logs)
            logger.on_train_end()
            contents.append((package.__name__, append, path.read_bytes()))
    keras_side, cornu_side = contents[:3], contents[3:]
    assert [c[1:] for c in cornu_side] == [c[1:] for c in keras_side]


# ------------------------------------------------------------------------------------------------ TerminateOnNaN
@pytest.mark.parametrize("losses", [[1.0, 0.5, float("nan"), 0.1], [1.0, float("inf")], [0.1, 0.2], [-float("inf")]])
def test_terminate_on_nan_matches_keras(capsys, losses):
    traces = []
    for package, model in zip((keras.callbacks, cornu.callbacks), _pair()):
        callback = package.TerminateOnNaN()
        callback.set_model(model)
        model.stop_training = False
        stopped = None
        for batch, loss in enumerate(losses):
            callback.on_train_batch_end(batch, {"loss": loss})
            if model.stop_training:
                stopped = batch
                break
        traces.append((stopped, capsys.readouterr().out))
    assert traces[1] == traces[0]


def test_terminate_on_nan_raise_error_message_starts_as_keras_does():
    messages = []
    for package, model in zip((keras.callbacks, cornu.callbacks), _pair()):
        callback = package.TerminateOnNaN(raise_error=True)
        callback.set_model(model)
        with pytest.raises(RuntimeError) as error:
            callback.on_train_batch_end(4, {"loss": float("nan")})
        messages.append(str(error.value))
    assert messages[1].startswith(messages[0].removesuffix("."))


# ------------------------------------------------------------------------------------------------ LambdaCallback
def test_lambda_callback_sees_the_same_hooks_in_the_same_order_as_in_keras():
    x = np.arange(10, dtype="float32").reshape(5, 2) / 10
    y = np.ones((5, 1), "float32")
    traces = []
    for package, model in zip((keras.callbacks, cornu.callbacks), _pair()):
        events = []
        record = package.LambdaCallback(
            on_train_begin=lambda logs, events=events: events.append("train_begin"),
            on_epoch_begin=lambda epoch, logs, events=events: events.append(("epoch_begin", epoch)),
            on_train_batch_begin=lambda batch, logs, events=events: events.append(("batch_begin", batch)),
            on_train_batch_end=lambda batch, logs, events=events: events.append(("batch_end", batch, sorted(logs))),
            on_epoch_end=lambda epoch, logs, events=events: events.append(("epoch_end", epoch, sorted(logs))),
            on_train_end=lambda logs, events=events: events.append(("train_end", sorted(logs))),
            on_test_begin=lambda logs, events=events: events.append("test_begin"),
            on_test_end=lambda logs, events=events: events.append(("test_end", sorted(logs))),
        )
        model.fit(x, y, batch_size=2, epochs=2, validation_split=0.2, shuffle=False, callbacks=[record], verbose=0)
        traces.append(events)
    assert traces[1] == traces[0]
