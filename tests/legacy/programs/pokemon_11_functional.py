"""The seeds' Functional API slides: the same network as a Sequential, as `Model(inputs=[...], outputs=[...])` and
as Keras 1's `Model(input=..., output=...)`; then two inputs joined with `concatenate`.

Run: cornu run pokemon_11_functional.py pkgo_city66_class5_v1.csv
"""

import sys

import keras
import numpy as np
from keras.layers import Activation, Dense, Input
from keras.models import Model, Sequential
from keras.utils import np_utils, set_random_seed

my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)


def sequential():
    model = Sequential()
    model.add(Dense(128, input_dim=200))
    model.add(Activation("sigmoid"))
    model.add(Dense(256))
    model.add(Activation("sigmoid"))
    model.add(Dense(5))
    model.add(Activation("softmax"))
    return model


def functional(keras_1=False):
    input = Input(shape=(200,))
    x = Dense(128, activation="sigmoid")(input)
    x = Dense(256, activation="sigmoid")(x)
    output = Dense(5, activation="softmax")(x)
    # 定義 Model (function-like)
    return Model(input=input, output=output) if keras_1 else Model(inputs=[input], outputs=[output])


for name, build in (
    ("Sequential", sequential),
    ("Functional", functional),
    ("Keras 1 functional", lambda: functional(True)),
):
    set_random_seed(1337)
    model = build()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(X_train, Y_train, batch_size=16, verbose=0, epochs=5, validation_split=0.1)
    print(f"{name} training loss:", history.history["loss"][-1])
    print(f"{name} validation accuracy:", history.history["val_acc"][-1])

# re-use the same architecture (and weights) of the above model
y1 = model(Input(shape=(200,)))
print("Re-used model output width:", y1.shape[-1])

x1 = Input(shape=(10,))
y1 = Dense(100)(x1)
x2 = Input(shape=(20,))
new_x2 = keras.layers.concatenate([y1, x2])
output = Dense(200)(new_x2)
two_inputs = Model(inputs=[x1, x2], outputs=[output])
print("Two-input model output width:", two_inputs.predict([np.ones((3, 10)), np.ones((3, 20))], verbose=0).shape[1])
print("Two-input model parameters:", two_inputs.count_params())
