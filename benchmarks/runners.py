"""Run the rows of a workload and measure them: time, memory, accuracy, J.

Process layout (every fit starts from a clean heap, and the memory it adds can
be read from the kernel's peak-RSS mark):

* each workload runs in a fresh ``spawn`` process (:func:`run_workload`) that
  imports the libraries and builds the data once;
* each row (one estimator configuration) runs in a ``fork`` child of that
  workload process (:func:`run_row`): after a small warm-up fit (lazy imports)
  it resets the kernel's peak-RSS mark, measures the memory floor (median of
  ``X.sum()`` passes over the same ``X_train``), fits the repeats, reads the
  peak memory the fits added (:class:`PeakMemory`), then evaluates test
  accuracy and the training objective, and sends the numbers back through a
  pipe.

Our estimators and scikit-learn's are measured the same way, side by side in
the same workload process.
"""

import multiprocessing as mp
import resource
import sys
import time
import traceback
import warnings

import numpy as np
import scipy.sparse as sp

from benchmarks.specs import ALPHA, BATCH_SIZE, TARGET_GAP, make_specs
from benchmarks.workloads import build, measure_floor, workload_info

__all__ = [
    "PeakMemory",
    "linear_params",
    "maxrss_mib",
    "n_epochs",
    "our_objective",
    "run_row",
    "run_workload",
]


class PeakMemory:
    """Peak resident memory added since :meth:`start`, in MiB.

    On Linux the kernel's high-water mark (``VmHWM``) is reset to the current
    resident size by writing 5 to ``/proc/self/clear_refs``, so a warm-up
    before :meth:`start` does not mask what comes after it. Elsewhere it falls
    back to ``ru_maxrss`` (which cannot be reset).
    """

    def start(self):
        """Reset the peak mark and take the current resident size as the base."""
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.base, self.exact = _proc_status_mib("VmRSS"), True
        except OSError:
            self.base, self.exact = maxrss_mib(), False
        return self

    def peak(self):
        """The peak resident size since :meth:`start` minus the base, in MiB."""
        now = _proc_status_mib("VmHWM") if self.exact else maxrss_mib()
        return now - self.base


def _proc_status_mib(key):
    """The ``key`` line (e.g. ``VmHWM``) of ``/proc/self/status``, in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise OSError(f"{key} not in /proc/self/status")


def maxrss_mib():
    """This process's peak resident set size in MiB (Linux reports KiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (2**20 if sys.platform == "darwin" else 2**10)


def linear_params(est):
    """``(coef, intercept)`` of a fitted linear model, shaped like ``coef_``."""
    if hasattr(est, "coefs_"):  # MLPClassifier without hidden layers
        return est.coefs_[0].T, est.intercepts_[0]
    return est.coef_, est.intercept_


def our_objective(kind, est, X, y):
    """``J`` of our ``kind`` ("softmax"/"hinge") objective at ``est``'s parameters.

    Our own estimators fitted with ``alpha = ALPHA`` report ``est.objective``;
    for an anchor, or one of ours fitted with another ``alpha`` (the tuned
    rows), a :class:`~sklearn_linsgd.SoftmaxSGD` or
    :class:`~sklearn_linsgd.LinearSVMSGD` with ``alpha = ALPHA`` is given the
    row's ``coef_``, ``intercept_`` and ``classes_``, so every row's J is the
    same function.
    """
    from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD

    if kind is None:
        return float("nan")
    if (
        isinstance(est, (LinearSVMSGD, SoftmaxSGD))
        and est.alpha == ALPHA
        and est.penalty == "l2"
    ):
        return float(est.objective(X, y))
    coef, intercept = linear_params(est)
    proxy = (SoftmaxSGD if kind == "softmax" else LinearSVMSGD)(alpha=ALPHA)
    proxy.classes_ = est.classes_
    proxy.coef_ = np.ascontiguousarray(coef, dtype=X.dtype)
    proxy.intercept_ = np.asarray(intercept, dtype=X.dtype).ravel()
    proxy.n_features_in_ = X.shape[1]
    return float(proxy.objective(X, y))


def n_epochs(est):
    """``max(n_iter_)`` of a fitted estimator (OvR: over classes), or ``None``."""
    n = getattr(est, "n_iter_", None)
    if n is None:
        return None
    return int(np.max(n))


def _evaluate(spec, est, wl):
    """Test accuracy and training objective of ``est``; errors are recorded."""
    out = {"test_accuracy": float("nan"), "objective": float("nan")}
    try:
        out["test_accuracy"] = float(est.score(wl.X_test, wl.y_test))
    except Exception as exc:  # pragma: no cover - reported, not fatal
        out["eval_error"] = repr(exc)
    try:
        out["objective"] = our_objective(spec.objective, est, wl.X_train, wl.y_train)
    except Exception as exc:  # pragma: no cover
        out["eval_error"] = repr(exc)
    return out


def _child(conn, spec, wl, opts, target):
    """Run one row in a forked child and send the result dict through ``conn``."""
    try:
        warnings.simplefilter("ignore")
        limit_blas(opts)
        _warm_up(spec, wl)
        meter = PeakMemory().start()
        floor = measure_floor(wl.X_train)
        result = {"floor": floor}
        if spec.curve:
            result.update(_run_curve(spec, wl, target))
            result["peak_mib"] = meter.peak()
            result["peak_scope"] = "fit+evaluation"
        else:
            result.update(_run_fits(spec, wl, opts, meter))
        floor_after = measure_floor(wl.X_train, repeats=3)
        result["floor_after"] = floor_after
        conn.send(result)
    except BaseException as exc:  # report anything, including MemoryError
        conn.send(
            {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
        )
    finally:
        conn.close()


def _warm_up(spec, wl, n_rows=600):
    """Fit a throw-away copy on a few rows: loads lazy imports, BLAS threads.

    Run before the memory baseline is taken, so that the peak memory of the
    row counts what the real fit adds, not the modules it imports.
    """
    X, y = wl.X_train[:n_rows], wl.y_train[:n_rows]
    try:
        est = spec.make()
        if "max_iter" in est.get_params():
            est.set_params(max_iter=2)
        if spec.curve:
            est.partial_fit(X, y, classes=np.unique(wl.y_train))
        else:
            est.fit(X, y)
        est.score(wl.X_test[:n_rows], wl.y_test[:n_rows])
        our_objective(spec.objective, est, X, y)
    except Exception:  # noqa: S110  (a warm-up failure shows in the real fit)
        pass


def _run_fits(spec, wl, opts, meter):
    """Time up to ``opts["repeats"]`` fits, read their peak memory, evaluate."""
    times, est = [], None
    for _ in range(opts["repeats"]):
        est = None
        est = spec.make()
        start = time.perf_counter()
        est.fit(wl.X_train, wl.y_train)
        times.append(time.perf_counter() - start)
        if sum(times) >= opts["repeat_budget"]:
            break
    out = {
        "fit_times": times,
        "fit_time": float(np.median(times)),
        "epochs": n_epochs(est),
        # read before the evaluation, whose score arrays are not the fit's
        "peak_mib": meter.peak(),
        "peak_scope": "fit",
    }
    out.update(_evaluate(spec, est, wl))
    return out


def _run_curve(spec, wl, target):
    """Per-epoch ``partial_fit``; cumulative fit time, test accuracy and J."""
    from sklearn import config_context

    est = spec.make()
    classes = np.unique(wl.y_train)
    points, elapsed = [], 0.0
    reached = None
    for epoch in range(1, spec.extra["max_epochs"] + 1):
        # assume_finite: the finiteness check of X is done once by fit, not
        # once per epoch; skip it here so the curve times the training itself.
        with config_context(assume_finite=True):
            start = time.perf_counter()
            est.partial_fit(wl.X_train, wl.y_train, classes=classes)
            elapsed += time.perf_counter() - start
        ev = _evaluate(spec, est, wl)
        points.append([epoch, elapsed, ev["test_accuracy"], ev["objective"]])
        if reached is None and target is not None and ev["test_accuracy"] >= target:
            reached = {"epoch": epoch, "time": elapsed}
        if elapsed >= spec.extra["budget"]:
            break
    return {
        "curve": points,
        "target": target,
        "reached": reached,
        "fit_time": elapsed,
        "epochs": len(points),
        "test_accuracy": points[-1][2],
        "objective": points[-1][3],
    }


def run_row(spec, wl, opts, target=None):
    """Run ``spec`` in a forked child with a timeout; return its result dict."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, spec, wl, opts, target))
    timeout = opts["default_timeout" if spec.default else "timeout"]
    start = time.perf_counter()
    proc.start()
    send.close()
    result = None
    if recv.poll(timeout):
        try:
            result = recv.recv()
        except EOFError:
            result = None
    if result is None:
        if proc.is_alive():
            proc.kill()
            result = {"error": f"timeout after {timeout:.0f} s", "timeout": timeout}
        else:
            result = {"error": "child exited without a result"}
    proc.join()
    recv.close()
    result["wall"] = time.perf_counter() - start
    return result


def _fmt_row_log(wl_name, spec, res):
    """The progress line printed when a row ends."""
    if "error" in res:
        return f"[{wl_name}] {spec.label}: ERROR {res['error']}"
    acc = res.get("test_accuracy", float("nan"))
    return (
        f"[{wl_name}] {spec.label}: fit {res.get('fit_time', float('nan')):.3f} s, "
        f"epochs {res.get('epochs')}, acc {acc:.4f}, J {res.get('objective'):.5g}, "
        f"floor {1e3 * res['floor']:.2f} ms, peak +{res.get('peak_mib', 0):.1f} MiB "
        f"(row wall {res['wall']:.1f} s)"
    )


def limit_blas(opts):
    """Limit BLAS to ``opts["blas_threads"]`` threads in this process, if set."""
    if opts.get("blas_threads"):
        from threadpoolctl import threadpool_limits

        threadpool_limits(opts["blas_threads"])


def select_specs(specs, wanted):
    """The rows whose key contains one of ``wanted`` (all rows if empty).

    The ``SGDClassifier(hinge)`` reference rows and ``LogisticRegression(lbfgs)``
    (the curves' accuracy target) are always kept.
    """
    if not wanted:
        return specs
    keep = {"sgd_hinge", "sgd_hinge_fixed", "lr_lbfgs"}
    return [s for s in specs if s.key in keep or any(w in s.key for w in wanted)]


def run_rows(name, wl, specs, opts):
    """Run ``specs`` one by one on ``wl``, logging each row as it ends.

    Returns
    -------
    rows : list of dict
        One per spec: its description (key, label, family, ...) and results.
    target : float or None
        ``LogisticRegression(lbfgs)``'s test accuracy minus :data:`TARGET_GAP`,
        the curves' target (``None`` if that row failed or did not run).
    """
    rows, target = [], None
    for spec in specs:
        res = run_row(spec, wl, opts, target=target if spec.curve else None)
        print(_fmt_row_log(name, spec, res), flush=True)
        if spec.key == "lr_lbfgs" and "error" not in res:
            target = res["test_accuracy"] - TARGET_GAP
        rows.append(
            {
                "key": spec.key,
                "label": spec.label,
                "family": spec.family,
                "objective_kind": spec.objective,
                "per_epoch": spec.per_epoch,
                "curve": spec.curve,
                "note": spec.note,
                **res,
            }
        )
    return rows, target


def run_workload(name, mode, opts, queue):
    """Workload process body: build the data once, run every row, report.

    Parameters
    ----------
    name : str
        The workload (one of :data:`benchmarks.workloads.WORKLOADS`).
    mode : {"full", "quick"}
        The run mode.
    opts : dict
        :data:`~benchmarks.specs.MODES` ``[mode]`` with the command line's
        ``timeout``, ``estimators`` and ``blas_threads``.
    queue : multiprocessing.Queue
        Receives the workload's result dict (or ``{"name", "error"}``).
    """
    try:
        warnings.simplefilter("ignore")
        limit_blas(opts)
        wl = build(name, quick=mode == "quick")
        print(f"[{name}] built in {wl.build_seconds:.1f} s: {wl.summary()}", flush=True)
        n_train, sparse = wl.X_train.shape[0], sp.issparse(wl.X_train)
        specs = make_specs(name, n_train, sparse, mode, big=name == "dense1m_f32")
        specs = select_specs(specs, opts.get("estimators"))
        rows, target = run_rows(name, wl, specs, opts)
        queue.put(
            {
                "name": name,
                **workload_info(wl, BATCH_SIZE),
                "target_accuracy": target,
                "rows": rows,
            }
        )
    except BaseException as exc:
        queue.put({"name": name, "error": f"{type(exc).__name__}: {exc}"})
        traceback.print_exc()
