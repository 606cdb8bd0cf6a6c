"""cornu's optimizers against the real Keras 3 (torch backend): same weights, same 20 gradients, same result."""

import numpy as np
import pytest
import torch

import cornu.optimizers as co

keras = pytest.importorskip("keras")

SHAPES = {"kernel": (3, 4), "bias": (4,), "scale": (2,)}
STEPS = 20

RULES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.5}),
    ("RMSprop", {"momentum": 0.5, "centered": True, "rho": 0.8}),
    ("Adagrad", {}),
    ("Adagrad", {"initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    ("AdamW", {}),
    ("AdamW", {"amsgrad": True, "weight_decay": 0.5}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Lion", {}),
]
NAMES = ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam", "Lion"]
OPTIONS = {
    "clipnorm": {"clipnorm": 0.5},
    "clipvalue": {"clipvalue": 0.1},
    "global_clipnorm": {"global_clipnorm": 0.5},
    "weight_decay": {"weight_decay": 0.2},
    "ema": {"use_ema": True, "ema_momentum": 0.9},
    "ema_overwrite": {"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 3},
    "loss_scale": {"loss_scale_factor": 4.0},
    "accumulation": {"gradient_accumulation_steps": 3},
}


def _data(seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    weights = {k: rng.normal(size=s).astype("float32") for k, s in SHAPES.items()}
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES.values()] for _ in range(steps)]
    return weights, grads


def _pair(name, kwargs, keras_extra=None, cornu_extra=None):
    kwargs = {"learning_rate": 0.05, **kwargs}
    ref = getattr(keras.optimizers, name)(**kwargs, **(keras_extra or {}))
    ours = getattr(co, name)(**kwargs, **(cornu_extra or {}))
    return ref, ours


def _variables(weights, constraint=False):
    ref = [keras.Variable(w, name=k) for k, w in weights.items()]
    for v in ref:
        v.constraint = keras.constraints.NonNeg() if constraint else None  # the constructor ignores `constraint`
    ours = []
    for k, w in weights.items():
        p = torch.nn.Parameter(torch.tensor(w))
        p.keras_name = k
        if constraint:
            p.constraint = lambda x: x * (x >= 0).to(x.dtype)
        ours.append(p)
    return ref, ours


def _run(ref, ours, weights, grads, hook=None, constraint=False, drop=None):
    """Runs both optimizers over the gradient sequence; `hook(step, opt)` runs on both before each step."""
    ref_vars, our_vars = _variables(weights, constraint)
    for step, gs in enumerate(grads):
        if hook is not None:
            hook(step, ref)
            hook(step, ours)
        ref_grads = [None if drop and drop(step, i) else torch.tensor(g) for i, g in enumerate(gs)]
        our_grads = [None if drop and drop(step, i) else torch.tensor(g) for i, g in enumerate(gs)]
        ref.apply(ref_grads, ref_vars)
        ours.apply(our_grads, our_vars)
    return ref_vars, our_vars


def _assert_same(ref, ours, ref_vars, our_vars, rtol=1e-4, atol=1e-5):
    # atol: the weights are O(1) and Keras's float32 steps drift by ~1e-6 over 20 steps (a float64 run of cornu
    # lands within 1e-7 of cornu's float32 result, see tests/optimizers), so a weight that crosses zero needs it.
    for r, o in zip(ref_vars, our_vars, strict=True):
        np.testing.assert_allclose(o.detach().numpy(), keras.ops.convert_to_numpy(r), rtol=rtol, atol=atol)
    assert ours.iterations == int(keras.ops.convert_to_numpy(ref.iterations))
    ref_state = [keras.ops.convert_to_numpy(v) for v in ref.variables]
    our_state = [v.detach().numpy() for v in ours.variables]
    assert [s.shape for s in our_state] == [s.shape for s in ref_state]
    for r, o in zip(ref_state, our_state, strict=True):
        np.testing.assert_allclose(o, r, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name, kwargs", RULES, ids=[f"{n}-{k}" for n, k in RULES])
def test_rule_matches_keras_over_20_steps(name, kwargs):
    weights, grads = _data()
    ref, ours = _pair(name, kwargs)
    ref_vars, our_vars = _run(ref, ours, weights, grads)
    _assert_same(ref, ours, ref_vars, our_vars)
    assert not np.allclose(our_vars[0].detach().numpy(), weights["kernel"])  # the weights did move


@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("name", NAMES)
def test_option_matches_keras_over_20_steps(name, option):
    weights, grads = _data(seed=1)
    ref, ours = _pair(name, OPTIONS[option])
    ref_vars, our_vars = _run(ref, ours, weights, grads)
    _assert_same(ref, ours, ref_vars, our_vars)
    if OPTIONS[option].get("use_ema"):
        ref.finalize_variable_values(ref_vars)
        ours.finalize_variable_values(our_vars)
        _assert_same(ref, ours, ref_vars, our_vars)


@pytest.mark.parametrize("name", NAMES)
def test_schedule_matches_keras(name):
    weights, grads = _data(seed=2)
    ref = getattr(keras.optimizers, name)(
        learning_rate=keras.optimizers.schedules.CosineDecay(0.01, 15, warmup_target=0.1, warmup_steps=5)
    )
    ours = getattr(co, name)(learning_rate=co.schedules.CosineDecay(0.01, 15, warmup_target=0.1, warmup_steps=5))
    ref_vars, our_vars = _run(ref, ours, weights, grads)
    _assert_same(ref, ours, ref_vars, our_vars)
    assert ours.learning_rate == pytest.approx(float(keras.ops.convert_to_numpy(ref.learning_rate)), rel=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_learning_rate_changed_mid_run_matches_keras(name):
    def hook(step, opt):
        if step == 7:
            opt.learning_rate = 0.01
        if step == 14:
            opt.learning_rate = 0.2

    weights, grads = _data(seed=3)
    ref, ours = _pair(name, {})
    ref_vars, our_vars = _run(ref, ours, weights, grads, hook=hook)
    _assert_same(ref, ours, ref_vars, our_vars)
    assert ours.learning_rate == 0.2


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_weight_decay_exclusion_and_constraints_match_keras(name):
    weights, grads = _data(seed=4)
    ref, ours = _pair(name, {"weight_decay": 0.3} if name != "AdamW" else {})
    ref.exclude_from_weight_decay(var_names=["bias"])
    ours.exclude_from_weight_decay(var_names=["bias"])
    ref_vars, our_vars = _run(ref, ours, weights, grads, constraint=True)
    _assert_same(ref, ours, ref_vars, our_vars)
    assert (our_vars[0].detach().numpy() >= 0).all()


@pytest.mark.parametrize("name", ["SGD", "Adam", "Nadam", "RMSprop"])
def test_missing_gradients_match_keras(name):
    weights, grads = _data(seed=5)
    ref, ours = _pair(name, {"momentum": 0.5} if name == "SGD" else {})
    with pytest.warns(UserWarning):  # Keras warns about the missing gradient
        ref_vars, our_vars = _run(ref, ours, weights, grads, drop=lambda step, i: i == 1 and step % 3 == 0)
    _assert_same(ref, ours, ref_vars, our_vars)


def test_apply_gradients_pairs_match_keras():
    weights, grads = _data(seed=6, steps=5)
    ref, ours = _pair("Adam", {})
    ref_vars, our_vars = _variables(weights)
    for gs in grads:
        ref.apply_gradients(zip([torch.tensor(g) for g in gs], ref_vars, strict=True))
        assert ours.apply_gradients(list(zip([torch.tensor(g) for g in gs], our_vars, strict=True))) == ours.iterations
    _assert_same(ref, ours, ref_vars, our_vars)


@pytest.mark.parametrize("name", NAMES)
def test_get_config_matches_keras(name):
    ref = getattr(keras.optimizers, name)(name="opt")
    ours = getattr(co, name)(name="opt")
    ref_config, our_config = ref.get_config(), ours.get_config()
    assert list(our_config) == list(ref_config)
    for key, value in ref_config.items():
        if isinstance(value, float):  # Keras's learning rate went through a float32 variable
            assert our_config[key] == pytest.approx(value, rel=1e-6), key
        else:
            assert our_config[key] == value, key


def test_schedule_configs_match_keras():
    ks, cs = keras.optimizers.schedules, co.schedules
    pairs = [
        (ks.ExponentialDecay(0.1, 10, 0.5), cs.ExponentialDecay(0.1, 10, 0.5)),
        (ks.PiecewiseConstantDecay([5, 10], [0.1, 0.05, 0.01]), cs.PiecewiseConstantDecay([5, 10], [0.1, 0.05, 0.01])),
        (ks.PolynomialDecay(0.1, 10), cs.PolynomialDecay(0.1, 10)),
        (ks.InverseTimeDecay(0.1, 10, 0.5), cs.InverseTimeDecay(0.1, 10, 0.5)),
        (ks.CosineDecay(0.1, 10), cs.CosineDecay(0.1, 10)),
        (ks.CosineDecayRestarts(0.1, 10), cs.CosineDecayRestarts(0.1, 10)),
    ]
    for ref, ours in pairs:
        assert ours.get_config() == ref.get_config()
        assert cs.serialize(ours) == ks.serialize(ref)


SCHEDULE_CASES = [
    ("ExponentialDecay", (0.1, 7, 0.5), {}),
    ("ExponentialDecay", (0.1, 7, 0.5), {"staircase": True}),
    ("PiecewiseConstantDecay", ([5, 10, 30], [0.1, 0.05, 0.01, 0.001]), {}),
    ("PolynomialDecay", (0.1, 20), {"power": 2.0}),
    ("PolynomialDecay", (0.1, 20), {"cycle": True, "end_learning_rate": 0.01}),
    ("InverseTimeDecay", (0.1, 7, 0.5), {}),
    ("InverseTimeDecay", (0.1, 7, 0.5), {"staircase": True}),
    ("CosineDecay", (0.1, 20), {"alpha": 0.1}),
    ("CosineDecay", (0.0, 20), {"warmup_target": 0.2, "warmup_steps": 8}),
    ("CosineDecayRestarts", (0.1, 7), {}),
    ("CosineDecayRestarts", (0.1, 7), {"t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1}),
    ("CosineDecayRestarts", (0.1, 7), {"t_mul": 1.5, "m_mul": 0.8}),
]


@pytest.mark.parametrize("name, args, kwargs", SCHEDULE_CASES, ids=[f"{c[0]}-{c[2]}" for c in SCHEDULE_CASES])
def test_schedules_match_keras_at_many_steps(name, args, kwargs):
    ref = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    ours = getattr(co.schedules, name)(*args, **kwargs)
    steps = [0, 1, 2, 3, 5, 6, 8, 10, 13, 19, 20, 21, 25, 33, 50, 100]
    expected = [float(keras.ops.convert_to_numpy(ref(step))) for step in steps]
    got = [ours(step) for step in steps]
    assert all(isinstance(g, float) for g in got)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------------- deliberate differences from Keras
def test_difference_config_learning_rate_is_the_float_given_not_a_float32_round_trip():
    ref, ours = keras.optimizers.Adam(learning_rate=0.001), co.Adam(learning_rate=0.001)
    assert ref.get_config()["learning_rate"] == pytest.approx(0.001, rel=1e-7)
    assert ref.get_config()["learning_rate"] != 0.001  # Keras stores it in a float32 variable
    assert ours.get_config()["learning_rate"] == 0.001


def test_difference_integer_learning_rate_is_accepted():
    with pytest.raises(ValueError, match="learning_rate"):
        keras.optimizers.SGD(learning_rate=1)
    assert co.SGD(learning_rate=1).learning_rate == 1.0


def test_difference_keras_2_decay_and_lr_are_translated_where_keras_ignores_or_refuses_them():
    """Keras 3 ignores `decay` (the rate stays constant) and refuses `lr`; cornu/legacy gives them Keras 2's meaning:
    `decay` is `InverseTimeDecay(lr, 1, decay)` (closed form in tests/legacy/test_optimizers.py)."""
    from cornu.legacy import reset_warnings

    reset_warnings()  # each spelling warns once per process
    with pytest.warns(UserWarning, match="will be ignored"):
        ref = keras.optimizers.SGD(decay=0.1)
    assert float(ref.learning_rate) == pytest.approx(0.01)
    with pytest.warns(DeprecationWarning, match="InverseTimeDecay"):
        ours = co.SGD(decay=0.1)
    assert ours._learning_rate(10) == pytest.approx(0.01 / (1 + 0.1 * 10))
    with pytest.raises(ValueError, match="not recognized"):
        keras.optimizers.Adam(lr=0.1)
    with pytest.warns(DeprecationWarning, match="write `learning_rate=0.1`"):
        assert co.Adam(lr=0.1).learning_rate == 0.1


def test_difference_saved_iteration_is_int64_and_serialize_names_the_public_module():
    weights, grads = _data(steps=1)
    ref, ours = _pair("SGD", {})
    _run(ref, ours, weights, grads)
    assert str(ref.variables[0].dtype) == "int32"  # torch backend
    assert ours.variables[0].dtype == torch.int64 and ours.variables[0].item() == 1
    assert keras.optimizers.serialize(ref)["module"].startswith("keras.src.backend.torch")
    assert co.serialize(ours)["module"] == "keras.optimizers"  # the public path, loadable by Keras too
    assert keras.optimizers.deserialize(co.serialize(ours)).get_config()["learning_rate"] == pytest.approx(0.05)


@pytest.mark.parametrize("name", NAMES)
def test_keras_serialized_optimizers_load_in_cornu(name):
    schedule = keras.optimizers.schedules.PolynomialDecay(0.1, 10, cycle=True)
    ref = getattr(keras.optimizers, name)(learning_rate=schedule, clipvalue=0.5, name="from_keras")
    ours = co.deserialize(keras.optimizers.serialize(ref))
    assert type(ours) is getattr(co, name)
    assert ours.get_config() == ref.get_config()
    assert ours.learning_rate == pytest.approx(float(keras.ops.convert_to_numpy(ref.learning_rate)))
