"""The vectorized kernels of ``_losses`` against naive per-sample loops.

The oracles below loop over samples and classes and are written from the
formulas of the contract (``/work/shared/API.md``, "The objective"), not from
the kernels:

* multiclass hinge (Weston-Watkins): ``L_i = sum_{j != y_i} max(0, s_j - s_{y_i}
  + margin)``;
* multiclass cross-entropy: ``L_i = -log softmax(s_i)_{y_i}``;
* binary (one score ``f``, ``t = +1`` for index 1, ``-1`` for index 0):
  ``max(0, margin - t f)`` and ``log(1 + exp(-t f))``;
* the data loss is ``sum_i w_i L_i / sum_i w_i``; class weights are folded into
  ``w_i``;
* ``R(W) = (1 - l1_ratio) * 0.5 * ||W||^2 + l1_ratio * |W|_1``.

Gradients are also checked against central differences, along every coordinate
and along random directions.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd._losses import (
    decision_scores,
    hinge_loss_grad,
    log_loss_grad,
    penalty_subgradient,
    penalty_value,
    soft_threshold,
)

# ----------------------------------------------------------------- oracles


def naive_scores(coef, intercept, x):
    """Scores of one sample, one class at a time."""
    n_rows, n_features = coef.shape
    out = []
    for k in range(n_rows):
        s = float(intercept[k])
        for j in range(n_features):
            s += float(coef[k, j]) * float(x[j])
        out.append(s)
    return out


def naive_hinge(coef, intercept, X, y, sample_weight, margin=1.0):
    """Weighted mean hinge loss and gradient, one sample and one class at a time."""
    X = X.toarray() if sp.issparse(X) else X
    n_rows, n_features = coef.shape
    grad_coef = np.zeros((n_rows, n_features))
    grad_intercept = np.zeros(n_rows)
    total, total_weight = 0.0, 0.0
    for i in range(X.shape[0]):
        x, w = X[i], float(sample_weight[i])
        s = naive_scores(coef, intercept, x)
        total_weight += w
        if n_rows == 1:  # binary: L = max(0, margin - t f)
            t = 1.0 if y[i] == 1 else -1.0
            z = margin - t * s[0]
            if z > 0:
                total += w * z
                grad_coef[0] += w * (-t) * x
                grad_intercept[0] += w * (-t)
            continue
        for j in range(n_rows):
            if j == y[i]:
                continue
            m = s[j] - s[y[i]] + margin
            if m > 0:
                total += w * m
                grad_coef[j] += w * x
                grad_intercept[j] += w
                grad_coef[y[i]] -= w * x
                grad_intercept[y[i]] -= w
    return total / total_weight, grad_coef / total_weight, grad_intercept / total_weight


def naive_log(coef, intercept, X, y, sample_weight):
    """Weighted mean cross-entropy and gradient, one sample and class at a time."""
    X = X.toarray() if sp.issparse(X) else X
    n_rows, n_features = coef.shape
    grad_coef = np.zeros((n_rows, n_features))
    grad_intercept = np.zeros(n_rows)
    total, total_weight = 0.0, 0.0
    for i in range(X.shape[0]):
        x, w = X[i], float(sample_weight[i])
        s = naive_scores(coef, intercept, x)
        total_weight += w
        if n_rows == 1:  # binary: L = log(1 + exp(-t f)), dL/df = -t / (1 + exp(t f))
            t = 1.0 if y[i] == 1 else -1.0
            total += w * math.log1p(math.exp(-t * s[0]))
            d = -t / (1.0 + math.exp(t * s[0]))
            grad_coef[0] += w * d * x
            grad_intercept[0] += w * d
            continue
        top = max(s)
        denom = sum(math.exp(s_k - top) for s_k in s)
        total += w * (top + math.log(denom) - s[y[i]])
        for k in range(n_rows):
            p_k = math.exp(s[k] - top) / denom
            d = p_k - (1.0 if k == y[i] else 0.0)
            grad_coef[k] += w * d * x
            grad_intercept[k] += w * d
    return total / total_weight, grad_coef / total_weight, grad_intercept / total_weight


def naive_penalty(coef, alpha, l1_ratio):
    sq, ab = 0.0, 0.0
    for v in np.ravel(coef):
        sq += float(v) ** 2
        ab += abs(float(v))
    return alpha * ((1 - l1_ratio) * 0.5 * sq + l1_ratio * ab)


KERNELS = {
    "hinge": (hinge_loss_grad, naive_hinge),
    "log": (log_loss_grad, naive_log),
}


# ------------------------------------------------------------------- data


def make_problem(n_classes, sparse, seed=0, n_samples=23, n_features=6, dtype=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    y = rng.integers(0, n_classes, size=n_samples)
    y[:n_classes] = np.arange(n_classes)  # every class present
    n_rows = 1 if n_classes == 2 else n_classes
    coef = rng.normal(scale=0.7, size=(n_rows, n_features))
    intercept = rng.normal(scale=0.5, size=n_rows)
    if dtype is not None:
        X, coef, intercept = (
            X.astype(dtype),
            coef.astype(dtype),
            intercept.astype(dtype),
        )
    return X, y, coef, intercept, rng


def weights(kind, y, n_classes, rng):
    """Sample weights: unit, random, or random times class weights (folded)."""
    n = y.size
    if kind == "unit":
        return np.ones(n)
    sw = rng.uniform(0.1, 3.0, size=n)
    if kind == "sample+class":
        class_weight = rng.uniform(0.2, 4.0, size=n_classes)
        sw = sw * class_weight[y]
    return sw


# ------------------------------------------------------- kernel == oracle


@pytest.mark.parametrize("loss", ["hinge", "log"])
@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("weight_kind", ["unit", "sample", "sample+class"])
def test_kernel_matches_naive_loop(loss, n_classes, sparse, weight_kind):
    kernel, oracle = KERNELS[loss]
    X, y, coef, intercept, rng = make_problem(n_classes, sparse, seed=n_classes)
    sw = weights(weight_kind, y, n_classes, rng)
    value, grad_coef, grad_intercept = kernel(coef, intercept, X, y, sw)
    value_ref, grad_coef_ref, grad_intercept_ref = oracle(coef, intercept, X, y, sw)
    assert isinstance(value, float)
    assert grad_coef.shape == coef.shape
    assert grad_intercept.shape == intercept.shape
    assert value == pytest.approx(value_ref, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(grad_coef, grad_coef_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        grad_intercept, grad_intercept_ref, rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("margin", [0.5, 2.0])
def test_hinge_margin_matches_naive_loop(n_classes, margin):
    X, y, coef, intercept, rng = make_problem(n_classes, sparse=False, seed=7)
    sw = weights("sample", y, n_classes, rng)
    got = hinge_loss_grad(coef, intercept, X, y, sw, margin=margin)
    ref = naive_hinge(coef, intercept, X, y, sw, margin=margin)
    assert got[0] == pytest.approx(ref[0], rel=1e-10)
    np.testing.assert_allclose(got[1], ref[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", ["hinge", "log"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_dense_and_csr_agree(loss, n_classes):
    kernel, _ = KERNELS[loss]
    X, y, coef, intercept, rng = make_problem(n_classes, sparse=True, seed=3)
    sw = weights("sample", y, n_classes, rng)
    dense = kernel(coef, intercept, X.toarray(), y, sw)
    csr = kernel(coef, intercept, X, y, sw)
    assert csr[0] == pytest.approx(dense[0], rel=1e-12)
    np.testing.assert_allclose(csr[1], dense[1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(csr[2], dense[2], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", ["hinge", "log"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_float32_kernel_keeps_dtype_and_matches(loss, n_classes, sparse):
    kernel, oracle = KERNELS[loss]
    X, y, coef, intercept, rng = make_problem(
        n_classes, sparse, seed=11, dtype=np.float32
    )
    sw = weights("sample", y, n_classes, rng).astype(np.float32)
    value, grad_coef, grad_intercept = kernel(coef, intercept, X, y, sw)
    assert grad_coef.dtype == np.float32
    assert grad_intercept.dtype == np.float32
    ref = oracle(
        coef.astype(np.float64),
        intercept.astype(np.float64),
        X.astype(np.float64),
        y,
        sw,
    )
    assert value == pytest.approx(ref[0], rel=1e-5)
    np.testing.assert_allclose(grad_coef, ref[1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grad_intercept, ref[2], rtol=1e-4, atol=1e-5)


def test_integer_weights_equal_repeated_samples():
    """A weight of 3 is the same as the sample three times (weighted mean)."""
    X, y, coef, intercept, _ = make_problem(3, sparse=False, seed=5, n_samples=9)
    sw = np.array([1, 3, 2, 1, 1, 4, 1, 2, 1], dtype=float)
    rep = np.repeat(np.arange(9), sw.astype(int))
    for kernel in (hinge_loss_grad, log_loss_grad):
        a = kernel(coef, intercept, X, y, sw)
        b = kernel(coef, intercept, X[rep], y[rep], np.ones(rep.size))
        assert a[0] == pytest.approx(b[0], rel=1e-12)
        np.testing.assert_allclose(a[1], b[1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(a[2], b[2], rtol=1e-12, atol=1e-14)


def test_log_loss_is_stable_for_huge_scores():
    """log-sum-exp: huge scores give finite losses equal to the linear limit."""
    X = np.array([[1.0], [1.0], [-1.0]])
    y = np.array([0, 1, 2])
    coef = np.array([[1000.0], [0.0], [-1000.0]])
    loss, grad_coef, grad_intercept = log_loss_grad(coef, np.zeros(3), X, y, np.ones(3))
    # sample 0: correct class wins by 1000 -> ~0; sample 1: loses by 1000;
    # sample 2 (x=-1): class 2 score 1000, correct -> ~0.
    assert loss == pytest.approx(1000.0 / 3, rel=1e-12)
    assert np.isfinite(grad_coef).all() and np.isfinite(grad_intercept).all()
    binary = log_loss_grad(
        np.array([[800.0]]), np.zeros(1), X[:2], np.array([0, 1]), np.ones(2)
    )
    assert binary[0] == pytest.approx(400.0, rel=1e-12)
    assert np.isfinite(binary[1]).all()


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_decision_scores_matches_loop(n_classes, sparse):
    X, _, coef, intercept, _ = make_problem(n_classes, sparse, seed=2)
    scores = decision_scores(coef, intercept, X)
    Xd = X.toarray() if sparse else X
    ref = np.array([naive_scores(coef, intercept, x) for x in Xd])
    assert scores.shape == (Xd.shape[0], coef.shape[0])
    np.testing.assert_allclose(scores, ref, rtol=1e-12, atol=1e-12)


# ------------------------------------------------- central differences


def central_differences(f, x, direction, h):
    return (f(x + h * direction) - f(x - h * direction)) / (2 * h)


def relative_error(a, n):
    """``|a - n| / max(|a| + |n|, tiny)``, elementwise."""
    a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)


def check_gradient(kernel, coef, intercept, X, y, sw, h, n_random=5, seed=0):
    """Analytic gradient vs central differences along unit and random directions."""
    n_coef = coef.size
    theta = np.concatenate([coef.ravel(), intercept])

    def f(theta):
        c = theta[:n_coef].reshape(coef.shape)
        return kernel(c, theta[n_coef:], X, y, sw)[0]

    _, grad_coef, grad_intercept = kernel(coef, intercept, X, y, sw)
    grad = np.concatenate([grad_coef.ravel(), grad_intercept])
    numeric = np.array(
        [central_differences(f, theta, e, h) for e in np.eye(theta.size)]
    )
    errors = list(relative_error(grad, numeric))
    rng = np.random.default_rng(seed)
    for _ in range(n_random):
        d = rng.normal(size=theta.size)
        errors.append(relative_error(grad @ d, central_differences(f, theta, d, h)))
    return max(errors)


@pytest.mark.parametrize("n_classes", [2, 3, 4])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_log_gradient_matches_central_differences(n_classes, sparse):
    X, y, coef, intercept, rng = make_problem(n_classes, sparse, seed=20 + n_classes)
    sw = weights("sample+class", y, n_classes, rng)
    assert check_gradient(log_loss_grad, coef, intercept, X, y, sw, h=1e-4) < 1e-6


def hinge_point_away_from_kinks(n_classes, sparse, margin, seed, gap=1e-3):
    """Random parameters where no hinge argument is within ``gap`` of its kink."""
    for attempt in range(200):
        X, y, coef, intercept, rng = make_problem(
            n_classes, sparse, seed=1000 * seed + attempt, n_samples=12
        )
        s = np.asarray(X @ coef.T) + intercept
        if n_classes == 2:
            t = np.where(y == 1, 1.0, -1.0)
            args = margin - t * s[:, 0]
        else:
            args = s - s[np.arange(y.size), y][:, None] + margin
            args[np.arange(y.size), y] = np.inf
        active = np.isfinite(args) & (args > 0)
        if np.abs(args).min() > gap and active.any():
            return X, y, coef, intercept, rng
    raise AssertionError("no point away from the kinks was found")


@pytest.mark.parametrize("n_classes", [2, 3, 4])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_gradient_matches_central_differences(n_classes, sparse, margin):
    X, y, coef, intercept, rng = hinge_point_away_from_kinks(
        n_classes, sparse, margin, seed=n_classes
    )
    sw = weights("sample+class", y, n_classes, rng)

    def kernel(c, b, X, y, sw):
        return hinge_loss_grad(c, b, X, y, sw, margin=margin)

    # Each parameter moves the scores by at most h * max|x| < 1e-3 (no kink is
    # crossed); the hinge is linear there, so central differences are exact up
    # to rounding.
    h = 1e-6
    assert h * (abs(X).max() + 1) * 10 < 1e-3
    assert check_gradient(kernel, coef, intercept, X, y, sw, h=h) < 1e-6


# ---------------------------------------------------------------- penalty


@pytest.mark.parametrize("alpha", [0.0, 1e-3, 0.7])
@pytest.mark.parametrize("l1_ratio", [0.0, 0.15, 0.5, 1.0])
def test_penalty_value_matches_formula(alpha, l1_ratio):
    coef = np.random.default_rng(0).normal(size=(3, 4))
    coef[0, 0] = 0.0
    assert penalty_value(coef, alpha, l1_ratio) == pytest.approx(
        naive_penalty(coef, alpha, l1_ratio), rel=1e-12, abs=0
    )


@pytest.mark.parametrize("alpha", [0.0, 1e-3, 0.7])
@pytest.mark.parametrize("l1_ratio", [0.0, 0.15, 1.0])
def test_penalty_subgradient_matches_formula(alpha, l1_ratio):
    coef = np.random.default_rng(1).normal(size=(2, 5))
    coef[1, 2] = 0.0
    grad = penalty_subgradient(coef, alpha, l1_ratio)
    ref = np.empty_like(coef)
    for idx, v in np.ndenumerate(coef):
        sign = 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)
        ref[idx] = alpha * ((1 - l1_ratio) * v + l1_ratio * sign)
    assert grad.shape == coef.shape
    np.testing.assert_allclose(grad, ref, rtol=1e-12, atol=0)
    # it is the gradient of penalty_value away from zeros
    if l1_ratio == 0.0 and alpha > 0:
        n = np.array(
            [
                central_differences(
                    lambda c: penalty_value(c.reshape(coef.shape), alpha, 0.0),
                    coef.ravel(),
                    e,
                    1e-5,
                )
                for e in np.eye(coef.size)
            ]
        ).reshape(coef.shape)
        np.testing.assert_allclose(grad, n, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("threshold", [0.0, 0.3, 5.0])
def test_soft_threshold_matches_formula_in_place(threshold):
    coef = np.random.default_rng(2).normal(size=(3, 6))
    coef[0, :3] = [threshold, -threshold, 0.0]
    original = coef.copy()
    out = soft_threshold(coef, threshold)
    assert out is coef or np.shares_memory(out, coef)
    for idx, v in np.ndenumerate(original):
        if v > threshold:
            expected = v - threshold
        elif v < -threshold:
            expected = v + threshold
        else:
            expected = 0.0
        assert coef[idx] == pytest.approx(expected, abs=1e-15)
    # entries with |v| <= threshold become exact zeros
    assert np.all(coef[np.abs(original) <= threshold] == 0.0)


def test_soft_threshold_is_the_proximal_step():
    """``soft_threshold(v, lam)`` minimizes ``0.5 (z - v)^2 + lam |z|``."""
    rng = np.random.default_rng(3)
    v, lam = rng.normal(size=20), 0.4
    z = soft_threshold(v.copy(), lam)
    grid = np.linspace(-4, 4, 80001)
    for zi, vi in zip(z, v):
        best = grid[np.argmin(0.5 * (grid - vi) ** 2 + lam * np.abs(grid))]
        assert zi == pytest.approx(best, abs=2e-4)


# ----------------------------------- the estimator's objective == formula


@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "penalty, l1_ratio", [("l2", 0.15), ("l1", 0.15), ("elasticnet", 0.3), (None, 0.15)]
)
def test_estimator_objective_folds_class_weights(
    Estimator, n_classes, penalty, l1_ratio
):
    """``objective`` = oracle loss with ``w_i * class_weight[y_i]`` + penalty."""
    X, y, _, _, rng = make_problem(n_classes, sparse=False, seed=30, n_samples=40)
    labels = np.array(["ant", "bee", "cat", "dog"])[:n_classes]
    class_weight = {lab: float(w) for lab, w in zip(labels, [0.5, 2.0, 3.0, 1.5])}
    sw = rng.uniform(0.2, 2.0, size=y.size)
    alpha = 0.05
    est = Estimator(
        alpha=alpha,
        penalty=penalty,
        l1_ratio=l1_ratio,
        class_weight=class_weight,
        max_iter=3,
        tol=None,
        random_state=0,
    ).fit(X, labels[y], sample_weight=sw)
    folded = sw * np.array([class_weight[lab] for lab in labels[y]])
    oracle = naive_hinge if Estimator is LinearSVMSGD else naive_log
    loss, _, _ = oracle(est.coef_, est.intercept_, X, y, folded)
    l1 = {"l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio, None: 0.0}[penalty]
    expected = loss + (naive_penalty(est.coef_, alpha, l1) if penalty else 0.0)
    assert est.objective(X, labels[y], sample_weight=sw) == pytest.approx(
        expected, rel=1e-10
    )
