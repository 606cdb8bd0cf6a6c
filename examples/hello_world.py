"""Seeds 000/001: the "hello world" of deep learning, handwritten digits with a 784-500-500-10 network.

    python examples/hello_world.py [--activation sigmoid] [--data path/to/mnist.npz]

Uses full MNIST when it is cached (~/.cornu/datasets or ~/.keras/datasets) or given with --data, otherwise the
sample that ships with cornu. On full MNIST, 20 epochs reach >= 0.97 test accuracy with relu, >= 0.95 with sigmoid.
"""

import argparse

import cornu
from cornu.layers import Activation, Dense
from cornu.models import Sequential

parser = argparse.ArgumentParser()
parser.add_argument("--activation", default="relu")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--data", default="mnist.npz")
args = parser.parse_args()

cornu.utils.set_random_seed(0)
(x_train, y_train), (x_test, y_test) = cornu.datasets.mnist.load_data(args.data)
x_train = x_train.reshape(-1, 28 * 28).astype("float32") / 255  # 28x28 images -> 784 inputs in [0, 1]
x_test = x_test.reshape(-1, 28 * 28).astype("float32") / 255
y_train = cornu.utils.to_categorical(y_train, 10)  # digit labels -> one-hot rows, for categorical_crossentropy
y_test = cornu.utils.to_categorical(y_test, 10)

# Step 1: define a set of functions (the network).
model = Sequential()
model.add(Dense(input_dim=28 * 28, units=500))
model.add(Activation(args.activation))
model.add(Dense(units=500))
model.add(Activation(args.activation))
model.add(Dense(units=10))
model.add(Activation("softmax"))
model.summary()

# Step 2: goodness of a function (the loss); step 3: pick the best function (the optimizer).
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=100, epochs=args.epochs, verbose=2)

score = model.evaluate(x_test, y_test, verbose=0)
print("Total loss on testing set:", score[0])
print("Accuracy of testing set:", score[1])
result = model.predict(x_test[:5], verbose=0)
print("Predicted digits:", result.argmax(axis=1), "true:", y_test[:5].argmax(axis=1))
