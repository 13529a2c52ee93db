"""The course notes' first two optimization strategies, as classifiers.

Before following the gradient, the notes try two "very bad ideas":

* **Strategy 1, random search** (:class:`RandomSearchClassifier`): draw
  ``n_iter`` random weight matrices and keep the one with the lowest training
  objective. The notes report 15.5% test accuracy on CIFAR-10 (chance: 10%).
* **Strategy 2, random local search** (:class:`RandomLocalSearchClassifier`):
  start from a random ``W``; at each iteration propose ``W + step_size * D``
  for a random direction ``D`` and move there if the objective drops. The
  notes report 21.4% on CIFAR-10.

Both minimise the same objective as :class:`~sklearn_linsgd.LinearSVMSGD`
(``loss="hinge"``) or :class:`~sklearn_linsgd.SoftmaxSGD`
(``loss="log_loss"``), with an L2 penalty ``alpha * 0.5 * ||W||^2``, computed
by the same kernels; they are scikit-learn classifiers, so they run in the
same benchmarks, pipelines and grid searches as the SGD estimators -- as the
baselines that show what following the gradient buys.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._docstrings import fill_doc
from ._losses import decision_scores, hinge_scores_grad, log_scores_grad, penalty_value

__all__ = ["RandomLocalSearchClassifier", "RandomSearchClassifier"]


# What both searches document alike, filled into their docstrings by fill_doc.
_DOC_PARTS = {
    "loss, alpha, margin": """\
loss : {"hinge", "log_loss"}, default="hinge"
    The objective: the multiclass hinge of
    :class:`~sklearn_linsgd.LinearSVMSGD` or the cross-entropy of
    :class:`~sklearn_linsgd.SoftmaxSGD` (binary forms with two classes).
alpha : float, default=1e-4
    Strength of the L2 penalty ``alpha * 0.5 * ||W||^2``.
margin : float, default=1.0
    Margin of the hinge loss.""",
    "features seen": """\
n_features_in_ : int
    Number of features seen during ``fit``.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of the features, when ``X`` has string column names.""",
    "fit parameters and returns": """\
Parameters
----------
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Training data.
y : array-like of shape (n_samples,)
    Target labels.
sample_weight : array-like of shape (n_samples,), default=None
    Non-negative sample weights of the objective.

Returns
-------
self : object
    Fitted estimator.""",
}


class _BaseRandomClassifier(LinearClassifierMixin, ClassifierMixin, BaseEstimator):
    """Shared machinery: validation, labels and the objective."""

    _parameter_constraints: dict = {
        "loss": [StrOptions({"hinge", "log_loss"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "weight_scale": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # Deliberately weak baselines: they need not reach the common checks'
        # accuracy threshold.
        tags.classifier_tags.poor_score = True
        return tags

    def _objective_function(self, X, y_ind, sample_weight):
        """``(coef, intercept) -> J``: weighted mean loss + ``alpha`` * L2."""
        weights = sample_weight / sample_weight.sum()
        if self.loss == "hinge":
            margin = float(self.margin)

            def scores_loss(scores):
                return hinge_scores_grad(scores, y_ind, margin)[0]

        else:

            def scores_loss(scores):
                return log_scores_grad(scores, y_ind)[0]

        alpha = float(self.alpha)

        def objective(coef, intercept):
            scores = decision_scores(coef, intercept, X)
            value = float(scores_loss(scores) @ weights)
            return value + penalty_value(coef, alpha, 0.0)

        return objective

    def _validate_fit(self, X, y, sample_weight):
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=True
        )
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got "
                f"{classes.size} class ({classes.tolist()})."
            )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum.")
        self.classes_ = classes
        y_ind = np.searchsorted(classes, y)
        return X, y_ind, sample_weight

    def _start_fit(self, X, y, sample_weight):
        """Validate, then return the objective and a draw of random parameters.

        ``draw(scale)`` returns ``(coef, intercept)`` with i.i.d. normal entries
        of standard deviation ``scale`` (zero intercepts without
        ``fit_intercept``), from the one generator of ``random_state``.
        """
        X, y_ind, sample_weight = self._validate_fit(X, y, sample_weight)
        objective = self._objective_function(X, y_ind, sample_weight)
        rng = check_random_state(self.random_state)
        n_rows = 1 if self.classes_.size == 2 else self.classes_.size
        n_features = X.shape[1]

        def draw(scale):
            coef = scale * rng.standard_normal((n_rows, n_features))
            intercept = (
                scale * rng.standard_normal(n_rows)
                if self.fit_intercept
                else np.zeros(n_rows)
            )
            return coef, intercept

        return objective, draw

    def objective(self, X, y, sample_weight=None):
        """Return the training objective ``J(W, b)`` at the fitted parameters.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, all in ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        objective : float
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        y = np.asarray(y)
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} that are not in classes_ "
                f"{self.classes_.tolist()}."
            )
        y_ind = np.searchsorted(self.classes_, y)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        return self._objective_function(X, y_ind, sample_weight)(
            self.coef_, self.intercept_
        )


@fill_doc(_DOC_PARTS)
class RandomSearchClassifier(_BaseRandomClassifier):
    """Strategy 1 of the notes: the best of ``n_iter`` random weight matrices.

    Each iteration draws ``W`` (and ``b``) with i.i.d. normal entries of
    standard deviation ``weight_scale`` and evaluates the training objective;
    the draw with the lowest objective is kept. A deliberately weak baseline.

    Parameters
    ----------
    <loss, alpha, margin>
    fit_intercept : bool, default=True
        Whether to draw intercepts too (else they are zero).
    n_iter : int, default=1000
        Number of random draws.
    weight_scale : float, default=0.001
        Standard deviation of the entries of each draw (the notes use
        ``np.random.randn(10, 3073) * 0.0001``).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws; an int makes ``fit`` reproducible.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        The best draw (one row with two classes).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Its intercepts.
    <features seen>
    n_iter_ : int
        Number of draws made.
    best_objective_ : float
        Training objective of the best draw.
    loss_curve_ : ndarray of shape (n_iter_,)
        Best objective so far after each draw.

    See Also
    --------
    RandomLocalSearchClassifier : Strategy 2, random local search.
    sklearn_linsgd.LinearSVMSGD : Strategy 3, following the gradient.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_linsgd.baselines import RandomSearchClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = RandomSearchClassifier(n_iter=200, random_state=0).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> round(clf.score(X, y), 2)  # chance is 0.33: a very bad idea, but not random
    0.53
    """

    def __init__(
        self,
        *,
        loss="hinge",
        alpha=1e-4,
        margin=1.0,
        fit_intercept=True,
        n_iter=1000,
        weight_scale=0.001,
        random_state=None,
    ):
        self.loss = loss
        self.alpha = alpha
        self.margin = margin
        self.fit_intercept = fit_intercept
        self.n_iter = n_iter
        self.weight_scale = weight_scale
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc(_DOC_PARTS)
    def fit(self, X, y, sample_weight=None):
        """Draw ``n_iter`` random parameters and keep the best.

        <fit parameters and returns>
        """
        objective, draw = self._start_fit(X, y, sample_weight)
        best, curve = None, np.empty(self.n_iter)
        for i in range(self.n_iter):
            coef, intercept = draw(self.weight_scale)
            value = objective(coef, intercept)
            if best is None or value < best[0]:
                best = (value, coef, intercept)
            curve[i] = best[0]
        self.best_objective_, self.coef_, self.intercept_ = best
        self.n_iter_ = self.n_iter
        self.loss_curve_ = curve
        return self


@fill_doc(_DOC_PARTS)
class RandomLocalSearchClassifier(_BaseRandomClassifier):
    """Strategy 2 of the notes: step to a random neighbour when it is better.

    Start from a random ``W`` (entries of standard deviation
    ``weight_scale``); at each of ``n_iter`` iterations propose
    ``W + step_size * D`` with ``D`` a standard normal direction (over the
    intercepts too when ``fit_intercept=True``) and accept it when the
    training objective drops.

    Parameters
    ----------
    <loss, alpha, margin>
    fit_intercept : bool, default=True
        Whether to search over intercepts too (else they stay zero).
    n_iter : int, default=1000
        Number of proposals.
    step_size : float, default=0.001
        Scale of each proposed move (the notes use ``0.0001``).
    weight_scale : float, default=0.001
        Standard deviation of the entries of the random start.
    random_state : int, RandomState instance or None, default=None
        Seed of the start and of the proposals; an int makes ``fit``
        reproducible.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        The final weights (one row with two classes).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The final intercepts.
    <features seen>
    n_iter_ : int
        Number of proposals made.
    n_accepted_ : int
        Number of proposals accepted.
    best_objective_ : float
        Training objective of the final parameters.
    loss_curve_ : ndarray of shape (n_iter_,)
        Objective after each proposal.

    See Also
    --------
    RandomSearchClassifier : Strategy 1, random search.
    sklearn_linsgd.SoftmaxSGD : Strategy 3, following the gradient.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_linsgd.baselines import RandomLocalSearchClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = RandomLocalSearchClassifier(
    ...     loss="log_loss", n_iter=300, step_size=0.01, random_state=0
    ... ).fit(X, y)
    >>> bool(clf.loss_curve_[-1] < clf.loss_curve_[0])
    True
    """

    _parameter_constraints: dict = {
        **_BaseRandomClassifier._parameter_constraints,
        "step_size": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        loss="hinge",
        alpha=1e-4,
        margin=1.0,
        fit_intercept=True,
        n_iter=1000,
        step_size=0.001,
        weight_scale=0.001,
        random_state=None,
    ):
        self.loss = loss
        self.alpha = alpha
        self.margin = margin
        self.fit_intercept = fit_intercept
        self.n_iter = n_iter
        self.step_size = step_size
        self.weight_scale = weight_scale
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc(_DOC_PARTS)
    def fit(self, X, y, sample_weight=None):
        """Random local search from a random start.

        <fit parameters and returns>
        """
        objective, draw = self._start_fit(X, y, sample_weight)
        coef, intercept = draw(self.weight_scale)
        value = objective(coef, intercept)
        curve = np.empty(self.n_iter)
        n_accepted = 0
        for i in range(self.n_iter):
            d_coef, d_intercept = draw(self.step_size)
            trial_coef, trial_intercept = coef + d_coef, intercept + d_intercept
            trial = objective(trial_coef, trial_intercept)
            if trial < value:
                coef, intercept, value = trial_coef, trial_intercept, trial
                n_accepted += 1
            curve[i] = value
        self.coef_, self.intercept_, self.best_objective_ = coef, intercept, value
        self.n_iter_ = self.n_iter
        self.n_accepted_ = n_accepted
        self.loss_curve_ = curve
        return self
