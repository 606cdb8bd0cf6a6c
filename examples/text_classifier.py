"""Text classification with a small Transformer block (and a bidirectional LSTM beside it), on generated reviews.

    python examples/text_classifier.py [--epochs 5] [--samples 1200]

Each review is a run of neutral words with a few sentiment words mixed in; its label is 1 when it holds more
positive than negative words. Strings are turned into token indices once, at the data edge, by a
`TextVectorization` layer adapted on the training texts; the models start at the `Embedding`:

    vectorizer.adapt(train_texts)
    model.fit(vectorizer(train_texts), y_train)

With the defaults the Transformer reaches 1.00 test accuracy and the LSTM about 0.99 (chance is about 0.5), in
about a minute of CPU time.
"""

import argparse

import numpy as np

import cornu
from cornu import layers
from cornu.models import Model, Sequential

POSITIVE = ["good", "great", "excellent", "lovely", "superb"]
NEGATIVE = ["bad", "awful", "poor", "boring", "terrible"]
NEUTRAL = [f"word{i}" for i in range(60)]


def make_reviews(n, rng, length=20):
    """`n` reviews of `length` words; the label says whether positive words outnumber negative ones."""
    texts, labels = [], []
    for _ in range(n):
        n_pos, n_neg = rng.integers(0, 4, size=2)
        while n_pos == n_neg:
            n_pos, n_neg = rng.integers(0, 4, size=2)
        words = list(rng.choice(NEUTRAL, size=length - n_pos - n_neg))
        words += list(rng.choice(POSITIVE, size=n_pos)) + list(rng.choice(NEGATIVE, size=n_neg))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ("!" if n_pos > n_neg else "."))
        labels.append(int(n_pos > n_neg))
    return texts, np.array(labels, dtype="float32")


def transformer_classifier(vocab_size, length, dim=32):
    """Embedding -> one Transformer encoder block (self-attention, feed-forward, residuals) -> mean -> sigmoid."""
    tokens = layers.Input((length,), dtype="int64")
    x = layers.Embedding(vocab_size, dim)(tokens)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=16, dropout=0.1)(x, x)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attended]))
    feed_forward = layers.Dense(dim)(layers.Dense(64, activation="relu")(x))
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, feed_forward]))
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(layers.Dropout(0.1)(x))
    return Model(tokens, outputs)


def lstm_classifier(vocab_size, length, dim=32):
    return Sequential(
        [
            layers.Input((length,), dtype="int64"),
            layers.Embedding(vocab_size, dim),
            layers.Bidirectional(layers.LSTM(16)),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1200)
    args = parser.parse_args()

    cornu.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    train_texts, y_train = make_reviews(args.samples, rng)
    test_texts, y_test = make_reviews(args.samples // 4, rng)

    length = 20
    vectorizer = layers.TextVectorization(max_tokens=100, output_sequence_length=length)
    vectorizer.adapt(train_texts)  # lower-cases, strips punctuation, splits on whitespace, counts the words
    x_train, x_test = vectorizer(train_texts), vectorizer(test_texts)
    vocab_size = vectorizer.vocabulary_size()

    for name, model in [
        ("Transformer block", transformer_classifier(vocab_size, length)),
        ("Bidirectional LSTM", lstm_classifier(vocab_size, length)),
    ]:
        model.compile(optimizer=cornu.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1, verbose=0)
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
        print(f"{name}: test accuracy {accuracy:.4f} (loss {loss:.4f})")


if __name__ == "__main__":
    main()
