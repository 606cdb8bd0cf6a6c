"""Pokémon exercise 03_activationFuncSelection.py: sigmoid versus ReLU (and Keras 1's LeakyReLU(alpha=...)).

Run: cornu run pokemon_03_activation.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.layers.advanced_activations import LeakyReLU
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.optimizers import SGD
from keras.utils import np_utils, set_random_seed

my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)


def hidden(name):
    return LeakyReLU(alpha=0.02) if name == "leaky_relu" else Activation(name)


for name in ("sigmoid", "relu", "leaky_relu"):
    set_random_seed(1337)
    model = Sequential()
    model.add(Dense(128, input_dim=200))
    model.add(hidden(name))
    model.add(Dense(256))
    model.add(hidden(name))
    model.add(Dense(5))
    model.add(Activation("softmax"))
    sgd = SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    history = model.fit(X_train, Y_train, batch_size=16, verbose=0, nb_epoch=30, shuffle=True, validation_split=0.1)
    print(f"{name} training accuracy:", history.history["acc"][-1])
    print(f"{name} validation accuracy:", history.history["val_acc"][-1])
print("LeakyReLU slope:", model.layers[1].negative_slope)
