"""Run the benchmark suite and write ``RESULTS.md``, figures and raw JSON.

Usage::

    python -m benchmarks.run [--quick] [--workloads NAME ...] [--out DIR]
                             [--estimators SUBSTRING ...] [--timeout SECONDS]
                             [--blas-threads N] [--report-only]

The suite is split by job:

* :mod:`benchmarks.workloads` builds the deterministic data sets;
* :mod:`benchmarks.specs` lists the rows run on each workload (our estimators
  and scikit-learn's, the run modes' epochs, repeats and timeouts);
* :mod:`benchmarks.runners` runs and measures the rows (time, peak memory,
  test accuracy, training objective);
* :mod:`benchmarks.report` writes ``RESULTS.md`` and draws the figures;
* this module parses the command line and orchestrates.

Process layout (every fit starts from a clean heap, and the memory it adds can
be read from the kernel's peak-RSS mark):

* the main process only orchestrates, writes the report and draws;
* each workload runs in a fresh ``spawn`` process that imports the libraries
  and builds the data once;
* each row (one estimator configuration) runs in a ``fork`` child of that
  workload process: after a small warm-up fit (lazy imports) it resets the
  kernel's peak-RSS mark, measures the memory floor (median of ``X.sum()``
  passes over the same ``X_train``), fits the repeats, reads the peak memory
  the fits added (:class:`~benchmarks.runners.PeakMemory`), then evaluates
  test accuracy and the training objective, and sends the numbers back
  through a pipe.
"""

import argparse
import json
import multiprocessing as mp
import os
import time

from benchmarks.report import (
    machine_info,
    plot_workload,
    report_from_json,
    write_report,
)
from benchmarks.specs import MODES

__all__ = ["machine_info", "main"]


def build_parser():
    """The command line's parser (see the module docstring for the usage)."""
    from benchmarks.workloads import WORKLOADS

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few repeats")
    parser.add_argument(
        "--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS)
    )
    parser.add_argument(
        "--estimators",
        nargs="+",
        help="only rows whose key contains one of these (the SGDClassifier(hinge) "
        "reference rows and LogisticRegression(lbfgs) always run)",
    )
    parser.add_argument("--out", default=os.path.join("benchmarks", "results"))
    parser.add_argument("--timeout", type=float, help="seconds per row")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only rewrite RESULTS.md and the figures from OUT/results.json",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads in the fits (default 1, as SGDClassifier runs on one "
        "core; 0 keeps the library default)",
    )
    return parser


def main(argv=None):
    """Command-line entry point.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    list of dict
        The workloads' result dicts, as written to ``results.json``.
    """
    args = build_parser().parse_args(argv)
    if args.report_only:
        return report_from_json(args.out)
    mode = "quick" if args.quick else "full"
    opts = dict(MODES[mode])
    if args.timeout:
        opts["timeout"] = opts["default_timeout"] = args.timeout
    opts["estimators"] = args.estimators
    opts["blas_threads"] = args.blas_threads or None
    os.makedirs(args.out, exist_ok=True)

    info = machine_info()
    info["blas_threads"] = args.blas_threads or None
    print(
        f"benchmarks ({mode}): {', '.join(args.workloads)}; "
        f"OPENBLAS env: {info['env']}",
        flush=True,
    )
    start = time.perf_counter()
    workloads, figures = [], {}
    for name in args.workloads:
        result = run_in_process(name, mode, opts)
        workloads.append(result)
        if "error" not in result:
            fig = f"{name}.png"
            try:
                plot_workload(result, os.path.join(args.out, fig))
                figures[name] = fig
            except Exception as exc:  # a figure is not worth the run
                print(f"[{name}] plot failed: {exc!r}", flush=True)
        info["loadavg_end"] = os.getloadavg()
        elapsed = time.perf_counter() - start
        save(args.out, mode, elapsed, info, workloads, figures)
    print(
        f"done in {(time.perf_counter() - start) / 60:.1f} min; "
        f"wrote {os.path.join(args.out, 'RESULTS.md')}",
        flush=True,
    )
    return workloads


def run_in_process(name, mode, opts):
    """Run the workload ``name`` in a fresh ``spawn`` process; its result dict.

    The process runs :func:`benchmarks.runners.run_workload`; if it dies
    without a result, the dict is ``{"name": name, "error": ...}``.
    """
    from benchmarks import runners  # importable target for spawn

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=runners.run_workload, args=(name, mode, opts, queue))
    proc.start()
    result = None
    while result is None:
        try:
            result = queue.get(timeout=5)
        except Exception:
            if not proc.is_alive():
                result = {"name": name, "error": "workload process died"}
    proc.join()
    return result


def save(out, mode, elapsed, info, workloads, figures):
    """Write ``results.json`` and ``RESULTS.md`` of the workloads run so far."""
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        data = {"mode": mode, "elapsed": elapsed, "machine": info}
        json.dump({**data, "workloads": workloads}, f, indent=1)
    write_report(
        os.path.join(out, "RESULTS.md"),
        info,
        workloads,
        mode,
        elapsed,
        figures,
    )


if __name__ == "__main__":
    main()
