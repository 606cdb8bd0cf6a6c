"""TensorBoard: event files read back with TensorBoard's own reader hold Keras's tags, steps and History's values."""

import glob
import io
import json
import os
import sys

import numpy as np
import pytest
import torch

import cornu
from cornu.callbacks.tensorboard import TensorBoard
from cornu.layers import Dense, Embedding, Flatten, Input

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _read(log_dir, run):
    accumulator = event_accumulator.EventAccumulator(
        os.path.join(log_dir, run), size_guidance={"tensors": 0, "scalars": 0, "histograms": 0, "images": 0}
    )
    accumulator.Reload()
    return accumulator


def _scalars(accumulator, tag):
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def _f32(values):
    return [float(np.float32(v)) for v in values]


def _classifier():
    model = cornu.models.Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _data(n=20):
    rng = np.random.default_rng(0)
    return rng.random((n, 3), dtype=np.float32), np.eye(2, dtype=np.float32)[rng.integers(0, 2, n)]


def test_epoch_scalars_equal_history_in_train_and_validation_runs(tmp_path):
    model, (x, y) = _classifier(), _data()
    history = model.fit(
        x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[TensorBoard(tmp_path)]
    )
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, val = _read(tmp_path, "train"), _read(tmp_path, "validation")
    h = history.history
    assert _scalars(train, "epoch_loss") == list(zip([0, 1, 2], _f32(h["loss"])))
    assert _scalars(train, "epoch_accuracy") == list(zip([0, 1, 2], _f32(h["accuracy"])))
    assert _scalars(train, "epoch_learning_rate") == list(zip([0, 1, 2], _f32([0.001] * 3)))
    # the validation run holds the val_ logs without their prefix, so TensorBoard overlays the two curves
    assert _scalars(val, "epoch_loss") == list(zip([0, 1, 2], _f32(h["val_loss"])))
    assert _scalars(val, "epoch_accuracy") == list(zip([0, 1, 2], _f32(h["val_accuracy"])))
    assert not any(tag.startswith("epoch_val_") for tag in train.Tags()["scalars"] + val.Tags()["scalars"])
    # Keras also logs each evaluation against optimizer.iterations (15 samples / 8 = 2 steps per epoch)
    assert _scalars(val, "evaluation_loss_vs_iterations") == list(zip([2, 4, 6], _f32(h["val_loss"])))
    assert not any(tag.startswith("batch_") for tag in train.Tags()["scalars"])  # update_freq="epoch"


def test_batch_scalars_every_n_batches_and_steps_per_second(tmp_path):
    model, (x, y) = _classifier(), _data(24)
    seen = []
    spy = cornu.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    callback = TensorBoard(tmp_path, update_freq=2, write_steps_per_second=True)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callback, spy])
    train = _read(tmp_path, "train")
    # 3 batches per epoch, global batch counter from 1 across epochs: batches 2, 4, 6 are written
    assert _scalars(train, "batch_loss") == list(zip([2, 4, 6], _f32([seen[1], seen[3], seen[5]])))
    assert [step for step, _ in _scalars(train, "batch_steps_per_second")] == [2, 4, 6]
    assert [step for step, _ in _scalars(train, "epoch_steps_per_second")] == [0, 1]
    assert all(value > 0 for _, value in _scalars(train, "epoch_steps_per_second"))
    assert "validation" not in os.listdir(tmp_path)  # no validation, no empty run


def test_update_freq_batch_writes_every_batch(tmp_path):
    model, (x, y) = _classifier(), _data(16)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[TensorBoard(tmp_path, update_freq="batch")])
    assert [step for step, _ in _scalars(_read(tmp_path, "train"), "batch_accuracy")] == [1, 2]


def test_epoch_mode_never_reads_batch_logs():
    class Untouchable(dict):
        def __getitem__(self, key):
            raise AssertionError("batch logs were read")

        items = keys = values = __iter__ = __getitem__

    callback = TensorBoard(os.devnull, write_graph=False)
    callback.on_train_batch_begin(0)
    callback.on_train_batch_end(0, Untouchable())  # a read would sync the device every step
    assert callback._global_train_batch == 1


def test_histograms_named_like_keras_hold_the_weights(tmp_path):
    model, (x, y) = _classifier(), _data(16)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=2)])
    train = _read(tmp_path, "train")
    expected = [
        f"sequential/{layer}/{weight}/histogram" for layer in ("dense", "dense_1") for weight in ("kernel", "bias")
    ]
    assert train.Tags()["histograms"] == expected
    events = train.Histograms("sequential/dense/kernel/histogram")
    assert [event.step for event in events] == [0, 2]  # epochs 0, f, 2f
    last = events[-1].histogram_value  # written after the last epoch: the final weights
    kernel = model.layers[0].kernel.detach().numpy()
    assert (last.num, last.min, last.max) == (kernel.size, float(kernel.min()), float(kernel.max()))
    assert last.sum == pytest.approx(float(kernel.astype(np.float64).sum()), abs=1e-5)


def test_functional_weight_paths_have_no_model_prefix_and_nested_layers_are_scoped(tmp_path):
    inner = cornu.models.Sequential([Dense(2, input_shape=(3,), name="inner_dense")], name="block")
    inputs = Input(shape=(3,))
    outputs = Dense(1, name="head")(inner(inputs))
    model = cornu.models.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(
        np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, histogram_freq=1)]
    )
    tags = _read(tmp_path, "train").Tags()["histograms"]
    assert sorted(tags) == sorted(
        [
            "block/inner_dense/kernel/histogram",
            "block/inner_dense/bias/histogram",
            "head/kernel/histogram",
            "head/bias/histogram",
        ]
    )


def test_write_images_draws_kernels_as_keras_lays_them_out(tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    model, (x, y) = _classifier(), _data(8)
    callback = TensorBoard(tmp_path, histogram_freq=1, write_images=True)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[callback])
    train = _read(tmp_path, "train")
    assert "sequential/dense/kernel/image" in train.Tags()["images"]
    # kernel (3, 4): the long side across, one row per input; bias (4,): a column of 4
    sizes = {}
    for tag in ("sequential/dense/kernel/image", "sequential/dense_1/kernel/image", "sequential/dense/bias/image"):
        event = train.Images(tag)[0]
        sizes[tag] = PIL.open(io.BytesIO(event.encoded_image_string)).size  # (width, height)
    assert sizes == {
        "sequential/dense/kernel/image": (4, 3),
        "sequential/dense_1/kernel/image": (4, 2),  # (4, 2) is transposed to 2 rows of 4
        "sequential/dense/bias/image": (1, 4),
    }


def test_graph_keras_config_and_traced_op_graph(tmp_path):
    from tensorboard.plugins.graph import keras_util

    model, (x, y) = _classifier(), _data(8)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[TensorBoard(tmp_path)])
    train = _read(tmp_path, "train")
    config = json.loads(train.Tensors("keras")[0].tensor_proto.string_val[0])
    graph = keras_util.keras_model_to_graph_def(config)  # what TensorBoard's graph dashboard draws
    assert [node.name for node in graph.node] == ["sequential/dense_input", "sequential/dense", "sequential/dense_1"]
    assert [list(node.input) for node in graph.node] == [[], ["sequential/dense_input"], ["sequential/dense"]]
    op_names = [node.name for node in train.Graph().node]
    assert any("Dense[dense]" in name for name in op_names) and any("Dense[dense_1]" in name for name in op_names)


def test_subclassed_model_graph_is_traced_from_the_first_batch(tmp_path):
    class Net(cornu.models.Model):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = Dense(3, name="hidden"), Dense(1, name="out")

        def call(self, inputs, training=False):
            return self.out(self.hidden(inputs))

    model = Net()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    train = _read(tmp_path, "train")
    assert train.Tags()["tensors"] == []  # no Keras config for subclassed models, as in Keras
    assert any("Dense[hidden]" in node.name for node in train.Graph().node)
    assert model._forward_pre_hooks == {}  # the capture hook is gone after the first batch


def test_untraceable_model_warns_once_and_training_goes_on(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    def fail(*args, **kwargs):
        raise RuntimeError("cannot trace this")

    monkeypatch.setattr(SummaryWriter, "add_graph", fail)
    model, (x, y) = _classifier(), _data(16)
    with pytest.warns(UserWarning, match="could not trace model 'sequential'.*cannot trace this") as record:
        history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[TensorBoard(tmp_path)])
    assert len([w for w in record if "could not trace" in str(w.message)]) == 1
    assert _scalars(_read(tmp_path, "train"), "epoch_loss") == list(zip([0, 1], _f32(history.history["loss"])))


def test_learning_rate_of_a_schedule_is_its_value_at_epoch_end(tmp_path):
    schedule = cornu.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    model = cornu.models.Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer=cornu.optimizers.SGD(schedule), loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, batch_size=2, verbose=0, callbacks=[TensorBoard(tmp_path)])
    # 2 steps per epoch: after epoch 0 the schedule is at step 2, after epoch 1 at step 4
    assert _scalars(_read(tmp_path, "train"), "epoch_learning_rate") == list(zip([0, 1], _f32([0.025, 0.00625])))


def test_evaluate_with_the_callback_logs_against_iterations(tmp_path):
    model, (x, y) = _classifier(), _data(16)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    callback = TensorBoard(tmp_path)
    loss, accuracy = model.evaluate(x, y, verbose=0, callbacks=[callback])
    assert callback._writers == {}  # closed: a lone evaluate() has no on_train_end
    val = _read(tmp_path, "validation")
    assert _scalars(val, "evaluation_loss_vs_iterations") == [(2, float(np.float32(loss)))]
    assert _scalars(val, "evaluation_accuracy_vs_iterations") == [(2, float(np.float32(accuracy)))]


def test_a_second_fit_writes_new_event_files(tmp_path):
    model, (x, y) = _classifier(), _data(8)
    callback = TensorBoard(tmp_path, write_graph=False)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert len(glob.glob(os.path.join(tmp_path, "train", "events.out.tfevents.*"))) == 2


def test_profile_batch_range_writes_a_torch_profiler_trace(tmp_path):
    model, (x, y) = _classifier(), _data(24)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[TensorBoard(tmp_path, profile_batch=(2, 3))])
    traces = glob.glob(os.path.join(tmp_path, "train", "*.pt.trace.json"))
    assert len(traces) == 1
    with open(traces[0]) as file:
        names = {event.get("name") for event in json.load(file)["traceEvents"]}
    assert {"train_batch_2", "train_batch_3"} <= names and "train_batch_1" not in names


def test_embeddings_for_the_projector(tmp_path):
    metadata = tmp_path / "words.tsv"
    metadata.write_text("\n".join(f"word{i}" for i in range(5)) + "\n")
    model = cornu.models.Sequential([Embedding(5, 2, input_shape=(3,), name="emb"), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    log_dir = tmp_path / "logs"
    callback = TensorBoard(log_dir, embeddings_freq=1, embeddings_metadata={"emb": str(metadata)}, write_graph=False)
    model.fit(np.zeros((4, 3), dtype="int64"), np.ones((4, 1)), epochs=1, verbose=0, callbacks=[callback])
    config = (log_dir / "train" / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "emb:00000"' in config
    folder = log_dir / "train" / "00000" / "emb"
    written = np.loadtxt(folder / "tensors.tsv", delimiter="\t")
    np.testing.assert_allclose(written, model.layers[0].embeddings.detach().numpy(), rtol=1e-6)
    assert (folder / "metadata.tsv").read_text().split() == [f"word{i}" for i in range(5)]


def test_unknown_embedding_metadata_layer_is_an_error(tmp_path):
    model = cornu.models.Sequential([Embedding(5, 2, input_shape=(3,), name="emb"), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    callback = TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata={"embedding": "x.tsv"})
    with pytest.raises(ValueError, match=r"not Embedding layers.*\['embedding'\].*\['emb'\]"):
        model.fit(np.zeros((2, 3), dtype="int64"), np.ones((2, 1)), epochs=1, verbose=0, callbacks=[callback])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"update_freq": "sometimes"}, "update_freq='sometimes'"),
        ({"update_freq": 0}, "positive integer"),
        ({"histogram_freq": -1}, "histogram_freq=-1"),
        ({"embeddings_freq": 1.5}, "embeddings_freq=1.5"),
        ({"profile_batch": (3, 1)}, r"profile_batch=\(3, 1\)"),
        ({"profile_batch": -2}, "start <= stop"),
        ({"profile_batch": "a,b"}, "profile_batch='a,b'"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBoard("logs", **kwargs)


def test_profile_batch_string_form_as_in_keras():
    assert TensorBoard("logs", profile_batch="5,7")._start_batch == 5
    assert (TensorBoard("logs", profile_batch="4")._start_batch, TensorBoard("logs", profile_batch=4)._stop_batch) == (
        4,
        4,
    )


def test_missing_tensorboard_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match="pip install tensorboard"):
        TensorBoard("logs")


def test_scalars_skip_non_scalar_logs():
    from cornu.callbacks.tensorboard import _scalars as scalars

    logs = {"loss": 0.5, "f1": np.array([0.1, 0.2]), "t": torch.tensor(2.0), "flag": True, "note": "x"}
    assert list(scalars(logs)) == [("loss", 0.5), ("t", 2.0)]
