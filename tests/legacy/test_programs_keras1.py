"""Keras 1 programs run by `python -m cornu run`: the seeds' hello world, a `Convolution2D` CNN, an LSTM, a stacked
stateful LSTM and a `Merge` model (and Keras 2's ImageDataGenerator with `fit_generator`). Each prints its results;
each must reach its accuracy and print the numbers that the same network, written in Keras 3's spelling, gives with
the same seed."""

import numpy as np
import pytest

import cornu
from cornu.layers import (
    LSTM,
    Activation,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPooling2D,
    concatenate,
)
from cornu.models import Model, Sequential
from cornu.optimizers import Adadelta, RMSprop
from cornu.utils import set_random_seed, to_categorical
from tests.legacy.programs_support import MNIST_SAMPLE, check_ran, load_pokemon_csv, one_thread

PROGRAMS = {
    "hello_world_keras1.py": [MNIST_SAMPLE, 20],
    "keras1_cnn.py": [MNIST_SAMPLE, 2],
    "keras1_lstm.py": [20],
    "keras1_stateful_lstm.py": [8],
    "keras2_image_augmentation.py": [MNIST_SAMPLE, 3],
}


@pytest.fixture(scope="module")
def runs(program_runs, pokemon_csv):
    return program_runs.run_all({**PROGRAMS, "keras1_merge.py": [pokemon_csv]})


def _mnist(n_train, n_test, shape):
    (x_train, y_train), (x_test, y_test) = cornu.datasets.mnist.load_data(str(MNIST_SAMPLE))
    x_train = x_train[:n_train].reshape((n_train, *shape)).astype("float32") / 255
    x_test = x_test[:n_test].reshape((n_test, *shape)).astype("float32") / 255
    return x_train, to_categorical(y_train[:n_train], 10), x_test, to_categorical(y_test[:n_test], 10)


def test_hello_world_in_keras_1_spelling(runs):
    result = runs["hello_world_keras1.py"]
    check_ran(result)
    printed = result.numbers
    assert printed["Accuracy of Testing Set"] > 0.8
    assert printed["Predicted digits agree with the accuracy"] == pytest.approx(printed["Accuracy of Testing Set"])
    assert "`nb_epoch` is the Keras 1 name of `epochs`; write `epochs=20`." in result.stderr
    assert "`output_dim` is the Keras 1 name of `units`; write `units=500`." in result.stderr
    with one_thread():  # the same network in Keras 3's spelling
        set_random_seed(1337)
        x_train, y_train, x_test, y_test = _mnist(2000, 500, (784,))
        model = Sequential([Input((784,)), Dense(500, activation="sigmoid"), Dense(500, activation="sigmoid")])
        model.add(Dense(10, activation="softmax"))
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=100, epochs=20, verbose=0)
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert printed["Total loss on Testing Set"] == pytest.approx(loss, rel=1e-4)
    assert printed["Accuracy of Testing Set"] == pytest.approx(accuracy, abs=1e-6)


def test_convolution2d_with_border_mode_same(runs):
    result = runs["keras1_cnn.py"]
    check_ran(result)
    printed = result.numbers
    assert printed["Conv output shape"] == 28 * 8  # 'same' padding keeps 28 columns, 8 filters
    assert printed["Test accuracy"] > 0.6
    assert "write `Conv2D(8, (3, 3))`" in result.stderr
    assert "`border_mode` is the Keras 1 name of `padding`; write `padding='same'`." in result.stderr
    with one_thread():
        set_random_seed(1337)
        x_train, y_train, x_test, y_test = _mnist(1000, 300, (28, 28, 1))
        model = Sequential([Input((28, 28, 1)), Conv2D(8, (3, 3), padding="same", kernel_initializer="he_normal")])
        for layer in (Activation("relu"), MaxPooling2D((2, 2)), Dropout(0.25), Flatten(), Dense(32)):
            model.add(layer)
        model.add(Activation("relu"))
        model.add(Dense(10, activation="softmax"))
        model.compile(loss="categorical_crossentropy", optimizer=Adadelta(learning_rate=1.0), metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0, validation_data=(x_test, y_test))
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert printed["Test score"] == pytest.approx(loss, rel=1e-4)
    assert printed["Test accuracy"] == pytest.approx(accuracy, abs=1e-6)


def test_lstm_learns_the_cosine(runs):
    result = runs["keras1_lstm.py"]
    check_ran(result)
    printed = result.numbers
    assert printed["Test loss"] < 0.01 and printed["First epoch loss"] > 10 * printed["Training loss"]
    assert printed["Predicted next value"] == pytest.approx(printed["True next value"], abs=0.1)
    assert "`inner_activation` is the Keras 1 name of `recurrent_activation`" in result.stderr
    assert "`consume_less` is a Keras 1 argument of LSTM that changes nothing" in result.stderr
    with one_thread():
        set_random_seed(1337)
        cosine = np.cos(np.arange(0, 60, 0.1)).astype("float32")
        x = np.array([cosine[i : i + 10] for i in range(len(cosine) - 10)])[:, :, None]
        y = cosine[10:, None]
        model = Sequential([Input((10, 1)), LSTM(16, recurrent_activation="hard_sigmoid"), Dense(1)])
        model.compile(loss="mse", optimizer=RMSprop(learning_rate=0.01))
        history = model.fit(x[:400], y[:400], batch_size=32, epochs=20, verbose=0, shuffle=False)
    assert printed["Training loss"] == pytest.approx(history.history["loss"][-1], rel=1e-3)
    assert printed["Test loss"] == pytest.approx(model.evaluate(x[400:], y[400:], verbose=0), rel=1e-3)


def test_stacked_stateful_lstm_with_reset_states(runs):
    result = runs["keras1_stateful_lstm.py"]
    check_ran(result)
    printed = result.numbers
    assert printed["Last pass loss"] < printed["First pass loss"] / 3 and printed["Prediction error"] < 0.1
    assert printed["Same prediction after reset_states"] == 0  # reset_states zeroes the carried state...
    assert printed["Prediction from the carried state differs by"] > 1e-3  # ...which otherwise changes predictions
    with one_thread():
        set_random_seed(1337)
        steps = np.arange(1000)
        cos = (np.cos(steps / (2 * np.pi * 25)) * np.exp(-0.0001 * steps)).astype("float32").reshape(-1, 1, 1)
        target = np.zeros((1000, 1), "float32")
        target[:-1, 0] = cos[1:, 0, 0]
        model = Sequential([Input(batch_shape=(25, 1, 1)), LSTM(16, return_sequences=True, stateful=True)])
        model.add(LSTM(16, stateful=True))
        model.add(Dense(1))
        model.compile(loss="mse", optimizer="rmsprop")
        for _ in range(8):
            loss = model.fit(cos, target, batch_size=25, epochs=1, verbose=0, shuffle=False).history["loss"][-1]
            model.reset_states()
    assert printed["Last pass loss"] == pytest.approx(loss, rel=1e-3)


def test_merge_of_two_sequential_branches(runs, pokemon_csv):
    result = runs["keras1_merge.py"]
    check_ran(result)
    printed = result.numbers
    assert printed["Merged width"] == 64
    assert printed["Training accuracy"] > 0.8 and printed["Validation accuracy"] > 0.6
    assert "`Merge([...], mode='concat')` is Keras 1's layer of models; write the functional model" in result.stderr
    with one_thread():  # Keras 3: the functional model with concatenate
        set_random_seed(1337)
        x, labels = load_pokemon_csv(pokemon_csv)
        left, right = Input((100,)), Input((100,))
        merged = Activation("relu")(concatenate([Dense(32)(left), Dense(32)(right)]))
        model = Model([left, right], Dense(5, activation="softmax")(merged))
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(
            [x[:, :100], x[:, 100:]],
            to_categorical(labels, 5),
            batch_size=16,
            epochs=5,
            verbose=0,
            validation_split=0.1,
        )
    assert printed["Training loss"] == pytest.approx(history.history["loss"][-1], rel=1e-4)
    assert printed["Validation accuracy"] == pytest.approx(history.history["val_accuracy"][-1], abs=1e-6)


def test_image_data_generator_with_fit_generator(runs):
    result = runs["keras2_image_augmentation.py"]
    check_ran(result)
    printed = result.numbers
    assert printed["Updates"] == 3 * 32  # steps_per_epoch=len(X) / 32 is 32.0 batches, 3 epochs
    (x_train, _), _ = cornu.datasets.mnist.load_data(str(MNIST_SAMPLE))
    assert printed["Feature mean"] == pytest.approx(np.mean(x_train[:1024] / 255), rel=1e-4)  # datagen.fit(X)
    assert printed["Test accuracy"] > 0.5
    assert "`steps_per_epoch=32.0` is a float; Keras 2 ran 32 batches for it" in result.stderr
