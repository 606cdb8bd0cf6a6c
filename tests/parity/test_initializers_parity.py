"""cornu.initializers against the real Keras 3: exact values for the deterministic initializers; for the random
ones the same fans, limits, means and spreads (not the same numbers, see below); configs and names."""

import math

import numpy as np
import pytest
import torch

from cornu import initializers

keras = pytest.importorskip("keras")
from keras.src.initializers import ALL_OBJECTS_DICT as KERAS_TABLE  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans  # noqa: E402

SHAPE = (3, 3, 32, 64)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        ("Zeros", {}, (3, 4)),
        ("Ones", {}, (2, 3, 4)),
        ("Constant", {"value": 2.5}, (3, 4)),
        ("Constant", {"value": -1}, (5,)),
        ("Identity", {}, (4, 4)),
        ("Identity", {"gain": 3.0}, (3, 5)),
    ],
)
def test_deterministic_initializers_equal_keras_exactly(name, kwargs, shape):
    expected = _numpy(getattr(keras.initializers, name)(**kwargs)(shape, dtype="float32"))
    ours = getattr(initializers, name)(**kwargs)(shape, dtype="float32").numpy()
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize(
    "shape, axes",
    [((), {}), ((7,), {}), ((3, 4), {}), ((5, 16, 32), {}), (SHAPE, {}), ((2, 3, 3, 4, 8), {})]
    + [((4, 5, 6), {"input_axes": (0, 1), "output_axes": (2,)})],
)
def test_fans_equal_keras(shape, axes):
    assert initializers.compute_fans(shape, **axes) == keras_compute_fans(shape, **axes)


RANDOM = [
    ("RandomNormal", {"mean": 0.5, "stddev": 0.2}),
    ("RandomUniform", {"minval": -0.3, "maxval": 0.7}),
    ("TruncatedNormal", {"mean": 0.5, "stddev": 0.2}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"}),
    ("VarianceScaling", {}),
    ("GlorotUniform", {}),
    ("GlorotNormal", {}),
    ("HeUniform", {}),
    ("HeNormal", {}),
    ("LecunUniform", {}),
    ("LecunNormal", {}),
]


@pytest.mark.parametrize("name, kwargs", RANDOM)
def test_random_initializers_match_keras_statistics(name, kwargs):
    """Keras's random numbers cannot be reproduced: it seeds its own generators (a per-call seed pair drawn from
    Python's `random`), and its truncated normal takes the first of four normal draws inside two standard
    deviations, while cornu uses torch's generator and inverse-CDF truncated normal. The distributions are the
    same, so the means, spreads and extreme values of a large draw agree."""
    theirs = _numpy(getattr(keras.initializers, name)(**kwargs, seed=1)(SHAPE)).astype("float64")
    ours = getattr(initializers, name)(**kwargs, seed=1)(SHAPE).numpy().astype("float64")
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    spread = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.03 * spread
    assert ours.std() == pytest.approx(spread, rel=0.02)
    if "untruncated" in str(kwargs) or name == "RandomNormal":
        return
    # Bounded distributions: the same support (uniform limits or the two-stddev truncation).
    assert ours.min() >= theirs.min() - 0.01 * spread and ours.max() <= theirs.max() + 0.01 * spread
    assert ours.min() <= theirs.min() + 0.05 * spread and ours.max() >= theirs.max() - 0.05 * spread


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (3, 3, 4, 8)])
def test_orthogonal_matches_keras_structure(shape):
    theirs = _numpy(keras.initializers.Orthogonal(gain=2.0, seed=1)(shape)).reshape(-1, shape[-1])
    ours = initializers.Orthogonal(gain=2.0, seed=1)(shape).numpy().reshape(-1, shape[-1])
    rows, cols = ours.shape
    gram = (lambda m: m @ m.T) if rows < cols else (lambda m: m.T @ m)
    np.testing.assert_allclose(gram(ours), gram(theirs), atol=1e-5)
    np.testing.assert_allclose(gram(ours), 4.0 * np.eye(min(rows, cols)), atol=1e-5)


def test_seeded_instances_repeat_like_keras():
    keras_init, ours = keras.initializers.HeUniform(seed=5), initializers.HeUniform(seed=5)
    np.testing.assert_array_equal(_numpy(keras_init((3, 3))), _numpy(keras_init((3, 3))))
    np.testing.assert_array_equal(ours((3, 3)).numpy(), ours((3, 3)).numpy())


def test_unseeded_instances_differ_from_keras():
    """Deliberate difference: an unseeded Keras 3 initializer fixes a seed when it is built and repeats its values
    on every call; cornu's draws from torch's global generator, so two calls differ."""
    keras_init, ours = keras.initializers.HeUniform(), initializers.HeUniform()
    np.testing.assert_array_equal(_numpy(keras_init((3, 3))), _numpy(keras_init((3, 3))))
    assert not np.array_equal(ours((3, 3)).numpy(), ours((3, 3)).numpy())


CLASSES = [name for name in initializers._TABLE if name[0].isupper() and not name.endswith("Initializer")]
CLASSES += ["Initializer"] if "Initializer" not in CLASSES else []


@pytest.mark.parametrize("name", sorted(set(CLASSES) - {"Identity"}))
def test_default_config_equals_keras(name):
    assert initializers._TABLE[name]().get_config() == KERAS_TABLE[name]().get_config()


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Constant", {"value": 3.0}),
        ("RandomNormal", {"mean": 1.0, "stddev": 2.0, "seed": 4}),
        ("VarianceScaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "normal", "seed": 4}),
        ("GlorotUniform", {"seed": 4, "input_axes": [0], "output_axes": [1]}),
        ("Orthogonal", {"gain": 0.5, "seed": 2}),
    ],
)
def test_configs_load_both_ways(name, kwargs):
    ours, theirs = getattr(initializers, name)(**kwargs), getattr(keras.initializers, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert initializers.deserialize(keras.initializers.serialize(theirs)).get_config() == theirs.get_config()
    assert keras.initializers.deserialize(initializers.serialize(ours)).get_config() == ours.get_config()
    assert initializers.serialize(ours) == keras.initializers.serialize(theirs)


def test_identity_config_differs_from_keras():
    """Deliberate difference: Keras 3.15 leaves `gain` out of Identity's config; cornu keeps it, and Keras can
    still load cornu's config (gain is a constructor argument)."""
    assert keras.initializers.Identity(gain=2.0).get_config() == {}
    assert initializers.Identity(gain=2.0).get_config() == {"gain": 2.0}
    restored = keras.initializers.deserialize(initializers.serialize(initializers.Identity(gain=2.0)))
    np.testing.assert_array_equal(_numpy(restored((2, 2))), [[2.0, 0.0], [0.0, 2.0]])


@pytest.mark.parametrize("name", sorted(n for n in KERAS_TABLE if "stft" not in n.lower()))
def test_every_keras_name_resolves_to_the_same_class(name):
    # Compared through Keras's name table: keras.initializers.get("constant") itself raises a KeyError (its
    # Constant.from_config needs a value), where cornu gives Constant(0.0), the constructor's default.
    assert type(initializers.get(name)).__name__ == KERAS_TABLE[name].__name__


def test_values_identifier_matches_keras():
    values = np.arange(6.0, dtype="float32").reshape(2, 3)
    theirs = _numpy(keras.initializers.get(values)((2, 3), dtype="float32"))
    np.testing.assert_array_equal(initializers.get(values)((2, 3), dtype="float32").numpy(), theirs)
    assert initializers.get(torch.ones(1)) is not None
    assert math.isclose(float(initializers.get(values)((2, 3))[1, 2]), 5.0)
