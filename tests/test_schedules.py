"""Tests for sklearn_linsgd.schedules."""

import copy
import doctest
import json
import math
import pickle

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_linsgd import schedules
from sklearn_linsgd.schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    InverseScaling,
    Join,
    LinearWarmup,
    Optimal,
    ReduceOnPlateau,
    Schedule,
    StepDecay,
)

STEPS = [0, 1, 2, 7, 9, 10, 11, 49, 50, 99, 100, 101, 1234, 10**6]


def make_schedules():
    """One instance of every schedule, with non-default parameters."""
    return [
        Constant(0.3),
        InverseScaling(eta0=0.2, power_t=0.7),
        Optimal(alpha=1e-3),
        Optimal(alpha=1e-2, t0=50.0),
        StepDecay(eta0=0.4, factor=0.3, step_size=7),
        StepDecay(eta0=0.4, factor=0.3, step_size=2, steps_per_epoch=5),
        ExponentialDecay(eta0=0.5, decay_rate=0.9, decay_steps=3),
        ExponentialDecay(0.5, 0.9, 2, steps_per_epoch=4, staircase=True),
        CosineDecay(eta0=0.2, decay_steps=40, min_fraction=0.1),
        CosineDecay(eta0=0.2, decay_steps=3, steps_per_epoch=5, restarts=True),
        CosineDecay(eta0=0.2, decay_steps=10, restarts=True, t_mult=2.0),
        LinearWarmup(eta0=0.3, warmup_steps=20, init_value=0.01),
        LinearWarmup(eta0=0.3, warmup_steps=2, steps_per_epoch=8),
        Join([LinearWarmup(0.1, warmup_steps=10), CosineDecay(0.1, 90)], [10]),
        Join([Constant(1.0), InverseScaling(1.0, 1.0), Constant(0.01)], [5, 50]),
        ReduceOnPlateau(),
        ReduceOnPlateau(base=StepDecay(0.1, 0.5, 10), factor=0.5, mode="max"),
    ]


def ids(schedule):
    return repr(schedule)


# --------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------


@pytest.mark.parametrize("t", STEPS)
def test_constant(t):
    assert Constant(0.25)(t) == 0.25
    assert Constant()(t) == 0.01


@pytest.mark.parametrize("t", STEPS)
def test_inverse_scaling(t):
    assert InverseScaling(0.2, 0.7)(t) == pytest.approx(0.2 / (t + 1) ** 0.7)
    # scikit-learn's counter starts at 1: eta = eta0 / t_sk ** power_t.
    t_sk = t + 1
    assert InverseScaling()(t) == pytest.approx(0.01 / math.pow(t_sk, 0.5))
    assert InverseScaling(0.5, 0.0)(t) == pytest.approx(0.5)


@pytest.mark.parametrize("t", STEPS)
def test_optimal_explicit_t0(t):
    assert Optimal(alpha=0.01, t0=100.0)(t) == pytest.approx(1 / (0.01 * (100 + t)))


@pytest.mark.parametrize("alpha", [1e-6, 1e-4, 0.1, 2.0])
@pytest.mark.parametrize("t", STEPS)
def test_optimal_default_t0_matches_sklearn(alpha, t):
    # scikit-learn (_plain_sgd): typw = sqrt(1 / sqrt(alpha)), initial eta0 =
    # typw / max(1, dloss(1, -typw)) = typw for hinge/log, optimal_init =
    # 1 / (eta0 * alpha), eta = 1 / (alpha * (optimal_init + t_sk - 1)).
    typw = np.sqrt(1.0 / np.sqrt(alpha))
    optimal_init = 1.0 / (typw * alpha)
    t_sk = t + 1
    expected = 1.0 / (alpha * (optimal_init + t_sk - 1))
    assert Optimal(alpha=alpha)(t) == pytest.approx(expected, rel=1e-12)


def test_optimal_first_step_is_typw():
    assert Optimal(alpha=1e-4)(0) == pytest.approx(10.0)
    assert Optimal(alpha=0.0625)(0) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("t", "expected"),
    [(0, 1.0), (1, 1.0), (6, 1.0), (7, 0.5), (13, 0.5), (14, 0.25), (70, 0.5**10)],
)
def test_step_decay_updates(t, expected):
    assert StepDecay(eta0=1.0, factor=0.5, step_size=7)(t) == pytest.approx(expected)


@pytest.mark.parametrize("t", STEPS)
def test_step_decay_epochs(t):
    sched = StepDecay(eta0=0.4, factor=0.3, step_size=2, steps_per_epoch=5)
    epoch = t // 5
    assert sched(t) == pytest.approx(0.4 * 0.3 ** (epoch // 2))


def test_step_decay_epoch_boundaries():
    sched = StepDecay(eta0=1.0, factor=0.1, step_size=3, steps_per_epoch=100)
    assert sched(299) == 1.0
    assert sched(300) == pytest.approx(0.1)
    assert sched(599) == pytest.approx(0.1)
    assert sched(600) == pytest.approx(0.01)


@pytest.mark.parametrize("t", STEPS)
def test_exponential_decay(t):
    sched = ExponentialDecay(eta0=0.5, decay_rate=0.9, decay_steps=3)
    assert sched(t) == pytest.approx(0.5 * 0.9 ** (t / 3), abs=1e-300)
    stair = ExponentialDecay(eta0=0.5, decay_rate=0.9, decay_steps=3, staircase=True)
    assert stair(t) == pytest.approx(0.5 * 0.9 ** (t // 3), abs=1e-300)


@pytest.mark.parametrize("t", STEPS)
def test_exponential_decay_epochs(t):
    sched = ExponentialDecay(0.5, 0.8, decay_steps=2, steps_per_epoch=4)
    assert sched(t) == pytest.approx(0.5 * 0.8 ** (t / 8), abs=1e-300)
    stair = ExponentialDecay(0.5, 0.8, 2, steps_per_epoch=4, staircase=True)
    assert stair(t) == pytest.approx(0.5 * 0.8 ** math.floor(t / 8), abs=1e-300)


def test_exponential_decay_staircase_is_flat_within_period():
    stair = ExponentialDecay(1.0, 0.5, decay_steps=4, staircase=True)
    assert [stair(t) for t in range(9)] == [1.0] * 4 + [0.5] * 4 + [0.25]
    smooth = ExponentialDecay(1.0, 0.5, decay_steps=4)
    assert smooth(2) == pytest.approx(0.5**0.5)


def cosine_ref(t, eta0, period, m):
    t = min(t, period)
    return eta0 * (m + (1 - m) * 0.5 * (1 + math.cos(math.pi * t / period)))


@pytest.mark.parametrize("t", STEPS)
def test_cosine_decay(t):
    sched = CosineDecay(eta0=0.2, decay_steps=100, min_fraction=0.1)
    assert sched(t) == pytest.approx(cosine_ref(t, 0.2, 100, 0.1))
    assert CosineDecay()(t) == pytest.approx(cosine_ref(t, 0.01, 1000, 0.0), abs=1e-18)


def test_cosine_decay_key_points():
    sched = CosineDecay(eta0=1.0, decay_steps=10, min_fraction=0.2)
    assert sched(0) == 1.0
    assert sched(5) == pytest.approx(0.2 + 0.8 * 0.5)
    assert sched(10) == pytest.approx(0.2)
    assert sched(10**6) == pytest.approx(0.2)  # stays at the floor


@pytest.mark.parametrize("t", STEPS)
def test_cosine_decay_epochs(t):
    sched = CosineDecay(eta0=0.2, decay_steps=3, steps_per_epoch=5)
    assert sched(t) == pytest.approx(cosine_ref(t, 0.2, 15, 0.0), abs=1e-15)


@pytest.mark.parametrize("t", STEPS)
def test_cosine_restarts_constant_period(t):
    sched = CosineDecay(eta0=0.2, decay_steps=3, steps_per_epoch=5, restarts=True)
    assert sched(t) == pytest.approx(cosine_ref(t % 15, 0.2, 15, 0.0), abs=1e-15)


def test_cosine_restarts_period_start_equals_eta0():
    sched = CosineDecay(eta0=0.7, decay_steps=10, min_fraction=0.1, restarts=True)
    for k in range(1, 6):
        assert sched(10 * k) == pytest.approx(0.7)
        assert sched(10 * k + 5) == pytest.approx(0.7 * (0.1 + 0.9 * 0.5))
        assert sched(10 * k - 1) == pytest.approx(cosine_ref(9, 0.7, 10, 0.1))
    no_restart = CosineDecay(eta0=0.7, decay_steps=10, min_fraction=0.1)
    assert no_restart(20) == pytest.approx(0.07)


def test_cosine_restarts_t_mult_2():
    # Periods of 10, 20, 40, 80 updates starting at 0, 10, 30, 70, 150.
    sched = CosineDecay(eta0=1.0, decay_steps=10, restarts=True, t_mult=2.0)
    starts, lengths = [0, 10, 30, 70, 150], [10, 20, 40, 80]
    for start, length in zip(starts, lengths):
        assert sched(start) == pytest.approx(1.0)
        assert sched(start + length // 2) == pytest.approx(0.5)
        for offset in (1, 3, length - 1):
            assert sched(start + offset) == pytest.approx(
                cosine_ref(offset, 1.0, length, 0.0)
            )
    assert sched(150) == pytest.approx(1.0)


@pytest.mark.parametrize("t_mult", [2.0, 3.0, 1.5])
def test_cosine_restarts_t_mult_many_periods(t_mult):
    sched = CosineDecay(eta0=1.0, decay_steps=4, restarts=True, t_mult=t_mult)
    start, length = 0.0, 4.0
    for _ in range(12):
        t = math.ceil(start)
        assert sched(t) == pytest.approx(cosine_ref(t - start, 1.0, length, 0.0))
        mid = math.floor(start + length / 2)
        assert sched(mid) == pytest.approx(cosine_ref(mid - start, 1.0, length, 0.0))
        start, length = start + length, length * t_mult


@pytest.mark.parametrize("t", STEPS)
def test_linear_warmup(t):
    sched = LinearWarmup(eta0=0.3, warmup_steps=20, init_value=0.01)
    expected = 0.01 + (0.3 - 0.01) * min(t, 20) / 20
    assert sched(t) == pytest.approx(expected)


def test_linear_warmup_epochs():
    sched = LinearWarmup(eta0=0.4, warmup_steps=2, steps_per_epoch=8)
    assert sched(0) == 0.0
    assert sched(4) == pytest.approx(0.1)
    assert sched(8) == pytest.approx(0.2)
    assert sched(16) == pytest.approx(0.4)
    assert sched(1000) == pytest.approx(0.4)


# --------------------------------------------------------------------------
# Join
# --------------------------------------------------------------------------


def test_join_two_pieces_later_piece_sees_offset():
    sched = Join([LinearWarmup(1.0, warmup_steps=10), InverseScaling(1.0, 1.0)], [10])
    assert sched(0) == 0.0
    assert sched(9) == pytest.approx(0.9)
    # At the boundary the second piece is called with t - 10 = 0, 1, ...
    assert sched(10) == pytest.approx(1.0)
    assert sched(11) == pytest.approx(1 / 2)
    assert sched(19) == pytest.approx(1 / 10)


def test_join_three_pieces_boundaries():
    sched = Join(
        [lambda t: 1000.0 + t, lambda t: 2000.0 + t, lambda t: 3000.0 + t], [5, 12]
    )
    expected = {0: 1000, 4: 1004, 5: 2000, 6: 2001, 11: 2006, 12: 3000, 13: 3001}
    for t, value in expected.items():
        assert sched(t) == value
    assert sched(10**6) == 3000.0 + 10**6 - 12


def test_join_three_schedules():
    sched = Join([Constant(1.0), StepDecay(1.0, 0.5, 2), Constant(0.01)], [3, 9])
    values = [sched(t) for t in range(2, 11)]
    # t = 2 | 3, 4 -> StepDecay(0, 1) | 5, 6 -> (2, 3) | 7, 8 -> (4, 5) | 9, 10
    assert values == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.01, 0.01]


def test_join_single_piece():
    assert Join([Constant(0.2)], [])(17) == 0.2


def test_join_non_vectorized_piece_on_array():
    sched = Join([Constant(1.0), lambda t: math.exp(-t)], [3])
    steps = np.arange(8)
    np.testing.assert_allclose(sched(steps), [sched(int(t)) for t in steps])


# --------------------------------------------------------------------------
# ReduceOnPlateau
# --------------------------------------------------------------------------


def run(sched, values, state=None):
    state = sched.init_state() if state is None else state
    history = []
    for value in values:
        before = copy.deepcopy(state)
        new = sched.update(state, value)
        assert state == before, "update must not mutate its input"
        assert new is not state
        history.append(new)
        state = new
    return history


def test_reduce_on_plateau_init_state():
    state = ReduceOnPlateau().init_state()
    assert state == {"scale": 1.0, "best": None, "bad_epochs": 0, "exhausted": False}
    assert ReduceOnPlateau().init_state() is not ReduceOnPlateau().init_state()


def test_reduce_on_plateau_min():
    sched = ReduceOnPlateau(Constant(1.0), factor=0.5, patience=3, tol=0.1)
    hist = run(sched, [10.0, 9.0, 8.95, 8.95, 8.95, 8.0, 8.0, 8.0, 8.0])
    assert [h["best"] for h in hist] == [10.0, 9.0, 8.95, 8.95, 8.95] + [8.0] * 4
    assert [h["bad_epochs"] for h in hist] == [0, 0, 1, 2, 0, 0, 1, 2, 0]
    assert [h["scale"] for h in hist] == [1.0] * 4 + [0.5] * 4 + [0.25]
    assert not any(h["exhausted"] for h in hist)
    assert sched(123, scale=hist[-1]["scale"]) == 0.25


def test_reduce_on_plateau_best_tracks_sub_tol_progress():
    # Each epoch improves by less than tol: best follows the values (as in
    # scikit-learn) but the epochs count as bad ones.
    sched = ReduceOnPlateau(Constant(1.0), factor=0.2, patience=3, tol=0.1)
    hist = run(sched, [10.0, 9.95, 9.9, 9.85])
    assert [h["best"] for h in hist] == [10.0, 9.95, 9.9, 9.85]
    assert hist[-1]["scale"] == pytest.approx(0.2)
    assert hist[-1]["bad_epochs"] == 0


def test_reduce_on_plateau_worse_value_keeps_best():
    sched = ReduceOnPlateau(Constant(1.0), patience=2, tol=0.0)
    hist = run(sched, [1.0, 5.0, 0.5, float("nan"), 0.5])
    assert [h["best"] for h in hist] == [1.0, 1.0, 0.5, 0.5, 0.5]
    assert [h["bad_epochs"] for h in hist] == [0, 1, 0, 1, 0]
    assert hist[-1]["scale"] == pytest.approx(0.2)


def test_reduce_on_plateau_max():
    sched = ReduceOnPlateau(Constant(1.0), factor=0.5, patience=2, tol=0.01, mode="max")
    hist = run(sched, [0.5, 0.6, 0.605, 0.7, 0.6, 0.65, 0.69])
    assert [h["best"] for h in hist] == [0.5, 0.6, 0.605, 0.7, 0.7, 0.7, 0.7]
    assert [h["bad_epochs"] for h in hist] == [0, 0, 1, 0, 1, 0, 1]
    assert [h["scale"] for h in hist] == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]


def test_reduce_on_plateau_exhausted():
    sched = ReduceOnPlateau(Constant(1e-5), factor=0.2, patience=1, min_step=1e-6)
    hist = run(sched, [1.0, 1.0, 1.0, 1.0, 0.5])
    assert [h["scale"] for h in hist] == [1.0, 0.2, 0.2, 0.2, 0.2]
    assert [h["exhausted"] for h in hist] == [False, False, True, True, False]
    assert [h["bad_epochs"] for h in hist] == [0, 0, 0, 0, 0]
    # The scale never brings the step size below min_step.
    assert sched(0, scale=hist[-1]["scale"]) >= 1e-6


def test_reduce_on_plateau_state_is_plain_data():
    sched = ReduceOnPlateau(Constant(1.0), patience=1)
    hist = run(sched, [np.float64(2.0), np.float32(3.0), 4])
    for state in hist:
        assert json.loads(json.dumps(state)) == state
        assert type(state["scale"]) is float
        assert type(state["best"]) is float
        assert type(state["bad_epochs"]) is int
        assert type(state["exhausted"]) is bool


def test_reduce_on_plateau_call():
    assert ReduceOnPlateau()(10) == 0.01
    assert ReduceOnPlateau()(10, scale=0.5) == pytest.approx(0.005)
    sched = ReduceOnPlateau(base=InverseScaling(1.0, 1.0))
    assert sched(3, scale=0.5) == pytest.approx(0.125)
    np.testing.assert_allclose(sched(np.array([0, 1]), scale=2.0), [2.0, 1.0])


def test_reduce_on_plateau_accepts_state_without_exhausted_key():
    sched = ReduceOnPlateau(Constant(1.0), patience=1, factor=0.5)
    state = {"scale": 1.0, "best": 1.0, "bad_epochs": 0}
    assert sched.update(state, 2.0)["scale"] == 0.5


# --------------------------------------------------------------------------
# get_params / set_params / repr
# --------------------------------------------------------------------------


def test_get_params():
    assert Constant(0.1).get_params() == {"eta0": 0.1}
    assert StepDecay().get_params() == {
        "eta0": None,
        "factor": 0.5,
        "step_size": 10,
        "steps_per_epoch": None,
    }
    base = Constant(0.1)
    sched = ReduceOnPlateau(base=base, patience=3)
    deep = sched.get_params(deep=True)
    assert deep["base"] is base
    assert deep["base__eta0"] == 0.1
    assert deep["patience"] == 3
    shallow = sched.get_params(deep=False)
    assert "base__eta0" not in shallow
    assert set(shallow) == {"base", "factor", "patience", "tol", "min_step", "mode"}
    assert Schedule().get_params() == {}


def test_set_params():
    sched = StepDecay()
    assert sched.set_params(eta0=0.5, factor=0.1) is sched
    assert (sched.eta0, sched.factor) == (0.5, 0.1)
    assert sched(10) == pytest.approx(0.05)
    assert sched.set_params() is sched


def test_set_params_nested():
    sched = ReduceOnPlateau(base=Constant(0.1)).set_params(base__eta0=0.5)
    assert sched.base.eta0 == 0.5
    assert sched(3) == 0.5
    # Replacing the sub-object and setting its parameter in one call.
    sched.set_params(base=InverseScaling(), base__power_t=1.0, factor=0.5)
    assert isinstance(sched.base, InverseScaling)
    assert sched.base.power_t == 1.0
    assert sched.factor == 0.5


def test_set_params_invalid():
    msg = (
        r"Invalid parameter 'x' for schedule Constant\(eta0=None\)\. "
        r"Valid parameters are: \['eta0'\]\."
    )
    with pytest.raises(ValueError, match=msg):
        Constant().set_params(x=1)
    with pytest.raises(ValueError, match="Invalid parameter 'bse'"):
        ReduceOnPlateau().set_params(bse__eta0=1)
    with pytest.raises(ValueError, match="Invalid parameter 'base__eta0'"):
        ReduceOnPlateau(base=None).set_params(base__eta0=1)
    with pytest.raises(ValueError, match="Invalid parameter 'etaa'"):
        ReduceOnPlateau(base=Constant()).set_params(base__etaa=1)


def test_repr():
    assert repr(Constant(0.1)) == "Constant(eta0=0.1)"
    assert repr(StepDecay(0.1, steps_per_epoch=3)) == (
        "StepDecay(eta0=0.1, factor=0.5, step_size=10, steps_per_epoch=3)"
    )
    assert repr(ReduceOnPlateau(Constant(0.1), mode="max")) == (
        "ReduceOnPlateau(base=Constant(eta0=0.1), factor=0.2, patience=5, "
        "tol=0.001, min_step=1e-06, mode='max')"
    )
    assert repr(Join([Constant(1.0)], [])) == (
        "Join(schedules=[Constant(eta0=1.0)], boundaries=[])"
    )


# --------------------------------------------------------------------------
# pickle, clone, vectorization
# --------------------------------------------------------------------------


def assert_same_values(a, b):
    for t in STEPS:
        assert a(t) == b(t)


@pytest.mark.parametrize("sched", make_schedules(), ids=ids)
def test_pickle_round_trip(sched):
    restored = pickle.loads(pickle.dumps(sched))
    assert type(restored) is type(sched)
    assert restored is not sched
    assert repr(restored) == repr(sched)
    assert_same_values(restored, sched)


@pytest.mark.parametrize("sched", make_schedules(), ids=ids)
def test_clone_round_trip(sched):
    cloned = clone(sched)
    assert type(cloned) is type(sched)
    assert cloned is not sched
    assert repr(cloned) == repr(sched)
    assert_same_values(cloned, sched)
    for name, value in sched.get_params(deep=False).items():
        if hasattr(value, "get_params"):
            assert getattr(cloned, name) is not value
    if isinstance(sched, Join):
        assert cloned.schedules is not sched.schedules
        assert all(c is not s for c, s in zip(cloned.schedules, sched.schedules))


def test_clone_is_independent():
    sched = ReduceOnPlateau(base=Constant(0.1))
    cloned = clone(sched)
    cloned.set_params(base__eta0=0.9)
    assert sched.base.eta0 == 0.1


@pytest.mark.parametrize("sched", make_schedules(), ids=ids)
def test_vectorized_matches_scalar(sched):
    steps = np.array(STEPS)
    values = sched(steps)
    assert isinstance(values, np.ndarray)
    assert values.dtype == np.float64
    assert values.shape == steps.shape
    np.testing.assert_allclose(values, [sched(int(t)) for t in steps], rtol=1e-12)
    grid = steps[:12].reshape(3, 4)
    np.testing.assert_allclose(sched(grid), values[:12].reshape(3, 4), rtol=1e-12)


@pytest.mark.parametrize("sched", make_schedules(), ids=ids)
def test_scalar_call_returns_python_float(sched):
    for step in (0, 7, np.int64(7), np.int32(7), np.uint64(7)):
        value = sched(step)
        assert type(value) is float
        assert value == sched(7) or step == 0


@pytest.mark.parametrize("sched", make_schedules(), ids=ids)
def test_validate_accepts_valid_parameters(sched):
    assert sched.validate() is None


# --------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sched", "match"),
    [
        (Constant(0.0), r"Constant: eta0 must be a real number > 0, got 0\.0"),
        (Constant(-1), "eta0 must be a real number > 0"),
        (Constant("0.1"), "eta0 must be a real number > 0, got '0.1'"),
        (Constant(float("nan")), "eta0 must be a real number > 0"),
        (InverseScaling(power_t=float("inf")), "power_t must be a real number"),
        (Optimal(alpha=0.0), "alpha must be > 0 for the 'optimal' schedule"),
        (Optimal(alpha=-1.0), "use another schedule with alpha=0"),
        (Optimal(t0=0), "t0 must be a real number > 0"),
        (StepDecay(factor=0.0), r"factor must be a real number in \(0, 1\]"),
        (StepDecay(factor=1.5), r"factor must be a real number in \(0, 1\]"),
        (StepDecay(step_size=0), "step_size must be an integer >= 1"),
        (StepDecay(step_size=2.5), "step_size must be an integer >= 1"),
        (StepDecay(steps_per_epoch=-3), "steps_per_epoch must be an integer >= 1"),
        (ExponentialDecay(decay_rate=1.2), "decay_rate must be a real number in"),
        (ExponentialDecay(decay_steps=0), "decay_steps must be a real number > 0"),
        (ExponentialDecay(staircase="yes"), "staircase must be a bool"),
        (CosineDecay(decay_steps=-1), "decay_steps must be a real number > 0"),
        (CosineDecay(min_fraction=1.5), r"min_fraction must be a real number in \[0"),
        (CosineDecay(t_mult=0.5), "t_mult must be a real number >= 1"),
        (CosineDecay(restarts=None), "restarts must be a bool"),
        (LinearWarmup(warmup_steps=0), "warmup_steps must be a real number > 0"),
        (LinearWarmup(init_value=-0.1), "init_value must be a real number >= 0"),
        (LinearWarmup(eta0=0), "LinearWarmup: eta0 must be"),
        (Join([], []), "schedules must be a non-empty list"),
        (Join([Constant()], [3]), "len"),
        (Join([Constant(), Constant()], []), "len"),
        (Join([Constant(), Constant()], [-1]), "boundaries must be integers >= 0"),
        (Join([Constant(), Constant()], [1.5]), "boundaries must be integers >= 0"),
        (Join([Constant()] * 3, [5, 5]), "boundaries must be strictly increasing"),
        (Join([Constant()] * 3, [6, 5]), "boundaries must be strictly increasing"),
        (Join([Constant(), 0.1], [5]), "schedules must be callables"),
        (Join([Constant(), Constant(-1.0)], [5]), "Constant: eta0 must be"),
        (ReduceOnPlateau(base=0.1), "base must be a schedule"),
        (ReduceOnPlateau(base=StepDecay(factor=2)), "StepDecay: factor must be"),
        (ReduceOnPlateau(factor=1.0), r"factor must be a real number in \(0, 1\)"),
        (ReduceOnPlateau(patience=0), "patience must be an integer >= 1"),
        (ReduceOnPlateau(tol=-1e-3), "tol must be a real number >= 0"),
        (ReduceOnPlateau(min_step=-1.0), "min_step must be a real number >= 0"),
        (ReduceOnPlateau(mode="maximize"), "mode must be 'min' or 'max'"),
    ],
    ids=ids,
)
def test_validate_rejects(sched, match):
    with pytest.raises(ValueError, match=match):
        sched.validate()


def test_init_does_not_validate():
    sched = Constant(-1.0)  # no error until validate()
    assert sched.eta0 == -1.0


def test_all_lists_public_classes():
    assert set(schedules.__all__) == {
        "Schedule",
        "Constant",
        "InverseScaling",
        "Optimal",
        "StepDecay",
        "ExponentialDecay",
        "CosineDecay",
        "LinearWarmup",
        "Join",
        "ReduceOnPlateau",
    }
    for name in schedules.__all__:
        assert issubclass(getattr(schedules, name), Schedule)


def test_docstring_examples():
    result = doctest.testmod(schedules, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 9
    assert result.failed == 0
