"""Deterministic benchmark workloads and the memory-floor measurement.

Every builder returns a :class:`Workload` whose arrays depend only on the
builder's arguments (fixed seeds), so two runs of the suite, on any machine,
train on the same numbers. :func:`workload_info` gives the sizes the report
records for a workload (``X_train``, one model, one batch, in MiB).

Workloads (full size; ``quick=True`` shrinks the rows, see :data:`SIZES`):

``digits``
    scikit-learn's 8x8 digits, standardized on the training split, 75/25
    stratified split.
``dense200k_f64``, ``dense200k_f32``
    ``make_classification(n_samples=200_000, n_features=256, n_informative=64,
    n_classes=10, n_clusters_per_class=1, random_state=0)``, first 75 % of the
    (already shuffled) rows for training, the rest for testing.
``dense1m_f32``
    The same generator with 1M rows and 128 features, float32.
``sparse_bow``
    A bag-of-words-like CSR matrix (float64): 200k rows, 2**18 columns, about
    60 non-zeros per row with Zipf-like column frequencies, sublinear tf-idf
    values with L2-normalized rows, 20 classes drawn from a sparse linear
    ground truth (see :func:`make_bow`).
``sparse_bow_f32``
    The same matrix in float32.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = [
    "SIZES",
    "WORKLOADS",
    "Workload",
    "build",
    "floor_pass",
    "make_bow",
    "make_dense",
    "make_digits",
    "measure_floor",
    "nbytes",
    "workload_info",
]


@dataclass
class Workload:
    """Training and test data of one benchmark workload."""

    name: str
    description: str
    X_train: object
    y_train: np.ndarray
    X_test: object
    y_test: np.ndarray
    build_seconds: float = 0.0
    info: dict = field(default_factory=dict)

    @property
    def n_classes(self):
        return int(np.unique(self.y_train).size)

    def summary(self):
        """A short one-line description of the shapes and storage."""
        X = self.X_train
        kind = "CSR" if sp.issparse(X) else "dense"
        extra = f", {X.nnz / X.shape[0]:.1f} nnz/row" if sp.issparse(X) else ""
        return (
            f"{kind} {X.dtype}, train {X.shape[0]} x {X.shape[1]}{extra}, "
            f"test {self.X_test.shape[0]}, {self.n_classes} classes, "
            f"X_train {nbytes(X) / 2**20:.1f} MiB"
        )


def nbytes(X):
    """Bytes of the arrays that hold ``X`` (data, indices and indptr for CSR)."""
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def workload_info(wl, batch_size):
    """The description and sizes of a workload, as the report records them.

    Parameters
    ----------
    wl : Workload
        The built workload.
    batch_size : int
        The mini-batch size whose memory ``batch_mib`` gives.

    Returns
    -------
    dict
        ``description``, ``summary``, ``build_seconds``, the shapes
        (``n_train``, ``n_test``, ``n_features``, ``n_classes``), ``dtype``,
        ``sparse``, and in MiB: ``x_train_mib`` (the arrays of ``X_train``),
        ``model_mib`` (one ``n_classes x n_features`` model in ``X``'s dtype)
        and ``batch_mib`` (one batch of rows: values and, for CSR, int32
        indices).
    """
    X = wl.X_train
    sparse = sp.issparse(X)
    itemsize = X.dtype.itemsize
    if sparse:
        batch = batch_size * (X.nnz / X.shape[0]) * (itemsize + 4)
    else:
        batch = batch_size * X.shape[1] * itemsize
    return {
        "description": wl.description,
        "summary": wl.summary(),
        "build_seconds": wl.build_seconds,
        "n_train": int(X.shape[0]),
        "n_test": int(wl.X_test.shape[0]),
        "n_features": int(X.shape[1]),
        "n_classes": wl.n_classes,
        "dtype": str(X.dtype),
        "sparse": bool(sparse),
        "x_train_mib": nbytes(X) / 2**20,
        "model_mib": wl.n_classes * X.shape[1] * itemsize / 2**20,
        "batch_mib": batch / 2**20,
    }


# Rows (total, before the 75/25 split) per workload and mode.
SIZES = {
    "full": {
        "dense200k": 200_000,
        "dense1m": 1_000_000,
        "sparse_bow": 200_000,
        "sparse_bow_features": 2**18,
    },
    "quick": {
        "dense200k": 4_000,
        "dense1m": 8_000,
        "sparse_bow": 4_000,
        "sparse_bow_features": 2**14,
    },
}

WORKLOADS = (
    "digits",
    "dense200k_f64",
    "dense200k_f32",
    "dense1m_f32",
    "sparse_bow",
    "sparse_bow_f32",
)

TEST_FRACTION = 0.25


def make_digits():
    """Digits, 75/25 stratified split, StandardScaler fitted on the training part."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_FRACTION, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return (
        np.ascontiguousarray(scaler.transform(X_train)),
        y_train,
        np.ascontiguousarray(scaler.transform(X_test)),
        y_test,
    )


def _split(X, y):
    """First 75 % of the rows for training, the rest for testing (no copy)."""
    n_train = int(round(X.shape[0] * (1 - TEST_FRACTION)))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def make_dense(n_samples, n_features, *, n_classes=10, dtype=np.float64):
    """``make_classification`` data as in the issue, split 75/25.

    The generator shuffles the rows, so the first 75 % are a random sample.

    Returns
    -------
    X_train, y_train, X_test, y_test
        C-contiguous arrays of ``dtype``.
    """
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=64,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )
    if X.dtype != dtype:
        X = X.astype(dtype)
    return _split(np.ascontiguousarray(X), y)


def make_bow(
    n_samples,
    n_features=2**18,
    *,
    tokens_per_row=65,
    n_classes=20,
    zipf_exponent=1.0,
    zipf_offset=2.7,
    truth_fraction=0.125,
    truth_density=0.1,
    signal=30.0,
    dtype=np.float64,
    random_state=0,
):
    """A bag-of-words-like CSR problem with a sparse linear ground truth.

    Each row draws ``Poisson(tokens_per_row)`` tokens (at least one) from a
    Zipf-Mandelbrot distribution over the columns, ``p_j ~ (rank_j +
    zipf_offset) ** -zipf_exponent`` (ranks randomly permuted over the
    columns). Repeated tokens become counts; duplicates make the mean number
    of non-zeros per row about 60 for the defaults at 2**18 columns. Values are
    sublinear tf-idf, ``(1 + log(count)) * (log((1 + n) / (1 + df)) + 1)``,
    rows scaled to unit L2 norm.

    The ground truth ``W`` (n_classes x n_features) has standard-normal entries
    on a random ``truth_density`` fraction of the cells of the most frequent
    ``truth_fraction`` of the columns (2**15 of 2**18: columns seen from about
    20 to 10**5 times in 150k rows), zero elsewhere. Labels are drawn from
    ``softmax(signal * X @ W.T)`` with the Gumbel-max trick, so the Bayes
    accuracy is below one (about 0.8) and much of the signal sits on columns
    that occur in only a few hundred rows: per-sample SGD learns those faster
    than mean-gradient mini-batches do.

    Returns
    -------
    X_train, y_train, X_test, y_test
        CSR matrices of ``dtype`` (sorted indices, int32) and int labels.
    """
    rng = np.random.default_rng(random_state)
    lengths = np.maximum(rng.poisson(tokens_per_row, n_samples), 1)
    indptr = np.zeros(n_samples + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    n_tokens = int(indptr[-1])
    weights = (np.arange(n_features) + zipf_offset) ** -zipf_exponent
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    ranks = np.searchsorted(cdf, rng.random(n_tokens), side="right")
    np.minimum(ranks, n_features - 1, out=ranks)
    permutation = rng.permutation(n_features)
    columns = permutation[ranks]
    X = sp.csr_matrix(
        (np.ones(n_tokens), columns, indptr), shape=(n_samples, n_features)
    )
    X.sum_duplicates()  # counts, sorted indices
    df = np.bincount(X.indices, minlength=n_features)
    idf = np.log((1.0 + n_samples) / (1.0 + df)) + 1.0
    data = (1.0 + np.log(X.data)) * idf[X.indices]
    row_nnz = np.diff(X.indptr)
    norms = np.sqrt(np.add.reduceat(data * data, X.indptr[:-1]))
    data /= np.repeat(norms, row_nnz)
    X.data = data

    support = max(int(n_features * truth_fraction), 1)
    values = rng.standard_normal((n_classes, support))
    values *= rng.random((n_classes, support)) < truth_density
    truth = np.zeros((n_classes, n_features))
    truth[:, permutation[:support]] = values
    scores = np.asarray(X @ truth.T) * signal
    scores += rng.gumbel(size=scores.shape)
    y = scores.argmax(axis=1)
    X = X.astype(dtype)
    X.indices = X.indices.astype(np.int32, copy=False)
    X.indptr = X.indptr.astype(np.int32, copy=False)
    X_train, y_train, X_test, y_test = _split(X, y)
    return X_train.tocsr(), y_train, X_test.tocsr(), y_test


def build(name, quick=False):
    """Build the workload ``name`` (one of :data:`WORKLOADS`)."""
    if name not in WORKLOADS:
        raise ValueError(f"unknown workload {name!r}; choose from {WORKLOADS}")
    sizes = SIZES["quick" if quick else "full"]
    start = time.perf_counter()
    if name == "digits":
        arrays = make_digits()
        desc = "digits, StandardScaler'd, 75/25 stratified split"
    elif name.startswith("dense200k"):
        dtype = np.float32 if name.endswith("f32") else np.float64
        arrays = make_dense(sizes["dense200k"], 256, dtype=dtype)
        desc = (
            f"make_classification({sizes['dense200k']} x 256, n_informative=64, "
            f"10 classes, n_clusters_per_class=1), {np.dtype(dtype).name}"
        )
    elif name == "dense1m_f32":
        arrays = make_dense(sizes["dense1m"], 128, dtype=np.float32)
        desc = (
            f"make_classification({sizes['dense1m']} x 128, n_informative=64, "
            "10 classes, n_clusters_per_class=1), float32"
        )
    else:
        dtype = np.float32 if name.endswith("f32") else np.float64
        n_features = sizes["sparse_bow_features"]
        arrays = make_bow(sizes["sparse_bow"], n_features, dtype=dtype)
        desc = (
            f"bag-of-words CSR {sizes['sparse_bow']} x 2^{int(np.log2(n_features))}, "
            "Zipf columns, tf-idf rows, 20 classes from a sparse linear truth, "
            f"{np.dtype(dtype).name}"
        )
    return Workload(name, desc, *arrays, build_seconds=time.perf_counter() - start)


def floor_pass(X):
    """One streaming read of ``X``: ``X.sum()``; for CSR data and indices."""
    if sp.issparse(X):
        return float(X.data.sum()) + float(X.indices.sum())
    return float(X.sum())


def measure_floor(X, repeats=7):
    """Median wall time (seconds) of :func:`floor_pass` after one warm-up pass."""
    floor_pass(X)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        floor_pass(X)
        times.append(time.perf_counter() - start)
    return float(np.median(times))
