"""The seeds' Fit_Generator slide: batches read by a Python generator, trained with `fit_generator`, then
`evaluate_generator` and `predict_generator` (Keras 2).

Run: cornu run fit_generator_keras2.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)
path = sys.argv[1]


def train_generator(batch_size, rows=slice(0, 240)):
    while 1:
        data = np.genfromtxt(path, delimiter=",", skip_header=1)[rows]
        for i in range(0, int(np.floor(len(data) / batch_size))):
            x = data[i * batch_size : (i + 1) * batch_size, :200]
            y = data[i * batch_size : (i + 1) * batch_size, 200]
            yield x, np_utils.to_categorical(y, 5)


model = Sequential()
model.add(Dense(128, input_dim=200))
model.add(Activation("relu"))
model.add(Dense(5))
model.add(Activation("softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit_generator(
    train_generator(24),
    epochs=8,
    steps_per_epoch=10,
    validation_data=train_generator(20, slice(240, 300)),
    validation_steps=3,
)  # or validation_data=(x, y)
print("Epochs:", len(history.history["loss"]))
print("Updates:", int(model.optimizer.iterations))
print("Training accuracy:", history.history["acc"][-1])
print("Validation accuracy:", history.history["val_acc"][-1])
loss, accuracy = model.evaluate_generator(train_generator(20, slice(240, 300)), steps=3)
print("evaluate_generator accuracy:", accuracy)
predictions = model.predict_generator(train_generator(20, slice(240, 300)), steps=3)
print("predict_generator rows:", len(predictions))
