"""Soak benchmark: many ``partial_fit`` calls on small chunks.

A model retrained by a stream runs ``partial_fit`` millions of times, so the
cost of one call must not grow with the number of calls made, and neither may
the memory the estimator holds. This benchmark makes ``--calls`` (default
10 000) ``partial_fit`` calls on small chunks (32 rows, 20 features, 5 classes,
cycled from a fixed pool so that making data costs nothing) for a few estimator
configurations and reports, per window of ``--window`` calls:

* the time per call (wall-clock mean and median, and the median CPU time of
  the calling thread, which a busy machine disturbs much less), measured in a
  run without tracemalloc;
* the Python memory traced by :mod:`tracemalloc` at the end of the window
  (after a garbage collection), measured in a second, identical run; and how
  much of it is ``loss_curve_``, which by design grows by one float per call
  (as ``MLPClassifier``'s does).

The summary compares the first and the last window: the goal is a CPU time
ratio close to 1 and no memory growth beyond ``loss_curve_``.

Run ``python -m benchmarks.bench_soak`` (60 000 calls in all: minutes) or
``--quick`` (2 000 calls per configuration). Prints markdown tables and the
BLAS in use (threadpoolctl).
"""

import argparse
import gc
import platform
import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

CHUNK_ROWS = 32
N_FEATURES = 20
N_CLASSES = 5
POOL = 64  # distinct chunks, cycled


def make_chunks(sparse=False, seed=0):
    """A pool of small, easy chunks (Gaussian clusters), all classes mixed."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.0, size=(N_CLASSES, N_FEATURES))
    chunks = []
    for _ in range(POOL):
        y = rng.integers(0, N_CLASSES, CHUNK_ROWS)
        X = centers[y] + rng.normal(size=(CHUNK_ROWS, N_FEATURES))
        if sparse:
            X[np.abs(X) < 1.0] = 0.0
            X = sp.csr_matrix(X)
        chunks.append((X, y))
    return chunks


def configurations():
    """``name -> (factory, sparse)`` of the soaked estimators."""
    from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD

    return {
        "LinearSVMSGD, dense": (
            lambda: LinearSVMSGD(batch_size=16, random_state=0),
            False,
        ),
        "SoftmaxSGD momentum+average, dense": (
            lambda: SoftmaxSGD(
                batch_size=16, momentum=0.9, average=True, random_state=0
            ),
            False,
        ),
        "SoftmaxSGD, CSR": (lambda: SoftmaxSGD(batch_size=16, random_state=0), True),
    }


def _loss_curve_bytes(est):
    curve = getattr(est, "loss_curve_", [])
    return sys.getsizeof(curve) + sum(sys.getsizeof(v) for v in curve)


def soak_times(factory, chunks, n_calls):
    """Wall-clock and CPU (this thread's) seconds per call (no tracemalloc).

    The CPU time of the calling thread hardly changes when other processes
    compete for the cores, so it shows a trend on a busy machine too.
    """
    classes = np.arange(N_CLASSES)
    est = factory()
    wall, cpu = np.empty(n_calls), np.empty(n_calls)
    for i in range(n_calls):
        X, y = chunks[i % len(chunks)]
        start, start_cpu = time.perf_counter(), time.thread_time()
        est.partial_fit(X, y, classes=classes)
        cpu[i] = time.thread_time() - start_cpu
        wall[i] = time.perf_counter() - start
    assert np.isfinite(est.coef_).all()
    return wall, cpu


def soak_memory(factory, chunks, n_calls, window):
    """``(calls, traced bytes, loss_curve_ bytes)`` at the end of each window."""
    classes = np.arange(N_CLASSES)
    est = factory()
    rows = []
    tracemalloc.start()
    try:
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        for i in range(n_calls):
            X, y = chunks[i % len(chunks)]
            est.partial_fit(X, y, classes=classes)
            if (i + 1) % window == 0 or i + 1 == n_calls:
                gc.collect()  # count live memory, not garbage awaiting the GC
                current = tracemalloc.get_traced_memory()[0] - base
                rows.append((i + 1, current, _loss_curve_bytes(est)))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return rows, peak


def blas_info():
    """One line per BLAS/OpenMP library loaded, from threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed"]
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS too)

    return [
        f"{i.get('internal_api')} {i.get('version')} "
        f"({i.get('threading_layer', 'n/a')} threading, "
        f"{i.get('num_threads')} threads): {i.get('filepath')}"
        for i in threadpool_info()
    ] or ["no BLAS found by threadpoolctl"]


def run(n_calls, window):
    import sklearn

    import sklearn_linsgd

    print("# partial_fit soak\n")
    print(
        f"{n_calls} calls per configuration on chunks of {CHUNK_ROWS} rows x "
        f"{N_FEATURES} features, {N_CLASSES} classes (a pool of {POOL} chunks, "
        f"cycled); windows of {window} calls.\n"
    )
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklearn_linsgd "
        f"{sklearn_linsgd.__version__}, {platform.machine()}\n"
    )
    print("BLAS:\n")
    for line in blas_info():
        print(f"- {line}")
    print()
    summary = []
    for name, (factory, sparse) in configurations().items():
        chunks = make_chunks(sparse=sparse)
        factory().partial_fit(*chunks[0], classes=np.arange(N_CLASSES))  # warm up
        wall, cpu = soak_times(factory, chunks, n_calls)
        mem_rows, peak = soak_memory(factory, chunks, n_calls, window)
        print(f"## {name}\n")
        print(
            "| calls | wall us/call (mean) | wall us/call (median) "
            "| CPU us/call (median) | traced memory (KiB) "
            "| of which loss_curve_ (KiB) |"
        )
        print("|---:|---:|---:|---:|---:|---:|")
        for calls, current, curve in mem_rows:
            w = wall[max(calls - window, 0) : calls]
            c = cpu[max(calls - window, 0) : calls]
            print(
                f"| {calls} | {1e6 * w.mean():.0f} | {1e6 * np.median(w):.0f} "
                f"| {1e6 * np.median(c):.0f} | {current / 1024:.1f} "
                f"| {curve / 1024:.1f} |"
            )
        print(f"\nPeak traced memory: {peak / 1024:.1f} KiB.\n", flush=True)
        first, last = np.median(cpu[:window]), np.median(cpu[-window:])
        (c0, m0, l0), (c1, m1, l1) = mem_rows[0], mem_rows[-1]
        growth = m1 - m0
        other = growth - (l1 - l0)
        summary.append(
            (
                name,
                1e6 * np.median(wall[:window]),
                1e6 * np.median(wall[-window:]),
                1e6 * first,
                1e6 * last,
                last / first,
                growth / 1024,
                other / 1024,
                other / max(c1 - c0, 1),
            )
        )
    print("## Summary\n")
    print(
        f"Median us/call over the first and the last {window} calls; memory "
        "growth from the end of the first window to the end of the run.\n"
    )
    print(
        "| configuration | wall first | wall last | CPU first | CPU last "
        "| CPU last / first | memory growth (KiB) | excluding loss_curve_ (KiB) "
        "| excluding loss_curve_ (bytes/call) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in summary:
        print(
            "| {} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.2f} | {:.1f} | {:.1f} "
            "| {:.2f} |".format(*row)
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 000 calls instead of 10 000"
    )
    parser.add_argument("--calls", type=int, default=None, help="calls per config")
    parser.add_argument("--window", type=int, default=1000, help="calls per window")
    args = parser.parse_args(argv)
    n_calls = args.calls or (2000 if args.quick else 10_000)
    window = min(args.window, n_calls)
    run(n_calls, window)


if __name__ == "__main__":
    main()
