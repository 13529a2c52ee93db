"""Tests of sklearn_linsgd.landscape: slices, toy example, step sweep, Display."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd.landscape import (
    LossLandscapeDisplay,
    StepSizeSweep,
    loss_along_direction,
    loss_on_plane,
    random_direction,
    step_size_sweep,
    three_points_toy,
)


def _data(n_samples=60, n_features=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = np.arange(n_samples) % n_classes
    X += y[:, None] * 0.7  # some signal, so that fits are not degenerate
    return X, y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# -------------------------------------------------------------- directions


def test_random_direction_normalizations():
    rng = np.random.default_rng(0)
    coef = rng.normal(size=(3, 5))
    coef[1] = 0.0
    intercept = np.array([1.0, 0.0, -2.0])
    d_coef, d_int = random_direction(coef, intercept, random_state=0)
    rows = np.column_stack([d_coef, d_int])
    expected = np.linalg.norm(np.column_stack([coef, intercept]), axis=1)
    expected[1] = 1.0  # a zero row keeps a unit direction
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), expected)

    d_coef, d_int = random_direction(coef, intercept, normalize="unit", random_state=0)
    assert np.sqrt(np.sum(d_coef**2) + np.sum(d_int**2)) == pytest.approx(1.0)

    raw_coef, raw_int = random_direction(
        coef, intercept, normalize=None, random_state=0
    )
    np.testing.assert_allclose(
        d_coef * np.sqrt(np.sum(raw_coef**2) + np.sum(raw_int**2)), raw_coef
    )
    d_coef, d_int = random_direction(coef, None, random_state=1)
    np.testing.assert_array_equal(d_int, np.zeros(3))
    with pytest.raises(ValueError, match="normalize must be"):
        random_direction(coef, normalize="layer")


# -------------------------------------------------------------- 1-D slices


def _hinge_kinks(coef, intercept, d_coef, d_int, X, y, margin=1.0):
    """Every ``a`` at which some hinge term of J(W + a D) switches on or off."""
    scores = X @ coef.T + intercept
    dscores = X @ d_coef.T + d_int
    rows = np.arange(len(y))
    m0 = scores - scores[rows, y][:, None] + margin
    dm = dscores - dscores[rows, y][:, None]
    mask = np.ones_like(m0, dtype=bool)
    mask[rows, y] = False
    with np.errstate(divide="ignore"):
        kinks = -m0[mask] / dm[mask]
    return kinks[np.isfinite(kinks)]


def test_svm_slice_is_convex_and_piecewise_linear():
    X, y = _data()
    svm = LinearSVMSGD(penalty=None, random_state=0, max_iter=30, tol=None).fit(X, y)
    direction = random_direction(svm.coef_, svm.intercept_, random_state=0)
    alphas = np.linspace(-1.0, 1.0, 401)
    a, losses = loss_along_direction(svm, X, y, alphas=alphas, direction=direction)
    np.testing.assert_array_equal(a, alphas)
    assert losses[200] == pytest.approx(svm.objective(X, y), rel=1e-12)

    second = losses[2:] - 2 * losses[1:-1] + losses[:-2]
    scale = np.abs(losses).max()
    assert second.min() >= -1e-12 * scale  # convex
    # Piecewise linear: the second difference at a[i] is zero unless a kink
    # (computed independently) lies in [a[i-1], a[i+1]], and a kink makes it
    # positive somewhere.
    kinks = _hinge_kinks(svm.coef_, svm.intercept_, *direction, X, y)
    has_kink = np.array(
        [np.any((kinks >= lo) & (kinks <= hi)) for lo, hi in zip(a[:-2], a[2:])]
    )
    assert has_kink.any() and (~has_kink).any()
    np.testing.assert_allclose(second[~has_kink], 0.0, atol=1e-12 * scale)
    assert (second > 1e-9 * scale).any()
    assert np.all(has_kink[second > 1e-9 * scale])


def test_svm_slice_with_l2_penalty_adds_a_constant_curvature():
    X, y = _data()
    alpha = 0.1
    svm = LinearSVMSGD(alpha=alpha, random_state=0, max_iter=20, tol=None).fit(X, y)
    d_coef, d_int = random_direction(svm.coef_, svm.intercept_, random_state=2)
    alphas = np.linspace(-0.5, 0.5, 201)
    a, losses = loss_along_direction(
        svm, X, y, alphas=alphas, direction=(d_coef, d_int)
    )
    second = losses[2:] - 2 * losses[1:-1] + losses[:-2]
    step = alphas[1] - alphas[0]
    curvature = alpha * np.sum(d_coef**2) * step**2  # the intercept is not penalised
    kinks = _hinge_kinks(svm.coef_, svm.intercept_, d_coef, d_int, X, y)
    has_kink = np.array(
        [np.any((kinks >= lo) & (kinks <= hi)) for lo, hi in zip(a[:-2], a[2:])]
    )
    np.testing.assert_allclose(second[~has_kink], curvature, rtol=1e-5)


def test_softmax_slice_is_smooth_and_convex():
    X, y = _data()
    clf = SoftmaxSGD(random_state=0, max_iter=30, tol=None).fit(X, y)
    a, losses = loss_along_direction(
        clf, X, y, alphas=np.linspace(-1, 1, 201), random_state=0
    )
    second = losses[2:] - 2 * losses[1:-1] + losses[:-2]
    assert second.min() > 0  # strictly convex along the line
    # Smooth: the curvature changes little between neighbouring points
    # (a kink would make a spike: a third difference as large as the second).
    third = np.diff(second)
    assert np.abs(third).max() < 0.05 * second.max()


def test_slice_sparse_matches_dense_and_given_parameters():
    X, y = _data()
    clf = SoftmaxSGD(random_state=0, max_iter=5, tol=None).fit(X, y)
    _, dense = loss_along_direction(clf, X, y, alphas=[-0.5, 0.5], random_state=3)
    _, sparse = loss_along_direction(
        clf, sp.csr_matrix(X), y, alphas=[-0.5, 0.5], random_state=3
    )
    np.testing.assert_allclose(sparse, dense, rtol=1e-12)
    # An unfitted estimator needs the centre.
    with pytest.raises(NotFittedError, match="coef="):
        loss_along_direction(SoftmaxSGD(), X, y)
    coef, intercept = clf.coef_, clf.intercept_
    _, given = loss_along_direction(
        SoftmaxSGD(),
        X,
        y,
        alphas=[-0.5, 0.5],
        coef=coef,
        intercept=intercept,
        random_state=3,
    )
    np.testing.assert_allclose(given, dense, rtol=1e-12)
    # Given coef without intercept: the intercept is zero.
    _, no_intercept = loss_along_direction(
        SoftmaxSGD(), X, y, alphas=[0.0], coef=coef, random_state=3
    )
    reference = SoftmaxSGD()
    reference.classes_, reference.n_features_in_ = clf.classes_, X.shape[1]
    reference.coef_, reference.intercept_ = coef, np.zeros(3)
    assert no_intercept[0] == pytest.approx(reference.objective(X, y), rel=1e-12)
    assert not hasattr(SoftmaxSGD(), "coef_")
    with pytest.raises(ValueError, match="direction must be"):
        loss_along_direction(clf, X, y, direction=(np.ones((2, 2)), None))


# -------------------------------------------------------------- 2-D slices


def test_plane_layout_and_bowl():
    X, y = _data()
    svm = LinearSVMSGD(alpha=0.01, random_state=0, max_iter=30, tol=None).fit(X, y)
    rng = np.random.RandomState(5)
    directions = [
        random_direction(svm.coef_, svm.intercept_, random_state=rng) for _ in range(2)
    ]
    alphas, betas = np.linspace(-1, 1, 9), np.linspace(-1, 1, 7)
    a, b, losses = loss_on_plane(
        svm, X, y, alphas=alphas, betas=betas, directions=directions
    )
    assert losses.shape == (7, 9)
    # Row b = 0 is the line along D1, column a = 0 the line along D2.
    _, along_d1 = loss_along_direction(
        svm, X, y, alphas=alphas, direction=directions[0]
    )
    _, along_d2 = loss_along_direction(svm, X, y, alphas=betas, direction=directions[1])
    np.testing.assert_allclose(losses[3], along_d1, rtol=1e-12)
    np.testing.assert_allclose(losses[:, 4], along_d2, rtol=1e-12)
    # A convex bowl: convex along every row and column of the grid.
    tol = 1e-12 * np.abs(losses).max()
    assert np.diff(losses, 2, axis=1).min() >= -tol
    assert np.diff(losses, 2, axis=0).min() >= -tol
    # Random directions from the same seed give the same plane.
    _, _, again = loss_on_plane(
        svm, X, y, alphas=alphas, betas=betas, random_state=np.random.RandomState(5)
    )
    np.testing.assert_allclose(again, losses)
    # The fitted point is near the bottom of the bowl.
    assert losses[3, 4] <= losses.min() + 0.05 * (losses.max() - losses.min())


# ------------------------------------------------------------ toy example


def test_three_points_toy_values():
    toy = three_points_toy([-2.0, 0.0])
    # x = (-1.5, 0.5, 2.0), w = (w0, -0.4, 0.3); see the docstring's formula.
    # w0 = 0: L0 = 1.6 + 0.55, L1 = 1.2 + 1.35, L2 = 0.4 + 0
    # w0 = -2: L0 = 0 + 0, L1 = 0.2 + 1.35, L2 = 0 + 0
    np.testing.assert_allclose(toy.pieces[:, 1], [2.15, 2.55, 0.4])
    np.testing.assert_allclose(toy.pieces[:, 0], [0.0, 1.55, 0.0])
    np.testing.assert_allclose(toy.total, toy.pieces.mean(axis=0))


def test_three_points_toy_is_broken_lines():
    toy = three_points_toy(np.linspace(-3, 3, 601), row=1)
    for curve in [*toy.pieces, toy.total]:
        second = np.diff(curve, 2)
        assert second.min() >= -1e-12  # convex
        # piecewise linear: curvature only next to the (at most four) kinks,
        # each of which bends one or two second differences
        assert 0 < np.count_nonzero(np.abs(second) > 1e-9) <= 8
    with pytest.raises(ValueError, match="three numbers"):
        three_points_toy(x=(1.0, 2.0))
    with pytest.raises(ValueError, match="row must be"):
        three_points_toy(row=3)


# ------------------------------------------------------- step-size sweep


@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
def test_step_size_sweep_has_the_notes_shape_on_digits(Estimator, digits):
    X, y = digits
    sweep = step_size_sweep(Estimator(), X, y, random_state=0)
    np.testing.assert_allclose(sweep.step_sizes, 10.0 ** np.arange(-10, 3))
    j0 = sweep.initial_objective
    # Too small: the objective barely moves (but it does go down).
    assert abs(sweep.objectives[0] - j0) < 1e-6 * j0
    assert sweep.objectives[0] <= j0
    # Too large: the step overshoots and the objective goes up.
    assert sweep.objectives[-1] > j0
    # In between, a step that helps a lot.
    assert sweep.objectives.min() < 0.5 * j0
    assert 0 < sweep.best_index < sweep.step_sizes.size - 1
    assert sweep.best_step_size == sweep.step_sizes[np.argmin(sweep.objectives)]

    table = str(sweep)
    lines = table.splitlines()
    assert lines[0] == f"initial loss: {j0:f}"
    assert f"for step size 1.000000e-07 new loss: {sweep.objectives[3]:f}" in lines
    assert sum("<- best" in line for line in lines) == 1
    assert "<- best" in lines[1 + sweep.best_index]


def test_step_size_sweep_is_one_gradient_step_from_the_fitted_point():
    X, y = _data()
    clf = SoftmaxSGD(random_state=0, max_iter=3, tol=None).fit(X, y)
    coef_before = clf.coef_.copy()
    sweep = step_size_sweep(clf, X, y, step_sizes=[0.01, 0.5])
    np.testing.assert_array_equal(clf.coef_, coef_before)
    j0, grad_coef, grad_int = clf._objective_and_gradient(X, y)
    assert sweep.initial_objective == pytest.approx(j0)
    for step, value in zip([0.01, 0.5], sweep.objectives):
        expected, _, _ = clf._objective_and_gradient(
            X,
            y,
            coef=clf.coef_ - step * grad_coef,
            intercept=clf.intercept_ - step * grad_int,
        )
        assert value == pytest.approx(expected, rel=1e-10)
    # Without an intercept the intercept does not move.
    noint = SoftmaxSGD(fit_intercept=False, random_state=0, max_iter=3, tol=None)
    noint.fit(X, y)
    sweep = step_size_sweep(noint, X, y, step_sizes=[0.5])
    _, grad_coef, _ = noint._objective_and_gradient(X, y)
    expected, _, _ = noint._objective_and_gradient(
        X, y, coef=noint.coef_ - 0.5 * grad_coef, intercept=noint.intercept_
    )
    assert sweep.objectives[0] == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="positive"):
        step_size_sweep(clf, X, y, step_sizes=[0.1, -1.0])


def test_step_size_sweep_result_object():
    sweep = StepSizeSweep([1e-3, 1e-2, 1e-1], [2.0, np.inf, 1.5], 2.5)
    assert sweep.best_index == 2 and sweep.best_step_size == 0.1
    table = sweep.to_dict()
    np.testing.assert_array_equal(table["best"], [False, False, True])
    np.testing.assert_array_equal(table["objective"], [2.0, np.inf, 1.5])
    assert "new loss: inf" in sweep.to_string()
    assert repr(sweep) == "StepSizeSweep(n_steps=3, best_step_size=0.1)"


# --------------------------------------------------------------- Display


def test_display_1d(pyplot):
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    X, y = _data()
    svm = LinearSVMSGD(random_state=0, max_iter=10, tol=None).fit(X, y)
    disp = LossLandscapeDisplay.from_estimator(
        svm, X, y, alphas=np.linspace(-1, 1, 11), random_state=0
    )
    assert isinstance(disp.ax_, Axes) and isinstance(disp.figure_, Figure)
    assert isinstance(disp.line_, Line2D) and disp.contour_ is None
    _, expected = loss_along_direction(
        svm, X, y, alphas=np.linspace(-1, 1, 11), random_state=0
    )
    np.testing.assert_allclose(disp.line_.get_ydata(), expected)
    np.testing.assert_allclose(disp.center_.get_ydata(), [expected[5]])
    assert "LinearSVMSGD" in disp.ax_.get_title()
    # Plotting again on a given Axes uses it.
    fig, ax = pyplot.subplots()
    assert disp.plot(ax=ax, color="red").ax_ is ax
    assert disp.line_.get_color() == "red"


def test_display_2d(pyplot):
    from matplotlib.contour import QuadContourSet

    X, y = _data()
    clf = SoftmaxSGD(random_state=0, max_iter=10, tol=None).fit(X, y)
    fig, ax = pyplot.subplots()
    disp = LossLandscapeDisplay.from_estimator(
        clf,
        X,
        y,
        kind="2d",
        alphas=np.linspace(-1, 1, 6),
        betas=np.linspace(-1, 1, 4),
        random_state=0,
        ax=ax,
        levels=5,
    )
    assert disp.ax_ is ax and disp.figure_ is fig
    assert isinstance(disp.contour_, QuadContourSet) and disp.line_ is None
    assert disp.losses.shape == (4, 6)
    assert disp.ax_.get_ylabel().startswith("b")


def test_display_three_points(pyplot):
    disp = LossLandscapeDisplay.from_three_points(np.linspace(-2, 2, 41))
    assert len(disp.lines_) == 3
    toy = three_points_toy(np.linspace(-2, 2, 41))
    for line, piece in zip(disp.lines_, toy.pieces):
        np.testing.assert_allclose(line.get_ydata(), piece)
    np.testing.assert_allclose(disp.line_.get_ydata(), toy.total)
    assert len(disp.ax_.get_legend().get_texts()) == 4


def test_display_errors():
    X, y = _data()
    clf = SoftmaxSGD(random_state=0, max_iter=2, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="kind must be"):
        LossLandscapeDisplay.from_estimator(clf, X, y, kind="3d")
    with pytest.raises(ValueError, match="kind must be"):
        LossLandscapeDisplay(alphas=[0], losses=[0], kind="3d")


def test_landscape_does_not_import_matplotlib():
    code = (
        "import sys, sklearn_linsgd.landscape, sklearn_linsgd.gradient_check, "
        "sklearn_linsgd.baselines; assert 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
