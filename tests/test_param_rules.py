"""A parameter either takes effect or is refused with a message saying why.

The one rule for step sizes: a schedule object's ``eta0`` (and
``InverseScaling``'s ``power_t``) left at None takes the estimator's; set on
both, it is refused.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD, schedules

X = np.random.default_rng(0).normal(size=(120, 5))
Y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)

# Every schedule class with an eta0, with its other parameters.
ETA0_SCHEDULES = {
    "Constant": lambda: schedules.Constant(),
    "InverseScaling": lambda: schedules.InverseScaling(),
    "StepDecay": lambda: schedules.StepDecay(step_size=1, steps_per_epoch=1),
    "ExponentialDecay": lambda: schedules.ExponentialDecay(decay_steps=2),
    "CosineDecay": lambda: schedules.CosineDecay(decay_steps=20),
    "LinearWarmup": lambda: schedules.LinearWarmup(warmup_steps=3),
    "ReduceOnPlateau": lambda: schedules.ReduceOnPlateau(),
    "ReduceOnPlateau(Constant)": lambda: schedules.ReduceOnPlateau(
        schedules.Constant()
    ),
    "Join": lambda: schedules.Join(
        [schedules.LinearWarmup(warmup_steps=2), schedules.CosineDecay()], [2]
    ),
}
FIT = dict(batch_size=16, max_iter=3, tol=None, random_state=0)


@pytest.mark.parametrize("name", ETA0_SCHEDULES)
@pytest.mark.parametrize("cls", [LinearSVMSGD, SoftmaxSGD])
def test_schedule_without_eta0_takes_the_estimators(name, cls):
    make = ETA0_SCHEDULES[name]
    small = cls(learning_rate=make(), eta0=0.001, **FIT).fit(X, Y)
    large = cls(learning_rate=make(), eta0=0.5, **FIT).fit(X, Y)
    assert not np.allclose(small.coef_, large.coef_)
    # the same as the schedule with that eta0 set in it
    explicit = make()
    pieces = [*getattr(explicit, "schedules", []), getattr(explicit, "base", None)]
    for node in [explicit, *(p for p in pieces if p is not None)]:
        if "eta0" in node.get_params(deep=False):
            node.set_params(eta0=0.5)
    if isinstance(explicit, schedules.ReduceOnPlateau) and explicit.base is None:
        explicit.base = schedules.Constant(0.5)
    same = cls(learning_rate=explicit, **FIT).fit(X, Y)
    np.testing.assert_array_equal(same.coef_, large.coef_)


@pytest.mark.parametrize(
    "sched",
    [
        schedules.Constant(0.05),
        schedules.InverseScaling(eta0=0.05),
        schedules.CosineDecay(eta0=0.05),
        schedules.ReduceOnPlateau(schedules.StepDecay(eta0=0.05)),
        schedules.Join([schedules.LinearWarmup(0.05), schedules.Constant()], [3]),
    ],
    ids=repr,
)
def test_eta0_set_twice_is_refused(sched):
    est = SoftmaxSGD(learning_rate=sched, eta0=0.7)
    with pytest.raises(ValueError, match="eta0 is set both on the estimator and in"):
        est.fit(X, Y)
    # one place is fine: the schedule's own eta0 with the estimator's default
    SoftmaxSGD(learning_rate=sched, **FIT).fit(X, Y)


def test_power_t_rule():
    sched = schedules.InverseScaling(eta0=0.1)
    a = SoftmaxSGD(learning_rate=sched, power_t=0.25, **FIT).fit(X, Y)
    b = SoftmaxSGD(learning_rate=sched, power_t=0.75, **FIT).fit(X, Y)
    assert not np.allclose(a.coef_, b.coef_)
    with pytest.raises(ValueError, match="power_t is set both"):
        SoftmaxSGD(
            learning_rate=schedules.InverseScaling(power_t=0.3), power_t=0.7
        ).fit(X, Y)
    with pytest.raises(ValueError, match="power_t does not apply to learning_rate"):
        SoftmaxSGD(learning_rate=schedules.Constant(), power_t=0.7).fit(X, Y)
    with pytest.raises(ValueError, match="power_t applies to learning_rate='invsc"):
        SoftmaxSGD(learning_rate="constant", power_t=0.7).fit(X, Y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"learning_rate": "optimal", "eta0": 0.7}, "eta0 does not apply to .*opt"),
        ({"learning_rate": 0.05, "eta0": 0.7}, "eta0 does not apply to"),
        ({"learning_rate": lambda t: 0.1, "eta0": 0.7}, "eta0 does not apply to"),
        (
            {"learning_rate": schedules.Optimal(alpha=1e-3), "eta0": 0.7},
            "eta0 does not apply to learning_rate=Optimal",
        ),
        ({"nesterov": True}, "nesterov=True needs momentum > 0"),
    ],
)
def test_ignored_parameter_is_refused(params, message):
    for cls in (LinearSVMSGD, SoftmaxSGD):
        est = cls(**params)
        with pytest.raises(ValueError, match=message) as info:
            est.fit(X, Y)
        assert str(info.value).startswith(cls.__name__)
        assert "refused" in str(info.value)
        with pytest.raises(ValueError, match=message):
            est.partial_fit(X, Y, classes=[0, 1, 2])


def test_grid_over_eta0_with_a_schedule_object_changes_the_fits():
    pipe = make_pipeline(
        StandardScaler(),
        SoftmaxSGD(learning_rate=schedules.CosineDecay(decay_steps=5), **FIT),
    )
    grid = GridSearchCV(
        pipe, {"softmaxsgd__eta0": [1e-3, 0.03, 1.0]}, cv=3, scoring="neg_log_loss"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, Y)
    scores = grid.cv_results_["mean_test_score"]
    assert len(set(np.round(scores, 12))) > 1  # the fits differ


def test_grid_over_eta0_with_explicit_schedule_eta0_is_refused():
    pipe = make_pipeline(
        StandardScaler(), SoftmaxSGD(learning_rate=schedules.CosineDecay(eta0=0.1))
    )
    grid = GridSearchCV(
        pipe, {"softmaxsgd__eta0": [1e-3, 0.03]}, cv=3, error_score="raise"
    )
    with pytest.raises(ValueError, match="eta0 is set both"):
        grid.fit(X, Y)
