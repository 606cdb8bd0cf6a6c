"""Each rule against closed forms and a float64 numpy reference written from the formulas."""

import math

import numpy as np
import pytest
import torch

import cornu.optimizers as co


def _param(values, dtype=torch.float64):
    return torch.nn.Parameter(torch.tensor(values, dtype=dtype))


def _np_sgd(k, s, w, g, t):
    mom, lr = k.get("momentum", 0.0), k["learning_rate"]
    s["m"] = mom * s["m"] - lr * g
    return w + (mom * s["m"] - lr * g if k.get("nesterov") else s["m"])


def _np_rmsprop(k, s, w, g, t):
    rho, mom, eps = k.get("rho", 0.9), k.get("momentum", 0.0), k.get("epsilon", 1e-7)
    s["v"] = rho * s["v"] + (1 - rho) * g * g
    s["a"] = rho * s["a"] + (1 - rho) * g
    denominator = s["v"] - s["a"] ** 2 + eps if k.get("centered") else s["v"] + eps
    s["m"] = mom * s["m"] + k["learning_rate"] * g / np.sqrt(denominator)
    return w - s["m"]


def _np_adagrad(k, s, w, g, t):
    s["acc"] = s["acc"] + g * g
    return w - k["learning_rate"] * g / np.sqrt(s["acc"] + k.get("epsilon", 1e-7))


def _np_adadelta(k, s, w, g, t):
    rho, eps = k.get("rho", 0.95), k.get("epsilon", 1e-7)
    s["v"] = rho * s["v"] + (1 - rho) * g * g
    delta = -np.sqrt(s["a"] + eps) / np.sqrt(s["v"] + eps) * g
    s["a"] = rho * s["a"] + (1 - rho) * delta * delta
    return w + k["learning_rate"] * delta


def _np_adam(k, s, w, g, t):
    lr, b1, b2, eps = k["learning_rate"], k.get("beta_1", 0.9), k.get("beta_2", 0.999), k.get("epsilon", 1e-7)
    w = w * (1 - lr * k.get("weight_decay", 0.0))
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    s["vh"] = np.maximum(s["vh"], s["v"]) if k.get("amsgrad") else s["v"]
    return w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * s["m"] / (np.sqrt(s["vh"]) + eps)


def _np_adamax(k, s, w, g, t):
    b1, b2, eps = k.get("beta_1", 0.9), k.get("beta_2", 0.999), k.get("epsilon", 1e-7)
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = np.maximum(b2 * s["v"], np.abs(g))
    return w - k["learning_rate"] * s["m"] / ((1 - b1**t) * (s["v"] + eps))


def _np_nadam(k, s, w, g, t):
    b1, b2, eps = k.get("beta_1", 0.9), k.get("beta_2", 0.999), k.get("epsilon", 1e-7)
    u_t, u_next = b1 * (1 - 0.5 * 0.96**t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
    s["product"] *= u_t
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    m_hat = u_next * s["m"] / (1 - s["product"] * u_next) + (1 - u_t) * g / (1 - s["product"])
    return w - k["learning_rate"] * m_hat / (np.sqrt(s["v"] / (1 - b2**t)) + eps)


def _np_lion(k, s, w, g, t):
    b1, b2 = k.get("beta_1", 0.9), k.get("beta_2", 0.99)
    w = w - k["learning_rate"] * np.sign(b1 * s["m"] + (1 - b1) * g)
    s["m"] = b2 * s["m"] + (1 - b2) * g
    return w


NP_RULES = {
    "SGD": _np_sgd,
    "RMSprop": _np_rmsprop,
    "Adagrad": _np_adagrad,
    "Adadelta": _np_adadelta,
    "Adam": _np_adam,
    "AdamW": lambda k, *rest: _np_adam({"weight_decay": 0.004, **k}, *rest),
    "Adamax": _np_adamax,
    "Nadam": _np_nadam,
    "Lion": _np_lion,
}


def _np_reference(name, kwargs, w, grads):
    """The formulas of Keras's docs and the papers, one element-wise numpy step at a time, in float64."""
    kwargs = {"learning_rate": 0.05, **kwargs}
    state = {key: np.zeros_like(w) for key in ("m", "v", "vh", "a")}
    state["acc"], state["product"] = np.full_like(w, kwargs.get("initial_accumulator_value", 0.1)), 1.0
    for t, g in enumerate(grads, start=1):
        w = NP_RULES[name](kwargs, state, w, g, t)
    return w


CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adagrad", {}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True, "epsilon": 1e-2}),
    ("AdamW", {"weight_decay": 0.3}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Lion", {}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_rule_matches_float64_reference(name, kwargs, rng):
    w0 = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) for _ in range(12)]
    kwargs = {"learning_rate": 0.05, **kwargs}
    p = _param(w0)
    opt = getattr(co, name)(**kwargs)
    for g in grads:
        opt.apply([torch.tensor(g)], [p])
    np.testing.assert_allclose(p.detach().numpy(), _np_reference(name, kwargs, w0, grads), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "Nadam", "Lion"])
def test_float32_stays_close_to_float64(name, rng):
    w0, grads = rng.normal(size=(5,)), [rng.normal(size=(5,)) for _ in range(20)]
    results = []
    for dtype in (torch.float32, torch.float64):
        p = _param(w0, dtype)
        opt = getattr(co, name)(learning_rate=0.05)
        for g in grads:
            opt.apply([torch.tensor(g, dtype=dtype)], [p])
        results.append(p.detach().double().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=0, atol=1e-6)


def test_adam_first_step_closed_form():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    g = torch.tensor([3.0, -0.5, 1e-6], dtype=torch.float64)
    p = _param([1.0, 2.0, 3.0])
    co.Adam(learning_rate=lr).apply([g], [p])
    # m = (1-b1) g, v = (1-b2) g^2, alpha = lr sqrt(1-b2) / (1-b1)
    expected = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64) - lr * math.sqrt(1 - b2) * g * (1 - b1) / (
        (math.sqrt(1 - b2) * g.abs() + eps) * (1 - b1)
    )
    torch.testing.assert_close(p.detach(), expected, rtol=1e-12, atol=1e-12)
    assert p[2].item() < 3.0 - 0.8 * lr * 1e-6 / (1e-6 + eps / math.sqrt(1 - b2))  # a tiny gradient: eps dominates


def test_fused_adam_equals_keras_formula_thanks_to_per_step_epsilon(rng):
    """The fused kernel with eps_torch = eps / sqrt(1 - beta_2**t) is Keras's update; torch's own eps is not."""
    eps = 0.3  # large, so that where epsilon goes matters
    w0, grads = rng.normal(size=(7,)), [rng.normal(size=(7,)) * 0.1 for _ in range(10)]
    fused, reference, plain_torch = _param(w0), _param(w0), _param(w0)
    opt = co.Adam(learning_rate=0.05, epsilon=eps)
    foreach = co.Adam(learning_rate=0.05, epsilon=eps)
    foreach.build([reference])
    torch_opt = torch.optim.Adam([plain_torch], lr=0.05, betas=(0.9, 0.999), eps=eps, fused=True)
    for t, g in enumerate(grads, start=1):
        opt.apply([torch.tensor(g)], [fused])
        with torch.no_grad():
            foreach.update([reference], [torch.tensor(g)], foreach._groups[0].slots, 0.05, t)
        plain_torch.grad = torch.tensor(g)
        torch_opt.step()
    np.testing.assert_allclose(fused.detach().numpy(), reference.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fused.detach().numpy(), _np_reference("Adam", {"epsilon": eps}, w0, grads), rtol=1e-12)
    assert np.abs(plain_torch.detach().numpy() - fused.detach().numpy()).max() > 1e-4


def test_fused_amsgrad_and_adamw_equal_the_foreach_formula(rng):
    w0, grads = rng.normal(size=(6,)), [rng.normal(size=(6,)) * (3 - t / 4) for t in range(10)]
    for kwargs in ({"amsgrad": True, "epsilon": 0.1}, {"weight_decay": 0.5, "amsgrad": True}):
        fused, reference = _param(w0), _param(w0)
        opt, ref = co.AdamW(learning_rate=0.05, **kwargs), co.AdamW(learning_rate=0.05, **kwargs)
        ref.build([reference])
        for t, g in enumerate(grads, start=1):
            opt.apply([torch.tensor(g)], [fused])
            with torch.no_grad():
                reference.mul_(1 - 0.05 * ref.weight_decay)
                ref.update([reference], [torch.tensor(g)], ref._groups[0].slots, 0.05, t)
        np.testing.assert_allclose(fused.detach().numpy(), reference.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_sgd_momentum_two_steps_by_hand():
    p = _param([1.0, -2.0])
    opt = co.SGD(learning_rate=0.1, momentum=0.9)
    g1, g2 = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([-3.0, 0.5], dtype=torch.float64)
    opt.apply([g1], [p])
    m1 = -0.1 * g1  # m = 0.9 * 0 - lr g1
    torch.testing.assert_close(p.detach(), torch.tensor([1.0, -2.0], dtype=torch.float64) + m1)
    opt.apply([g2], [p])
    m2 = 0.9 * m1 - 0.1 * g2
    torch.testing.assert_close(p.detach(), torch.tensor([1.0, -2.0], dtype=torch.float64) + m1 + m2)
    torch.testing.assert_close(opt.variables[2], m2)  # [iteration, learning_rate, momentum]


def test_sgd_nesterov_two_steps_by_hand():
    p = _param([0.0])
    opt = co.SGD(learning_rate=0.5, momentum=0.5, nesterov=True)
    opt.apply([torch.tensor([1.0], dtype=torch.float64)], [p])  # m = -0.5; w += 0.5 m - 0.5 = -0.75
    assert p.item() == pytest.approx(-0.75)
    opt.apply([torch.tensor([1.0], dtype=torch.float64)], [p])  # m = -0.75; w += -0.375 - 0.5
    assert p.item() == pytest.approx(-1.625)


def test_lion_moves_every_coordinate_by_exactly_lr():
    p = _param([0.0, 0.0, 0.0])
    opt = co.Lion(learning_rate=0.01)
    opt.apply([torch.tensor([5.0, -1e-4, 0.0], dtype=torch.float64)], [p])
    assert p.tolist() == pytest.approx([-0.01, 0.01, 0.0])


def test_adagrad_starts_from_initial_accumulator_value():
    p = _param([1.0])
    opt = co.Adagrad(learning_rate=1.0, initial_accumulator_value=5.0, epsilon=0.0)
    opt.apply([torch.tensor([2.0], dtype=torch.float64)], [p])
    assert p.item() == pytest.approx(1.0 - 2.0 / 3.0)
    assert opt.variables[-1].item() == pytest.approx(9.0)


def test_nadam_u_product_advances_once_per_step_across_groups():
    """Two dtypes make two groups; the momentum product is still advanced once per step."""
    p32, p64 = _param([1.0], torch.float32), _param([1.0], torch.float64)
    opt = co.Nadam(learning_rate=0.1)
    for _ in range(3):
        opt.apply([torch.ones(1), torch.ones(1, dtype=torch.float64)], [p32, p64])
    expected = math.prod(0.9 * (1 - 0.5 * 0.96**t) for t in (1, 2, 3))
    assert opt.variables[-1].item() == pytest.approx(expected, rel=1e-6)
    assert p32.item() == pytest.approx(p64.item(), rel=1e-6)


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop", "adagrad", "adamax", "nadam", "lion", "adadelta"])
def test_a_gradient_in_another_memory_layout_updates_like_a_contiguous_one(name):
    """autograd can return a transposed gradient; torch's fused CPU kernels would pair the wrong elements."""
    torch.manual_seed(0)
    grad = torch.randn(6, 4).t()  # shape (4, 6), column-major
    assert not grad.is_contiguous()
    weights = [torch.nn.Parameter(torch.randn(4, 6)) for _ in range(2)]
    with torch.no_grad():
        weights[1].copy_(weights[0])
    for weight, g in zip(weights, (grad, grad.contiguous())):
        optimizer = co.get(name)
        optimizer.build([weight])
        for _ in range(3):
            optimizer.apply([g], [weight])
    torch.testing.assert_close(weights[0], weights[1], rtol=0, atol=0)
