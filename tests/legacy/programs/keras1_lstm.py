"""A Keras 1 LSTM that learns the cosine function from its previous values (the seeds' "Recurrent networks,
cosine function"): `LSTM(output_dim=..., inner_activation=..., consume_less=...)`, `nb_epoch`.

Run: cornu run keras1_lstm.py [epochs]
"""

import sys

import numpy as np
from keras.layers.core import Dense
from keras.layers.recurrent import LSTM
from keras.models import Sequential
from keras.optimizers import RMSprop
from keras.utils import set_random_seed

set_random_seed(1337)
nb_epoch = int(sys.argv[1]) if len(sys.argv) > 1 else 20
window = 10

cosine = np.cos(np.arange(0, 60, 0.1)).astype("float32")
X = np.array([cosine[i : i + window] for i in range(len(cosine) - window)])[:, :, None]
y = cosine[window:, None]
X_train, y_train, X_test, y_test = X[:400], y[:400], X[400:], y[400:]

model = Sequential()
model.add(LSTM(output_dim=16, input_shape=(window, 1), inner_activation="hard_sigmoid", consume_less="cpu"))
model.add(Dense(output_dim=1))
model.compile(loss="mse", optimizer=RMSprop(lr=0.01))
history = model.fit(X_train, y_train, batch_size=32, nb_epoch=nb_epoch, verbose=0, shuffle=False)
print("First epoch loss:", history.history["loss"][0])
print("Training loss:", history.history["loss"][-1])
print("Test loss:", model.evaluate(X_test, y_test, verbose=0))
print("Predicted next value:", float(model.predict(X_test[:1], verbose=0)[0, 0]))
print("True next value:", float(y_test[0, 0]))
