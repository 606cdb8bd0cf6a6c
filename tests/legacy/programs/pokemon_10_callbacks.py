"""Pokémon exercise 10_Callback.py: a LossHistory callback, EarlyStopping, a learning-rate schedule and
ModelCheckpoint('model.h5', save_best_only=True), then load_model('model.h5').

Run: cornu run pokemon_10_callbacks.py pkgo_city66_class5_v1.csv
"""

import math
import sys

import numpy as np
from keras import backend as K
from keras.callbacks import Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint
from keras.layers.core import Activation, Dense
from keras.models import Sequential, load_model
from keras.optimizers import SGD
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)
my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)


class LossHistory(Callback):
    def on_train_begin(self, logs={}):  # noqa: B006 - the seed's signature
        self.loss = []
        self.acc = []
        self.val_loss = []
        self.val_acc = []

    def on_batch_end(self, batch, logs={}):  # noqa: B006
        self.loss.append(logs.get("loss"))
        self.acc.append(logs.get("acc"))
        self.val_loss.append(logs.get("val_loss"))
        self.val_acc.append(logs.get("val_acc"))


def step_decay(epoch):
    initial_lrate, drop, epochs_drop = 0.05, 0.5, 4.0
    return initial_lrate * math.pow(drop, math.floor((1 + epoch) / epochs_drop))


loss_history = LossHistory()
lrate = LearningRateScheduler(step_decay)
early_stopping = EarlyStopping(monitor="val_loss", min_delta=0.0001, patience=3)
checkpoint = ModelCheckpoint("model.h5", monitor="val_loss", verbose=1, save_best_only=True, mode="min")

model = Sequential()
model.add(Dense(128, input_dim=200))
model.add(Activation("relu"))
model.add(Dense(256))
model.add(Activation("relu"))
model.add(Dense(5))
model.add(Activation("softmax"))
model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.05, momentum=0.9), metrics=["accuracy"])
history = model.fit(
    X_train,
    Y_train,
    batch_size=16,
    verbose=0,
    epochs=12,
    shuffle=True,
    validation_split=0.1,
    callbacks=[early_stopping, loss_history, lrate, checkpoint],
)

epochs_run = len(history.history["loss"])
print("Epochs run:", epochs_run)
print("Batches recorded:", len(loss_history.loss))
print("Batches expected:", epochs_run * math.ceil(270 / 16))
print("Batch accuracies recorded:", sum(a is not None for a in loss_history.acc))
print("Last learning rate:", K.get_value(model.optimizer.lr))
print("Scheduled learning rate:", step_decay(epochs_run - 1))
print("Best val_loss:", min(history.history["val_loss"]))
model_test = load_model("model.h5")
model_test.summary()
print("Reloaded model's val_loss:", model_test.evaluate(X_train[270:], Y_train[270:], verbose=0)[0])
