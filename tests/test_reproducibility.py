"""`cornu.utils.set_random_seed(n)` makes a whole training run repeat bit for bit: initial weights, the shuffle
order of every epoch and every Dropout mask."""

import numpy as np

import cornu
from cornu.layers import Dense, Dropout


def _run(seed, shuffle=True):
    cornu.utils.set_random_seed(seed)
    model = cornu.Sequential(
        [Dense(16, activation="relu", input_shape=(8,)), Dropout(0.5), Dense(3, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)  # the data stay fixed; only the seed varies
    x, y = rng.normal(size=(60, 8)).astype("float32"), rng.integers(0, 3, 60)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=shuffle, validation_split=0.25, verbose=0)
    return model.get_weights(), history.history


def test_same_seed_same_weights_and_history_bit_for_bit():
    weights_a, history_a = _run(7)
    weights_b, history_b = _run(7)
    assert history_a == history_b  # exact float equality of every logged value
    for a, b in zip(weights_a, weights_b, strict=True):
        np.testing.assert_array_equal(a, b)


def test_another_seed_gives_another_run():
    # Guards the test above: seeds must matter, or "identical" would prove nothing.
    weights_a, history_a = _run(7)
    weights_b, history_b = _run(8)
    assert history_a["loss"] != history_b["loss"]
    assert not np.array_equal(weights_a[0], weights_b[0])


def test_dropout_and_shuffle_draw_from_the_seeded_generator():
    # Same seed, same initial weights: only the shuffle and dropout masks can make shuffle=True differ from False.
    weights_shuffled, _ = _run(3, shuffle=True)
    weights_ordered, _ = _run(3, shuffle=False)
    assert not np.array_equal(weights_shuffled[-1], weights_ordered[-1])
    np.testing.assert_array_equal(_run(3, shuffle=False)[0][-1], weights_ordered[-1])
