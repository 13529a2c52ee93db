"""Peak memory that ``fit`` adds, on hashed real text at 2**22 columns.

Usage::

    python -m benchmarks.bench_memory [--quick] [--out DIR] [--timeout SECONDS]
                                      [--blas-threads N] [--report-only]

The workload is :mod:`benchmarks.realtext`'s ``"hashing"`` one, hashed to
2**22 columns (float64 CSR, 21 classes, about 15k training rows): one model
(``n_classes x n_features`` float64) is 672 MiB, far larger than ``X_train``,
so the figure is what fitting holds beside the data. ``--quick`` hashes to
2**18 columns instead (a check of the harness; its numbers say little).

Each configuration (:func:`make_configs`: ``SGDClassifier()`` as the anchor,
then ours: plain SGD, the default, averaging, AdaGrad by coordinate,
momentum, and ``SoftmaxSGD()``) runs in a fresh child forked from the process
that holds the data, so each starts from the same clean heap. The child does
a tiny warm-up fit (:data:`N_WARM` rows, all columns, one epoch) so that lazy
imports and code paths are loaded, frees it, resets the kernel's peak-RSS
mark (:class:`benchmarks.runners.PeakMemory`, ``VmHWM`` via
``/proc/self/clear_refs``), fits once on the whole training split and reads
the peak resident size above the size before the fit: what ``fit`` added
(the model, its copies, buffers, copies of X), not the data. Every fit uses
``max_iter=2, tol=None, random_state=0`` (momentum: ``max_iter=1``, see
:func:`make_configs`), so it is short and runs the same epochs each time.

On this data the rows use a few per cent of the 2**22 columns, and ``fit``
runs its epochs on those columns only (a narrowed state, see
``sklearn_linsgd._sgd._narrowed``): that is what the plain rows measure. The
rows "at the whole width" switch narrowing off in the child, so they measure
what the same configuration holds on data whose rows use every column (a
tf-idf vocabulary built on the training rows).

RSS counts the pages that were written: a zeroed buffer that is never
written does not count (``tracemalloc``, which the unit tests use, counts
it), and a large array counts in full once its pages were touched.

The report, ``MEMORY.md`` in ``--out`` (default ``benchmarks/results``),
gives the machine and BLAS, the sizes, a table (peak MiB added, in models,
over ``SGDClassifier()``'s peak, fit seconds) and the issue's criteria
(:func:`evaluate_criteria`): plain SGD adds at most two models and a few
(:data:`FEW_BATCHES`) batches; averaging, momentum and AdaGrad each add at
most one model more than plain SGD (with the same few batches of slack, as
their own buffers are batch-sized too). A batch counts its rows of X, their
scores and the model's coefficients of the columns they hold (a sparse step
reads and writes that block, and the sparse kernel buffers it). The raw
numbers go to ``memory.json`` beside it (git-ignored, like the other
benches' JSON files); ``--report-only`` rewrites ``MEMORY.md`` from it.
"""

import argparse
import gc
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

#: Columns of the hashed workload, per mode.
N_FEATURES = {"full": 2**22, "quick": 2**18}
#: Seconds each configuration's child may take (warm-up and fit), per mode.
TIMEOUT = {"full": 600.0, "quick": 120.0}
#: Rows of the warm-up fit.
N_WARM = 200
#: "A few batches" of the plain-SGD bound.
FEW_BATCHES = 4
BATCH_SIZE = 256  # ours' default batch_size
REFERENCE = "sgd"  # SGDClassifier(): the peak every ratio is to
PLAIN = "plain"
#: The configurations that may add at most one model more than plain SGD.
EXTRA_MODEL = ("average", "momentum", "adagrad_coordinate", "default")
#: Key suffix of the configurations fitted at the whole width (Config.whole).
WHOLE = "_whole"
#: The fit settings every configuration shares.
COMMON = {"max_iter": 2, "tol": None, "random_state": 0}


@dataclass(frozen=True)
class Config:
    """One fitted configuration: ``make()`` returns the unfitted estimator."""

    key: str
    label: str
    make: Callable
    note: str = ""
    #: Fit at the whole width: the state is not narrowed to the columns the
    #: rows use (``sklearn_linsgd._sgd.NARROW_SHARE = 0`` in the child), as
    #: on data whose rows use every column.
    whole: bool = False


def make_configs():
    """The configurations measured, the anchor first.

    Returns
    -------
    list of Config
        ``sgd`` (``SGDClassifier()``), ``plain`` (constant step, no
        AdaGrad), ``default`` (``learning_rate="auto"``: AdaGrad by
        feature), ``average``, ``adagrad_coordinate``, ``momentum`` and
        ``softmax``. All get :data:`COMMON`; momentum gets ``max_iter=1``:
        with momentum a CSR fit runs the numpy reference pass, which is slow
        at the whole width (every update writes the whole model and its
        velocity, and keeps the restore point of the last update).
    """
    from sklearn.linear_model import SGDClassifier

    from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD

    plain = {"learning_rate": "constant", "eta0": 0.01}

    def svm(**kw):
        return lambda: LinearSVMSGD(**{**COMMON, **kw})

    configs = [
        Config("sgd", "SGDClassifier()", lambda: SGDClassifier(**COMMON)),
        Config(
            "plain", 'LinearSVMSGD(learning_rate="constant", eta0=0.01)', svm(**plain)
        ),
        Config("default", 'LinearSVMSGD() ("auto": AdaGrad by feature)', svm()),
        Config(
            "average",
            'LinearSVMSGD(learning_rate="constant", eta0=0.01, average=True)',
            svm(**plain, average=True),
        ),
        Config(
            "adagrad_coordinate",
            'LinearSVMSGD(adagrad="coordinate", learning_rate="constant", eta0=0.01)',
            svm(**plain, adagrad="coordinate"),
        ),
        Config(
            "momentum",
            'LinearSVMSGD(learning_rate="constant", eta0=1e-3, momentum=0.9, '
            "max_iter=1)",
            svm(learning_rate="constant", eta0=1e-3, momentum=0.9, max_iter=1),
            note="momentum on CSR runs the numpy reference pass (velocity, and "
            "the restore point of the last update); one epoch",
        ),
        Config("softmax", "SoftmaxSGD()", lambda: SoftmaxSGD(**COMMON)),
    ]
    whole = [
        replace(c, key=c.key + WHOLE, label=c.label + " at the whole width", whole=True)
        for c in configs
        if c.key in (PLAIN, *EXTRA_MODEL)
    ]
    return configs + whole


# ------------------------------------------------------------ the workload
def load_workload(n_features):
    """The hashed real-text workload at ``n_features`` columns (float64).

    Parameters
    ----------
    n_features : int

    Returns
    -------
    benchmarks.workloads.Workload
        ``info`` holds ``packages`` (the labels).
    """
    from benchmarks import realtext
    from benchmarks.workloads import Workload

    start = time.perf_counter()
    X_train, X_test, y_train, y_test, used = realtext.vectorise(
        "hashing", n_features=n_features
    )
    return Workload(
        "realtext_hashing",
        f"docstrings of {len(used)} installed packages labelled by package, "
        f"HashingVectorizer(2^{int(math.log2(n_features))}, 1-2-grams) "
        "+ TfidfTransformer",
        X_train,
        y_train,
        X_test,
        y_test,
        build_seconds=time.perf_counter() - start,
        info={"packages": list(used)},
    )


def batch_columns(X, batch_size=BATCH_SIZE):
    """Mean number of distinct columns in blocks of ``batch_size`` rows of CSR X.

    The rows of the training split are in random order, so consecutive
    blocks stand for shuffled batches.
    """
    counts = [
        np.unique(
            X.indices[X.indptr[i] : X.indptr[min(i + batch_size, X.shape[0])]]
        ).size
        for i in range(0, X.shape[0], batch_size)
    ]
    return float(np.mean(counts))


def workload_sizes(wl):
    """:func:`benchmarks.workloads.workload_info` plus the sizes of the bounds.

    Returns
    -------
    dict
        Also ``packages``, ``nnz_per_row``, ``batch_columns``
        (:func:`batch_columns`), ``batch_model_mib`` (the model's
        coefficients of those columns: what a sparse step reads and writes)
        and ``batch_work_mib``, one batch: its rows of X (``batch_mib``), its
        ``BATCH_SIZE x n_classes`` float64 scores and ``batch_model_mib``.
    """
    from benchmarks.workloads import workload_info

    info = workload_info(wl, BATCH_SIZE)
    n_classes = info["n_classes"]
    info["packages"] = wl.info.get("packages", [])
    info["nnz_per_row"] = float(wl.X_train.nnz / wl.X_train.shape[0])
    info["batch_columns"] = batch_columns(wl.X_train)
    info["batch_model_mib"] = info["batch_columns"] * n_classes * 8 / 2**20
    info["batch_work_mib"] = (
        info["batch_mib"] + BATCH_SIZE * n_classes * 8 / 2**20 + info["batch_model_mib"]
    )
    return info


# --------------------------------------------------------- one measurement
def measure_fit(config, X, y, n_warm=N_WARM):
    """Warm up, then fit ``config`` on ``(X, y)`` and read the peak RSS added.

    Meant to run in a fresh forked child (:func:`run_config`).

    Parameters
    ----------
    config : Config
    X : sparse matrix
    y : ndarray
    n_warm : int, default=N_WARM
        Rows of the warm-up fit (all columns, ``max_iter=1``).

    Returns
    -------
    dict
        ``peak_mib`` (peak RSS above the RSS before the fit), ``held_mib``
        (RSS after the fit above it: what the fitted estimator keeps),
        ``base_mib`` (the RSS before the fit), ``fit_time`` (s),
        ``n_iter``, ``coef_mib`` (``coef_.nbytes``) and ``exact`` (False
        where the peak mark could not be reset).
    """
    from benchmarks.runners import PeakMemory, _proc_status_mib

    warnings.simplefilter("ignore")
    if config.whole:
        from sklearn_linsgd import _sgd

        _sgd.NARROW_SHARE = 0.0
    try:
        warm = config.make()
        warm.set_params(max_iter=1)
        warm.fit(X[:n_warm], y[:n_warm])
    except Exception:  # noqa: S110  (a warm-up failure shows in the real fit)
        pass
    warm = None
    gc.collect()
    est = config.make()
    meter = PeakMemory().start()
    start = time.perf_counter()
    est.fit(X, y)
    fit_time = time.perf_counter() - start
    peak = meter.peak()
    held = _proc_status_mib("VmRSS") - meter.base if meter.exact else float("nan")
    n_iter = getattr(est, "n_iter_", None)
    return {
        "peak_mib": peak,
        "held_mib": held,
        "base_mib": meter.base,
        "fit_time": fit_time,
        "n_iter": None if n_iter is None else int(np.max(n_iter)),
        "coef_mib": est.coef_.nbytes / 2**20,
        "exact": meter.exact,
    }


def run_config(config, X, y, timeout, n_warm=N_WARM):
    """:func:`measure_fit` in a forked child with a timeout.

    Returns
    -------
    dict
        Its result with ``status="ok"``, or ``status`` ``"timeout"`` /
        ``"error"``; ``wall`` is the child's time, ``key`` and ``label`` the
        configuration's.
    """
    from benchmarks.bench_defaults import run_in_child

    res = run_in_child(lambda: measure_fit(config, X, y, n_warm), timeout)
    res.update(key=config.key, label=config.label, note=config.note)
    return res


# ---------------------------------------------------------------- criteria
def _ok(res):
    return bool(res) and res.get("status") == "ok"


def _why_not(res):
    """Why a result has no figure: "not run", "timed out ..." or the error."""
    if not res:
        return "not run"
    if res.get("status") == "timeout":
        return f"timed out (> {res['timeout']:.0f} s)"
    return res.get("error", res.get("status", "?"))


def plain_bound_mib(sizes):
    """The plain-SGD bound: two models and :data:`FEW_BATCHES` batches, in MiB."""
    return 2 * sizes["model_mib"] + FEW_BATCHES * sizes["batch_work_mib"]


def evaluate_criteria(results, sizes):
    """The issue's memory criteria, each met / not met with its figures.

    Parameters
    ----------
    results : dict
        Result dicts (:func:`run_config`) by configuration key.
    sizes : dict
        :func:`workload_sizes`.

    Returns
    -------
    list of dict
        ``what``, ``met`` (True, False, or None when not evaluated) and
        ``detail``: first plain SGD against :func:`plain_bound_mib`, then
        each of :data:`EXTRA_MODEL` against plain's peak plus one model and
        :data:`FEW_BATCHES` batches. The bounds are inclusive. The
        configurations fitted at the whole width (keys ending in
        :data:`WHOLE`) get the same criteria against their own plain SGD.
    """
    out = []
    for suffix, where in (("", ""), (WHOLE, " (whole width)")):
        if suffix and not any(key.endswith(suffix) for key in results):
            continue
        out += _width_criteria(results, sizes, suffix, where)
    return out


def _width_criteria(results, sizes, suffix, where):
    """:func:`evaluate_criteria` for the configurations whose keys end in
    ``suffix`` (``where`` is added to each criterion's name)."""
    model = sizes["model_mib"]
    batches = FEW_BATCHES * sizes["batch_work_mib"]
    plain = results.get(PLAIN + suffix)
    bound = plain_bound_mib(sizes)
    out = []
    what = f"plain SGD adds <= 2 models + {FEW_BATCHES} batches{where}"
    if _ok(plain):
        peak = plain["peak_mib"]
        out.append(
            {
                "what": what,
                "met": peak <= bound,
                "detail": f"{peak:.0f} MiB = {peak / model:.2f} models "
                f"({peak - 2 * model:+.1f} MiB over 2 models); bound 2 x {model:.0f} "
                f"+ {FEW_BATCHES} x {sizes['batch_work_mib']:.2f} = {bound:.0f} MiB",
            }
        )
    else:
        out.append({"what": what, "met": None, "detail": _why_not(plain)})
    names = {
        "average": "averaging",
        "momentum": "momentum",
        "adagrad_coordinate": "AdaGrad by coordinate",
        "default": "AdaGrad by feature (the default)",
    }
    for key in EXTRA_MODEL:
        res = results.get(key + suffix)
        what = f"{names[key]} adds <= plain SGD + 1 model{where}"
        if not _ok(plain):
            detail = "plain SGD: " + _why_not(plain)
            out.append({"what": what, "met": None, "detail": detail})
            continue
        if not _ok(res):
            out.append({"what": what, "met": None, "detail": _why_not(res)})
            continue
        limit = plain["peak_mib"] + model + batches
        extra = res["peak_mib"] - plain["peak_mib"]
        out.append(
            {
                "what": what,
                "met": res["peak_mib"] <= limit,
                "detail": f"{res['peak_mib']:.0f} MiB vs plain {plain['peak_mib']:.0f} "
                f"+ {model:.0f} + {FEW_BATCHES} x {sizes['batch_work_mib']:.2f} = "
                f"{limit:.0f} MiB ({extra:+.0f} MiB = {extra / model:+.2f} models "
                "over plain)",
            }
        )
    return out


# ------------------------------------------------------------------ report
def _fmt(x, fmt="{:.3g}"):
    return (
        "—" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)
    )


TABLE_HEADER = (
    "| estimator | epochs | peak added (MiB) | / model | / SGDClassifier() peak "
    "| held after fit (MiB) | fit (s) |",
    "|---|---:|---:|---:|---:|---:|---:|",
)


def table_row(res, sizes, ref):
    """One markdown line of a configuration's result.

    Parameters
    ----------
    res : dict
        :func:`run_config`'s result.
    sizes : dict
        :func:`workload_sizes` (``model_mib``).
    ref : dict or None
        ``SGDClassifier()``'s result (the ratio column).

    Returns
    -------
    str
    """
    label = res["label"].replace("|", "\\|")
    if not _ok(res):
        return f"| {label} | — | {_why_not(res)} | — | — | — | — |"
    peak = res["peak_mib"]
    ratio = peak / ref["peak_mib"] if _ok(ref) and ref["peak_mib"] > 0 else None
    cells = [
        label,
        _fmt(res.get("n_iter"), "{}"),
        _fmt(peak, "{:.0f}"),
        _fmt(peak / sizes["model_mib"], "{:.2f}"),
        _fmt(ratio, "{:.2f}"),
        _fmt(res.get("held_mib"), "{:.0f}"),
        _fmt(res.get("fit_time"), "{:.3g}"),
    ]
    return "| " + " | ".join(cells) + " |"


def table_lines(results, sizes):
    """The markdown table: header and one row per configuration, in run order."""
    ref = results.get(REFERENCE)
    return [*TABLE_HEADER, *(table_row(r, sizes, ref) for r in results.values())]


def criteria_lines(criteria):
    """The "Criteria" section's lines."""
    mark = {True: "met", False: "**not met**", None: "not evaluated"}
    return [f"- {c['what']}: {mark[c['met']]}: {c['detail']}" for c in criteria]


def machine_lines(info, blas_threads):
    """The "Machine" section: platform, versions, environment and BLAS."""
    load = info.get("loadavg", (math.nan,) * 3)
    env = ", ".join(
        f"`{k}={v}`" if v is not None else f"`{k}` unset"
        for k, v in info.get("env", {}).items()
    )
    versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
    memory = f", {info['memory_gib']:.1f} GiB RAM" if info.get("memory_gib") else ""
    return [
        "## Machine",
        "",
        f"- {info.get('platform')}, Python {info.get('python')}, {info.get('cpu')}, "
        f"{info.get('cpu_count')} CPUs{memory}; load average {load[0]:.2f} at the start"
        + (
            f", {info['loadavg_end'][0]:.2f} at the end"
            if info.get("loadavg_end")
            else ""
        ),
        f"- {versions}",
        f"- environment: {env}",
        f"- BLAS threads limited to {blas_threads}"
        if blas_threads
        else "- BLAS threads: library default",
        "- BLAS libraries loaded (threadpoolctl):",
        *(
            f"  - {b['internal_api']} {b['version']} ({b['prefix']}), architecture "
            f"{b['architecture']}, {b['num_threads']} threads, {b['threading_layer']}"
            for b in info.get("blas", [])
        ),
        "",
    ]


def report_lines(data):
    """The whole ``MEMORY.md`` of a results dict (see :func:`main`)."""
    sizes, settings = data["sizes"], data["settings"]
    quick = data["mode"] == "quick"
    notes = [
        f"- {r['label']}: {r['note']}"
        for r in data["results"].values()
        if r.get("note")
    ]
    return [
        "# Peak memory added by fit",
        "",
        f"Written by `python -m benchmarks.bench_memory{' --quick' if quick else ''}`"
        f" on {data['info'].get('date', '?')} in "
        f"{data.get('elapsed', math.nan) / 60:.1f} min"
        + (" (**quick mode**: 2^18 columns, not the issue's workload)" if quick else "")
        + ". Each configuration ran in a child forked from the process holding the "
        f"data: a warm-up fit on {settings['n_warm']} rows (all columns, one epoch), "
        "then the kernel's peak-RSS mark was reset (`VmHWM`, via "
        "`/proc/self/clear_refs`) and one fit on the whole training split ran; "
        "*peak added* is the peak RSS during the fit minus the RSS before it, "
        "*held after fit* the RSS after it minus the same base (the fitted "
        "estimator). All fits use `max_iter=2, tol=None, random_state=0` unless "
        f"the row says otherwise; timeout {settings['timeout']:.0f} s per child. RSS "
        "counts written pages only: a zeroed buffer that is never written does "
        "not count.",
        "",
        *machine_lines(data["info"], settings.get("blas_threads")),
        "## Workload",
        "",
        f"{sizes['description']}. {sizes['summary']}. Built in "
        f"{sizes['build_seconds']:.1f} s.",
        "",
        f"- one model ({sizes['n_classes']} classes x {sizes['n_features']} "
        f"features x 8 bytes): **{sizes['model_mib']:.0f} MiB**",
        f"- X_train (data, indices, indptr): **{sizes['x_train_mib']:.1f} MiB** "
        f"({sizes['n_train']} rows, {sizes['nnz_per_row']:.1f} non-zeros per row)",
        f"- one batch: {sizes['batch_work_mib']:.2f} MiB: its {BATCH_SIZE} rows "
        f"of X ({sizes['batch_mib']:.2f} MiB), their {BATCH_SIZE} x "
        f"{sizes['n_classes']} scores, and the model's coefficients of the "
        f"{sizes['batch_columns']:.0f} distinct columns they hold on average "
        f"({sizes['batch_model_mib']:.2f} MiB: what a sparse step reads and "
        "writes, and what the sparse kernel buffers)",
        "",
        "## Peak memory added by fit",
        "",
        *table_lines(data["results"], sizes),
        "",
        *notes,
        *([""] if notes else []),
        "## Criteria (the issue)",
        "",
        *criteria_lines(data["criteria"]),
        "",
    ]


def write_report(path, data):
    """Write ``MEMORY.md`` (:func:`report_lines`) to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(report_lines(data)))


def machine_info():
    """:func:`benchmarks.report.machine_info` plus the versions that matter here."""
    import importlib.metadata

    from benchmarks.report import machine_info as base_info

    info = base_info()
    versions = {}
    for dist in ("sklearn_linsgd", "scikit-learn", "numpy", "scipy", "threadpoolctl"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    info["versions"] = versions
    return info


# -------------------------------------------------------------------- main
def run_all(wl, timeout, log=print, configs=None):
    """Run every configuration on ``wl``, one child at a time.

    Returns
    -------
    dict
        Result dicts by configuration key, in run order.
    """
    results = {}
    for config in configs or make_configs():
        res = run_config(config, wl.X_train, wl.y_train, timeout)
        results[config.key] = res
        if _ok(res):
            log(
                f"  {config.label}: +{res['peak_mib']:.0f} MiB peak, held "
                f"{res['held_mib']:.0f} MiB, fit {res['fit_time']:.2f} s "
                f"(child {res['wall']:.1f} s)"
            )
        else:
            log(f"  {config.label}: {_why_not(res)}")
    return results


def main(argv=None):
    """Command-line entry point."""
    from benchmarks.bench_defaults import (
        add_run_options,
        limit_blas,
        rewrite_report,
        save_results,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2**18 columns: a fast check"
    )
    add_run_options(parser, "MEMORY.md", "memory.json", "seconds per configuration")
    args = parser.parse_args(argv)
    json_path = os.path.join(args.out, "memory.json")
    md_path = os.path.join(args.out, "MEMORY.md")
    if args.report_only:

        def refresh(data):
            data["criteria"] = evaluate_criteria(data["results"], data["sizes"])

        rewrite_report(json_path, md_path, refresh, write_report)
        return 0

    mode = "quick" if args.quick else "full"
    timeout = args.timeout or TIMEOUT[mode]
    start = time.perf_counter()
    limit_blas(args.blas_threads)
    info = machine_info()
    n_features = N_FEATURES[mode]
    print(f"building the hashed real-text workload at {n_features} columns", flush=True)
    wl = load_workload(n_features)
    sizes = workload_sizes(wl)
    model = sizes["model_mib"]
    print(
        f"{wl.summary()}; model {model:.0f} MiB ({wl.build_seconds:.1f} s)", flush=True
    )
    results = run_all(wl, timeout, log=lambda s: print(s, flush=True))
    info["loadavg_end"] = os.getloadavg()
    data = {
        "mode": mode,
        "settings": {
            "n_features": n_features,
            "timeout": timeout,
            "n_warm": N_WARM,
            "blas_threads": args.blas_threads,
            "common": COMMON,
            "few_batches": FEW_BATCHES,
        },
        "info": info,
        "sizes": sizes,
        "results": results,
        "elapsed": time.perf_counter() - start,
    }
    data["criteria"] = evaluate_criteria(results, sizes)
    save_results(json_path, md_path, data, write_report)
    print("\n".join(criteria_lines(data["criteria"])))
    print(f"wrote {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
