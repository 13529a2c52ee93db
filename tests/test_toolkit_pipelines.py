"""The toolkit (gradient_check, landscape) on Pipelines ending in our estimators."""

import re

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_linsgd import SoftmaxSGD
from sklearn_linsgd.gradient_check import check_gradient, check_gradient_sparse
from sklearn_linsgd.landscape import (
    LossLandscapeDisplay,
    loss_along_direction,
    loss_on_plane,
    step_size_sweep,
)

GRID = np.linspace(-1.0, 1.0, 5)


def _check_gradient(est, X, y, **kw):
    err, d = check_gradient(est, X, y, random_state=0, return_details=True, **kw)
    return [err, d["coef"], d["coef_analytic"], d["coef_numerical"], d["objective"]]


def _check_gradient_sparse(est, X, y, **kw):
    err, d = check_gradient_sparse(
        est, X, y, n_checks=6, random_state=0, return_details=True, **kw
    )
    return [err, d["coordinates"], d["analytic"], d["numerical"], d["objective"]]


def _step_size_sweep(est, X, y, **kw):
    sweep = step_size_sweep(est, X, y, step_sizes=[1e-3, 1e-1, 10], random_state=0)
    return [sweep.step_sizes, sweep.objectives, sweep.initial_objective]


def _loss_along_direction(est, X, y, **kw):
    return list(loss_along_direction(est, X, y, alphas=GRID, random_state=0, **kw))


def _loss_on_plane(est, X, y, **kw):
    return list(loss_on_plane(est, X, y, alphas=GRID, random_state=0, **kw))


def _from_estimator(est, X, y, **kw):
    pytest.importorskip("matplotlib").use("Agg")
    import matplotlib.pyplot as plt

    disp = LossLandscapeDisplay.from_estimator(
        est, X, y, kind="2d", alphas=GRID, random_state=0, **kw
    )
    plt.close("all")
    return [disp.alphas, disp.betas, disp.losses, disp.estimator_name]


# name -> (call, the name in the TypeError, needs coef= when unfitted)
ENTRY_POINTS = {
    "check_gradient": (_check_gradient, "check_gradient", False),
    "check_gradient_sparse": (_check_gradient_sparse, "check_gradient_sparse", False),
    "step_size_sweep": (_step_size_sweep, "step_size_sweep", False),
    "loss_along_direction": (_loss_along_direction, "loss_along_direction", True),
    "loss_on_plane": (_loss_on_plane, "loss_on_plane", True),
    "from_estimator": (
        _from_estimator,
        "LossLandscapeDisplay.from_estimator",
        True,
    ),
}
entry_points = pytest.mark.parametrize("entry", list(ENTRY_POINTS))


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def _softmax():
    return SoftmaxSGD(max_iter=5, tol=None, random_state=0)


def _assert_same(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(a, (str, list)):
            assert a == b
        else:
            np.testing.assert_array_equal(a, b)


def _snapshot(pipe):
    """What must not change: the params and every fitted array."""
    arrays = {
        f"{name}.{attr}": np.array(value, copy=True)
        for name, step in pipe.steps
        for attr, value in vars(step).items()
        if attr.endswith("_") and isinstance(value, np.ndarray)
    }
    return repr(pipe.get_params(deep=True)), arrays


def _assert_unchanged(pipe, snapshot):
    params, arrays = _snapshot(pipe)
    assert params == snapshot[0]
    assert arrays.keys() == snapshot[1].keys()
    for key, value in arrays.items():
        np.testing.assert_array_equal(value, snapshot[1][key])


@entry_points
def test_fitted_pipeline_equals_final_estimator_on_scaled_data(entry, iris):
    X, y = iris
    call, _, _ = ENTRY_POINTS[entry]
    pipe = make_pipeline(StandardScaler(), _softmax()).fit(X, y)
    before = _snapshot(pipe)
    got = call(pipe, X, y)
    expected = call(pipe[-1], StandardScaler().fit(X).transform(X), y)
    _assert_same(got, expected)
    _assert_unchanged(pipe, before)


@entry_points
def test_fitted_pipeline_uses_its_own_fitted_transformers(entry, iris):
    # Fitted on one half, evaluated on the other: the scaler is not refitted.
    X, y = iris
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:75], order[75:]
    call, _, _ = ENTRY_POINTS[entry]
    pipe = make_pipeline(StandardScaler(), _softmax()).fit(X[train], y[train])
    got = call(pipe, X[test], y[test])
    scaled = StandardScaler().fit(X[train]).transform(X[test])
    _assert_same(got, call(pipe[-1], scaled, y[test]))
    refitted = StandardScaler().fit(X[test]).transform(X[test])
    with pytest.raises(AssertionError):
        _assert_same(got, call(pipe[-1], refitted, y[test]))


@entry_points
def test_unfitted_pipeline_works_and_is_not_modified(entry, iris):
    X, y = iris
    call, _, needs_coef = ENTRY_POINTS[entry]
    kw = {}
    if needs_coef:
        rng = np.random.default_rng(1)
        kw = {"coef": rng.normal(size=(3, 4)), "intercept": rng.normal(size=3)}
    pipe = make_pipeline(StandardScaler(), _softmax())
    before = _snapshot(pipe)
    got = call(pipe, X, y, **kw)
    expected = call(_softmax(), StandardScaler().fit_transform(X), y, **kw)
    _assert_same(got, expected)
    _assert_unchanged(pipe, before)
    assert not hasattr(pipe[0], "mean_") and not hasattr(pipe[-1], "coef_")


@pytest.mark.parametrize(
    "entry", [name for name, (_, _, needs) in ENTRY_POINTS.items() if needs]
)
def test_unfitted_pipeline_without_coef_is_not_fitted_error(entry, iris):
    X, y = iris
    call, _, _ = ENTRY_POINTS[entry]
    pipe = make_pipeline(StandardScaler(), _softmax())
    with pytest.raises(NotFittedError, match="Pipeline instance is not fitted.*coef="):
        call(pipe, X, y)
    assert not hasattr(pipe[0], "mean_")


@entry_points
def test_single_step_pipeline_equals_its_estimator(entry, iris):
    X, y = iris
    call, _, _ = ENTRY_POINTS[entry]
    clf = _softmax().fit(X, y)
    _assert_same(call(make_pipeline(clf), X, y), call(clf, X, y))


@entry_points
@pytest.mark.parametrize("wrap", [False, True], ids=["bare", "pipeline"])
def test_unsupported_estimators_raise_type_error(entry, wrap, iris):
    X, y = iris
    call, caller, _ = ENTRY_POINTS[entry]
    est = SGDClassifier(max_iter=5, tol=None, random_state=0)
    got = "SGDClassifier"
    if wrap:
        est, got = make_pipeline(StandardScaler(), est), "a Pipeline ending in " + got
    est.fit(X, y)
    message = (
        f"{caller} supports LinearSVMSGD, SoftmaxSGD, or a Pipeline ending in one "
        f"of them; got {got}."
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        call(est, X, y)


def test_pipeline_ending_in_passthrough_raises_type_error(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), "passthrough")
    with pytest.raises(TypeError, match="got a Pipeline ending in 'passthrough'"):
        check_gradient(pipe, X, y)


@entry_points
@pytest.mark.parametrize("wrap", [False, True], ids=["bare", "pipeline"])
def test_unknown_label_is_a_clear_value_error(entry, wrap, iris):
    X, y = iris
    call, _, _ = ENTRY_POINTS[entry]
    est = make_pipeline(StandardScaler(), _softmax()) if wrap else _softmax()
    est.fit(X, y)
    y_bad = y.copy()
    y_bad[[0, 5]] = 7
    message = (
        "y contains labels [7] that are not among the classes the estimator was "
        "fitted on, [0, 1, 2]."
    )
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        call(est, X, y_bad)
    assert "partial_fit" not in str(info.value)
