"""Sentiment classification as the Keras 2 tutorials (2017-2019) wrote it: `Tokenizer`, `texts_to_sequences`,
`pad_sequences`, `Embedding(..., input_length=maxlen)`, `LSTM(dropout=..., recurrent_dropout=...)`, on generated
one-line reviews.

Run: cornu run keras2_text_classification.py [epochs]
"""

import sys

import numpy as np
from keras.layers import LSTM, Dense, Embedding
from keras.models import Sequential
from keras.preprocessing.sequence import pad_sequences
from keras.preprocessing.text import Tokenizer
from keras.utils import set_random_seed

set_random_seed(1337)
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 6
rng = np.random.RandomState(0)
good = ["great", "wonderful", "loved", "excellent", "fun", "moving"]
bad = ["awful", "boring", "hated", "terrible", "dull", "slow"]
filler = ["the", "movie", "was", "really", "a", "plot", "and", "acting", "this", "film"]


def review(positive):
    words = list(rng.choice(filler, 5)) + list(rng.choice(good if positive else bad, 2))
    rng.shuffle(words)
    return " ".join(words) + "!"


labels = rng.randint(0, 2, 400)
texts = [review(label) for label in labels]

max_features, maxlen = 50, 12
tokenizer = Tokenizer(num_words=max_features)
tokenizer.fit_on_texts(texts)
sequences = tokenizer.texts_to_sequences(texts)
X = pad_sequences(sequences, maxlen=maxlen)
x_train, y_train, x_test, y_test = X[:300], labels[:300], X[300:], labels[300:]

model = Sequential()
model.add(Embedding(max_features, 16, input_length=maxlen))
model.add(LSTM(16, dropout=0.2, recurrent_dropout=0.2))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_data=(x_test, y_test), verbose=0)
score, acc = model.evaluate(x_test, y_test, batch_size=32, verbose=0)
print("Vocabulary size:", len(tokenizer.word_index))
print("Padded length:", X.shape[1])
print("Test score:", score)
print("Test accuracy:", acc)
new = pad_sequences(tokenizer.texts_to_sequences(["the movie was great and fun", "boring and awful film"]), maxlen)
print("Positive review score:", float(model.predict(new, verbose=0)[0, 0]))
print("Negative review score:", float(model.predict(new, verbose=0)[1, 0]))
