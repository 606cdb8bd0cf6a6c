"""Data augmentation as Keras 2 tutorials wrote it (2017-2019): `ImageDataGenerator(...)`, `datagen.fit(X)`,
`model.fit_generator(datagen.flow(X, Y, batch_size=32), steps_per_epoch=len(X) / 32, ...)` on MNIST.

Run: cornu run keras2_image_augmentation.py [mnist.npz] [epochs]
"""

import sys

import numpy as np
from keras.datasets import mnist
from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras.models import Sequential
from keras.preprocessing.image import ImageDataGenerator
from keras.utils import set_random_seed, to_categorical

set_random_seed(1337)
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
(X_train, y_train), (X_test, y_test) = mnist.load_data(sys.argv[1] if len(sys.argv) > 1 else "mnist.npz")
X_train = X_train[:1024].reshape(-1, 28, 28, 1).astype("float32") / 255
X_test = X_test[:300].reshape(-1, 28, 28, 1).astype("float32") / 255
Y_train, Y_test = to_categorical(y_train[:1024], 10), to_categorical(y_test[:300], 10)

datagen = ImageDataGenerator(
    featurewise_center=True, featurewise_std_normalization=True, rotation_range=10, width_shift_range=0.1
)
datagen.fit(X_train)

model = Sequential()
model.add(Conv2D(8, (3, 3), activation="relu", input_shape=(28, 28, 1)))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(10, activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit_generator(
    datagen.flow(X_train, Y_train, batch_size=32), steps_per_epoch=len(X_train) / 32, epochs=epochs, verbose=0
)
print("Updates:", int(model.optimizer.iterations))
print("Feature mean:", float(np.mean(datagen.mean)))
score = model.evaluate_generator(datagen.flow(X_test, Y_test, batch_size=30, shuffle=False), steps=10)
print("Test accuracy:", score[1])
