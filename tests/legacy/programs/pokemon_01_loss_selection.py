"""Pokémon exercise 01_lossFuncSelection.py: categorical cross-entropy versus mean squared error.

Run: cornu run pokemon_01_loss_selection.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.optimizers import SGD
from keras.utils import np_utils, set_random_seed

my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)


def build():
    set_random_seed(1337)  # both models start from the same weights
    model = Sequential()
    model.add(Dense(128, input_dim=200))
    model.add(Activation("sigmoid"))
    model.add(Dense(256))
    model.add(Activation("sigmoid"))
    model.add(Dense(5))
    model.add(Activation("softmax"))
    return model


for loss in ("categorical_crossentropy", "mean_squared_error"):
    model = build()
    sgd = SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False)
    # 指定 loss function 和 optimizier
    model.compile(loss=loss, optimizer=sgd, metrics=["accuracy"])
    history = model.fit(X_train, Y_train, batch_size=16, verbose=0, nb_epoch=30, shuffle=True, validation_split=0.1)
    print(f"{loss} training loss:", history.history["loss"][-1])
    print(f"{loss} training accuracy:", history.history["acc"][-1])

score = model.evaluate(X_train, Y_train, verbose=0)
print("mean_squared_error evaluated:", score[0])
print("mean_squared_error by hand:", np.mean((Y_train - model.predict(X_train, verbose=0)) ** 2))
