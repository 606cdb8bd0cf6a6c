"""Pokémon exercise 02_learningRateSelection.py: SGD at learning rates 0.1, 0.01 and 0.001.

Run: cornu run pokemon_02_learning_rate.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras import backend as K
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.optimizers import SGD
from keras.utils import np_utils, set_random_seed

my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
Y_train = np_utils.to_categorical(my_data[:, 200].astype("int"), 5)

for lr in (0.1, 0.01, 0.001):
    set_random_seed(1337)
    model = Sequential()
    model.add(Dense(128, input_dim=200))
    model.add(Activation("sigmoid"))
    model.add(Dense(256))
    model.add(Activation("sigmoid"))
    model.add(Dense(5))
    model.add(Activation("softmax"))
    # 指定 optimizier: 一次降一個數量級
    sgd = SGD(lr=lr, momentum=0.0, decay=0.0, nesterov=False)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    history = model.fit(X_train, Y_train, batch_size=16, verbose=0, nb_epoch=30, shuffle=True, validation_split=0.1)
    print(f"lr={lr} training accuracy:", history.history["acc"][-1])
    print(f"lr={lr} learning rate used:", K.get_value(model.optimizer.lr))
