"""clone_model against Keras 3.15: the same layers, shapes and parameter counts; equal outputs once weights match."""

import numpy as np
import pytest

import cornu

keras = pytest.importorskip("keras")


def _build(lib):
    left, right = lib.Input((3,), name="left"), lib.Input((2,), name="right")
    shared = lib.layers.Dense(4, name="shared")
    lifted = lib.layers.Dense(4, name="lift")(left)
    merged = lib.layers.Concatenate(name="cat")([shared(lib.layers.Dense(4, name="proj")(right)), shared(lifted)])
    return lib.Model([left, right], lib.layers.Dense(1, name="out")(merged))


def test_clone_matches_keras_clone():
    ref, ours = keras.models.clone_model(_build(keras)), cornu.models.clone_model(_build(cornu))
    assert [layer.name for layer in ours.layers] == [layer.name for layer in ref.layers]
    assert ours.count_params() == ref.count_params()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    ours.set_weights(ref.get_weights())
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")]
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
