"""LossScaleOptimizer: Keras's dynamic loss scaling, checked step by step against the rule written out by hand."""

import math

import numpy as np
import pytest
import torch

import cornu
from cornu.layers import Dense
from cornu.mixed_precision import LossScaleOptimizer
from cornu.optimizers import SGD, Adam

INF, NAN = float("inf"), float("nan")


def _reference(grads, lr, scale, growth):
    """The rule by hand: skip and halve on a non-finite gradient; unscale and step; double after `growth` in a row."""
    w, counter, history = 1.0, 0, []
    for g in grads:
        if not math.isfinite(g):
            scale, counter = scale / 2, 0
        else:
            w -= lr * g / scale
            if counter == growth - 1:
                scale, counter = scale * 2, 0
            else:
                counter += 1
        history.append((w, scale, counter))
    return history


def test_dynamics_follow_keras_rule_step_by_step():
    grads = [8.0, INF, 4.0, 4.0, 4.0, NAN, 2.0, 2.0, 2.0, 2.0]
    w = torch.nn.Parameter(torch.tensor([1.0]))
    opt = LossScaleOptimizer(SGD(learning_rate=0.5), initial_scale=8.0, dynamic_growth_steps=3)
    for g, (w_ref, scale_ref, counter_ref) in zip(grads, _reference(grads, 0.5, 8.0, 3)):
        opt.apply([torch.tensor([g])], [w])
        assert w.item() == pytest.approx(w_ref, abs=1e-7)
        assert (opt.loss_scale, int(opt.step_counter)) == (scale_ref, counter_ref)
    assert opt.iterations == 8  # two skipped steps do not count
    assert float(opt.dynamic_scale) == opt.loss_scale


def test_skipped_step_leaves_weights_and_slots_alone():
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = LossScaleOptimizer(Adam(learning_rate=0.1), initial_scale=4.0)
    opt.apply([torch.tensor([4.0, 4.0])], [w])
    before = [v.clone() for v in opt.inner_optimizer.variables[2:]]
    weights = w.detach().clone()
    opt.apply([torch.tensor([1.0, INF])], [w])
    assert torch.equal(w.detach(), weights)
    assert all(torch.equal(a, b) for a, b in zip(before, opt.inner_optimizer.variables[2:]))
    assert opt.iterations == 1 and opt.loss_scale == 2.0


def test_unscaled_gradients_equal_the_plain_optimizers():
    a, b = torch.nn.Parameter(torch.tensor([0.3, -0.2])), torch.nn.Parameter(torch.tensor([0.3, -0.2]))
    plain, scaled = Adam(learning_rate=0.01), LossScaleOptimizer(Adam(learning_rate=0.01), initial_scale=1000.0)
    for g in ([0.5, -1.5], [0.25, 2.0], [-0.75, 0.125]):
        grad = torch.tensor(g)
        plain.apply([grad], [a])
        scaled.apply([grad * scaled.loss_scale], [b])
    torch.testing.assert_close(b, a, rtol=0, atol=1e-7)


def test_scale_loss_multiplies_and_inner_factor_is_switched_off():
    inner = SGD(loss_scale_factor=4.0)
    opt = LossScaleOptimizer(inner, initial_scale=16.0)
    assert inner.loss_scale_factor is None
    assert opt.scale_loss(torch.tensor(2.0)).item() == 32.0


def test_learning_rate_and_iterations_belong_to_the_inner_optimizer():
    opt = LossScaleOptimizer(SGD(learning_rate=0.1))
    opt.learning_rate = 0.25
    assert opt.inner_optimizer.learning_rate == 0.25 and opt.learning_rate == 0.25
    opt.iterations = 7
    assert opt.inner_optimizer.iterations == 7


def test_state_round_trip_in_keras_order():
    params = [torch.nn.Parameter(torch.ones(2))]
    opt = LossScaleOptimizer(Adam(), initial_scale=8.0, dynamic_growth_steps=2)
    opt.apply([torch.ones(2)], params)
    opt.apply([torch.full((2,), INF)], params)
    values = opt.get_weights()
    # iteration, learning_rate (the wrapper's, both 0), step_counter, dynamic_scale, then Adam's 2 + 2 slots
    assert len(values) == 4 + 2 + 2
    assert (values[0], values[1], values[2], values[3]) == (0, 0.0, 0, 4.0)
    assert values[2].dtype == np.int32 and values[3].dtype == np.float32
    other = LossScaleOptimizer(Adam(), initial_scale=8.0, dynamic_growth_steps=2)
    other.build(params)
    other.set_weights(values)
    assert (other.loss_scale, other.iterations) == (4.0, 1)


def test_config_round_trip():
    opt = LossScaleOptimizer(Adam(learning_rate=0.01), initial_scale=1024.0, dynamic_growth_steps=10, name="lso")
    config = opt.get_config()
    assert sorted(config) == ["dynamic_growth_steps", "initial_scale", "inner_optimizer", "name"]
    assert config["inner_optimizer"]["class_name"] == "Adam"
    again = LossScaleOptimizer.from_config(config)
    assert (again.loss_scale, again.dynamic_growth_steps, again.learning_rate) == (1024.0, 10, 0.01)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dynamic": False}, "loss_scale_factor"),
        ({"clipnorm": 1.0}, "Set `clipnorm` on the `inner_optimizer`"),
        ({"momentum": 0.9}, "does not take the arguments"),
        ({"dynamic_growth_steps": 0}, "positive integer"),
        ({"initial_scale": -1.0}, "positive number"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LossScaleOptimizer(SGD(), **kwargs)


def test_inner_optimizer_must_be_an_instance():
    with pytest.raises(ValueError, match=r"LossScaleOptimizer\(cornu.optimizers.Adam\(\)\)"):
        LossScaleOptimizer("adam")


def test_fit_with_loss_scale_factor_equals_fit_without():
    # The train step takes gradients of optimizer.scale_loss(loss) and the optimizer divides them back (Keras).
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x.sum(1, keepdims=True)
    weights = []
    for factor in (None, 64.0):
        cornu.backend.set_random_seed(0)
        model = cornu.models.Sequential([cornu.Input((3,)), Dense(1)])
        model.compile(optimizer=SGD(0.1, loss_scale_factor=factor), loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
