"""Pokémon exercise 08_dropout.py: Dropout(0.4) after each hidden layer (and Keras 1's `Dropout(p=0.4)`).

Run: cornu run pokemon_08_dropout.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.layers.core import Activation, Dense, Dropout
from keras.models import Sequential
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)
my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)

model = Sequential()
# 加入第一層 hidden layer 與 dropout=0.4
model.add(Dense(128, input_dim=200))
model.add(Activation("relu"))
model.add(Dropout(0.4))
# 加入第二層 hidden layer 與 dropout=0.4 (Keras 1 spelling)
model.add(Dense(256))
model.add(Activation("relu"))
model.add(Dropout(p=0.4))
# 加入 output layer (5 neurons)
model.add(Dense(5))
model.add(Activation("softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(X_train, Y_train, batch_size=16, verbose=0, nb_epoch=10, shuffle=True, validation_split=0.1)

print("Dropout rates:", model.layers[2].rate + model.layers[5].rate)
print("Training loss with dropout (fit):", history.history["loss"][-1])
print("Training loss without dropout (evaluate):", model.evaluate(X_train[:270], Y_train[:270], verbose=0)[0])
print("Validation accuracy:", history.history["val_acc"][-1])
