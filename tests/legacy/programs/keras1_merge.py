"""Keras 1's `Merge` layer: two Sequential branches (the Pokémon features split in halves) merged by concatenation
inside a Sequential, which then takes one array per branch.

Run: cornu run keras1_merge.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.layers import Merge
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)
my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_left = my_data[:, 0:100].astype("float32")
X_right = my_data[:, 100:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)

left_branch = Sequential()
left_branch.add(Dense(32, input_dim=100))
right_branch = Sequential()
right_branch.add(Dense(32, input_dim=100))

merged = Merge([left_branch, right_branch], mode="concat")

final_model = Sequential()
final_model.add(merged)
final_model.add(Activation("relu"))
final_model.add(Dense(5, activation="softmax"))
final_model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
history = final_model.fit([X_left, X_right], Y_train, batch_size=16, nb_epoch=5, verbose=0, validation_split=0.1)
print("Training loss:", history.history["loss"][-1])
print("Training accuracy:", history.history["acc"][-1])
print("Validation accuracy:", history.history["val_acc"][-1])
print("Merged width:", final_model.layers[0].compute_output_shape([(None, 100), (None, 100)])[-1])
