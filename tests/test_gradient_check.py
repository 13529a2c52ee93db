"""Tests of sklearn_linsgd.gradient_check: numerical gradients and the check."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd.gradient_check import (
    check_gradient,
    check_gradient_sparse,
    numerical_gradient,
)


def _data(n_samples=30, n_features=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = np.arange(n_samples) % n_classes
    rng.shuffle(y)
    return X, y


class WrongGradientSoftmax(SoftmaxSGD):
    """A softmax whose analytic gradient has a deliberate bug."""

    def _objective_and_gradient(
        self, X, y, sample_weight=None, coef=None, intercept=None
    ):
        value, grad_coef, grad_intercept = super()._objective_and_gradient(
            X, y, sample_weight, coef=coef, intercept=intercept
        )
        grad_coef = grad_coef.copy()
        grad_coef[0, 0] *= 1.1  # a 10% error on one coordinate
        return value, grad_coef, grad_intercept


# ----------------------------------------------------------- numerical_gradient


def test_numerical_gradient_of_cubic_sum():
    x = np.array([[0.5, -1.0, 2.0], [3.0, -0.25, 1.5]])
    x_before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_allclose(grad, 3 * x_before**2, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_of_quadratic_form():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(5, 5))
    b = rng.normal(size=5)
    x = rng.normal(size=5)
    x_before = x.copy()

    def f(v):
        return 0.5 * v @ A @ v + b @ v

    grad = numerical_gradient(f, x)
    np.testing.assert_allclose(grad, 0.5 * (A + A.T) @ x_before + b, atol=1e-6)
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_probes_in_place_and_restores_each_entry():
    x = np.array([1.0, 2.0, 3.0])
    seen = []

    def f(v):
        seen.append(v.copy())
        # Only the probed entry differs from the original point.
        assert np.count_nonzero(v != np.array([1.0, 2.0, 3.0])) == 1
        return float(v.sum())

    numerical_gradient(f, x, h=0.5)
    assert len(seen) == 6
    np.testing.assert_array_equal(seen[0], [1.5, 2.0, 3.0])
    np.testing.assert_array_equal(seen[1], [0.5, 2.0, 3.0])
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 4:  # during the probe of the second entry
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_gradient_copies_non_float_input():
    x = np.array([1, 2, 3])  # integers cannot be probed in place
    grad = numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_allclose(grad, [2.0, 4.0, 6.0], atol=1e-6)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(numerical_gradient(np.sum, [1.0, 5.0]), [1.0, 1.0])


def test_numerical_gradient_rejects_non_positive_step():
    with pytest.raises(ValueError, match="h must be a positive step"):
        numerical_gradient(np.sum, np.ones(2), h=0)


# --------------------------------------------------------------- check_gradient


@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("sparse", [False, True])
def test_check_gradient_small_on_random_smooth_problems(Estimator, n_classes, sparse):
    # Small random parameters keep every hinge margin far from its kink, so
    # the hinge objective is smooth around the checked point.
    X, y = _data(n_classes=n_classes, seed=n_classes)
    if sparse:
        X[np.abs(X) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    sample_weight = np.random.default_rng(3).uniform(0.5, 2.0, size=y.size)
    est = Estimator(alpha=0.01)
    error = check_gradient(est, X, y, sample_weight, random_state=0)
    assert error < 1e-6
    # The estimator passed in is left untouched (unfitted).
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", None])
def test_check_gradient_other_penalties_and_no_intercept(penalty):
    X, y = _data()
    est = SoftmaxSGD(penalty=penalty, alpha=0.05, fit_intercept=False)
    error, details = check_gradient(est, X, y, random_state=1, return_details=True)
    assert error < 1e-6
    assert details["intercept_error"].shape == (0,)
    assert details["coef_error"].shape == (3, 4)


def test_check_gradient_at_fitted_parameters():
    X, y = _data(n_samples=60)
    est = SoftmaxSGD(random_state=0, max_iter=20, tol=None).fit(X, y)
    coef_before = est.coef_.copy()
    error, details = check_gradient(est, X, y, return_details=True)
    assert error < 1e-6
    # Checked at the fitted point, without touching the estimator.
    np.testing.assert_array_equal(details["coef"], coef_before)
    np.testing.assert_array_equal(est.coef_, coef_before)
    assert details["objective"] == pytest.approx(est.objective(X, y))


def test_check_gradient_details_match_the_private_gradient():
    X, y = _data()
    est = LinearSVMSGD()
    _, details = check_gradient(est, X, y, random_state=0, return_details=True)
    work = clone(est)
    work.classes_ = np.unique(y)
    work.n_features_in_ = X.shape[1]
    work.coef_, work.intercept_ = details["coef"], details["intercept"]
    _, grad_coef, grad_intercept = work._objective_and_gradient(X, y)
    np.testing.assert_allclose(details["coef_analytic"], grad_coef)
    np.testing.assert_allclose(details["intercept_analytic"], grad_intercept)
    np.testing.assert_allclose(details["coef_numerical"], grad_coef, rtol=1e-6)
    # Random start: small parameters, reproducible with random_state.
    assert np.abs(details["coef"]).max() < 0.1
    _, again = check_gradient(est, X, y, random_state=0, return_details=True)
    np.testing.assert_array_equal(again["coef"], details["coef"])


def test_check_gradient_detects_a_wrong_gradient():
    X, y = _data()
    error, details = check_gradient(
        WrongGradientSoftmax(), X, y, random_state=0, return_details=True
    )
    assert error > 1e-2
    # Exactly the perturbed coordinate is flagged.
    assert np.argwhere(details["coef_error"] > 1e-4).tolist() == [[0, 0]]
    assert check_gradient(SoftmaxSGD(), X, y, random_state=0) < 1e-6


def test_check_gradient_hinge_kink_affects_few_coordinates():
    # One point placed exactly on a kink: its margin against class 1 is zero.
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]])
    y = np.array([0, 1, 2, 0])
    coef = np.array([[1.0, 0.0], [0.0, 0.0], [-3.0, -3.0]])
    est = LinearSVMSGD(penalty=None, fit_intercept=False)
    est.classes_, est.n_features_in_ = np.unique(y), 2
    est.coef_, est.intercept_ = coef, np.zeros(3)
    # Sample 0: s = (1, 0, -3); margin of class 1 = 0 - 1 + 1 = 0 -> kink.
    error, details = check_gradient(est, X, y, return_details=True)
    flagged = details["coef_error"] > 1e-4
    assert error > 1e-2
    assert 0 < flagged.sum() <= 2  # a kink spoils only a few coordinates
    # The smooth softmax at the same point checks fine.
    soft = SoftmaxSGD(penalty=None, fit_intercept=False)
    soft.classes_, soft.n_features_in_ = est.classes_, 2
    soft.coef_, soft.intercept_ = coef, np.zeros(3)
    assert check_gradient(soft, X, y) < 1e-6


def test_tiny_floor_handles_zero_gradient_coordinates():
    # A feature column of zeros: its data-loss gradient is exactly zero and
    # the penalty part is drowned in round-off.
    X, y = _data(n_features=5)
    X[:, 2] = 0.0
    est = SoftmaxSGD(alpha=1e-6)
    plain = check_gradient(est, X, y, random_state=0, tiny=0.0)
    auto, details = check_gradient(est, X, y, random_state=0, return_details=True)
    assert auto < 1e-6
    assert plain > auto
    eps = np.finfo(np.float64).eps
    assert details["floor"] == pytest.approx(
        eps * max(details["objective"], 1.0) / 1e-5 / 1e-7
    )
    with pytest.raises(ValueError, match="tiny must be"):
        check_gradient(est, X, y, tiny="big")


def test_check_gradient_input_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="at least two classes"):
        check_gradient(SoftmaxSGD(), X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="one label per row"):
        check_gradient(SoftmaxSGD(), X, y[:-1])
    with pytest.raises(ValueError, match="h must be a positive step"):
        check_gradient(SoftmaxSGD(), X, y, h=-1.0)


# -------------------------------------------------------- check_gradient_sparse


def test_check_gradient_sparse_probes_random_coordinates():
    X, y = _data(n_samples=40, n_features=30, n_classes=5)
    est = SoftmaxSGD()
    error, details = check_gradient_sparse(
        est, X, y, n_checks=12, random_state=0, return_details=True
    )
    assert error < 1e-6
    assert len(details["coordinates"]) == 12
    assert details["error"].shape == (12,)
    _, full = check_gradient(est, X, y, random_state=0, return_details=True)
    for coordinate, analytic, numerical in zip(
        details["coordinates"], details["analytic"], details["numerical"]
    ):
        if coordinate[0] == "coef":
            index = coordinate[1:]
            assert analytic == full["coef_analytic"][index]
            assert numerical == pytest.approx(full["coef_numerical"][index], rel=1e-9)
        else:
            assert analytic == full["intercept_analytic"][coordinate[1]]


def test_check_gradient_sparse_excludes_intercept_without_fit_intercept():
    X, y = _data()
    _, details = check_gradient_sparse(
        SoftmaxSGD(fit_intercept=False),
        X,
        y,
        n_checks=50,
        random_state=0,
        return_details=True,
    )
    assert {c[0] for c in details["coordinates"]} == {"coef"}


def test_check_gradient_sparse_catches_the_wrong_gradient():
    X, y = _data(n_features=2, n_classes=2)
    # Binary: 2 coef + 1 intercept; 30 draws hit coef[0, 0] almost surely.
    error = check_gradient_sparse(
        WrongGradientSoftmax(), X, y, n_checks=30, random_state=0
    )
    assert error > 1e-2
    with pytest.raises(ValueError, match="n_checks"):
        check_gradient_sparse(SoftmaxSGD(), X, y, n_checks=0)
