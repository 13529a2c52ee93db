"""Property-based tests: hostile inputs never give a silent non-finite model.

Every ``fit`` / ``partial_fit`` over the generated problems either succeeds with
finite parameters, finite scores and predictions among ``classes_``, or raises a
ValueError whose message says what is wrong (for each generated problem the
test knows which errors are legitimate). A :class:`DivergenceError` is always
legitimate, but the estimator must then hold finite parameters.

The example count comes from the hypothesis profile (``tests/conftest.py``):
modest by default, many more with ``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``).
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_linsgd import DivergenceError, LinearSVMSGD, SoftmaxSGD

LABELS = {
    "int": np.arange(4),
    "negative": np.array([-7, -3, -1, 0]),
    "noncontiguous": np.array([2, 7, 100, 1001]),
    "str": np.array(["ant", "bee", "cat", "dog"]),
    "object": np.array(["ant", "bee", "cat", "dog"], dtype=object),
    "bool": np.array([False, True]),
}
ZERO_WEIGHTS = (
    r"sample_weight must have a positive sum"
    r"|Sample weights must contain at least one non-zero number"
)
SCALES = [1e-150, 1e-30, 1e-3, 1.0, 1e3, 1e30, 1e150]


@st.composite
def problems(draw, min_samples=1):
    """A small classification problem with hostile features, labels and weights."""
    n_samples = draw(st.integers(min_samples, 16))
    n_features = draw(st.integers(1, 5))
    kind = draw(st.sampled_from(sorted(LABELS)))
    labels = LABELS[kind]
    n_classes = draw(st.integers(1, labels.size))
    idx = draw(arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1)))
    base = draw(
        arrays(np.float64, (n_samples, n_features), elements=st.floats(-10, 10))
    )
    structure = draw(
        st.sets(st.sampled_from(["constant", "duplicate_feature", "duplicate_rows"]))
    )
    if "constant" in structure:
        column = draw(st.integers(0, n_features - 1))
        base[:, column] = draw(st.sampled_from([0.0, 1.0, -3.5]))
    if "duplicate_feature" in structure:
        base = np.hstack([base, base[:, :1]])
    if "duplicate_rows" in structure:
        repeats = draw(arrays(np.int64, n_samples, elements=st.integers(1, 3)))
        base, idx = np.repeat(base, repeats, axis=0), np.repeat(idx, repeats)
    scale = draw(st.sampled_from(SCALES))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    with np.errstate(over="ignore", under="ignore"):
        X = (base * scale).astype(dtype)
    finite = bool(np.isfinite(X).all())
    if draw(st.booleans()):
        X = sp.csr_matrix(X)
    weighting = draw(st.sampled_from(["none", "with_zeros", "all_zeros"]))
    n = idx.size
    if weighting == "none":
        sample_weight = None
    elif weighting == "all_zeros":
        sample_weight = np.zeros(n)
    else:
        sample_weight = draw(
            arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 3.0]))
        )
    return {
        "X": X,
        "y": labels[idx],
        "classes": labels[:n_classes],
        "sample_weight": sample_weight,
        "finite": finite,
    }


@st.composite
def estimators(draw, labels=None, for_fit=True):
    """An unfitted estimator with a few epochs and varied hyper-parameters."""
    cls = draw(st.sampled_from([LinearSVMSGD, SoftmaxSGD]))
    class_weight = None
    if labels is not None and draw(st.booleans()):
        weights = st.sampled_from([0.5, 1.0, 5.0])
        class_weight = {label: draw(weights) for label in labels.tolist()}
    early_stopping = for_fit and draw(st.booleans())
    return cls(
        batch_size=draw(st.sampled_from([1, 3, 256, "full"])),
        learning_rate=draw(
            st.sampled_from(["constant", "invscaling", "optimal", "adaptive", "cosine"])
        ),
        eta0=draw(st.sampled_from([1e-4, 0.1, 10.0, 1e3])),
        alpha=draw(st.sampled_from([0.0, 1e-4, 1.0])),
        penalty=draw(st.sampled_from(["l2", "l1", "elasticnet", None])),
        momentum=draw(st.sampled_from([0.0, 0.9])),
        average=draw(st.booleans()),
        fit_intercept=draw(st.booleans()),
        class_weight=class_weight,
        early_stopping=early_stopping,
        validation_fraction=0.3,
        max_iter=3,
        tol=None,
        random_state=0,
    )


def _check_error(exc, expected, est):
    """A raised ValueError must be one the problem allows, with its message."""
    if isinstance(exc, DivergenceError):
        assert re.search(r"epoch \d+", str(exc)) and "eta0" in str(exc)
        assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
        return
    message = str(exc)
    assert any(re.search(pattern, message) for pattern in expected), (
        f"unexpected ValueError {message!r}; allowed here: {expected}"
    )


def _check_model(est, problem):
    """A fitted model is finite and predicts labels among ``classes_``."""
    X = problem["X"]
    n_features = X.shape[1]
    k = est.classes_.size
    assert est.coef_.shape == (1 if k == 2 else k, n_features)
    assert est.coef_.dtype == X.dtype
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
    # Scores can overflow (to +-inf, or NaN from inf - inf) only when
    # sum_j |x_j| |w_j| + |b| can exceed the dtype's range, e.g. features of
    # 1e30 in float32; below that bound they must be finite.
    scores = est.decision_function(X)
    abs_x = float(abs(X).max()) if X.shape[0] else 0.0
    bound = abs_x * float(np.abs(est.coef_).max()) * n_features
    bound += float(np.abs(est.intercept_).max())
    if bound < np.finfo(X.dtype).max / 2:
        assert np.isfinite(scores).all()
    pred = est.predict(X)
    assert pred.shape == (X.shape[0],)
    assert np.isin(pred, est.classes_).all()
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def _required_errors(est, problem, n_classes):
    """Errors that the problem must raise."""
    expected = []
    if n_classes < 2:
        expected.append(r"number of classes has to be greater than one")
    if not problem["finite"]:
        expected.append(r"Input (X )?contains infinity")
    sw = problem["sample_weight"]
    if sw is not None and not sw.sum() > 0:
        expected.append(ZERO_WEIGHTS)
    if est.learning_rate == "optimal" and est.alpha == 0:
        expected.append(r"alpha must be > 0")
    if est.learning_rate == "optimal" and est.eta0 != type(est)().eta0:
        expected.append(r"eta0 does not apply to learning_rate='optimal'")
    return expected


def _possible_errors(est):
    """Errors that may, but need not, occur."""
    if est.early_stopping:
        # Too few rows (or rows of a class) for a stratified validation split.
        return [
            r"early_stopping could not hold out a stratified",
            # all the weight on one side of the split
            r"early_stopping held out a validation split whose",
        ]
    return []


@given(problem=problems(), data=st.data())
def test_fit_finite_or_clear_error(problem, data):
    est = data.draw(estimators(labels=problem["classes"]))
    n_classes = np.unique(problem["y"]).size
    expected = _required_errors(est, problem, n_classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow on the way
        try:
            est.fit(problem["X"], problem["y"], sample_weight=problem["sample_weight"])
        except ValueError as exc:
            _check_error(exc, expected + _possible_errors(est), est)
            return
        assert not expected, f"fit succeeded; expected one of {expected}"
        assert set(est.classes_.tolist()) == set(problem["y"].tolist())
        _check_model(est, problem)


@given(problem=problems(min_samples=2), data=st.data())
def test_partial_fit_finite_or_clear_error(problem, data):
    est = data.draw(estimators(labels=problem["classes"], for_fit=False))
    X, y, sw = problem["X"], problem["y"], problem["sample_weight"]
    n = X.shape[0]
    cuts = data.draw(st.lists(st.integers(1, n - 1), max_size=4, unique=True))
    bounds = [0, *sorted(cuts), n]
    expected = _required_errors(est, problem, problem["classes"].size)
    # A chunk of zero total weight is refused (the whole data need not be).
    expected = [e for e in expected if e != ZERO_WEIGHTS]
    if sw is not None and any(
        not sw[a:b].sum() > 0 for a, b in zip(bounds[:-1], bounds[1:])
    ):
        expected.append(ZERO_WEIGHTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            for start, stop in zip(bounds[:-1], bounds[1:]):
                est.partial_fit(
                    X[start:stop],
                    y[start:stop],
                    classes=problem["classes"],
                    sample_weight=None if sw is None else sw[start:stop],
                )
        except ValueError as exc:
            _check_error(exc, expected, est)
            return
    assert not expected
    assert est.t_ >= 0 and len(est.loss_curve_) == len(bounds) - 1
    _check_model(est, problem)


@pytest.mark.parametrize("cls", [LinearSVMSGD, SoftmaxSGD])
@pytest.mark.parametrize("scale", SCALES)
def test_extreme_scales_fit_finite(cls, scale):
    # Not random: every scale, with default hyper-parameters, on separable data.
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 10)
    X = (rng.normal(size=(30, 3)) + 3 * np.eye(3)[y]) * scale
    est = cls(max_iter=5, tol=None, random_state=0)
    try:
        est.fit(X, y)
    except DivergenceError as exc:
        assert "eta0" in str(exc) and "scale" in str(exc)
        assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
        return
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
    assert np.isfinite(est.decision_function(X)).all()
    assert np.isin(est.predict(X), [0, 1, 2]).all()
