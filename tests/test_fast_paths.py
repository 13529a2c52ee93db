"""The fast paths compute the same iterates as the straightforward ones."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD, _reference, _sgd
from sklearn_linsgd._base import _batches, _classes_and_indices
from sklearn_linsgd._compiled import (
    RowBatches,
    _batch_bounds,
    batch_bounds,
    permutation,
)
from sklearn_linsgd._reference import compact_columns
from sklearn_linsgd._state import SGDState

ESTIMATORS = [LinearSVMSGD, SoftmaxSGD]


def _sparse_problem(n_classes, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(400, 300, density=0.04, random_state=seed, format="csr")
    X.data *= 3
    y = rng.integers(0, n_classes, X.shape[0])
    return X, y


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_lazy_sparse_equals_dense(cls, n_classes, alpha, monkeypatch):
    X, y = _sparse_problem(n_classes)
    params = dict(
        alpha=alpha,
        batch_size=32,
        learning_rate="invscaling",
        eta0=0.5,
        max_iter=4,
        tol=None,
        random_state=0,
    )
    assert _sgd._lazy_sparse_ok(X, cls(**params)._update_config())
    lazy = cls(**params).fit(X, y)
    dense = cls(**params).fit(X.toarray(), y)
    np.testing.assert_allclose(lazy.coef_, dense.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(lazy.intercept_, dense.intercept_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(lazy.loss_curve_, dense.loss_curve_, rtol=1e-12)
    # and the generic sparse path agrees with both
    monkeypatch.setattr(_sgd, "_lazy_sparse_ok", lambda X, config: False)
    generic = cls(**params).fit(X, y)
    np.testing.assert_allclose(generic.coef_, lazy.coef_, rtol=0, atol=1e-12)
    assert lazy.t_ == dense.t_ == 4 * 13


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_lazy_sparse_folds_scale_without_changing_iterates(cls):
    # a large alpha * step drives the L2 scale below 1e-9 within a pass
    X, y = _sparse_problem(3, seed=1)
    params = dict(
        alpha=0.5,
        batch_size=16,
        learning_rate="constant",
        eta0=1.9,
        max_iter=2,
        tol=None,
        shuffle=False,
    )
    lazy = cls(**params).fit(X, y)
    dense = cls(**params).fit(X.toarray(), y)
    np.testing.assert_allclose(lazy.coef_, dense.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_float32_and_float64_agree(cls):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 20))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    params = dict(max_iter=5, tol=None, batch_size=50, random_state=0)
    m64 = cls(**params).fit(X, y)
    m32 = cls(**params).fit(X.astype(np.float32), y)
    assert m32.coef_.dtype == np.float32 and m64.coef_.dtype == np.float64
    assert m32.intercept_.dtype == np.float32
    scale = np.abs(m64.coef_).max()
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=0, atol=1e-4 * scale)
    np.testing.assert_allclose(m32.loss_curve_, m64.loss_curve_, rtol=1e-4)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_contiguous_batches_equal_gathered_batches_on_preshuffled_data(cls):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 8))
    y = rng.integers(0, 3, 256)
    params = dict(batch_size=32, max_iter=1, tol=None, random_state=7)
    contiguous = cls(shuffle="batches", **params).fit(X, y)
    # The same batches, gathered: reorder the rows the way the batch order
    # visits them and train in order.
    batches = _batches(np.arange(256), 32, "batches", contiguous._rng(0))
    assert all(isinstance(b, slice) for b in batches)
    order = np.concatenate([np.arange(256)[b] for b in batches])
    assert sorted(order.tolist()) == list(range(256))
    assert not np.array_equal(order, np.arange(256))
    gathered = cls(shuffle=False, **params).fit(X[order], y[order])
    np.testing.assert_allclose(contiguous.coef_, gathered.coef_, rtol=0, atol=1e-12)
    assert contiguous.t_ == gathered.t_ == 8


def test_batches_cover_every_row_once():
    rng = np.random.default_rng(0)
    rows = np.arange(103)
    for shuffle in (True, False, "batches"):
        batches = _batches(rows, 10, shuffle, rng)
        seen = np.concatenate([rows[b] for b in batches])
        assert np.array_equal(np.sort(seen), rows)
        assert len(batches) == 11
    subset = np.array([0, 2, 3, 7, 8, 9])
    batches = _batches(subset, 4, "batches", rng)
    seen = np.concatenate([np.asarray(b) for b in batches])
    assert np.array_equal(np.sort(seen), subset)


def test_permutation_is_uniform_over_the_orders():
    # every order of 4 rows about equally often: a chi-square test at the
    # 0.1 % level (23 degrees of freedom; deterministic, seeded)
    rng = np.random.default_rng(0)
    rows = np.array([3, 5, 8, 13])
    n_draws = 48_000
    counts = {}
    for _ in range(n_draws):
        order = tuple(permutation(rows, rng).tolist())
        counts[order] = counts.get(order, 0) + 1
    assert sorted(counts) == sorted(itertools.permutations(rows.tolist()))
    expected = n_draws / 24
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 49.73
    # a longer array: every row once, in another order
    big = permutation(np.arange(1000), rng)
    assert np.array_equal(np.sort(big), np.arange(1000))
    assert not np.array_equal(big, np.arange(1000))
    # the input is not modified; one and zero rows come back as they are
    assert rows.tolist() == [3, 5, 8, 13]
    assert permutation(np.array([7]), rng).tolist() == [7]
    assert permutation(np.empty(0, dtype=np.int64), rng).size == 0


def test_row_batches_are_the_slices_of_their_rows():
    rows = np.random.default_rng(0).permutation(23)
    batches = RowBatches(rows, 5)
    # ceil(23 / 5) = 5 batches of 4 or 5 rows (not four of 5 and one of 3)
    sizes = [4, 5, 4, 5, 5]
    edges = np.cumsum([0] + sizes)
    expected = [rows[a:b] for a, b in zip(edges[:-1], edges[1:])]
    assert len(batches) == 5
    for got in (list(batches), [batches[i] for i in range(5)], batches[0:5]):
        assert [b.tolist() for b in got] == [b.tolist() for b in expected]
    assert batches[-1].tolist() == rows[18:].tolist()
    with pytest.raises(IndexError):
        batches[5]
    # the kernels take the rows and bounds as they are
    bounds = _batch_bounds(batches, 23)
    assert bounds[0] is batches.rows and bounds[3] is True
    assert bounds[1].tolist() == [0, 4, 9, 13, 18]
    assert bounds[2].tolist() == [4, 9, 13, 18, 23]
    assert len(RowBatches(np.empty(0, dtype=np.int64), 4)) == 0


@pytest.mark.parametrize("n_rows", [0, 1, 7, 8, 9, 255, 256, 257, 1347])
@pytest.mark.parametrize("batch_size", [1, 3, 8, 256])
def test_batch_bounds_are_as_equal_as_can_be(n_rows, batch_size):
    starts, stops = batch_bounds(n_rows, batch_size)
    n_batches = -(-n_rows // batch_size)
    assert starts.size == stops.size == n_batches
    sizes = stops - starts
    if n_rows:
        assert starts[0] == 0 and stops[-1] == n_rows
        assert np.array_equal(starts[1:], stops[:-1])  # contiguous, in order
        assert sizes.max() <= batch_size
        assert sizes.max() - sizes.min() <= 1
        assert sizes.sum() == n_rows


@pytest.mark.parametrize(
    "y",
    [
        np.array([3, 1, 3, 7, 1]),
        np.array([-5, 2, -5, 0], dtype=np.int8),
        np.array([4, 4, 4], dtype=np.uint16),
        np.array([3, 10**12, 3]),  # range too wide for a table
        np.array([2**63 + 5, 1], dtype=np.uint64),
        np.array(["b", "a", "b"]),
        np.array([1.5, -2.0, 1.5]),
    ],
)
def test_classes_and_indices_equal_numpy_unique(y):
    classes, y_ind = _classes_and_indices(y)
    want_classes, want_ind = np.unique(y, return_inverse=True)
    assert classes.dtype == want_classes.dtype
    np.testing.assert_array_equal(classes, want_classes)
    np.testing.assert_array_equal(y_ind, want_ind)
    np.testing.assert_array_equal(classes[y_ind], y)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
@pytest.mark.parametrize("mode", [True, "feature"])
def test_lazy_adagrad_equals_dense_adagrad(cls, alpha, mode):
    X, y = _sparse_problem(4)
    params = dict(
        alpha=alpha,
        adagrad=mode,
        batch_size=32,
        learning_rate="constant",
        eta0=0.5,
        max_iter=4,
        tol=None,
        random_state=0,
    )
    lazy = cls(**params).fit(X, y)
    dense = cls(**params).fit(X.toarray(), y)
    np.testing.assert_allclose(lazy.coef_, dense.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(lazy.intercept_, dense.intercept_, rtol=0, atol=1e-12)
    # the squared-gradient sums are the same state in both
    np.testing.assert_allclose(
        lazy._opt_state.sq_grad_coef, dense._opt_state.sq_grad_coef, atol=1e-12
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_adagrad_steps_follow_the_formula(cls):
    # one full-batch update from zero: each coordinate moves by -step * sign(g)
    # (sqrt(g^2) = |g|), then the L2 prox divides by 1 + alpha * step / |g|
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    y = np.arange(40) % 3
    est = cls(alpha=0.1, adagrad=True, batch_size="full", learning_rate="constant")
    est.set_params(eta0=0.01, max_iter=1, tol=None).fit(X, y)
    ref = cls(alpha=0.1).set_params(max_iter=1, tol=None).fit(X, y)
    _, grad, grad_b = ref._objective_and_gradient(
        X, y, coef=np.zeros_like(ref.coef_), intercept=np.zeros_like(ref.intercept_)
    )
    rate = 0.01 / (np.abs(grad) + 1e-8)
    expected = -rate * grad / (1 + 0.1 * rate)
    np.testing.assert_allclose(est.coef_, expected, rtol=1e-10, atol=1e-12)
    expected_b = -0.01 * grad_b / (np.abs(grad_b) + 1e-8)
    np.testing.assert_allclose(est.intercept_, expected_b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_feature_adagrad_steps_follow_the_formula(cls):
    # one full-batch update from zero: feature c's weights all move with the
    # rate step / sqrt(G_c), G_c the mean over classes of its squared
    # gradients, then the L2 prox divides by 1 + alpha * rate
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    y = np.arange(40) % 3
    est = cls(alpha=0.1, adagrad="feature", batch_size="full")
    est.set_params(learning_rate="constant", eta0=0.01, max_iter=1, tol=None)
    est.fit(X, y)
    ref = cls(alpha=0.1).set_params(max_iter=1, tol=None).fit(X, y)
    _, grad, grad_b = ref._objective_and_gradient(
        X, y, coef=np.zeros_like(ref.coef_), intercept=np.zeros_like(ref.intercept_)
    )
    sq = (grad**2).mean(axis=0)
    np.testing.assert_allclose(est._opt_state.sq_grad_coef, sq, rtol=1e-12)
    rate = 0.01 / (np.sqrt(sq) + 1e-8)
    expected = -rate * grad / (1 + 0.1 * rate)
    np.testing.assert_allclose(est.coef_, expected, rtol=1e-10, atol=1e-12)
    # one rate per feature: the step of a column is proportional to its gradient
    ratio = est.coef_ / grad
    np.testing.assert_allclose(ratio, ratio[[0, 0, 0]], rtol=1e-10)
    expected_b = -0.01 * grad_b / (np.abs(grad_b) + 1e-8)  # per class, as before
    np.testing.assert_allclose(est.intercept_, expected_b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("mode", [True, "coordinate", "feature"])
def test_adagrad_state_continues_across_partial_fit(cls, mode):
    X, y = _sparse_problem(3, seed=2)
    params = dict(adagrad=mode, learning_rate="constant", eta0=0.3, shuffle=False)
    fitted = cls(max_iter=2, tol=None, **params).fit(X, y)
    streamed = cls(**params).partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y)
    np.testing.assert_allclose(streamed.coef_, fitted.coef_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_adagrad_mode_switch_restarts_the_sums(cls):
    # set_params between partial_fit calls: the sums of the new mode start at
    # zero, exactly as a fresh AdaGrad run from the current weights
    X, y = _sparse_problem(3, seed=4)
    params = dict(learning_rate="constant", eta0=0.3, shuffle=False, alpha=1e-3)
    est = cls(adagrad=True, **params).partial_fit(X, y, classes=[0, 1, 2])
    start = est.coef_.copy(), est.intercept_.copy()
    assert est._opt_state.sq_grad_coef.shape == est.coef_.shape
    est.set_params(adagrad="feature").partial_fit(X, y)
    assert est._opt_state.sq_grad_coef.shape == (X.shape[1],)
    # a warm-started fit builds a fresh optimizer state around the weights
    fresh = cls(adagrad=True, warm_start=True, max_iter=1, tol=None, **params)
    fresh.fit(X, y)
    np.testing.assert_allclose(fresh.coef_, start[0], rtol=0, atol=1e-12)
    fresh.set_params(adagrad="feature").fit(X, y)
    np.testing.assert_allclose(est.coef_, fresh.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, fresh.intercept_, rtol=0, atol=1e-12)


def test_adagrad_rejects_unknown_modes():
    X, y = _sparse_problem(2)
    with pytest.raises(ValueError, match="'adagrad' parameter"):
        SoftmaxSGD(adagrad="rows").fit(X, y)


def test_adagrad_refuses_momentum():
    X, y = _sparse_problem(2)
    with pytest.raises(ValueError, match="momentum=0"):
        SoftmaxSGD(adagrad=True, momentum=0.9).fit(X, y)


def _wide_problem(seed=0):
    # hashed text's shape: 2,000 columns, of which the rows use 200
    rng = np.random.default_rng(seed)
    used = np.sort(rng.choice(2000, 200, replace=False))
    X = sp.random(300, 200, density=0.05, random_state=seed, format="csr")
    X.data *= 3
    X = sp.csr_matrix((X.data, used[X.indices], X.indptr), shape=(300, 2000))
    return X, rng.integers(0, 3, X.shape[0]), used


NARROW_CASES = {
    "defaults": {},
    "plain": dict(learning_rate="invscaling", eta0=0.5),
    "elasticnet": dict(penalty="elasticnet", l1_ratio=0.5, alpha=1e-3),
    "average": dict(average=True),
    "momentum": dict(momentum=0.9, learning_rate="constant", eta0=0.05),
    "adagrad-coordinate": dict(adagrad="coordinate"),
    "early-stopping": dict(early_stopping=True, validation_fraction=0.2),
    "adaptive": dict(learning_rate="adaptive", eta0=0.5, tol=1e-2),
}


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("case", NARROW_CASES)
def test_narrowed_fit_equals_the_whole_fit(cls, case, monkeypatch):
    # A fit on CSR data that uses few of its columns runs on those columns
    # only; the parameters, counters and curves are the whole state's.
    X, y, used = _wide_problem()
    params = {"max_iter": 6, "tol": None, "random_state": 0, **NARROW_CASES[case]}
    narrowed_calls = []
    narrow = _sgd.narrow
    monkeypatch.setattr(
        _sgd, "narrow", lambda s, c: narrowed_calls.append(c.size) or narrow(s, c)
    )
    narrowed = cls(**params).fit(X, y)
    assert narrowed_calls == [used.size]
    monkeypatch.setattr(_sgd, "NARROW_SHARE", 0.0)
    whole = cls(**params).fit(X, y)
    assert narrowed_calls == [used.size]  # the reference fit is not narrowed
    np.testing.assert_array_equal(narrowed.coef_, whole.coef_)
    np.testing.assert_array_equal(narrowed.intercept_, whole.intercept_)
    assert narrowed.t_ == whole.t_ and narrowed.n_iter_ == whole.n_iter_
    np.testing.assert_allclose(narrowed.loss_curve_, whole.loss_curve_, rtol=1e-12)
    assert getattr(narrowed, "validation_scores_", None) == getattr(
        whole, "validation_scores_", None
    )
    assert not np.delete(narrowed.coef_, used, axis=1).any()
    # the state goes on as the whole one would
    narrowed.partial_fit(X[:50], y[:50])
    whole.partial_fit(X[:50], y[:50])
    np.testing.assert_allclose(narrowed.coef_, whole.coef_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("kind", ["float32", "int64-indices", "weights"])
def test_narrowed_fit_keeps_dtype_indices_and_weights(cls, kind, monkeypatch):
    X, y, used = _wide_problem()
    sample_weight = None
    if kind == "float32":
        X = X.astype(np.float32)
    elif kind == "int64-indices":
        X.indices = X.indices.astype(np.int64)
        X.indptr = X.indptr.astype(np.int64)
    else:
        sample_weight = np.random.default_rng(1).uniform(0, 2, X.shape[0])
        sample_weight[:40] = 0
    params = dict(max_iter=4, tol=None, random_state=0, class_weight="balanced")
    calls = []
    narrow = _sgd.narrow
    monkeypatch.setattr(_sgd, "narrow", lambda s, c: calls.append(1) or narrow(s, c))
    narrowed = cls(**params).fit(X, y, sample_weight=sample_weight)
    assert calls == [1]
    monkeypatch.setattr(_sgd, "NARROW_SHARE", 0.0)
    whole = cls(**params).fit(X, y, sample_weight=sample_weight)
    assert narrowed.coef_.dtype == X.dtype and narrowed.coef_.shape == (3, 2000)
    np.testing.assert_array_equal(narrowed.coef_, whole.coef_)
    np.testing.assert_array_equal(narrowed.intercept_, whole.intercept_)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_warm_start_keeps_the_weights_of_columns_the_data_leaves(cls, monkeypatch):
    # warm_start on data that uses other columns: the old non-zero columns
    # are live (their L2 decay goes on), the columns neither uses stay zero
    X, y, used = _wide_problem()
    X2, y2, used2 = _wide_problem(seed=1)
    params = dict(warm_start=True, max_iter=3, tol=None, random_state=0)
    est = cls(**params).fit(X, y)
    whole = cls(**params).fit(X, y)
    est.fit(X2, y2)
    monkeypatch.setattr(_sgd, "NARROW_SHARE", 0.0)
    whole.fit(X2, y2)
    np.testing.assert_array_equal(est.coef_, whole.coef_)
    only_first = np.setdiff1d(used, used2)
    assert np.abs(est.coef_[:, only_first]).sum() > 0
    assert not np.delete(est.coef_, np.union1d(used, used2), axis=1).any()


def test_narrowing_needs_csr_with_dead_columns():
    X, y, used = _wide_problem()
    state = SGDState(coef=np.zeros((3, X.shape[1]), order="F"), intercept=np.zeros(3))
    np.testing.assert_array_equal(_sgd._live_columns(state, X, None), used)
    assert _sgd._live_columns(state, X.tocsc(), None) is None
    assert _sgd._live_columns(state, X.toarray(), None) is None
    dense_rows = sp.csr_matrix(np.ones((2, X.shape[1])))
    assert _sgd._live_columns(state, dense_rows, None) is None
    # the renumbered indices would take more than the dead columns of a
    # one-row model: X is never copied as much as that for nothing
    binary = SGDState(coef=np.zeros((1, 2000), order="F"), intercept=np.zeros(1))
    many_rows = sp.vstack([X] * 2)
    assert 1800 * 8 > X.indices.nbytes and 1800 * 8 <= many_rows.indices.nbytes
    np.testing.assert_array_equal(_sgd._live_columns(binary, X, None), used)
    assert _sgd._live_columns(binary, many_rows, None) is None
    wider = np.union1d(used, [0, 1, 2])  # columns kept may hold no entry
    cols, taken = compact_columns(X, wider)
    assert cols is wider and taken.shape == (X.shape[0], wider.size)
    np.testing.assert_array_equal(taken.toarray(), X.toarray()[:, wider])
    assert taken.data is X.data or np.shares_memory(taken.data, X.data)
    cols, found = compact_columns(X)
    np.testing.assert_array_equal(cols, used)
    np.testing.assert_array_equal(found.toarray(), X.toarray()[:, used])


BLOCKED_CASES = {
    "momentum": dict(momentum=0.9, learning_rate="constant", eta0=0.05),
    "nesterov": dict(momentum=0.5, nesterov=True, learning_rate="constant", eta0=0.1),
    "l1": dict(penalty="l1", alpha=1e-4, learning_rate="constant", eta0=0.2),
    "elasticnet-average": dict(
        penalty="elasticnet", alpha=1e-3, average=True, learning_rate="constant"
    ),
    "momentum-average": dict(momentum=0.9, eta0=0.01, average=True),
    "adagrad-average": dict(adagrad="coordinate", average=True),
}


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("case", BLOCKED_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blocked_csr_updates_equal_whole_width_updates(cls, case, dtype, monkeypatch):
    # The numpy pass on CSR data computes a batch's gradient on the columns
    # it uses and updates the model in blocks of columns: the iterates are
    # those of one update of the whole width, bit for bit.
    X, y = _sparse_problem(3)
    X = X.astype(dtype)
    params = {"max_iter": 3, "tol": None, "random_state": 0, **BLOCKED_CASES[case]}
    monkeypatch.setattr(_reference, "BLOCK_ELEMENTS", 1 << 40)
    whole = cls(**params).fit(X, y)
    blocks = []
    column_blocks = _reference._column_blocks
    monkeypatch.setattr(_reference, "BLOCK_ELEMENTS", 3 * 7)
    monkeypatch.setattr(
        _reference,
        "_column_blocks",
        lambda *shape: (
            blocks.append(len(column_blocks(*shape))) or column_blocks(*shape)
        ),
    )
    blocked = cls(**params).fit(X, y)
    assert blocks and set(blocks) == {300 // 7 + 1}  # 43 blocks of 7 columns
    np.testing.assert_array_equal(blocked.coef_, whole.coef_)
    np.testing.assert_array_equal(blocked.intercept_, whole.intercept_)
    assert blocked.coef_.dtype == dtype
    for key in ("coef", "velocity_coef", "avg_coef", "sq_grad_coef"):
        kept = getattr(blocked._opt_state, key)
        if kept is not None:
            np.testing.assert_array_equal(kept, getattr(whole._opt_state, key))
    np.testing.assert_array_equal(blocked.loss_curve_, whole.loss_curve_)


def test_gradient_blocks_write_out_the_batch_gradient():
    # (cols, values) of a CSR batch is the dense gradient's columns: the
    # blocks put them back in place, zero elsewhere.
    rng = np.random.default_rng(0)
    coef = np.zeros((2, 10), order="F")
    cols = np.array([1, 4, 5, 9])
    values = rng.standard_normal((2, 4))
    dense = np.zeros((2, 10))
    dense[:, cols] = values
    for width in (1, 3, 10, 50):
        pieces = list(_reference._gradient_blocks(coef, (cols, values), 2 * width))
        assert all(p[1].shape == (2, p[0].stop - p[0].start) for p in pieces)
        assert [p[0].start for p in pieces] == list(range(0, 10, width))
        np.testing.assert_array_equal(np.hstack([p[1] for p in pieces]), dense)
    grad = rng.standard_normal((2, 10))
    assert list(_reference._gradient_blocks(coef, grad)) == [(slice(None), grad)]
