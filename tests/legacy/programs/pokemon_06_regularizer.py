"""Pokémon exercise 06_regularizer.py: L2 weight penalties of 0.01 and 0.001 (Keras 2's `kernel_regularizer`,
Keras 1's `W_regularizer`), an L1 penalty, Keras 1's `l1l2`, and no penalty.

Run: cornu run pokemon_06_regularizer.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras import backend as K
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.regularizers import l1, l1l2, l2
from keras.utils import np_utils, set_random_seed

my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)


def dense(units, penalty, **kwargs):
    if penalty == "l2=0.01":
        return Dense(units, kernel_regularizer=l2(0.01), **kwargs)  # Keras 2
    if penalty == "l2=0.001":
        return Dense(units, W_regularizer=l2(0.001), **kwargs)  # Keras 1
    if penalty == "l1=0.001":
        return Dense(units, kernel_regularizer=l1(0.001), **kwargs)
    if penalty == "l1l2":
        return Dense(units, W_regularizer=l1l2(l1=0.0001, l2=0.0001), **kwargs)
    return Dense(units, **kwargs)


for penalty in ("l2=0.01", "l2=0.001", "l1=0.001", "l1l2", "none"):
    set_random_seed(1337)
    model_l2 = Sequential()
    # 加入第一層 hidden layer 並加入 regularizer
    model_l2.add(dense(128, penalty, input_dim=200))
    model_l2.add(Activation("softplus"))
    model_l2.add(dense(256, penalty))
    model_l2.add(Activation("softplus"))
    model_l2.add(dense(5, penalty))
    model_l2.add(Activation("softmax"))
    model_l2.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model_l2.fit(X_train, Y_train, batch_size=16, verbose=0, nb_epoch=10, validation_split=0.1)
    kernels = [w for layer in model_l2.layers if hasattr(layer, "kernel") for w in layer.get_weights()[:1]]
    print(f"{penalty} sum of squared kernels:", sum(float(np.sum(k**2)) for k in kernels))
    print(f"{penalty} sum of absolute kernels:", sum(float(np.sum(np.abs(k))) for k in kernels))
    print(f"{penalty} training accuracy:", history.history["acc"][-1])
    print(f"{penalty} penalty in the loss:", sum(K.get_value(loss) for loss in model_l2.losses))
