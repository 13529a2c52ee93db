"""Tests of sklearn_linsgd.baselines: the notes' random search strategies."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd.baselines import (
    RandomLocalSearchClassifier,
    RandomSearchClassifier,
)

BASELINES = [RandomSearchClassifier, RandomLocalSearchClassifier]


@parametrize_with_checks(
    [
        RandomSearchClassifier(n_iter=50),
        RandomLocalSearchClassifier(n_iter=50),
        RandomLocalSearchClassifier(n_iter=50, loss="log_loss", fit_intercept=False),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.mark.parametrize("loss", ["hinge", "log_loss"])
def test_strategies_rank_as_in_the_notes_on_digits(digits_split, loss):
    X_train, X_test, y_train, y_test = digits_split
    search = RandomSearchClassifier(loss=loss, n_iter=300, random_state=0)
    local = RandomLocalSearchClassifier(
        loss=loss, n_iter=300, step_size=0.01, random_state=0
    )
    sgd = SoftmaxSGD(random_state=0, max_iter=20, tol=None)
    accuracies = [
        est.fit(X_train, y_train).score(X_test, y_test) for est in (search, local, sgd)
    ]
    chance = 1 / 10
    assert chance < accuracies[0] < accuracies[1] < accuracies[2]
    # And on the objective they all minimise:
    assert local.best_objective_ < search.best_objective_


@pytest.mark.parametrize("Baseline", BASELINES)
@pytest.mark.parametrize("loss", ["hinge", "log_loss"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_objective_is_the_sgd_estimators_objective(Baseline, loss, n_classes):
    X, y = load_iris(return_X_y=True)
    keep = y < n_classes
    X, y = X[keep], y[keep]
    sample_weight = np.linspace(0.5, 2.0, y.size)
    clf = Baseline(loss=loss, alpha=0.01, n_iter=20, random_state=0).fit(
        X, y, sample_weight
    )
    Reference = LinearSVMSGD if loss == "hinge" else SoftmaxSGD
    ref = Reference(alpha=0.01)
    ref.classes_, ref.n_features_in_ = clf.classes_, X.shape[1]
    ref.coef_, ref.intercept_ = clf.coef_, clf.intercept_
    assert clf.objective(X, y, sample_weight) == pytest.approx(
        ref.objective(X, y, sample_weight), rel=1e-12
    )
    assert clf.best_objective_ == pytest.approx(
        ref.objective(X, y, sample_weight), rel=1e-12
    )
    assert clf.coef_.shape == (1 if n_classes == 2 else n_classes, 4)


def test_random_search_keeps_the_best_of_the_draws():
    X, y = load_iris(return_X_y=True)
    clf = RandomSearchClassifier(n_iter=30, random_state=0).fit(X, y)
    # Replay the draws independently.
    rng = np.random.RandomState(0)
    values = []
    for _ in range(30):
        coef = 0.001 * rng.standard_normal((3, 4))
        intercept = 0.001 * rng.standard_normal(3)
        ref = LinearSVMSGD()
        ref.classes_, ref.n_features_in_ = clf.classes_, 4
        ref.coef_, ref.intercept_ = coef, intercept
        values.append(ref.objective(X, y))
    best = int(np.argmin(values))
    np.testing.assert_allclose(clf.loss_curve_, np.minimum.accumulate(values))
    assert clf.best_objective_ == pytest.approx(values[best])
    assert clf.n_iter_ == 30


def test_random_local_search_accepts_only_improvements():
    X, y = load_iris(return_X_y=True)
    clf = RandomLocalSearchClassifier(
        loss="log_loss", n_iter=200, step_size=0.01, random_state=0
    ).fit(X, y)
    curve = clf.loss_curve_
    assert curve.shape == (200,)
    assert np.all(np.diff(curve) <= 0)
    # Every drop of the curve is an accepted proposal (the first proposal's
    # acceptance is a drop from the start, which the curve does not show).
    n_drops = np.count_nonzero(np.diff(curve) < 0)
    assert clf.n_accepted_ in (n_drops, n_drops + 1)
    assert 0 < clf.n_accepted_ < 200
    assert curve[-1] == pytest.approx(clf.objective(X, y))


@pytest.mark.parametrize("Baseline", BASELINES)
def test_reproducible_sparse_and_no_intercept(Baseline):
    X, y = load_iris(return_X_y=True)
    a = Baseline(n_iter=40, random_state=1).fit(X, y)
    b = Baseline(n_iter=40, random_state=1).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(a.coef_, b.coef_)
    np.testing.assert_allclose(a.intercept_, b.intercept_)
    c = Baseline(n_iter=40, random_state=1, fit_intercept=False).fit(X, y)
    np.testing.assert_array_equal(c.intercept_, np.zeros(3))


@pytest.mark.parametrize("Baseline", BASELINES)
def test_binary_decision_function_and_string_labels(Baseline):
    X, y = load_iris(return_X_y=True)
    X, y = X[y < 2], np.where(y[y < 2] == 1, "yes", "no")
    clf = Baseline(n_iter=100, random_state=0, weight_scale=0.1).fit(X, y)
    scores = clf.decision_function(X)
    assert scores.shape == (y.size,)
    np.testing.assert_array_equal(clf.predict(X), np.where(scores > 0, "yes", "no"))
    np.testing.assert_allclose(scores, X @ clf.coef_[0] + clf.intercept_[0])


def test_baselines_in_grid_search():
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        RandomLocalSearchClassifier(n_iter=50, random_state=0),
        {"step_size": [1e-3, 1e-1]},
        cv=3,
    ).fit(X, y)
    assert search.best_params_["step_size"] in (1e-3, 1e-1)
    assert clone(search.best_estimator_).get_params()["n_iter"] == 50


def test_parameter_validation_and_label_errors():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="loss"):
        RandomSearchClassifier(loss="squared").fit(X, y)
    with pytest.raises(ValueError, match="step_size"):
        RandomLocalSearchClassifier(step_size=0).fit(X, y)
    with pytest.raises(ValueError, match="greater than one"):
        RandomSearchClassifier(n_iter=2).fit(X, np.zeros(len(y)))
    clf = RandomSearchClassifier(n_iter=2).fit(X, y)
    with pytest.raises(ValueError, match=r"labels \[7\]"):
        clf.objective(X, np.full(len(y), 7))
