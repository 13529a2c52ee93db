"""Step-size schedules for mini-batch SGD.

A schedule is a pure function of the update counter ``step`` (the number of
parameter updates made so far: update ``t`` uses ``schedule(t)``, starting at 0).
Schedules hold no hidden state, store their constructor arguments unmodified (so
:func:`sklearn.base.clone` works) and pickle as plain objects. A scalar step gives
a Python float, an array of steps a float ndarray. Parameters are checked by
:meth:`Schedule.validate`, called once per fit, to keep ``__call__`` cheap.
"""

import inspect
import math
import numbers
import textwrap
from bisect import bisect_right
from collections import defaultdict

import numpy as np

from ._docstrings import fill_doc

__all__ = (
    "Schedule",
    "Constant",
    "InverseScaling",
    "Optimal",
    "StepDecay",
    "ExponentialDecay",
    "CosineDecay",
    "LinearWarmup",
    "Join",
    "ReduceOnPlateau",
)

# Constraints: (low, high, closed, kind) with ``closed`` as in sklearn's Interval.
_POSITIVE = (0, None, "neither", numbers.Real)
_NON_NEGATIVE = (0, None, "left", numbers.Real)
_FRACTION = (0, 1, "right", numbers.Real)  # (0, 1]
_COUNT = (1, None, "left", numbers.Integral)
_REAL = (None, None, "left", numbers.Real)
_BOOL = (None, None, "left", bool)
_OPTIONAL = ("steps_per_epoch", "t0", "eta0", "power_t")  # may also be None


def _check(schedule, name, low, high, closed, kind):
    """Raise ValueError unless ``getattr(schedule, name)`` satisfies a constraint."""
    value = getattr(schedule, name)
    if kind is bool:
        if isinstance(value, (bool, np.bool_)):
            return
        raise ValueError(
            f"{type(schedule).__name__}: {name} must be a bool, got {value!r}."
        )
    ok = isinstance(value, kind) and not isinstance(value, (bool, np.bool_))
    ok = ok and math.isfinite(value)
    left, right = closed in ("left", "both"), closed in ("right", "both")
    if ok and low is not None:
        ok = value >= low if left else value > low
    if ok and high is not None:
        ok = value <= high if right else value < high
    if ok:
        return
    if high is not None:
        rng = f"in {'[' if left else '('}{low}, {high}{']' if right else ')'}"
    else:
        rng = "finite" if low is None else f"{'>=' if left else '>'} {low}"
    what = "an integer" if kind is numbers.Integral else "a real number"
    raise ValueError(
        f"{type(schedule).__name__}: {name} must be {what} {rng}, got {value!r}."
    )


def _result(value, step):
    """Return a Python float for a scalar ``step``, a float ndarray otherwise."""
    if np.ndim(step) == 0:
        return float(value)
    return np.asarray(value, dtype=float)


#: The step of a schedule whose ``eta0`` is None, called on its own.
DEFAULT_ETA0 = 0.01
#: ``InverseScaling``'s exponent when its ``power_t`` is None, on its own.
DEFAULT_POWER_T = 0.5


# Parameter descriptions that several schedules share, filled in by fill_doc.
_DOC_PARTS = {
    "eta0 None": """\
None takes the estimator's ``eta0`` when the schedule is its
``learning_rate`` (so a grid over ``eta0`` acts), and
:data:`DEFAULT_ETA0` when the schedule is called on its own.""",
    "steps_per_epoch": """\
steps_per_epoch : int or None, default=None
    The number of updates per epoch :math:`s`, >= 1 (None: :math:`s = 1`).""",
}
# The entry of the schedules that decay from ``eta0``.
_DOC_PARTS["eta0 initial"] = (
    "eta0 : float or None, default=None\n    The initial step size, > 0.\n"
    + textwrap.indent(_DOC_PARTS["eta0 None"], "    ")
)


def _eta0(schedule):
    return DEFAULT_ETA0 if schedule.eta0 is None else schedule.eta0


def _period(schedule, name):
    """Return ``getattr(schedule, name)`` in updates (times ``steps_per_epoch``)."""
    spe = schedule.steps_per_epoch
    return getattr(schedule, name) * (1 if spe is None else spe)


class Schedule:
    """Base class for step-size schedules.

    Subclasses list their parameters explicitly in ``__init__``, store them
    unmodified under the same names, declare their ``_constraints`` and implement
    ``__call__(step)``.
    """

    _constraints = {}
    #: ``__call__`` takes an array of steps and has no side effects, so the
    #: compiled passes compute a whole pass's step sizes at once (a plain
    #: callable ``learning_rate`` is called before each update instead).
    vectorized = True

    @classmethod
    def _get_param_names(cls):
        if cls.__init__ is object.__init__:
            return []
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            raise RuntimeError(f"{cls.__name__}.__init__ must not use *args/**kwargs.")
        return [p.name for p in params]

    def get_params(self, deep=True):
        """Get the parameters of this schedule.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the parameters of sub-objects that have
            ``get_params`` (such as a base schedule) as ``name__subname`` keys.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params):
        """Set the parameters of this schedule (``name__sub`` for nested ones).

        Parameters
        ----------
        **params : dict
            Schedule parameters.

        Returns
        -------
        self : Schedule
            This schedule.
        """
        valid = self.get_params(deep=True)
        nested = defaultdict(dict)
        for key, value in params.items():
            name, delim, sub = key.partition("__")
            if name in valid and delim and not hasattr(valid[name], "set_params"):
                name = key  # e.g. base__eta0 while base is None
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for schedule {self}. "
                    f"Valid parameters are: {self._get_param_names()!r}."
                )
            if delim:
                nested[name][sub] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub_params in nested.items():
            valid[name].set_params(**sub_params)
        return self

    def __repr__(self):
        """Return ``ClassName(param=value, ...)`` with all parameters."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params(deep=False).items())
        return f"{type(self).__name__}({args})"

    def validate(self):
        """Raise ValueError if a parameter has an invalid value."""
        for name, constraint in self._constraints.items():
            if not (name in _OPTIONAL and getattr(self, name) is None):
                _check(self, name, *constraint)

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        raise NotImplementedError


@fill_doc(_DOC_PARTS)
class Constant(Schedule):
    r"""Constant step size: :math:`\eta_t = \eta_0`.

    Parameters
    ----------
    eta0 : float or None, default=None
        The step size, > 0.
        <eta0 None>

    See Also
    --------
    InverseScaling : Step size decaying as a power of the step.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import Constant
    >>> Constant(0.1)(5)
    0.1
    """

    _constraints = {"eta0": _POSITIVE}

    def __init__(self, eta0=None):
        self.eta0 = eta0

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        if np.ndim(step) == 0:
            return float(_eta0(self))
        return np.full(np.shape(step), _eta0(self), dtype=float)


@fill_doc(_DOC_PARTS)
class InverseScaling(Schedule):
    r"""Inverse scaling, scikit-learn's ``"invscaling"`` (which counts from 1).

    .. math:: \eta_t = \eta_0 / (t + 1)^{\mathrm{power\_t}}

    Parameters
    ----------
    <eta0 initial>
    power_t : float or None, default=None
        The exponent of the inverse scaling. None takes the estimator's
        ``power_t`` when the schedule is its ``learning_rate``, and
        :data:`DEFAULT_POWER_T` (0.5) on its own.

    See Also
    --------
    Optimal : Bottou's decreasing step size.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import InverseScaling
    >>> InverseScaling(eta0=0.1, power_t=0.5)(3)
    0.05
    """

    _constraints = {"eta0": _POSITIVE, "power_t": _REAL}

    def __init__(self, eta0=None, power_t=None):
        self.eta0 = eta0
        self.power_t = power_t

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        t = np.asarray(step, dtype=float)
        power_t = DEFAULT_POWER_T if self.power_t is None else self.power_t
        return _result(_eta0(self) / np.power(t + 1.0, power_t), step)


class Optimal(Schedule):
    r"""Bottou's rule, scikit-learn's ``"optimal"``.

    .. math:: \eta_t = \frac{1}{\alpha \, (t_0 + t)}

    Parameters
    ----------
    alpha : float, default=1e-4
        The regularization strength, > 0.
    t0 : float or None, default=None
        The offset of the counter, > 0. If None, scikit-learn's heuristic for the
        hinge and log losses: :math:`t_0 = 1 / (\alpha w)` with
        :math:`w = \sqrt{1 / \sqrt{\alpha}}`, so the first step size is :math:`w`.

    See Also
    --------
    InverseScaling : Step size decaying as a power of the step.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import Optimal
    >>> Optimal(alpha=0.01, t0=100)(0)
    1.0
    >>> round(Optimal(alpha=1e-4)(0), 6)  # sqrt(1 / sqrt(1e-4))
    10.0
    """

    _constraints = {"alpha": _POSITIVE, "t0": _POSITIVE}

    def __init__(self, alpha=1e-4, t0=None):
        self.alpha = alpha
        self.t0 = t0

    def validate(self):
        """Raise ValueError if a parameter has an invalid value."""
        a = self.alpha
        if isinstance(a, numbers.Real) and not isinstance(a, bool) and a <= 0:
            raise ValueError(
                "alpha must be > 0 for the 'optimal' schedule, which divides by it;"
                f" use another schedule with alpha=0 (got alpha={a!r})."
            )
        super().validate()

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        t0 = self.t0
        if t0 is None:
            t0 = 1.0 / (self.alpha * math.sqrt(1.0 / math.sqrt(self.alpha)))
        t = np.asarray(step, dtype=float)
        return _result(1.0 / (self.alpha * (t0 + t)), step)


@fill_doc(_DOC_PARTS)
class StepDecay(Schedule):
    r"""Multiply the step size by ``factor`` every ``step_size`` updates or epochs.

    .. math:: \eta_t = \eta_0 \, \mathrm{factor}^{\lfloor t / T \rfloor},
        \quad T = \mathrm{step\_size} \cdot s

    Parameters
    ----------
    <eta0 initial>
    factor : float, default=0.5
        The multiplicative decay, in (0, 1].
    step_size : int, default=10
        The decay period, >= 1, in updates (in epochs if ``steps_per_epoch``).
    <steps_per_epoch>

    See Also
    --------
    ExponentialDecay : Smooth or staircase exponential decay.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import StepDecay
    >>> sched = StepDecay(eta0=1.0, factor=0.5, step_size=2, steps_per_epoch=10)
    >>> sched(19), sched(20), sched(40)
    (1.0, 0.5, 0.25)
    """

    _constraints = {
        "eta0": _POSITIVE,
        "factor": _FRACTION,
        "step_size": _COUNT,
        "steps_per_epoch": _COUNT,
    }

    def __init__(self, eta0=None, factor=0.5, step_size=10, steps_per_epoch=None):
        self.eta0 = eta0
        self.factor = factor
        self.step_size = step_size
        self.steps_per_epoch = steps_per_epoch

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        k = np.floor_divide(np.asarray(step), _period(self, "step_size"))
        return _result(_eta0(self) * np.power(float(self.factor), k), step)


@fill_doc(_DOC_PARTS)
class ExponentialDecay(Schedule):
    r"""Exponential decay, continuous or in a staircase.

    .. math:: \eta_t = \eta_0 \, \mathrm{decay\_rate}^{t / T},
        \quad T = \mathrm{decay\_steps} \cdot s

    Parameters
    ----------
    <eta0 initial>
    decay_rate : float, default=0.95
        The factor applied every :math:`T` updates, in (0, 1].
    decay_steps : int or float, default=1
        The decay period, > 0, in updates (in epochs if ``steps_per_epoch``).
    <steps_per_epoch>
    staircase : bool, default=False
        If True, floor the exponent :math:`t / T`.

    See Also
    --------
    StepDecay : Staircase decay with an integer period.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import ExponentialDecay
    >>> sched = ExponentialDecay(eta0=1.0, decay_rate=0.25, decay_steps=2)
    >>> sched(1), sched(4)
    (0.5, 0.0625)
    """

    _constraints = {
        "eta0": _POSITIVE,
        "decay_rate": _FRACTION,
        "decay_steps": _POSITIVE,
        "steps_per_epoch": _COUNT,
        "staircase": _BOOL,
    }

    def __init__(
        self,
        eta0=None,
        decay_rate=0.95,
        decay_steps=1,
        steps_per_epoch=None,
        staircase=False,
    ):
        self.eta0 = eta0
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.steps_per_epoch = steps_per_epoch
        self.staircase = staircase

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        p = np.asarray(step, dtype=float) / _period(self, "decay_steps")
        p = np.floor(p) if self.staircase else p
        return _result(_eta0(self) * np.power(float(self.decay_rate), p), step)


@fill_doc(_DOC_PARTS)
class CosineDecay(Schedule):
    r"""Cosine decay, optionally with warm restarts (SGDR).

    With :math:`T = \mathrm{decay\_steps} \cdot s` and :math:`m` the
    ``min_fraction``, without restarts:

    .. math:: \eta_t = \eta_0 \left(m + \frac{1 - m}{2}
        \left(1 + \cos\frac{\pi \min(t, T)}{T}\right)\right)

    With restarts (Loshchilov & Hutter, 2017) the periods have lengths
    :math:`T_i = T \cdot \mathrm{t\_mult}^i`, and the offset :math:`t_{cur}` since
    the start of the current period replaces :math:`t` (and :math:`T_i` :math:`T`).

    Parameters
    ----------
    <eta0 initial>
    decay_steps : int or float, default=1000
        The (first) period, > 0, in updates (in epochs if ``steps_per_epoch``).
    min_fraction : float, default=0.0
        The final step size as a fraction of ``eta0``, in [0, 1].
    <steps_per_epoch>
    restarts : bool, default=False
        If True, restart from ``eta0`` at the end of each period; if False, stay
        at ``min_fraction * eta0`` after :math:`T`.
    t_mult : float, default=1.0
        With restarts, the growth factor of successive periods, >= 1.

    See Also
    --------
    LinearWarmup : Linear warm-up, to :class:`Join` before a decay.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import CosineDecay
    >>> sched = CosineDecay(eta0=1.0, decay_steps=10, restarts=True)
    >>> sched(0), round(sched(5), 12), sched(10)
    (1.0, 0.5, 1.0)
    """

    _constraints = {
        "eta0": _POSITIVE,
        "decay_steps": _POSITIVE,
        "min_fraction": (0, 1, "both", numbers.Real),
        "steps_per_epoch": _COUNT,
        "restarts": _BOOL,
        "t_mult": (1, None, "left", numbers.Real),
    }

    def __init__(
        self,
        eta0=None,
        decay_steps=1000,
        min_fraction=0.0,
        steps_per_epoch=None,
        restarts=False,
        t_mult=1.0,
    ):
        self.eta0 = eta0
        self.decay_steps = decay_steps
        self.min_fraction = min_fraction
        self.steps_per_epoch = steps_per_epoch
        self.restarts = restarts
        self.t_mult = t_mult

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        t = np.asarray(step, dtype=float)
        length = float(_period(self, "decay_steps"))
        if not self.restarts:
            t_cur = np.minimum(t, length)
        elif self.t_mult == 1:
            t_cur = np.mod(t, length)
        else:
            q = float(self.t_mult)
            k = np.floor(np.log1p(t * (q - 1) / length) / math.log(q))
            k = k - (t < _sgdr_start(k, length, q))  # guard against rounding
            k = k + (t >= _sgdr_start(k + 1, length, q))
            t_cur, length = t - _sgdr_start(k, length, q), length * np.power(q, k)
        m = self.min_fraction
        cos = 0.5 * (1.0 + np.cos(np.pi * t_cur / length))
        return _result(_eta0(self) * (m + (1.0 - m) * cos), step)


def _sgdr_start(k, length, q):
    """Return the start of SGDR period ``k``: ``length * (q**k - 1) / (q - 1)``."""
    return length * (np.power(q, k) - 1.0) / (q - 1.0)


@fill_doc(_DOC_PARTS)
class LinearWarmup(Schedule):
    r"""Linear warm-up from ``init_value`` to ``eta0``, then constant ``eta0``.

    .. math:: \eta_t = v_0 + (\eta_0 - v_0) \frac{\min(t, W)}{W},
        \quad W = \mathrm{warmup\_steps} \cdot s, \quad v_0 = \mathrm{init\_value}

    Parameters
    ----------
    eta0 : float or None, default=None
        The step size reached at the end of the warm-up, > 0.
        <eta0 None>
    warmup_steps : int or float, default=100
        The warm-up length, > 0, in updates (in epochs if ``steps_per_epoch``).
    init_value : float, default=0.0
        The step size at step 0, >= 0.
    <steps_per_epoch>

    See Also
    --------
    Join : Chain the warm-up with a decaying schedule.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import LinearWarmup
    >>> sched = LinearWarmup(eta0=1.0, warmup_steps=4)
    >>> sched(0), sched(1), sched(4), sched(100)
    (0.0, 0.25, 1.0, 1.0)
    """

    _constraints = {
        "eta0": _POSITIVE,
        "warmup_steps": _POSITIVE,
        "init_value": _NON_NEGATIVE,
        "steps_per_epoch": _COUNT,
    }

    def __init__(
        self, eta0=None, warmup_steps=100, init_value=0.0, steps_per_epoch=None
    ):
        self.eta0 = eta0
        self.warmup_steps = warmup_steps
        self.init_value = init_value
        self.steps_per_epoch = steps_per_epoch

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        w = float(_period(self, "warmup_steps"))
        frac = np.minimum(np.asarray(step, dtype=float), w) / w
        eta0 = _eta0(self)
        return _result(self.init_value + (eta0 - self.init_value) * frac, step)


class Join(Schedule):
    r"""Chain schedules at step boundaries, like ``optax.join_schedules``.

    Each piece after the first restarts at its boundary: it is called with the
    number of steps since that boundary, not with the global step. With
    :math:`b_{-1} = 0`, for :math:`b_{i-1} \le t < b_i`:

    .. math:: \eta_t = \mathrm{schedules}_i(t - b_{i-1})

    Parameters
    ----------
    schedules : list of callables
        The k schedules (any callables of the step; for array input they should
        accept arrays, else they are called element-wise).
    boundaries : list of int
        The k - 1 strictly increasing, non-negative switching steps.

    See Also
    --------
    LinearWarmup : A typical first piece.
    CosineDecay : A typical second piece.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import Constant, Join, LinearWarmup
    >>> sched = Join([LinearWarmup(1.0, warmup_steps=10), Constant(0.5)], [10])
    >>> sched(5), sched(10)
    (0.5, 0.5)
    """

    def __init__(self, schedules, boundaries):
        self.schedules = schedules
        self.boundaries = boundaries

    def validate(self):
        """Raise ValueError if a parameter has an invalid value."""
        scheds, bounds = self.schedules, self.boundaries
        if not isinstance(scheds, (list, tuple)) or not scheds:
            raise ValueError(
                f"Join: schedules must be a non-empty list, got {scheds!r}."
            )
        if not isinstance(bounds, (list, tuple)) or len(bounds) != len(scheds) - 1:
            raise ValueError(
                "Join: boundaries must be a list with len(schedules) - 1 = "
                f"{len(scheds) - 1} elements, got {bounds!r}."
            )
        if not all(isinstance(b, numbers.Integral) and b >= 0 for b in bounds):
            raise ValueError(f"Join: boundaries must be integers >= 0, got {bounds!r}.")
        if any(a >= b for a, b in zip(bounds[:-1], bounds[1:])):
            raise ValueError(
                f"Join: boundaries must be strictly increasing, got {bounds!r}."
            )
        for s in scheds:
            if not callable(s):
                raise ValueError(f"Join: schedules must be callables, got {s!r}.")
            if hasattr(s, "validate"):
                s.validate()

    def __call__(self, step):
        """Return the step size before update ``step`` (int or array of ints)."""
        bounds = self.boundaries
        if np.ndim(step) == 0:
            i = bisect_right(bounds, step)
            return float(self.schedules[i](step - (bounds[i - 1] if i else 0)))
        t = np.asarray(step)
        idx = np.searchsorted(np.asarray(bounds, dtype=t.dtype), t, side="right")
        out = np.empty(t.shape, dtype=float)
        for i in np.unique(idx):
            sub = t[idx == i] - (bounds[i - 1] if i else 0)
            try:
                values = np.asarray(self.schedules[i](sub), dtype=float)
            except TypeError:  # not vectorized (e.g. uses math functions)
                values = np.array([self.schedules[i](s) for s in sub.tolist()])
            out[idx == i] = values
        return out


_DEFAULT_BASE = Constant(0.01)


class ReduceOnPlateau(Schedule):
    r"""Scale a base schedule down when a monitored value stops improving.

    This is what ``learning_rate="adaptive"`` maps to (scikit-learn's rule,
    generalized). The object stays pure: the reduction state is a plain dict from
    :meth:`init_state`, held by the caller (the estimator) and advanced by
    :meth:`update` once per epoch; since the estimator keeps it, this also works
    across ``partial_fit`` calls. With :math:`c` the state's ``"scale"``:

    .. math:: \eta_t = c \cdot \mathrm{base}(t)

    An epoch improves when its value is below ``best - tol`` (above ``best + tol``
    in mode "max"); ``best`` is the best value seen so far. After ``patience``
    non-improving epochs in a row, ``c`` is multiplied by ``factor``.

    Parameters
    ----------
    base : Schedule or None, default=None
        The schedule to scale; None means ``Constant(0.01)``.
    factor : float, default=0.2
        The multiplicative reduction, in (0, 1).
    patience : int, default=5
        The number of non-improving epochs that trigger a reduction, >= 1.
    tol : float, default=1e-3
        The minimum change of the monitored value counted as improvement, >= 0.
    min_step : float, default=1e-6
        A reduction bringing ``base(0) * c`` below ``min_step`` is not made;
        :meth:`update` sets ``"exhausted"`` instead, and the caller stops.
    mode : {"min", "max"}, default="min"
        Whether the monitored value (objective for "min", validation score for
        "max") improves by decreasing or by increasing.

    See Also
    --------
    Constant : The default base schedule.

    Examples
    --------
    >>> from sklearn_linsgd.schedules import Constant, ReduceOnPlateau
    >>> sched = ReduceOnPlateau(Constant(1.0), factor=0.5, patience=2)
    >>> state = sched.init_state()
    >>> for value in [3.0, 2.0, 2.0, 2.0]:
    ...     state = sched.update(state, value)
    >>> state["scale"], sched(10, scale=state["scale"])
    (0.5, 0.5)
    """

    _constraints = {
        "factor": (0, 1, "neither", numbers.Real),
        "patience": _COUNT,
        "tol": _NON_NEGATIVE,
        "min_step": _NON_NEGATIVE,
    }

    def __init__(
        self, base=None, factor=0.2, patience=5, tol=1e-3, min_step=1e-6, mode="min"
    ):
        self.base = base
        self.factor = factor
        self.patience = patience
        self.tol = tol
        self.min_step = min_step
        self.mode = mode

    def validate(self):
        """Raise ValueError if a parameter has an invalid value."""
        if self.base is not None and not callable(self.base):
            raise ValueError(
                f"ReduceOnPlateau: base must be a schedule, got {self.base!r}."
            )
        if hasattr(self.base, "validate"):
            self.base.validate()
        if self.mode not in ("min", "max"):
            raise ValueError(
                f"ReduceOnPlateau: mode must be 'min' or 'max', got {self.mode!r}."
            )
        super().validate()

    def __call__(self, step, scale=1.0):
        """Return ``base(step) * scale``; ``scale`` is the state's ``"scale"``."""
        base = _DEFAULT_BASE if self.base is None else self.base
        return _result(np.multiply(base(step), scale), step)

    def init_state(self):
        """Return the initial state.

        Returns
        -------
        state : dict
            ``{"scale": 1.0, "best": None, "bad_epochs": 0, "exhausted": False}``.
        """
        return {"scale": 1.0, "best": None, "bad_epochs": 0, "exhausted": False}

    def update(self, state, value):
        """Return a new state after an epoch whose monitored value is ``value``.

        Parameters
        ----------
        state : dict
            The current state (from :meth:`init_state` or :meth:`update`); it is
            not modified.
        value : float
            The monitored value of the epoch (or ``partial_fit`` pass).

        Returns
        -------
        state : dict
            The new state. ``"exhausted"`` is True when a reduction was due but
            would bring ``base(0) * scale`` below ``min_step`` (the scale is then
            unchanged); ``"bad_epochs"`` restarts at 0 in both cases.
        """
        value, scale, best = float(value), float(state["scale"]), state["best"]
        if best is None:
            return {"scale": scale, "best": value, "bad_epochs": 0, "exhausted": False}
        if self.mode == "max":
            improved, best = value > best + self.tol, max(best, value)
        else:
            improved, best = value < best - self.tol, min(best, value)
        bad_epochs = 0 if improved else int(state["bad_epochs"]) + 1
        exhausted = False
        if bad_epochs >= self.patience:
            bad_epochs = 0
            exhausted = self(0, scale=scale * self.factor) < self.min_step
            scale = scale if exhausted else scale * self.factor
        return {
            "scale": scale,
            "best": float(best),
            "bad_epochs": bad_epochs,
            "exhausted": bool(exhausted),
        }
