"""The Callback base: which hooks run, in which order, with which arguments; stop_training; progress output.

The expected hook sequences were recorded from Keras 3.15 (torch backend) running the same fit/evaluate/predict.
"""

import re

import numpy as np
import pytest

import cornu
from cornu.callbacks import Callback, CallbackList, History, ProgbarLogger
from cornu.layers import Dense

HOOKS = [
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
]


class Recorder(Callback):
    """Records (hook, index..., sorted log keys) for every hook, reading the logs as a user would."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recording(hook):
    def record(self, *args):
        *index, logs = args
        assert isinstance(logs, (dict, type({}.items()))) or hasattr(logs, "keys"), hook
        self.calls.append((hook, *index, sorted(logs)))

    return record


for _hook in HOOKS:
    setattr(Recorder, _hook, _recording(_hook))


def _model():
    model = cornu.Sequential([cornu.Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def _data(n=10):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype("float32"), np.ones((n, 1), "float32")


KERAS_FIT_EPOCH = [
    ("on_train_batch_begin", 0, []),
    ("on_train_batch_end", 0, ["loss", "mae"]),
    ("on_train_batch_begin", 1, []),
    ("on_train_batch_end", 1, ["loss", "mae"]),
    ("on_test_begin", []),
    ("on_test_batch_begin", 0, []),
    ("on_test_batch_end", 0, ["loss", "mae"]),
    ("on_test_end", ["loss", "mae"]),
]
EPOCH_LOGS = ["loss", "mae", "val_loss", "val_mae"]


def test_fit_calls_every_hook_in_keras_order():
    x, y = _data()
    recorder = Recorder()
    _model().fit(x, y, epochs=2, batch_size=4, validation_split=0.2, verbose=0, callbacks=[recorder])
    expected = [("on_train_begin", [])]
    for epoch in range(2):
        expected += [("on_epoch_begin", epoch, [])] + KERAS_FIT_EPOCH + [("on_epoch_end", epoch, EPOCH_LOGS)]
    expected.append(("on_train_end", EPOCH_LOGS))
    assert recorder.calls == expected
    assert recorder.params == {"verbose": 0, "epochs": 2, "steps": 2}


def test_evaluate_and_predict_hooks():
    x, y = _data()
    model = _model()
    recorder = Recorder()
    model.evaluate(x, y, batch_size=6, verbose=0, callbacks=[recorder])
    assert recorder.calls == [
        ("on_test_begin", []),
        ("on_test_batch_begin", 0, []),
        ("on_test_batch_end", 0, ["loss", "mae"]),
        ("on_test_batch_begin", 1, []),
        ("on_test_batch_end", 1, ["loss", "mae"]),
        ("on_test_end", ["loss", "mae"]),
    ]
    assert recorder.params == {"verbose": 0, "epochs": 1, "steps": 2}
    recorder = Recorder()
    model.predict(x, batch_size=6, verbose=0, callbacks=[recorder])
    assert recorder.calls == [
        ("on_predict_begin", []),
        ("on_predict_batch_begin", 0, []),
        ("on_predict_batch_end", 0, ["outputs"]),
        ("on_predict_batch_begin", 1, []),
        ("on_predict_batch_end", 1, ["outputs"]),
        ("on_predict_end", []),
    ]
    assert recorder.params == {"verbose": 0, "epochs": 1, "steps": 2}


def test_batch_logs_hold_the_running_values_and_predict_outputs_the_batch():
    x, y = _data(8)
    model = _model()

    class Collect(Callback):
        def __init__(self):
            super().__init__()
            self.losses, self.outputs = [], []

        def on_train_batch_end(self, batch, logs=None):
            self.losses.append(logs["loss"])

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_loss = logs["loss"]

        def on_predict_batch_end(self, batch, logs=None):
            self.outputs.append(np.asarray(logs["outputs"]))

    collect = Collect()
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0, callbacks=[collect])
    assert len(collect.losses) == 2 and all(isinstance(v, float) for v in collect.losses)
    assert collect.losses[-1] == pytest.approx(collect.epoch_loss)  # the last batch log is the epoch's mean
    model.predict(x, batch_size=3, verbose=0, callbacks=[collect])
    assert [o.shape for o in collect.outputs] == [(3, 1), (3, 1), (2, 1)]
    np.testing.assert_allclose(np.concatenate(collect.outputs), model.predict(x, verbose=0), rtol=1e-6)


def test_callback_sees_the_model_and_stop_training_ends_fit():
    x, y = _data()
    model = _model()

    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            assert self.model is model
            if epoch == 1:
                self.model.stop_training = True

    history = model.fit(x, y, epochs=10, batch_size=4, verbose=0, callbacks=[StopAfterTwo()])
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2


def test_stop_training_in_a_batch_hook_ends_the_epoch_early():
    x, y = _data(20)
    model = _model()
    seen = []

    class StopAtBatchOne(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 1:
                self.model.stop_training = True

    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[StopAtBatchOne()])
    assert seen == [0, 1] and history.epoch == [0]


def test_keras2_batch_aliases_fire_for_training_batches_only():
    x, y = _data()

    class Keras2(Callback):
        def __init__(self):
            super().__init__()
            self.begin, self.end = [], []

        def on_batch_begin(self, batch, logs=None):
            self.begin.append(batch)

        def on_batch_end(self, batch, logs=None):
            self.end.append((batch, round(logs["loss"], 6) > 0))

    callback = Keras2()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_split=0.2, callbacks=[callback])
    model.evaluate(x, y, verbose=0, callbacks=[callback])
    assert callback.begin == [0, 1, 0, 1]
    assert callback.end == [(0, True), (1, True), (0, True), (1, True)]


def test_callback_list_refuses_non_callbacks_and_skips_unused_batch_hooks():
    with pytest.raises(TypeError, match="Subclass Callback"):
        CallbackList([object()])
    plain = CallbackList([History()])
    assert not plain.wants("on_train_batch_end") and not plain.wants("on_test_batch_begin")
    assert CallbackList([Recorder()]).wants("on_train_batch_end")


def test_history_records_every_epoch_and_is_set_on_the_model():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=3, batch_size=5, verbose=0, validation_split=0.2)
    assert model.history is history and history.epoch == [0, 1, 2]
    assert sorted(history.history) == EPOCH_LOGS and all(len(v) == 3 for v in history.history.values())


_LINE = (
    r"2/2 \S+ \d+s \d+(us|ms|s)/step - loss: \d+\.\d{4} - mae: \d+\.\d{4} - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}"
)


def test_verbose_1_without_a_terminal_prints_one_final_line_per_epoch(capsys):
    x, y = _data()
    _model().fit(x, y, epochs=2, batch_size=4, validation_split=0.2, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 4 and lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    for line in (lines[1], lines[3]):
        assert re.fullmatch(_LINE, line), line
        assert line.count("━") == 20


def test_verbose_2_prints_one_summary_line_per_epoch(capsys):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=4, validation_split=0.2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    metrics = r" - loss: \d+\.\d{4} - mae: \d+\.\d{4} - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}"
    pattern = r"2/2 - \d+s - \d+(us|ms|s)/step" + metrics
    assert all(re.fullmatch(pattern, line) for line in (lines[1], lines[3])), lines
    model.evaluate(x, y, verbose=2)
    assert re.fullmatch(
        r"1/1 - \d+s - \d+(us|ms|s)/step - loss: \d+\.\d{4} - mae: \d+\.\d{4}\n", capsys.readouterr().out
    )


def test_verbose_0_prints_nothing(capsys):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=4, validation_split=0.2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, batch_size=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_predict_auto_verbosity_shows_a_bar_only_for_several_batches(capsys):
    x, _ = _data()
    model = _model()
    model.predict(x, batch_size=32)
    assert capsys.readouterr().out == ""
    model.predict(x, batch_size=4)
    assert re.fullmatch(r"3/3 ━{20} \d+s \d+(us|ms|s)/step\n", capsys.readouterr().out)


def test_progbar_formats_small_values_in_scientific_notation(capsys):
    bar = ProgbarLogger(verbose=2)
    bar.set_params({"epochs": 1, "steps": 1, "verbose": 2})
    bar.on_epoch_begin(0)
    bar.on_train_batch_end(0, {})
    bar.on_epoch_end(0, {"loss": 0.5, "mae": 2e-5})
    assert capsys.readouterr().out.splitlines()[1].endswith("- loss: 0.5000 - mae: 2.0000e-05")
