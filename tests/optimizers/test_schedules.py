"""Each schedule at several steps against its closed form; configs and errors."""

import math

import pytest

from cornu.optimizers import schedules as s


def test_exponential_decay_closed_form_and_staircase():
    smooth, stairs = s.ExponentialDecay(0.1, 10, 0.5), s.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    for step in (0, 1, 5, 10, 15, 30):
        assert smooth(step) == pytest.approx(0.1 * 0.5 ** (step / 10))
        assert stairs(step) == pytest.approx(0.1 * 0.5 ** (step // 10))


def test_piecewise_constant_boundaries_belong_to_the_earlier_piece():
    schedule = s.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [schedule(k) for k in (0, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_polynomial_decay_closed_form_with_and_without_cycle():
    plain = s.PolynomialDecay(1.0, 10, end_learning_rate=0.1, power=2.0)
    for step in (0, 3, 10, 50):
        p = min(step, 10) / 10
        assert plain(step) == pytest.approx(0.9 * (1 - p) ** 2 + 0.1)
    cyclic = s.PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    assert cyclic(0) == 1.0
    assert cyclic(15) == pytest.approx(1 - 15 / 20)  # second period: decay_steps becomes 20
    assert cyclic(10) == pytest.approx(0.0)


def test_inverse_time_decay_closed_form_and_staircase():
    smooth, stairs = s.InverseTimeDecay(0.1, 4, 0.5), s.InverseTimeDecay(0.1, 4, 0.5, staircase=True)
    for step in (0, 2, 4, 9):
        assert smooth(step) == pytest.approx(0.1 / (1 + 0.5 * step / 4))
        assert stairs(step) == pytest.approx(0.1 / (1 + 0.5 * (step // 4)))


def test_cosine_decay_closed_form_with_alpha_and_warmup():
    plain = s.CosineDecay(1.0, 10, alpha=0.2)
    for step in (0, 3, 10, 40):
        cosine = 0.5 * (1 + math.cos(math.pi * min(step, 10) / 10))
        assert plain(step) == pytest.approx(0.8 * cosine + 0.2)
    warm = s.CosineDecay(0.1, 10, warmup_target=1.0, warmup_steps=5)
    assert warm(0) == pytest.approx(0.1) and warm(2) == pytest.approx(0.1 + 0.9 * 2 / 5)
    assert warm(5) == pytest.approx(1.0) and warm(10) == pytest.approx(0.5) and warm(99) == pytest.approx(0.0)


def test_cosine_decay_restarts_periods_grow_and_shrink():
    schedule = s.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    assert schedule(0) == 1.0
    assert schedule(5) == pytest.approx(0.5)  # half of the first period
    assert schedule(10) == pytest.approx(0.5)  # restart at m_mul
    assert schedule(20) == pytest.approx(0.25)  # half of the second (20 steps long) period, times 0.5
    assert schedule(30) == pytest.approx(0.25)  # third restart: 0.5**2


@pytest.mark.parametrize(
    "schedule",
    [
        s.ExponentialDecay(0.1, 10, 0.5, staircase=True, name="e"),
        s.PiecewiseConstantDecay([1, 2], [0.3, 0.2, 0.1]),
        s.PolynomialDecay(0.1, 10, cycle=True),
        s.InverseTimeDecay(0.1, 10, 0.5),
        s.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=3),
        s.CosineDecayRestarts(0.1, 10, t_mul=1.5),
    ],
)
def test_configs_round_trip(schedule):
    again = s.deserialize(s.serialize(schedule))
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    assert [again(k) for k in range(0, 40, 7)] == [schedule(k) for k in range(0, 40, 7)]


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="decay_steps=0"):
        s.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="first_decay_steps=-1"):
        s.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="one element fewer"):
        s.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Did you mean 'CosineDecay'"):
        s.deserialize({"class_name": "CosineDecy", "config": {}})
    with pytest.raises(NotImplementedError, match="__call__"):
        s.LearningRateSchedule()(0)
