"""A small convolutional network on MNIST (Keras's "simple MNIST convnet"): two conv/pool blocks, dropout, softmax.

    python examples/mnist_cnn.py [--epochs 12] [--data path/to/mnist.npz]

Images are channels_last, `(28, 28, 1)`, as in Keras. Uses full MNIST when it is cached or given with --data,
otherwise the sample that ships with cornu. On full MNIST, 12 epochs reach >= 0.99 test accuracy.
"""

import argparse
import time

import cornu
from cornu.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from cornu.models import Sequential

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=12)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--data", default="mnist.npz")
args = parser.parse_args()

cornu.utils.set_random_seed(0)
(x_train, y_train), (x_test, y_test) = cornu.datasets.mnist.load_data(args.data)
x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255  # a channel axis last: (batch, rows, cols, 1)
x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
y_train = cornu.utils.to_categorical(y_train, 10)
y_test = cornu.utils.to_categorical(y_test, 10)

model = Sequential(
    [
        Input(shape=(28, 28, 1)),
        Conv2D(32, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(64, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ]
)
model.summary()

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
start = time.perf_counter()
model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1, verbose=2)
print(f"Training took {time.perf_counter() - start:.1f} s")

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
