"""Divergence: a clear error that names the epoch and the remedy, and
finite parameters kept (an objective that explodes while staying finite is
divergence too). The kernels' own divergence paths are compared with the
numpy passes in test_compiled.py; partial_fit's, pass by pass, in
test_reliability.py."""

import re

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sklearn_linsgd import DivergenceError, LinearSVMSGD, SoftmaxSGD


@pytest.mark.parametrize("cls", [LinearSVMSGD, SoftmaxSGD])
def test_explosive_but_finite_objective_raises_and_restores(cls):
    X, y = load_digits(return_X_y=True)  # unscaled: pixel values up to 16
    est = cls(learning_rate="constant", eta0=1e10, batch_size="full", alpha=1e-4)
    with pytest.raises(DivergenceError, match=r"explosive .* at epoch \d+") as info:
        est.fit(X, y)
    assert "smaller eta0" in str(info.value)
    assert isinstance(info.value, ValueError)
    # the parameters are those of the start of the epoch whose end blew up:
    # here the start of training, whose objective is the loss at W = 0; the
    # blow-up is caught at the end of epoch 1 (on the probe rows), not an
    # epoch later
    assert est.n_iter_ == 1 and "at epoch 1 " in str(info.value)
    assert np.isfinite(est.coef_).all()
    assert est.objective(X, y) <= est.loss_curve_[0] + 1e-12
    # and the model trains on from there with a sane step
    est.set_params(eta0=1e-3, max_iter=5, tol=None).partial_fit(X, y)
    assert est.objective(X, y) < est.loss_curve_[0]


@pytest.mark.parametrize(
    "params",
    [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"average": True}],
    ids=["plain", "momentum", "nesterov", "average"],
)
@pytest.mark.parametrize("cls", [LinearSVMSGD, SoftmaxSGD])
def test_divergence_names_epoch_and_remedy_and_keeps_finite_params(cls, params):
    X, y = load_digits(return_X_y=True)  # unscaled: pixels up to 16
    est = cls(learning_rate="constant", eta0=1e10, random_state=0, **params)
    with pytest.raises(DivergenceError, match=r"epoch \d+") as info:
        est.fit(X, y)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "step size" in message and "eta0" in message
    assert re.search(r"(?i)scal", message), message
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
    assert est.t_ > 0
    # the estimator is still usable with its last finite parameters
    assert est.predict(X).shape == y.shape

    streaming = cls(learning_rate="constant", eta0=1e10, **params)
    with pytest.raises(DivergenceError):
        for _ in range(50):
            streaming.partial_fit(X, y, classes=np.arange(10))
    assert np.isfinite(streaming.coef_).all()
    assert np.isfinite(streaming.intercept_).all()
