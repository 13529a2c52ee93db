"""Out-of-core training: ``partial_fit`` over a stream of chunks.

Two tools for data that does not fit in memory on one machine:

- :func:`fit_stream` trains an estimator with ``partial_fit`` over an iterable of
  ``(X_chunk, y_chunk)`` pairs (for example a generator that reads files), or of
  pandas DataFrames with a label column (``pd.read_csv(path, chunksize=...)``),
  for one or several passes;
- :func:`iter_chunks` cuts an array that lives on disk (an :class:`numpy.memmap`,
  or any array or CSR matrix) into contiguous row chunks and, for a memmap,
  releases the pages of each chunk from the process once it has been used, so
  that the resident memory stays of the order of one chunk.

Memory is then bounded by the chunk size and the batch size, not by the data
size. See the "Scaling" page of the documentation for which tool fits which
size of data.
"""

import mmap
import sys
import time
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["fit_stream", "iter_chunks", "release_pages"]

# Target size of an automatic chunk: large enough that the per-call overhead of
# partial_fit is negligible, small enough to be a fraction of any memory budget.
_AUTO_CHUNK_BYTES = 64 * 2**20


def fit_stream(estimator, chunks, *, classes=None, target=None, n_passes=1, verbose=0):
    """Train an estimator with ``partial_fit`` over a stream of chunks.

    Each pass calls ``estimator.partial_fit(X_chunk, y_chunk, classes=classes)``
    once per chunk, in the order the chunks arrive, so only one chunk needs to
    be in memory at a time. The step-size counter ``t_`` continues across
    chunks and passes, as with any sequence of ``partial_fit`` calls; an
    estimator that is already fitted is trained further (pass
    ``sklearn.base.clone(estimator)`` to start over).

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        For example :class:`~sklearn_linsgd.LinearSVMSGD` or
        :class:`~sklearn_linsgd.SoftmaxSGD`; it is modified in place.
    chunks : iterable or callable
        The data: an iterable of ``(X_chunk, y_chunk)`` or
        ``(X_chunk, y_chunk, sample_weight_chunk)`` tuples, or, with
        ``target``, of :class:`pandas.DataFrame` chunks (such as the reader
        returned by ``pd.read_csv(path, chunksize=...)``); or a callable
        without arguments that returns a fresh such iterable for every pass.
        A one-shot iterator (such as a generator or a ``read_csv`` reader) can
        only be consumed once, so with ``n_passes > 1`` pass a callable
        (``lambda: pd.read_csv(path, chunksize=10_000)``) or a re-iterable
        container such as a list. An iterable that a callable returns is
        closed after its pass if it has a ``close`` method.
    classes : array-like of shape (n_classes,)
        Every label that can occur in the whole stream; passed to every
        ``partial_fit`` call. Required: a chunk may lack some labels, so they
        cannot be learned from the chunks.
    target : str or other column label, default=None
        For DataFrame chunks: the column that holds the labels. Each chunk
        ``df`` is trained on as ``X = df.drop(columns=target)``,
        ``y = df[target]``; the feature columns must be the same, in the same
        order, in every chunk, and become the estimator's
        ``feature_names_in_``. Leave it None for tuple chunks.
    n_passes : int, default=1
        Number of passes over the stream.
    verbose : int, default=0
        ``0`` is silent; ``1`` prints one line per pass (chunks, rows, mean
        objective, time, rows per second); ``2`` also prints one line per chunk.

    Returns
    -------
    estimator : estimator
        The trained estimator (the same object).

    Raises
    ------
    ValueError
        If ``classes`` is missing, if ``chunks`` is a one-shot iterator and
        ``n_passes > 1``, if a pass yields no chunk, if a chunk is not an
        ``(X, y)`` or ``(X, y, sample_weight)`` tuple (without ``target``) or
        not a DataFrame with the ``target`` column (with ``target``), or if
        the feature columns of a DataFrame chunk differ from the first one's.

    See Also
    --------
    iter_chunks : Contiguous row chunks of an array or memmap, releasing the
        pages of each memmap chunk after use.
    sklearn_linsgd.dask.ParallelSGD : Data-parallel training on a Dask cluster.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_linsgd import SoftmaxSGD
    >>> from sklearn_linsgd.streaming import fit_stream
    >>> X, y = make_classification(n_samples=600, n_informative=4, n_classes=3,
    ...                            random_state=0)
    >>> def read_chunks():  # stands for reading files one by one
    ...     for start in range(0, len(X), 200):
    ...         yield X[start:start + 200], y[start:start + 200]
    >>> clf = fit_stream(SoftmaxSGD(random_state=0), read_chunks,
    ...                  classes=[0, 1, 2], n_passes=5)
    >>> clf.t_  # 5 passes x 3 chunks x 1 batch of <= 256 rows
    15
    >>> round(clf.score(X, y), 2)
    0.7...

    DataFrame chunks of a CSV file, with the labels in the column ``"label"``
    (``io.StringIO`` stands for the path of the file):

    >>> import io
    >>> import pandas as pd
    >>> csv = "x1,x2,label\\n" + "".join(
    ...     f"{a:.3f},{b:.3f},{int(a + b > 0)}\\n"
    ...     for a, b in np.random.default_rng(0).normal(size=(500, 2)))
    >>> def read_csv():  # a fresh reader for every pass
    ...     return pd.read_csv(io.StringIO(csv), chunksize=100)
    >>> classes = pd.read_csv(io.StringIO(csv), usecols=["label"])["label"].unique()
    >>> clf = fit_stream(SoftmaxSGD(random_state=0), read_csv, target="label",
    ...                  classes=classes, n_passes=3)
    >>> clf.t_, clf.feature_names_in_.tolist()  # 3 passes x 5 chunks
    (15, ['x1', 'x2'])
    >>> frame = pd.read_csv(io.StringIO(csv))
    >>> clf.score(frame.drop(columns="label"), frame["label"]) > 0.9
    True
    """
    if not (isinstance(n_passes, Integral) and not isinstance(n_passes, bool)):
        raise TypeError(f"n_passes must be an int >= 1, got {n_passes!r}.")
    if n_passes < 1:
        raise ValueError(f"n_passes must be an int >= 1, got {n_passes!r}.")
    if classes is None:
        raise ValueError(_missing_classes_message(target))
    if not callable(chunks) and n_passes > 1 and _is_one_shot(chunks):
        raise ValueError(
            f"chunks is a one-shot iterator ({type(chunks).__name__}), which can be "
            f"consumed only once, but n_passes={n_passes}. Pass a callable that "
            "returns a fresh iterable for each pass (e.g. `lambda: "
            "read_chunks(path)` instead of `read_chunks(path)`, or `lambda: "
            "pd.read_csv(path, chunksize=10_000)`) or a list."
        )
    classes = np.asarray(classes)
    columns = None  # the feature columns of the first DataFrame chunk
    for n_pass in range(1, n_passes + 1):
        stream = chunks() if callable(chunks) else chunks
        start = time.time()
        n_chunks = n_rows = 0
        weighted_objective = 0.0
        try:
            for item in stream:
                X_chunk, y_chunk, sw_chunk = _unpack(item, n_chunks, target)
                if target is not None:
                    columns = _check_columns(X_chunk, columns, n_pass, n_chunks)
                estimator.partial_fit(
                    X_chunk, y_chunk, classes=classes, sample_weight=sw_chunk
                )
                rows = _num_rows(X_chunk)
                n_chunks += 1
                n_rows += rows
                objective = _last_objective(estimator)
                weighted_objective += objective * rows
                if verbose >= 2:
                    print(
                        f"   pass {n_pass}, chunk {n_chunks}: {rows} rows, "
                        f"objective {objective:.6g}",
                        flush=True,
                    )
        finally:
            if callable(chunks) and hasattr(stream, "close"):
                stream.close()  # e.g. the file of a read_csv reader
        if n_chunks == 0:
            raise ValueError(_empty_pass_message(chunks, n_pass, n_passes))
        if verbose:
            elapsed = time.time() - start
            rate = n_rows / elapsed if elapsed > 0 else float("inf")
            print(
                f"-- Pass {n_pass}/{n_passes}: {n_chunks} chunks, {n_rows} rows, "
                f"objective {weighted_objective / n_rows:.6g}, "
                f"{elapsed:.2f} s, {rate:.0f} rows/s",
                flush=True,
            )
    return estimator


def _missing_classes_message(target):
    if target is None:
        how = "np.unique(y_all) of all the labels, read once, or np.arange(n_classes)"
    else:
        how = (
            f"the unique values of the {target!r} column, read once: e.g. "
            f"classes=pd.read_csv(path, usecols=[{target!r}])[{target!r}].unique() "
            "(this reads only that column)"
        )
    return (
        "classes is required: partial_fit needs every label of the whole stream "
        "up front, on its first call, since a chunk may lack some of them and a "
        f"label first met in a later chunk could not be added. Get them with {how}."
    )


def _is_one_shot(chunks):
    """Whether iterating over ``chunks`` consumes it (an iterator, a reader)."""
    if iter(chunks) is chunks:
        return True
    # A pandas read_csv reader iterates over its file: one pass only (older
    # pandas return a new generator from ``iter`` on every call).
    return type(chunks).__name__ == "TextFileReader" and hasattr(chunks, "get_chunk")


def _empty_pass_message(chunks, n_pass, n_passes):
    if n_pass > 1 and not callable(chunks):
        return (
            f"Pass {n_pass} of {n_passes} got no chunks: chunks "
            f"({type(chunks).__name__}) was used up by the first pass, as a "
            "one-shot iterator (a generator, a file, a pd.read_csv(..., "
            "chunksize=...) reader) is. Pass a callable that returns a fresh "
            "iterable for each pass, e.g. `lambda: pd.read_csv(path, "
            "chunksize=10_000)`, or a list."
        )
    return (
        f"Pass {n_pass} of {n_passes} got no chunks. If chunks is a callable, "
        "it must return a fresh iterable on each call (not the same, "
        "already consumed, generator or reader)."
    )


def _is_dataframe(item):
    pd = sys.modules.get("pandas")  # a chunk can only be one if pandas is loaded
    return pd is not None and isinstance(item, pd.DataFrame)


def _unpack(item, index, target=None):
    if _is_dataframe(item):
        if target is None:
            raise ValueError(
                f"Chunk {index} is a DataFrame; pass target=<name of the label "
                "column> (e.g. fit_stream(est, pd.read_csv(path, chunksize=...), "
                "target='label', classes=...)) to train on X = "
                "df.drop(columns=target), y = df[target], or yield (X_chunk, "
                "y_chunk) tuples."
            )
        if target not in item.columns:
            raise ValueError(
                f"Chunk {index} has no target column {target!r}; its columns "
                f"are {list(item.columns)}. Pass the name of the label column "
                "as target."
            )
        return item.drop(columns=target), item[target], None
    if target is not None:
        raise ValueError(
            f"target={target!r} was given but chunk {index} is a "
            f"{type(item).__name__}, not a pandas DataFrame. Pass target only "
            "with DataFrame chunks; for (X_chunk, y_chunk) tuples leave it None."
        )
    if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
        raise ValueError(
            f"Chunk {index} is a {type(item).__name__}; each chunk must be a tuple "
            "(X_chunk, y_chunk) or (X_chunk, y_chunk, sample_weight_chunk), or a "
            "pandas DataFrame with target=<name of the label column>."
        )
    if len(item) == 2:
        return item[0], item[1], None
    return tuple(item)


def _check_columns(X_chunk, columns, n_pass, index):
    """The feature columns of the first DataFrame chunk; later ones must match."""
    current = list(X_chunk.columns)
    if columns is not None and current != columns:
        raise ValueError(
            f"Chunk {index} of pass {n_pass} has the feature columns {current}, "
            f"but the first chunk had {columns}: every chunk must have the same "
            "columns in the same order."
        )
    return current


def _num_rows(X):
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def _last_objective(estimator):
    curve = getattr(estimator, "loss_curve_", None)
    return float(curve[-1]) if curve else float("nan")


def iter_chunks(
    X,
    y,
    *,
    sample_weight=None,
    chunk_size=None,
    shuffle=False,
    random_state=None,
    release=True,
):
    """Yield contiguous row chunks of ``(X, y)``, releasing memmap pages after use.

    Reading a :class:`numpy.memmap` maps the pages it touches into the process,
    and they count in its resident memory (RSS) until the process lets them go.
    With ``release=True`` the pages of each memmap chunk are given back to the
    operating system (``madvise(MADV_DONTNEED)``; the file and the page cache
    are untouched) when the next chunk is requested, so a pass over a file of
    any size keeps about one chunk resident. Use it with :func:`fit_stream`.

    Parameters
    ----------
    X : {ndarray, memmap, sparse matrix} of shape (n_samples, n_features)
        The data; chunks are views (row slices), never copies.
    y : array-like of shape (n_samples,)
        The labels (may be a memmap too).
    sample_weight : array-like of shape (n_samples,), default=None
        When given, chunks are ``(X_chunk, y_chunk, sample_weight_chunk)``.
    chunk_size : int, default=None
        Rows per chunk; ``None`` picks about 64 MiB of ``X`` per chunk.
    shuffle : bool, default=False
        Visit the chunks in a random order (rows within a chunk keep their
        order; the estimator's own ``shuffle`` permutes them inside
        ``partial_fit``). Contiguous chunks keep disk reads sequential.
    random_state : int, RandomState instance or None, default=None
        The chunk order when ``shuffle=True``. Pass a ``RandomState`` instance
        to get a different order on every call (every pass).
    release : bool, default=True
        Release the pages of each memmap chunk of ``X`` and ``y`` once the
        consumer asks for the next chunk (and after the last one). No effect
        on arrays in memory or on copy-on-write (``mode="c"``) memmaps, and on
        platforms without ``madvise``.

    Yields
    ------
    chunk : tuple
        ``(X_chunk, y_chunk)``, or ``(X_chunk, y_chunk, sample_weight_chunk)``.

    See Also
    --------
    fit_stream : Train with ``partial_fit`` over the chunks.
    release_pages : Release the resident pages of a memmap.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn_linsgd import LinearSVMSGD
    >>> from sklearn_linsgd.streaming import fit_stream, iter_chunks
    >>> rng = np.random.default_rng(0)
    >>> path = os.path.join(tempfile.mkdtemp(), "X.npy")
    >>> X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
    ...                               shape=(1000, 5))
    >>> X[:] = rng.normal(size=(1000, 5))
    >>> X.flush()
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> X = np.load(path, mmap_mode="r")  # read-only memmap
    >>> [len(Xc) for Xc, yc in iter_chunks(X, y, chunk_size=400)]
    [400, 400, 200]
    >>> clf = fit_stream(LinearSVMSGD(random_state=0),
    ...                  lambda: iter_chunks(X, y, chunk_size=400),
    ...                  classes=[0, 1], n_passes=3)
    >>> clf.score(X, y) > 0.9
    True
    """
    n_samples = _num_rows(X)
    if _num_rows(y) != n_samples:
        raise ValueError(
            f"X and y have different numbers of rows: {n_samples} and {_num_rows(y)}."
        )
    if sample_weight is not None and _num_rows(sample_weight) != n_samples:
        raise ValueError(
            f"X and sample_weight have different numbers of rows: {n_samples} and "
            f"{_num_rows(sample_weight)}."
        )
    if chunk_size is None:
        row_bytes = _row_bytes(X)
        chunk_size = max(1, _AUTO_CHUNK_BYTES // max(row_bytes, 1))
    elif not (isinstance(chunk_size, Integral) and chunk_size >= 1):
        raise ValueError(f"chunk_size must be an int >= 1 or None, got {chunk_size!r}.")
    starts = np.arange(0, n_samples, chunk_size)
    if shuffle:
        starts = check_random_state(random_state).permutation(starts)
    return _generate_chunks(X, y, sample_weight, starts, int(chunk_size), release)


def _generate_chunks(X, y, sample_weight, starts, chunk_size, release):
    try:
        for start in starts:
            rows = slice(int(start), int(start) + chunk_size)
            if sample_weight is None:
                yield X[rows], y[rows]
            else:
                yield X[rows], y[rows], sample_weight[rows]
            if release:
                release_pages(X)
                release_pages(y)
    finally:
        if release:
            release_pages(X)
            release_pages(y)


def _row_bytes(X):
    if hasattr(X, "nnz"):  # sparse: the stored values and indices of a mean row
        return max(1, (X.data.nbytes + X.indices.nbytes) // max(X.shape[0], 1))
    shape = np.shape(X)
    n_features = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return n_features * np.asarray(X[:0]).dtype.itemsize


def _find_mmap(a):
    """The :class:`mmap.mmap` under ``a`` and whether it is safe to drop pages.

    Walks the ``.base`` chain of numpy views; a ``np.memmap`` in copy-on-write
    mode (``"c"``) keeps private changes in its pages, so it is never released.
    """
    base, shared = a, True
    for _ in range(64):  # views of views: the chain is short, but bound it
        if base is None:
            return None, False
        if isinstance(base, mmap.mmap):
            return base, shared
        if isinstance(base, np.memmap) and getattr(base, "mode", None) == "c":
            shared = False
        base = getattr(base, "base", None)
    return None, False


def release_pages(a):
    """Give the resident pages of a memmap back to the operating system.

    Calls ``madvise(MADV_DONTNEED)`` on the whole file mapping under ``a`` (a
    :class:`numpy.memmap` or any view of one). The data are not changed: the
    mapping is shared with the file, so the pages are read again (usually from
    the page cache) when next accessed, and pages written through an ``"r+"``
    or ``"w+"`` memmap stay in the file. Resident memory (RSS) drops by the
    released pages.

    Parameters
    ----------
    a : object
        A memmap or a view of one. Anything else (an array in memory, a sparse
        matrix, a list, a copy-on-write ``mode="c"`` memmap) is left alone, as
        on platforms without ``madvise``.

    Returns
    -------
    released : bool
        Whether pages were released.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn_linsgd.streaming import release_pages
    >>> path = os.path.join(tempfile.mkdtemp(), "a.dat")
    >>> a = np.memmap(path, dtype=np.float64, mode="w+", shape=(1000,))
    >>> a[:] = 1.0
    >>> release_pages(a[10:20]), float(a.sum())
    (True, 1000.0)
    >>> release_pages(np.ones(3))
    False
    """
    if not isinstance(a, np.ndarray) or not hasattr(mmap, "MADV_DONTNEED"):
        return False
    mm, shared = _find_mmap(a)
    if mm is None or not shared or mm.closed:
        return False
    try:
        mm.madvise(mmap.MADV_DONTNEED)
    except (OSError, ValueError):
        return False
    return True
