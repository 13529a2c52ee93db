"""fit / partial_fit on a file-backed memmap read batches without mapping it."""

import os
import sys

import numpy as np
import pytest

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd._memmap import FileRows


@pytest.fixture
def memmap_data(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 12)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r"), X, y


def test_reader_reads_the_rows_of_views(memmap_data):
    Xm, X, _ = memmap_data
    for view, ref in [(Xm, X), (Xm[500:], X[500:]), (Xm[10:20], X[10:20])]:
        reader = FileRows.from_array(np.asarray(view))
        try:
            idx = np.array([0, 1, 2, 7, 3, 9])
            out = np.empty((8, 12), np.float32)
            np.testing.assert_array_equal(reader.read(idx, out), ref[idx])
            np.testing.assert_array_equal(reader.read(slice(2, 6), out), ref[2:6])
        finally:
            reader.close()
    assert FileRows.from_array(X) is None  # in memory: no reader
    assert FileRows.from_array(np.asfortranarray(Xm)) is None


@pytest.mark.parametrize("cls", [LinearSVMSGD, SoftmaxSGD])
@pytest.mark.parametrize("shuffle", [True, "batches", False])
def test_memmap_fit_equals_in_memory_fit(memmap_data, cls, shuffle):
    Xm, X, y = memmap_data
    params = dict(max_iter=3, tol=None, random_state=0, batch_size=64, shuffle=shuffle)
    a = cls(**params).fit(Xm, y)
    b = cls(**params).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.coef_.dtype == np.float32


def test_memmap_partial_fit_on_slices_equals_in_memory(memmap_data):
    Xm, X, y = memmap_data
    a, b = SoftmaxSGD(random_state=0), SoftmaxSGD(random_state=0)
    for start in range(0, 2000, 700):
        a.partial_fit(
            Xm[start : start + 700], y[start : start + 700], classes=[0, 1, 2]
        )
        b.partial_fit(X[start : start + 700], y[start : start + 700], classes=[0, 1, 2])
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_memmap_with_nan_is_rejected_before_training(tmp_path):
    X = np.ones((300, 4))
    X[250, 2] = np.nan
    np.save(tmp_path / "X.npy", X)
    Xm = np.load(tmp_path / "X.npy", mmap_mode="r")
    est = SoftmaxSGD()
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(Xm, np.arange(300) % 2)
    assert not hasattr(est, "coef_")


def _rss_file_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssFile:"):
                return int(line.split()[1])
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_fit_does_not_map_the_file(tmp_path):
    n, d = 65536, 128  # 32 MiB of float32
    path = tmp_path / "big.npy"
    Xw = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    rng = np.random.default_rng(0)
    Xw[:] = rng.standard_normal((n, d), dtype=np.float32)
    Xw.flush()
    del Xw
    y = np.arange(n) % 3
    Xm = np.load(path, mmap_mode="r")
    before = _rss_file_kb()
    SoftmaxSGD(max_iter=2, tol=None, random_state=0).fit(Xm, y)
    grown = _rss_file_kb() - before
    size_kb = os.path.getsize(path) / 1024
    # Through the mapping, a shuffled epoch makes the whole file resident.
    assert grown < 0.1 * size_kb, (grown, size_kb)
