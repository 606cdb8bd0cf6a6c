"""The seeds' "Hello world" of deep learning, as Keras 1 wrote it (MNIST, 500-500-10 sigmoid network).

Run: cornu run hello_world_keras1.py [mnist.npz] [epochs]
"""

import sys

import numpy as np
from keras.datasets import mnist
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)  # for reproducibility (numpy, and cornu's torch weights)

path = sys.argv[1] if len(sys.argv) > 1 else "mnist.npz"
nb_epoch = int(sys.argv[2]) if len(sys.argv) > 2 else 20  # the seeds train 20 epochs
(x_train, y_train), (x_test, y_test) = mnist.load_data(path)
x_train = x_train[:2000].reshape(2000, 28 * 28).astype("float32") / 255
x_test = x_test[:500].reshape(500, 28 * 28).astype("float32") / 255
y_train = np_utils.to_categorical(y_train[:2000], 10)
y_test = np_utils.to_categorical(y_test[:500], 10)

model = Sequential()
model.add(Dense(input_dim=28 * 28, output_dim=500))
model.add(Activation("sigmoid"))
model.add(Dense(output_dim=500))
model.add(Activation("sigmoid"))
model.add(Dense(output_dim=10))
model.add(Activation("softmax"))

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=100, nb_epoch=nb_epoch, verbose=0)

score = model.evaluate(x_test, y_test, verbose=0)
print("Total loss on Testing Set:", score[0])
print("Accuracy of Testing Set:", score[1])
result = model.predict(x_test, verbose=0)
print("Predicted digits agree with the accuracy:", np.mean(result.argmax(1) == y_test.argmax(1)))
