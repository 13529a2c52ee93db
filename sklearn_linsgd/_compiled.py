"""Dispatch of SGD passes to the compiled kernels in :mod:`._fast`.

:func:`compiled_pass` runs one pass with the compiled kernel when the data, the
loss and the update are ones it implements, and returns ``None`` otherwise (the
caller then runs the numpy reference in :mod:`._sgd`). The kernels mirror the
reference update for update; ``tests/test_compiled.py`` checks that they
agree to rounding.
"""

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from . import _fast
from ._losses import KERNELS

HINGE, LOG = KERNELS["hinge"][0], KERNELS["log"][0]
#: The codes of ``UpdateConfig.adagrad`` in the passes' ``rule`` (``Rule.adagrad``).
ADAGRAD = {None: 0, "coordinate": 1, "feature": 2}

#: Set to False to run the numpy reference everywhere (tests compare the two).
ENABLED = True


def loss_kind(loss_grad):
    """``(kind, margin)`` of a loss the kernels implement, else ``None``.

    The loss names its kernel (``_losses.KernelLoss.kernel``); any other
    callable runs in the numpy passes.
    """
    kernel = KERNELS.get(getattr(loss_grad, "kernel", None))
    if kernel is None:
        return None
    code, defaults = kernel
    params = {**defaults, **loss_grad.params}
    if set(params) != set(defaults):
        return None
    return code, float(params.get("margin", 0.0))


def kernel_rule(kind, config):
    """The update rule as the passes take it: their ``rule`` argument.

    A dict of the fields of ``_fast.pyx``'s ``Rule`` struct (the compiled
    passes receive it converted to the struct), from the loss's
    ``(kind, margin)`` (:func:`loss_kind`) and an ``UpdateConfig``: every
    pass gets all the options and reads those of the updates it implements.

    Examples
    --------
    >>> from sklearn_linsgd._state import UpdateConfig
    >>> rule = kernel_rule((HINGE, 1.0), UpdateConfig(alpha=1e-4))
    >>> rule["alpha"], rule["adagrad"], rule["average_start"]
    (0.0001, 0, -1)
    """
    averaging = config.average_start is not None
    return {
        "loss": kind[0],
        "margin": kind[1],
        "alpha": float(config.alpha),
        "l1_ratio": float(config.l1_ratio),
        "fit_intercept": bool(config.fit_intercept),
        "momentum": float(config.momentum),
        "nesterov": bool(config.nesterov),
        "adagrad": ADAGRAD[config.adagrad],
        "intercept_scale": float(config.intercept_scale),
        "adagrad_eps": float(config.adagrad_eps),
        "average_start": int(config.average_start) if averaging else -1,
    }


def step_sizes(schedule, t0, n, lr_scale):
    """Steps of updates ``t0 .. t0 + n - 1``: ``schedule(t) * lr_scale``.

    ``schedule`` is vectorized (its ``__call__`` takes an array of steps and
    has no side effects), as the library's schedules declare.
    """
    steps = np.asarray(schedule(np.arange(t0, t0 + n)), dtype=np.float64)
    return np.ascontiguousarray(steps * lr_scale)


def batch_bounds(n_rows, batch_size):
    """``(starts, stops)`` of the ``ceil(n_rows / batch_size)`` batches of an
    epoch, as equal as can be: their sizes differ by at most one row.

    A remainder batch much smaller than the others (67 of 1347 rows at 256
    a batch) would take a full step from a noisier gradient; equal batches
    give every row the same weight in the epoch.

    Examples
    --------
    >>> batch_bounds(10, 4)
    (array([0, 3, 6]), array([ 3,  6, 10]))
    """
    n_batches = -(-n_rows // batch_size) if n_rows else 0
    edges = (np.arange(n_batches + 1, dtype=np.int64) * n_rows) // max(n_batches, 1)
    return edges[:-1], edges[1:]


class RowBatches(Sequence):
    """The batches of an epoch (see :func:`batch_bounds`) as a sequence of
    index arrays (views of ``rows``).

    The kernels take ``rows`` and the batch bounds as they are: no list of
    arrays is made per epoch and concatenated again (a few milliseconds per
    epoch on a million rows).

    Parameters
    ----------
    rows : ndarray of int
        Row indices into ``X``, in the order of the epoch.
    batch_size : int
        The most rows a batch holds.
    """

    def __init__(self, rows, batch_size):
        self.rows = np.ascontiguousarray(rows, dtype=np.int64)
        self.starts, self.stops = batch_bounds(self.rows.size, batch_size)

    def __len__(self):
        return self.starts.size

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.rows[self.starts[i] : self.stops[i]]

    def __iter__(self):
        for start, stop in zip(self.starts.tolist(), self.stops.tolist()):
            yield self.rows[start:stop]


def permutation(rows, rng):
    """``rows`` in a random order, drawn from ``rng`` (a numpy Generator).

    An inside-out Fisher-Yates shuffle in the compiled module, seeded by one
    draw from ``rng``: uniform over the orders up to the rounding of
    ``floor(u * (i + 1))`` (relative 2**-53). Faster than
    ``rng.permutation``, which draws its bounded integers one by one.
    """
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    seed = int(rng.integers(0, 2**63, dtype=np.int64))
    return _fast.shuffled(rows, seed)


def _batch_bounds(batches, n_samples):
    """``(rows, starts, stops, gathered)`` for a list of batches, or ``None``.

    All slices: contiguous batches of ``X`` itself (``gathered=False``); all
    index arrays: positions into the concatenated ``rows``.
    """
    if isinstance(batches, RowBatches):
        return batches.rows, batches.starts, batches.stops, True
    if all(isinstance(b, slice) for b in batches):
        bounds = [b.indices(n_samples) for b in batches]
        if any(step != 1 for _, _, step in bounds):
            return None
        starts = np.array([s for s, _, _ in bounds], dtype=np.int64)
        stops = np.array([max(s, e) for s, e, _ in bounds], dtype=np.int64)
        return np.empty(0, dtype=np.int64), starts, stops, False
    if any(isinstance(b, slice) for b in batches):
        return None
    sizes = np.array([len(b) for b in batches], dtype=np.int64)
    stops = np.cumsum(sizes)
    rows = np.concatenate(batches) if batches else np.empty(0, dtype=np.int64)
    return rows.astype(np.int64, copy=False), stops - sizes, stops, True


def compiled_pass(job):
    """Run one pass (a :class:`~._state.PassJob`) with a compiled kernel;
    ``None`` when none applies.

    ``batches`` is a list of slices or of index arrays, or a
    :class:`RowBatches` (as ``_base._batches`` makes them); ``buffer`` is
    reused for gathered rows when it fits.
    ``gather(X, idx, out)`` (a file reader for memmaps) reads the rows of
    consecutive batches, about :data:`GROUP_BYTES` at a time, into one
    buffer that the kernel then runs over.

    Returns ``(status, objective_total, rows_done)`` after updating ``state``
    (``t``, ``samples_seen``, ``n_avg``, ``last_step`` and the arrays).
    """
    state, X, y, sample_weight, batches = job.data
    loss_grad, schedule, config = job.rule
    buffer, gather = job.buffer, job.gather
    kind = loss_kind(loss_grad) if ENABLED else None
    if kind is None or not getattr(schedule, "vectorized", False):
        # A plain callable learning_rate is called just before each update
        # (it may look at anything, or raise): the numpy loop keeps that.
        return None
    coef = state.coef
    if coef.dtype not in (np.float32, np.float64) or not coef.flags.f_contiguous:
        return None
    if sp.issparse(X):
        if gather is not None:
            return None
        return _sparse(state, X, y, sample_weight, batches, kind, schedule, config)
    if not (
        isinstance(X, np.ndarray)
        and X.dtype == coef.dtype
        and X.ndim == 2
        and X.flags.aligned
        and X.shape[0] > 0
        and X.shape[1] > 0
    ) or (config.adagrad and config.momentum):
        return None
    if not X.flags.c_contiguous and not isinstance(batches, RowBatches):
        # e.g. Fortran order: gather every batch
        batches = [
            np.arange(X.shape[0])[b] if isinstance(b, slice) else b for b in batches
        ]
    bounds = _batch_bounds(batches, X.shape[0])
    if bounds is None:
        return None
    steps = step_sizes(schedule, state.t, len(bounds[1]), state.lr_scale)
    run = _DensePass(state, y, sample_weight, steps, kind, config)
    if gather is None:
        run(X, *bounds, buffer)
    else:
        for group in _groups(batches, X.shape[0], X.shape[1] * X.itemsize):
            rows = np.concatenate(group)
            sizes = np.array([len(b) for b in group], dtype=np.int64)
            stops = np.cumsum(sizes)
            # the group's rows, read into memory, are its contiguous batches
            run(gather(X, rows, None), None, stops - sizes, stops, False, None, rows)
            if run.status:
                break
    return run.status, run.total, run.rows_done


#: Bytes of rows read at a time by a file reader (see :func:`compiled_pass`).
GROUP_BYTES = 8 << 20


def _groups(batches, n_samples, row_bytes):
    """Consecutive batches (as index arrays) of about ``GROUP_BYTES`` each."""
    group, size = [], 0
    for b in batches:
        idx = np.arange(n_samples)[b] if isinstance(b, slice) else b
        group.append(idx)
        size += len(idx) * row_bytes
        if size >= GROUP_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group


class _DensePass:
    """Calls of ``_fast.dense_pass`` that together make one pass.

    The restore point (the parameters before the last update) lives here, so
    a pass split into several calls restores exactly as one call does.
    """

    def __init__(self, state, y, sample_weight, steps, kind, config):
        self.state, self.steps, self.config = state, steps, config
        self.rule = kernel_rule(kind, config)
        self.y = np.ascontiguousarray(y, dtype=np.int64)
        self.sw = np.ascontiguousarray(sample_weight, dtype=np.float64)
        coef, intercept = state.coef, state.intercept
        self.prev = (coef.copy(order="F"), intercept.copy())
        if config.average_start is not None and state.avg_coef is None:
            state.avg_coef = coef.copy(order="F")
            state.avg_intercept = intercept.copy()
        self.status, self.total, self.rows_done, self.n_updates = 0, 0.0, 0, 0

    def __call__(self, X, rows, starts, stops, gathered, buffer, subset=None):
        """Run batches ``starts/stops`` of ``X`` (``rows`` when ``gathered``);
        ``subset``: the rows of ``y`` and ``sample_weight`` that ``X`` holds."""
        state, config = self.state, self.config
        coef = state.coef
        empty = np.empty((0, 0), dtype=coef.dtype, order="F")
        empty_b = np.empty(0, dtype=coef.dtype)
        max_rows = max(int((stops - starts).max(initial=0)), 1)
        if not gathered:
            buffer = np.empty((0, X.shape[1]), dtype=coef.dtype)
        elif not (
            isinstance(buffer, np.ndarray)
            and buffer.dtype == coef.dtype
            and buffer.flags.c_contiguous
            and buffer.shape[1:] == X.shape[1:]
            and buffer.shape[0] >= max_rows
        ):
            buffer = np.empty((max_rows, X.shape[1]), dtype=coef.dtype)
        momentum, adagrad = config.momentum != 0, config.adagrad
        averaging = config.average_start is not None
        y, sw = self.y, self.sw
        if subset is not None:
            y, sw = y[subset], sw[subset]
        if rows is None:
            rows = np.empty(0, dtype=np.int64)
        out = _fast.dense_pass(
            X,
            y,
            sw,
            rows,
            starts,
            stops,
            gathered,
            self.steps[self.n_updates :],
            coef,
            state.intercept,
            *self.prev,
            state.velocity_coef if momentum else empty,
            state.velocity_intercept if momentum else empty_b,
            _kernel_sq(state.sq_grad_coef) if adagrad else empty,
            state.sq_grad_intercept if adagrad else empty_b,
            state.avg_coef if averaging else empty,
            state.avg_intercept if averaging else empty_b,
            buffer,
            self.rule,
            int(state.samples_seen),
            int(state.n_avg),
        )
        self.status, n_updates, rows_done, total, samples_seen, n_avg = out
        self.n_updates += n_updates
        self.rows_done += rows_done
        self.total += total
        state.samples_seen, state.n_avg = samples_seen, n_avg
        state.t += int(n_updates)
        if self.n_updates:
            state.last_step = float(self.steps[self.n_updates - 1])


def _sparse(state, X, y, sample_weight, batches, kind, schedule, config):
    """The lazy L2 pass on CSR data (plain SGD, possibly averaged, or
    AdaGrad), else ``None``."""
    coef, intercept = state.coef, state.intercept
    if not (
        X.format == "csr"
        and X.dtype == coef.dtype
        and X.indices.dtype == X.indptr.dtype
        and X.indices.dtype in (np.int32, np.int64)
        and config.momentum == 0
        and not (config.adagrad and config.average_start is not None)
        and (config.alpha == 0 or config.l1_ratio == 0)
    ):
        return None
    n_samples = X.shape[0]
    if all(isinstance(b, slice) for b in batches):
        batches = [np.arange(n_samples)[b] for b in batches]
    bounds = _batch_bounds(batches, n_samples)
    if bounds is None:
        return None
    rows, starts, stops, _ = bounds
    steps = step_sizes(schedule, state.t, len(starts), state.lr_scale)
    data = X.data if X.data.flags.c_contiguous else np.ascontiguousarray(X.data)
    args = (
        data,
        np.ascontiguousarray(X.indices),
        np.ascontiguousarray(X.indptr),
        np.ascontiguousarray(y, dtype=np.int64),
        np.ascontiguousarray(sample_weight, dtype=np.float64),
        rows,
        starts,
        stops,
        steps,
        coef,
        intercept,
    )
    rule = kernel_rule(kind, config)
    if config.adagrad:  # sums allocated by _state.adagrad_sums, in Fortran order
        out = _fast.sparse_adagrad_pass(
            *args, _kernel_sq(state.sq_grad_coef), state.sq_grad_intercept, rule
        )
        status, n_updates, rows_done, total, samples = out
        state.samples_seen += samples
    else:
        averaging = config.average_start is not None
        if averaging and state.avg_coef is None:
            state.avg_coef = coef.copy(order="F")
            state.avg_intercept = intercept.copy()
        elif averaging:  # the kernel reads the average by columns, like coef
            state.avg_coef = np.asfortranarray(state.avg_coef)
        empty = np.empty((0, 0), dtype=coef.dtype, order="F")
        # a step with 1 - step * alpha == 0 changes every column: its restore
        # point is a copy of the whole model
        wipes = config.alpha != 0 and bool(np.any(1.0 - steps * config.alpha == 0))
        out = _fast.sparse_pass(
            *args,
            rule,
            state.avg_coef if averaging else empty,
            state.avg_intercept if averaging else np.empty(0, dtype=coef.dtype),
            int(state.samples_seen),
            int(state.n_avg),
            np.empty_like(coef, order="F") if wipes else empty,
        )
        status, n_updates, rows_done, total, samples_seen, n_avg = out
        state.samples_seen, state.n_avg = samples_seen, n_avg
    _advance(state, steps, n_updates, status)
    return status, total, rows_done


def _kernel_sq(sq_coef):
    """AdaGrad's sums as the kernels take them: 2-d, Fortran order (a view;
    per-feature sums are one row)."""
    return sq_coef.reshape(1, -1) if sq_coef.ndim == 1 else sq_coef


def _advance(state, steps, n_updates, status):
    """Count the updates made and remember the last step taken."""
    state.t += int(n_updates)
    if n_updates:
        state.last_step = float(steps[n_updates - 1])
