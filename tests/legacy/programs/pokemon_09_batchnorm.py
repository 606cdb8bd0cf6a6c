"""Pokémon exercise 09_batchnorm.py: BatchNormalization before each activation (Keras 1's `mode=0` too).

Run: cornu run pokemon_09_batchnorm.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.layers import BatchNormalization
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)
my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)

model = Sequential()
model.add(Dense(128, input_dim=200))
model.add(BatchNormalization())
model.add(Activation("relu"))
model.add(Dense(256))
model.add(BatchNormalization(mode=0))
model.add(Activation("relu"))
# 加入 output layer (5 neurons)
model.add(Dense(5))
model.add(Activation("softmax"))
# 觀察 model summary
model.summary()
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(X_train, Y_train, batch_size=16, verbose=0, nb_epoch=10, shuffle=True, validation_split=0.1)

print("Parameters:", model.count_params())
print("Non-trainable parameters:", sum(int(np.prod(w.shape)) for w in model.non_trainable_weights))
print("Moving mean magnitude:", float(np.abs(model.layers[1].get_weights()[2]).sum()))
print("Training accuracy:", history.history["acc"][-1])
print("Validation accuracy:", history.history["val_acc"][-1])
