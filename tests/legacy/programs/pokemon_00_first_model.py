"""Pokémon exercise 00_firstModel.py (the seeds' hands-on tutorial): a sigmoid network trained with plain SGD.

Run: cornu run pokemon_00_first_model.py pkgo_city66_class5_v1.csv
"""

import sys

import numpy as np
from keras.layers.core import Activation, Dense
from keras.models import Sequential
from keras.optimizers import SGD
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)  # for reproducibility

# 讀進檔案，以 , (逗號)分隔的 csv 檔，不包含第一行的欄位定義
my_data = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
X_train = my_data[:, 0:200].astype("float32")
y_train = my_data[:, 200].astype("int")
Y_train = np_utils.to_categorical(y_train, 5)

# 宣告這是一個 Sequential 次序性的深度學習模型
model = Sequential()
model.add(Dense(128, input_dim=200))
model.add(Activation("sigmoid"))
model.add(Dense(256))
model.add(Activation("sigmoid"))
model.add(Dense(5))
model.add(Activation("softmax"))
model.summary()

sgd = SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False)
model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
history = model.fit(X_train, Y_train, batch_size=16, verbose=0, nb_epoch=30, shuffle=True, validation_split=0.1)

print("Parameters:", model.count_params())
print("Training loss:", history.history["loss"][-1])
print("Training accuracy:", history.history["acc"][-1])
print("Validation accuracy:", history.history["val_acc"][-1])
