"""Sample and class weights: every mini-batch step estimates grad J without bias.

``J = sum_i w_i L_i / sum_i w_i + alpha R(W)``; a batch's weighted loss sum is
divided by its number of rows times the mean weight of the rows being fitted,
so one epoch's batch gradients average to the full-batch gradient, and the
weights act at ``batch_size=1`` as they do at ``"full"``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD, _compiled, _sgd, _state
from sklearn_linsgd._losses import hinge_loss, log_loss, log_loss_grad
from sklearn_linsgd.schedules import Constant

# the losses as the estimators pass them: carrying their compiled kernel
LOSSES = {"hinge": hinge_loss(), "log": log_loss()}


def _problem(n_samples=96, n_features=6, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_classes, n_features))
    y = rng.integers(n_classes, size=n_samples)
    X = centers[y] + 1.5 * rng.normal(size=(n_samples, n_features))
    X[rng.random(X.shape) < 0.3] = 0.0  # zeros, so that CSR rows differ
    return X, y


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def compiled(request, monkeypatch):
    monkeypatch.setattr(_compiled, "ENABLED", request.param)
    return request.param


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_mean_of_an_epochs_batch_gradients_is_the_full_gradient(
    loss, sparse, n_classes, compiled
):
    X, y = _problem(n_classes=n_classes)
    rng = np.random.default_rng(1)
    sw = rng.uniform(0, 3, X.shape[0])
    order = rng.permutation(X.shape[0])
    batches = np.split(order, 6)  # equal-sized batches of 16 rows
    sw[batches[2]] = 0.0  # a batch of zero weight: the penalty's step alone
    Xf = sp.csr_matrix(X) if sparse else X
    n_rows = 1 if n_classes == 2 else n_classes
    coef0 = 0.1 * rng.normal(size=(n_rows, X.shape[1]))
    intercept0 = 0.1 * rng.normal(size=n_rows)
    alpha, step = 0.01, 1.0
    config = _state.UpdateConfig(alpha=alpha)
    weights = _sgd.normalise_weights(sw)

    grads_coef, grads_intercept = [], []
    for batch in batches:  # each batch's step from the same point
        state = _state.init_state(coef0, intercept0)
        _sgd.sgd_pass(
            state,
            Xf,
            y,
            weights,
            [batch],
            loss_grad=LOSSES[loss],
            schedule=Constant(step),
            config=config,
        )
        assert state.t == 1
        grads_coef.append((coef0 - state.coef) / step)
        grads_intercept.append((intercept0 - state.intercept) / step)

    _, full_coef, full_intercept = LOSSES[loss](coef0, intercept0, X, y, sw)
    full_coef = full_coef + alpha * coef0
    np.testing.assert_allclose(np.mean(grads_coef, axis=0), full_coef, atol=1e-12)
    np.testing.assert_allclose(
        np.mean(grads_intercept, axis=0), full_intercept, atol=1e-12
    )
    # the batch's own weight sum would have given another (biased) mean
    assert np.abs(np.mean(grads_coef, axis=0) - full_coef).max() < 1e-12


def _weighted_optimum(X, y, sw, alpha):
    """min J for SoftmaxSGD's objective (3 classes, L2), by L-BFGS."""
    n_classes, n_features = 3, X.shape[1]

    def fun(theta):
        coef = theta[: n_classes * n_features].reshape(n_classes, n_features)
        intercept = theta[n_classes * n_features :]
        loss, g_coef, g_int = log_loss_grad(coef, intercept, X, y, sw)
        value = loss + 0.5 * alpha * np.sum(coef * coef)
        return value, np.concatenate([(g_coef + alpha * coef).ravel(), g_int])

    theta0 = np.zeros(n_classes * (n_features + 1))
    res = minimize(fun, theta0, jac=True, method="L-BFGS-B", options={"gtol": 1e-12})
    return res.fun


@pytest.mark.parametrize("batch_size", [1, 8])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("how", ["sample_weight", "class_weight"])
def test_weighted_softmax_ends_at_the_weighted_optimum(batch_size, sparse, how):
    X, y = _problem(n_samples=120, n_features=4, n_classes=3, seed=3)
    sw = np.where(y == 0, 8.0, 1.0)  # weights 8:1 by class
    alpha = 0.01
    best = _weighted_optimum(X, y, sw, alpha)
    Xf = sp.csr_matrix(X) if sparse else X
    params = dict(
        alpha=alpha,
        batch_size=batch_size,
        learning_rate="invscaling",
        eta0=0.5,
        power_t=0.5,
        max_iter=150 if batch_size == 1 else 400,
        tol=None,
        random_state=0,
    )
    if how == "class_weight":
        est = SoftmaxSGD(class_weight={0: 8.0, 1: 1.0, 2: 1.0}, **params).fit(Xf, y)
        value = est.objective(X, y)  # the class weights are folded in
    else:
        est = SoftmaxSGD(**params).fit(Xf, y, sample_weight=sw)
        value = est.objective(X, y, sample_weight=sw)
    gap = (value - best) / best
    assert 0 <= gap < 0.005
    # an unweighted fit is far from this optimum: the test tells them apart
    plain = SoftmaxSGD(**params).fit(Xf, y)
    assert (plain.objective(X, y, sample_weight=sw) - best) / best > 0.02


@pytest.mark.parametrize("batch_size", [1, 4])
def test_svm_integer_weights_match_repeated_rows(batch_size):
    X, y = _problem(n_samples=90, n_features=4, n_classes=3, seed=5)
    w = np.random.default_rng(2).integers(1, 5, X.shape[0]).astype(float)
    X_rep, y_rep = np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int))
    # the same number of updates for both: the repeated data has sum(w) rows
    params = dict(
        alpha=0.01,
        batch_size=batch_size,
        learning_rate="invscaling",
        eta0=0.1,
        tol=None,
        random_state=0,
    )
    rep = LinearSVMSGD(max_iter=60, **params).fit(X_rep, y_rep)
    epochs = int(60 * w.sum() / X.shape[0])
    weighted = LinearSVMSGD(max_iter=epochs, **params).fit(X, y, sample_weight=w)
    plain = LinearSVMSGD(max_iter=epochs, **params).fit(X, y)
    j_rep = rep.objective(X, y, sample_weight=w)
    j_weighted = weighted.objective(X, y, sample_weight=w)
    j_plain = plain.objective(X, y, sample_weight=w)
    assert abs(j_weighted - j_rep) / j_rep < 0.01
    assert abs(j_plain - j_rep) > 5 * abs(j_weighted - j_rep)


@pytest.mark.parametrize("cls", [LinearSVMSGD, SoftmaxSGD])
@pytest.mark.parametrize("batch_size", [1, 7, 32, "full"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_class_weight_and_sample_weight_give_the_same_model(cls, batch_size, sparse):
    X, y = _problem(n_samples=80, n_classes=3, seed=7)
    Xf = sp.csr_matrix(X) if sparse else X
    cw = {0: 0.25, 1: 3.0, 2: 1.0}
    params = dict(batch_size=batch_size, max_iter=5, tol=None, random_state=0)
    a = cls(class_weight=cw, **params).fit(Xf, y)
    b = cls(**params).fit(Xf, y, sample_weight=np.array([cw[c] for c in y]))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=0, atol=1e-10)


@pytest.mark.parametrize("cls", [LinearSVMSGD, SoftmaxSGD])
def test_weights_act_at_batch_size_one(cls):
    # a tiny weight on one class changes the fit at batch_size=1 as at "full"
    X, y = _problem(n_samples=40, n_classes=2, seed=11)
    params = dict(batch_size=1, max_iter=20, tol=None, random_state=0)
    plain = cls(**params).fit(X, y)
    weighted = cls(class_weight={1: 0.001}, **params).fit(X, y)
    assert not np.allclose(plain.coef_, weighted.coef_)
    # nearly all the weight is on class 0: it is predicted almost everywhere
    assert np.mean(weighted.predict(X) == 0) > np.mean(plain.predict(X) == 0)


def test_scaling_all_weights_changes_nothing():
    X, y = _problem(n_samples=64, seed=13)
    w = np.random.default_rng(0).uniform(0.5, 2, X.shape[0])
    params = dict(batch_size=8, max_iter=3, tol=None, random_state=0)
    a = SoftmaxSGD(**params).fit(X, y, sample_weight=w)
    b = SoftmaxSGD(**params).fit(X, y, sample_weight=1000 * w)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)


def test_partial_fit_normalises_by_the_chunk():
    # each chunk's weights act relative to the chunk's mean weight
    X, y = _problem(n_samples=64, seed=17)
    w = np.random.default_rng(0).uniform(0.5, 2, X.shape[0])
    params = dict(batch_size=8, random_state=0, shuffle=False)
    a = SoftmaxSGD(**params).partial_fit(X, y, classes=[0, 1, 2], sample_weight=w)
    b = SoftmaxSGD(**params).partial_fit(X, y, classes=[0, 1, 2], sample_weight=7 * w)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)


def test_partial_fit_chunk_of_zero_weight_makes_no_update():
    # (all-zero sample_weight is refused by scikit-learn's check; a class
    # weight of 0 on the chunk's only class gets here)
    X, y = _problem(n_samples=32, seed=19)
    est = SoftmaxSGD(batch_size=8, random_state=0, class_weight={0: 0.0})
    est.partial_fit(X, y, classes=[0, 1, 2])
    coef, t = est.coef_.copy(), est.t_
    est.partial_fit(X[y == 0], y[y == 0])
    np.testing.assert_array_equal(est.coef_, coef)
    assert est.t_ == t
    assert np.isnan(est.loss_curve_[-1])


@pytest.mark.parametrize("side", ["validation", "training"])
def test_early_stopping_split_without_weight_is_refused(side):
    X, y = _problem(n_samples=40, n_classes=2, seed=23)
    est = SoftmaxSGD(early_stopping=True, validation_fraction=0.3, random_state=0)
    # find which rows the split holds out, then leave one side weightless
    rng = est._rng(0)
    train_idx, val_idx = est._validation_split(
        np.searchsorted([0, 1], y), rng, np.ones(X.shape[0])
    )
    sw = np.ones(X.shape[0])
    sw[val_idx if side == "validation" else train_idx] = 0.0
    with pytest.raises(ValueError, match=f"whose {side} rows .* zero sample weight"):
        est.fit(X, y, sample_weight=sw)


def test_misspelt_parameter_names_the_class():
    with pytest.raises(TypeError, match=r"^SoftmaxSGD\.__init__\(\) got an unexp"):
        SoftmaxSGD(etaa0=1)
    with pytest.raises(TypeError, match=r"^LinearSVMSGD\.__init__\(\) got an unex"):
        LinearSVMSGD(etaa0=1)
