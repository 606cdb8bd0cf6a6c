"""Pokémon exercise 07_earlyStopping.py: stop when val_loss has not improved by 0.0001 for 3 epochs.

Run: cornu run pokemon_07_early_stopping.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.callbacks import EarlyStopping
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)
my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)

model = Sequential()
model.add(Dense(128, input_dim=200))
model.add(Activation("relu"))
model.add(Dense(256))
model.add(Activation("relu"))
model.add(Dense(5))
model.add(Activation("softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

""" EarlyStopping """
earlyStopping = EarlyStopping(monitor="val_loss", min_delta=0.0001, patience=3)
# 指定 batch_size, nb_epoch, validation 後，開始訓練模型!!!
history = model.fit(
    X_train, Y_train, batch_size=16, verbose=0, epochs=30, shuffle=True, validation_split=0.1, callbacks=[earlyStopping]
)
for epoch, value in enumerate(history.history["val_loss"]):
    print(f"val_loss of epoch {epoch + 1}:", value)
print("Epochs run:", len(history.history["loss"]))
print("Stopped epoch:", earlyStopping.stopped_epoch)
