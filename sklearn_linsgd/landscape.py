"""The objective along random directions, the notes' toy example, a step sweep.

The weights of a linear classifier live in a space of ``n_classes *
n_features`` dimensions, too many to look at. The course notes look at
*slices* instead: pick a random direction ``D1`` and record the objective
``J(W + a D1)`` as ``a`` varies (a line), or two directions and
``J(W + a D1 + b D2)`` (a plane). For the multiclass SVM the line is
piecewise linear and convex, the plane a convex bowl with straight-edged
contours; for softmax both are smooth.

* :func:`loss_along_direction` and :func:`loss_on_plane` return those slices as
  arrays, around the fitted parameters of an estimator (or given ones).
* :class:`LossLandscapeDisplay` plots them in scikit-learn's Display style
  (matplotlib, the ``[plot]`` extra, is imported only inside ``plot``).
* :func:`three_points_toy` is the notes' toy example: three 1-D points of three
  classes, the hinge loss of each as a function of a single weight (three
  broken lines) and their mean.
* :func:`step_size_sweep` is the notes' step-size table: from the same
  starting parameters, the objective after one full-batch gradient step for
  each step size.

Directions and their normalization
----------------------------------
Directions are standard normal draws over the coefficients and, when
``fit_intercept=True``, the intercepts (the notes' ``W`` includes the bias
column). Raw directions have a norm of about ``sqrt(n_params)``, which says
nothing about the scale of ``W``, so by default (``normalize="filter"``) each
class row ``[D_k, d_k]`` of the direction is rescaled to the norm of the
corresponding row ``[W_k, b_k]`` of the parameters, the "filter normalization"
of Li et al. (2018), "Visualizing the Loss Landscape of Neural Nets", with one
row per class as a filter. ``a = -1`` then zeroes a row in norm and ``a = 1``
doubles it, whatever the scale of the features. Rows whose parameters are all
zero (an untrained model) keep a unit-norm direction. ``normalize="unit"``
scales the whole direction to Frobenius norm 1; ``normalize=None`` keeps the
raw draw.

Examples
--------
>>> import numpy as np
>>> from sklearn_linsgd import LinearSVMSGD, landscape
>>> rng = np.random.default_rng(0)
>>> X, y = rng.normal(size=(60, 4)), np.arange(60) % 3
>>> svm = LinearSVMSGD(random_state=0, max_iter=5, tol=None).fit(X, y)
>>> a, losses = landscape.loss_along_direction(svm, X, y, random_state=0)
>>> a.shape, losses.shape
((51,), (51,))
"""

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._docstrings import fill_doc
from .gradient_check import _DOC_PARTS as _DATA_DOC_PARTS
from .gradient_check import (
    _is_fitted,
    _objective_function,
    _setup,
    _unwrap,
    _working_copy,
)

__all__ = [
    "LossLandscapeDisplay",
    "StepSizeSweep",
    "loss_along_direction",
    "loss_on_plane",
    "random_direction",
    "step_size_sweep",
    "three_points_toy",
]

_NORMALIZE = ("filter", "unit", None)

# The data (shared with gradient_check), and the random directions and their
# centre as loss_along_direction and loss_on_plane take them.
_DOC_PARTS = {
    **_DATA_DOC_PARTS,
    "normalize, coef, intercept, random_state": """\
normalize : {"filter", "unit"} or None, default="filter"
    Normalization of each random direction, see :func:`random_direction`.
coef : ndarray of shape (n_rows, n_features), default=None
    The centre ``W``; default the fitted ``coef_``.
intercept : ndarray of shape (n_rows,), default=None
    The centre ``b``; default the fitted ``intercept_`` (zeros when ``coef``
    is given for an unfitted estimator).
random_state : int, RandomState instance or None, default=None
    Seed of the :func:`random_direction` draws.""",
}


def random_direction(coef, intercept=None, *, normalize="filter", random_state=None):
    """A random direction in parameter space, optionally normalized.

    Parameters
    ----------
    coef : ndarray of shape (n_rows, n_features)
        The parameters the direction is drawn around (used for its shape and,
        with ``normalize="filter"``, its row norms).
    intercept : ndarray of shape (n_rows,), default=None
        The intercepts; ``None`` draws a direction over ``coef`` only (the
        returned intercept direction is then zero).
    normalize : {"filter", "unit"} or None, default="filter"
        ``"filter"``: each class row ``[D_k, d_k]`` gets the norm of
        ``[coef_k, intercept_k]`` (unit norm where that row is zero).
        ``"unit"``: the whole direction has Frobenius norm 1. ``None``: the raw
        standard normal draw.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.

    Returns
    -------
    direction_coef : ndarray of shape (n_rows, n_features)
    direction_intercept : ndarray of shape (n_rows,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linsgd.landscape import random_direction
    >>> coef = np.array([[3.0, 4.0], [0.0, 1.0]])
    >>> d_coef, d_int = random_direction(coef, random_state=0)
    >>> np.linalg.norm(d_coef, axis=1)
    array([5., 1.])
    >>> d_int
    array([0., 0.])
    """
    if normalize not in _NORMALIZE:
        raise ValueError(
            f"normalize must be 'filter', 'unit' or None, got {normalize!r}."
        )
    rng = check_random_state(random_state)
    coef = np.asarray(coef, dtype=np.float64)
    if coef.ndim != 2:
        raise ValueError(f"coef must be 2-D (n_rows, n_features), got {coef.shape}.")
    with_intercept = intercept is not None
    intercept = (
        np.zeros(coef.shape[0])
        if intercept is None
        else np.asarray(intercept, dtype=np.float64).reshape(-1)
    )
    params = np.column_stack([coef, intercept]) if with_intercept else coef
    direction = rng.standard_normal(params.shape)
    if normalize == "filter":
        target = np.linalg.norm(params, axis=1)
        target[target == 0] = 1.0
        direction *= (target / np.linalg.norm(direction, axis=1))[:, None]
    elif normalize == "unit":
        direction /= np.linalg.norm(direction)
    if with_intercept:
        return np.ascontiguousarray(direction[:, :-1]), direction[:, -1].copy()
    return direction, np.zeros(coef.shape[0])


def _prepare(estimator, X, y, coef, intercept, caller):
    """Working copy and centre point; an unfitted estimator needs ``coef``."""
    estimator, X = _unwrap(
        estimator, X, y, caller=caller, allow_unfitted=coef is not None
    )
    if not _is_fitted(estimator) and intercept is None:
        intercept = np.zeros(np.shape(coef)[0])
    work, X, y, coef, intercept = _working_copy(
        estimator, X, y, coef=coef, intercept=intercept
    )
    fit_intercept = bool(work.get_params().get("fit_intercept", True))
    return work, X, y, coef, intercept, fit_intercept


def _random_directions(n, coef, intercept, normalize, random_state):
    """``n`` independent :func:`random_direction` draws from one generator."""
    rng = check_random_state(random_state)
    return [
        random_direction(coef, intercept, normalize=normalize, random_state=rng)
        for _ in range(n)
    ]


def _default_grid(values, default):
    values = np.linspace(-1.0, 1.0, 51) if values is None else values
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{default} must be a non-empty 1-D array of floats.")
    return values


@fill_doc(_DOC_PARTS)
def loss_along_direction(
    estimator,
    X,
    y,
    sample_weight=None,
    *,
    alphas=None,
    direction=None,
    normalize="filter",
    coef=None,
    intercept=None,
    random_state=None,
):
    """The objective on a line through the parameters: ``J(W + a D1)``.

    Parameters
    ----------
    estimator : LinearSVMSGD, SoftmaxSGD or Pipeline
        Fitted, or unfitted with ``coef`` given. It is not modified. A
        :class:`~sklearn.pipeline.Pipeline` of transformers ending in one of
        them works on ``X`` transformed by its transformer steps (the fitted
        ones when the pipeline is fitted, else a clone of them fitted on
        ``(X, y)``) with its final estimator as if passed alone. Anything else
        raises a TypeError.
    <X, y>
    <sample_weight>
    alphas : array-like of shape (n_alphas,), default=None
        Positions ``a`` along the direction; default ``np.linspace(-1, 1, 51)``.
    direction : tuple of (ndarray, ndarray), default=None
        ``(direction_coef, direction_intercept)``; default a
        :func:`random_direction` (over the intercept too when
        ``fit_intercept=True``).
    <normalize, coef, intercept, random_state>

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    losses : ndarray of shape (n_alphas,)
        ``J(W + a D1, b + a d1)`` for each ``a``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linsgd import SoftmaxSGD
    >>> from sklearn_linsgd.landscape import loss_along_direction
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    >>> clf = SoftmaxSGD(random_state=0).fit(X, y)
    >>> a, J = loss_along_direction(clf, X, y, alphas=[-1, 0, 1], random_state=0)
    >>> bool(J[1] == clf.objective(X, y))
    True
    """
    work, X, y, coef, intercept, fit_intercept = _prepare(
        estimator, X, y, coef, intercept, "loss_along_direction"
    )
    alphas = _default_grid(alphas, "alphas")
    if direction is None:
        (direction,) = _random_directions(
            1, coef, intercept if fit_intercept else None, normalize, random_state
        )
    d_coef, d_intercept = _check_direction(direction, coef)
    objective = _objective_function(work, X, y, sample_weight)
    losses = np.array(
        [objective(coef + a * d_coef, intercept + a * d_intercept) for a in alphas]
    )
    return alphas, losses


def _check_direction(direction, coef):
    d_coef, d_intercept = direction
    d_coef = np.asarray(d_coef, dtype=np.float64)
    d_intercept = (
        np.zeros(coef.shape[0])
        if d_intercept is None
        else np.asarray(d_intercept, dtype=np.float64).reshape(-1)
    )
    if d_coef.shape != coef.shape or d_intercept.shape != (coef.shape[0],):
        raise ValueError(
            f"direction must be (coef of shape {coef.shape}, intercept of shape "
            f"{(coef.shape[0],)}); got {d_coef.shape} and {d_intercept.shape}."
        )
    return d_coef, d_intercept


@fill_doc(_DOC_PARTS)
def loss_on_plane(
    estimator,
    X,
    y,
    sample_weight=None,
    *,
    alphas=None,
    betas=None,
    directions=None,
    normalize="filter",
    coef=None,
    intercept=None,
    random_state=None,
):
    """The objective on a plane through the parameters: ``J(W + a D1 + b D2)``.

    Parameters
    ----------
    estimator : LinearSVMSGD, SoftmaxSGD or Pipeline
        Fitted, or unfitted with ``coef`` given. It is not modified. A
        :class:`~sklearn.pipeline.Pipeline` ending in one of them works on
        the transformed ``X``, as in :func:`loss_along_direction`; anything
        else raises a TypeError.
    <X, y>
    <sample_weight>
    alphas : array-like of shape (n_alphas,), default=None
        Positions along the first direction; default ``np.linspace(-1, 1, 51)``.
    betas : array-like of shape (n_betas,), default=None
        Positions along the second direction; default ``alphas``.
    directions : tuple of two (ndarray, ndarray) pairs, default=None
        ``((D1_coef, D1_intercept), (D2_coef, D2_intercept))``; default two
        independent :func:`random_direction` draws.
    <normalize, coef, intercept, random_state>

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    betas : ndarray of shape (n_betas,)
    losses : ndarray of shape (n_betas, n_alphas)
        ``losses[i, j] = J(W + alphas[j] D1 + betas[i] D2)``, the layout that
        ``matplotlib``'s ``contour(alphas, betas, losses)`` expects.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linsgd import LinearSVMSGD
    >>> from sklearn_linsgd.landscape import loss_on_plane
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 3)), np.arange(40) % 3
    >>> svm = LinearSVMSGD(random_state=0).fit(X, y)
    >>> a, b, J = loss_on_plane(svm, X, y, alphas=np.linspace(-1, 1, 5),
    ...                         betas=np.linspace(-1, 1, 3), random_state=0)
    >>> J.shape
    (3, 5)
    """
    work, X, y, coef, intercept, fit_intercept = _prepare(
        estimator, X, y, coef, intercept, "loss_on_plane"
    )
    alphas = _default_grid(alphas, "alphas")
    betas = alphas if betas is None else _default_grid(betas, "betas")
    if directions is None:
        directions = _random_directions(
            2, coef, intercept if fit_intercept else None, normalize, random_state
        )
    (d1, e1), (d2, e2) = (_check_direction(d, coef) for d in directions)
    objective = _objective_function(work, X, y, sample_weight)
    losses = np.empty((betas.size, alphas.size))
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            losses[i, j] = objective(
                coef + a * d1 + b * d2, intercept + a * e1 + b * e2
            )
    return alphas, betas, losses


def three_points_toy(
    weights=None, *, x=(-1.5, 0.5, 2.0), coef=(0.8, -0.4, 0.3), row=0, margin=1.0
):
    """The notes' toy example: hinge loss of three 1-D points along one weight.

    Three 1-D points ``x_0, x_1, x_2`` of classes 0, 1, 2 and a weight per
    class ``w_0, w_1, w_2`` (no bias). Each point's Weston-Watkins loss, e.g.
    ``L_0 = max(0, w_1 x_0 - w_0 x_0 + 1) + max(0, w_2 x_0 - w_0 x_0 + 1)``,
    seen as a function of one weight ``w_row`` with the others fixed, is a
    broken line: a sum of hinges that each either do not depend on ``w_row``
    or are linear in it, thresholded at zero. Their mean, the data loss, is
    convex and piecewise linear.

    Parameters
    ----------
    weights : array-like of shape (n_weights,), default=None
        Values of ``w_row`` (the x axis); default ``np.linspace(-3, 3, 241)``.
    x : array-like of shape (3,), default=(-1.5, 0.5, 2.0)
        The three points; point ``i`` has class ``i``.
    coef : array-like of shape (3,), default=(0.8, -0.4, 0.3)
        The class weights; entry ``row`` is replaced by each of ``weights``.
    row : int, default=0
        Which class weight varies.
    margin : float, default=1.0
        Margin of the hinge.

    Returns
    -------
    toy : :class:`~sklearn.utils.Bunch`
        ``weights`` (n_weights,), ``pieces`` of shape (3, n_weights) (the loss
        ``L_i`` of each point), ``total`` of shape (n_weights,) (their mean,
        the data loss), and ``x``, ``coef``, ``row``.

    See Also
    --------
    LossLandscapeDisplay.from_three_points : Plot it.

    Examples
    --------
    >>> from sklearn_linsgd.landscape import three_points_toy
    >>> toy = three_points_toy([-1.0, 0.0, 1.0])
    >>> toy.pieces.shape, toy.total.shape
    ((3, 3), (3,))
    >>> bool((toy.total == toy.pieces.mean(axis=0)).all())
    True
    """
    weights = (
        np.linspace(-3.0, 3.0, 241)
        if weights is None
        else np.asarray(weights, dtype=np.float64).reshape(-1)
    )
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    coef = np.asarray(coef, dtype=np.float64).reshape(-1)
    if x.shape != (3,) or coef.shape != (3,):
        raise ValueError("x and coef must each hold exactly three numbers.")
    if row not in (0, 1, 2):
        raise ValueError(f"row must be 0, 1 or 2, got {row!r}.")
    W = np.tile(coef, (weights.size, 1))  # (n_weights, 3 classes)
    W[:, row] = weights
    pieces = np.empty((3, weights.size))
    for i in range(3):
        scores = W * x[i]  # (n_weights, 3): score of each class for point i
        margins = scores - scores[:, [i]] + margin
        margins[:, i] = 0.0
        pieces[i] = np.maximum(margins, 0.0).sum(axis=1)
    return Bunch(
        weights=weights,
        pieces=pieces,
        total=pieces.mean(axis=0),
        x=x,
        coef=coef,
        row=row,
    )


# ---------------------------------------------------------------------------
# Step-size sweep


class StepSizeSweep:
    """Result of :func:`step_size_sweep`: the objective after one step per size.

    Parameters
    ----------
    step_sizes : ndarray of shape (n_steps,)
        The step sizes tried.
    objectives : ndarray of shape (n_steps,)
        The objective after one full-batch gradient step of each size from the
        same start (``inf`` if it overflowed).
    initial_objective : float
        The objective at the start.

    Attributes
    ----------
    best_index : int
        Index of the lowest objective.
    best_step_size : float
        The step size that reaches it.

    Examples
    --------
    >>> from sklearn_linsgd.landscape import StepSizeSweep
    >>> sweep = StepSizeSweep([1e-3, 1e-2, 1e-1], [2.0, 1.5, 9.0], 2.1)
    >>> sweep.best_step_size
    0.01
    >>> print(sweep)
    initial loss: 2.100000
    for step size 1.000000e-03 new loss: 2.000000
    for step size 1.000000e-02 new loss: 1.500000  <- best
    for step size 1.000000e-01 new loss: 9.000000
    """

    def __init__(self, step_sizes, objectives, initial_objective):
        self.step_sizes = np.asarray(step_sizes, dtype=np.float64)
        self.objectives = np.asarray(objectives, dtype=np.float64)
        self.initial_objective = float(initial_objective)
        finite = np.where(np.isfinite(self.objectives), self.objectives, np.inf)
        self.best_index = int(np.argmin(finite))
        self.best_step_size = float(self.step_sizes[self.best_index])

    def to_string(self):
        """The notes' table, one line per step size, the best one marked.

        Returns
        -------
        table : str

        Examples
        --------
        >>> from sklearn_linsgd.landscape import StepSizeSweep
        >>> print(StepSizeSweep([1e-7], [2.135493], 2.2).to_string())
        initial loss: 2.200000
        for step size 1.000000e-07 new loss: 2.135493  <- best
        """
        lines = [f"initial loss: {self.initial_objective:f}"]
        for i, (step, value) in enumerate(zip(self.step_sizes, self.objectives)):
            mark = "  <- best" if i == self.best_index else ""
            lines.append(f"for step size {step:e} new loss: {value:f}{mark}")
        return "\n".join(lines)

    def __str__(self):
        return self.to_string()

    def __repr__(self):
        return (
            f"StepSizeSweep(n_steps={self.step_sizes.size}, "
            f"best_step_size={self.best_step_size:g})"
        )

    def plot(self, ax=None):
        """Plot the objective after one step against the step size.

        The x axis (step size) is logarithmic, and so is the y axis when every
        finite objective is positive. Step sizes whose objective overflowed
        (``inf``) leave a gap in the line. matplotlib is imported only here.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure when None.

        Returns
        -------
        ax : matplotlib Axes
            Its first line is the objective against ``step_sizes``; a
            horizontal line marks ``initial_objective`` and a star the best
            step.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn_linsgd.landscape import StepSizeSweep
        >>> sweep = StepSizeSweep([1e-3, 1e-2, 1e-1], [2.0, 1.5, 9.0], 2.1)
        >>> ax = sweep.plot()
        >>> ax.lines[0].get_ydata().tolist()
        [2.0, 1.5, 9.0]
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(
            self.step_sizes,
            self.objectives,
            marker="o",
            label="objective after one step",
        )
        ax.axhline(
            self.initial_objective,
            color="gray",
            linestyle="--",
            label=f"initial objective ({self.initial_objective:.4g})",
        )
        ax.plot(
            self.best_step_size,
            self.objectives[self.best_index],
            "*",
            color="tab:red",
            markersize=12,
            label=f"best step size ({self.best_step_size:g})",
        )
        ax.set_xscale("log")
        finite = self.objectives[np.isfinite(self.objectives)]
        if finite.size and finite.min() > 0 and self.initial_objective > 0:
            ax.set_yscale("log")
        ax.set_xlabel("step size")
        ax.set_ylabel("objective after one step")
        ax.legend()
        ax.grid(alpha=0.3)
        return ax

    def to_dict(self):
        """The table as a dict of arrays (e.g. for ``pandas.DataFrame``).

        Returns
        -------
        table : dict
            ``"step_size"`` and ``"objective"`` arrays and a boolean ``"best"``.

        Examples
        --------
        >>> from sklearn_linsgd.landscape import StepSizeSweep
        >>> StepSizeSweep([0.1, 1.0], [1.0, 3.0], 2.0).to_dict()["best"]
        array([ True, False])
        """
        best = np.zeros(self.step_sizes.size, dtype=bool)
        best[self.best_index] = True
        return {
            "step_size": self.step_sizes.copy(),
            "objective": self.objectives.copy(),
            "best": best,
        }


@fill_doc(_DOC_PARTS)
def step_size_sweep(
    estimator,
    X,
    y,
    sample_weight=None,
    *,
    step_sizes=None,
    coef=None,
    intercept=None,
    scale=0.001,
    random_state=None,
):
    """The objective after one full-batch gradient step, for each step size.

    From the same starting parameters ``(W, b)`` -- the fitted ones, the given
    ones, or small random ones like the notes' ``W = np.random.randn(10, 3073)
    * 0.001`` -- the full-batch (sub)gradient ``(G, g)`` of the objective is
    computed once, and for every step size ``s`` the objective
    ``J(W - s G, b - s g)`` is recorded (the intercept moves only with
    ``fit_intercept=True``). Too small a step barely moves the objective, too
    large a step overshoots and increases it.

    Parameters
    ----------
    estimator : LinearSVMSGD, SoftmaxSGD or Pipeline
        Fitted or not. It is not modified. A
        :class:`~sklearn.pipeline.Pipeline` ending in one of them works on
        the transformed ``X``, as in :func:`loss_along_direction`; anything
        else raises a TypeError.
    <X, y>
    <sample_weight>
    step_sizes : array-like of shape (n_steps,), default=None
        Default ``10.0 ** np.arange(-10, 3)`` (1e-10 to 100): wide enough to
        show both ends of the table on standardized features. On raw features
        of large scale (pixels in 0..255, as in the notes) the steps that
        overshoot are much smaller.
    coef : ndarray of shape (n_rows, n_features), default=None
        Starting coefficients; default the fitted ones, else random ones.
    intercept : ndarray of shape (n_rows,), default=None
        Starting intercepts; default the fitted ones, else random ones.
    scale : float, default=0.001
        Standard deviation of the random starting parameters.
    random_state : int, RandomState instance or None, default=None
        Seed of the random starting parameters.

    Returns
    -------
    sweep : StepSizeSweep
        ``step_sizes``, ``objectives``, ``initial_objective``,
        ``best_step_size``; ``print(sweep)`` shows the notes' table.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_linsgd import LinearSVMSGD
    >>> from sklearn_linsgd.landscape import step_size_sweep
    >>> X, y = load_iris(return_X_y=True)
    >>> sweep = step_size_sweep(LinearSVMSGD(), X, y, step_sizes=[1e-6, 1e-2, 10],
    ...                         random_state=0)
    >>> print(sweep)
    initial loss: 2.003...
    for step size 1.000000e-06 new loss: 2.003...
    for step size 1.000000e-02 new loss: 1.885...  <- best
    for step size 1.000000e+01 new loss: 102.3...
    """
    step_sizes = (
        10.0 ** np.arange(-10, 3)
        if step_sizes is None
        else np.asarray(step_sizes, dtype=np.float64).reshape(-1)
    )
    if step_sizes.size == 0 or not np.all(step_sizes > 0):
        raise ValueError("step_sizes must be a non-empty array of positive floats.")
    point = _setup(
        estimator,
        X,
        y,
        sample_weight,
        "step_size_sweep",
        random_state,
        scale,
        coef=coef,
        intercept=intercept,
    )
    coef, intercept, grad_coef = point.coef, point.intercept, point.grad_coef
    grad_intercept = (
        point.grad_intercept if point.fit_intercept else np.zeros_like(intercept)
    )
    objectives = np.empty(step_sizes.size)
    with np.errstate(over="ignore", invalid="ignore"):
        for i, step in enumerate(step_sizes):
            value = point.objective(
                coef - step * grad_coef, intercept - step * grad_intercept
            )
            objectives[i] = value if np.isfinite(value) else np.inf
    return StepSizeSweep(step_sizes, objectives, point.value)


# ---------------------------------------------------------------------------
# Display


class LossLandscapeDisplay:
    """Plot of the objective along random directions (or of the toy example).

    Build it with :meth:`from_estimator` (or :meth:`from_three_points`), which
    computes the arrays and plots them; or pass the arrays to the constructor
    and call :meth:`plot`. matplotlib is imported only inside :meth:`plot`.

    Parameters
    ----------
    alphas : ndarray of shape (n_alphas,)
        Positions along the first direction (for ``kind="points"``: the
        values of the varying weight).
    losses : ndarray of shape (n_alphas,) or (n_betas, n_alphas)
        The objective: 1-D for ``kind="1d"`` and ``"points"`` (the total),
        2-D for ``kind="2d"``.
    betas : ndarray of shape (n_betas,), default=None
        Positions along the second direction (``kind="2d"`` only).
    kind : {"1d", "2d", "points"}, default="1d"
        A line, a plane, or the toy example of three points.
    pieces : ndarray of shape (n_pieces, n_alphas), default=None
        The loss of each point (``kind="points"`` only).
    estimator_name : str, default=None
        Used in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.
    line_ : matplotlib Line2D or None
        The objective line (``kind="1d"``; the total for ``"points"``).
    lines_ : list of matplotlib Line2D
        The per-point lines (``kind="points"``; empty otherwise).
    contour_ : matplotlib QuadContourSet or None
        Filled contours of the plane (``kind="2d"``).
    center_ : matplotlib Line2D or None
        Marker at the centre ``a = b = 0`` (``kind="1d"`` and ``"2d"``).
    colorbar_ : matplotlib Colorbar or None
        Colour scale of the contours (``kind="2d"`` with ``colorbar=True``;
        None otherwise).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_linsgd import LinearSVMSGD
    >>> from sklearn_linsgd.landscape import LossLandscapeDisplay
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 3)), np.arange(40) % 3
    >>> svm = LinearSVMSGD(random_state=0).fit(X, y)
    >>> disp = LossLandscapeDisplay.from_estimator(svm, X, y, random_state=0)
    >>> disp.line_.get_xydata().shape
    (51, 2)
    """

    def __init__(
        self, *, alphas, losses, betas=None, kind="1d", pieces=None, estimator_name=None
    ):
        if kind not in ("1d", "2d", "points"):
            raise ValueError(f"kind must be '1d', '2d' or 'points', got {kind!r}.")
        self.alphas = alphas
        self.losses = losses
        self.betas = betas
        self.kind = kind
        self.pieces = pieces
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, levels=20, cmap="viridis", colorbar=True, **kwargs):
        """Plot the landscape.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure when None.
        levels : int or array-like, default=20
            Contour levels (``kind="2d"``).
        cmap : str or Colormap, default="viridis"
            Colormap of the contours (``kind="2d"``).
        colorbar : bool, default=True
            Whether to add a colorbar (the objective's scale) next to the
            contours, as ``colorbar_`` (``kind="2d"``; ignored otherwise).
        **kwargs : dict
            Passed to ``ax.plot`` (``"1d"``, ``"points"`` total) or
            ``ax.contourf`` (``"2d"``).

        Returns
        -------
        display : LossLandscapeDisplay
            The display, with ``ax_``, ``figure_`` and the artists set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_linsgd.landscape import LossLandscapeDisplay
        >>> a = np.linspace(-1, 1, 5)
        >>> disp = LossLandscapeDisplay(alphas=a, losses=np.abs(a)).plot()
        >>> disp.ax_.get_xlabel()
        'a (step along D1)'
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        self.line_, self.lines_, self.contour_, self.center_ = None, [], None, None
        self.colorbar_ = None
        name = f"{self.estimator_name}: " if self.estimator_name else ""
        alphas = np.asarray(self.alphas)
        losses = np.asarray(self.losses)
        if self.kind == "1d":
            (self.line_,) = ax.plot(alphas, losses, **kwargs)
            zero = int(np.argmin(np.abs(alphas)))
            (self.center_,) = ax.plot(alphas[zero], losses[zero], "o", color="black")
            ax.set_xlabel("a (step along D1)")
            ax.set_ylabel("objective J(W + a D1)")
            ax.set_title(f"{name}objective along a random direction")
        elif self.kind == "2d":
            self.contour_ = ax.contourf(
                alphas,
                np.asarray(self.betas),
                losses,
                levels=levels,
                cmap=cmap,
                **kwargs,
            )
            (self.center_,) = ax.plot(0.0, 0.0, "+", color="white", markersize=12)
            if colorbar:
                self.colorbar_ = ax.figure.colorbar(
                    self.contour_, ax=ax, label="objective"
                )
            ax.set_xlabel("a (step along D1)")
            ax.set_ylabel("b (step along D2)")
            ax.set_title(f"{name}objective J(W + a D1 + b D2)")
        else:
            pieces = np.asarray(self.pieces)
            self.lines_ = [
                ax.plot(alphas, piece, linestyle="--", label=f"L_{i} (point {i})")[0]
                for i, piece in enumerate(pieces)
            ]
            kwargs.setdefault("color", "black")
            kwargs.setdefault("label", "data loss (mean)")
            (self.line_,) = ax.plot(alphas, losses, **kwargs)
            ax.set_xlabel("weight")
            ax.set_ylabel("loss")
            ax.set_title(f"{name}hinge loss of three 1-D points")
            ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    @fill_doc(_DOC_PARTS)
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        kind="1d",
        sample_weight=None,
        alphas=None,
        betas=None,
        normalize="filter",
        coef=None,
        intercept=None,
        random_state=None,
        ax=None,
        **kwargs,
    ):
        """Compute the objective along random directions and plot it.

        Parameters
        ----------
        estimator : LinearSVMSGD, SoftmaxSGD or Pipeline
            Fitted, or unfitted with ``coef`` given. It is not modified. A
            :class:`~sklearn.pipeline.Pipeline` ending in one of them works on
            the transformed ``X``, as in :func:`loss_along_direction`; the
            title then names its final estimator.
        <X, y>
        kind : {"1d", "2d"}, default="1d"
            A line (:func:`loss_along_direction`) or a plane
            (:func:`loss_on_plane`).
        <sample_weight>
        alphas : array-like, default=None
            Positions along the first direction; default
            ``np.linspace(-1, 1, 51)`` (1-D) or ``np.linspace(-1, 1, 25)``
            (2-D).
        betas : array-like, default=None
            Positions along the second direction (2-D); default ``alphas``.
        normalize : {"filter", "unit"} or None, default="filter"
            Normalization of the directions, see :func:`random_direction`.
        coef, intercept : ndarray, default=None
            Centre; default the fitted parameters.
        random_state : int, RandomState instance or None, default=None
            Seed of the directions.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Passed to :meth:`plot` (``levels``, ``cmap``, ``colorbar``, and
            the arguments of ``ax.plot`` or ``ax.contourf``).

        Returns
        -------
        display : LossLandscapeDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_linsgd import SoftmaxSGD
        >>> from sklearn_linsgd.landscape import LossLandscapeDisplay
        >>> rng = np.random.default_rng(0)
        >>> X, y = rng.normal(size=(40, 3)), np.arange(40) % 3
        >>> clf = SoftmaxSGD(random_state=0).fit(X, y)
        >>> disp = LossLandscapeDisplay.from_estimator(
        ...     clf, X, y, kind="2d", alphas=np.linspace(-1, 1, 7), random_state=0
        ... )
        >>> disp.losses.shape
        (7, 7)
        """
        estimator, X = _unwrap(
            estimator,
            X,
            y,
            caller="LossLandscapeDisplay.from_estimator",
            allow_unfitted=coef is not None,
        )
        common = dict(
            sample_weight=sample_weight,
            normalize=normalize,
            coef=coef,
            intercept=intercept,
            random_state=random_state,
        )
        if kind == "1d":
            alphas, losses = loss_along_direction(
                estimator, X, y, alphas=alphas, **common
            )
            betas = None
        elif kind == "2d":
            alphas = np.linspace(-1.0, 1.0, 25) if alphas is None else alphas
            alphas, betas, losses = loss_on_plane(
                estimator, X, y, alphas=alphas, betas=betas, **common
            )
        else:
            raise ValueError(f"kind must be '1d' or '2d', got {kind!r}.")
        display = cls(
            alphas=alphas,
            losses=losses,
            betas=betas,
            kind=kind,
            estimator_name=type(estimator).__name__,
        )
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_three_points(cls, weights=None, *, ax=None, **kwargs):
        """Plot the notes' toy example of three 1-D points.

        Parameters
        ----------
        weights : array-like, default=None
            Values of the varying weight, see :func:`three_points_toy`.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Passed to :func:`three_points_toy` (``x``, ``coef``, ``row``,
            ``margin``).

        Returns
        -------
        display : LossLandscapeDisplay
            With ``lines_`` (one broken line per point) and ``line_`` (the
            mean).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn_linsgd.landscape import LossLandscapeDisplay
        >>> disp = LossLandscapeDisplay.from_three_points()
        >>> len(disp.lines_)
        3
        """
        toy = three_points_toy(weights, **kwargs)
        display = cls(
            alphas=toy.weights, losses=toy.total, kind="points", pieces=toy.pieces
        )
        return display.plot(ax=ax)
