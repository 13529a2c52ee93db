"""Data-parallel training on local Dask workers: ParallelSGD and Incremental.

Trains ``SoftmaxSGD`` on a 10-class ``make_classification`` problem (float32)
held in a dask array, on a ``distributed.LocalCluster`` of 1 and of 2 worker
processes (one thread each), with

``ParallelSGD``
    :class:`sklearn_linsgd.dask.ParallelSGD` (iterative parameter mixing, one
    partition per worker): one round = one local pass over every partition,
    then a row-weighted average.
``Incremental``
    ``dask_ml.wrappers.Incremental``: one ``partial_fit`` call per round, which
    visits the blocks one after the other (a single sequential learner).

and, as the reference, ``fit`` on one machine without Dask (one round = one
epoch). Reports the training throughput (rows/s: rows processed divided by the
training time, excluding cluster start-up, the first imports on the workers,
moving the data to the workers and test scoring) and the test
accuracy after selected rounds.

Run ``python -m benchmarks.bench_dask`` (a few minutes) or ``--quick``.
Prints markdown tables and the BLAS in use.
"""

import argparse
import sys
import time

import numpy as np

ROUNDS_SHOWN = (1, 2, 5, 10, 20)


def make_data(n_train, n_test, n_features, seed=0):
    """A 10-class problem, float32, split into training and test rows."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_train + n_test,
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=10,
        n_clusters_per_class=1,
        class_sep=1.0,
        random_state=seed,
    )
    X = X.astype(np.float32)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def estimator():
    from sklearn_linsgd import SoftmaxSGD

    return SoftmaxSGD(batch_size=256, eta0=0.01, random_state=0)


def run_single(data, n_rounds):
    """Reference: ``partial_fit`` over the whole training set, once per round."""
    X, y, X_test, y_test = data
    est, classes = estimator(), np.unique(y)
    acc, train_seconds = [], 0.0
    for _ in range(n_rounds):
        start = time.perf_counter()
        est.partial_fit(X, y, classes=classes)
        train_seconds += time.perf_counter() - start
        acc.append(est.score(X_test, y_test))
    return {"rows_per_s": n_rounds * len(y) / train_seconds, "acc": acc}


def to_dask(client, X, y, n_blocks):
    """Dask arrays of ``n_blocks`` row blocks, scattered to the workers.

    Scattering rather than ``da.from_array`` keeps the data out of the task
    graph. Note that distributed may deserialize a block in place at an odd
    address (an unaligned float32 array), on which numpy's ``np.take`` (the
    estimators' batch gathering) is thousands of times slower; ``ParallelSGD``
    copies such a partition, ``Incremental`` passes it as it is.
    """
    import dask.array as da

    bounds = np.linspace(0, len(y), n_blocks + 1).astype(int)
    Xs = client.scatter([X[a:b] for a, b in zip(bounds[:-1], bounds[1:])])
    ys = client.scatter([y[a:b] for a, b in zip(bounds[:-1], bounds[1:])])
    sizes = np.diff(bounds)
    Xd = da.concatenate(
        [
            da.from_delayed(f, shape=(n, X.shape[1]), dtype=X.dtype)
            for f, n in zip(Xs, sizes)
        ]
    )
    yd = da.concatenate(
        [da.from_delayed(f, shape=(n,), dtype=y.dtype) for f, n in zip(ys, sizes)]
    )
    return Xd, yd


def run_parallel(client, data, n_rounds, n_workers):
    from sklearn_linsgd.dask import ParallelSGD

    X, y, X_test, y_test = data
    Xd, yd = to_dask(client, X, y, n_workers)
    acc, scoring = [], [0.0]

    def callback(n_round, est):
        start = time.perf_counter()
        acc.append(est.score(X_test, y_test))
        scoring[0] += time.perf_counter() - start

    model = ParallelSGD(
        estimator(), n_rounds=n_rounds, client=client, callback=callback
    )
    start = time.perf_counter()
    model.fit(Xd, yd)
    seconds = time.perf_counter() - start - scoring[0]
    return {
        "rows_per_s": n_rounds * len(y) / seconds,
        "acc": acc,
        "partitions": model.n_partitions_,
    }


def run_incremental(client, data, n_rounds, n_blocks):
    from dask_ml.wrappers import Incremental

    X, y, X_test, y_test = data
    Xd, yd = to_dask(client, X, y, n_blocks)
    classes = np.unique(y)
    inc = Incremental(estimator(), scoring="accuracy")
    acc, train_seconds = [], 0.0
    for _ in range(n_rounds):
        start = time.perf_counter()
        inc.partial_fit(Xd, yd, classes=classes)
        train_seconds += time.perf_counter() - start
        acc.append(inc.estimator_.score(X_test, y_test))
    return {
        "rows_per_s": n_rounds * len(y) / train_seconds,
        "acc": acc,
        "partitions": Xd.numblocks[0],
    }


def _warm_up():
    """Import the libraries on a worker (not to time the first imports)."""
    import sklearn_linsgd.dask  # noqa: F401

    try:
        import dask_ml.wrappers  # noqa: F401
    except ImportError:
        pass
    return True


def blas_info():
    """One line per BLAS/OpenMP library loaded, from threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed"]
    return [
        f"{i.get('internal_api')} {i.get('version')} ({i.get('threading_layer', '-')}"
        f", {i.get('num_threads')} threads): {i.get('filepath')}"
        for i in threadpool_info()
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=200_000)
    parser.add_argument("--n-test", type=int, default=20_000)
    parser.add_argument("--n-features", type=int, default=64)
    parser.add_argument("--n-rounds", type=int, default=10)
    parser.add_argument("--workers", default="1,2", help="comma-separated counts")
    parser.add_argument("--incremental-blocks", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_train, args.n_test, args.n_rounds = 6_000, 2_000, 3
        args.n_features = min(args.n_features, 20)

    from distributed import Client, LocalCluster

    data = make_data(args.n_train, args.n_test, args.n_features)
    print(
        f"Data: {args.n_train} training + {args.n_test} test rows, "
        f"{args.n_features} float32 features, 10 classes; "
        "SoftmaxSGD(batch_size=256, eta0=0.01)",
        flush=True,
    )
    results = [("one machine, no Dask (partial_fit per round)", 0, 1)]
    measured = [run_single(data, args.n_rounds)]
    for n_workers in (int(w) for w in args.workers.split(",")):
        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            client.run(_warm_up)
            startup = time.perf_counter() - start
            print(f"{n_workers} worker(s) started in {startup:.1f} s", flush=True)
            r = run_parallel(client, data, args.n_rounds, n_workers)
            results.append(("ParallelSGD", n_workers, r["partitions"]))
            measured.append(r)
            try:
                r = run_incremental(
                    client, data, args.n_rounds, args.incremental_blocks
                )
            except ImportError:
                print("dask-ml not installed: Incremental skipped", flush=True)
            else:
                results.append(("dask_ml Incremental", n_workers, r["partitions"]))
                measured.append(r)

    shown = [r for r in ROUNDS_SHOWN if r <= args.n_rounds]
    if args.n_rounds not in shown:
        shown.append(args.n_rounds)
    print()
    print(
        "Test accuracy after each number of rounds (one round = one pass over the "
        "training data) and training throughput."
    )
    print()
    header = "| method | workers | partitions | rows/s | " + " | ".join(
        f"acc @ {r}" for r in shown
    )
    print(header + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(shown))
    for (name, workers, partitions), r in zip(results, measured):
        accs = " | ".join(f"{r['acc'][k - 1]:.4f}" for k in shown)
        print(
            f"| {name} | {workers or '-'} | {partitions} | {r['rows_per_s']:,.0f} "
            f"| {accs} |"
        )
    print()
    print("BLAS (driver process; workers run one thread each):")
    for line in blas_info():
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
