"""The training step's gradients: the autograd engine's entry point, checked against torch.autograd.grad."""

import pytest
import torch

from cornu.trainers import trainer


def _graph(rng):
    weights = [
        torch.from_numpy(rng.normal(size=s).astype("float32")).requires_grad_(True) for s in ((3, 4), (4,), (2,))
    ]
    x = torch.from_numpy(rng.normal(size=(5, 3)).astype("float32"))
    loss = torch.tanh(x @ weights[0] + weights[1]).pow(2).mean()  # weights[2] is not used: its gradient is None
    return loss, weights


def test_gradients_equal_autograd_grad_with_none_for_unused_weights(rng):
    loss, weights = _graph(rng)
    expected = torch.autograd.grad(loss, weights, allow_unused=True, retain_graph=True)
    got = trainer._gradients(loss, weights)
    assert trainer._ENGINE["direct"] and got[2] is None and expected[2] is None
    for a, b in zip(got[:2], expected[:2]):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert all(w.grad is None for w in weights)  # nothing accumulated into .grad, as with autograd.grad


def test_falls_back_to_autograd_grad_when_the_engine_entry_point_differs(rng, monkeypatch):
    real = torch.autograd.Variable._execution_engine

    class Engine:  # another torch's entry point: refuses cornu's call, serves autograd.grad's own
        calls = 0

        def run_backward(self, *args, **kwargs):
            Engine.calls += 1
            if Engine.calls == 1:
                raise TypeError("run_backward(): incompatible function arguments")
            return real.run_backward(*args, **kwargs)

    monkeypatch.setattr(torch.autograd.Variable, "_execution_engine", Engine())
    monkeypatch.setitem(trainer._ENGINE, "direct", True)
    loss, weights = _graph(rng)
    got = trainer._gradients(loss, weights)
    assert trainer._ENGINE["direct"] is False and got[2] is None
    assert got[0].shape == (3, 4) and got[0].abs().sum() > 0


def test_a_loss_without_graph_still_says_so(rng):
    with pytest.raises(RuntimeError, match="does not require grad"):
        trainer._gradients(torch.tensor(1.0), [torch.zeros(2, requires_grad=True)])
