import numpy as np

import cornu
from cornu.layers import LSTM, Dense, Input


def test_model_reset_states_restarts_every_stateful_layer():
    model = cornu.Sequential([Input(batch_shape=(2, 3, 1)), LSTM(4, stateful=True), Dense(1)])
    x = np.random.default_rng(0).normal(size=(2, 3, 1)).astype("float32")
    fresh = model.predict(x, verbose=0)
    carried = model.predict(x, verbose=0)  # the second call starts from the states the first one left
    assert np.abs(carried - fresh).max() > 1e-6
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), fresh, rtol=1e-6)
