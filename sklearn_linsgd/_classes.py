"""The two estimators: each names its loss; everything else is shared."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import softmax
from sklearn.utils.validation import check_is_fitted

from ._base import SOFTMAX_PENALTY_SCALE_LIMIT, BaseSGDClassifier
from ._losses import hinge_loss, log_loss

# The parameters and attributes that both estimators share, documented once.
_DOC_PARTS = {
    "<shared parameters>": """\
    alpha : float, default=<alpha default>
        Regularization strength (>= 0): the objective is the weighted mean loss
        plus ``alpha * R(W)``, scaled as in
        :class:`~sklearn.linear_model.SGDClassifier`, so ``alpha`` values carry
        over. The intercept is never penalised. The default is 1e-4 for the
        hinge (``SGDClassifier``'s) and 1e-6 for the softmax: the
        Weston-Watkins hinge sums ``K - 1`` margins a row, the softmax has
        one log-probability, so the same ``alpha`` weighs far more against
        the softmax's loss, and at 1e-4 it over-regularises the softmax on
        rows of unit norm such as tf-idf text (see :doc:`/hyperparameters`).

    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        ``R(W) = 0.5 * ||W||_F^2`` ("l2"), ``|W|_1`` ("l1"),
        ``(1 - l1_ratio) * 0.5 * ||W||_F^2 + l1_ratio * |W|_1`` ("elasticnet"), or
        no penalty (None). The L1 part is applied as a proximal (soft-threshold)
        step, so exact zeros appear in ``coef_``.

    l1_ratio : float, default=0.15
        Elastic-net mixing, in [0, 1]; used only with ``penalty="elasticnet"``.

    fit_intercept : bool, default=True
        Whether to fit the intercept ``b``; with False it stays 0.

    batch_size : int or "full", default=256
        Rows per update: 1 is plain SGD, "full" is full-batch gradient descent.
        An epoch of ``n`` rows makes ``ceil(n / batch_size)`` updates on
        batches of as equal sizes as can be (they differ by one row at most).
        A chunk or data set smaller than a batch is one update.

    learning_rate : str, float, schedule or callable, default="auto"
        The step-size schedule, called with the update counter ``t`` (0-based)
        before each update:

        - "auto": chosen from the data. AdaGrad steps with one sum per feature
          (as ``adagrad="feature"``; ``adagrad=True`` or ``"coordinate"``
          selects per-weight sums) of ``eta0 * D / s`` for the weights and
          ``eta0 * D`` for the intercepts, where ``s`` is the training rows'
          root mean squared norm and ``D`` the size of the weights that the
          data need on ``X / s``, estimated from the nearest-centroid
          classifier before the first step (see :doc:`/hyperparameters`;
          ``partial_fit`` takes both from its first chunk). Multiplying ``X``
          by a constant leaves the fit unchanged. With ``momentum > 0``,
          plain momentum steps of ``eta0 * D / s**2``;
        - "constant": ``eta0``;
        - "optimal": ``1 / (alpha * (t0 + t))``, Bottou's rule with scikit-learn's
          ``t0``;
        - "invscaling": ``eta0 / (t + 1) ** power_t``;
        - "adaptive": ``eta0``, divided by 5 each time the epoch objective (or the
          validation score with early stopping) fails to improve by ``tol`` for
          ``n_iter_no_change`` epochs; training stops when the step falls below
          1e-6. It keeps working across ``partial_fit`` calls (one call = one
          epoch);
        - "step": ``eta0 * 0.5 ** floor(epoch / 10)``;
        - "exponential": ``eta0 * 0.95 ** epoch`` (``epoch = t / updates per epoch``);
        - "cosine": cosine decay from ``eta0`` to 0 over ``max_iter`` epochs;
        - a float: a constant step;
        - an object from :mod:`sklearn_linsgd.schedules`: its ``eta0`` (and
          ``InverseScaling``'s ``power_t``) left at None takes the estimator's,
          so a search over ``eta0`` acts; set on both, it is refused. Its other
          parameters are searchable as ``learning_rate__decay_steps`` etc.;
        - any callable ``t -> step size``.

        A parameter that the configuration would ignore (``eta0`` with
        "optimal", a float or a callable; ``power_t`` other than with
        "invscaling"; ``nesterov`` without ``momentum``) is refused when set
        to a value other than its default.

    eta0 : float, default=<eta0 default>
        Initial step size of the named schedules (> 0); under "auto", the
        step in units of the weights' estimated size ``D``.

    power_t : float, default=0.5
        Exponent of "invscaling".

    momentum : float, default=0.0
        Heavy-ball momentum in [0, 1); 0 is vanilla SGD.

    nesterov : bool, default=False
        Nesterov's accelerated gradient (with ``momentum > 0``).

    adagrad : bool or {"coordinate", "feature"}, default=False
        Adaptive per-weight steps (AdaGrad with proximal penalties, Duchi et
        al. 2011): a weight moves by the schedule's step divided by the root
        of a running sum ``G`` of squared data gradients, and the penalty is
        applied as a proximal step at the same rate. ``True`` or
        ``"coordinate"`` keeps one ``G`` per weight. ``"feature"`` keeps one
        per feature (column of ``coef_``), adding the mean over classes of
        the squared gradients of that column: all weights of a feature share
        its rate, and it costs less than per-weight sums (see
        :doc:`/performance`). Either way it minimises the same objective, and
        helps sparse data whose rare features learn slowly with
        mean-gradient mini-batches; a constant schedule is usual (the
        denominators decay the steps already). The intercept keeps one sum
        per class. Not combined with ``momentum``. Changing the mode between
        ``partial_fit`` calls starts the sums again. False with
        ``learning_rate="auto"`` means "feature" (without momentum).

    max_iter : int, default=1000
        Maximum number of epochs (passes over the data) of ``fit``.

    tol : float or None, default=<tol default>
        Stop when the epoch objective has not decreased by more than ``tol``
        times the loss at zero weights (``log K`` for the softmax,
        ``(K - 1) * margin`` for the hinge; or times the best objective so
        far, when larger), or the validation score has not increased by more
        than ``tol`` (absolute), for ``n_iter_no_change`` consecutive epochs.
        Epochs of fewer than 16 updates (small data sets) are pooled into
        rounds of at least 16, and the rule compares the rounds' mean
        objectives (or their best validation scores) and counts rounds.
        None disables the rule. The default is 2e-3
        for the hinge and 1e-2 for the softmax, whose objective keeps
        falling slowly (its loss rewards confidence) long after the
        predictions settle (see :doc:`/hyperparameters`).

    n_iter_no_change : int, default=3
        Patience of the stopping rule (and of the "adaptive" schedule).

    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data,
        monitor its accuracy, and restore the parameters of the best epoch.

    validation_fraction : float, default=0.1
        Fraction held out for early stopping, in (0, 1).

    shuffle : bool or "batches", default=True
        True draws a new row order each epoch (batches are gathered by index);
        "batches" keeps the rows in order and shuffles the order of contiguous
        batches (no gather, faster, but only sound for data already in random
        order); False keeps everything in order.

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling and the validation split: an int makes ``fit``
        reproducible.

    average : bool or int, default=False
        Averaged SGD: ``coef_`` and ``intercept_`` are the running mean of the
        iterates, from the first update (True) or once that many samples have
        been seen (int). On sparse data with AdaGrad steps (the default
        ``learning_rate="auto"``, or ``adagrad``) no compiled pass averages:
        the numpy reference pass runs, many times slower. There, prefer
        averaging with a plain schedule, or no averaging.

    class_weight : dict, "balanced" or None, default=None
        Weights of each class, folded into the sample weights. "balanced" uses
        ``n_samples / (n_classes * np.bincount(y))`` and is refused by
        ``partial_fit`` (use :func:`~sklearn.utils.compute_class_weight`).

    warm_start : bool, default=False
        Start ``fit`` from the previous solution and step counter ``t_``.

    verbose : int, default=0
        0 is silent; >= 1 prints one line per epoch (objective, validation
        score, step size, updates, elapsed time).""",
    "<attributes>": """\
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for two classes (the score of ``classes_[1]``).
        The optimizer's own array, not a copy: a later ``partial_fit``
        updates it in place (``fit`` makes new arrays); copy it to keep a
        snapshot.

    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (the optimizer's own array too).

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.

    n_iter_ : int
        Epochs run by the last ``fit`` (1 after ``partial_fit``).

    t_ : int
        Number of parameter updates made so far (the schedule's step counter).

    loss_curve_ : list of float
        One value per epoch (or ``partial_fit`` call): the mean training
        objective over that epoch's batches, weighted by batch size.

    validation_scores_ : list of float
        Validation accuracy after each epoch (only with ``early_stopping``).

    best_validation_score_ : float
        Best validation accuracy (only with ``early_stopping``); the fitted
        parameters are those of that epoch.""",
}


def _shared_doc(template, **defaults):
    """Fill the shared parameter and attribute sections into a class docstring,
    with the estimator's defaults (``alpha``, ``eta0``, ``tol``)."""
    for placeholder, text in _DOC_PARTS.items():
        template = template.replace(placeholder, text)
    for name, value in defaults.items():
        template = template.replace(f"<{name} default>", value)
    return template


class LinearSVMSGD(BaseSGDClassifier):
    __doc__ = _shared_doc(
        r"""Multiclass linear SVM (Weston-Watkins hinge) trained by mini-batch SGD.

    Minimises

    .. math::

        J(W, b) = \frac{\sum_i w_i L_i}{\sum_i w_i} + \alpha R(W),
        \quad L_i = \sum_{j \neq y_i} \max(0, s_j - s_{y_i} + \Delta),
        \quad s = W x_i + b,

    the multiclass hinge loss of CS231n (``margin`` is :math:`\Delta`). With
    two classes it is the standard binary SVM of
    :class:`~sklearn.linear_model.SGDClassifier` (``loss="hinge"``): one weight
    vector, ``L_i = max(0, margin - t_i f_i)`` with ``t_i = +1`` for
    ``classes_[1]``. It has no ``predict_proba``: wrap it in
    :class:`~sklearn.calibration.CalibratedClassifierCV` for probabilities.

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`\Delta` of the hinge (> 0).

<shared parameters>

<attributes>

    See Also
    --------
    SoftmaxSGD : The same optimizer with the cross-entropy loss.
    sklearn.linear_model.SGDClassifier : One-vs-rest per-sample SGD.
    sklearn.svm.LinearSVC : Exact solver (``multi_class="crammer_singer"``).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_linsgd import LinearSVMSGD
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), LinearSVMSGD(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    >>> clf[-1].coef_.shape
    (10, 64)
    """,
        alpha="1e-4",
        eta0="1.5",
        tol="2e-3",
    )

    # The public import path, so that pickle, joblib and skops record (and
    # skops.io.get_untrusted_types reports) ``sklearn_linsgd.<name>``, not
    # the private module that defines the class.
    __module__ = "sklearn_linsgd"

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
        learning_rate="auto",
        eta0=1.5,
        power_t=0.5,
        momentum=0.0,
        nesterov=False,
        adagrad=False,
        max_iter=1000,
        tol=2e-3,
        n_iter_no_change=3,
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
            adagrad=adagrad,
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
        return hinge_loss(self.margin)


class SoftmaxSGD(BaseSGDClassifier):
    __doc__ = _shared_doc(
        r"""Multinomial logistic regression (softmax) trained by mini-batch SGD.

    Minimises

    .. math::

        J(W, b) = \frac{\sum_i w_i L_i}{\sum_i w_i} + \alpha R(W),
        \quad L_i = -\log \frac{e^{s_{y_i}}}{\sum_j e^{s_j}},
        \quad s = W x_i + b,

    computed stably with log-sum-exp. With two classes it is the binary
    logistic regression of :class:`~sklearn.linear_model.SGDClassifier`
    (``loss="log_loss"``): one weight vector, ``L_i = log(1 + exp(-t_i f_i))``
    with ``t_i = +1`` for ``classes_[1]``, and ``predict_proba`` is
    ``[1 - sigmoid(f), sigmoid(f)]``.

    Parameters
    ----------
<shared parameters>

<attributes>

    See Also
    --------
    LinearSVMSGD : The same optimizer with the multiclass hinge loss.
    sklearn.linear_model.LogisticRegression : Exact solvers of this objective
        (``C = 1 / (alpha * n_samples)``).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_linsgd import SoftmaxSGD
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), SoftmaxSGD(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 10)
    """,
        alpha="1e-6",
        eta0="3.0",
        tol="1e-2",
    )

    # the same alpha weighs more against the softmax's loss than the hinge's
    _penalty_scale_limit = SOFTMAX_PENALTY_SCALE_LIMIT

    # The public import path, so that pickle, joblib and skops record (and
    # skops.io.get_untrusted_types reports) ``sklearn_linsgd.<name>``, not
    # the private module that defines the class.
    __module__ = "sklearn_linsgd"

    # An explicit signature (as scikit-learn's estimators have), so that a
    # misspelt parameter names this class, not BaseSGDClassifier.
    def __init__(
        self,
        *,
        alpha=1e-6,
        penalty="l2",
        l1_ratio=0.15,
        fit_intercept=True,
        batch_size=256,
        learning_rate="auto",
        eta0=3.0,
        power_t=0.5,
        momentum=0.0,
        nesterov=False,
        adagrad=False,
        max_iter=1000,
        tol=1e-2,
        n_iter_no_change=3,
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
            adagrad=adagrad,
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

    def _make_loss_grad(self):
        return log_loss()

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
