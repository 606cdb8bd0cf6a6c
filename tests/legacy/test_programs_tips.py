"""The seeds' "Tips for training" exercises 06-10 (regularizers, early stopping, dropout, batch normalization,
callbacks with `LossHistory` and `ModelCheckpoint('model.h5')`), the Functional API slides, a `GridSearchCV` program
and a Keras 2 text classifier (`Tokenizer`, `pad_sequences`, `Embedding`, `LSTM`), run by `python -m cornu run`
(the Pokémon ones on a generated CSV shaped like `pkgo_city66_class5_v1.csv`)."""

import math

import h5py
import pytest

from tests.legacy.programs_support import check_ran

PROGRAMS = (
    "pokemon_06_regularizer.py",
    "pokemon_07_early_stopping.py",
    "pokemon_08_dropout.py",
    "pokemon_09_batchnorm.py",
    "pokemon_10_callbacks.py",
    "pokemon_11_functional.py",
    "keras2_grid_search.py",
)


@pytest.fixture(scope="module")
def runs(program_runs, pokemon_csv):
    programs = {name: [pokemon_csv] for name in PROGRAMS}
    results = program_runs.run_all({**programs, "keras2_text_classification.py": [10]})
    for result in results.values():
        check_ran(result)
    return results


def test_l2_penalties_are_the_closed_form_and_shrink_the_weights(runs):
    printed = runs["pokemon_06_regularizer.py"].numbers
    squares = {p: printed[f"{p} sum of squared kernels"] for p in ("l2=0.01", "l2=0.001", "l1l2", "none")}
    assert squares["l2=0.01"] < squares["l2=0.001"] < squares["none"]
    # the penalty added to the loss is l2 * sum(w**2) over the three kernels (Keras 1's W_regularizer as well)
    assert printed["l2=0.01 penalty in the loss"] == pytest.approx(0.01 * squares["l2=0.01"], rel=1e-4)
    assert printed["l2=0.001 penalty in the loss"] == pytest.approx(0.001 * squares["l2=0.001"], rel=1e-4)
    assert printed["l1=0.001 penalty in the loss"] == pytest.approx(
        0.001 * printed["l1=0.001 sum of absolute kernels"], rel=1e-4
    )
    assert printed["l1l2 penalty in the loss"] == pytest.approx(
        0.0001 * (printed["l1l2 sum of absolute kernels"] + printed["l1l2 sum of squared kernels"]), rel=1e-4
    )
    assert printed["none penalty in the loss"] == 0
    assert "`W_regularizer` is the Keras 1 name of `kernel_regularizer`" in runs["pokemon_06_regularizer.py"].stderr


def test_early_stopping_stops_where_keras_rule_says(runs):
    printed = runs["pokemon_07_early_stopping.py"].numbers
    val_losses = [printed[f"val_loss of epoch {epoch}"] for epoch in range(1, int(printed["Epochs run"]) + 1)]
    best, wait, stop = math.inf, 0, None  # Keras: improved when val_loss < best - min_delta; stop after patience
    for epoch, value in enumerate(val_losses):
        wait += 1
        if value < best - 0.0001:
            best, wait = value, 0
        if wait >= 3 and epoch > 0:
            stop = epoch
            break
    assert stop is not None and printed["Stopped epoch"] == stop and printed["Epochs run"] == stop + 1 < 30


def test_dropout_is_on_in_fit_and_off_in_evaluate(runs):
    printed = runs["pokemon_08_dropout.py"].numbers
    assert printed["Dropout rates"] == pytest.approx(0.8)  # Dropout(0.4) and Keras 1's Dropout(p=0.4)
    assert printed["Training loss with dropout (fit)"] > 2 * printed["Training loss without dropout (evaluate)"]
    assert printed["Validation accuracy"] > 0.8


def test_batch_normalization_parameters_and_statistics(runs):
    printed = runs["pokemon_09_batchnorm.py"].numbers
    assert printed["Parameters"] == 25728 + 4 * 128 + 33024 + 4 * 256 + 1285
    assert printed["Non-trainable parameters"] == 2 * (128 + 256)  # the moving means and variances
    assert printed["Moving mean magnitude"] > 0 and printed["Validation accuracy"] > 0.8
    assert "Non-trainable params: 768" in runs["pokemon_09_batchnorm.py"].stdout  # model.summary()


def test_callbacks_loss_history_scheduler_and_model_checkpoint(runs):
    result = runs["pokemon_10_callbacks.py"]
    printed = result.numbers
    assert printed["Batches recorded"] == printed["Batches expected"] > 0
    assert printed["Batch accuracies recorded"] == printed["Batches recorded"]  # logs.get('acc') answers
    assert printed["Last learning rate"] == pytest.approx(printed["Scheduled learning rate"])
    # save_best_only: the file holds the weights of the epoch with the lowest val_loss
    assert printed["Reloaded model's val_loss"] == pytest.approx(printed["Best val_loss"], rel=1e-5)
    with h5py.File(result.folder / "model.h5", "r") as saved:  # Keras 2's HDF5 layout
        assert "model_weights" in saved and "model_config" in saved.attrs
    assert "saving model to model.h5" in result.stdout


def test_functional_api_equals_sequential(runs):
    printed = runs["pokemon_11_functional.py"].numbers
    losses = {printed[f"{name} training loss"] for name in ("Sequential", "Functional", "Keras 1 functional")}
    assert len(losses) == 1  # same seed, same weights, same numbers: Model(input=, output=) is Model(inputs=, ...)
    assert printed["Functional validation accuracy"] > 0.7
    assert printed["Re-used model output width"] == 5 and printed["Two-input model output width"] == 200
    assert printed["Two-input model parameters"] == (10 * 100 + 100) + (120 * 200 + 200)
    assert "`input` is the Keras 1 name of `inputs`" in runs["pokemon_11_functional.py"].stderr


def test_grid_search_with_keras_classifier(runs):
    result = runs["keras2_grid_search.py"]
    printed = result.numbers
    assert printed["Best neurons"] == 32 and printed["Best score"] > 0.6  # one hidden unit cannot do it
    assert printed["Cross-validated accuracy"] > 0.6 and printed["Folds"] == 3
    assert f"Best: {printed['Best score']:f} using {{" in result.stdout
    assert result.stdout.count(" with: {") == 4  # the 2 x 2 grid


def test_text_classification_with_tokenizer_and_padding(runs):
    result = runs["keras2_text_classification.py"]
    printed = result.numbers
    assert printed["Vocabulary size"] == 6 + 6 + 10 and printed["Padded length"] == 12  # the words of the reviews
    assert printed["Test accuracy"] > 0.75
    assert printed["Positive review score"] > printed["Negative review score"]
    assert "`input_length` is a Keras 2 argument of Embedding that changes nothing" in result.stderr
