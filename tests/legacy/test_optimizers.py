"""Keras 2's `decay=` as `lr / (1 + decay * iterations)`, `lr=`, and `optimizer.lr` with K.get_value/set_value."""

import numpy as np
import pytest
import torch

import cornu.compat
import cornu.optimizers as O
from cornu.legacy import backend as K


def test_decay_matches_the_closed_form_over_100_steps():
    """SGD with Keras 2's decay on a constant gradient g: w_t = w_0 - g * sum_{k<t} lr / (1 + decay * k)."""
    lr, decay, g = 0.1, 0.05, 0.5
    w = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float64))
    with pytest.warns(DeprecationWarning, match=r"decay_rate=0.05\)"):
        opt = O.SGD(lr=lr, momentum=0.0, decay=decay, nesterov=False)
    expected = 1.0
    for t in range(100):
        assert opt.learning_rate == pytest.approx(lr / (1 + decay * t), rel=1e-12)
        opt.apply([torch.tensor([g], dtype=torch.float64)], [w])
        expected -= g * lr / (1 + decay * t)
        assert w.item() == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert opt.iterations == 100
    assert w.item() == pytest.approx(1.0 - g * sum(lr / (1 + decay * k) for k in range(100)), rel=1e-12)


@pytest.mark.parametrize("cls", [O.Adam, O.RMSprop, O.Adagrad, O.Adamax, O.Nadam, O.Adadelta, O.SGD])
def test_every_optimizer_takes_keras_2_lr_and_decay(cls):
    with pytest.warns(DeprecationWarning):
        opt = cls(lr=0.2, decay=0.5)
    assert [opt._learning_rate(t) for t in (0, 1, 2)] == pytest.approx([0.2, 0.2 / 1.5, 0.1])


def test_decay_zero_is_the_plain_optimizer():
    with pytest.warns(DeprecationWarning, match="`decay=0.0` is a Keras 2 argument that changes nothing here"):
        opt = O.SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False)  # the seed's line
    assert opt.get_config() == {**O.SGD(learning_rate=0.01, name=opt.name).get_config()}


def test_decay_without_lr_decays_the_class_default():
    with pytest.warns(DeprecationWarning, match=r"InverseTimeDecay\(0.001, decay_steps=1"):
        opt = O.Adam(decay=1.0)
    assert opt._learning_rate(1) == pytest.approx(0.0005)


def test_decay_of_a_schedule_and_lr_with_learning_rate_are_refused():
    with pytest.raises(ValueError, match="Put the decay in that schedule"):
        O.SGD(learning_rate=O.schedules.ExponentialDecay(0.1, 10, 0.5), decay=0.1)
    with pytest.raises(TypeError, match=r"both `lr` \(Keras 2\) and `learning_rate`.*Keep only `learning_rate=0.5`"):
        O.SGD(learning_rate=0.5, lr=0.1)
    with pytest.raises(ValueError, match="decay=-1"):
        O.SGD(decay=-1)


def test_a_keras_2_saved_config_loads():
    config = {"name": "SGD", "lr": 0.01, "momentum": 0.9, "decay": 1e-6, "nesterov": True}
    with pytest.warns(DeprecationWarning):
        opt = O.SGD.from_config(config)
    assert (opt.momentum, opt.nesterov, opt._learning_rate(1)) == (0.9, True, pytest.approx(0.01 / (1 + 1e-6)))


def test_k_get_and_set_value_on_optimizer_lr():
    cornu.compat.install()
    with pytest.warns(DeprecationWarning):
        opt = O.SGD(lr=0.1)
    with pytest.warns(DeprecationWarning, match="`optimizer.lr` is the Keras 2 name of `optimizer.learning_rate`"):
        assert K.get_value(opt.lr) == 0.1
    K.set_value(opt.lr, 0.01)
    assert opt.learning_rate == 0.01
    assert float(opt.lr) * 10 == pytest.approx(0.1)
    opt.lr = 0.5
    assert opt.learning_rate == 0.5
    cornu.compat.uninstall()
    assert not hasattr(opt, "lr")


def test_k_set_value_with_decay_changes_the_base_rate_as_keras_2_did():
    cornu.compat.install()
    with pytest.warns(DeprecationWarning):
        opt = O.SGD(lr=0.1, decay=1.0)
    opt.iterations = 3
    assert (K.get_value(opt.lr), opt.learning_rate) == (0.1, pytest.approx(0.025))
    K.set_value(opt.lr, 0.2)
    assert opt.learning_rate == pytest.approx(0.05)  # the decay goes on from the new base rate


def test_k_set_value_on_a_plain_number_says_what_to_write():
    with pytest.raises(TypeError, match=r"model.optimizer.learning_rate = 0.1"):
        K.set_value(0.5, 0.1)
    np.testing.assert_array_equal(K.get_value(torch.tensor([1.0, 2.0])), [1.0, 2.0])
