"""The optimizer seen through the estimators (issue 3).

Schedules as parameters (pickle, clone, grid search), every named schedule on
digits, the plateau schedule under partial_fit, early stopping, momentum,
averaging, L1 sparsity, divergence, verbose output, convergence warnings and
the step counter ``t_``.

The step size ``eta0`` used for each named schedule on digits (StandardScaler'd,
75/25 split, random_state=0, ``max_iter=100``, other parameters at their
defaults), all of which reach > 90% test accuracy with both estimators:

============= ======= =============================================
schedule      eta0    note
============= ======= =============================================
constant      0.1
optimal       (none)  ``1 / (alpha (t0 + t))``, set by ``alpha=1e-4``
invscaling    1.0     ``eta0 / (t + 1) ** 0.5``
adaptive      0.1     the default
step          0.1
exponential   0.5
cosine        0.1     decays over ``max_iter`` epochs
============= ======= =============================================
"""

import math
import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, PredefinedSplit, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd.schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    InverseScaling,
    Join,
    LinearWarmup,
    Optimal,
    ReduceOnPlateau,
    StepDecay,
)

ESTIMATORS = [LinearSVMSGD, SoftmaxSGD]

ETA0_PER_SCHEDULE = {
    "constant": 0.1,
    "optimal": None,  # the 'optimal' step is set by alpha (eta0 is refused)
    "invscaling": 1.0,
    "adaptive": 0.1,
    "step": 0.1,
    "exponential": 0.5,
    "cosine": 0.1,
}


@pytest.fixture(scope="module")
def digits():
    """StandardScaler'd digits, 75/25 split with random_state=0."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(
        n_samples=103, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    return X, y


def fit_quiet(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


class Recorder:
    """A callable learning rate that records the step counters it is called with."""

    def __init__(self, eta0=0.05):
        self.eta0 = eta0
        self.calls = []

    def __call__(self, t):
        self.calls.append(t)
        return self.eta0


# ------------------------------------------- schedules as parameters


def every_schedule():
    """Every schedule class, with non-default parameters."""
    return [
        Constant(0.05),
        InverseScaling(eta0=0.2, power_t=0.3),
        Optimal(alpha=1e-3, t0=50.0),
        StepDecay(eta0=0.2, factor=0.3, step_size=2, steps_per_epoch=3),
        ExponentialDecay(eta0=0.2, decay_rate=0.5, decay_steps=4, staircase=True),
        CosineDecay(
            eta0=0.2, decay_steps=5, min_fraction=0.1, restarts=True, t_mult=2.0
        ),
        LinearWarmup(eta0=0.2, warmup_steps=7, init_value=0.01),
        Join(
            [LinearWarmup(0.2, warmup_steps=5), CosineDecay(0.2, decay_steps=20)], [5]
        ),
        ReduceOnPlateau(Constant(0.2), factor=0.5, patience=2, tol=1e-3),
    ]


SCHEDULE_IDS = [type(s).__name__ for s in every_schedule()]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("schedule", every_schedule(), ids=SCHEDULE_IDS)
def test_clone_and_pickle_round_trips(blobs, Estimator, schedule):
    X, y = blobs
    est = Estimator(learning_rate=schedule, max_iter=4, tol=None, random_state=0)
    cloned = clone(est)
    lr = cloned.get_params()["learning_rate"]
    assert lr is not schedule
    assert type(lr) is type(schedule)
    assert repr(lr) == repr(schedule)
    np.testing.assert_allclose(
        [lr(t) for t in range(30)], [schedule(t) for t in range(30)], rtol=1e-15
    )

    est.fit(X, y)
    cloned.fit(X, y)
    np.testing.assert_array_equal(cloned.coef_, est.coef_)
    assert cloned.t_ == est.t_ == 4 * 1  # 103 samples in one batch of 256

    unpickled = pickle.loads(pickle.dumps(est))
    assert repr(unpickled.learning_rate) == repr(schedule)
    np.testing.assert_array_equal(unpickled.coef_, est.coef_)
    np.testing.assert_array_equal(
        unpickled.decision_function(X), est.decision_function(X)
    )
    assert unpickled.t_ == est.t_
    # both continue identically
    est.partial_fit(X, y)
    unpickled.partial_fit(X, y)
    np.testing.assert_array_equal(unpickled.coef_, est.coef_)
    assert unpickled.t_ == est.t_ == 5


@pytest.fixture(scope="module")
def validation_split():
    X, y = load_digits(return_X_y=True)
    X, y = X[:500], y[:500]
    test_fold = np.where(np.arange(500) < 375, -1, 0)  # last 125 rows validate
    return X, y, PredefinedSplit(test_fold)


def manual_validation_score(pipe, params, X, y):
    pipe = clone(pipe).set_params(**params)
    fit_quiet(pipe, X[:375], y[:375])
    return pipe.score(X[375:], y[375:])


def test_grid_search_over_nested_schedule_parameter(validation_split):
    X, y, cv = validation_split
    schedule = InverseScaling(eta0=0.5, power_t=0.5)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "est",
                SoftmaxSGD(
                    learning_rate=schedule, max_iter=10, tol=None, random_state=0
                ),
            ),
        ]
    )
    grid = {"est__learning_rate__eta0": [1e-4, 0.05, 1.0]}
    search = GridSearchCV(pipe, grid, cv=cv).fit(X, y)
    scores = search.cv_results_["split0_test_score"]
    for params, score in zip(search.cv_results_["params"], scores):
        assert score == pytest.approx(manual_validation_score(pipe, params, X, y))
    assert scores[0] < scores[2]  # eta0 really reaches the schedule
    best = search.best_estimator_.named_steps["est"].learning_rate
    assert isinstance(best, InverseScaling)
    assert best.eta0 == search.best_params_["est__learning_rate__eta0"]
    assert best.power_t == 0.5
    assert schedule.eta0 == 0.5  # the user's object is not modified


def test_grid_search_over_list_of_schedules(validation_split):
    X, y, cv = validation_split
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("est", LinearSVMSGD(max_iter=10, tol=None, random_state=0)),
        ]
    )
    candidates = [
        Constant(1e-5),
        StepDecay(eta0=0.1, factor=0.5, step_size=3, steps_per_epoch=2),
        Join(
            [LinearWarmup(0.1, warmup_steps=4), CosineDecay(0.1, decay_steps=16)], [4]
        ),
    ]
    search = GridSearchCV(pipe, {"est__learning_rate": candidates}, cv=cv).fit(X, y)
    scores = search.cv_results_["split0_test_score"]
    assert len(scores) == 3
    for params, score in zip(search.cv_results_["params"], scores):
        assert score == pytest.approx(manual_validation_score(pipe, params, X, y))
    assert scores[0] < max(scores[1:])
    best = search.best_estimator_.named_steps["est"].learning_rate
    assert repr(best) == repr(search.best_params_["est__learning_rate"])
    assert best is not search.best_params_["est__learning_rate"]


# -------------------------------------------- named schedules on digits


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("name", list(ETA0_PER_SCHEDULE))
def test_every_named_schedule_learns_digits(digits, Estimator, name):
    X_train, X_test, y_train, y_test = digits
    eta0 = ETA0_PER_SCHEDULE[name]
    est = Estimator(learning_rate=name, max_iter=100, random_state=0)
    if eta0 is not None:
        est.set_params(eta0=eta0)
    fit_quiet(est, X_train, y_train)
    assert est.score(X_test, y_test) > 0.90


# ------------------------------------------- 'adaptive' under partial_fit


def test_adaptive_lowers_the_step_under_partial_fit(digits, capsys):
    X_train, _, y_train, _ = digits
    X, y = X_train[:100], y_train[:100]
    est = SoftmaxSGD(
        learning_rate="adaptive", eta0=2.0, tol=1e-3, n_iter_no_change=3, verbose=1
    )
    scales = []
    for _ in range(80):
        est.partial_fit(X, y, classes=np.arange(10))  # the same chunk again
        scales.append(est._opt_state.lr_scale)
    scales = np.array(scales)
    assert scales[0] == 1.0
    assert np.all(np.diff(scales) <= 0)  # never raised
    assert scales[-1] < 1.0
    drops = scales[1:][np.diff(scales) < 0] / scales[:-1][np.diff(scales) < 0]
    np.testing.assert_allclose(drops, 0.2)  # scikit-learn's rule: divide by 5
    # the reported step size falls too
    out = capsys.readouterr().out
    steps = [float(s) for s in re.findall(r"step size\W+([-+0-9.eE]+)", out)]
    assert len(steps) == 80
    assert steps[-1] < steps[0]
    np.testing.assert_allclose(steps, 2.0 * scales, rtol=1e-2)


def test_constant_rate_is_never_lowered_under_partial_fit(digits):
    X_train, _, y_train, _ = digits
    est = SoftmaxSGD(learning_rate="constant", tol=1e-3, n_iter_no_change=3)
    for _ in range(30):
        est.partial_fit(X_train[:100], y_train[:100], classes=np.arange(10))
    assert est._opt_state.lr_scale == 1.0


# ------------------------------------------------------ early stopping


def indicator_problem(n=300):
    """An easy problem plus one indicator column per sample.

    The weight of sample i's indicator column moves only when sample i is in a
    training batch (its cross-entropy gradient never vanishes) and L2 shrinkage
    keeps a zero at zero, so after ``fit`` the all-zero indicator columns are
    exactly the rows held out for validation: the test can recompute the
    validation accuracy without reading the estimator's internals.
    """
    X, y = make_classification(
        n_samples=n,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        flip_y=0.1,
        class_sep=1.5,
        random_state=0,
    )
    return np.hstack([X, np.eye(n)]), y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_stopping_restores_the_best_epoch(seed):
    X, y = indicator_problem()
    est = SoftmaxSGD(
        early_stopping=True,
        validation_fraction=0.2,
        batch_size=32,
        max_iter=1000,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ < 1000
    assert len(est.validation_scores_) == len(est.loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)

    validation = np.flatnonzero(np.all(est.coef_[:, 5:] == 0, axis=0))
    assert validation.size == 60  # 20% of 300, as the stratified split holds out
    # stratified: each class keeps its share
    assert np.abs(np.bincount(y[validation]) - 0.2 * np.bincount(y)).max() <= 1
    assert est.score(X[validation], y[validation]) == pytest.approx(
        est.best_validation_score_, abs=1e-12
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_stops_on_an_easy_problem(Estimator):
    X, y = make_classification(
        n_samples=300, n_features=5, n_informative=3, class_sep=3.0, random_state=1
    )
    est = Estimator(early_stopping=True, max_iter=1000, tol=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ < 100
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_validation_score_ > 0.9


# ------------------------------------------------------------ momentum


def ill_conditioned_problem():
    """Features with scales from 0.05 to 2 (curvatures 1600 times apart)."""
    rng = np.random.default_rng(0)
    scales = np.geomspace(0.05, 2.0, 8)
    X = rng.normal(size=(400, 8)) * scales
    w = rng.normal(size=(3, 8)) / scales
    y = np.argmax(X @ w.T + rng.normal(size=(400, 3)), axis=1)
    return X, y


@pytest.mark.parametrize(
    "momentum_params",
    [{"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}],
    ids=["heavy-ball", "nesterov"],
)
def test_momentum_reaches_an_objective_in_fewer_epochs(momentum_params):
    """Full-batch steps: momentum reaches vanilla's 600-epoch objective in < 200."""
    X, y = ill_conditioned_problem()
    common = dict(
        batch_size="full",
        learning_rate="constant",
        eta0=0.5,
        alpha=1e-3,
        tol=None,
        random_state=0,
    )
    vanilla = SoftmaxSGD(max_iter=600, momentum=0.0, **common).fit(X, y)
    target = vanilla.loss_curve_[-1]
    fast = SoftmaxSGD(max_iter=200, **momentum_params, **common).fit(X, y)
    curve = np.array(fast.loss_curve_)
    assert (curve <= target).any(), (curve.min(), target)
    assert np.argmax(curve <= target) + 1 < 200
    assert fast.objective(X, y) < vanilla.objective(X, y)


# ----------------------------------------------------------- averaging


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("average", [True, 1200])
def test_averaging_lowers_the_variance_across_seeds(Estimator, average):
    X, y = make_classification(
        n_samples=600, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    common = dict(
        batch_size=10,
        learning_rate="constant",
        eta0=0.2,
        alpha=1e-3,
        max_iter=10,
        tol=None,
    )
    plain = [
        Estimator(random_state=s, **common).fit(X, y).objective(X, y) for s in range(8)
    ]
    averaged = [
        Estimator(random_state=s, average=average, **common).fit(X, y).objective(X, y)
        for s in range(8)
    ]
    assert np.var(averaged) < 0.1 * np.var(plain)
    assert np.mean(averaged) < np.mean(plain)


# ------------------------------------------------------------ sparsity


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_l1_gives_exact_zeros_growing_with_alpha(Estimator):
    X, y = make_classification(
        n_samples=400,
        n_features=30,
        n_informative=5,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    common = dict(
        learning_rate="constant", eta0=0.05, batch_size=32, max_iter=50, tol=None
    )

    def n_zeros(penalty, alpha):
        est = Estimator(
            penalty=penalty, alpha=alpha, l1_ratio=0.5, random_state=0, **common
        )
        return int(np.sum(est.fit(X, y).coef_ == 0))

    zeros = [n_zeros("l1", alpha) for alpha in (1e-4, 1e-2, 3e-2, 1e-1)]
    assert zeros[-1] > 0
    assert all(a < b for a, b in zip(zeros[1:-1], zeros[2:])), zeros
    assert zeros[0] <= zeros[1]
    l2, enet, l1 = (n_zeros(p, 0.1) for p in ("l2", "elasticnet", "l1"))
    assert l2 < enet < l1, (l2, enet, l1)


# -------------------------------------------------------------- verbose


NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"


@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_prints_one_line_per_epoch(blobs, capsys, early_stopping):
    X, y = blobs
    est = SoftmaxSGD(
        verbose=1,
        max_iter=4,
        tol=None,
        batch_size=16,
        learning_rate="constant",
        eta0=0.05,
        early_stopping=early_stopping,
        random_state=0,
    ).fit(X, y)
    lines = [
        line
        for line in capsys.readouterr().out.splitlines()
        if re.search(r"(?i)epoch", line)
    ]
    assert len(lines) == 4
    for epoch, line in enumerate(lines, start=1):
        assert int(re.search(r"(?i)epoch\D*(\d+)", line).group(1)) == epoch
        objective = float(re.search(r"(?i)objective\W+" + NUMBER, line).group(1))
        assert objective == pytest.approx(est.loss_curve_[epoch - 1], rel=1e-4)
        step = float(re.search(r"(?i)step size\W+" + NUMBER, line).group(1))
        assert step == pytest.approx(0.05)
        assert re.search(r"(?i)(elapsed|time)\W+" + NUMBER, line)
        if early_stopping:
            score = re.search(r"(?i)validation score\W+" + NUMBER, line).group(1)
            assert float(score) == pytest.approx(
                est.validation_scores_[epoch - 1], abs=1e-4
            )


def test_verbose_zero_is_silent(blobs, capsys):
    X, y = blobs
    SoftmaxSGD(max_iter=3, tol=None).fit(X, y)
    SoftmaxSGD().partial_fit(X, y, classes=[0, 1, 2])
    assert capsys.readouterr().out == ""


# ------------------------------------------------- convergence warnings


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_convergence_warning_when_max_iter_ends_the_fit(blobs, Estimator):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        Estimator(max_iter=2, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        Estimator(max_iter=2, learning_rate="constant", random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for learning_rate in ("adaptive", "constant"):
            est = Estimator(max_iter=2, tol=None, learning_rate=learning_rate)
            est.fit(X, y)
            assert est.n_iter_ == 2


# ------------------------------------------------------ the counter t_


def test_t_after_fit_counts_updates(blobs):
    X, y = blobs  # 103 samples
    recorder = Recorder()
    est = SoftmaxSGD(
        batch_size=10, max_iter=4, tol=None, shuffle=True, learning_rate=recorder
    ).fit(X, y)
    assert est.n_iter_ == 4
    assert est.t_ == 4 * math.ceil(103 / 10)
    assert recorder.calls == list(range(44))


def test_t_with_full_batch_counts_epochs(blobs):
    X, y = blobs
    est = LinearSVMSGD(batch_size="full", max_iter=7, tol=None).fit(X, y)
    assert est.t_ == 7


def test_refit_restarts_t_and_warm_start_continues_it(blobs):
    X, y = blobs
    first = Recorder()
    est = SoftmaxSGD(batch_size=10, max_iter=3, tol=None, learning_rate=first)
    est.fit(X, y)
    assert est.t_ == 33
    est.fit(X, y)  # a fit from scratch
    assert est.t_ == 33 and first.calls == list(range(33)) * 2
    coef = est.coef_.copy()

    second = Recorder(eta0=1e-12)
    est.set_params(warm_start=True, learning_rate=second)
    est.fit(X, y)
    assert est.t_ == 66
    assert second.calls == list(range(33, 66))
    np.testing.assert_allclose(est.coef_, coef, atol=1e-9)  # kept the solution

    cold = clone(est).set_params(warm_start=False)
    cold.fit(X, y)
    assert cold.t_ == 33
    np.testing.assert_allclose(cold.coef_, 0, atol=1e-9)


def test_partial_fit_continues_t(blobs):
    X, y = blobs
    recorder = Recorder()
    est = SoftmaxSGD(batch_size=10, learning_rate=recorder, max_iter=2, tol=None)
    est.partial_fit(X[:25], y[:25], classes=[0, 1, 2])
    assert est.t_ == 3
    est.partial_fit(X[25:], y[25:])
    assert est.t_ == 3 + 8
    assert recorder.calls == list(range(11))
    assert len(est.loss_curve_) == 2

    est.fit(X, y)  # fit restarts the counter ...
    assert est.t_ == 22
    est.partial_fit(X[:25], y[:25])  # ... and partial_fit continues it
    assert est.t_ == 25
    assert recorder.calls[11:] == list(range(25))


def test_set_params_between_partial_fit_calls(blobs):
    X, y = blobs
    first, second = Recorder(), Recorder()
    est = LinearSVMSGD(batch_size=10, learning_rate=first)
    est.partial_fit(X[:30], y[:30], classes=[0, 1, 2])
    est.set_params(learning_rate=second, batch_size=5)
    est.partial_fit(X[:30], y[:30])
    assert first.calls == [0, 1, 2]
    assert second.calls == list(range(3, 9))
    assert est.t_ == 9

    # a changed eta0 of a named schedule: a tiny step barely moves the model
    est.set_params(learning_rate="constant", eta0=1e-12)
    coef = est.coef_.copy()
    est.partial_fit(X, y)
    np.testing.assert_allclose(est.coef_, coef, atol=1e-9)
    est.set_params(eta0=0.5)
    est.partial_fit(X, y)
    assert np.abs(est.coef_ - coef).max() > 1e-3


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_chunk_smaller_than_batch_is_one_update(blobs, Estimator):
    X, y = blobs
    recorder = Recorder()
    est = Estimator(learning_rate=recorder)  # batch_size=256
    est.partial_fit(X[:7], y[:7], classes=[0, 1, 2])
    assert est.t_ == 1 and recorder.calls == [0]
    est.partial_fit(X, y)  # 103 < 256: one update
    assert est.t_ == 2 and recorder.calls == [0, 1]
    est.set_params(batch_size=50)
    est.partial_fit(X, y)  # three batches
    assert est.t_ == 5
