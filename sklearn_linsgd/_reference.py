"""The numpy reference passes: one pass of mini-batch updates over a data set.

They run where no compiled kernel applies (a plain callable schedule, L1 or
elastic net on CSR data, momentum with AdaGrad, ...) and are the reference the
compiled passes are tested against: the generic pass (dense or CSR, every
update rule), the lazy CSR pass (plain SGD with L2, possibly averaged) and the
lazy CSR AdaGrad pass. :func:`._sgd.sgd_pass` chooses among them.
"""

import numpy as np
import scipy.sparse as sp

from ._losses import penalty_value, soft_threshold
from ._state import ADAGRAD_EPS, _divergence, adagrad_sums


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


#: Elements of a column block of a CSR update (512 KiB in float64): the generic
#: pass updates CSR fits block by block, so that its temporaries stay this
#: size however wide the model is.
BLOCK_ELEMENTS = 1 << 16


def _add_sq_grad(sq_coef, grad_coef):
    """``G + g**2`` per coordinate, or ``G + mean over classes of g**2`` per
    feature (when ``sq_coef`` is 1-d); the result is new."""
    sq = grad_coef * grad_coef
    if sq_coef.ndim == 1:
        sq = sq.mean(axis=0)
    return sq_coef + sq


def _column_blocks(n_rows, n_features, elements=None):
    """Slices of at most ``elements`` / ``n_rows`` columns (at least one) that
    cover ``n_features`` columns in order; :data:`BLOCK_ELEMENTS` by default."""
    width = max(1, (BLOCK_ELEMENTS if elements is None else elements) // n_rows)
    return [slice(a, min(a + width, n_features)) for a in range(0, n_features, width)]


def _gradient_blocks(coef, grad_coef, elements=None):
    """``(columns, dense gradient)`` pairs that cover ``coef``.

    ``grad_coef`` is a dense gradient (one block, itself) or ``(cols,
    values)``, the gradient of a CSR batch on the columns it uses (zero
    elsewhere), which is written out in blocks of ``elements`` (see
    :func:`_column_blocks`).
    """
    if isinstance(grad_coef, np.ndarray):
        yield slice(None), grad_coef
        return
    cols, values = grad_coef
    n_rows, n_features = coef.shape
    for block in _column_blocks(n_rows, n_features, elements):
        lo, hi = np.searchsorted(cols, (block.start, block.stop))
        dense = np.zeros((n_rows, block.stop - block.start), values.dtype, order="F")
        dense[:, cols[lo:hi] - block.start] = values[:, lo:hi]
        yield block, dense


def _adagrad_weights(coef, sq_coef, grad, step, config):
    """AdaGrad's proximal step of (a block of) the weights, in place."""
    alpha, l1_ratio = config.alpha, config.l1_ratio
    sq_coef[...] = _add_sq_grad(sq_coef, grad)
    rate = step / (np.sqrt(sq_coef) + config.adagrad_eps)
    coef -= rate * grad
    if alpha and l1_ratio < 1:
        coef /= 1 + (alpha * (1 - l1_ratio)) * rate
    if alpha and l1_ratio > 0:
        soft_threshold(coef, rate * (alpha * l1_ratio))


def _apply_adagrad(state, grad_coef, grad_intercept, step, config):
    """AdaGrad with proximal regularization (Duchi, Hazan and Singer, 2011).

    Each coordinate steps by ``step / (sqrt(G) + eps)``, where ``G`` sums the
    squares of its data gradients (per weight), or the means over classes of
    the squares of its column's gradients (per feature); the L2 and L1
    penalties are applied as proximal steps with the same rates.
    """
    sq_coef, sq_intercept = adagrad_sums(state, config)
    for block, grad in _gradient_blocks(state.coef, grad_coef):
        sq = sq_coef[block] if sq_coef.ndim == 1 else sq_coef[:, block]
        _adagrad_weights(state.coef[:, block], sq, grad, step, config)
    if config.fit_intercept:
        sq_intercept += grad_intercept * grad_intercept
        state.intercept -= (
            config.intercept_scale
            * step
            * grad_intercept
            / (np.sqrt(sq_intercept) + ADAGRAD_EPS)
        )


def _momentum_step(param, velocity, grad, step, config, move=True):
    """``v = momentum * v - step * g``, then the parameter moves by ``v``
    (or by Nesterov's look-ahead) when ``move``; all in place."""
    velocity *= config.momentum
    velocity -= step * grad
    if not move:
        return
    if config.nesterov:
        param += config.momentum * velocity - step * grad
    else:
        param += velocity


def _sgd_weights(coef, velocity, grad, step, config):
    """A (proximal, momentum) SGD step of (a block of) the weights, in place;
    ``grad`` (the data gradient) is changed."""
    alpha, l1_ratio = config.alpha, config.l1_ratio
    if alpha and l1_ratio < 1:
        grad += (alpha * (1 - l1_ratio)) * coef
    if config.momentum:
        _momentum_step(coef, velocity, grad, step, config)
    else:
        coef -= step * grad
    if alpha and l1_ratio > 0:
        soft_threshold(coef, step * alpha * l1_ratio)


def _apply_update(state, grad_coef, grad_intercept, step, config):
    """One (proximal, momentum) SGD update of ``state`` in place.

    ``grad_coef`` is dense, or a CSR batch's ``(cols, values)`` (see
    :func:`_gradient_blocks`): the weights are then updated block by block.
    """
    if config.adagrad:
        return _apply_adagrad(state, grad_coef, grad_intercept, step, config)
    for block, grad in _gradient_blocks(state.coef, grad_coef):
        velocity = (
            None if state.velocity_coef is None else state.velocity_coef[:, block]
        )
        _sgd_weights(state.coef[:, block], velocity, grad, step, config)
    if config.momentum:
        _momentum_step(
            state.intercept,
            state.velocity_intercept,
            grad_intercept,
            step,
            config,
            move=config.fit_intercept,
        )
    elif config.fit_intercept:
        state.intercept -= step * grad_intercept


def _update_average(state, batch_rows, config):
    state.samples_seen += batch_rows
    if config.average_start is None or state.samples_seen < config.average_start:
        return  # the first averaged update sets avg = coef (rate 1)
    if state.avg_coef is None:
        state.avg_coef = state.coef.copy(order="K")
        state.avg_intercept = state.intercept.copy()
    state.n_avg += 1
    rate = 1.0 / state.n_avg
    for block in _column_blocks(*state.coef.shape):
        state.avg_coef[:, block] += rate * (
            state.coef[:, block] - state.avg_coef[:, block]
        )
    state.avg_intercept += rate * (state.intercept - state.avg_intercept)


def _batch_gradient(loss_grad, coef, intercept, Xb, yb, sw):
    """The loss and gradient of a batch (see :func:`generic_pass`); on CSR
    rows the weights' gradient is ``(cols, values)``, on the columns that
    the batch uses, and the full width is never materialised."""
    if not sp.issparse(Xb):
        return loss_grad(coef, intercept, Xb, yb, sw, denominator=Xb.shape[0])
    cols, Xc = compact_columns(Xb)
    loss, values, grad_intercept = loss_grad(
        coef[:, cols], intercept, Xc, yb, sw, denominator=Xb.shape[0]
    )
    return loss, (cols, values), grad_intercept


def generic_pass(job):
    """The generic numpy pass (dense or CSR, every update rule) of a
    :class:`~._state.PassJob`: the result of :func:`._sgd.sgd_pass`."""
    state, X, y, sample_weight, batches = job.data
    loss_grad, schedule, config = job.rule
    epoch, buffer = job.epoch, job.buffer
    gather = gather_rows if job.gather is None else job.gather
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
        loss, grad_coef, grad_intercept = _batch_gradient(
            loss_grad, coef, intercept, Xb, y[idx], sw
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
        prev = (prev_coef, prev_intercept)
        _check_last_update(state, last, y, loss_grad, config, prev, epoch, step)
    return total / rows_done if rows_done else float("nan")


def _batch_loss(loss_grad, coef, intercept, Xb, yb, sw):
    """A batch's data loss, divided by its rows as the passes divide it."""
    return loss_grad(
        coef, intercept, Xb, yb, sw, return_grad=False, denominator=Xb.shape[0]
    )


def _batch_objective(loss_grad, state, Xb, yb, sw, config):
    """The objective at ``state``'s parameters on a batch: its data loss (as
    :func:`_batch_loss`) plus the penalty."""
    value = _batch_loss(loss_grad, state.coef, state.intercept, Xb, yb, sw)
    return value + penalty_value(state.coef, config.alpha, config.l1_ratio)


def _check_last_update(state, last, y, loss_grad, config, prev, epoch, step):
    """Check the last update on its own batch: a pass never returns
    parameters whose objective there (penalty included) is non-finite (the
    next pass could not restore anything older, and would diverge whatever
    the step). Restores ``prev`` and raises :class:`DivergenceError`."""
    Xb, idx, sw = last
    final = _batch_objective(loss_grad, state, Xb, y[idx], sw, config)
    if not np.isfinite(final):
        np.copyto(state.coef, prev[0])
        np.copyto(state.intercept, prev[1])
        raise _divergence(epoch, step, state)


def _csr_batch(X, sample_weight, idx):
    """A batch of CSR rows, their weights, and the batch restricted to the
    columns it uses (``cols, Xc``, see :func:`compact_columns`)."""
    Xb = X[idx]
    cols, Xc = compact_columns(Xb)
    return Xb, sample_weight[idx], cols, Xc


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


def _pending_decay(sq_grad, alpha, n_skipped, step_sum, eps=ADAGRAD_EPS):
    """L2 proximal decay owed by weights that sat out ``n_skipped`` updates.

    Under AdaGrad an untouched weight only meets the proximal steps
    ``w <- w / (1 + rate_s * alpha)`` with ``rate_s = step_s / (sqrt(G) + eps)``
    (``G`` does not change while it is untouched). Their product is computed
    with the mean step of the gap, ``(1 + alpha * S / (n * d)) ** -n`` with
    ``S`` the sum of the steps and ``d = sqrt(G) + eps``: exact for a
    constant step.
    """
    n = np.maximum(n_skipped, 1)
    per_step = alpha * (step_sum / n) / (np.sqrt(sq_grad) + eps)
    return np.exp(-n_skipped * np.log1p(per_step))


def _sgd_pass_lazy_adagrad(job):
    """:func:`sgd_pass` with AdaGrad on CSR data, touching only batch columns.

    A column's owed L2 decay is applied when a batch next uses it (and for
    every column at the end of the pass), so a batch costs
    O(nnz x n_rows). The penalty part of the batch objective uses the stored
    weights, which do not yet carry the owed decay (an upper bound).
    """
    state, X, y, sample_weight, batches = job.data
    loss_grad, schedule, config = job.rule
    epoch = job.epoch
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
            Xb, sw, cols, Xc = _csr_batch(X, sample_weight, idx)
            old_cols = coef[:, cols]
            sq_cols = sq_coef[cols] if per_feature else sq_coef[:, cols]
            w_cols = old_cols
            if alpha:
                w_cols = old_cols * _pending_decay(
                    sq_cols,
                    alpha,
                    t_pass - last_t[cols],
                    step_sum - last_sum[cols],
                    config.adagrad_eps,
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
            rate = step / (np.sqrt(sq_cols) + config.adagrad_eps)
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
            coef *= _pending_decay(
                sq_coef, alpha, t_pass - last_t, step_sum - last_sum, config.adagrad_eps
            )
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


def compact_columns(Xb, cols=None):
    """The columns that occur in a CSR batch, and the batch restricted to them.

    ``cols`` (sorted feature indices that hold every entry of ``Xb``) keeps
    those columns instead of the ones that occur. Returns ``cols`` and a CSR
    matrix of shape ``(n_rows, cols.size)`` that shares ``data`` and
    ``indptr`` with ``Xb``, its column indices renumbered in the same order.
    """
    n_features = Xb.shape[1]
    if cols is None and Xb.indices.size * 8 < n_features:  # few: sort
        cols, inverse = np.unique(Xb.indices, return_inverse=True)
    else:  # mark the present columns: O(n_features) without a sort
        if cols is None:
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


def _lazy_average_step(state, average, cols, delta, scale):
    """One averaged-SGD step of the lazy pass: the running mean takes in the
    new iterate (``delta``: the change of the batch's columns of ``V``);
    allocated, as a :class:`_LazyAverage`, when averaging starts. Returns it."""
    coef, intercept = state.coef, state.intercept
    if average is None:
        state.avg_coef = np.zeros_like(coef, order="F")
        state.avg_intercept = intercept.copy()
        average = _LazyAverage(state.avg_coef)
    state.n_avg += 1
    rate = 1.0 / state.n_avg
    if rate == 1.0:
        average.restart(scale)
    else:
        average.update(cols, delta, scale, rate)
    avg_b = state.avg_intercept
    avg_b += rate * (intercept - avg_b)
    if abs(average.d) > RESETTLE * abs(scale):
        average.settle(coef)
    return average


def _restart_from_zero(coef, cols, prev, average):
    """The lazy pass's decay wiped ``W`` out: ``V`` restarts from zero, and
    every column changes, so the restore point becomes all of ``V``. Returns
    it and the batch's (zero) columns."""
    if average is not None:
        average.settle(coef)
    prev = (slice(None), coef.copy(order="F"), *prev[2:])
    coef[...] = 0.0
    return prev, coef[:, cols]


def _lazy_last_finite(state, scale, last, y, loss_grad):
    """Whether the lazy pass's last batch has a finite loss at the
    parameters ``scale * V``, ``intercept`` it ends with."""
    idx, cols, Xc, sw = last
    W_cols = scale * state.coef[:, cols]
    return bool(
        np.isfinite(_batch_loss(loss_grad, W_cols, state.intercept, Xc, y[idx], sw))
    )


def _fold_scale(coef, scale, prev, average):
    """Fold ``W = scale * V`` back into ``V`` (in place) before ``scale``
    underflows; returns the restore point in the units of the folded ``V``
    and ``||V||**2``."""
    if average is not None:
        average.settle(coef)
    coef *= scale
    cols_p, v_p, b_p, scale_p = prev
    return (cols_p, v_p * scale, b_p, scale_p / scale), _sq_norm(coef)


def _sgd_pass_lazy_sparse(job):
    """:func:`sgd_pass` for CSR data, touching only the batch's columns.

    The coefficients are held as ``W = scale * V``: the L2 decay
    ``W <- (1 - step * alpha) W`` becomes a scalar update of ``scale`` and the
    gradient step changes only the columns of ``V`` whose features occur in the
    batch, so a batch costs O(nnz x n_rows), not O(n_features x n_rows). The
    squared norm of ``V`` is tracked for the penalty term, and the running
    average (``config.average_start``) is kept lazily by :class:`_LazyAverage`.
    The iterates are the same as the dense update's, up to rounding.
    """
    state, X, y, sample_weight, batches = job.data
    loss_grad, schedule, config = job.rule
    epoch = job.epoch
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
            Xb, sw, cols, Xc = _csr_batch(X, sample_weight, idx)
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
                prev, v_cols = _restart_from_zero(coef, cols, prev, average)
                scale, sq_norm = 1.0, 0.0
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
                average = _lazy_average_step(
                    state, average, cols, new_cols - v_cols, scale
                )
            if abs(scale) < 1e-9:  # fold the scale back before it underflows
                prev, sq_norm = _fold_scale(coef, scale, prev, average)
                scale = 1.0
            total += objective * n_rows
            rows_done += n_rows
            last = (idx, cols, Xc, sw)
        # the last update on its own batch, as sgd_pass: parameters at which
        # it is non-finite would fail the next pass's first batch
        if last is not None and not _lazy_last_finite(state, scale, last, y, loss_grad):
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
