"""Numerical gradients and the gradient check of the estimators' objective.

The course notes compute the gradient two ways: numerically, with finite
differences (slow, approximate, simple), and analytically, with calculus (fast,
exact, error-prone). In practice one always uses the analytic gradient and
*checks* it against the numerical one. This module does both for the objective
``J(W, b)`` that :class:`~sklearn_linsgd.LinearSVMSGD` and
:class:`~sklearn_linsgd.SoftmaxSGD` minimise.

* :func:`numerical_gradient` -- centred differences
  ``(f(x + h e_i) - f(x - h e_i)) / (2 h)`` of any scalar function of an array,
  probing ``x`` in place like the notes' ``eval_numerical_gradient`` but
  restoring every entry even when ``f`` raises.
* :func:`check_gradient` -- the largest relative error
  ``|a - n| / max(|a| + |n|, tiny)`` between the analytic gradient ``a`` of an
  estimator's objective with respect to ``coef_`` and ``intercept_`` and the
  numerical one ``n``, over every coordinate.
* :func:`check_gradient_sparse` -- the same on ``n_checks`` random coordinates
  (the notes' ``grad_check_sparse``), for models too large to probe whole.

Reading the relative error
--------------------------
As a rule of thumb (CS231n): above ``1e-2`` the gradient is probably wrong,
``1e-4`` is suspicious for a smooth objective, ``1e-7`` and below is right.
A smooth objective such as :class:`~sklearn_linsgd.SoftmaxSGD`'s, checked in
float64 with ``h=1e-5``, gives about ``1e-9``.

Coordinates whose gradient is zero or nearly zero (a feature column that is
all zeros, a weight that does not move the objective) cannot be judged
relatively: the numerical gradient there is round-off, about
``eps * |J| / h``. ``tiny="auto"`` (the default) therefore floors the
denominator at the round-off level divided by ``1e-7``, so such a coordinate
reports at most about ``1e-7`` when both gradients are consistent, while a
genuine discrepancy larger than the round-off still shows up as a large error.

Kinks of the hinge loss
-----------------------
The multiclass hinge loss of :class:`~sklearn_linsgd.LinearSVMSGD` is piecewise
linear: ``max(0, s_j - s_{y_i} + margin)`` has a kink where a sample's margin
is exactly zero, and there only a *subgradient* exists. When a probe
``W +- h e_k`` crosses a kink, the centred difference averages the two slopes,
while the analytic subgradient picks one of them, so that coordinate can show a
relative error of order ``1e-2`` to ``1``. This is not a bug. To tell kinks
from a wrong gradient:

1. **Count the affected coordinates.** A kink touches only the coordinates of
   the few samples whose margin lies within about ``h * |x|`` of zero; a bug in
   a formula usually spoils a whole row, a whole column or everything. Use
   ``return_details=True`` and look at ``(details["coef_error"] > 1e-4).sum()``.
2. **Shrink the step.** With a smaller ``h`` (``1e-6``, ``1e-7``) fewer margins
   are crossed: kink errors disappear or move to fewer coordinates, while a
   bug's error stays put.
3. **Move away from the kinks.** At small random parameters (what
   :func:`check_gradient` uses for an unfitted estimator) every margin is close
   to ``margin`` and far from zero, so the hinge check is as exact as a smooth
   one.
4. **Check the smooth loss.** :class:`~sklearn_linsgd.SoftmaxSGD` shares the
   whole pipeline (scores, sample weights, penalty, sparse input) but its loss
   is smooth everywhere; if its check passes at the same point, the shared
   code is right and the hinge errors are kinks.

The same holds for the ``l1`` and ``elasticnet`` penalties: ``|w|`` has a kink
at ``w = 0``, where the analytic side uses ``sign(0) = 0``.

Examples
--------
>>> import numpy as np
>>> from sklearn_linsgd import SoftmaxSGD, gradient_check
>>> rng = np.random.default_rng(0)
>>> X, y = rng.normal(size=(30, 4)), np.arange(30) % 3
>>> gradient_check.check_gradient(SoftmaxSGD(), X, y, random_state=0) < 1e-7
True
"""

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_array, check_random_state
from sklearn.utils.multiclass import check_classification_targets

from ._base import BaseSGDClassifier
from ._docstrings import fill_doc

__all__ = ["check_gradient", "check_gradient_sparse", "numerical_gradient"]


def _probe(f, x, index, h):
    """Centred difference of ``f`` along coordinate ``index`` of ``x``."""
    old = x[index]
    try:
        x[index] = old + h
        f_plus = float(f(x))
        x[index] = old - h
        f_minus = float(f(x))
    finally:
        x[index] = old
    return (f_plus - f_minus) / (2 * h)


def _probe_array(x):
    """``x`` itself when it can be probed in place, else a float64 copy."""
    if (
        isinstance(x, np.ndarray)
        and np.issubdtype(x.dtype, np.floating)
        and x.flags.writeable
    ):
        return x
    return np.array(x, dtype=np.float64)


def _check_step(h):
    if not h > 0:
        raise ValueError(f"h must be a positive step, got h={h!r}.")


def numerical_gradient(f, x, h=1e-5):
    """Gradient of a scalar function by centred finite differences.

    For every coordinate ``i``, ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``.
    The error is ``O(h**2)`` (the notes' one-sided difference is ``O(h)``).
    ``x`` is probed in place, one entry at a time, and each entry is restored
    right after its two evaluations -- also when ``f`` raises -- so ``x`` is
    unchanged when the function returns.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It receives the probed array itself (not a copy),
        so it must not keep a reference to it.
    x : array-like
        The point. A writeable floating-point ndarray is probed in place; any
        other input (lists, integer or read-only arrays) is copied to float64
        first.
    h : float, default=1e-5
        Step of the centred difference. Use float64 arrays: in float32 the
        round-off ``eps * |f| / h`` swamps the result.

    Returns
    -------
    grad : ndarray of the same shape as ``x``
        The numerical gradient, in float64.

    See Also
    --------
    check_gradient : Compare an estimator's analytic gradient with this one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linsgd.gradient_check import numerical_gradient
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> numerical_gradient(lambda v: np.sum(v**3), x)
    array([ 3., 12., 27.])
    >>> x  # restored
    array([ 1., -2.,  3.])
    """
    _check_step(h)
    x = _probe_array(x)
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        grad[index] = _probe(f, x, index, h)
    return grad


# ---------------------------------------------------------------------------
# Shared with :mod:`sklearn_linsgd.landscape`: the supported estimators, a
# working copy of one whose objective can be evaluated at any parameters, and
# the description of the data it is evaluated on (filled in by fill_doc).

_DOC_PARTS = {
    "X, y": """\
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Data on which the objective is evaluated.
y : array-like of shape (n_samples,)
    Labels.""",
    "sample_weight": """\
sample_weight : array-like of shape (n_samples,), default=None
    Sample weights of the objective.""",
}


def _is_fitted(estimator):
    return hasattr(estimator, "coef_") and hasattr(estimator, "classes_")


def _unwrap(estimator, X, y, *, caller, allow_unfitted=True):
    """Return ``(final_estimator, X)`` for a supported estimator.

    ``estimator`` is a :class:`~sklearn_linsgd.LinearSVMSGD` or
    :class:`~sklearn_linsgd.SoftmaxSGD` (or a subclass), returned with ``X``
    as is, or a :class:`~sklearn.pipeline.Pipeline` ending in one, returned as
    its final step with ``X`` passed through the transformer steps: the
    pipeline's own when the final step is fitted, else a clone of them fitted
    on ``(X, y)`` (the user's pipeline is never modified). Anything else is a
    TypeError naming ``caller``. With ``allow_unfitted=False`` an unfitted
    final step is a NotFittedError.
    """
    final = estimator
    if isinstance(estimator, Pipeline) and estimator.steps:
        final = estimator.steps[-1][1]
    if not isinstance(final, BaseSGDClassifier):
        got = type(estimator).__name__
        if final is not estimator:
            last = repr(final) if final is None or isinstance(final, str) else None
            got = f"a Pipeline ending in {last or type(final).__name__}"
        raise TypeError(
            f"{caller} supports LinearSVMSGD, SoftmaxSGD, or a Pipeline ending in "
            f"one of them; got {got}."
        )
    fitted = _is_fitted(final)
    if not fitted and not allow_unfitted:
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet: fit it, "
            "or pass the parameters to look around with coef= (and intercept=)."
        )
    if final is not estimator and len(estimator.steps) > 1:
        transformers = estimator[:-1]
        if fitted:
            X = transformers.transform(X)
        else:
            X = clone(transformers).fit_transform(X, y)
    return final, X


def _working_copy(estimator, X, y, *, coef=None, intercept=None, scale=0.01, rng=None):
    """Return ``(work, X, y, coef, intercept)`` ready for objective evaluations.

    ``work`` is a clone of ``estimator`` with ``classes_``, ``n_features_in_``,
    ``coef_`` and ``intercept_`` set (the user's estimator is never modified);
    ``X`` is a float64 array or CSR matrix; ``coef`` and ``intercept`` are
    float64 copies of the given parameters, else of the fitted ones, else small
    random ones (normal with standard deviation ``scale``).
    """
    X = check_array(X, accept_sparse="csr", dtype=np.float64)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must be 1-D with one label per row of X; got y of shape {y.shape} "
            f"for X with {X.shape[0]} rows."
        )
    check_classification_targets(y)
    fitted = _is_fitted(estimator)
    classes = np.asarray(estimator.classes_) if fitted else np.unique(y)
    unknown = np.unique(y[~np.isin(y, classes)])
    if unknown.size:
        raise ValueError(
            f"y contains labels {unknown.tolist()} that are not among the classes "
            f"the estimator was fitted on, {classes.tolist()}."
        )
    if classes.size < 2:
        raise ValueError(
            f"The objective needs at least two classes; got {classes.tolist()}."
        )
    n_rows = 1 if classes.size == 2 else classes.size
    n_features = X.shape[1]
    rng = check_random_state(rng)
    if coef is None:
        if fitted:
            coef = estimator.coef_
        else:
            coef = scale * rng.standard_normal((n_rows, n_features))
    coef = np.array(coef, dtype=np.float64, order="C", copy=True)
    if coef.shape != (n_rows, n_features):
        raise ValueError(
            f"coef must have shape {(n_rows, n_features)} for {classes.size} "
            f"classes and {n_features} features; got {coef.shape}."
        )
    fit_intercept = bool(estimator.get_params().get("fit_intercept", True))
    if intercept is None:
        if fitted:
            intercept = estimator.intercept_
        elif fit_intercept:
            intercept = scale * rng.standard_normal(n_rows)
        else:
            intercept = np.zeros(n_rows)
    intercept = np.array(intercept, dtype=np.float64, copy=True).reshape(-1)
    if intercept.shape != (n_rows,):
        raise ValueError(
            f"intercept must have shape {(n_rows,)}; got {intercept.shape}."
        )
    work = clone(estimator)
    work.classes_ = classes
    work.n_features_in_ = n_features
    work.coef_ = coef.copy()
    work.intercept_ = intercept.copy()
    return work, X, y, coef, intercept


def _objective_function(work, X, y, sample_weight):
    """``J(coef, intercept)`` of the working copy, as a float."""

    def objective(coef, intercept):
        value, _, _ = work._objective_and_gradient(
            X, y, sample_weight, coef=coef, intercept=intercept
        )
        return float(value)

    return objective


def _floor(tiny, value, h):
    """The denominator floor: ``tiny``, or the round-off level for ``'auto'``."""
    if isinstance(tiny, str):
        if tiny != "auto":
            raise ValueError(f"tiny must be 'auto' or a float >= 0, got {tiny!r}.")
        eps = np.finfo(np.float64).eps
        return eps * max(abs(value), 1.0) / h / 1e-7
    if not tiny >= 0:
        raise ValueError(f"tiny must be 'auto' or a float >= 0, got {tiny!r}.")
    return max(float(tiny), np.finfo(np.float64).tiny)


def _relative_error(analytic, numerical, floor):
    analytic = np.asarray(analytic, dtype=np.float64)
    return np.abs(analytic - numerical) / np.maximum(
        np.abs(analytic) + np.abs(numerical), floor
    )


def _setup(
    estimator,
    X,
    y,
    sample_weight,
    caller,
    random_state,
    scale,
    coef=None,
    intercept=None,
):
    """The objective and its analytic gradient at a working point.

    Shared with :func:`sklearn_linsgd.landscape.step_size_sweep`. Returns a
    Bunch of ``rng``, ``objective`` (``J(coef, intercept)``), the point
    ``coef`` and ``intercept`` (see :func:`_working_copy`), ``value`` and
    ``grad_coef``, ``grad_intercept`` there, and ``fit_intercept``.
    """
    estimator, X = _unwrap(estimator, X, y, caller=caller)
    rng = check_random_state(random_state)
    work, X, y, coef, intercept = _working_copy(
        estimator, X, y, coef=coef, intercept=intercept, scale=scale, rng=rng
    )
    value, grad_coef, grad_intercept = work._objective_and_gradient(
        X, y, sample_weight, coef=coef, intercept=intercept
    )
    return Bunch(
        rng=rng,
        objective=_objective_function(work, X, y, sample_weight),
        coef=coef,
        intercept=intercept,
        value=value,
        grad_coef=grad_coef,
        grad_intercept=grad_intercept,
        fit_intercept=bool(work.get_params().get("fit_intercept", True)),
    )


def check_gradient(
    estimator,
    X,
    y,
    sample_weight=None,
    *,
    h=1e-5,
    tiny="auto",
    random_state=None,
    scale=0.01,
    return_details=False,
):
    """Largest relative error between the analytic and the numerical gradient.

    The analytic gradient of the estimator's objective ``J(W, b)`` (data loss
    plus ``alpha`` times the penalty, see :meth:`objective`) with respect to
    ``coef_`` and ``intercept_`` is compared with :func:`numerical_gradient`
    of ``J`` coordinate by coordinate::

        error = |a - n| / max(|a| + |n|, tiny)

    The check runs at the estimator's current parameters when it is fitted,
    otherwise at small random ones. It works on a clone: the estimator passed
    in is never modified. With ``fit_intercept=False`` the intercept is left
    out. Probing every coordinate costs ``2 * n_params`` objective
    evaluations; see :func:`check_gradient_sparse` for large models.

    Parameters
    ----------
    estimator : LinearSVMSGD, SoftmaxSGD or Pipeline
        Fitted or not (a subclass works too). A
        :class:`~sklearn.pipeline.Pipeline` of transformers ending in one of
        them is checked on ``X`` transformed by its transformer steps: the
        fitted ones when the pipeline is fitted, else a clone of them fitted
        on ``(X, y)``; the final estimator is then checked as if passed alone.
        Anything else raises a TypeError.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data on which ``J`` is evaluated, converted to float64 (dense or CSR)
        after the pipeline's transformers, if any.
    y : array-like of shape (n_samples,)
        Labels. For a fitted estimator they must be among ``classes_``
        (ValueError otherwise).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of ``J``.
    h : float, default=1e-5
        Step of the centred differences.
    tiny : "auto" or float, default="auto"
        Floor of the denominator. ``"auto"`` is the round-off level of the
        centred difference, ``eps * max(|J|, 1) / h``, divided by ``1e-7``:
        coordinates whose gradient is drowned in round-off (zero feature
        columns, for instance) then report at most about ``1e-7`` instead of
        an arbitrary ratio of two round-off errors. A float sets the floor
        directly (``0`` gives the plain relative error).
    random_state : int, RandomState instance or None, default=None
        Draws the parameters of an unfitted estimator.
    scale : float, default=0.01
        Standard deviation of those random parameters. Small parameters keep
        every hinge margin far from its kink.
    return_details : bool, default=False
        Also return the per-coordinate arrays.

    Returns
    -------
    max_error : float
        The largest relative error over all checked coordinates.
    details : dict
        Only with ``return_details=True``. Keys ``"coef_analytic"``,
        ``"coef_numerical"``, ``"coef_error"`` (arrays shaped like ``coef_``),
        ``"intercept_analytic"``, ``"intercept_numerical"``,
        ``"intercept_error"`` (shaped like ``intercept_``; empty arrays with
        ``fit_intercept=False``), ``"objective"`` (``J`` at the point),
        ``"coef"`` and ``"intercept"`` (the point) and ``"floor"`` (the
        denominator floor used).

    See Also
    --------
    check_gradient_sparse : The same check on a random sample of coordinates.
    numerical_gradient : The centred differences themselves.

    Notes
    -----
    The hinge loss has kinks where a margin is exactly zero; probes across a
    kink give a large error at a few coordinates without any bug. The module
    docstring of :mod:`sklearn_linsgd.gradient_check` explains how to tell the
    two apart (smaller ``h``, count of affected coordinates, the smooth
    softmax as a control).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linsgd import LinearSVMSGD
    >>> from sklearn_linsgd.gradient_check import check_gradient
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 5)), np.arange(40) % 3
    >>> err, details = check_gradient(
    ...     LinearSVMSGD(), X, y, random_state=0, return_details=True
    ... )
    >>> err < 1e-7, details["coef_error"].shape
    (True, (3, 5))
    """
    _check_step(h)
    point = _setup(
        estimator, X, y, sample_weight, "check_gradient", random_state, scale
    )
    objective, coef, intercept = point.objective, point.coef, point.intercept
    floor = _floor(tiny, point.value, h)
    num_coef = numerical_gradient(lambda w: objective(w, intercept), coef, h=h)
    err_coef = _relative_error(point.grad_coef, num_coef, floor)
    if point.fit_intercept:
        num_icpt = numerical_gradient(lambda b: objective(coef, b), intercept, h=h)
        err_icpt = _relative_error(point.grad_intercept, num_icpt, floor)
        ana_icpt = np.asarray(point.grad_intercept, dtype=np.float64)
    else:
        num_icpt = err_icpt = ana_icpt = np.zeros(0)
    max_error = float(max(err_coef.max(initial=0.0), err_icpt.max(initial=0.0)))
    if not return_details:
        return max_error
    details = {
        "coef_analytic": np.asarray(point.grad_coef, dtype=np.float64),
        "coef_numerical": num_coef,
        "coef_error": err_coef,
        "intercept_analytic": ana_icpt,
        "intercept_numerical": num_icpt,
        "intercept_error": err_icpt,
        "objective": float(point.value),
        "coef": coef,
        "intercept": intercept,
        "floor": floor,
    }
    return max_error, details


@fill_doc(_DOC_PARTS)
def check_gradient_sparse(
    estimator,
    X,
    y,
    sample_weight=None,
    *,
    n_checks=10,
    h=1e-5,
    tiny="auto",
    random_state=None,
    scale=0.01,
    return_details=False,
):
    """Gradient check on a random sample of coordinates.

    Like :func:`check_gradient`, but probes only ``n_checks`` coordinates drawn
    uniformly (with replacement) from all the parameters (``coef_`` entries,
    plus ``intercept_`` entries when ``fit_intercept=True``): the notes'
    ``grad_check_sparse``. It costs ``2 * n_checks`` objective evaluations
    whatever the size of the model.

    Parameters
    ----------
    estimator : LinearSVMSGD, SoftmaxSGD or Pipeline
        Fitted or not (then checked at small random parameters). A
        :class:`~sklearn.pipeline.Pipeline` ending in one of them is checked
        on the transformed ``X``, as in :func:`check_gradient`.
    <X, y>
    <sample_weight>
    n_checks : int, default=10
        Number of coordinates to probe.
    h : float, default=1e-5
        Step of the centred differences.
    tiny : "auto" or float, default="auto"
        Floor of the denominator, as in :func:`check_gradient`.
    random_state : int, RandomState instance or None, default=None
        Draws the coordinates (and the parameters of an unfitted estimator).
    scale : float, default=0.01
        Standard deviation of the random parameters of an unfitted estimator.
    return_details : bool, default=False
        Also return the probed coordinates and values.

    Returns
    -------
    max_error : float
        The largest relative error over the probed coordinates.
    details : dict
        Only with ``return_details=True``: ``"coordinates"`` (list of
        ``("coef", row, column)`` or ``("intercept", row)`` tuples),
        ``"analytic"``, ``"numerical"`` and ``"error"`` (arrays of length
        ``n_checks``, in the same order), ``"objective"`` and ``"floor"``.

    See Also
    --------
    check_gradient : Probe every coordinate.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linsgd import SoftmaxSGD
    >>> from sklearn_linsgd.gradient_check import check_gradient_sparse
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(50, 20)), np.arange(50) % 4
    >>> err, details = check_gradient_sparse(
    ...     SoftmaxSGD(), X, y, n_checks=5, random_state=0, return_details=True
    ... )
    >>> err < 1e-7, len(details["coordinates"])
    (True, 5)
    """
    if int(n_checks) != n_checks or n_checks < 1:
        raise ValueError(f"n_checks must be a positive integer, got {n_checks!r}.")
    _check_step(h)
    point = _setup(
        estimator, X, y, sample_weight, "check_gradient_sparse", random_state, scale
    )
    objective, coef, intercept = point.objective, point.coef, point.intercept
    floor = _floor(tiny, point.value, h)
    n_coef = coef.size
    n_params = n_coef + (intercept.size if point.fit_intercept else 0)
    picks = point.rng.randint(n_params, size=int(n_checks))
    coordinates, analytic, numerical = [], [], []
    for flat in picks:
        if flat < n_coef:
            index = np.unravel_index(flat, coef.shape)
            coordinates.append(("coef", int(index[0]), int(index[1])))
            analytic.append(point.grad_coef[index])
            numerical.append(_probe(lambda w: objective(w, intercept), coef, index, h))
        else:
            row = int(flat - n_coef)
            coordinates.append(("intercept", row))
            analytic.append(point.grad_intercept[row])
            numerical.append(_probe(lambda b: objective(coef, b), intercept, row, h))
    analytic = np.asarray(analytic, dtype=np.float64)
    numerical = np.asarray(numerical, dtype=np.float64)
    error = _relative_error(analytic, numerical, floor)
    max_error = float(error.max())
    if not return_details:
        return max_error
    details = {
        "coordinates": coordinates,
        "analytic": analytic,
        "numerical": numerical,
        "error": error,
        "objective": float(point.value),
        "floor": floor,
    }
    return max_error, details
