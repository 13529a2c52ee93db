"""The two estimators: each names its loss; everything else is shared."""

from functools import partial
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import softmax
from sklearn.utils.validation import check_is_fitted

from ._base import BaseSGDClassifier
from ._losses import hinge_loss_grad, log_loss_grad


class LinearSVMSGD(BaseSGDClassifier):
    """Multiclass linear SVM (Weston-Watkins hinge) trained by mini-batch SGD."""

    _parameter_constraints: dict = {
        **BaseSGDClassifier._parameter_constraints,
        "margin": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        margin=1.0,
        alpha=1e-4,
        penalty="l2",
        l1_ratio=0.15,
        fit_intercept=True,
        batch_size=256,
        learning_rate="adaptive",
        eta0=0.1,
        power_t=0.5,
        momentum=0.0,
        nesterov=False,
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        average=False,
        class_weight=None,
        warm_start=False,
        verbose=0,
    ):
        super().__init__(
            alpha=alpha,
            penalty=penalty,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            batch_size=batch_size,
            learning_rate=learning_rate,
            eta0=eta0,
            power_t=power_t,
            momentum=momentum,
            nesterov=nesterov,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            shuffle=shuffle,
            random_state=random_state,
            average=average,
            class_weight=class_weight,
            warm_start=warm_start,
            verbose=verbose,
        )
        self.margin = margin

    def _make_loss_grad(self):
        return partial(hinge_loss_grad, margin=float(self.margin))


class SoftmaxSGD(BaseSGDClassifier):
    """Multinomial logistic regression (softmax) trained by mini-batch SGD."""

    def _make_loss_grad(self):
        return log_loss_grad

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = np.exp(-np.logaddexp(0, -scores))
            return np.column_stack([1 - positive, positive])
        return softmax(scores.astype(np.float64, copy=True)).astype(scores.dtype)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack(
                [-np.logaddexp(0, scores), -np.logaddexp(0, -scores)]
            )
        shifted = scores - scores.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
