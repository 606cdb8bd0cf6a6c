"""cornu.initializers: exact constants, fans, variance of large draws against Keras's formulas, orthogonality,
seeding, identifiers and configs."""

import math

import numpy as np
import pytest
import torch

from cornu import backend, initializers

CONV_SHAPE = (3, 3, 32, 64)  # receptive field 9: fan_in 288, fan_out 576
TRUNC = 0.87962566103423978


def test_constant_initializers_are_exact():
    assert torch.equal(initializers.Zeros()((2, 3)), torch.zeros(2, 3))
    assert torch.equal(initializers.Ones()((2, 3)), torch.ones(2, 3))
    assert torch.equal(initializers.Constant(2.5)((2, 2)), torch.full((2, 2), 2.5))
    assert initializers.Constant([1.0, 2.0])((2, 2)).tolist() == [[1.0, 2.0], [1.0, 2.0]]
    assert torch.equal(initializers.Identity()((3, 3)), torch.eye(3))
    assert initializers.Identity(gain=3.0)((2, 3)).tolist() == [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0]]


def test_dtype_device_and_default_floatx():
    out = initializers.GlorotUniform()((4, 5))
    assert out.dtype == torch.float32 and out.device.type == "cpu" and not out.requires_grad
    assert initializers.Zeros()((2,), dtype="float64").dtype == torch.float64
    assert initializers.HeNormal(seed=1)((3, 3), dtype="float16").dtype == torch.float16
    assert initializers.Orthogonal(seed=1)((3, 3), dtype="bfloat16").dtype == torch.bfloat16
    assert initializers.Ones()((2,), dtype="int32").dtype == torch.int32
    assert initializers.Zeros()(torch.Size([2, 1])).shape == (2, 1)


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((3, 4), (3, 4)),
        ((5, 16, 32), (80, 160)),  # Conv1D kernel (k, in, out)
        ((3, 3, 16, 32), (144, 288)),  # Conv2D kernel (kh, kw, in, out)
        ((2, 3, 3, 4, 8), (72, 144)),  # Conv3D kernel
    ],
)
def test_compute_fans_uses_the_receptive_field(shape, fans):
    assert initializers.compute_fans(shape) == fans


def test_compute_fans_with_explicit_axes():
    assert initializers.compute_fans((4, 5, 6), input_axes=(0, 1), output_axes=(2,)) == (20, 6)
    init = initializers.VarianceScaling(distribution="uniform", input_axes=(0, 1), output_axes=(2,))
    assert float(init((4, 5, 6)).abs().max()) <= math.sqrt(3.0 / 20)


VARIANCE_CASES = [
    # (initializer, scale, fan used, distribution)
    (initializers.GlorotUniform, 1.0, (288 + 576) / 2, "uniform"),
    (initializers.GlorotNormal, 1.0, (288 + 576) / 2, "truncated_normal"),
    (initializers.HeUniform, 2.0, 288, "uniform"),
    (initializers.HeNormal, 2.0, 288, "truncated_normal"),
    (initializers.LecunUniform, 1.0, 288, "uniform"),
    (initializers.LecunNormal, 1.0, 288, "truncated_normal"),
]


@pytest.mark.parametrize("cls, scale, fan, distribution", VARIANCE_CASES)
def test_variance_of_large_draws_matches_keras_formula(cls, scale, fan, distribution):
    draws = cls(seed=3)(CONV_SHAPE, dtype="float64")
    std = math.sqrt(scale / fan)
    assert draws.shape == CONV_SHAPE
    assert abs(float(draws.mean())) < 0.02 * std
    assert float(draws.std()) == pytest.approx(std, rel=0.01)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * scale / fan)
        assert float(draws.abs().max()) <= limit
        assert float(draws.abs().max()) > 0.999 * limit
    else:
        bound = 2.0 * std / TRUNC  # truncated at two stddevs of the widened normal
        assert float(draws.abs().max()) <= bound
        assert float(draws.abs().max()) > 0.99 * bound


@pytest.mark.parametrize("mode, fan", [("fan_in", 288), ("fan_out", 576), ("fan_avg", 432)])
def test_variance_scaling_modes_and_untruncated_normal(mode, fan):
    init = initializers.VarianceScaling(scale=3.0, mode=mode, distribution="untruncated_normal", seed=0)
    draws = init(CONV_SHAPE, dtype="float64")
    assert float(draws.std()) == pytest.approx(math.sqrt(3.0 / fan), rel=0.01)
    assert float(draws.abs().max()) > 3.0 * math.sqrt(3.0 / fan)  # not truncated


def test_variance_scaling_fan_below_one_is_clamped():
    draws = initializers.VarianceScaling(distribution="uniform")((0, 4))
    assert draws.shape == (0, 4)
    assert initializers.VarianceScaling(distribution="uniform", seed=1)(()).abs() <= math.sqrt(3.0)


def test_normal_distribution_means_truncated_normal():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert initializers.VarianceScaling(distribution="Uniform").distribution == "uniform"


def test_random_normal_uniform_and_truncated_normal():
    normal = initializers.RandomNormal(mean=1.0, stddev=2.0, seed=0)((200, 300), dtype="float64")
    assert float(normal.mean()) == pytest.approx(1.0, abs=0.03)
    assert float(normal.std()) == pytest.approx(2.0, rel=0.01)
    uniform = initializers.RandomUniform(-1.0, 3.0, seed=0)((200, 300), dtype="float64")
    assert -1.0 <= float(uniform.min()) and float(uniform.max()) < 3.0
    assert float(uniform.mean()) == pytest.approx(1.0, abs=0.02)
    assert float(uniform.std()) == pytest.approx(4.0 / math.sqrt(12.0), rel=0.01)
    trunc = initializers.TruncatedNormal(mean=1.0, stddev=2.0, seed=0)((200, 300), dtype="float64")
    assert -3.0 <= float(trunc.min()) and float(trunc.max()) <= 5.0
    assert float(trunc.std()) == pytest.approx(2.0 * TRUNC, rel=0.01)
    defaults = initializers.RandomNormal(seed=0)((100, 100))
    assert float(defaults.std()) == pytest.approx(0.05, rel=0.03)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (3, 3, 4, 8)])
def test_orthogonal(shape):
    q = initializers.Orthogonal(gain=2.0, seed=0)(shape, dtype="float64")
    assert q.shape == shape
    matrix = q.reshape(-1, shape[-1]) / 2.0
    rows, cols = matrix.shape
    gram = matrix @ matrix.T if rows < cols else matrix.T @ matrix
    np.testing.assert_allclose(gram.numpy(), np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_and_identity_reject_wrong_ranks():
    with pytest.raises(ValueError, match="rank 2 or more"):
        initializers.Orthogonal()((5,))
    with pytest.raises(ValueError, match="needs a 2D shape"):
        initializers.Identity()((2, 2, 2))


def test_seeded_initializer_repeats_on_every_call_like_keras():
    init = initializers.GlorotUniform(seed=42)
    first = init((5, 5))
    assert torch.equal(first, init((5, 5)))
    assert torch.equal(first, initializers.GlorotUniform(seed=42)((5, 5)))
    assert not torch.equal(first, initializers.GlorotUniform(seed=43)((5, 5)))
    q = initializers.Orthogonal(seed=7)
    assert torch.equal(q((4, 4)), q((4, 4)))
    # The seed's values do not depend on the requested float dtype.
    assert torch.equal(init((5, 5), dtype="float16"), first.half())


def test_unseeded_draws_follow_the_global_torch_seed():
    """Deliberate difference: Keras 3 fixes a random seed when an unseeded initializer is built, so calling one
    instance twice repeats its values; cornu draws unseeded values from torch's global generator (two calls
    differ, as in Keras 2 and torch), and `set_random_seed` makes them repeatable."""
    init = initializers.HeNormal()
    backend.set_random_seed(5)
    a, b = init((4, 4)), init((4, 4))
    assert not torch.equal(a, b)
    backend.set_random_seed(5)
    assert torch.equal(init((4, 4)), a)


def test_random_initializers_need_a_float_dtype():
    with pytest.raises(ValueError, match="need a float dtype"):
        initializers.RandomNormal()((2,), dtype="int32")


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: initializers.VarianceScaling(scale=0.0), "scale=0.0"),
        (lambda: initializers.VarianceScaling(scale=-1), "must be a positive float"),
        (lambda: initializers.VarianceScaling(mode="fan_sum"), "Invalid `mode`: 'fan_sum'"),
        (lambda: initializers.VarianceScaling(distribution="cauchy"), "Invalid `distribution`: 'cauchy'"),
        (lambda: initializers.GlorotUniform(seed="x"), "seed='x'"),
        (lambda: initializers.RandomNormal(seed=1.5), "seed=1.5"),
    ],
)
def test_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_unknown_shape_is_rejected():
    with pytest.raises(ValueError, match="every dimension must be a known size"):
        initializers.Zeros()((None, 3))


ALIASES = {
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal",
    "zeros": "Zeros",
    "zero": "Zeros",
    "ones": "Ones",
    "one": "Ones",
    "identity": "Identity",
    "IdentityInitializer": "Identity",
    "constant": "Constant",
    "random_normal": "RandomNormal",
    "normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
    "orthogonal": "Orthogonal",
    "OrthogonalInitializer": "Orthogonal",
    "variance_scaling": "VarianceScaling",
    "GlorotUniform": "GlorotUniform",
}


@pytest.mark.parametrize("name, class_name", sorted(ALIASES.items()))
def test_get_resolves_keras_names(name, class_name):
    init = initializers.get(name)
    assert type(init).__name__ == class_name
    assert getattr(initializers, name, type(init)) is type(init)  # lower-case module aliases are the classes


def test_get_other_identifiers():
    assert initializers.get(None) is None
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)

    def fn(shape, dtype=None):
        return torch.full(shape, 7.0)

    assert initializers.get(fn) is fn
    init = initializers.get({"class_name": "RandomUniform", "config": {"minval": 1.0, "maxval": 2.0, "seed": 3}})
    assert init.get_config() == {"seed": 3, "minval": 1.0, "maxval": 2.0}
    values = np.arange(6.0).reshape(2, 3)
    assert initializers.get(values)((2, 3)).tolist() == values.tolist()
    with pytest.raises(ValueError, match=r"holds values of shape \(2, 3\)"):
        initializers.get(values)((3, 2))


def test_get_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot_unifrom'. Did you mean 'glorot_uniform'"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 3"):
        initializers.get(3)
    with pytest.raises(ValueError, match="with 'class_name'"):
        initializers.deserialize({"config": {}})


CONFIGS = [
    (initializers.Zeros(), {}),
    (initializers.Ones(), {}),
    (initializers.Constant(3.0), {"value": 3.0}),
    (initializers.Identity(2.0), {"gain": 2.0}),
    (initializers.RandomNormal(seed=1), {"seed": 1, "mean": 0.0, "stddev": 0.05}),
    (initializers.RandomUniform(), {"seed": None, "minval": -0.05, "maxval": 0.05}),
    (initializers.TruncatedNormal(0.5, 2.0), {"seed": None, "mean": 0.5, "stddev": 2.0}),
    (
        initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=4),
        {
            "seed": 4,
            "scale": 2.0,
            "mode": "fan_out",
            "distribution": "uniform",
            "input_axes": None,
            "output_axes": None,
        },
    ),
    (initializers.GlorotUniform(seed=9), {"seed": 9, "input_axes": None, "output_axes": None}),
    (initializers.HeNormal(), {"seed": None, "input_axes": None, "output_axes": None}),
    (initializers.Orthogonal(gain=0.5), {"seed": None, "gain": 0.5}),
]


@pytest.mark.parametrize("init, config", CONFIGS, ids=lambda v: type(v).__name__)
def test_config_round_trip(init, config):
    assert init.get_config() == config
    clone = type(init).from_config(init.get_config())
    assert clone.get_config() == config
    serialized = initializers.serialize(init)
    assert serialized == {
        "module": "keras.initializers",
        "class_name": type(init).__name__,
        "config": config,
        "registered_name": None,
    }
    assert initializers.deserialize(serialized).get_config() == config


def test_identity_config_keeps_gain():
    """Deliberate difference: Keras 3.15's Identity.get_config() is `{}`, so its gain is lost on reload; cornu
    stores it (Keras can load the config, since `gain` is a constructor argument)."""
    restored = initializers.deserialize(initializers.serialize(initializers.Identity(gain=4.0)))
    assert restored((2, 2)).tolist() == [[4.0, 0.0], [0.0, 4.0]]


def test_constant_array_value_serializes_as_a_list():
    init = initializers.Constant(np.array([1.0, 2.0]))
    assert init.get_config() == {"value": [1.0, 2.0]}
    assert initializers.Constant.from_config(init.get_config())((1, 2)).tolist() == [[1.0, 2.0]]


def test_serialize_none_and_plain_functions():
    assert initializers.serialize(None) is None and initializers.deserialize(None) is None
    with pytest.raises(ValueError, match="has no `get_config\\(\\)`"):
        initializers.serialize(lambda shape, dtype=None: torch.zeros(shape))
