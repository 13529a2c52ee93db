"""The optimizer loop: epochs, mini-batches, updates and stopping bookkeeping.

Nothing here knows about estimators: the loss gradient and the step-size
schedule arrive as plain callables, the optimizer state is a dict of arrays and
numbers, and the result is returned as plain data.

State keys (see :func:`init_state`):

``coef``, ``intercept``
    The SGD iterate.
``velocity_coef``, ``velocity_intercept``
    Momentum buffers (``None`` without momentum).
``avg_coef``, ``avg_intercept``, ``n_avg``
    Averaged SGD: the running mean of the iterates once averaging started
    (``None`` until then: a model-sized buffer only when it is used).
``t``
    Number of updates made so far (the schedule's step counter).
``samples_seen``
    Sum of batch sizes of all updates (averaging starts from it).
``lr_scale``
    Multiplier of the schedule's step, lowered by a plateau schedule.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Optional

import numpy as np
import scipy.sparse as sp

from ._compiled import compiled_pass
from ._losses import penalty_value, soft_threshold


class DivergenceError(ValueError, FloatingPointError):
    """Raised when the objective becomes non-finite during training.

    It is a :class:`ValueError` (bad hyper-parameters for this data) and a
    :class:`FloatingPointError`. The estimator keeps its last finite parameters.
    """


@dataclass(frozen=True)
class UpdateConfig:
    """Hyper-parameters of one SGD update."""

    alpha: float = 0.0
    l1_ratio: float = 0.0
    fit_intercept: bool = True
    momentum: float = 0.0
    nesterov: bool = False
    average_start: Optional[int] = None  # samples seen before averaging starts
    # AdaGrad steps step / sqrt(G): None (plain steps), "coordinate" (one sum
    # G of squared gradients per weight) or "feature" (one per column of
    # coef, summing the mean over classes of the squared gradients)
    adagrad: Optional[str] = None
    # AdaGrad's intercept steps are this many times the coefficients' (the
    # "auto" learning rate sets it to the rows' RMS norm: the intercept then
    # moves as a weight on a constant feature of that size would)
    intercept_scale: float = 1.0


@dataclass(eq=False)
class SGDState:
    """The optimizer's state: the parameters and what the update rule keeps.

    Created by :func:`init_state` and changed only by this module's functions
    (and the compiled passes it calls); the estimator publishes it and
    reaches it through them. Each buffer exists only when the configuration
    uses it: the velocities with momentum, the running averages once
    averaging starts, AdaGrad's sums with AdaGrad.

    Attributes
    ----------
    coef : ndarray of shape (n_rows, n_features), Fortran order
    intercept : ndarray of shape (n_rows,)
    velocity_coef, velocity_intercept : ndarray or None
        Momentum buffers.
    avg_coef, avg_intercept : ndarray or None
        Running averages of averaged SGD, over ``n_avg`` iterates.
    n_avg : int
    t : int
        Updates made (the schedules' step counter).
    samples_seen : int
        Rows (with repetitions) that updates have used.
    lr_scale : float
        Factor of every step (the plateau rule lowers it).
    sq_grad_coef, sq_grad_intercept : ndarray or None
        AdaGrad's sums of squared gradients (see :func:`adagrad_sums`).
    last_step : float
        The last step size taken (named by a divergence error).
    row_scale, weight_scale : float or None
        The "auto" step's scales, once measured.
    plateau : dict or None
        The plateau schedule's own state ("adaptive").
    progress : float
        ``partial_fit``'s accumulated progress, monitored by the plateau rule.
    """

    coef: np.ndarray
    intercept: np.ndarray
    velocity_coef: Optional[np.ndarray] = None
    velocity_intercept: Optional[np.ndarray] = None
    avg_coef: Optional[np.ndarray] = None
    avg_intercept: Optional[np.ndarray] = None
    n_avg: int = 0
    t: int = 0
    samples_seen: int = 0
    lr_scale: float = 1.0
    sq_grad_coef: Optional[np.ndarray] = None
    sq_grad_intercept: Optional[np.ndarray] = None
    last_step: float = 0.0
    row_scale: Optional[float] = None
    weight_scale: Optional[float] = None
    plateau: Optional[dict] = None
    progress: float = 0.0

    def params(self):
        """The parameters the model predicts with: the running averages once
        averaging started, else ``coef`` and ``intercept``."""
        if self.n_avg > 0:
            return self.avg_coef, self.avg_intercept
        return self.coef, self.intercept

    def as_dict(self):
        """The fields as a dict (the arrays themselves, not copies)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def snapshot(self):
        """A copy of ``(coef, intercept)`` for :meth:`restore`."""
        return self.coef.copy(order="K"), self.intercept.copy()

    def restore(self, snapshot):
        """Put back the parameters of a :meth:`snapshot` (in place)."""
        np.copyto(self.coef, snapshot[0])
        np.copyto(self.intercept, snapshot[1])


def init_state(coef, intercept, *, momentum=0.0, t=0):
    """Return a fresh optimizer state around the given parameters (copied)."""
    # Column-major coef: X @ coef.T and X.T @ dscores are then both plain
    # BLAS calls on contiguous operands.
    coef = np.array(coef, order="F", copy=True)
    intercept = np.array(intercept, copy=True)
    return SGDState(
        coef=coef,
        intercept=intercept,
        velocity_coef=np.zeros_like(coef) if momentum else None,
        velocity_intercept=np.zeros_like(intercept) if momentum else None,
        t=int(t),
    )


#: State entries that a parallel round averages over the partitions, weighted
#: by rows (parameters, momentum buffers), and AdaGrad's sums of squared
#: gradients, which each partition adds to and which are pooled.
MIXED_KEYS = ("coef", "intercept", "velocity_coef", "velocity_intercept")
POOLED_KEYS = ("sq_grad_coef", "sq_grad_intercept")


def plateau_step(state, plateau, value):
    """Feed one monitored value to a plateau schedule (``"adaptive"``).

    The plateau's own state lives in ``state.plateau`` (None starts it)
    and sets ``state.lr_scale``, the factor of every step. One helper for
    ``fit`` (the epoch objective or validation score), ``partial_fit`` (the
    progress accumulated over chunks) and ``ParallelSGD`` (the round
    objective). Returns whether the plateau is exhausted (training stops).
    """
    pstate = state.plateau or plateau.init_state()
    state.plateau = plateau.update(pstate, value)
    state.lr_scale = state.plateau["scale"]
    return bool(state.plateau.get("exhausted"))


def start_counters(state, t, samples_seen):
    """Set the update and sample counters (a partition's pass starts where
    the round's previous partitions would have left them)."""
    state.t = int(t)
    state.samples_seen = int(samples_seen)


def partition_result(state, t_start, seen_start):
    """What a partition's pass hands back to be mixed (see :func:`mix_states`):
    its parameters, buffers, sums and running mean, and the counts it added."""
    keys = (*MIXED_KEYS, "avg_coef", "avg_intercept", *POOLED_KEYS)
    result = {key: getattr(state, key) for key in keys}
    result.update(
        t=state.t - int(t_start),
        samples_seen=state.samples_seen - int(seen_start),
        n_avg=state.n_avg,
    )
    return result


def mix_states(state, results, weights):
    """Combine the partitions' results (:func:`partition_result`) into ``state``.

    Parameters and momentum buffers are averaged with ``weights`` (rows /
    total); AdaGrad's sums add every partition's new squares to the old
    ones; averaged-SGD iterates are pooled (every partition's new iterates
    count once); the counters add up.
    """
    for key in MIXED_KEYS:
        if getattr(state, key) is None:
            continue
        mixed = sum(w * r[key] for w, r in zip(weights, results))
        np.copyto(getattr(state, key), mixed)
    for key in POOLED_KEYS:
        if any(r[key] is None for r in results):
            continue
        old = getattr(state, key)
        old = 0.0 if old is None or old.shape != results[0][key].shape else old
        pooled = old + sum(r[key] - old for r in results)
        order = "F" if key == "sq_grad_coef" else "C"
        setattr(state, key, np.asarray(pooled, dtype=state.coef.dtype, order=order))
    n0 = state.n_avg
    n_new = n0 + sum(r["n_avg"] - n0 for r in results)
    for key in ("avg_coef", "avg_intercept"):
        # an unallocated running mean (no averaging yet) counts as n0 = 0
        current = getattr(state, key)
        old = current if current is not None else 0.0
        if n_new > n0:
            pooled = n0 * old + sum(
                r["n_avg"] * r[key] - n0 * old for r in results if r["n_avg"] > n0
            )
            pooled = np.asarray(pooled / n_new, dtype=state.coef.dtype)
            setattr(
                state, key, np.asfortranarray(pooled) if key == "avg_coef" else pooled
            )
        elif current is not None:
            np.copyto(current, getattr(state, key.replace("avg_", "")))
    state.n_avg = n_new
    state.t += sum(r["t"] for r in results)
    state.samples_seen += sum(r["samples_seen"] for r in results)


def gather_rows(X, idx, buffer=None):
    """Rows ``idx`` of ``X``; dense rows are gathered into ``buffer`` when given.

    ``idx`` may be a slice (contiguous rows: a view, no copy) or an index array.
    """
    if isinstance(idx, slice):
        return X[idx]
    if isinstance(X, np.ndarray):
        if not X.flags.aligned:  # np.take is very slow on unaligned data
            return X[idx]
        if buffer is not None and buffer.dtype == X.dtype:
            out = buffer[: len(idx)]
            np.take(X, idx, axis=0, out=out)
            return out
        return np.take(X, idx, axis=0)
    return X[idx]


def normalise_weights(sample_weight, rows=None):
    """``sample_weight`` divided by its mean over ``rows`` (all rows by default).

    The passes divide a batch's weighted loss sum by the batch's number of
    rows; with weights of mean 1 over the rows being fitted, the mean of one
    epoch's batch gradients is then the gradient of ``J`` (whose data term is
    ``sum_i w_i L_i / sum_i w_i``), at every batch size. Dividing by the
    batch's own weight sum instead would be biased, and at ``batch_size=1``
    would cancel the weights altogether.

    Raises ValueError when the weights of ``rows`` sum to zero.
    """
    covered = sample_weight if rows is None else sample_weight[rows]
    total = float(covered.sum(dtype=np.float64))
    if not total > 0:
        raise ValueError(
            "The sample weights of the rows being fitted sum to zero: there is "
            "nothing to fit. Give some of these rows a positive weight."
        )
    mean = total / covered.size
    if mean == 1.0:
        return sample_weight
    return (sample_weight / mean).astype(sample_weight.dtype, copy=False)


#: Added to sqrt(sum of squared gradients) in the AdaGrad denominators.
ADAGRAD_EPS = 1e-8


def adagrad_sums(state, config):
    """The sums of squared gradients of AdaGrad, allocated (zero) on first use.

    ``state.sq_grad_coef`` has the shape of ``coef`` (Fortran order, like
    ``coef``, which the kernels rely on) under ``adagrad="coordinate"`` and
    one entry per feature under ``"feature"``; a change of mode
    (``set_params`` between ``partial_fit`` calls) starts the sums again.
    Returns ``(sq_coef, sq_intercept)``.
    """
    coef = state.coef
    shape = coef.shape[1:] if config.adagrad == "feature" else coef.shape
    sq = state.sq_grad_coef
    if sq is None or sq.shape != shape or sq.dtype != coef.dtype:
        state.sq_grad_coef = np.zeros(shape, dtype=coef.dtype, order="F")
        state.sq_grad_intercept = np.zeros_like(state.intercept)
    elif not sq.flags.f_contiguous:  # the kernels read the sums by columns
        state.sq_grad_coef = np.asfortranarray(sq)
    return state.sq_grad_coef, state.sq_grad_intercept


def _add_sq_grad(sq_coef, grad_coef):
    """``G + g**2`` per coordinate, or ``G + mean over classes of g**2`` per
    feature (when ``sq_coef`` is 1-d); the result is new."""
    sq = grad_coef * grad_coef
    if sq_coef.ndim == 1:
        sq = sq.mean(axis=0)
    return sq_coef + sq


def _apply_adagrad(state, grad_coef, grad_intercept, step, config):
    """AdaGrad with proximal regularization (Duchi, Hazan and Singer, 2011).

    Each coordinate steps by ``step / (sqrt(G) + eps)``, where ``G`` sums the
    squares of its data gradients (per weight), or the means over classes of
    the squares of its column's gradients (per feature); the L2 and L1
    penalties are applied as proximal steps with the same rates.
    """
    coef, intercept = state.coef, state.intercept
    alpha, l1_ratio = config.alpha, config.l1_ratio
    sq_coef, sq_intercept = adagrad_sums(state, config)
    sq_coef[...] = _add_sq_grad(sq_coef, grad_coef)
    rate = step / (np.sqrt(sq_coef) + ADAGRAD_EPS)
    coef -= rate * grad_coef
    if alpha and l1_ratio < 1:
        coef /= 1 + (alpha * (1 - l1_ratio)) * rate
    if alpha and l1_ratio > 0:
        soft_threshold(coef, rate * (alpha * l1_ratio))
    if config.fit_intercept:
        sq_intercept += grad_intercept * grad_intercept
        intercept -= (
            config.intercept_scale
            * step
            * grad_intercept
            / (np.sqrt(sq_intercept) + ADAGRAD_EPS)
        )


def _apply_update(state, grad_coef, grad_intercept, step, config):
    """One (proximal, momentum) SGD update of ``state`` in place."""
    if config.adagrad:
        return _apply_adagrad(state, grad_coef, grad_intercept, step, config)
    coef, intercept = state.coef, state.intercept
    alpha, l1_ratio = config.alpha, config.l1_ratio
    if alpha and l1_ratio < 1:
        grad_coef += (alpha * (1 - l1_ratio)) * coef
    if config.momentum:
        vc, vi = state.velocity_coef, state.velocity_intercept
        vc *= config.momentum
        vc -= step * grad_coef
        vi *= config.momentum
        vi -= step * grad_intercept
        if config.nesterov:
            coef += config.momentum * vc - step * grad_coef
            if config.fit_intercept:
                intercept += config.momentum * vi - step * grad_intercept
        else:
            coef += vc
            if config.fit_intercept:
                intercept += vi
    else:
        coef -= step * grad_coef
        if config.fit_intercept:
            intercept -= step * grad_intercept
    if alpha and l1_ratio > 0:
        soft_threshold(coef, step * alpha * l1_ratio)


def _update_average(state, batch_rows, config):
    state.samples_seen += batch_rows
    if config.average_start is None or state.samples_seen < config.average_start:
        return  # the first averaged update sets avg = coef (rate 1)
    if state.avg_coef is None:
        state.avg_coef = state.coef.copy(order="K")
        state.avg_intercept = state.intercept.copy()
    state.n_avg += 1
    rate = 1.0 / state.n_avg
    state.avg_coef += rate * (state.coef - state.avg_coef)
    state.avg_intercept += rate * (state.intercept - state.avg_intercept)


def sgd_pass(
    state,
    X,
    y,
    sample_weight,
    batches,
    *,
    loss_grad,
    schedule,
    config,
    epoch=1,
    buffer=None,
    gather=None,
):
    """One pass over ``batches`` of ``(X, y, sample_weight)``; updates ``state``.

    Parameters
    ----------
    state : dict
        Optimizer state from :func:`init_state`, updated in place.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices.
    sample_weight : ndarray of shape (n_samples,)
        Normalised to mean 1 over the rows that the batches cover (see
        :func:`normalise_weights`): each batch's weighted loss sum is divided
        by its number of rows, an unbiased estimate of the gradient of ``J``
        whatever the batch size. A batch of zero weight takes the penalty's
        step alone.
    batches : iterable of (slice or ndarray of int)
        Row selections, one per update. ``slice(None)`` uses ``X`` as it is.
    loss_grad : callable
        ``loss, grad_coef, grad_intercept = loss_grad(coef, intercept, X, y, sw,
        denominator=n_rows_of_batch)``.
    schedule : callable
        ``step -> step size``; multiplied by ``state.lr_scale``.
    config : UpdateConfig
    epoch : int, default=1
        Reported in the divergence error.
    buffer : ndarray, default=None
        Reused storage for gathered dense batches.
    gather : callable, default=None
        ``gather(X, idx, buffer) -> rows``; :func:`gather_rows` by default (a
        file-backed memmap passes a reader that does not map the file).

    Returns
    -------
    objective : float
        Mean of the batch objectives (loss + penalty at the parameters before
        each update), weighted by batch size; ``nan`` when nothing was updated.

    Notes
    -----
    The compiled kernels of :mod:`._fast` run the pass when they implement
    its loss, data and update (:func:`._compiled.compiled_pass`); this
    function's numpy code is their reference and runs otherwise.
    """
    if not isinstance(batches, Sequence):  # an iterator: it is read twice
        batches = list(batches)
    if config.adagrad:
        adagrad_sums(state, config)
    compiled = compiled_pass(
        state,
        X,
        y,
        sample_weight,
        batches,
        loss_grad=loss_grad,
        schedule=schedule,
        config=config,
        buffer=buffer,
        gather=gather,
    )
    if compiled is not None:
        status, total, rows_done = compiled
        if status:
            raise _divergence(epoch, state.last_step, state)
        return total / rows_done if rows_done else float("nan")
    if _lazy_sparse_ok(X, config):
        lazy_pass = _sgd_pass_lazy_adagrad if config.adagrad else _sgd_pass_lazy_sparse
        return lazy_pass(
            state,
            X,
            y,
            sample_weight,
            batches,
            loss_grad=loss_grad,
            schedule=schedule,
            config=config,
            epoch=epoch,
        )
    gather = gather_rows if gather is None else gather
    total, rows_done = 0.0, 0
    prev_coef = state.coef.copy(order="K")
    prev_intercept = state.intercept.copy()
    step = state.last_step
    last = None  # the last updated batch (nothing is gathered after it)
    for idx in batches:
        sw = sample_weight[idx]
        whole = isinstance(idx, slice) and idx == slice(None)
        Xb = X if whole else gather(X, idx, buffer)
        coef, intercept = state.coef, state.intercept
        loss, grad_coef, grad_intercept = loss_grad(
            coef, intercept, Xb, y[idx], sw, denominator=Xb.shape[0]
        )
        objective = loss + penalty_value(coef, config.alpha, config.l1_ratio)
        if not np.isfinite(objective):
            np.copyto(coef, prev_coef)
            np.copyto(intercept, prev_intercept)
            raise _divergence(epoch, step, state)
        step = float(schedule(state.t)) * state.lr_scale
        state.last_step = step
        np.copyto(prev_coef, coef)
        np.copyto(prev_intercept, intercept)
        _apply_update(state, grad_coef, grad_intercept, step, config)
        state.t += 1
        last = (Xb, idx, sw)
        n_rows = Xb.shape[0]
        _update_average(state, n_rows, config)
        total += objective * n_rows
        rows_done += n_rows
    if not (np.isfinite(state.coef).all() and np.isfinite(state.intercept).all()):
        np.copyto(state.coef, prev_coef)
        np.copyto(state.intercept, prev_intercept)
        raise _divergence(epoch, step, state)
    if last is not None:
        # Check the last update on its own batch: a pass never returns
        # parameters whose objective there (penalty included) is non-finite
        # (the next pass could not restore anything older, and would diverge
        # whatever the step).
        Xb, idx, sw = last
        final = loss_grad(
            state.coef,
            state.intercept,
            Xb,
            y[idx],
            sw,
            return_grad=False,
            denominator=Xb.shape[0],
        ) + penalty_value(state.coef, config.alpha, config.l1_ratio)
        if not np.isfinite(final):
            np.copyto(state.coef, prev_coef)
            np.copyto(state.intercept, prev_intercept)
            raise _divergence(epoch, step, state)
    return total / rows_done if rows_done else float("nan")


def _lazy_sparse_ok(X, config):
    """Whether a lazy sparse pass applies: CSR data, no momentum, L2 or no
    penalty, no averaging together with AdaGrad."""
    return (
        sp.issparse(X)
        and X.format == "csr"
        and config.momentum == 0
        and not (config.adagrad and config.average_start is not None)
        and (config.alpha == 0 or config.l1_ratio == 0)
    )


def _pending_decay(sq_grad, alpha, n_skipped, step_sum):
    """L2 proximal decay owed by weights that sat out ``n_skipped`` updates.

    Under AdaGrad an untouched weight only meets the proximal steps
    ``w <- w / (1 + rate_s * alpha)`` with ``rate_s = step_s / (sqrt(G) + eps)``
    (``G`` does not change while it is untouched). Their product is computed
    with the mean step of the gap, ``(1 + alpha * S / (n * d)) ** -n`` with
    ``S`` the sum of the steps and ``d = sqrt(G) + eps``: exact for a
    constant step.
    """
    n = np.maximum(n_skipped, 1)
    per_step = alpha * (step_sum / n) / (np.sqrt(sq_grad) + ADAGRAD_EPS)
    return np.exp(-n_skipped * np.log1p(per_step))


def _sgd_pass_lazy_adagrad(
    state, X, y, sample_weight, batches, *, loss_grad, schedule, config, epoch
):
    """:func:`sgd_pass` with AdaGrad on CSR data, touching only batch columns.

    A column's owed L2 decay is applied when a batch next uses it (and for
    every column at the end of the pass), so a batch costs
    O(nnz x n_rows). The penalty part of the batch objective uses the stored
    weights, which do not yet carry the owed decay (an upper bound).
    """
    coef, intercept = state.coef, state.intercept
    sq_coef, sq_intercept = adagrad_sums(state, config)
    per_feature = sq_coef.ndim == 1
    alpha = config.alpha
    n_features = coef.shape[1]
    last_t = np.zeros(n_features, dtype=np.int64)  # updates when last touched
    last_sum = np.zeros(n_features)  # sum of steps when last touched
    t_pass, step_sum = 0, 0.0
    sq_norm = _sq_norm(coef)
    total, rows_done, step = 0.0, 0, state.last_step
    prev = None
    try:
        for idx in batches:
            sw = sample_weight[idx]
            Xb = X[idx]
            cols, Xc = compact_columns(Xb)
            old_cols = coef[:, cols]
            sq_cols = sq_coef[cols] if per_feature else sq_coef[:, cols]
            w_cols = old_cols
            if alpha:
                w_cols = old_cols * _pending_decay(
                    sq_cols,
                    alpha,
                    t_pass - last_t[cols],
                    step_sum - last_sum[cols],
                )
            loss, grad_cols, grad_intercept = loss_grad(
                w_cols, intercept, Xc, y[idx], sw, denominator=Xb.shape[0]
            )
            objective = loss + 0.5 * alpha * sq_norm
            if not np.isfinite(objective):
                if prev is not None:
                    _restore_adagrad_cols(state, prev, last_t, last_sum)
                raise _divergence(epoch, step, state)
            step = float(schedule(state.t)) * state.lr_scale
            state.last_step = step
            prev = (
                cols,
                old_cols,
                sq_cols,
                intercept.copy(),
                sq_intercept.copy(),
                last_t[cols],
                last_sum[cols],
            )
            sq_cols = _add_sq_grad(sq_cols, grad_cols)
            rate = step / (np.sqrt(sq_cols) + ADAGRAD_EPS)
            new_cols = w_cols - rate * grad_cols
            if alpha:
                new_cols /= 1 + alpha * rate
            coef[:, cols] = new_cols
            sq_coef[..., cols] = sq_cols
            sq_norm += _sq_norm(new_cols) - _sq_norm(old_cols)
            t_pass += 1
            step_sum += step
            last_t[cols] = t_pass
            last_sum[cols] = step_sum
            if config.fit_intercept:
                sq_intercept += grad_intercept * grad_intercept
                intercept -= (
                    config.intercept_scale
                    * step
                    * grad_intercept
                    / (np.sqrt(sq_intercept) + ADAGRAD_EPS)
                )
            state.t += 1
            state.samples_seen += Xb.shape[0]
            total += objective * Xb.shape[0]
            rows_done += Xb.shape[0]
        if not (np.isfinite(sq_norm) and np.isfinite(intercept).all()):
            _restore_adagrad_cols(state, prev, last_t, last_sum)
            raise _divergence(epoch, step, state)
    finally:
        if alpha and t_pass:  # settle every column's owed decay
            coef *= _pending_decay(sq_coef, alpha, t_pass - last_t, step_sum - last_sum)
    return total / rows_done if rows_done else float("nan")


def _restore_adagrad_cols(state, prev, last_t, last_sum):
    cols, old_cols, sq_cols, intercept, sq_intercept, t_cols, sum_cols = prev
    state.coef[:, cols] = old_cols
    state.sq_grad_coef[..., cols] = sq_cols
    np.copyto(state.intercept, intercept)
    np.copyto(state.sq_grad_intercept, sq_intercept)
    last_t[cols] = t_cols
    last_sum[cols] = sum_cols


def _sq_norm(a):
    """Squared Frobenius norm, in any memory layout, without BLAS threads."""
    return float(np.einsum("ij,ij->", a, a))


def compact_columns(Xb):
    """The columns that occur in a CSR batch, and the batch restricted to them.

    Returns ``cols`` (sorted feature indices) and a CSR matrix of shape
    ``(n_rows, cols.size)`` that shares ``data`` and ``indptr`` with ``Xb``.
    """
    n_features = Xb.shape[1]
    if Xb.indices.size * 8 < n_features:  # few entries: sorting is cheaper
        cols, inverse = np.unique(Xb.indices, return_inverse=True)
    else:  # mark the present columns: O(n_features) without a sort
        present = np.zeros(n_features, dtype=bool)
        present[Xb.indices] = True
        cols = np.flatnonzero(present)
        position = np.empty(n_features, dtype=Xb.indices.dtype)
        position[cols] = np.arange(cols.size, dtype=Xb.indices.dtype)
        inverse = position[Xb.indices]
    compact = sp.csr_matrix(
        (Xb.data, inverse.astype(Xb.indices.dtype, copy=False), Xb.indptr),
        shape=(Xb.shape[0], cols.size),
    )
    return cols, compact


#: The lazy average is written out once ``d`` exceeds this many times the
#: L2 scale: ``c * U`` and ``d * V`` then cancel to the average, and their
#: rounding errors grow with ``d / scale`` (only a strong decay, alpha * step
#: of several percent, reaches it within a pass).
RESETTLE = 16.0


class _LazyAverage:
    """The running average of ``W = scale * V`` without touching every column.

    Holds ``A = c * U + d * V`` with scalars ``c`` and ``d`` and ``U`` stored
    in ``avg`` (the state's ``avg_coef``, updated in place). The averaged
    update ``A <- (1 - mu) A + mu * scale * V`` after ``V`` changed by
    ``delta`` in some columns becomes ``U[cols] -= (d / c) * delta`` and two
    scalar updates (Xu, 2011, "Towards optimal one pass large scale learning
    with averaged stochastic gradient descent"), so it costs what the
    gradient step costs.
    """

    def __init__(self, avg):
        self.avg, self.c, self.d = avg, 1.0, 0.0

    def restart(self, scale):
        """``A = scale * V``: the first averaged update (rate 1)."""
        self.avg[...] = 0.0
        self.c, self.d = 1.0, scale

    def update(self, cols, delta, scale, rate):
        """Average in the iterate after ``V[:, cols]`` changed by ``delta``."""
        if self.d:
            self.avg[:, cols] -= (self.d / self.c) * delta
        self.c *= 1.0 - rate
        self.d = (1.0 - rate) * self.d + rate * scale

    def settle(self, V):
        """Write ``A`` into ``avg`` (``c = 1, d = 0``), before ``V`` changes
        other than through :meth:`update`."""
        if self.c != 1.0:
            self.avg *= self.c
        if self.d:
            self.avg += self.d * V
        self.c, self.d = 1.0, 0.0


def _sgd_pass_lazy_sparse(
    state, X, y, sample_weight, batches, *, loss_grad, schedule, config, epoch
):
    """:func:`sgd_pass` for CSR data, touching only the batch's columns.

    The coefficients are held as ``W = scale * V``: the L2 decay
    ``W <- (1 - step * alpha) W`` becomes a scalar update of ``scale`` and the
    gradient step changes only the columns of ``V`` whose features occur in the
    batch, so a batch costs O(nnz x n_rows), not O(n_features x n_rows). The
    squared norm of ``V`` is tracked for the penalty term, and the running
    average (``config.average_start``) is kept lazily by :class:`_LazyAverage`.
    The iterates are the same as the dense update's, up to rounding.
    """
    coef, intercept = state.coef, state.intercept
    alpha = config.alpha
    averaging = config.average_start is not None
    average = None
    if averaging and state.avg_coef is not None:
        average = _LazyAverage(state.avg_coef)
    scale, sq_norm = 1.0, _sq_norm(coef)
    total, rows_done, step = 0.0, 0, state.last_step
    prev = None  # (cols, V[:, cols], intercept, scale) before an update
    last = None  # the last updated batch: (idx, cols, Xc, sw)

    def restore_and_fail():
        nonlocal scale
        if prev is not None:
            coef[:, prev[0]] = prev[1]
            np.copyto(intercept, prev[2])
            coef[...] *= prev[3]
        else:
            coef[...] *= scale
        scale = 1.0
        if average is not None:
            average.c, average.d = 1.0, 0.0  # _divergence restarts the average
        return _divergence(epoch, step, state)

    try:
        for idx in batches:
            Xb = X[idx]
            sw = sample_weight[idx]
            cols, Xc = compact_columns(Xb)
            v_cols = coef[:, cols]
            loss, grad_cols, grad_intercept = loss_grad(
                scale * v_cols, intercept, Xc, y[idx], sw, denominator=Xb.shape[0]
            )
            objective = loss + 0.5 * alpha * scale * scale * sq_norm
            if not np.isfinite(objective):
                raise restore_and_fail()
            step = float(schedule(state.t)) * state.lr_scale
            state.last_step = step
            prev = (cols, v_cols, intercept.copy(), scale)
            decay = 1.0 - step * alpha
            if decay == 0.0:  # the decay wipes W out: restart V from zero
                if average is not None:
                    average.settle(coef)
                # every column changes: the restore point is all of V
                prev = (slice(None), coef.copy(order="F"), *prev[2:])
                coef[...] = 0.0
                v_cols, scale, sq_norm = coef[:, cols], 1.0, 0.0
            else:
                scale *= decay
            new_cols = v_cols - (step / scale) * grad_cols
            coef[:, cols] = new_cols
            sq_norm += _sq_norm(new_cols) - _sq_norm(v_cols)
            if config.fit_intercept:
                intercept -= step * grad_intercept
            state.t += 1
            n_rows = Xb.shape[0]
            state.samples_seen += n_rows
            if averaging and state.samples_seen >= config.average_start:
                if average is None:
                    state.avg_coef = np.zeros_like(coef, order="F")
                    state.avg_intercept = intercept.copy()
                    average = _LazyAverage(state.avg_coef)
                state.n_avg += 1
                rate = 1.0 / state.n_avg
                if rate == 1.0:
                    average.restart(scale)
                else:
                    average.update(cols, new_cols - v_cols, scale, rate)
                avg_b = state.avg_intercept
                avg_b += rate * (intercept - avg_b)
                if abs(average.d) > RESETTLE * abs(scale):
                    average.settle(coef)
            if abs(scale) < 1e-9:  # fold the scale back before it underflows
                if average is not None:
                    average.settle(coef)
                coef *= scale
                # the restore point, in the units of the folded V
                cols_p, v_p, b_p, scale_p = prev
                prev = (cols_p, v_p * scale, b_p, scale_p / scale)
                scale, sq_norm = 1.0, _sq_norm(coef)
            total += objective * n_rows
            rows_done += n_rows
            last = (idx, cols, Xc, sw)
        if last is not None:
            # the last update on its own batch, as sgd_pass: parameters at
            # which it is non-finite would fail the next pass's first batch
            idx, cols, Xc, sw = last
            final = loss_grad(
                scale * coef[:, cols],
                intercept,
                Xc,
                y[idx],
                sw,
                return_grad=False,
                denominator=Xc.shape[0],
            )
            if not np.isfinite(final):
                raise restore_and_fail()
        # ||W||^2 = scale^2 ||V||^2 (the penalty's) is finite exactly when
        # every entry of W is and their squares do not overflow together
        if not (np.isfinite(scale * scale * sq_norm) and np.isfinite(intercept).all()):
            raise restore_and_fail()
    finally:
        if average is not None:
            average.settle(coef)
        coef *= scale
    return total / rows_done if rows_done else float("nan")


#: An epoch objective this many times the first epoch's counts as divergence,
#: even while it is still finite (the iterates are then astronomically large).
BLOW_UP = 1e10


def _divergence(epoch, step, state, objective=None):
    # The momentum buffers and the running average took in the step that
    # diverged: restart both from the restored (last finite) parameters.
    if state.avg_coef is not None:
        np.copyto(state.avg_coef, state.coef)
        np.copyto(state.avg_intercept, state.intercept)
    state.n_avg = 0
    if state.velocity_coef is not None:
        state.velocity_coef[...] = 0
        state.velocity_intercept[...] = 0
    what = "non-finite" if objective is None else f"explosive ({objective:.3g})"
    return DivergenceError(
        f"The objective became {what} at epoch {epoch} (step size {step:.3g}, "
        f"after {state.t} updates). The step size is too large for this data: "
        "use a smaller eta0 (or a decaying learning_rate), or scale the features "
        "(e.g. with StandardScaler). The estimator keeps its last finite "
        "parameters."
    )


def track_improvement(best, no_improvement, value, tol, mode="min", floor=0.0):
    """Patience bookkeeping: ``(best, no_improvement_count)`` after one epoch.

    An epoch counts as an improvement when ``value < best - tol * max(|best|,
    floor)`` (``mode="min"``: the objective; the estimators pass the loss at
    zero weights as ``floor``, so that ``tol`` is a fraction of what there is
    to learn, which does not vanish where the objective tends to 0 on
    separable data) or ``value > best + tol`` (``mode="max"``: a validation
    accuracy, in [0, 1]); ``best`` tracks the best value.
    """
    if best is None:
        return value, 0
    if mode == "min":
        improved = value < best - tol * max(abs(best), floor)
        best = min(best, value)
    else:
        improved = value > best + tol
        best = max(best, value)
    return best, 0 if improved else no_improvement + 1


def sgd_epochs(
    state,
    X,
    y,
    sample_weight,
    make_batches,
    *,
    loss_grad,
    schedule,
    config,
    max_iter,
    tol=None,
    n_iter_no_change=5,
    tol_floor=0.0,
    plateau=None,
    validation_score=None,
    verbose=0,
    buffer=None,
    gather=None,
    loss_curve=None,
    validation_scores=None,
):
    """Run up to ``max_iter`` epochs with the stopping rule; updates ``state``.

    Parameters
    ----------
    make_batches : callable
        ``epoch -> iterable of row selections`` (shuffled per epoch by the caller).
    tol : float or None
        Stop after ``n_iter_no_change`` epochs without an improvement larger than
        ``tol`` of the monitored value (relative for the objective, see
        :func:`track_improvement`); ``None`` disables the rule.
    tol_floor : float, default=0.0
        The least objective size that ``tol`` is a fraction of.
    plateau : object or None
        A plateau schedule (``init_state()``, ``update(state, value)``,
        attribute ``mode``); it lowers ``state.lr_scale`` and training stops
        when it is exhausted instead of by the patience rule.
    validation_score : callable or None
        ``(coef, intercept) -> score`` (higher is better). When given, it is
        the monitored value and the best epoch's parameters are restored.
    loss_curve, validation_scores : list, default=None
        Lists that receive one value per epoch as training goes (so that the
        caller keeps them when training is interrupted).

    Returns
    -------
    result : dict
        ``n_iter``, ``loss_curve``, ``validation_scores``,
        ``best_validation_score``, ``stopped`` (the stopping rule ended the
        fit before ``max_iter``).
    """
    loss_curve = [] if loss_curve is None else loss_curve
    val_scores = [] if validation_scores is None else validation_scores
    best, no_improvement = None, 0
    best_score, best_params = -np.inf, None
    mode = "max" if validation_score is not None else "min"
    if plateau is not None:
        state.plateau = None  # each fit starts the plateau rule afresh
    stopped = False
    good_params = state.snapshot()
    start = time.time()
    n_iter = 0
    for epoch in range(1, max_iter + 1):
        n_iter = epoch
        start_params = state.snapshot()
        objective = sgd_pass(
            state,
            X,
            y,
            sample_weight,
            make_batches(epoch),
            loss_grad=loss_grad,
            schedule=schedule,
            config=config,
            epoch=epoch,
            buffer=buffer,
            gather=gather,
        )
        loss_curve.append(objective)
        if objective > BLOW_UP * max(loss_curve[0], 1e-12):
            # Still finite, but astronomically large: back to the start of the
            # last epoch whose objective was sound.
            state.restore(good_params)
            raise _divergence(epoch, state.last_step, state, objective)
        good_params = start_params
        monitored = objective
        if validation_score is not None:
            score = float(validation_score(*state.params()))
            val_scores.append(score)
            monitored = score
            if score > best_score:
                best_score = score
                best_params = tuple(p.copy(order="K") for p in state.params())
        if verbose:
            _report(epoch, objective, val_scores, schedule, state, start)
        if plateau is not None:
            if plateau_step(state, plateau, monitored) and tol is not None:
                stopped = True
                break
        elif tol is not None:
            best, no_improvement = track_improvement(
                best, no_improvement, monitored, tol, mode, tol_floor
            )
            if no_improvement >= n_iter_no_change:
                stopped = True
                break
    if best_params is not None:
        state.restore(best_params)
        if state.avg_coef is not None:
            np.copyto(state.avg_coef, best_params[0])
            np.copyto(state.avg_intercept, best_params[1])
    if verbose and stopped:
        print(f"Convergence after {n_iter} epochs took {time.time() - start:.2f} s")
    return {
        "n_iter": n_iter,
        "loss_curve": loss_curve,
        "validation_scores": val_scores,
        "best_validation_score": best_score if best_params is not None else None,
        "stopped": stopped,
    }


def _report(epoch, objective, val_scores, schedule, state, start):
    step = float(schedule(max(state.t - 1, 0))) * state.lr_scale
    val = f", validation score: {val_scores[-1]:.4f}" if val_scores else ""
    print(
        f"-- Epoch {epoch}, objective: {objective:.6g}{val}, step size: {step:.3g}, "
        f"updates: {state.t}, elapsed: {time.time() - start:.2f} s",
        flush=True,
    )
