"""The optimizer loop: epochs, the choice of a pass, and stopping.

Nothing here knows about estimators: the loss gradient and the step-size
schedule arrive as plain callables, the optimizer state is an
:class:`~._state.SGDState`, and the result is returned as plain data.
:func:`sgd_pass` runs one pass with a compiled kernel when one applies
(:mod:`._compiled`) and with a numpy reference pass otherwise
(:mod:`._reference`); :func:`sgd_epochs` runs the epochs with the stopping
rule, the plateau rule and the divergence checks, on a state narrowed to
the columns that CSR data use where a quarter or more are empty (hashed
text).
"""

import time
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np

from ._compiled import compiled_pass
from ._reference import (
    _batch_objective,
    _lazy_sparse_ok,
    _sgd_pass_lazy_adagrad,
    _sgd_pass_lazy_sparse,
    compact_columns,
    gather_rows,
    generic_pass,
)
from ._state import (
    PARAMETER_KEYS,
    PassJob,
    _divergence,
    adagrad_sums,
    narrow,
    nonzero_columns,
    plateau_step,
    widen,
)


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
    state : SGDState
        Optimizer state from :func:`._state.init_state` or
        :func:`._state.zero_state`, updated in place.
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
    rule = (loss_grad, schedule, config)
    job = PassJob(state, X, y, sample_weight, batches, *rule, epoch, buffer, gather)
    compiled = compiled_pass(job)
    if compiled is not None:
        status, total, rows_done = compiled
        if status:
            raise _divergence(epoch, state.last_step, state)
        return total / rows_done if rows_done else float("nan")
    if not _lazy_sparse_ok(X, config):
        return generic_pass(job)
    # CSR rows are sliced, never gathered into the buffer
    lazy = _sgd_pass_lazy_adagrad if config.adagrad else _sgd_pass_lazy_sparse
    return lazy(job)


#: The stopping rule compares rounds of at least this many updates: shorter
#: epochs are pooled (digits' 1,347 rows make 6 batches of 256 an epoch,
#: iris' 150 rows one). An epoch of few updates makes little progress, and
#: with one full-batch step an epoch, AdaGrad's first steps overshoot: the
#: objective rises above the first epoch's for a few epochs before it falls.
SHORT_EPOCH_UPDATES = 16

#: An epoch objective this many times the first epoch's counts as divergence,
#: even while it is still finite (the iterates are then astronomically large).
BLOW_UP = 1e10


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
        :func:`track_improvement`; epochs of fewer than
        :data:`SHORT_EPOCH_UPDATES` updates are pooled into rounds of at least
        that many, and the rule compares their mean objectives, or their best
        validation scores, and counts rounds); ``None`` disables the rule.
    tol_floor : float, default=0.0
        The least objective size that ``tol`` is a fraction of.
    plateau : object or None
        A plateau schedule (``init_state()``, ``update(state, value)``,
        attribute ``mode``); it lowers ``state.lr_scale`` and training stops
        when it is exhausted instead of by the patience rule. It sees the
        same rounds as the stopping rule.
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
    pooled = [None, 0]  # the round's value so far, and its updates
    with _narrowed(state, X, gather, validation_score) as (state, X, validation_score):
        restore_point = state.snapshot()  # one copy: refreshed, not reallocated
        probe = _probe_rows(X, y, gather)
        start = time.time()
        n_iter = 0
        for epoch in range(1, max_iter + 1):
            n_iter = epoch
            t_start = state.t
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
            explosive = _explosive(
                state, objective, probe, loss_grad, config, loss_curve[0]
            )
            if explosive is not None:
                # Still finite, but astronomically large: back to the start of
                # this epoch, whose parameters the previous check found sound.
                state.restore(restore_point)
                raise _divergence(epoch, state.last_step, state, explosive)
            state.keep(restore_point)
            monitored = objective
            if validation_score is not None:
                score = float(validation_score(*state.params()))
                val_scores.append(score)
                monitored = score
                if score > best_score:
                    best_score = score
                    best_params = _keep_best(best_params, state.params())
            if verbose:
                _report(epoch, objective, val_scores, schedule, state, start)
            if plateau is None and tol is None:
                continue
            monitored = _pool(pooled, monitored, state.t - t_start, mode)
            if monitored is None:  # the round goes on
                continue
            if plateau is not None:
                stopped = plateau_step(state, plateau, monitored) and tol is not None
            else:
                best, no_improvement = track_improvement(
                    best, no_improvement, monitored, tol, mode, tol_floor
                )
                stopped = no_improvement >= n_iter_no_change
            if stopped:
                break
        _restore_best(state, best_params)
        restore_point = best_params = None  # before a narrowed state widens
    if verbose and stopped:
        print(f"Convergence after {n_iter} epochs took {time.time() - start:.2f} s")
    return {
        "n_iter": n_iter,
        "loss_curve": loss_curve,
        "validation_scores": val_scores,
        "best_validation_score": best_score if best_params is not None else None,
        "stopped": stopped,
    }


#: A fit narrows the state to the live features (see :func:`_narrowed`)
#: when they are at most this share of the columns.
NARROW_SHARE = 0.75


@contextmanager
def _narrowed(state, X, gather, validation_score):
    """Run a fit's epochs on the features that the data or the state use.

    Hashed text has many columns that no row uses (2^20 columns, a quarter of
    them used by 15,000 documents). Where the live columns of CSR data (a
    non-zero in some row, or a non-zero parameter, velocity or running
    average) are at most :data:`NARROW_SHARE` of them, the epochs run on a
    narrowed state (:func:`._state.narrow`) and on ``X`` with its columns
    renumbered: the passes then neither read nor settle the dead columns,
    which stay zero, and the parameters come out as the whole state's would.
    Yields ``(state, X, validation_score)`` for the epochs; the result is
    written back (:func:`._state.widen`) when they end, or fail. The whole
    state's model-sized arrays are let go meanwhile (every column outside
    the live ones is zero): a fit then holds its model once, plus the live
    columns twice (iterate and restore point) while it runs.
    """
    cols = _live_columns(state, X, gather)
    if cols is None:
        yield state, X, validation_score
        return
    work = narrow(state, cols)
    for key in PARAMETER_KEYS:
        setattr(state, key, None)  # zero outside cols: widen rebuilds them
    score = None
    if validation_score is not None:  # scored on a whole-width copy
        whole = np.zeros((work.coef.shape[0], X.shape[1]), work.coef.dtype, "F")

        def score(coef, intercept):
            whole[:, cols] = coef  # the dead columns stay 0
            return validation_score(whole, intercept)

    try:
        yield work, compact_columns(X, cols)[1], score
    finally:
        widen(state, work, cols, X.shape[1])


def _live_columns(state, X, gather):
    """Sorted indices of the live columns of CSR ``X`` (see :func:`_narrowed`)
    when narrowing applies, else ``None``: at most :data:`NARROW_SHARE` of
    the columns are live, and the model's dead columns take more memory than
    the renumbered column indices of ``X`` that narrowing allocates (a
    model of few classes over many rows is not worth it)."""
    if gather is not None or getattr(X, "format", None) != "csr":
        return None
    live = np.zeros(X.shape[1], dtype=bool)
    live[X.indices] = True
    if np.count_nonzero(live) > NARROW_SHARE * X.shape[1]:
        return None  # (the data alone use too many: no scan of the model)
    live |= nonzero_columns(state)
    cols = np.flatnonzero(live)
    dead_bytes = (X.shape[1] - cols.size) * state.coef.shape[0] * state.coef.itemsize
    if cols.size > NARROW_SHARE * X.shape[1] or dead_bytes <= X.indices.nbytes:
        return None
    return cols


def _restore_best(state, best_params):
    """Put back the best validation epoch's parameters (``None``: nothing
    kept), also as the running average when there is one."""
    if best_params is None:
        return
    state.restore(best_params)
    if state.avg_coef is not None:
        np.copyto(state.avg_coef, best_params[0])
        np.copyto(state.avg_intercept, best_params[1])


def _keep_best(kept, params):
    """Copy ``params`` into ``kept`` (allocated on the first call only)."""
    if kept is None:
        return tuple(p.copy(order="K") for p in params)
    for dst, src in zip(kept, params):
        np.copyto(dst, src)
    return kept


def _pool(pooled, value, updates, mode):
    """Add an epoch to the round ``pooled`` (in place, ``[None, 0]`` when it
    starts); once the round has :data:`SHORT_EPOCH_UPDATES` updates, return
    its value and start the next round, else return ``None``. A round's
    objective (``mode="min"``) is the mean of its epochs', weighted by
    updates; its validation score (``"max"``) is the best of its epochs'."""
    if mode == "min":
        pooled[0] = (pooled[0] or 0.0) + value * updates
    else:
        pooled[0] = value if pooled[0] is None else max(pooled[0], value)
    pooled[1] += updates
    if pooled[1] < SHORT_EPOCH_UPDATES:
        return None
    result = pooled[0] / pooled[1] if mode == "min" else pooled[0]
    pooled[:] = [None, 0]
    return result


#: Rows on which the end of each epoch's parameters are checked for blow-up.
PROBE_ROWS = 256


def _probe_rows(X, y, gather):
    """Up to :data:`PROBE_ROWS` rows spread evenly over the data, with their
    labels, gathered once (an index array always gathers into new storage)."""
    n_samples = X.shape[0]
    idx = np.unique(
        np.linspace(0, n_samples - 1, min(n_samples, PROBE_ROWS)).astype(np.intp)
    )
    rows = (gather_rows if gather is None else gather)(X, idx, None)
    return rows, y[idx], np.ones(len(idx))


def _explosive(state, objective, probe, loss_grad, config, first):
    """The value that shows the parameters blew up, else ``None``.

    An epoch blew up when its objective (measured along the pass) is
    :data:`BLOW_UP` times the first epoch's, or when the parameters it ends
    with give such an objective on the probe rows (unit weights, penalty
    included): the start of the next epoch is then not a sound restore point.
    """
    limit = BLOW_UP * max(first, 1e-12)
    if objective > limit:
        return objective
    Xp, yp, swp = probe
    at_end = _batch_objective(loss_grad, state, Xp, yp, swp, config)
    return at_end if not at_end <= limit else None


def _report(epoch, objective, val_scores, schedule, state, start):
    step = float(schedule(max(state.t - 1, 0))) * state.lr_scale
    val = f", validation score: {val_scores[-1]:.4f}" if val_scores else ""
    print(
        f"-- Epoch {epoch}, objective: {objective:.6g}{val}, step size: {step:.3g}, "
        f"updates: {state.t}, elapsed: {time.time() - start:.2f} s",
        flush=True,
    )
