"""Vectorized loss and gradient kernels (dense and CSR).

Every kernel follows one contract::

    loss, grad_coef, grad_intercept = loss_grad(coef, intercept, X, y, sample_weight)

* ``coef`` has shape ``(n_rows, n_features)`` where ``n_rows`` is the number of
  classes, or 1 for the binary models; ``intercept`` has shape ``(n_rows,)``.
* ``y`` holds class *indices* (``0 .. n_classes - 1``); for the binary models
  index 1 is the positive class (``t = +1``).
* ``loss`` is the weighted mean data loss ``sum_i w_i L_i / sum_i w_i`` and the
  gradients are those of that mean, shaped like the parameters. With
  ``denominator=d`` the weighted sum is divided by ``d`` instead: the
  optimizer passes a batch's number of rows, with the weights normalised to
  mean 1 over the rows being fitted, so that each batch's gradient is an
  unbiased estimate of the gradient of ``J`` (a batch's own weight sum would
  cancel the weights at ``batch_size=1``).

The scores ``X @ coef.T + intercept`` are computed once and reused for the loss
and for the gradient. The penalty is handled by separate small functions, so
that the optimizer can apply it as a gradient (L2) or as a proximal step (L1).

This module imports numpy only.
"""

import numpy as np


def decision_scores(coef, intercept, X):
    """Return the scores ``X @ coef.T + intercept`` of shape (n_samples, n_rows)."""
    scores = np.ascontiguousarray(X @ coef.T)
    scores += intercept
    return scores


def _flat_index(y, n_rows):
    """Positions of ``(i, y_i)`` in a C-contiguous (n_samples, n_rows) array."""
    return np.arange(0, y.size * n_rows, n_rows) + y


def _signed_scores(scores, y):
    """Binary targets ``t = 2 y - 1`` (+1 / -1) and the signed scores ``t * f``."""
    t = (2 * y - 1).astype(scores.dtype)
    return t, t * scores[:, 0]


def hinge_scores_grad(scores, y, margin=1.0):
    """Per-sample hinge loss and its derivative with respect to the scores.

    Multiclass (Weston-Watkins): ``L_i = sum_{j != y_i} max(0, s_j - s_{y_i} +
    margin)``. Binary (one score column): ``L_i = max(0, margin - t_i f_i)``
    with ``t_i = 2 y_i - 1``; as in scikit-learn's ``Hinge``, the subgradient
    ``-t_i`` is used where ``t_i f_i <= margin``.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_rows)
    y : ndarray of shape (n_samples,)
        Class indices.
    margin : float, default=1.0

    Returns
    -------
    loss : ndarray of shape (n_samples,)
    dscores : ndarray of shape (n_samples, n_rows)
    """
    n_rows = scores.shape[1]
    if n_rows == 1:
        t, tf = _signed_scores(scores, y)
        z = margin - tf
        loss = np.maximum(z, 0)
        dscores = np.where(z >= 0, -t, 0).astype(scores.dtype)[:, None]
        return loss, dscores
    flat = _flat_index(y, n_rows)
    margins = scores - scores.ravel()[flat][:, None]
    margins += margin
    margins.ravel()[flat] = 0
    np.maximum(margins, 0, out=margins)
    loss = margins.sum(axis=1)
    dscores = np.sign(margins, out=margins)  # 1 where the margin is violated
    dscores.ravel()[flat] = -dscores.sum(axis=1)
    return loss, dscores


def log_scores_grad(scores, y):
    """Per-sample cross-entropy loss and its derivative with respect to the scores.

    Multiclass: ``L_i = logsumexp(s_i) - s_{i, y_i}`` (softmax cross-entropy).
    Binary (one score column): ``L_i = log(1 + exp(-t_i f_i))``. Both are
    computed stably. Parameters and returns as in :func:`hinge_scores_grad`,
    without ``margin``.
    """
    n_rows = scores.shape[1]
    if n_rows == 1:
        t, tf = _signed_scores(scores, y)
        z = -tf
        loss = np.logaddexp(0, z)
        # sigmoid(z) = exp(z - log(1 + exp(z))), stable for any z
        dscores = (-t * np.exp(z - loss))[:, None]
        return loss, dscores
    flat = _flat_index(y, n_rows)
    shifted = scores - scores.max(axis=1, keepdims=True)
    proba = np.exp(shifted)
    sum_exp = proba.sum(axis=1)
    loss = np.log(sum_exp) - shifted.ravel()[flat]
    proba /= sum_exp[:, None]
    proba.ravel()[flat] -= 1
    return loss, proba


def _loss_grad(
    scores_grad, coef, intercept, X, y, sample_weight, return_grad, denominator
):
    scores = decision_scores(coef, intercept, X)
    loss_i, dscores = scores_grad(scores, y)
    if denominator is None:
        denominator = sample_weight.sum()
    weights = sample_weight / denominator
    loss = float(loss_i @ weights)
    if not return_grad:
        return loss
    dscores *= weights[:, None]
    # (X.T @ dscores).T works for dense and CSR alike; with coef stored
    # column-major (as the optimizer keeps it) both products are BLAS friendly.
    grad_coef = np.asarray(X.T @ dscores).T
    grad_intercept = dscores.sum(axis=0)
    return loss, grad_coef.astype(coef.dtype, copy=False), grad_intercept


def hinge_loss_grad(
    coef,
    intercept,
    X,
    y,
    sample_weight,
    margin=1.0,
    return_grad=True,
    denominator=None,
):
    """Weighted mean hinge loss and its gradient.

    Parameters
    ----------
    coef : ndarray of shape (n_rows, n_features)
    intercept : ndarray of shape (n_rows,)
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights with a positive sum.
    margin : float, default=1.0
    return_grad : bool, default=True
        False returns the loss alone (no gradient is computed).
    denominator : float, default=None
        What the weighted sums are divided by; ``None`` is
        ``sample_weight.sum()`` (the weighted mean).

    Returns
    -------
    loss : float
    grad_coef : ndarray of shape (n_rows, n_features)
    grad_intercept : ndarray of shape (n_rows,)
    """
    return _loss_grad(
        lambda s, y: hinge_scores_grad(s, y, margin),
        coef,
        intercept,
        X,
        y,
        sample_weight,
        return_grad,
        denominator,
    )


def log_loss_grad(
    coef, intercept, X, y, sample_weight, return_grad=True, denominator=None
):
    """Weighted mean cross-entropy loss and its gradient.

    Parameters and returns as in :func:`hinge_loss_grad`.
    """
    return _loss_grad(
        log_scores_grad, coef, intercept, X, y, sample_weight, return_grad, denominator
    )


class KernelLoss:
    """A loss as the optimizer receives it: the function, its fixed
    parameters, and the id of the compiled kernel that implements it.

    Calling it calls ``func(coef, intercept, X, y, sample_weight, **params,
    **kwargs)``. ``kernel`` names the compiled kernel of the same loss (see
    :data:`KERNELS`), or is None for a loss that only the numpy passes run:
    the dispatch reads this id, never the function's identity.

    Parameters
    ----------
    func : callable
        A ``loss_grad`` of this module's contract.
    kernel : str or None
        A key of :data:`KERNELS`.
    **params
        Fixed keyword arguments of ``func`` (the hinge's ``margin``).
    """

    __slots__ = ("func", "kernel", "params")

    def __init__(self, func, kernel=None, **params):
        if kernel is not None and kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {sorted(KERNELS)} or None.")
        self.func, self.kernel, self.params = func, kernel, params

    def __call__(self, coef, intercept, X, y, sample_weight, **kwargs):
        return self.func(coef, intercept, X, y, sample_weight, **self.params, **kwargs)


#: The losses that the compiled passes implement, by kernel id: the kernel's
#: code and the keyword parameters it takes (with their defaults).
KERNELS = {"hinge": (0, {"margin": 1.0}), "log": (1, {})}


def hinge_loss(margin=1.0):
    """The multiclass (Weston-Watkins) hinge, with its compiled kernel."""
    return KernelLoss(hinge_loss_grad, "hinge", margin=float(margin))


def log_loss():
    """The cross-entropy (softmax), with its compiled kernel."""
    return KernelLoss(log_loss_grad, "log")


def penalty_value(coef, alpha, l1_ratio):
    """Return ``alpha * R(coef)`` for the elastic-net family.

    ``R(W) = (1 - l1_ratio) * 0.5 * ||W||_F^2 + l1_ratio * |W|_1``: ``l1_ratio=0``
    is L2, ``l1_ratio=1`` is L1.
    """
    if alpha == 0:
        return 0.0
    value = 0.0
    if l1_ratio < 1:
        value += (1 - l1_ratio) * 0.5 * float(np.einsum("ij,ij->", coef, coef))
    if l1_ratio > 0:
        value += l1_ratio * float(np.abs(coef).sum())
    return alpha * value


def penalty_subgradient(coef, alpha, l1_ratio):
    """Return a subgradient of ``alpha * R(coef)`` (``sign(0) = 0`` for L1)."""
    grad = (alpha * (1 - l1_ratio)) * coef
    if l1_ratio > 0:
        grad += (alpha * l1_ratio) * np.sign(coef)
    return grad


def soft_threshold(coef, threshold):
    """Proximal step of ``threshold * |W|_1``, in place: exact zeros appear."""
    np.copyto(coef, np.sign(coef) * np.maximum(np.abs(coef) - threshold, 0))
    return coef
