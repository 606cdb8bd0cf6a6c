"""The seeds' "hello world": a 784-500-500-10 network that reads handwritten digits (MNIST)."""

import time

import cornu
from cornu.layers import Activation, Dense
from cornu.models import Sequential

__all__ = ["hello_world"]


def hello_world(epochs=20, activation="relu", batch_size=100, path="mnist.npz", verbose=2):
    """Trains the hello-world digit model and returns its test accuracy.

    Uses full MNIST when it is cached (or at `path`), else the sample shipped with cornu, so it runs offline.

    Args:
        epochs: Passes over the training images. Defaults to `20`.
        activation: Hidden-layer activation, `"relu"` or the seed's original `"sigmoid"`. Defaults to `"relu"`.
        batch_size: Images per step. Defaults to `100`.
        path: Where to look for `mnist.npz` first. Defaults to `"mnist.npz"`.
        verbose: Progress output of `fit` (0, 1 or 2). Defaults to `2`.

    Returns:
        The accuracy on the test images, a float in [0, 1].
    """
    cornu.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = cornu.datasets.mnist.load_data(path)
    x_train = x_train.reshape(len(x_train), 28 * 28).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 28 * 28).astype("float32") / 255
    y_train = cornu.utils.to_categorical(y_train, 10)
    y_test = cornu.utils.to_categorical(y_test, 10)

    model = Sequential()
    model.add(Dense(input_dim=28 * 28, units=500))
    model.add(Activation(activation))
    model.add(Dense(units=500))
    model.add(Activation(activation))
    model.add(Dense(units=10))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

    print(f"Training on {len(x_train):,} images, testing on {len(x_test):,}.")
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Trained in {seconds:.1f} s. Test loss: {loss:.4f}. Test accuracy: {accuracy:.4f}")
    return accuracy
