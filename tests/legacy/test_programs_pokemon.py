"""The seeds' Pokémon exercises 00-04 (first model, loss, learning rate, activation, optimizer) and the
`fit_generator` slide, run by `python -m cornu run` on a generated CSV shaped like `pkgo_city66_class5_v1.csv`."""

import pytest

from cornu.layers import Dense, Input
from cornu.models import Sequential
from cornu.optimizers import SGD
from cornu.optimizers.schedules import InverseTimeDecay
from cornu.utils import set_random_seed, to_categorical
from tests.legacy.programs_support import check_ran, load_pokemon_csv, one_thread

PROGRAMS = (
    "pokemon_00_first_model.py",
    "pokemon_01_loss_selection.py",
    "pokemon_02_learning_rate.py",
    "pokemon_03_activation.py",
    "pokemon_04_optimizers.py",
    "fit_generator_keras2.py",
)


@pytest.fixture(scope="module")
def runs(program_runs, pokemon_csv):
    results = program_runs.run_all({name: [pokemon_csv] for name in PROGRAMS})
    for result in results.values():
        check_ran(result)
    return {name: result.numbers for name, result in results.items()}, results


def _train_modern(csv, activation, optimizer, epochs):
    """The exercises' network in Keras 3's spelling, seeded as the programs are."""
    with one_thread():
        set_random_seed(1337)
        x, labels = load_pokemon_csv(csv)
        model = Sequential([Input((200,)), Dense(128, activation=activation), Dense(256, activation=activation)])
        model.add(Dense(5, activation="softmax"))
        model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
        history = model.fit(
            x, to_categorical(labels, 5), batch_size=16, epochs=epochs, verbose=0, shuffle=True, validation_split=0.1
        )
    return history.history


def test_first_model_equals_the_keras_3_spelling(runs, pokemon_csv):
    printed = runs[0]["pokemon_00_first_model.py"]
    assert printed["Parameters"] == 60037  # the seeds' model summary: 25728 + 33024 + 1285
    modern = _train_modern(pokemon_csv, "sigmoid", SGD(learning_rate=0.01), 30)
    assert printed["Training loss"] == pytest.approx(modern["loss"][-1], rel=1e-4)
    assert printed["Training accuracy"] == pytest.approx(modern["accuracy"][-1], abs=1e-6)  # read as Keras 2's 'acc'
    assert printed["Validation accuracy"] == pytest.approx(modern["val_accuracy"][-1], abs=1e-6)
    stderr = runs[1]["pokemon_00_first_model.py"].stderr
    assert "`lr` is the Keras 2 name of `learning_rate`; write `learning_rate=0.01`." in stderr
    assert "`decay=0.0` is a Keras 2 argument that changes nothing here; remove it." in stderr


def test_loss_selection_mean_squared_error_is_the_mean_of_squares(runs):
    printed = runs[0]["pokemon_01_loss_selection.py"]
    assert printed["mean_squared_error evaluated"] == pytest.approx(printed["mean_squared_error by hand"], rel=1e-5)
    assert printed["categorical_crossentropy training accuracy"] >= printed["mean_squared_error training accuracy"]


def test_learning_rate_selection(runs):
    printed = runs[0]["pokemon_02_learning_rate.py"]
    assert [printed[f"lr={lr} learning rate used"] for lr in (0.1, 0.01, 0.001)] == [0.1, 0.01, 0.001]
    # 30 epochs of SGD: 0.1 learns the classes, 0.001 barely leaves the majority class
    assert printed["lr=0.1 training accuracy"] > 0.9
    assert printed["lr=0.1 training accuracy"] > printed["lr=0.001 training accuracy"] + 0.3


def test_activation_selection(runs):
    printed = runs[0]["pokemon_03_activation.py"]
    assert printed["relu training accuracy"] > printed["sigmoid training accuracy"] + 0.3
    assert printed["leaky_relu validation accuracy"] > 0.8 and printed["LeakyReLU slope"] == 0.02


def test_optimizer_selection_and_keras_2_decay(runs, pokemon_csv):
    printed = runs[0]["pokemon_04_optimizers.py"]
    assert printed["Adam training loss"] < printed["SGD training loss"]
    assert min(printed[f"{name} training accuracy"] for name in ("Adam", "RMSprop", "Adagrad")) > 0.9
    # Keras 2's decay: lr / (1 + decay * iterations), which Keras 3 writes as InverseTimeDecay
    schedule = InverseTimeDecay(0.05, decay_steps=1, decay_rate=0.01)
    modern = _train_modern(pokemon_csv, "relu", SGD(learning_rate=schedule, momentum=0.9, nesterov=True), 10)
    assert printed["SGD with decay training loss"] == pytest.approx(modern["loss"][-1], rel=1e-3, abs=1e-6)
    assert (
        "write `learning_rate=cornu.optimizers.schedules.InverseTimeDecay(0.05"
        in runs[1]["pokemon_04_optimizers.py"].stderr
    )


def test_fit_generator(runs):
    printed, results = runs
    printed = printed["fit_generator_keras2.py"]
    assert printed["Epochs"] == 8 and printed["Updates"] == 8 * 10  # epochs x steps_per_epoch
    assert printed["Validation accuracy"] > 0.6 and printed["Training accuracy"] > 0.9
    # the last epoch's validation and evaluate_generator see the same 3 batches with the same weights
    assert printed["evaluate_generator accuracy"] == pytest.approx(printed["Validation accuracy"], abs=1e-6)
    assert printed["predict_generator rows"] == 60
    assert "`model.fit_generator(generator, ...)` is Keras 2's; write `model.fit(generator, ...)`." in (
        results["fit_generator_keras2.py"].stderr
    )
