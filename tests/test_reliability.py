"""Reliability: partial_fit on awkward chunks, interrupted fits, divergence,
persistence (pickle, joblib, skops), determinism and thread safety.

The behaviours tested here are documented in ``docs/reliability.rst``.
"""

import io
import os
import pickle
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_linsgd import (
    DivergenceError,
    LinearSVMSGD,
    SoftmaxSGD,
    _compiled,
    schedules,
)

ESTIMATORS = [LinearSVMSGD, SoftmaxSGD]


def _data(n_samples=60, n_features=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    X = rng.normal(size=(n_samples, n_features))
    X[:, : min(n_classes, n_features)] += (
        2.0 * np.eye(n_classes, n_features)[y][:, : min(n_classes, n_features)]
    )
    return X, y


def _assert_finite(est):
    assert np.isfinite(est.coef_).all()
    assert np.isfinite(est.intercept_).all()


class InterruptAt:
    """Step size ``eta0``, but raise KeyboardInterrupt before update ``k``.

    Simulates a Ctrl-C that arrives during ``fit`` between two updates.
    """

    def __init__(self, k, eta0=0.05):
        self.k = k
        self.eta0 = eta0

    def __call__(self, t):
        if t == self.k:
            raise KeyboardInterrupt
        return self.eta0


class FreezeAt:
    """Step size ``eta0`` before update ``k`` and 0 from then on.

    Without momentum and averaging the parameters then stop moving after ``k``
    updates: an independent way to get "the parameters after update k".
    """

    def __init__(self, k, eta0=0.05):
        self.k = k
        self.eta0 = eta0

    def __call__(self, t):
        return self.eta0 if t < self.k else 0.0


# ---------------------------------------------------------------------------
# partial_fit on awkward chunks


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_chunks_with_one_class(cls):
    X, y = _data()
    est = cls(learning_rate="constant", eta0=0.05, random_state=0)
    for label in [0, 1, 2, 0, 1, 2]:
        mask = y == label
        est.partial_fit(X[mask], y[mask], classes=[0, 1, 2])
    _assert_finite(est)
    assert est.coef_.shape == (3, 4)
    assert len(est.loss_curve_) == 6
    # Having seen every class, the model separates the (easy) classes.
    assert est.score(X, y) > 0.6


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_chunks_of_one_row(cls):
    X, y = _data(n_samples=30)
    est = cls(learning_rate="constant", eta0=0.05, random_state=0)
    for i in range(X.shape[0]):
        est.partial_fit(X[i : i + 1], y[i : i + 1], classes=[0, 1, 2])
    assert est.t_ == 30
    _assert_finite(est)
    assert np.isin(est.predict(X), [0, 1, 2]).all()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_empty_chunk_is_a_clear_error(cls):
    X, y = _data()
    est = cls(random_state=0)
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        est.partial_fit(X[:0], y[:0], classes=[0, 1, 2])
    assert not hasattr(est, "coef_")
    est.partial_fit(X, y, classes=[0, 1, 2])
    coef, t = est.coef_.copy(), est.t_
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        est.partial_fit(X[:0], y[:0])
    assert_array_equal(est.coef_, coef)
    assert est.t_ == t
    est.partial_fit(X, y)  # still usable
    assert est.t_ > t


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("first", [np.float64, np.float32])
def test_partial_fit_dtype_change_between_calls(cls, first):
    # The first call fixes the model's dtype; later chunks are cast to it.
    X, y = _data()
    X2 = X[::-1].astype(np.float32 if first == np.float64 else np.float64)
    est = cls(batch_size=16, random_state=0)
    est.partial_fit(X.astype(first), y, classes=[0, 1, 2])
    est.partial_fit(X2, y[::-1])
    assert est.coef_.dtype == first and est.intercept_.dtype == first
    _assert_finite(est)
    ref = cls(batch_size=16, random_state=0)
    ref.partial_fit(X.astype(first), y, classes=[0, 1, 2])
    ref.partial_fit(X2.astype(first), y[::-1])
    assert_array_equal(est.coef_, ref.coef_)
    assert_array_equal(est.intercept_, ref.intercept_)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_float64_chunk_overflowing_float32_model(cls):
    # A float32 model receiving float64 values beyond float32's range must not
    # turn them into inf silently (and then report a misleading divergence).
    X, y = _data()
    est = cls(random_state=0).partial_fit(X.astype(np.float32), y, classes=[0, 1, 2])
    coef = est.coef_.copy()
    with pytest.raises(ValueError, match="float32") as info:
        est.partial_fit(X * 1e100, y)
    assert not isinstance(info.value, DivergenceError)
    assert_array_equal(est.coef_, coef)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_feature_names_must_match(cls):
    pd = pytest.importorskip("pandas")
    X, y = _data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = cls(random_state=0).partial_fit(df, y, classes=[0, 1, 2])
    assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])
    coef, t = est.coef_.copy(), est.t_
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        est.partial_fit(df[["d", "c", "b", "a"]], y)
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- z"):
        est.partial_fit(df.rename(columns={"a": "z"}), y)
    assert_array_equal(est.coef_, coef)
    assert est.t_ == t
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        est.partial_fit(X, y)
    assert est.t_ > t


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_labels_outside_classes(cls):
    X, y = _data()
    est = cls(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    coef, t = est.coef_.copy(), est.t_
    y_bad = y.copy()
    y_bad[:3] = [7, 9, 7]
    with pytest.raises(ValueError, match=r"labels \[7, 9\] that are not in classes"):
        est.partial_fit(X, y_bad)
    with pytest.raises(ValueError, match=r"Pass every label .* first call"):
        est.partial_fit(X, y_bad)
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        est.partial_fit(X, y, classes=[0, 1, 2, 7])
    with pytest.raises(ValueError, match="X has 3 features, but .* expecting 4"):
        est.partial_fit(X[:, :3], y)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.partial_fit(X_nan, y)
    assert_array_equal(est.coef_, coef)
    assert est.t_ == t


# ---------------------------------------------------------------------------
# Interruption


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("k", [1, 6, 8])  # first update, epoch boundary, mid-epoch
def test_keyboard_interrupt_in_fit_keeps_last_update(cls, k):
    X, y = _data()  # 60 rows, batch_size 20: 3 updates per epoch
    params = dict(batch_size=20, max_iter=10, tol=None, random_state=0)
    est = cls(learning_rate=InterruptAt(k), **params)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert est.t_ == k
    ref = cls(learning_rate=FreezeAt(k), **params).fit(X, y)
    assert_array_equal(est.coef_, ref.coef_)
    assert_array_equal(est.intercept_, ref.intercept_)
    assert not np.array_equal(est.coef_, np.zeros_like(est.coef_))
    # Usable: predict works, partial_fit continues the counter.
    assert_array_equal(est.predict(X), ref.predict(X))
    est.set_params(learning_rate=0.05)
    est.partial_fit(X, y)
    assert est.t_ == k + 3
    _assert_finite(est)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_keyboard_interrupt_in_refit_leaves_consistent_model(cls):
    # An interrupted re-fit on other classes must not mix the old coef_ with the
    # new classes_.
    X, y = _data()
    est = cls(max_iter=3, tol=None, random_state=0).fit(X, y)
    assert est.coef_.shape == (3, 4)
    y2 = np.where(y == 0, "no", "yes")
    est.set_params(learning_rate=InterruptAt(4), batch_size=10)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y2)
    assert est.t_ == 4
    assert est.coef_.shape == (1, 4)
    assert_array_equal(est.classes_, ["no", "yes"])
    assert np.isin(est.predict(X), ["no", "yes"]).all()


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "options", [dict(momentum=0.9), dict(average=True), dict(early_stopping=True)]
)
def test_keyboard_interrupt_in_fit_with_options(cls, options):
    X, y = _data()
    est = cls(learning_rate=InterruptAt(5), batch_size=10, random_state=0, **options)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert est.t_ == 5
    _assert_finite(est)
    assert np.isin(est.predict(X), [0, 1, 2]).all()
    est.set_params(learning_rate=0.05)
    est.partial_fit(X, y)
    assert est.t_ > 5
    _assert_finite(est)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_keyboard_interrupt_in_partial_fit_keeps_last_update(cls):
    X, y = _data()
    est = cls(learning_rate=InterruptAt(10), batch_size=4, random_state=0)
    est.partial_fit(X[:20], y[:20], classes=[0, 1, 2])  # updates 0..4
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X[20:], y[20:])  # interrupted before update 10
    assert est.t_ == 10
    ref = cls(learning_rate=FreezeAt(10), batch_size=4, random_state=0)
    ref.partial_fit(X[:20], y[:20], classes=[0, 1, 2])
    ref.partial_fit(X[20:], y[20:])
    assert_array_equal(est.coef_, ref.coef_)
    assert_array_equal(est.intercept_, ref.intercept_)
    est.set_params(learning_rate=0.05)
    est.partial_fit(X[20:], y[20:])
    assert est.t_ == 20


# ---------------------------------------------------------------------------
# Divergence


def _diverge_with_partial_fit(est, X, y, max_calls=50):
    """Call partial_fit until it diverges; return the error and the parameters
    from just before the failing call."""
    for _ in range(max_calls):
        before = est.coef_.copy(), est.intercept_.copy(), est.t_
        try:
            est.partial_fit(X, y)
        except DivergenceError as exc:
            return exc, before
    raise AssertionError(f"no divergence in {max_calls} calls")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_divergence_keeps_previous_parameters(cls):
    X, y = _data()
    est = cls(batch_size="full", learning_rate="constant", eta0=0.01)
    est.partial_fit(X, y, classes=[0, 1, 2])
    est.set_params(eta0=1e150)
    exc, (coef, intercept, t) = _diverge_with_partial_fit(est, X, y)
    assert isinstance(exc, ValueError) and isinstance(exc, FloatingPointError)
    message = str(exc)
    assert "non-finite at epoch" in message
    assert "smaller eta0" in message and "scale the features" in message
    # One update per call: the parameters are exactly those before the call.
    assert_array_equal(est.coef_, coef)
    assert_array_equal(est.intercept_, intercept)
    _assert_finite(est)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "options",
    [dict(), dict(momentum=0.9), dict(momentum=0.9, nesterov=True), dict(average=1)],
    ids=["plain", "momentum", "nesterov", "average"],
)
def test_partial_fit_continues_after_divergence_with_smaller_eta0(cls, options):
    X, y = _data()
    est = cls(batch_size=10, learning_rate="constant", eta0=0.01, **options)
    est.partial_fit(X, y, classes=[0, 1, 2])
    est.set_params(eta0=1e200)
    with pytest.raises(DivergenceError, match=r"epoch 2 .*smaller eta0"):
        est.partial_fit(X, y)
    _assert_finite(est)
    t = est.t_
    est.set_params(eta0=1e-3)
    est.partial_fit(X, y)
    assert est.t_ == t + 6
    _assert_finite(est)
    assert np.isfinite(est.objective(X, y))
    assert np.isfinite(est.loss_curve_[-1])


@pytest.fixture(
    params=[(True, False), (True, True), (False, False), (False, True)],
    ids=["compiled-dense", "compiled-csr", "numpy-dense", "numpy-csr"],
)
def every_pass(request, monkeypatch):
    """Each kind of pass in turn (compiled or numpy, dense or CSR data): sets
    which runs and returns the function that puts ``X`` in its form."""
    compiled, sparse = request.param
    monkeypatch.setattr(_compiled, "ENABLED", compiled)
    return sp.csr_matrix if sparse else np.asarray


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_never_returns_a_non_finite_objective(cls, every_pass):
    # float32 features near 1e30: one step of 1e-4 makes the scores overflow.
    # partial_fit must not return such parameters silently (they would make
    # every later call diverge at its first batch, whatever the step size);
    # it raises, and a smaller eta0 then trains. (The lazy CSR passes once
    # returned them: every later call then diverged.)
    X = every_pass(np.array([[1e30, 0], [0, 1e30], [1e30, 1e30]], dtype=np.float32))
    y = np.array([0, 1, 1])
    est = cls(batch_size="full", learning_rate="constant", eta0=1e-4, alpha=0.0)
    outcomes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(10):
            try:
                est.partial_fit(X, y, classes=[0, 1])
            except DivergenceError:
                _assert_finite(est)
                est.set_params(eta0=est.eta0 * 1e-4)
                outcomes.append("diverged")
            else:
                assert np.isfinite(est.objective(X, y))
                outcomes.append("ok")
    assert outcomes[-3:] == ["ok", "ok", "ok"], outcomes


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_pass_never_returns_weights_whose_penalty_overflows(cls, every_pass):
    # One full-batch step of 1e158 leaves finite weights of about 1e158 and a
    # finite loss, but ||W||^2 overflows: the next call's first batch would be
    # non-finite whatever its step. The call raises and keeps the start. (On
    # CSR data the L2 decay of that step, 1 - 1e154, is a scale factor of V.)
    X, y = _data()
    X = every_pass(X)
    est = cls(batch_size="full", learning_rate="constant", eta0=1e158)
    with pytest.raises(DivergenceError, match="non-finite at epoch 1"):
        est.partial_fit(X, y, classes=[0, 1, 2])
    assert_array_equal(est.coef_, 0.0)
    assert_array_equal(est.intercept_, 0.0)
    est.set_params(eta0=1e-2)
    est.partial_fit(X, y)
    assert np.isfinite(est.objective(X, y))
    # The lasso's penalty |W|_1 of such weights is finite: no divergence, and
    # the next call trains from them (0 * the overflowed norm is not taken).
    est = cls(batch_size="full", learning_rate="constant", eta0=1e158, penalty="l1")
    est.partial_fit(X, y, classes=[0, 1, 2])
    assert np.abs(est.coef_).max() > 1e150
    assert np.isfinite(est.objective(X, y))
    est.set_params(eta0=1e-2)
    est.partial_fit(X, y)
    assert np.isfinite(est.objective(X, y))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fit_divergence_error(cls):
    X, y = _data()
    est = cls(batch_size="full", learning_rate="constant", eta0=1e200, tol=None)
    with pytest.raises(DivergenceError, match=r"non-finite at epoch \d+") as info:
        est.fit(X, y)
    _assert_finite(est)
    # The message names the step size that was used, not a placeholder.
    assert "step size 1e+200" in str(info.value)


# ---------------------------------------------------------------------------
# Persistence

SCHEDULE_OBJECTS = [
    schedules.Constant(0.05),
    schedules.InverseScaling(eta0=0.1, power_t=0.5),
    schedules.Optimal(alpha=1e-2),
    schedules.StepDecay(eta0=0.1, factor=0.5, step_size=4),
    schedules.ExponentialDecay(eta0=0.1, decay_rate=0.9, decay_steps=3),
    schedules.CosineDecay(eta0=0.1, decay_steps=20, restarts=True),
    schedules.LinearWarmup(eta0=0.1, warmup_steps=5),
    schedules.Join(
        [schedules.LinearWarmup(0.1, warmup_steps=4), schedules.CosineDecay(0.1, 30)],
        [4],
    ),
    schedules.ReduceOnPlateau(schedules.Constant(0.1), patience=1, tol=10.0),
]

OPTIONS = {
    "default": {},
    "momentum": dict(momentum=0.9),
    "nesterov": dict(momentum=0.9, nesterov=True),
    "average": dict(average=True),
    "average_int": dict(average=30),
    "early_stopping": dict(early_stopping=True, validation_fraction=0.25),
    "class_weight_dict": dict(class_weight={0: 2.0, 1: 1.0, 2: 0.5}),
    "class_weight_balanced": dict(class_weight="balanced"),
    "l1": dict(penalty="l1", alpha=1e-2),
    "elasticnet": dict(penalty="elasticnet", l1_ratio=0.5, alpha=1e-2),
    "no_penalty": dict(penalty=None),
    "no_intercept": dict(fit_intercept=False),
    "full_batch": dict(batch_size="full"),
    "plain_sgd": dict(batch_size=1),
    "float_learning_rate": dict(learning_rate=0.02),
    **{
        f"lr_{name}": dict(learning_rate=name)
        for name in [
            "constant",
            "optimal",
            "invscaling",
            "adaptive",
            "step",
            "exponential",
            "cosine",
        ]
    },
}


def test_every_schedule_class_is_covered():
    covered = {type(s).__name__ for s in SCHEDULE_OBJECTS}
    assert covered == set(schedules.__all__) - {"Schedule"}


def _schedule_types(obj):
    """The import paths of the schedule classes inside ``obj`` (recursively)."""
    if isinstance(obj, (list, tuple)):
        return set().union(*map(_schedule_types, obj)) if obj else set()
    if not isinstance(obj, schedules.Schedule):
        return set()
    found = {f"sklearn_linsgd.schedules.{type(obj).__name__}"}
    for value in obj.get_params(deep=False).values():
        found |= _schedule_types(value)
    return found


def _round_trips(est):
    """``{format: loaded copy}`` for pickle, joblib and skops."""
    import skops.io as sio

    out = {"pickle": pickle.loads(pickle.dumps(est))}
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    out["joblib"] = joblib.load(buffer)
    data = sio.dumps(est)
    untrusted = set(sio.get_untrusted_types(data=data))
    # Only our own classes; the optimizer state is plain arrays and numbers.
    expected = {f"sklearn_linsgd.{type(est).__name__}"}  # the public name
    expected |= _schedule_types(est.learning_rate)
    assert untrusted == expected
    out["skops"] = sio.loads(data, trusted=sorted(untrusted))
    return out


def _assert_state_equal(a, b):
    assert type(a) is type(b)
    a, b = a.as_dict(), b.as_dict()
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            assert_array_equal(a[key], b[key])
            assert a[key].dtype == b[key].dtype
        else:
            assert a[key] == b[key], key


def _check_persistence(est, X, y, continue_fit=True):
    chunk = slice(0, 30)
    for fmt, loaded in _round_trips(est).items():
        assert type(loaded) is type(est), fmt
        assert repr(loaded.get_params()) == repr(est.get_params())
        assert_array_equal(loaded.predict(X), est.predict(X))
        assert_array_equal(loaded.decision_function(X), est.decision_function(X))
        if hasattr(est, "predict_proba"):
            assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
        assert loaded.objective(X, y) == est.objective(X, y)
        _assert_state_equal(loaded._opt_state, est._opt_state)
        if continue_fit:
            # The optimizer state survives: both continue identically.
            original = pickle.loads(pickle.dumps(est))
            original.partial_fit(X[chunk], y[chunk])
            loaded.partial_fit(X[chunk], y[chunk])
            assert_array_equal(loaded.coef_, original.coef_, err_msg=fmt)
            assert_array_equal(loaded.intercept_, original.intercept_, err_msg=fmt)
            assert loaded.t_ == original.t_


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("schedule", SCHEDULE_OBJECTS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("how", ["fit", "partial_fit"])
def test_persistence_schedule_objects(cls, schedule, how):
    X, y = _data()
    est = cls(learning_rate=schedule, batch_size=16, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: few epochs
        if how == "fit":
            est.fit(X, y)
        else:
            for _ in range(3):
                est.partial_fit(X, y, classes=[0, 1, 2])
    _check_persistence(est, X, y)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_persistence_options(cls, options):
    X, y = _data()
    est = cls(**{"batch_size": 16, "max_iter": 5, "random_state": 0, **options})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    # class_weight="balanced" refuses partial_fit; early stopping's continuation
    # is tested on its own below.
    continue_fit = not ({"class_weight", "early_stopping"} & options.keys())
    _check_persistence(est, X, y, continue_fit=continue_fit)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_after_fit_with_early_stopping(cls):
    # fit(early_stopping=True) with the default learning_rate="adaptive" monitors
    # the validation score; a later partial_fit (no validation split) must still
    # be able to continue training, monitoring the training objective.
    X, y = _data()
    est = cls(early_stopping=True, validation_fraction=0.25, random_state=0)
    est.fit(X, y)
    t = est.t_
    est.partial_fit(X, y)
    assert est.t_ > t
    _assert_finite(est)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("labels", ["binary_str", "float32_sparse"])
def test_persistence_binary_str_and_float32_sparse(cls, labels):
    X, y = _data()
    if labels == "binary_str":
        y = np.where(y == 0, "neg", "pos")
    else:
        X = sp.csr_matrix(X.astype(np.float32))
    est = cls(max_iter=5, tol=None, random_state=0).fit(X, y)
    _check_persistence(est, X, y)


def test_persistence_unfitted():
    est = SoftmaxSGD(learning_rate=schedules.Constant(0.1), momentum=0.5)
    for loaded in _round_trips(est).values():
        assert repr(loaded) == repr(est)
        assert not hasattr(loaded, "coef_")


# ---------------------------------------------------------------------------
# Determinism and thread safety


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "options",
    [dict(), dict(early_stopping=True), dict(average=True, momentum=0.9)],
    ids=["default", "early_stopping", "average_momentum"],
)
def test_same_random_state_bit_identical(cls, options):
    X, y = _data(n_samples=90)
    params = dict(batch_size=8, max_iter=5, tol=None, random_state=3, **options)
    a = cls(**params).fit(X, y)
    b = cls(**params).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.intercept_, b.intercept_)
    assert a.loss_curve_ == b.loss_curve_
    # A RandomState instance in the same state gives the same model too.
    c = cls(**{**params, "random_state": np.random.RandomState(3)}).fit(X, y)
    d = cls(**{**params, "random_state": np.random.RandomState(3)}).fit(X, y)
    assert_array_equal(c.coef_, d.coef_)
    # The seed matters (so the equalities above are not vacuous).
    e = cls(**{**params, "random_state": 4}).fit(X, y)
    assert not np.array_equal(a.coef_, e.coef_)


_SUBPROCESS_FIT = """
import numpy as np
from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
rng = np.random.default_rng(0)
X = rng.normal(size=(90, 4))
y = np.array(["ant", "bee", "cat"])[np.arange(90) % 3]
for cls in (LinearSVMSGD, SoftmaxSGD):
    est = cls(batch_size=8, max_iter=5, tol=None, random_state=3).fit(X, y)
    print(est.coef_.tobytes().hex() + est.intercept_.tobytes().hex())
"""


def test_same_random_state_bit_identical_across_processes():
    # String labels and another hash seed in the child process: nothing may
    # depend on set or dict ordering.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", _SUBPROCESS_FIT],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    there = result.stdout.split()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    y = np.array(["ant", "bee", "cat"])[np.arange(90) % 3]
    here = []
    for cls in ESTIMATORS:
        est = cls(batch_size=8, max_iter=5, tol=None, random_state=3).fit(X, y)
        here.append(est.coef_.tobytes().hex() + est.intercept_.tobytes().hex())
    assert there == here


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("batch_size", ["full", 7])
@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_dense_and_csr_give_the_same_model(cls, batch_size, penalty):
    X, y = _data(n_samples=50, n_features=6)
    X[X < 0.3] = 0.0  # genuinely sparse
    params = dict(
        batch_size=batch_size, penalty=penalty, max_iter=20, tol=None, random_state=0
    )
    dense = cls(**params).fit(X, y)
    sparse = cls(**params).fit(sp.csr_matrix(X), y)
    # The softmax's exp differs in the last bits between the compiled pass
    # and numpy's (the CSR elastic net runs numpy's), and AdaGrad's steps,
    # scale-free, grow that round-off where a gradient is nearly 0 (to 1.2e-9).
    tol = 1e-8 if cls is SoftmaxSGD else 1e-12
    assert_allclose(sparse.coef_, dense.coef_, rtol=tol, atol=tol)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=tol, atol=tol)
    assert sparse.t_ == dense.t_


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_predict_is_thread_safe(cls):
    X, y = _data(n_samples=400, n_features=8, n_classes=4)
    est = cls(max_iter=5, tol=None, random_state=0).fit(X, y)
    X_csr = sp.csr_matrix(X)
    methods = ["predict", "decision_function"] + (
        ["predict_proba"] if hasattr(est, "predict_proba") else []
    )
    jobs = [
        (method, data, start)
        for method in methods
        for data in (X, X_csr)
        for start in range(0, 400, 50)
    ] * 4
    expected = {}
    for method, data, start in jobs:
        key = (method, id(data), start)
        if key not in expected:
            expected[key] = getattr(est, method)(data[start : start + 50])

    def run(job):
        method, data, start = job
        return (method, id(data), start), getattr(est, method)(data[start : start + 50])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, jobs))
    assert len(results) == len(jobs)
    for key, value in results:
        assert_array_equal(value, expected[key])
