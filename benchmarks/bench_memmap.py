"""Out-of-core benchmark: fitting a float32 memmap much larger than a memory budget.

Writes a float32 ``.npy`` file of ``--size-gb`` GB (default 4) with a 10-class
problem (Gaussian clusters), then fits one epoch over it in several ways, each
in a fresh process so that its peak resident memory (``VmHWM`` of
``/proc/self/status``, which counts the file pages mapped by a memmap) is its
own:

``in-memory slice``
    ``fit`` on a copy in memory of the first ``--slice-fraction`` of the rows
    (the throughput reference: a slice that fits).
``fit(memmap)``
    ``fit`` on the memmap, as the core does it today.
``partial_fit(memmap)``
    One ``partial_fit`` call on the whole memmap.
``fit(memmap), batch-wise check + page release (prototype A)``
    A prototype of a core change for ``fit``: the whole-array finiteness
    check is skipped (``sklearn.config_context(assume_finite=True)``) and
    replaced by a check of every gathered batch, and the pages of the memmap
    are released (``madvise(MADV_DONTNEED)``) every ``--release-every``
    batches. Implemented here by wrapping ``_reference.gather_rows``. Also run with
    ``shuffle="batches"`` (contiguous batches in a random order).
``fit(memmap), batch-wise check + preadv batches (prototype B)``
    The other prototype: the rows of each batch are copied from the file with
    ``os.preadv`` (see :class:`MemmapRowReader`), never through the mapping.
``fit_stream(iter_chunks)``
    :func:`sklearn_linsgd.streaming.fit_stream` over
    :func:`~sklearn_linsgd.streaming.iter_chunks` (contiguous 64 MiB chunks,
    pages released after each chunk), with and without the release.

Every variant makes one pass (``max_iter=1, tol=None``) with
``SoftmaxSGD(batch_size=256, learning_rate="constant", eta0=0.01)`` and reports
rows/s (per wall-clock second and per CPU second of the process: the machine
may be shared), peak RSS (MiB and as a fraction of the data file) and the
accuracy on a held-out test set in memory. By default the file is in the page
cache (it was just written); ``--cold`` drops it from the cache before every variant
(``posix_fadvise(POSIX_FADV_DONTNEED)``), so the pass reads from disk.

Run ``python -m benchmarks.bench_memmap`` (about 4 GB of disk, a few minutes)
or ``--quick`` (tiny, seconds). Prints a markdown table and the BLAS in use.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

N_CLASSES = 10
SEED = 0

# key -> label of the table
VARIANTS = {
    "slice": "in-memory slice: fit",
    "fit": "memmap: fit (core today)",
    "partial_fit": "memmap: partial_fit (core today)",
    "fit-release": "memmap: fit, batch-wise check + page release (prototype A)",
    "fit-pread": "memmap: fit, batch-wise check + preadv batches (prototype B)",
    "fit-batches": 'memmap: fit(shuffle="batches") (core today)',
    "fit-batches-release": 'memmap: fit(shuffle="batches"), batch-wise check + '
    "page release (prototype A)",
    "stream": "memmap: fit_stream(iter_chunks)",
    "stream-norelease": "memmap: fit_stream(iter_chunks(release=False))",
}


def peak_rss_bytes():
    """Peak resident set size of this process (``VmHWM``), in bytes."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def current_rss_bytes():
    """Current resident set size (``VmRSS``), in bytes (0 when unavailable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _centers(n_features):
    rng = np.random.default_rng(SEED)
    return rng.normal(scale=2.5 / np.sqrt(n_features), size=(N_CLASSES, n_features))


def _sample(rng, centers, n_rows):
    y = rng.integers(N_CLASSES, size=n_rows).astype(np.int8)
    X = centers[y] + rng.normal(size=(n_rows, centers.shape[1]))
    return X.astype(np.float32), y


def make_data(directory, size_gb, n_features, chunk_rows=65_536):
    """Write ``X.npy`` (float32 memmap), ``y.npy`` (int8) and an in-memory test set."""
    n_rows = max(int(size_gb * 1e9) // (4 * n_features), 2 * N_CLASSES)
    centers = _centers(n_features)
    rng = np.random.default_rng(SEED + 1)
    X = np.lib.format.open_memmap(
        os.path.join(directory, "X.npy"),
        mode="w+",
        dtype=np.float32,
        shape=(n_rows, n_features),
    )
    y = np.lib.format.open_memmap(
        os.path.join(directory, "y.npy"), mode="w+", dtype=np.int8, shape=(n_rows,)
    )
    for start in range(0, n_rows, chunk_rows):
        stop = min(start + chunk_rows, n_rows)
        X[start:stop], y[start:stop] = _sample(rng, centers, stop - start)
    X.flush()
    y.flush()
    del X, y
    X_test, y_test = _sample(np.random.default_rng(SEED + 2), centers, 20_000)
    np.save(os.path.join(directory, "X_test.npy"), X_test)
    np.save(os.path.join(directory, "y_test.npy"), y_test)
    return n_rows


def drop_from_page_cache(path):
    """Ask the kernel to drop the file's clean pages from the page cache."""
    if not hasattr(os, "posix_fadvise"):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


def _estimator():
    from sklearn_linsgd import SoftmaxSGD

    return SoftmaxSGD(
        batch_size=256,
        learning_rate="constant",
        eta0=0.01,
        max_iter=1,
        tol=None,
        random_state=0,
    )


def _prototype_release(release_every):
    """Wrap the core's batch gathering: batch-wise finiteness check + page release."""
    from sklearn_linsgd import _reference
    from sklearn_linsgd.streaming import release_pages

    original = _reference.gather_rows
    counter = [0]

    def gather_rows(X, idx, buffer=None):
        Xb = original(X, idx, buffer)
        with np.errstate(over="ignore"):
            if not np.isfinite(Xb.sum()):
                raise ValueError("Input X contains NaN or infinity.")
        counter[0] += 1
        if counter[0] % release_every == 0:
            release_pages(X)
        return Xb

    _reference.gather_rows = gather_rows


class MemmapRowReader:
    """Read rows of a C-contiguous memmap (or a view of one) with ``os.preadv``.

    The prototype of the proposed core change: the rows of a batch are copied
    from the file (usually from the page cache) into the batch buffer by
    ``preadv``, one call per run of consecutive row indices, without touching
    the mapping, so no file page is ever mapped into the process. Returns
    ``None`` from :meth:`for_array` when ``X`` is not a file-backed, C-contiguous
    memmap (the caller then gathers as usual).
    """

    def __init__(self, fd, offset, row_bytes, shape, dtype):
        self.fd, self.offset, self.row_bytes = fd, offset, row_bytes
        self.shape, self.dtype = shape, dtype

    @classmethod
    def for_array(cls, X):
        base = X
        while base is not None and not isinstance(base, np.memmap):
            base = getattr(base, "base", None)
        if base is None or base.filename is None or not X.flags.c_contiguous:
            return None
        start = X.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        fd = os.open(base.filename, os.O_RDONLY)
        row_bytes = X.dtype.itemsize * int(np.prod(X.shape[1:]))
        return cls(fd, base.offset + start, row_bytes, X.shape, X.dtype)

    def read(self, idx, out):
        idx = np.asarray(idx, dtype=np.int64)
        view = memoryview(out.reshape(-1).view(np.uint8))
        breaks = np.flatnonzero(np.diff(idx) != 1) + 1
        starts = [0, *breaks.tolist()]
        stops = [*breaks.tolist(), idx.size]
        rb = self.row_bytes
        for lo, hi in zip(starts, stops):
            want = (hi - lo) * rb
            got = os.preadv(
                self.fd, [view[lo * rb : hi * rb]], self.offset + int(idx[lo]) * rb
            )
            if got != want:
                raise OSError(f"short read: {got} of {want} bytes")
        return out


def _prototype_pread():
    """Wrap the core's batch gathering: memmap batches read by ``preadv``."""
    from sklearn_linsgd import _reference

    original = _reference.gather_rows
    readers = {}

    def gather_rows(X, idx, buffer=None):
        if isinstance(idx, slice) or not isinstance(X, np.ndarray):
            return original(X, idx, buffer)
        key = (X.__array_interface__["data"][0], X.shape)
        if key not in readers:
            readers[key] = MemmapRowReader.for_array(X)
        reader = readers[key]
        if reader is None:
            return original(X, idx, buffer)
        if buffer is not None and buffer.dtype == X.dtype:
            out = buffer[: len(idx)]
        else:
            out = np.empty((len(idx), *X.shape[1:]), dtype=X.dtype)
        reader.read(idx, out)
        with np.errstate(over="ignore"):
            if not np.isfinite(out.sum()):
                raise ValueError("Input X contains NaN or infinity.")
        return out

    _reference.gather_rows = gather_rows


def run_variant(variant, directory, slice_fraction, release_every):
    """Fit one variant in this process; return a dict of measurements."""
    import sklearn

    from sklearn_linsgd.streaming import fit_stream, iter_chunks

    X = np.load(os.path.join(directory, "X.npy"), mmap_mode="r")
    y = np.load(os.path.join(directory, "y.npy"), mmap_mode="r")
    X_test = np.load(os.path.join(directory, "X_test.npy"))
    y_test = np.load(os.path.join(directory, "y_test.npy"))
    classes = np.arange(N_CLASSES)
    est = _estimator()
    if variant == "slice":
        n = max(int(X.shape[0] * slice_fraction), 2 * N_CLASSES)
        X, y = np.array(X[:n]), np.array(y[:n])
    baseline = current_rss_bytes()
    cpu_start = time.process_time()
    start = time.perf_counter()
    if variant in ("slice", "fit"):
        est.fit(X, y)
    elif variant == "partial_fit":
        est.partial_fit(X, y, classes=classes)
    elif variant == "fit-release":
        _prototype_release(release_every)
        with sklearn.config_context(assume_finite=True):
            est.fit(X, y)
    elif variant == "fit-batches":
        est.set_params(shuffle="batches").fit(X, y)
    elif variant == "fit-batches-release":
        _prototype_release(release_every)
        with sklearn.config_context(assume_finite=True):
            est.set_params(shuffle="batches").fit(X, y)
    elif variant == "fit-pread":
        _prototype_pread()
        with sklearn.config_context(assume_finite=True):
            est.fit(X, y)
    elif variant == "stream":
        fit_stream(est, iter_chunks(X, y), classes=classes)
    elif variant == "stream-norelease":
        fit_stream(est, iter_chunks(X, y, release=False), classes=classes)
    else:
        raise ValueError(f"unknown variant {variant!r}")
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    return {
        "cpu_seconds": cpu_seconds,
        "variant": VARIANTS[variant],
        "rows": int(X.shape[0]),
        "data_bytes": int(X.nbytes),
        "seconds": seconds,
        "baseline_rss": baseline,
        "peak_rss": peak_rss_bytes(),
        "accuracy": float(est.score(X_test, y_test)),
    }


def blas_info():
    """One line per BLAS/OpenMP library loaded, from threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed"]
    import numpy  # noqa: F401  (load numpy's BLAS before asking)

    return [
        f"{i.get('internal_api')} {i.get('version')} ({i.get('threading_layer', '-')}"
        f", {i.get('num_threads')} threads): {i.get('filepath')}"
        for i in threadpool_info()
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=4.0, help="data file size")
    parser.add_argument("--n-features", type=int, default=256)
    parser.add_argument("--slice-fraction", type=float, default=0.1)
    parser.add_argument(
        "--release-every",
        type=int,
        default=64,
        help="batches between page releases in the fit prototype",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="drop the file from the page cache before each variant",
    )
    parser.add_argument("--dir", default=None, help="where to write the data")
    parser.add_argument("--keep", action="store_true", help="keep the data file")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated subset of {', '.join(VARIANTS)}",
    )
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker is not None:  # child process: one variant, JSON on stdout
        result = run_variant(
            args.worker, args.dir, args.slice_fraction, args.release_every
        )
        print(json.dumps(result))
        return 0

    if args.quick:
        args.size_gb = min(args.size_gb, 0.05)
        args.n_features = min(args.n_features, 64)
    directory = tempfile.mkdtemp(prefix="bench_memmap_", dir=args.dir)
    try:
        start = time.perf_counter()
        n_rows = make_data(directory, args.size_gb, args.n_features)
        data_bytes = n_rows * args.n_features * 4
        print(
            f"Data: {n_rows} x {args.n_features} float32 memmap, "
            f"{data_bytes / 2**30:.2f} GiB, {N_CLASSES} classes, written in "
            f"{time.perf_counter() - start:.1f} s to {directory}",
            flush=True,
        )
        rows = []
        for variant in args.variants.split(","):
            if args.cold:
                drop_from_page_cache(os.path.join(directory, "X.npy"))
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.bench_memmap",
                "--worker",
                variant,
                "--dir",
                directory,
                "--slice-fraction",
                str(args.slice_fraction),
                "--release-every",
                str(args.release_every),
            ]
            out = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                check=False,
                cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            )
            if out.returncode != 0:
                print(f"{variant}: failed\n{out.stderr}", file=sys.stderr)
                continue
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  done: {variant}", file=sys.stderr, flush=True)
        print()
        print(
            f"Float32 memmap of {data_bytes / 2**30:.2f} GiB ({n_rows} x "
            f"{args.n_features}), one epoch, SoftmaxSGD(batch_size=256), page cache "
            f"{'cold' if args.cold else 'warm'}. Peak RSS = VmHWM of the fitting "
            "process (includes mapped file pages); fraction = peak RSS / data file."
        )
        print()
        print(
            "| variant | rows | s | rows/s | CPU s | rows/CPU s "
            "| RSS before fit (MiB) | peak RSS (MiB) "
            "| peak RSS / data | (peak - before) / data | test accuracy |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['variant']} | {r['rows']} | {r['seconds']:.1f} "
                f"| {r['rows'] / r['seconds']:,.0f} | {r['cpu_seconds']:.1f} "
                f"| {r['rows'] / r['cpu_seconds']:,.0f} "
                f"| {r['baseline_rss'] / 2**20:.0f} "
                f"| {r['peak_rss'] / 2**20:.0f} "
                f"| {100 * r['peak_rss'] / data_bytes:.1f} % "
                f"| {100 * (r['peak_rss'] - r['baseline_rss']) / data_bytes:.1f} % "
                f"| {r['accuracy']:.4f} |"
            )
        print()
        print("BLAS:")
        for line in blas_info():
            print(f"- {line}")
    finally:
        if args.keep:
            print(f"Data kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
