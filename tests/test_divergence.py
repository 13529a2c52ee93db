"""An objective that explodes while staying finite is divergence too."""

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
    # the parameters are those of the start of the last sound epoch: here the
    # start of training, whose objective is the loss at W = 0
    assert np.isfinite(est.coef_).all()
    assert est.objective(X, y) <= est.loss_curve_[0] + 1e-12
    # and the model trains on from there with a sane step
    est.set_params(eta0=1e-3, max_iter=5, tol=None).partial_fit(X, y)
    assert est.objective(X, y) < est.loss_curve_[0]
