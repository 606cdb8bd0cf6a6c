"""CSVLogger: the exact file text for handcrafted logs, append/overwrite, whole rows at every moment, and `fit`."""

import csv
import os
import pathlib

import numpy as np
import pytest

import cornu
from cornu.callbacks import CSVLogger, LambdaCallback
from cornu.layers import Dense


def _read(path):
    with open(path, newline="") as file:
        return file.read()


def _drive(logger, epoch_logs, snapshots=None):
    logger.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        logger.on_epoch_end(epoch, logs)
        if snapshots is not None:
            snapshots.append(_read(logger.filename))
    logger.on_train_end()


def test_rows_in_sorted_key_order_with_val_columns_added(tmp_path):
    path = tmp_path / "log.csv"
    _drive(CSVLogger(path), [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.125, "accuracy": 0.75}])
    assert _read(path) == ("epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.25,0.5,NA,NA\r\n1,0.75,0.125,NA,NA\r\n")


def test_columns_are_fixed_by_the_first_epoch(tmp_path):
    # validation_freq=2: no val_ keys on epoch 0, so val_ columns are made for them; a key first seen later is dropped
    path = tmp_path / "log.csv"
    _drive(CSVLogger(path), [{"loss": 0.5}, {"loss": 0.25, "val_loss": 0.75, "new": 1.0}])
    assert _read(path) == "epoch,loss,val_loss\r\n0,0.5,NA\r\n1,0.25,0.75\r\n"


def test_first_epoch_with_val_keys_adds_no_more(tmp_path):
    path = tmp_path / "log.csv"
    _drive(CSVLogger(path), [{"val_loss": 0.5, "loss": 0.25}])
    assert _read(path) == "epoch,loss,val_loss\r\n0,0.25,0.5\r\n"


def test_values_keep_full_precision_and_lists_are_quoted(tmp_path):
    path = tmp_path / "log.csv"
    logs = {"loss": 0.1 + 0.2, "per_class": np.array([1, 2]), "note": "a,b", "zero_d": np.array(3.5)}
    _drive(CSVLogger(path), [logs])
    text = _read(path)
    assert text.splitlines()[1] == '0,0.30000000000000004,"a,b","""[1, 2]""",3.5,NA,NA,NA,NA'
    row = next(csv.DictReader(text.splitlines()))
    assert (float(row["loss"]), row["note"], row["per_class"]) == (0.1 + 0.2, "a,b", '"[1, 2]"')


def test_separator(tmp_path):
    path = tmp_path / "log.tsv"
    _drive(CSVLogger(path, separator="\t"), [{"loss": 0.5, "val_loss": 1.5}])
    assert _read(path) == "epoch\tloss\tval_loss\r\n0\t0.5\t1.5\r\n"


@pytest.mark.parametrize("bad", [",,", "", 1])
def test_separator_must_be_one_character(tmp_path, bad):
    with pytest.raises(TypeError, match=r"one-character string; received separator="):
        CSVLogger(tmp_path / "log.csv", separator=bad)


def test_overwrite_replaces_the_old_file_and_is_complete_after_every_epoch(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old,stuff\n1,2\n")
    logger = CSVLogger(str(path))
    logger.on_train_begin()
    assert _read(path) == ""  # emptied at the start, as Keras does
    snapshots = []
    _drive(logger, [{"loss": 1.0}, {"loss": 0.5}], snapshots)
    assert snapshots == [
        "epoch,loss,val_loss\r\n0,1.0,NA\r\n",
        "epoch,loss,val_loss\r\n0,1.0,NA\r\n1,0.5,NA\r\n",
    ]
    assert sorted(os.listdir(tmp_path)) == ["log.csv"]  # no temporary file left behind


def test_append_writes_the_header_only_into_an_empty_file(tmp_path):
    path = tmp_path / "log.csv"
    _drive(CSVLogger(path, append=True), [{"loss": 1.0}])
    _drive(CSVLogger(path, append=True), [{"loss": 0.5}])
    assert _read(path) == "epoch,loss,val_loss\r\n0,1.0,NA\r\n0,0.5,NA\r\n"


def test_append_after_an_unfinished_line_starts_a_new_one(tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(b"epoch,loss\r\n0,0.9\r\n1,0.")  # a run killed mid-line
    _drive(CSVLogger(path, append=True), [{"loss": 0.5}])
    assert _read(path) == "epoch,loss\r\n0,0.9\r\n1,0.\r\n0,0.5,NA\r\n"


def test_second_fit_with_the_same_logger_starts_over(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    _drive(logger, [{"loss": 1.0}])
    _drive(logger, [{"acc": 0.5}])
    assert _read(path) == "epoch,acc,val_acc\r\n0,0.5,NA\r\n"


def test_a_missing_folder_is_named_with_the_fix(tmp_path):
    logger = CSVLogger(tmp_path / "runs" / "log.csv")
    with pytest.raises(
        FileNotFoundError, match=r"the folder '.*runs' does not exist\. Create it first, e\.g\. os\.makedirs"
    ):
        logger.on_train_begin()


def test_pathlike_filename(tmp_path):
    logger = CSVLogger(pathlib.Path(tmp_path) / "log.csv")
    assert logger.filename == os.path.join(str(tmp_path), "log.csv")


def test_fit_logs_what_history_records(tmp_path):
    path = tmp_path / "run.csv"
    model = cornu.models.Sequential([Dense(2, input_shape=(3,), activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 3)).astype("float32"), np.eye(2, dtype="float32")[rng.integers(0, 2, 10)]
    seen_during = []
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: seen_during.append(_read(path).count("\r\n")))
    history = model.fit(
        x, y, epochs=3, validation_split=0.2, callbacks=[CSVLogger(path), peek], verbose=0, batch_size=4
    )
    assert seen_during == [2, 3, 4]  # header + one whole row per finished epoch
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2]
    for key, values in history.history.items():
        assert [float(row[key]) for row in rows] == values  # repr round-trips: the same floats
