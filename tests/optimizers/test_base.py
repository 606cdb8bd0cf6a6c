"""The shared machinery: clipping, weight decay, EMA, constraints, schedules, state, configs and errors."""

import math

import numpy as np
import pytest
import torch

import cornu.optimizers as co


def _params(*values, dtype=torch.float64):
    return [torch.nn.Parameter(torch.tensor(v, dtype=dtype)) for v in values]


def _grads(*values, dtype=torch.float64):
    return [torch.tensor(v, dtype=dtype) for v in values]


# ----------------------------------------------------------------------------------------------------- clipping
def test_clipnorm_rescales_each_gradient_to_its_own_norm():
    params = _params([0.0, 0.0], [0.0])
    co.SGD(learning_rate=1.0, clipnorm=1.0).apply(_grads([3.0, 4.0], [0.5]), params)
    np.testing.assert_allclose(params[0].detach().numpy(), [-0.6, -0.8])  # |g| = 5 -> 1
    np.testing.assert_allclose(params[1].detach().numpy(), [-0.5])  # below the norm: unchanged


def test_global_clipnorm_rescales_all_gradients_together():
    params = _params([0.0, 0.0], [0.0])
    co.SGD(learning_rate=1.0, global_clipnorm=2.6).apply(_grads([3.0, 4.0], [12.0]), params)  # joint norm 13
    np.testing.assert_allclose(params[0].detach().numpy(), [-0.6, -0.8])
    np.testing.assert_allclose(params[1].detach().numpy(), [-2.4])


def test_global_clipnorm_of_an_infinite_gradient_gives_nan_as_keras():
    params = _params([0.0])
    co.SGD(learning_rate=1.0, global_clipnorm=1.0).apply(_grads([math.inf]), params)
    assert math.isnan(params[0].item())


def test_clipvalue_clips_elementwise_and_keeps_the_callers_gradient():
    params, grads = _params([0.0, 0.0, 0.0]), _grads([-5.0, 0.2, 9.0])
    co.SGD(learning_rate=1.0, clipvalue=0.5).apply(grads, params)
    np.testing.assert_allclose(params[0].detach().numpy(), [0.5, -0.2, -0.5])
    assert grads[0].tolist() == [-5.0, 0.2, 9.0]


def test_loss_scale_factor_divides_gradients():
    params = _params([1.0])
    co.SGD(learning_rate=1.0, loss_scale_factor=8.0).apply(_grads([4.0]), params)
    assert params[0].item() == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------------ weight decay
def test_weight_decay_is_keras_decoupled_formula_with_exclusions():
    kernel, bias = _params([2.0], [2.0])
    kernel.keras_name, bias.keras_name = "kernel", "bias"
    opt = co.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply(_grads([1.0], [1.0]), [kernel, bias])
    assert kernel.item() == pytest.approx(2.0 * (1 - 0.1 * 0.5) - 0.1)
    assert bias.item() == pytest.approx(2.0 - 0.1)


def test_exclude_by_variable_after_build_still_applies():
    a, b = _params([1.0], [1.0])
    opt = co.AdamW(learning_rate=0.1, weight_decay=1.0)
    opt.build([a, b])
    opt.exclude_from_weight_decay(var_list=[b])
    opt.apply(_grads([0.0], [0.0]), [a, b])  # zero gradients: only the decay moves a weight
    assert a.item() == pytest.approx(0.9)
    assert b.item() == pytest.approx(1.0)


# -------------------------------------------------------------------------------------------------------- EMA
def test_ema_copies_on_the_first_step_then_blends_and_finalizes():
    (p,) = _params([0.0])
    opt = co.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    opt.apply(_grads([-1.0]), [p])  # w = 1, average = w (first step)
    opt.apply(_grads([-1.0]), [p])  # w = 2, average = 0.5 * 1 + 0.5 * 2
    assert p.item() == 2.0
    assert opt.variables[2].item() == pytest.approx(1.5)  # [iteration, learning_rate, average]
    opt.finalize_variable_values([p])
    assert p.item() == pytest.approx(1.5)


def test_ema_overwrite_frequency_replaces_weights_every_n_steps():
    (p,) = _params([0.0])
    opt = co.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    opt.apply(_grads([-1.0]), [p])  # w = 1, average 1
    opt.apply(_grads([-1.0]), [p])  # w = 2, average 1.5, step 2: w = 1.5
    assert p.item() == pytest.approx(1.5)


# ------------------------------------------------------------------------------------ constraints, None, groups
def test_constraint_projects_after_the_update():
    (p,) = _params([0.5, 0.5])
    p.constraint = lambda w: w.clamp(min=0.0)
    co.SGD(learning_rate=1.0).apply(_grads([1.0, -1.0]), [p])
    assert p.tolist() == [0.0, 1.5]


def test_none_gradients_skip_their_parameter_and_its_slots():
    a, b = _params([1.0], [1.0])
    b.constraint = lambda w: w * 0  # would zero b if b were stepped
    b.keras_name = "bias"
    opt = co.SGD(learning_rate=0.1, momentum=0.9)
    with pytest.warns(UserWarning, match=r"no gradient for parameters \['bias'\]"):
        opt.apply([torch.tensor([1.0], dtype=torch.float64), None], [a, b])
    assert a.item() == pytest.approx(0.9)
    assert b.item() == 1.0
    assert opt.variables[3].item() == 0.0  # b's momentum untouched
    assert opt.iterations == 1


def test_parameters_of_several_dtypes_are_stepped_in_groups():
    a = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float32))
    b, c = _params([1.0], [2.0])
    opt = co.Adam(learning_rate=0.1)
    opt.apply([torch.ones(1), torch.ones(1, dtype=torch.float64), -torch.ones(1, dtype=torch.float64)], [a, b, c])
    assert len(opt._groups) == 2
    assert [a.item(), b.item(), c.item()] == pytest.approx([0.9, 0.9, 2.1], rel=1e-6)


def test_apply_without_params_uses_the_built_list_and_params_in_other_order():
    a, b = _params([1.0], [1.0])
    opt = co.SGD(learning_rate=1.0)
    opt.build([a, b])
    opt.build([b])  # idempotent: still built on [a, b]
    opt.apply(_grads([1.0], [2.0]))
    opt.apply(_grads([10.0], [20.0]), [b, a])
    assert [a.item(), b.item()] == [-20.0, -11.0]


def test_apply_gradients_takes_a_zip_and_returns_iterations():
    a, b = _params([1.0], [1.0])
    opt = co.SGD(learning_rate=1.0)
    assert opt.apply_gradients(zip(_grads([1.0], [2.0]), [a, b], strict=True)) == 1
    assert [a.item(), b.item()] == [0.0, -1.0]


def test_gradient_accumulation_steps_uses_the_mean_every_n_calls():
    (p,) = _params([0.0])
    opt = co.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    opt.apply(_grads([1.0]), [p])
    assert p.item() == 0.0 and opt.iterations == 0
    opt.apply(_grads([3.0]), [p])
    assert p.item() == -2.0 and opt.iterations == 1


# ----------------------------------------------------------------------------------------- learning rates
def test_learning_rate_is_a_host_float_and_settable_between_steps():
    (p,) = _params([0.0])
    opt = co.SGD(learning_rate=1.0)
    opt.apply(_grads([1.0]), [p])
    opt.learning_rate = 0.25
    assert isinstance(opt.learning_rate, float) and opt.learning_rate == 0.25
    opt.apply(_grads([1.0]), [p])
    assert p.item() == -1.25
    assert isinstance(opt.iterations, int) and opt.iterations == 2


def test_schedule_is_evaluated_at_the_iteration_before_the_step():
    (p,) = _params([0.0])
    opt = co.SGD(learning_rate=co.schedules.PiecewiseConstantDecay([0], [1.0, 0.5]))
    assert opt.learning_rate == 1.0
    opt.apply(_grads([1.0]), [p])  # step 0: lr 1.0
    assert opt.learning_rate == 0.5
    opt.apply(_grads([1.0]), [p])  # step 1: lr 0.5
    assert p.item() == -1.5


def test_callable_learning_rate_and_setting_a_schedule():
    (p,) = _params([0.0])
    opt = co.SGD(learning_rate=lambda: 0.5)
    opt.apply(_grads([1.0]), [p])
    opt.learning_rate = co.schedules.ExponentialDecay(1.0, 1, 0.5)  # at iteration 1: 0.5
    opt.apply(_grads([1.0]), [p])
    assert p.item() == -1.0
    with pytest.raises(TypeError, match="create the optimizer with a float"):
        opt.learning_rate = 0.1


def test_integer_and_numpy_learning_rates_are_accepted_as_floats():
    """Deliberate difference: Keras rejects `learning_rate=1` (an int); cornu takes any real number."""
    assert co.SGD(learning_rate=1).learning_rate == 1.0
    assert co.Adam(learning_rate=np.float32(0.5)).learning_rate == 0.5
    assert isinstance(co.Adam(learning_rate=np.float32(0.5)).get_config()["learning_rate"], float)


# ------------------------------------------------------------------------------------------------ state
def test_variables_are_in_keras_order_and_round_trip():
    a, b = _params([[1.0, 2.0]], [3.0])
    opt = co.Adam(learning_rate=0.1, amsgrad=True)
    assert [v.item() for v in opt.variables] == pytest.approx([0, 0.1])  # before build: iteration, learning rate
    opt.apply(_grads([[1.0, -1.0]], [2.0]), [a, b])
    shapes = [tuple(v.shape) for v in opt.variables]
    assert shapes == [(), (), (1, 2), (1, 2), (1,), (1,), (1, 2), (1,)]  # m_a, v_a, m_b, v_b, vhat_a, vhat_b
    store = {}
    opt.save_own_variables(store)
    other = co.Adam(learning_rate=0.5, amsgrad=True)
    other.build(_params([[0.0, 0.0]], [0.0]))
    other.load_own_variables(store)
    assert other.iterations == 1 and other.learning_rate == pytest.approx(0.1)
    for x, y in zip(other.get_weights(), opt.get_weights(), strict=True):
        np.testing.assert_allclose(x, y)


def test_loading_a_state_of_another_size_warns_and_skips():
    opt = co.SGD(momentum=0.5)
    opt.build(_params([1.0]))
    with pytest.warns(UserWarning, match="Build it"):
        opt.load_own_variables({"0": np.array(3)})
    assert opt.iterations == 0
    with pytest.raises(ValueError, match="set_weights received 1"):
        opt.set_weights([np.array(3)])


# ----------------------------------------------------------------------------------------------- configs
@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam", "Lion"])
def test_get_config_round_trips_through_serialize_and_get(name):
    opt = getattr(co, name)(learning_rate=co.schedules.InverseTimeDecay(0.1, 1, 0.5), clipnorm=2.0, name="x")
    config = co.serialize(opt)
    assert config["module"] == "keras.optimizers" and config["class_name"] == name
    again = co.get(config)
    assert type(again) is type(opt) and again.get_config() == opt.get_config()
    assert again.learning_rate == 0.1 and again.clipnorm == 2.0


def test_get_accepts_names_in_any_case_instances_and_none():
    assert type(co.get("adam")) is co.Adam
    assert type(co.get("RMSprop")) is co.RMSprop
    assert type(co.get({"class_name": "sgd", "config": {"momentum": 0.5}})) is co.SGD
    opt = co.Lion()
    assert co.get(opt) is opt and co.get(None) is None


def test_default_names_are_unique_snake_case():
    assert co.Adam().name == "adam" and co.Adam().name == "adam_1" and co.RMSprop().name == "rm_sprop"


# ------------------------------------------------------------------------------------------------- errors
def test_unknown_optimizer_name_suggests_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        co.get("adm")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        co.get(42)


def test_misspelled_arguments_are_rejected_with_the_modern_spelling():
    """Keras 1/2's `lr` and `decay` are translated by cornu/legacy (tests/legacy/test_optimizers.py); typos are not."""
    with pytest.raises(ValueError, match="Did you mean 'momentum'"):
        co.SGD(momentun=0.9)
    with pytest.raises(ValueError, match="Did you mean 'beta_1'"):
        co.Adam(beta1=0.9)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: co.SGD(clipnorm=1.0, clipvalue=1.0), "Only one of `clipnorm`"),
        (lambda: co.Adam(global_clipnorm=1.0, clipnorm=1.0), "Only one of `clipnorm`"),
        (lambda: co.SGD(momentum=1.5), r"momentum=1.5"),
        (lambda: co.SGD(learning_rate="fast"), r"learning_rate='fast'.*learning_rate=0.001"),
        (lambda: co.SGD(learning_rate=True), "learning_rate=True"),
        (lambda: co.AdamW(weight_decay=None), "Use Adam"),
        (lambda: co.Lion(beta_1=0.0), "SignSGD"),
        (lambda: co.Adam(use_ema=True, ema_momentum=2.0), "ema_momentum=2.0"),
        (lambda: co.Adam(use_ema=True, ema_overwrite_frequency=0.5), "ema_overwrite_frequency=0.5"),
        (lambda: co.Adam(gradient_accumulation_steps=1), "gradient_accumulation_steps=1"),
        (lambda: co.deserialize({"config": {}}), "'class_name'"),
        (lambda: co.deserialize({"class_name": "Adamm", "config": {}}), "Did you mean"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_the_fix(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_apply_errors_name_the_fix():
    (p,) = _params([1.0])
    opt = co.SGD()
    with pytest.raises(ValueError, match=r"optimizer.build\(params\)"):
        opt.apply(_grads([1.0]))
    opt.build([p])
    with pytest.raises(ValueError, match="received 2 gradients"):
        opt.apply(_grads([1.0], [1.0]))
    with pytest.raises(ValueError, match="create a new optimizer"):
        opt.apply(_grads([1.0]), _params([1.0]))
    with pytest.raises(ValueError, match="all were None"):
        opt.apply([None])
    assert opt.iterations == 0 and p.item() == 1.0


def test_scale_loss_multiplies_by_the_factor_that_apply_divides_out():
    (p,) = _params([0.0])
    opt = co.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    loss = opt.scale_loss((p - 1.0).square().sum())  # d/dp at 0: -2, scaled: -8
    loss.backward()
    opt.apply([p.grad], [p])
    assert p.item() == pytest.approx(2.0)
    assert co.SGD().scale_loss(3.0) == 3.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"clipnorm": 1.0, "weight_decay": 0.1},
        {"global_clipnorm": 1.0, "use_ema": True, "ema_overwrite_frequency": 2},
        {"clipvalue": 0.1, "gradient_accumulation_steps": 2, "loss_scale_factor": 2.0},
    ],
)
@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam", "Lion"])
def test_a_step_never_reads_a_tensor_on_the_host(name, kwargs, monkeypatch):
    """The hot path keeps numbers on the host side and tensors on the device: no .item(), bool(), float(), ..."""
    params = _params([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5])
    opt = getattr(co, name)(learning_rate=co.schedules.ExponentialDecay(0.1, 2, 0.5), **kwargs)
    opt.build(params)
    before = [p.detach().clone() for p in params]

    def forbidden(*args, **kw):
        raise AssertionError("a host sync in the optimizer step")

    for method in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(torch.Tensor, method, forbidden)
    for _ in range(4):
        opt.apply(_grads([[1.0, -1.0], [0.5, 2.0]], [0.3, 0.0]))
    monkeypatch.undo()
    assert opt.iterations == (2 if "gradient_accumulation_steps" in kwargs else 4)
    assert not torch.equal(params[0].detach(), before[0])


def test_gradients_of_another_dtype_are_cast_and_wrong_shapes_refused():
    p = torch.nn.Parameter(torch.tensor([1.0, 1.0]))  # float32
    opt = co.Adam(learning_rate=0.1)
    opt.apply([torch.tensor([1.0, -1.0], dtype=torch.float64)], [p])
    assert p.tolist() == pytest.approx([0.9, 1.1])
    q = torch.nn.Parameter(torch.zeros(2, 3))
    q.keras_name = "kernel"
    with pytest.raises(ValueError, match=r"shape \(3, 2\) for parameter 'kernel' of shape \(2, 3\)"):
        co.SGD().apply([torch.zeros(3, 2)], [q])
