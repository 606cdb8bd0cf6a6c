"""Seed 004: which Pokémon was sighted? 200 features, 5 species; Sequential, then the same model functionally.

    python examples/pokemon.py --data ../shared/datasets/pkgo_city66_class5_v1.csv

The data is the hands-on course's CSV (columns 0..199 features, column 200 the species 0..4).
"""

import argparse

import numpy as np

import cornu
from cornu.layers import Activation, Dense, Input
from cornu.models import Model, Sequential
from cornu.optimizers import SGD

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="../shared/datasets/pkgo_city66_class5_v1.csv")
parser.add_argument("--epochs", type=int, default=30)
args = parser.parse_args()

cornu.utils.set_random_seed(0)
data = np.genfromtxt(args.data, delimiter=",", skip_header=1)
X_train, Y_train = data[:, 0:200], cornu.utils.to_categorical(data[:, 200], 5)

# Sequential, as the course first writes it.
model = Sequential()
model.add(Dense(128, input_dim=200))
model.add(Activation("sigmoid"))
model.add(Dense(256))
model.add(Activation("sigmoid"))
model.add(Dense(5, activation="softmax", name="output"))
model.summary()  # Total params: 60,037

for optimizer in (SGD(learning_rate=0.01, momentum=0.0, nesterov=False), "adam"):
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    history = model.fit(
        X_train, Y_train, batch_size=16, verbose=0, epochs=args.epochs, shuffle=True, validation_split=0.1
    )
    name = optimizer if isinstance(optimizer, str) else type(optimizer).__name__
    print(
        f"{name}: final val_accuracy {history.history['val_accuracy'][-1]:.4f}, "
        f"val_loss {history.history['val_loss'][-1]:.4f}"
    )

# The Functional API: the same network, written as function calls on tensors.
inputs = Input(shape=(200,))
x = Dense(128, activation="sigmoid")(inputs)
x = Dense(256, activation="sigmoid")(x)
outputs = Dense(5, activation="softmax")(x)
functional = Model(inputs=[inputs], outputs=[outputs])
functional.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = functional.fit(X_train, Y_train, batch_size=16, verbose=0, epochs=args.epochs, validation_split=0.1)
print(f"functional adam: final val_accuracy {history.history['val_accuracy'][-1]:.4f}")
