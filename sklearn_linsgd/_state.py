"""The optimizer's state and the operations on it.

:class:`SGDState` holds the parameters and what the update rule keeps
(momentum buffers, running averages, AdaGrad's sums, counters); it is created
by :func:`init_state` and changed by the functions of this module, the passes
(:mod:`._reference`, :mod:`._compiled`) and the epoch loop (:mod:`._sgd`). The
estimator reaches it only through them. numpy only.
"""

from dataclasses import dataclass, fields
from typing import Optional

import numpy as np


class DivergenceError(ValueError, FloatingPointError):
    """Raised when the objective becomes non-finite during training.

    It is a :class:`ValueError` (bad hyper-parameters for this data) and a
    :class:`FloatingPointError`. The estimator keeps its last finite parameters.
    """


#: Added to sqrt(sum of squared gradients) in the AdaGrad denominators (the
#: weights' under learning_rate="auto": this times the rows' RMS norm).
ADAGRAD_EPS = 1e-8


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

    @property
    def adagrad_eps(self):
        """Added to the root of a weight's AdaGrad sum (the intercept's add
        :data:`ADAGRAD_EPS`): it scales as ``intercept_scale`` does, with the
        rows' RMS norm under "auto", as the weights' gradients scale, so that
        scaling X leaves the fit unchanged."""
        return ADAGRAD_EPS * self.intercept_scale


@dataclass(eq=False)
class SGDState:
    """The optimizer's state: the parameters and what the update rule keeps.

    Created by :func:`init_state`; changed by this module's functions, the
    passes and the epoch loop; the estimator publishes it and reaches it
    through them. Each buffer exists only when the configuration uses it:
    the velocities with momentum, the running averages once averaging
    starts, AdaGrad's sums with AdaGrad.

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

    def keep(self, snapshot):
        """Overwrite a :meth:`snapshot` with the current parameters (in
        place: the restore point is refreshed, not reallocated)."""
        np.copyto(snapshot[0], self.coef)
        np.copyto(snapshot[1], self.intercept)

    def restore(self, snapshot):
        """Put back the parameters of a :meth:`snapshot` (in place)."""
        np.copyto(self.coef, snapshot[0])
        np.copyto(self.intercept, snapshot[1])


@dataclass(frozen=True, eq=False)
class PassJob:
    """What one pass over the data needs; every pass takes one.

    ``sgd_pass`` builds it from its arguments (see :func:`._sgd.sgd_pass`),
    then hands it to the compiled pass or to a numpy reference pass.

    Attributes
    ----------
    state : SGDState
        Updated in place by the pass.
    X, y, sample_weight : arrays
        The data, class indices and normalised weights.
    batches : sequence
        Row selections, one per update.
    loss_grad, schedule : callable
        The loss's gradient and ``step -> step size``.
    config : UpdateConfig
    epoch : int
        Named in a divergence error.
    buffer : ndarray or None
        Reused storage for gathered dense batches.
    gather : callable or None
        ``gather(X, idx, buffer) -> rows`` (a memmap's reader).
    """

    state: SGDState
    X: object
    y: np.ndarray
    sample_weight: np.ndarray
    batches: object
    loss_grad: object
    schedule: object
    config: UpdateConfig
    epoch: int = 1
    buffer: Optional[np.ndarray] = None
    gather: Optional[object] = None

    @property
    def data(self):
        """``(state, X, y, sample_weight, batches)``."""
        return self.state, self.X, self.y, self.sample_weight, self.batches

    @property
    def rule(self):
        """``(loss_grad, schedule, config)``."""
        return self.loss_grad, self.schedule, self.config


def init_state(coef, intercept, *, momentum=0.0, t=0):
    """Return a fresh optimizer state around the given parameters (copied)."""
    # Column-major coef: X @ coef.T and X.T @ dscores are then both plain
    # BLAS calls on contiguous operands.
    coef = np.array(coef, order="F", copy=True)
    return _new_state(coef, np.array(intercept, copy=True), momentum, t)


def zero_state(n_rows, n_features, dtype, *, momentum=0.0):
    """A fresh optimizer state at zero parameters (allocated once, not
    copied as :func:`init_state` copies)."""
    coef = np.zeros((n_rows, n_features), dtype=dtype, order="F")
    return _new_state(coef, np.zeros(n_rows, dtype=dtype), momentum, 0)


def _new_state(coef, intercept, momentum, t):
    """An :class:`SGDState` that owns ``coef`` and ``intercept``, with zero
    momentum buffers when ``momentum`` is used."""
    return SGDState(
        coef=coef,
        intercept=intercept,
        velocity_coef=np.zeros_like(coef) if momentum else None,
        velocity_intercept=np.zeros_like(intercept) if momentum else None,
        t=int(t),
    )


#: The per-feature arrays (a column of ``coef``, the last axis) that are
#: zero wherever a feature has never been used: :func:`nonzero_columns`
#: reads them, a narrowed fit lets go of their whole-width copies.
PARAMETER_KEYS = ("coef", "velocity_coef", "avg_coef")
#: The arrays with one entry per feature: what :func:`narrow` gathers and
#: :func:`widen` scatters back.
FEATURE_KEYS = (*PARAMETER_KEYS, "sq_grad_coef")


def nonzero_columns(state):
    """Boolean mask of the features (columns of ``coef``) where a parameter,
    a velocity or a running average is non-zero."""
    mask = np.zeros(state.coef.shape[1], dtype=bool)
    for key in PARAMETER_KEYS:
        values = getattr(state, key)
        if values is not None and values.any():  # (a flat any is 5x faster)
            mask |= values.any(axis=0)
    return mask


def narrow(state, cols):
    """A state over the features ``cols`` only (sorted column indices).

    The per-feature arrays (:data:`FEATURE_KEYS`) are gathered, the rest is
    shared. A pass over data whose non-zeros lie in ``cols`` gives the
    narrowed state the same values as the whole one, provided every
    parameter, velocity and running average outside ``cols`` is zero: those
    then stay zero, and their AdaGrad sums unchanged. :func:`widen` writes
    the result back.
    """
    values = state.as_dict()
    for key in FEATURE_KEYS:
        if values[key] is not None:
            values[key] = values[key][..., cols]  # keeps Fortran order
    return SGDState(**values)


def widen(state, narrowed, cols, n_features):
    """Write a :func:`narrow`-ed state back into ``state`` (in place): its
    per-feature arrays into the columns ``cols`` of ``n_features`` (of zeros
    where ``state`` no longer holds the array), every other field as it is.
    ``narrowed`` lets go of each array once it is written."""
    for f in fields(SGDState):
        value = getattr(narrowed, f.name)
        if f.name not in FEATURE_KEYS or value is None:
            setattr(state, f.name, value)
            continue
        full = getattr(state, f.name)
        shape = (*value.shape[:-1], n_features)
        if full is None or full.shape != shape or full.dtype != value.dtype:
            full = np.zeros(shape, dtype=value.dtype, order="F")
            setattr(state, f.name, full)
        full[..., cols] = value
        setattr(narrowed, f.name, None)  # let go as soon as written


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
