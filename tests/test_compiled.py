"""The compiled passes (``_fast``) against the numpy reference (``_sgd``).

Each test fits the same estimator twice, once with the compiled kernels and
once with ``_compiled.ENABLED = False`` (the numpy code of ``_sgd.sgd_pass``
and its lazy sparse pass), and compares the iterates, the objective curve and
the bookkeeping.
"""

from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linsgd import (
    DivergenceError,
    LinearSVMSGD,
    SoftmaxSGD,
    _compiled,
    _reference,
    _state,
    schedules,
)
from sklearn_linsgd import _sgd as sgd_module
from sklearn_linsgd._losses import (
    KernelLoss,
    hinge_loss,
    hinge_loss_grad,
    log_loss,
    log_loss_grad,
)

ESTIMATORS = [LinearSVMSGD, SoftmaxSGD]


def _problem(n_classes, n_samples=300, n_features=12, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.0, size=(n_classes, n_features))
    y = rng.integers(0, n_classes, n_samples)
    X = centers[y] + rng.normal(size=(n_samples, n_features))
    return X.astype(dtype), y


def _fit_both(make, fit, monkeypatch):
    """``(compiled, reference)`` fitted estimators; asserts the kernel ran."""
    calls = []
    real = _compiled.compiled_pass

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(sgd_module, "compiled_pass", spy)
    fast = fit(make())
    assert calls and all(calls), "the compiled kernel did not run"
    monkeypatch.setattr(_compiled, "ENABLED", False)
    ref = fit(make())
    monkeypatch.setattr(_compiled, "ENABLED", True)
    return fast, ref


def _exp_atol(cls):
    """The kernels' exp differs from numpy's in the last bits: over a few
    epochs of (AdaGrad) steps the softmax's weights part by up to ~4e-11."""
    return 1e-10 if cls is SoftmaxSGD else 1e-12


def _assert_same(fast, ref, atol=1e-12, rtol=1e-12):
    np.testing.assert_allclose(fast.coef_, ref.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(fast.intercept_, ref.intercept_, rtol=0, atol=atol)
    np.testing.assert_allclose(fast.loss_curve_, ref.loss_curve_, rtol=rtol)
    assert fast.t_ == ref.t_
    assert fast.n_iter_ == ref.n_iter_


CONFIGS = {
    "l2": dict(),
    "no-penalty": dict(alpha=0.0),
    "l1": dict(penalty="l1", alpha=1e-2),
    "elasticnet": dict(penalty="elasticnet", alpha=1e-2, l1_ratio=0.3),
    "momentum": dict(momentum=0.9),
    "nesterov": dict(momentum=0.9, nesterov=True),
    "average": dict(average=True),
    "average-late": dict(average=500),
    "adagrad": dict(adagrad=True, alpha=1e-2),
    "adagrad-l1": dict(adagrad=True, penalty="elasticnet", alpha=1e-2, l1_ratio=0.5),
    "adagrad-feature": dict(adagrad="feature", alpha=1e-2),
    "adagrad-feature-l1": dict(
        adagrad="feature", penalty="elasticnet", alpha=1e-2, l1_ratio=0.5
    ),
    "no-intercept": dict(fit_intercept=False, momentum=0.5),
    "contiguous": dict(shuffle="batches"),
    "in-order": dict(shuffle=False),
    "invscaling": dict(learning_rate="invscaling", eta0=0.5),
    "adaptive": dict(learning_rate="adaptive", max_iter=30, tol=1e-3),
    # a schedule object that takes the estimator's eta0
    "callable": dict(learning_rate=schedules.CosineDecay(decay_steps=40)),
}


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("config", CONFIGS, ids=list(CONFIGS))
def test_dense_kernel_matches_reference(cls, n_classes, config, monkeypatch):
    X, y = _problem(n_classes)
    params = dict(batch_size=32, max_iter=6, tol=None, random_state=0, eta0=0.1)
    params.update(CONFIGS[config])
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    _assert_same(fast, ref)
    assert np.isfinite(fast.loss_curve_).all()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dense_kernel_margin_and_weights(cls, monkeypatch):
    X, y = _problem(3, n_samples=200)
    sw = np.random.default_rng(1).uniform(0, 2, X.shape[0])
    sw[:64] = 0  # whole batches of zero weight take the penalty's step alone
    extra = {"margin": 0.5} if cls is LinearSVMSGD else {}
    params = dict(batch_size=32, max_iter=3, tol=None, shuffle=False, **extra)
    fast, ref = _fit_both(
        lambda: cls(**params), lambda e: e.fit(X, y, sample_weight=sw), monkeypatch
    )
    _assert_same(fast, ref)
    assert fast.t_ == 3 * 7  # 7 batches, each an update (unbiased for J)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dense_kernel_partial_fit_and_full_batch(cls, monkeypatch):
    X, y = _problem(3, n_samples=150)
    classes = np.unique(y)

    def stream(est):
        for chunk in np.array_split(np.arange(X.shape[0]), 4):
            est.partial_fit(X[chunk], y[chunk], classes=classes)
        return est

    params = dict(batch_size=16, random_state=0, momentum=0.5, average=20)
    fast, ref = _fit_both(lambda: cls(**params), stream, monkeypatch)
    _assert_same(fast, ref)
    full = dict(batch_size="full", max_iter=20, tol=None, eta0=0.5)
    fast, ref = _fit_both(lambda: cls(**full), lambda e: e.fit(X, y), monkeypatch)
    _assert_same(fast, ref)


# The dense pass's own products for few classes: rows in blocks of 4, 4, 3 and
# 2 for 1 to 4 vectors of classes (4 doubles, 8 floats), then single rows
# (batches of 38 and a last one of 23: 1 to 3 rows after the blocks); 21
# features, not a whole cache line. Beyond 16 (float64) or
# 32 (float32) classes the products are BLAS's.
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [3, 5, 9, 13, 16, 17])
@pytest.mark.parametrize("shuffle", [True, "batches"])
def test_dense_kernel_class_blocks_match_reference(
    cls, n_classes, shuffle, monkeypatch
):
    X, y = _problem(n_classes, n_samples=251, n_features=21, seed=n_classes)
    assert len(np.unique(y)) == n_classes
    params = dict(
        batch_size=38, max_iter=3, tol=None, random_state=0, eta0=0.1, shuffle=shuffle
    )
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    _assert_same(fast, ref, atol=_exp_atol(cls), rtol=_exp_atol(cls))
    assert np.abs(fast.coef_).min() > 0  # every class's weights were updated


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [4, 9, 17, 25, 32, 33])
def test_dense_kernel_float32_class_blocks(cls, n_classes, monkeypatch):
    X, y = _problem(n_classes, n_samples=251, n_features=21, seed=n_classes)
    X = X.astype(np.float32)
    params = dict(batch_size=38, max_iter=3, tol=None, random_state=0, eta0=0.1)
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    assert fast.coef_.dtype == np.float32
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(fast.coef_, ref.coef_, rtol=0, atol=1e-4 * scale)
    np.testing.assert_allclose(
        fast.intercept_, ref.intercept_, rtol=0, atol=1e-4 * scale
    )
    np.testing.assert_allclose(fast.loss_curve_, ref.loss_curve_, rtol=1e-4)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dense_kernel_float32_agrees_to_float32_precision(cls, monkeypatch):
    X, y = _problem(4, dtype=np.float32)
    params = dict(batch_size=32, max_iter=4, tol=None, random_state=0)
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    assert fast.coef_.dtype == np.float32
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(fast.coef_, ref.coef_, rtol=0, atol=1e-4 * scale)
    np.testing.assert_allclose(fast.loss_curve_, ref.loss_curve_, rtol=1e-4)


def _csr(n_classes, index_dtype, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(300, 400, density=0.03, random_state=seed, format="csr")
    X.data *= 3
    X = X.astype(dtype)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    return X, rng.integers(0, n_classes, X.shape[0])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [2, 5])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_sparse_kernel_matches_reference(
    cls, n_classes, index_dtype, alpha, monkeypatch
):
    X, y = _csr(n_classes, index_dtype)
    assert X.indices.dtype == index_dtype
    params = dict(
        alpha=alpha,
        batch_size=32,
        learning_rate="invscaling",
        eta0=0.5,
        max_iter=4,
        tol=None,
        random_state=0,
    )
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    _assert_same(fast, ref)
    # and both equal the dense pass on the same data
    dense = cls(**params).fit(X.toarray(), y)
    np.testing.assert_allclose(fast.coef_, dense.coef_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sparse_kernel_folds_scale(cls, monkeypatch):
    # alpha * step = 0.95 per update: the scale underflows 1e-9 within a pass
    X, y = _csr(3, np.int32, seed=1)
    params = dict(
        alpha=0.5, batch_size=16, learning_rate="constant", eta0=1.9, max_iter=2
    )
    params.update(tol=None, shuffle=False)
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    _assert_same(fast, ref, atol=1e-12, rtol=1e-9)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("sparse", [False, True])
def test_kernel_divergence_matches_reference(cls, sparse, monkeypatch):
    X, y = _problem(3, n_samples=200)
    X[5] *= 1e200  # one extreme row: the iterates overflow within a pass
    if sparse:
        X = sp.csr_matrix(X)
    params = dict(
        batch_size=16, learning_rate="constant", eta0=1e200, max_iter=3, tol=None
    )
    params.update(shuffle=False, alpha=0.0)

    def fit(est):
        with pytest.raises(DivergenceError, match="non-finite") as info:
            est.fit(X, y)
        est.message_ = str(info.value)
        return est

    fast, ref = _fit_both(lambda: cls(**params), fit, monkeypatch)
    np.testing.assert_array_equal(fast.coef_, ref.coef_)
    np.testing.assert_array_equal(fast.intercept_, ref.intercept_)
    assert np.isfinite(fast.coef_).all()
    assert fast.t_ == ref.t_
    assert fast.message_ == ref.message_


def test_step_sizes_vectorized_equals_scalar_calls():
    sched = schedules.Join(
        [schedules.LinearWarmup(0.5, warmup_steps=5), schedules.InverseScaling(0.5)],
        boundaries=[5],
    )
    steps = _compiled.step_sizes(sched, 3, 20, 0.5)
    expected = [0.5 * float(sched(t)) for t in range(3, 23)]
    np.testing.assert_allclose(steps, expected, rtol=1e-15)


def test_plain_callable_schedule_runs_the_reference_loop():
    # called just before each update, in order: the numpy loop keeps that
    X, y = _problem(3, n_samples=100)
    calls = []

    def plain(t):
        calls.append(t)
        return 0.05

    state = _state.init_state(np.zeros((3, X.shape[1])), np.zeros(3))
    data = (state, X, y, np.ones(X.shape[0]), [np.arange(10)])
    config = _state.UpdateConfig()
    job = _state.PassJob(*data, log_loss(), plain, config)
    assert _compiled.compiled_pass(job) is None
    assert calls == []
    job = _state.PassJob(*data, log_loss(), schedules.Constant(0.05), config)
    assert _compiled.compiled_pass(job) is not None
    assert state.t == 1


def test_loss_kind_reads_the_kernel_id_the_loss_carries():
    assert _compiled.loss_kind(log_loss()) == (_compiled.LOG, 0.0)
    assert _compiled.loss_kind(hinge_loss()) == (_compiled.HINGE, 1.0)
    assert _compiled.loss_kind(hinge_loss(0.25)) == (_compiled.HINGE, 0.25)
    # the bare functions and anything else carry no kernel id: numpy passes
    assert _compiled.loss_kind(log_loss_grad) is None
    assert _compiled.loss_kind(partial(hinge_loss_grad, margin=0.25)) is None
    assert _compiled.loss_kind(lambda *a, **k: hinge_loss_grad(*a, **k)) is None
    # a parameter the kernel does not take sends the loss to numpy too
    odd = KernelLoss(hinge_loss_grad, "hinge", margin=1.0, return_grad=True)
    assert _compiled.loss_kind(odd) is None
    with pytest.raises(ValueError, match="kernel must be one of"):
        KernelLoss(hinge_loss_grad, "squared_hinge")
    # the wrapper calls the function with its parameters
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(6, 3)), np.array([0, 1, 2, 0, 1, 2]), np.ones(6)
    coef, b = rng.normal(size=(3, 3)), np.zeros(3)
    got = hinge_loss(0.25)(coef, b, X, y, w)
    want = hinge_loss_grad(coef, b, X, y, w, margin=0.25)
    for g, e in zip(got, want):
        np.testing.assert_array_equal(g, e)


def test_compiled_passes_take_vectorized_schedules_only():
    assert (
        schedules.Constant(0.1).vectorized
        and schedules.CosineDecay(0.1, decay_steps=3).vectorized
    )
    assert not getattr(lambda t: 0.1, "vectorized", False)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sparse_kernel_wide_matrix_sorts_columns(cls, monkeypatch):
    # few entries per batch in many columns: columns are listed by sorting
    rng = np.random.default_rng(3)
    X = sp.random(200, 2**18, density=2e-5, random_state=3, format="csr")
    assert 2 * 2e-5 * 2**18 * 16 < 2**18 / 64  # nnz per batch x 16 < words
    X.data += 1.0
    y = rng.integers(0, 3, X.shape[0])
    params = dict(batch_size=2, max_iter=2, tol=None, random_state=0, alpha=1e-3)
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    _assert_same(fast, ref)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("shuffle", [True, "batches"])
def test_memmap_groups_equal_in_memory(cls, shuffle, tmp_path, monkeypatch):
    # a file-backed memmap is read a group of batches at a time; with groups
    # of about two batches, the pass equals the in-memory one exactly
    X, y = _problem(3, n_samples=500)
    np.save(tmp_path / "X.npy", X)
    Xm = np.load(tmp_path / "X.npy", mmap_mode="r")
    monkeypatch.setattr(_compiled, "GROUP_BYTES", 2 * 32 * X.shape[1] * 8)
    params = dict(batch_size=32, max_iter=3, tol=None, random_state=0, shuffle=shuffle)
    params.update(momentum=0.5, average=True)
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(Xm, y), monkeypatch)
    _assert_same(fast, ref)
    in_memory = cls(**params).fit(X, y)
    np.testing.assert_array_equal(fast.coef_, in_memory.coef_)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_memmap_groups_restore_across_group_boundaries(cls, tmp_path, monkeypatch):
    X, y = _problem(3, n_samples=200)
    X[40] *= 1e200  # in the second group of 32-row batches: overflow there
    np.save(tmp_path / "X.npy", X)
    Xm = np.load(tmp_path / "X.npy", mmap_mode="r")
    monkeypatch.setattr(_compiled, "GROUP_BYTES", 32 * X.shape[1] * 8)
    params = dict(batch_size=32, learning_rate="constant", eta0=1e200, max_iter=2)
    params.update(tol=None, shuffle=False, alpha=0.0)

    def fit(est):
        with pytest.raises(DivergenceError):
            est.fit(Xm, y)
        return est

    fast, ref = _fit_both(lambda: cls(**params), fit, monkeypatch)
    np.testing.assert_array_equal(fast.coef_, ref.coef_)
    assert np.isfinite(fast.coef_).all()
    assert fast.t_ == ref.t_


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("layout", ["fortran", "strided"])
def test_dense_kernel_on_non_contiguous_input(cls, layout, monkeypatch):
    # Fortran-ordered or strided X: the kernel gathers every batch itself
    X, y = _problem(3, n_samples=200)
    Xl = (
        np.asfortranarray(X) if layout == "fortran" else np.repeat(X, 2, axis=1)[:, ::2]
    )
    assert not Xl.flags.c_contiguous
    params = dict(batch_size=32, max_iter=3, tol=None, random_state=0)
    for shuffle in [True, "batches", False]:
        params["shuffle"] = shuffle
        fast, ref = _fit_both(
            lambda: cls(**params), lambda e: e.fit(Xl, y), monkeypatch
        )
        _assert_same(fast, ref)
        np.testing.assert_array_equal(fast.coef_, cls(**params).fit(X, y).coef_)


@pytest.mark.parametrize("cls", ESTIMATORS)
# 13 classes: the kernel's row loops in blocks of eight, then four, then one
@pytest.mark.parametrize("n_classes", [2, 4, 13])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
@pytest.mark.parametrize("mode", [True, "feature"])
def test_sparse_adagrad_kernel_matches_reference(
    cls, n_classes, index_dtype, alpha, mode, monkeypatch
):
    X, y = _csr(n_classes, index_dtype)
    params = dict(
        adagrad=mode,
        alpha=alpha,
        batch_size=32,
        learning_rate="constant",
        eta0=0.5,
        max_iter=4,
        tol=None,
        random_state=0,
    )
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    _assert_same(fast, ref, atol=_exp_atol(cls), rtol=_exp_atol(cls))
    sq = fast._opt_state.sq_grad_coef
    assert sq.shape == (fast.coef_.shape if mode is True else fast.coef_.shape[1:])
    np.testing.assert_allclose(sq, ref._opt_state.sq_grad_coef, rtol=_exp_atol(cls))
    # the owed decay: with alpha, rows that sat out updates shrank
    dense = cls(**params).fit(X.toarray(), y)
    np.testing.assert_allclose(fast.coef_, dense.coef_, rtol=0, atol=1e-6)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("mode", [True, "feature"])
def test_auto_adagrad_epsilon_scales_with_the_rows(cls, sparse, mode, monkeypatch):
    # Under "auto" the weights' AdaGrad epsilon is 1e-8 times the rows' RMS
    # norm (the intercept's stays 1e-8), in the kernels as in the numpy
    # passes, owed decays included: on rows a thousand times smaller the
    # kernel still equals the reference, and the scores equal X's.
    X, y = _csr(3, np.int32)
    params = dict(adagrad=mode, alpha=1e-9, batch_size=32, max_iter=4, tol=None)
    params.update(random_state=0)
    small = X * 1e-3 if sparse else X.toarray() * 1e-3
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(small, y), monkeypatch)
    _assert_same(fast, ref, atol=_exp_atol(cls) * 1e3, rtol=_exp_atol(cls))
    row_scale = fast._opt_state.row_scale
    assert row_scale == pytest.approx(np.sqrt((X.multiply(X)).sum() / 300) * 1e-3)
    assert fast._update_config(row_scale).adagrad_eps == 1e-8 * row_scale
    # without a penalty (alpha / s**2 is not scale-free) the scores are X's
    params["alpha"] = 0.0
    fits = [cls(**params).fit(data, y) for data in (small, small * 1e3)]
    scores = fits[1].decision_function(small * 1e3)
    assert abs(scores).max() > 1
    np.testing.assert_allclose(
        fits[0].decision_function(small), scores, rtol=0, atol=1e-12 * abs(scores).max()
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("mode", [True, "feature"])
def test_sparse_adagrad_kernel_partial_fit_and_divergence(cls, mode, monkeypatch):
    X, y = _csr(3, np.int32, seed=2)
    classes = np.unique(y)

    def stream(est):
        for chunk in np.array_split(np.arange(X.shape[0]), 3):
            est.partial_fit(X[chunk], y[chunk], classes=classes)
        return est

    params = dict(adagrad=mode, alpha=1e-3, batch_size=16, eta0=0.3, random_state=0)
    fast, ref = _fit_both(lambda: cls(**params), stream, monkeypatch)
    _assert_same(fast, ref)

    # AdaGrad steps are ~eta0 per coordinate whatever the gradient's scale
    # (and an L2 proximal step would cap the weights near |g| / alpha):
    # weights of ~1e300 overflow the scores of the next batch
    bad = dict(adagrad=mode, learning_rate="constant", eta0=1e300, max_iter=2, tol=None)
    bad.update(batch_size=16, shuffle=False, alpha=0.0)

    def fit(est):
        with pytest.raises(DivergenceError):
            est.fit(X, y)
        return est

    fast, ref = _fit_both(lambda: cls(**bad), fit, monkeypatch)
    np.testing.assert_array_equal(fast.coef_, ref.coef_)
    assert np.isfinite(fast.coef_).all()
    assert fast.t_ == ref.t_


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    "options",
    [{}, {"adagrad": True}, {"adagrad": "feature"}, {"average": 200}],
    ids=["plain", "adagrad", "adagrad-feature", "average"],
)
@pytest.mark.parametrize("n_classes", [4, 13])
def test_sparse_kernels_float32(cls, options, n_classes, monkeypatch):
    X, y = _csr(n_classes, np.int32, dtype=np.float32, seed=3)
    params = dict(
        **options,
        alpha=1e-2,
        batch_size=32,
        learning_rate="constant",
        eta0=0.2,
        max_iter=3,
        tol=None,
        random_state=0,
    )
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    assert fast.coef_.dtype == np.float32
    assert fast.intercept_.dtype == np.float32
    _assert_same(fast, ref, atol=1e-5, rtol=1e-5)
    # and float32 agrees with float64 to float32 precision
    wide = cls(**params).fit(X.astype(np.float64), y)
    np.testing.assert_allclose(fast.coef_, wide.coef_, rtol=0, atol=1e-4)


def test_owed_decay_series_matches_the_library_form():
    # both branches of the kernel's owed decay (series for small z, exp/log1p
    # otherwise) against _reference._pending_decay, including the branch edges
    from sklearn_linsgd import _fast

    rng = np.random.default_rng(0)
    n = 5000
    sq = 10.0 ** rng.uniform(-12, 4, n)
    n_skipped = rng.integers(0, 2000, n).astype(np.int64)
    step_sum = n_skipped * 10.0 ** rng.uniform(-3, 1, n)
    for alpha in [1e-8, 1e-5, 1e-2]:
        got = _fast.owed_decay(sq, alpha, n_skipped, step_sum)
        want = _reference._pending_decay(sq, alpha, n_skipped, step_sum)
        # (exp of large exponents amplifies rounding: |y| * 1e-16 relative)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        z = alpha * (step_sum / np.maximum(n_skipped, 1)) / (np.sqrt(sq) + 1e-8)
        series = (z < 1e-4) & (n_skipped * z < 1e-2) & (n_skipped > 0)
        assert 0 < series.sum() < n  # both branches ran
    assert (
        _fast.owed_decay(sq[:3], 1e-2, np.zeros(3, np.int64), step_sum[:3]).tolist()
        == [1.0] * 3
    )


@pytest.mark.parametrize("dtype, cut", [(np.float64, -708.39), (np.float32, -87.33)])
def test_kernel_exp_is_within_an_ulp_of_exact(dtype, cut):
    # the softmax kernels' exp (a polynomial the compiler vectorizes) against
    # exp in extended precision (np.longdouble), over its domain x <= 0
    from sklearn_linsgd import _fast

    rng = np.random.default_rng(0)
    x = np.concatenate(
        [np.linspace(cut, 0, 200_001), -rng.exponential(3.0, 100_000)]
    ).astype(dtype)
    x = x[x >= dtype(cut)]
    got = x.copy()
    _fast.exp_neg(got)
    exact = np.exp(x.astype(np.longdouble))
    ulp = np.abs(got - exact) / np.spacing(exact.astype(dtype))
    assert ulp.max() <= 1.25  # measured: 1.12 (float64), 1.19 (float32)
    # below the cut exp is under the smallest normal number: 0 is returned;
    # nan propagates (a diverged model must be noticed), exp(0) = 1
    special = np.array([2 * cut, -np.inf, np.nan, 0.0, -0.0], dtype=dtype)
    _fast.exp_neg(special)
    np.testing.assert_array_equal(special, [0.0, 0.0, np.nan, 1.0, 1.0])
    small = np.array([cut - 0.5], dtype=dtype)
    _fast.exp_neg(small)
    assert small[0] == 0 and np.exp(dtype(cut - 0.5)) < np.finfo(dtype).tiny


def _spy_lazy_pass(monkeypatch):
    """Count the numpy reference's lazy sparse passes."""
    calls = []
    real = sgd_module._sgd_pass_lazy_sparse

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sgd_module, "_sgd_pass_lazy_sparse", spy)
    return calls


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("average", [True, 1000])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_sparse_averaged_kernel_matches_reference_and_dense(
    cls, average, alpha, monkeypatch
):
    # average=1000 starts averaging in the middle of the fourth epoch
    X, y = _csr(4, np.int32, seed=4)
    params = dict(
        average=average,
        alpha=alpha,
        batch_size=32,
        learning_rate="invscaling",
        eta0=0.5,
        max_iter=5,
        tol=None,
        random_state=0,
    )
    lazy_calls = _spy_lazy_pass(monkeypatch)
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    assert len(lazy_calls) == 5, "the reference did not run its lazy sparse pass"
    _assert_same(fast, ref)
    dense = cls(**params).fit(X.toarray(), y)
    _assert_same(fast, dense)
    # the averaged model is what predicts, and it is not the last iterate
    assert not np.allclose(fast.coef_, fast._opt_state.coef)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("eta0", [1.9, 2.0])
def test_sparse_averaged_kernel_across_folds_and_wipes(cls, eta0, monkeypatch):
    # alpha * eta0 = 0.95: the L2 scale is folded into V every 7 updates;
    # = 1.0: every update's decay wipes W out (1 - step * alpha == 0)
    X, y = _csr(3, np.int32, seed=5)
    params = dict(
        average=True,
        alpha=0.5,
        batch_size=16,
        learning_rate="constant",
        eta0=eta0,
        max_iter=2,
        tol=None,
        shuffle=False,
    )
    fast, ref = _fit_both(lambda: cls(**params), lambda e: e.fit(X, y), monkeypatch)
    _assert_same(fast, ref, atol=1e-12, rtol=1e-9)
    dense = cls(**params).fit(X.toarray(), y)
    _assert_same(fast, dense, atol=1e-12, rtol=1e-9)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sparse_averaged_partial_fit_streams_like_fit(cls, monkeypatch):
    X, y = _csr(3, np.int64, seed=6)
    classes = np.unique(y)

    def stream(est):
        for chunk in np.array_split(np.arange(X.shape[0]), 4):
            est.partial_fit(X[chunk], y[chunk], classes=classes)
        return est

    params = dict(average=100, alpha=1e-3, batch_size=16, eta0=0.1, random_state=0)
    params.update(learning_rate="constant")
    fast, ref = _fit_both(lambda: cls(**params), stream, monkeypatch)
    _assert_same(fast, ref)
    dense = cls(**params)
    for chunk in np.array_split(np.arange(X.shape[0]), 4):
        dense.partial_fit(X[chunk].toarray(), y[chunk], classes=classes)
    _assert_same(fast, dense)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("eta0", [1.9, 2.0])
@pytest.mark.parametrize("average", [False, True])
def test_sparse_restore_after_fold_or_wipe(cls, eta0, average, monkeypatch):
    # Row 100 (batch 6 of 16 rows, unshuffled) is huge: update 6 blows W up
    # and batch 7's penalty is infinite, so the pass restores W to before
    # update 6. That update folded the scale into V (eta0=1.9: 0.05**7 <
    # 1e-9) or wiped every column (eta0=2.0): the restore must undo it in
    # every column, as the dense pass does.
    X, y = _csr(3, np.int32, seed=7)
    X = X.tolil()
    X[100, :] = X[100, :] * 1e200
    X[100, 0] = 1e200
    X = X.tocsr()
    params = dict(
        average=average,
        alpha=0.5,
        batch_size=16,
        learning_rate="constant",
        eta0=eta0,
        max_iter=2,
        tol=None,
        shuffle=False,
    )
    # label row 100 with the class the iterate after updates 0-5 scores
    # lowest:
    # its loss gradient at update 6 is then huge (average=False: the
    # iterate, not the average, scores it)
    first = cls(**params).set_params(max_iter=1, average=False).fit(X[:96], y[:96])
    y = y.copy()
    y[100] = np.argmin(first.decision_function(X[100])[0])

    def fit(est):
        with pytest.raises(DivergenceError, match="non-finite"):
            est.fit(X, y)
        return est

    fast, ref = _fit_both(lambda: cls(**params), fit, monkeypatch)
    # the generic numpy pass restores a full copy of W
    monkeypatch.setattr(_compiled, "ENABLED", False)
    monkeypatch.setattr(sgd_module, "_lazy_sparse_ok", lambda X, config: False)
    dense = fit(cls(**params))
    assert fast.t_ == ref.t_ == dense.t_ == 7
    # the weights of features in batch 5 but not in batch 6 are nonzero
    others = np.setdiff1d(X[80:96].indices, X[96:112].indices)
    assert np.count_nonzero(dense.coef_[:, others]) > 0.5 * 3 * len(others)
    for est in (fast, ref):
        np.testing.assert_allclose(est.coef_, dense.coef_, rtol=1e-12, atol=0)
        np.testing.assert_allclose(est.intercept_, dense.intercept_, rtol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sparse_averaged_kernel_accepts_a_c_ordered_average(cls):
    # a running average left C-ordered (by anything that rebuilt the state)
    # still goes to the kernel, with the same result as a Fortran-ordered one
    X, y = _csr(3, np.int32, seed=8)
    classes = np.unique(y)
    params = dict(average=True, batch_size=16, eta0=0.1, random_state=0)
    fortran, c_order = cls(**params), cls(**params)
    for est in (fortran, c_order):
        est.partial_fit(X[:150], y[:150], classes=classes)
    state = c_order._opt_state
    state.avg_coef = np.ascontiguousarray(state.avg_coef)
    assert not state.avg_coef.flags.f_contiguous
    for est in (fortran, c_order):
        est.partial_fit(X[150:], y[150:])
    np.testing.assert_array_equal(c_order.coef_, fortran.coef_)
    np.testing.assert_array_equal(c_order.intercept_, fortran.intercept_)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_sparse_adagrad_kernel_refuses_batches_beyond_int32_offsets(index_dtype):
    """A batch whose scores need 2**31 or more slots (rows x classes) is
    refused before anything is allocated or written: the model is unchanged."""
    from sklearn_linsgd import _fast
    from sklearn_linsgd._compiled import kernel_rule
    from sklearn_linsgd._state import UpdateConfig

    n_b, n_classes = 2**15, 2**16  # 2**31 scores; the model is 512 KiB
    data = np.ones(n_b)
    indices = np.zeros(n_b, dtype=index_dtype)
    indptr = np.arange(n_b + 1, dtype=index_dtype)
    coef = np.asfortranarray(np.full((n_classes, 1), 0.5))
    intercept = np.zeros(n_classes)
    sq_coef, sq_intercept = np.zeros_like(coef), np.zeros(n_classes)
    args = (
        data,
        indices,
        indptr,
        np.zeros(n_b, dtype=np.int64),
        np.ones(n_b),
        np.arange(n_b, dtype=np.int64),
        np.array([0], dtype=np.int64),
        np.array([n_b], dtype=np.int64),
        np.array([0.1]),
        coef,
        intercept,
        sq_coef,
        sq_intercept,
        kernel_rule((0, 1.0), UpdateConfig(alpha=1e-4, adagrad="coordinate")),
    )
    with pytest.raises(ValueError, match="too large for the sparse AdaGrad pass"):
        _fast.sparse_adagrad_pass(*args)
    assert np.all(coef == 0.5) and not np.any(intercept) and not np.any(sq_coef)
