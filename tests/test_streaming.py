"""Out-of-core training: memmap input, fit_stream and iter_chunks."""

import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd.streaming import fit_stream, iter_chunks, release_pages

CLASSES = np.array([0, 1, 2])


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=600,
        n_features=8,
        n_informative=5,
        n_classes=3,
        random_state=0,
    )
    return X.astype(np.float32), y


@pytest.fixture
def memmap_data(data, tmp_path):
    """The same data as a read-only float32 .npy memmap (and int8 labels)."""
    X, y = data
    path_X, path_y = tmp_path / "X.npy", tmp_path / "y.npy"
    np.save(path_X, X)
    np.save(path_y, y.astype(np.int8))
    Xm = np.load(path_X, mmap_mode="r")
    ym = np.load(path_y, mmap_mode="r")
    assert isinstance(Xm, np.memmap) and isinstance(ym, np.memmap)
    return Xm, ym


def _chunks(X, y, size=200):
    return [(X[i : i + size], y[i : i + size]) for i in range(0, len(X), size)]


def _manual(est, chunks, n_passes, classes=CLASSES):
    for _ in range(n_passes):
        for Xc, yc in chunks:
            est.partial_fit(Xc, yc, classes=classes)
    return est


# ---------------------------------------------------------------- memmap input
@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
def test_fit_on_memmap_equals_fit_in_memory(Estimator, data, memmap_data):
    X, y = data
    Xm, ym = memmap_data
    params = dict(random_state=0, max_iter=3, tol=None, batch_size=64)
    on_disk = Estimator(**params).fit(Xm, ym)
    in_memory = Estimator(**params).fit(X, y)
    assert on_disk.coef_.dtype == np.float32
    np.testing.assert_array_equal(on_disk.coef_, in_memory.coef_)
    np.testing.assert_array_equal(on_disk.intercept_, in_memory.intercept_)
    assert on_disk.t_ == in_memory.t_ == 3 * int(np.ceil(600 / 64))
    np.testing.assert_array_equal(on_disk.predict(Xm), in_memory.predict(X))


def test_partial_fit_on_memmap_equals_in_memory(data, memmap_data):
    X, y = data
    Xm, ym = memmap_data
    on_disk = SoftmaxSGD(random_state=0, batch_size=50)
    in_memory = SoftmaxSGD(random_state=0, batch_size=50)
    for _ in range(2):
        on_disk.partial_fit(Xm, ym, classes=CLASSES)
        in_memory.partial_fit(X, y, classes=CLASSES)
    np.testing.assert_array_equal(on_disk.coef_, in_memory.coef_)
    assert on_disk.t_ == in_memory.t_ == 2 * 12
    # A chunk of a memmap (a view) too.
    on_disk.partial_fit(Xm[100:300], ym[100:300])
    in_memory.partial_fit(X[100:300], y[100:300])
    np.testing.assert_array_equal(on_disk.coef_, in_memory.coef_)


def test_memmap_with_nan_is_rejected(data, tmp_path):
    X, y = data
    X = X.copy()
    X[123, 4] = np.nan
    np.save(tmp_path / "bad.npy", X)
    Xm = np.load(tmp_path / "bad.npy", mmap_mode="r")
    with pytest.raises(ValueError, match="NaN"):
        SoftmaxSGD().fit(Xm, y)
    with pytest.raises(ValueError, match="NaN"):
        fit_stream(SoftmaxSGD(), iter_chunks(Xm, y, chunk_size=100), classes=CLASSES)


# ------------------------------------------------------------------ fit_stream
def test_fit_stream_generator_equals_partial_fit_loop(data):
    X, y = data

    def gen():
        yield from _chunks(X, y)

    streamed = fit_stream(SoftmaxSGD(random_state=0), gen(), classes=CLASSES)
    manual = _manual(SoftmaxSGD(random_state=0), _chunks(X, y), 1)
    np.testing.assert_array_equal(streamed.coef_, manual.coef_)
    assert streamed.t_ == manual.t_ == 3


def test_fit_stream_returns_the_same_estimator(data):
    X, y = data
    est = LinearSVMSGD(random_state=0)
    assert fit_stream(est, _chunks(X, y), classes=CLASSES) is est
    assert est.t_ == 3


@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
def test_fit_stream_callable_several_passes(Estimator, data):
    X, y = data
    calls = []

    def chunks():
        calls.append(1)
        return (pair for pair in _chunks(X, y, size=150))

    est = Estimator(random_state=0, batch_size=64)
    fit_stream(est, chunks, classes=CLASSES, n_passes=4)
    manual = _manual(Estimator(random_state=0, batch_size=64), _chunks(X, y, 150), 4)
    assert len(calls) == 4
    np.testing.assert_array_equal(est.coef_, manual.coef_)
    assert est.t_ == manual.t_ == 4 * 4 * 3  # passes x chunks x batches per chunk
    assert len(est.loss_curve_) == 16


def test_fit_stream_list_is_reiterable(data):
    X, y = data
    est = fit_stream(
        SoftmaxSGD(random_state=0), _chunks(X, y), classes=CLASSES, n_passes=3
    )
    manual = _manual(SoftmaxSGD(random_state=0), _chunks(X, y), 3)
    np.testing.assert_array_equal(est.coef_, manual.coef_)


def test_fit_stream_one_shot_iterator_with_several_passes_raises(data):
    X, y = data
    generator = (pair for pair in _chunks(X, y))
    est = SoftmaxSGD()
    with pytest.raises(ValueError, match="one-shot iterator.*n_passes=2.*callable"):
        fit_stream(est, generator, classes=CLASSES, n_passes=2)
    assert not hasattr(est, "coef_")  # refused before training anything
    with pytest.raises(ValueError, match="one-shot iterator"):
        fit_stream(est, iter(_chunks(X, y)), classes=CLASSES, n_passes=3)


def test_fit_stream_callable_returning_a_consumed_generator_raises(data):
    X, y = data
    generator = (pair for pair in _chunks(X, y))
    with pytest.raises(ValueError, match="Pass 2 of 2 got no chunks"):
        fit_stream(SoftmaxSGD(), lambda: generator, classes=CLASSES, n_passes=2)


def test_fit_stream_classes(data):
    X, y = data
    # The first chunk lacks class 2: classes given up front make it work.
    order = np.argsort(y == 2, kind="stable")
    Xs, ys = X[order], y[order]
    assert 2 not in ys[:200]
    est = fit_stream(SoftmaxSGD(random_state=0), _chunks(Xs, ys), classes=CLASSES)
    np.testing.assert_array_equal(est.classes_, CLASSES)
    assert est.coef_.shape == (3, 8)
    with pytest.raises(ValueError, match="classes is required"):
        fit_stream(SoftmaxSGD(), _chunks(X, y), classes=None)
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes"):
        fit_stream(SoftmaxSGD(), _chunks(X, y), classes=[0, 1])


def test_fit_stream_continues_a_fitted_estimator(data):
    X, y = data
    est = fit_stream(SoftmaxSGD(random_state=0), _chunks(X, y), classes=CLASSES)
    fit_stream(est, _chunks(X, y), classes=CLASSES)
    manual = _manual(SoftmaxSGD(random_state=0), _chunks(X, y), 2)
    np.testing.assert_array_equal(est.coef_, manual.coef_)
    assert est.t_ == 6


def test_fit_stream_works_with_any_partial_fit_estimator(data):
    from sklearn.linear_model import SGDClassifier

    X, y = data
    est = fit_stream(
        SGDClassifier(random_state=0), _chunks(X, y), classes=CLASSES, n_passes=2
    )
    manual = SGDClassifier(random_state=0)
    for Xc, yc in _chunks(X, y) * 2:
        manual.partial_fit(Xc, yc, classes=CLASSES)
    np.testing.assert_array_equal(est.coef_, manual.coef_)


def test_fit_stream_sample_weight_chunks(data):
    X, y = data
    sw = np.linspace(0.1, 2.0, len(y))
    chunks = [(X[i : i + 200], y[i : i + 200], sw[i : i + 200]) for i in (0, 200, 400)]
    est = fit_stream(SoftmaxSGD(random_state=0), chunks, classes=CLASSES)
    manual = SoftmaxSGD(random_state=0)
    for Xc, yc, swc in chunks:
        manual.partial_fit(Xc, yc, classes=CLASSES, sample_weight=swc)
    np.testing.assert_array_equal(est.coef_, manual.coef_)
    unweighted = fit_stream(SoftmaxSGD(random_state=0), _chunks(X, y), classes=CLASSES)
    assert not np.allclose(est.coef_, unweighted.coef_)


@pytest.mark.parametrize("bad", [[np.zeros((3, 2))], [(np.zeros((3, 2)),)], [5]])
def test_fit_stream_rejects_malformed_chunks(bad):
    with pytest.raises(ValueError, match="Chunk 0 is a .*tuple"):
        fit_stream(SoftmaxSGD(), bad, classes=CLASSES)


@pytest.mark.parametrize(
    "n_passes, error",
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)],
)
def test_fit_stream_rejects_bad_n_passes(data, n_passes, error):
    X, y = data
    with pytest.raises(error, match="n_passes must be an int >= 1"):
        fit_stream(SoftmaxSGD(), _chunks(X, y), classes=CLASSES, n_passes=n_passes)


def test_fit_stream_verbose(data, capsys):
    X, y = data
    fit_stream(
        SoftmaxSGD(random_state=0),
        _chunks(X, y),
        classes=CLASSES,
        n_passes=2,
        verbose=1,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("-- Pass 1/2: 3 chunks, 600 rows, objective ")
    assert lines[1].startswith("-- Pass 2/2: 3 chunks, 600 rows, objective ")
    assert lines[1].endswith("rows/s")

    est = fit_stream(
        SoftmaxSGD(random_state=0), _chunks(X, y), classes=CLASSES, verbose=2
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.strip().split(":")[0] for line in lines[:3]] == [
        "pass 1, chunk 1",
        "pass 1, chunk 2",
        "pass 1, chunk 3",
    ]
    # The per-pass objective is the row-weighted mean of the chunks' objectives.
    reported = float(lines[3].split("objective ")[1].split(",")[0])
    assert reported == pytest.approx(np.mean(est.loss_curve_), rel=1e-5)

    fit_stream(SoftmaxSGD(), _chunks(X, y), classes=CLASSES)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------- iter_chunks
def test_iter_chunks_are_views_covering_all_rows(data, memmap_data):
    Xm, ym = memmap_data
    chunks = list(iter_chunks(Xm, ym, chunk_size=250, release=False))
    assert [len(Xc) for Xc, _ in chunks] == [250, 250, 100]
    assert all(np.shares_memory(Xc, Xm) for Xc, _ in chunks)
    np.testing.assert_array_equal(np.concatenate([Xc for Xc, _ in chunks]), data[0])
    np.testing.assert_array_equal(np.concatenate([yc for _, yc in chunks]), data[1])


def test_iter_chunks_shuffle_and_sample_weight(data):
    X, y = data
    sw = np.arange(len(y), dtype=float)
    first = [
        c[2][0]
        for c in iter_chunks(
            X, y, sample_weight=sw, chunk_size=100, shuffle=True, random_state=3
        )
    ]
    again = [
        c[2][0]
        for c in iter_chunks(
            X, y, sample_weight=sw, chunk_size=100, shuffle=True, random_state=3
        )
    ]
    assert first == again
    assert sorted(first) == [0, 100, 200, 300, 400, 500]
    assert first != sorted(first)
    rng = np.random.RandomState(0)
    orders = {
        tuple(
            c[2][0]
            for c in iter_chunks(
                X, y, sample_weight=sw, chunk_size=100, shuffle=True, random_state=rng
            )
        )
        for _ in range(5)
    }
    assert len(orders) > 1  # a RandomState instance gives a new order per pass


def test_iter_chunks_auto_chunk_size(data):
    X, y = data
    ((Xc, _),) = list(iter_chunks(X, y))  # 600 x 8 float32 is far below 64 MiB
    assert Xc.shape == (600, 8)
    big = np.zeros((5, 2**22), dtype=np.float64)  # rows of 32 MiB: 2 rows per chunk
    assert [len(c) for c, _ in iter_chunks(big, np.zeros(5))] == [2, 2, 1]


def test_iter_chunks_validation(data):
    X, y = data
    with pytest.raises(ValueError, match="different numbers of rows: 600 and 599"):
        iter_chunks(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight .* 600 and 3"):
        iter_chunks(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
        iter_chunks(X, y, chunk_size=0)


def test_fit_stream_over_memmap_chunks_equals_in_memory(data, memmap_data):
    X, y = data
    Xm, ym = memmap_data
    on_disk = fit_stream(
        SoftmaxSGD(random_state=0),
        lambda: iter_chunks(Xm, ym, chunk_size=200),
        classes=CLASSES,
        n_passes=3,
    )
    in_memory = _manual(SoftmaxSGD(random_state=0), _chunks(X, y), 3)
    np.testing.assert_array_equal(on_disk.coef_, in_memory.coef_)
    np.testing.assert_array_equal(Xm, X)  # releasing pages never changes the data


def test_fit_stream_sparse_chunks(data):
    import scipy.sparse as sp

    X, y = data
    Xs = sp.csr_matrix(X)
    sparse = fit_stream(
        SoftmaxSGD(random_state=0),
        lambda: iter_chunks(Xs, y, chunk_size=200),
        classes=CLASSES,
        n_passes=2,
    )
    dense = _manual(SoftmaxSGD(random_state=0), _chunks(X, y), 2)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------- release_pages
def _rss_file_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssFile:"):
                return int(line.split()[1])
    raise RuntimeError("no RssFile")


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/self/status"
)
def test_release_pages_gives_back_resident_memory(tmp_path):
    n = 16 * 2**20 // 8  # a 16 MiB file
    a = np.memmap(tmp_path / "a.dat", dtype=np.float64, mode="w+", shape=(n,))
    a[:] = 1.5
    a.flush()
    r = np.memmap(tmp_path / "a.dat", dtype=np.float64, mode="r", shape=(n,))
    before = _rss_file_kib()
    assert float(r.sum()) == 1.5 * n  # touches every page
    touched = _rss_file_kib()
    assert touched - before > 12 * 1024
    assert release_pages(r[10:20]) is True  # any view releases the whole mapping
    released = _rss_file_kib()
    assert touched - released > 12 * 1024
    assert float(r.sum()) == 1.5 * n  # the data are read again, unchanged
    # Written pages of a shared ("w+") mapping stay in the file.
    a[:5] = 7.0
    assert release_pages(a) is True
    assert a[:6].tolist() == [7.0] * 5 + [1.5]


def test_release_pages_leaves_other_objects_alone(tmp_path):
    assert release_pages(np.ones(4)) is False
    assert release_pages([1, 2]) is False
    c = np.memmap(tmp_path / "c.dat", dtype=np.float64, mode="w+", shape=(10,))
    c[:] = 2.0
    c.flush()
    private = np.memmap(tmp_path / "c.dat", dtype=np.float64, mode="c", shape=(10,))
    private[0] = 9.0  # a copy-on-write change lives only in the process's pages
    assert release_pages(private) is False
    assert private[0] == 9.0


def test_estimator_is_not_modified_by_iter_chunks_release(data, memmap_data):
    # Releasing between chunks must not disturb a clone trained on the same data.
    Xm, ym = memmap_data
    est = SoftmaxSGD(random_state=0)
    a = fit_stream(
        clone(est),
        lambda: iter_chunks(Xm, ym, chunk_size=128),
        classes=CLASSES,
        n_passes=2,
    )
    b = fit_stream(
        clone(est),
        lambda: iter_chunks(Xm, ym, chunk_size=128, release=False),
        classes=CLASSES,
        n_passes=2,
    )
    np.testing.assert_array_equal(a.coef_, b.coef_)
