"""A Keras 1 convolutional network on MNIST, in the style of Keras 1's `examples/mnist_cnn.py`:
`Convolution2D(nb_filter, nb_row, nb_col, border_mode='same')`, `MaxPooling2D`, `Flatten`, `nb_epoch`.

Run: cornu run keras1_cnn.py [mnist.npz] [epochs]
"""

import sys

from keras import backend as K
from keras.datasets import mnist
from keras.layers import Convolution2D, MaxPooling2D
from keras.layers.core import Activation, Dense, Dropout, Flatten
from keras.models import Sequential
from keras.optimizers import Adadelta
from keras.utils import np_utils, set_random_seed

set_random_seed(1337)  # for reproducibility

batch_size, nb_classes = 64, 10
nb_epoch = int(sys.argv[2]) if len(sys.argv) > 2 else 2
img_rows, img_cols = 28, 28
nb_filters, nb_pool, nb_conv = 8, 2, 3

(X_train, y_train), (X_test, y_test) = mnist.load_data(sys.argv[1] if len(sys.argv) > 1 else "mnist.npz")
if K.image_dim_ordering() == "th":
    input_shape = (1, img_rows, img_cols)
else:
    input_shape = (img_rows, img_cols, 1)
X_train = X_train[:1000].reshape((1000,) + input_shape).astype("float32") / 255
X_test = X_test[:300].reshape((300,) + input_shape).astype("float32") / 255
Y_train = np_utils.to_categorical(y_train[:1000], nb_classes)
Y_test = np_utils.to_categorical(y_test[:300], nb_classes)

model = Sequential()
model.add(Convolution2D(nb_filters, nb_conv, nb_conv, border_mode="same", input_shape=input_shape, init="he_normal"))
model.add(Activation("relu"))
model.add(MaxPooling2D(pool_size=(nb_pool, nb_pool)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(output_dim=32))
model.add(Activation("relu"))
model.add(Dense(nb_classes))
model.add(Activation("softmax"))

# Keras 1/2's Adadelta() defaulted to lr=1.0; Keras 3's (and so cornu's) 'adadelta' defaults to 0.001.
model.compile(loss="categorical_crossentropy", optimizer=Adadelta(lr=1.0), metrics=["accuracy"])
model.fit(X_train, Y_train, batch_size=batch_size, nb_epoch=nb_epoch, verbose=0, validation_data=(X_test, Y_test))
score = model.evaluate(X_test, Y_test, verbose=0)
print("Conv output shape:", model.layers[0].output_shape[1] * model.layers[0].output_shape[3])
print("Test score:", score[0])
print("Test accuracy:", score[1])
