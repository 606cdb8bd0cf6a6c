"""Pokémon exercise 04_optimizerSelection.py: SGD, Adam, RMSprop and Adagrad as Keras 2 spelled them.

Run: cornu run pokemon_04_optimizers.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras import optimizers
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.optimizers import SGD, Adagrad, Adam, RMSprop
from keras.utils import np_utils, set_random_seed

my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)

choices = {
    "SGD": SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False),
    "SGD with decay": SGD(lr=0.05, momentum=0.9, decay=0.01, nesterov=True),
    "Adam": Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08, decay=0.0),
    "RMSprop": optimizers.RMSprop(lr=0.001, rho=0.9, epsilon=1e-08, decay=0.0),
    "Adagrad": Adagrad(lr=0.01),
}
for name, optimizer in choices.items():
    set_random_seed(1337)  # every optimizer starts from the same weights
    model = Sequential()
    model.add(Dense(128, input_dim=200))
    model.add(Activation("relu"))
    model.add(Dense(256))
    model.add(Activation("relu"))
    model.add(Dense(5))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    history = model.fit(X_train, Y_train, batch_size=16, verbose=0, nb_epoch=10, shuffle=True, validation_split=0.1)
    print(f"{name} training loss:", history.history["loss"][-1])
    print(f"{name} training accuracy:", history.history["acc"][-1])
print("RMSprop is", type(RMSprop(lr=0.1)).__name__)
