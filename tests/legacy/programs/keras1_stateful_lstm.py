"""Keras 1's `examples/stateful_lstm.py` idea, small: two stacked stateful LSTMs learn the next value of a damped
cosine one step at a time, with `batch_input_shape`, `nb_epoch=1` in a loop and `model.reset_states()` between
passes.

Run: cornu run keras1_stateful_lstm.py [epochs]
"""

import sys

import numpy as np
from keras.layers.core import Dense
from keras.layers.recurrent import LSTM
from keras.models import Sequential
from keras.utils import set_random_seed

set_random_seed(1337)
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 8
tsteps, batch_size, lahead = 1, 25, 1


def gen_cosine_amp(amp=100, period=25, x0=0, xn=1000, step=1, k=0.0001):
    """A cosine of decreasing amplitude, as an array of shape (xn, tsteps, 1)."""
    cos = np.zeros(((xn - x0) * step, 1, 1), "float32")
    for i in range(len(cos)):
        idx = x0 + i * step
        cos[i, 0, 0] = amp * np.cos(idx / (2 * np.pi * period)) * np.exp(-k * idx)
    return cos / amp


cos = gen_cosine_amp()
expected_output = np.zeros((len(cos), 1), "float32")
for i in range(len(cos) - lahead):
    expected_output[i, 0] = np.mean(cos[i + 1 : i + lahead + 1])

model = Sequential()
model.add(LSTM(16, batch_input_shape=(batch_size, tsteps, 1), return_sequences=True, stateful=True))
# (Keras 1's example repeated batch_input_shape here; a later layer's input shape comes from the layer before)
model.add(LSTM(16, return_sequences=False, stateful=True))
model.add(Dense(1))
model.compile(loss="mse", optimizer="rmsprop")

losses = []
for _ in range(epochs):
    history = model.fit(cos, expected_output, batch_size=batch_size, verbose=0, nb_epoch=1, shuffle=False)
    losses.append(history.history["loss"][-1])
    model.reset_states()
predicted_output = model.predict(cos, batch_size=batch_size, verbose=0)
print("First pass loss:", losses[0])
print("Last pass loss:", losses[-1])
print("Prediction error:", float(np.mean((predicted_output - expected_output) ** 2)))
carried = model.predict(cos[:25], batch_size=batch_size, verbose=0)  # starts from the state the last batch left
print("Prediction from the carried state differs by:", float(np.abs(carried - predicted_output[:25]).max()))
model.reset_states()
print(
    "Same prediction after reset_states:",
    float(np.abs(model.predict(cos, batch_size=batch_size, verbose=0) - predicted_output).max()),
)
