"""Paired A/B of the per-epoch fit time of two source trees.

Usage (from the root of a checkout that holds this file; each tree must
have its compiled module built in place, ``python setup.py build_ext
--inplace``)::

    python -m benchmarks.ab_epoch --base /path/to/base/tree --new /path/to/new/tree
                                  [--pairs 6] [--epochs N] [--repeats R]
                                  [--workloads NAME ...] [--estimators NAME ...]
                                  [--settings NAME ...] [--cache DIR]
                                  [--out benchmarks/results/AB_EPOCH.md]
                                  [--json FILE] [--blas-threads 1]
                                  [--report-only]

The parent process builds every workload once, with fixed seeds, into a cache
directory (``--cache``; a fresh temporary directory, removed at the end, when
not given; an existing one is reused when its ``meta.json`` matches), so that
both trees read the same arrays. Then, for each of ``--pairs`` rounds and each
configuration (workload x estimator x setting), it runs one measurement of
each tree, one after the other, in a fresh subprocess with ``PYTHONPATH`` set
to that tree (the child checks that ``sklearn_linsgd`` came from it). The
order of the two runs of a pair flips from one configuration to the next and
from one round to the next (:func:`pair_order`), so that each configuration
runs base first in half of its pairs.

A measurement (:func:`measure`, run by ``python -P ab_epoch.py --worker
SPEC``, which imports nothing from ``benchmarks``) loads the cached
workload, fits once with ``max_iter=1`` to warm up (recording which compiled
kernels of ``sklearn_linsgd._fast`` ran), then ``repeats`` times fits with
``max_iter=1`` and with ``max_iter=1 + epochs`` (``tol=None``,
``random_state=0`` and the explicit settings of :data:`COMMON` and
:data:`SETTINGS`, which mean the same in both trees). Its per-epoch time is
``(best t(1 + epochs) - best t(1)) / epochs``: the fixed costs of a fit
(validation, set-up, the first epoch) cancel.

For each configuration the report (``--out``, markdown) gives the median of
the per-pair ratios new/base, their range, the medians of the per-epoch times
and a verdict (:func:`verdict`): "no slower than noise" when the median ratio
is at most ``1 + spread``, with ``spread`` half the range of the pair ratios.
``--json`` keeps every raw number; ``--report-only`` rewrites the report from
it.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WORKLOADS = ("dense", "sparse", "realtext_tfidf")
ESTIMATORS = ("LinearSVMSGD", "SoftmaxSGD")
#: Explicit settings: the defaults of ``learning_rate`` and ``eta0`` changed
#: between the trees this was written for (d28a405: "adaptive", 0.1; later:
#: "auto", 1.5), so nothing timed relies on a default that matters.
SETTINGS = {
    "sgd": {"learning_rate": "constant", "eta0": 0.01, "adagrad": False},
    "adagrad": {"learning_rate": "constant", "eta0": 0.01, "adagrad": "feature"},
}
#: Parameters set on every fit (both estimators, both trees).
COMMON = {
    "alpha": 1e-4,
    "penalty": "l2",
    "fit_intercept": True,
    "batch_size": 256,
    "momentum": 0.0,
    "average": False,
    "shuffle": True,
    "early_stopping": False,
    "class_weight": None,
    "tol": None,
    "random_state": 0,
}
#: Parameters of one estimator only.
ESTIMATOR_PARAMS = {"LinearSVMSGD": {"margin": 1.0}, "SoftmaxSGD": {}}
#: Epochs timed beyond the first, per workload (``--epochs`` sets them all):
#: the small real-text workload takes many more to reach a measurable span.
EPOCHS = {"dense": 24, "sparse": 4, "realtext_tfidf": 16}
REPEATS = 3
PAIRS = 6
#: Readable names of the compiled passes of ``sklearn_linsgd._fast``; the
#: children record which of them ran, and the report prints those.
KERNEL_NAMES = {
    "dense_pass": "dense pass",
    "sparse_pass": "CSR lazy pass",
    "sparse_adagrad_pass": "sparse AdaGrad pass",
}
DESCRIPTIONS = {
    "dense": (
        "dense: `make_classification(133_333 x 128, n_informative=64, 10 classes, "
        "n_clusters_per_class=1, random_state=0)` (`benchmarks.workloads."
        "make_dense`), the first 100,000 rows, float64, C order"
    ),
    "sparse": (
        "sparse: `benchmarks.workloads.make_bow(133_333, 2**16, "
        "tokens_per_row=55, n_classes=20)`, the first 100,000 rows: CSR float64 "
        "(int32 indices), about 50 non-zeros per row, 20 classes"
    ),
    "realtext_tfidf": (
        'realtext_tfidf: `benchmarks.realtext.vectorise("tfidf")`, the training '
        "rows (docstrings of installed packages, word 1-2-gram tf-idf, 21 classes)"
    ),
}
CHILD_TIMEOUT = 900.0  # seconds per measurement subprocess


# ------------------------------------------------------------ the workloads
def _build(name):
    """``(X, y)`` of the workload ``name`` (one of :data:`WORKLOADS`).

    Parameters
    ----------
    name : str
        The workload.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix
        The training rows.
    y : ndarray of int
        Their labels, as integers.
    """
    if name == "dense":
        from benchmarks.workloads import make_dense

        X, y, _, _ = make_dense(133_333, 128, n_classes=10)
        return np.ascontiguousarray(X), np.asarray(y, dtype=np.int64)
    if name == "sparse":
        from benchmarks.workloads import make_bow

        X, y, _, _ = make_bow(133_333, 2**16, tokens_per_row=55, n_classes=20)
        return X, np.asarray(y, dtype=np.int64)
    if name == "realtext_tfidf":
        from benchmarks.realtext import vectorise

        X, _, y, _, _ = vectorise("tfidf")
        return X, np.unique(y, return_inverse=True)[1].astype(np.int64)
    raise ValueError(f"unknown workload {name!r}; choose from {WORKLOADS}")


def cache_workloads(cache, names, log=print):
    """Build the workloads ``names`` into the directory ``cache`` once.

    A workload whose files and ``meta.json`` entry are already there (with
    the same description) is not rebuilt.

    Parameters
    ----------
    cache : Path
        The cache directory (created if missing).
    names : sequence of str
        Workloads of :data:`WORKLOADS`.
    log : callable, default=print
        Progress messages.

    Returns
    -------
    dict
        Per workload: ``x_path``, ``y_path``, ``shape``, ``nnz_per_row``
        (CSR) and ``n_classes``.
    """
    import scipy.sparse as sp

    cache.mkdir(parents=True, exist_ok=True)
    meta_path = cache / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    for name in names:
        entry = meta.get(name)
        if (
            entry
            and entry.get("description") == DESCRIPTIONS[name]
            and Path(entry["x_path"]).exists()
            and Path(entry["y_path"]).exists()
        ):
            log(f"cache: {name} found in {cache}")
            continue
        start = time.perf_counter()
        X, y = _build(name)
        y_path = cache / f"{name}_y.npy"
        np.save(y_path, y)
        if sp.issparse(X):
            x_path = cache / f"{name}_X.npz"
            sp.save_npz(x_path, X.tocsr(), compressed=False)
        else:
            x_path = cache / f"{name}_X.npy"
            np.save(x_path, X)
        meta[name] = {
            "description": DESCRIPTIONS[name],
            "x_path": str(x_path),
            "y_path": str(y_path),
            "shape": list(X.shape),
            "sparse": bool(sp.issparse(X)),
            "nnz_per_row": X.nnz / X.shape[0] if sp.issparse(X) else None,
            "n_classes": int(np.unique(y).size),
            "build_seconds": time.perf_counter() - start,
        }
        seconds = meta[name]["build_seconds"]
        log(f"cache: built {name} {tuple(X.shape)} in {seconds:.1f} s")
    meta_path.write_text(json.dumps(meta, indent=1))
    return {name: meta[name] for name in names}


# --------------------------------------------------------- one measurement
def estimator_params(estimator, setting, max_iter):
    """The keyword arguments of one fit.

    Parameters
    ----------
    estimator : str
        One of :data:`ESTIMATORS`.
    setting : str
        One of :data:`SETTINGS`.
    max_iter : int
        Epochs of the fit.

    Returns
    -------
    dict
    """
    return {
        **COMMON,
        **ESTIMATOR_PARAMS[estimator],
        **SETTINGS[setting],
        "max_iter": int(max_iter),
    }


def _load(x_path, y_path):
    """``(X, y)`` from the cache files written by :func:`cache_workloads`."""
    if x_path.endswith(".npz"):
        import scipy.sparse as sp

        X = sp.load_npz(x_path).tocsr()
    else:
        X = np.load(x_path)
    return X, np.load(y_path)


def _record_kernels(fast, seen):
    """Wrap the passes of the compiled module ``fast`` so that their names
    are added to ``seen`` when they run; returns a function that undoes it."""
    saved = {}
    for name in KERNEL_NAMES:
        func = getattr(fast, name, None)
        if func is None:
            continue

        def wrapped(*args, _func=func, _name=name, **kwargs):
            seen.add(_name)
            return _func(*args, **kwargs)

        saved[name] = func
        setattr(fast, name, wrapped)

    def restore():
        for name, func in saved.items():
            setattr(fast, name, func)

    return restore


def measure(spec):
    """One measurement of one tree, in the current process.

    Parameters
    ----------
    spec : dict
        ``tree`` (where ``sklearn_linsgd`` must come from), ``x_path``,
        ``y_path``, ``estimator``, ``setting``, ``epochs`` and ``repeats``.

    Returns
    -------
    dict
        ``per_epoch`` (seconds), the best times ``t_1`` and ``t_more`` of
        the fits of 1 and ``1 + epochs`` epochs, every time in ``times_1`` and
        ``times_more``, ``n_iter`` of the last fits, the ``kernels`` that ran
        in the warm-up fit, ``module`` (the file ``sklearn_linsgd`` came from),
        ``blas_threads`` and ``load_seconds``.
    """
    import gc
    import warnings

    import sklearn_linsgd
    from sklearn_linsgd import _fast

    module = os.path.realpath(sklearn_linsgd.__file__)
    tree = os.path.realpath(spec["tree"])
    if not module.startswith(tree + os.sep):
        raise RuntimeError(f"sklearn_linsgd came from {module}, not from {tree}")
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(int(spec.get("blas_threads", 1)))
        blas_threads = sorted({d["num_threads"] for d in threadpool_info()})
    except ImportError:  # pragma: no cover
        blas_threads = []
    start = time.perf_counter()
    X, y = _load(spec["x_path"], spec["y_path"])
    load_seconds = time.perf_counter() - start
    cls = getattr(sklearn_linsgd, spec["estimator"])
    epochs, repeats = int(spec["epochs"]), int(spec["repeats"])

    def fit(max_iter):
        est = cls(**estimator_params(spec["estimator"], spec["setting"], max_iter))
        gc.collect()
        start = time.perf_counter()
        est.fit(X, y)
        elapsed = time.perf_counter() - start
        if est.n_iter_ != max_iter:
            raise RuntimeError(f"n_iter_={est.n_iter_}, expected {max_iter}")
        return elapsed

    seen = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        restore = _record_kernels(_fast, seen)
        try:
            fit(1)  # warm-up: imports, page faults, caches
        finally:
            restore()
        times_1, times_more = [], []
        for _ in range(repeats):
            times_1.append(fit(1))
            times_more.append(fit(1 + epochs))
    t_1, t_more = min(times_1), min(times_more)
    return {
        "per_epoch": (t_more - t_1) / epochs,
        "t_1": t_1,
        "t_more": t_more,
        "times_1": times_1,
        "times_more": times_more,
        "n_iter": 1 + epochs,
        "kernels": sorted(seen),
        "module": module,
        "blas_threads": blas_threads,
        "load_seconds": load_seconds,
    }


def run_child(spec, blas_threads=1, timeout=CHILD_TIMEOUT):
    """Run :func:`measure` on ``spec`` in a fresh subprocess.

    The child runs this file as a script with ``python -P`` (so neither the
    working directory nor ``benchmarks/`` is on its path), ``PYTHONPATH``
    set to ``spec["tree"]`` and the BLAS limited to ``blas_threads``.

    Parameters
    ----------
    spec : dict
        See :func:`measure`.
    blas_threads : int, default=1
        ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS``
        of the child.
    timeout : float, default=CHILD_TIMEOUT
        Seconds before the child is killed.

    Returns
    -------
    dict
        :func:`measure`'s result plus ``wall`` (seconds the child took), or
        ``{"error": message, "wall": ...}``.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.realpath(spec["tree"])
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(blas_threads)
    spec = {**spec, "blas_threads": blas_threads}
    cmd = [
        sys.executable,
        "-P",
        os.path.abspath(__file__),
        "--worker",
        json.dumps(spec),
    ]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            env=env,
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s", "wall": timeout}
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}", "wall": wall}
    return {**json.loads(lines[-1][len("RESULT ") :]), "wall": wall}


# ------------------------------------------------------------- the pairs
def pair_order(round_index, config_index):
    """Which tree runs first in a pair: ``("base", "new")`` or the reverse.

    The order flips from one configuration to the next within a round (the
    runs go base, new, new, base, base, new, ...) and from one round to the
    next for each configuration, so every configuration runs base first in
    half of its rounds (for an even number of rounds).

    Parameters
    ----------
    round_index, config_index : int

    Returns
    -------
    tuple of str
    """
    if (round_index + config_index) % 2 == 0:
        return ("base", "new")
    return ("new", "base")


def configurations(workloads, estimators, settings):
    """The configurations, as dicts with ``key``, ``workload``,
    ``estimator`` and ``setting``, workload-major.

    Parameters
    ----------
    workloads, estimators, settings : sequence of str

    Returns
    -------
    list of dict
    """
    return [
        {"key": f"{w}/{e}/{s}", "workload": w, "estimator": e, "setting": s}
        for w in workloads
        for e in estimators
        for s in settings
    ]


def summarise(pairs):
    """Summary of one configuration's pairs.

    Parameters
    ----------
    pairs : list of dict
        Each with ``base`` and ``new`` per-epoch times in seconds (pairs
        where either is missing or not positive are left out).

    Returns
    -------
    dict
        ``n`` (pairs used), ``ratios`` (new / base per pair), ``median_ratio``,
        ``min_ratio``, ``max_ratio``, ``spread`` (half of ``max - min``),
        ``median_base`` and ``median_new`` (seconds per epoch); the figures
        are NaN when no pair is usable.
    """
    usable = [
        p
        for p in pairs
        if p.get("base") is not None
        and p.get("new") is not None
        and p["base"] > 0
        and p["new"] > 0
    ]
    ratios = [p["new"] / p["base"] for p in usable]
    if not ratios:
        nan = math.nan
        return {
            "n": 0,
            "ratios": [],
            "median_ratio": nan,
            "min_ratio": nan,
            "max_ratio": nan,
            "spread": nan,
            "median_base": nan,
            "median_new": nan,
        }
    return {
        "n": len(ratios),
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
        "min_ratio": min(ratios),
        "max_ratio": max(ratios),
        "spread": (max(ratios) - min(ratios)) / 2,
        "median_base": statistics.median(p["base"] for p in usable),
        "median_new": statistics.median(p["new"] for p in usable),
    }


def classify(summary):
    """The class of one configuration's :func:`summarise` result.

    Parameters
    ----------
    summary : dict

    Returns
    -------
    str
        ``"not measured"`` (no usable pair), ``"too few pairs"`` (one: no
        estimate of the noise), ``"slower"`` (median ratio new/base above
        ``1 + spread``), ``"faster"`` (below ``1 - spread``) or ``"no
        slower"`` (within the noise).
    """
    if not summary["n"]:
        return "not measured"
    if summary["n"] < 2:
        return "too few pairs"
    med, spread = summary["median_ratio"], summary["spread"]
    if med > 1 + spread:
        return "slower"
    if med < 1 - spread:
        return "faster"
    return "no slower"


def verdict(summary):
    """The verdict line on one configuration's :func:`summarise` result.

    "no slower than noise" when the median ratio new/base is at most
    ``1 + spread`` (half the range of the pair ratios, :func:`classify`);
    otherwise the slowdown is stated with its size. A median below
    ``1 - spread`` adds that the new tree is faster beyond the noise.

    Parameters
    ----------
    summary : dict

    Returns
    -------
    str
    """
    kind = classify(summary)
    if kind == "not measured":
        return "not measured (no usable pair)"
    med, spread, n = summary["median_ratio"], summary["spread"], summary["n"]
    figures = f"median ratio {med:.3f}, 1 + spread = {1 + spread:.3f}, {n} pairs"
    if kind == "too few pairs":
        return f"no verdict: one pair only, no estimate of the noise ({figures})"
    if kind == "slower":
        return (
            f"**slower than noise**: new takes {(med - 1) * 100:.1f}% more per "
            f"epoch ({figures})"
        )
    if kind == "faster":
        return (
            f"no slower than noise ({figures}); faster beyond noise: "
            f"{(1 - med) * 100:.1f}% less per epoch"
        )
    return f"no slower than noise ({figures})"


#: The table's short form of :func:`classify`.
SHORT = {
    "not measured": "not measured",
    "too few pairs": "no verdict",
    "slower": "**slower**",
    "faster": "no slower (faster)",
    "no slower": "no slower",
}


# ------------------------------------------------------------- the report
def _ms(seconds):
    return "—" if not math.isfinite(seconds) else f"{seconds * 1e3:.1f}"


def kernel_label(kernels):
    """Readable names of the compiled kernels a measurement recorded.

    Parameters
    ----------
    kernels : sequence of str
        Names of functions of ``sklearn_linsgd._fast``.

    Returns
    -------
    str
    """
    if not kernels:
        return "none (numpy reference)"
    return ", ".join(f"{KERNEL_NAMES.get(k, k)} (`{k}`)" for k in kernels)


def table_lines(configs, results):
    """The markdown table, one row per configuration.

    Parameters
    ----------
    configs : list of dict
        As :func:`configurations` returns them.
    results : dict
        Per configuration key: ``pairs`` (list of dicts with ``base`` and
        ``new`` per-epoch seconds) and ``kernels`` (dict tree -> list of
        kernel names).

    Returns
    -------
    list of str
    """
    lines = [
        "| workload | estimator | setting | compiled kernel | base ms/epoch "
        "| new ms/epoch | new/base (median) | pair range | verdict |",
        "|---|---|---|---|---:|---:|---:|---|---|",
    ]
    for c in configs:
        res = results.get(c["key"], {})
        s = summarise(res.get("pairs", []))
        kernels = res.get("kernels", {})
        label = kernel_label(kernels.get("new", kernels.get("base", [])))
        if "base" in kernels and "new" in kernels and kernels["base"] != kernels["new"]:
            label += f"; base: {kernel_label(kernels['base'])}"
        short = SHORT[classify(s)]
        rng = f"{s['min_ratio']:.3f}–{s['max_ratio']:.3f}" if s["n"] else "—"
        med = f"{s['median_ratio']:.3f}" if s["n"] else "—"
        lines.append(
            f"| {c['workload']} | {c['estimator']} | {c['setting']} | {label} | "
            f"{_ms(s['median_base'])} | {_ms(s['median_new'])} | {med} | {rng} | "
            f"{short} |"
        )
    return lines


def verdict_lines(configs, results):
    """One line per configuration: its key and :func:`verdict`.

    Parameters
    ----------
    configs : list of dict
    results : dict
        As for :func:`table_lines`.

    Returns
    -------
    list of str
    """
    lines = []
    for c in configs:
        pairs = results.get(c["key"], {}).get("pairs", [])
        lines.append(f"- {c['key']}: {verdict(summarise(pairs))}")
    return lines


def noise_lines(configs, results):
    """A note on what the spreads let the verdicts detect.

    Parameters
    ----------
    configs : list of dict
    results : dict
        As for :func:`table_lines`.

    Returns
    -------
    list of str
        A paragraph and a blank line, or nothing when no configuration has
        two pairs.
    """
    spreads = []
    for c in configs:
        s = summarise(results.get(c["key"], {}).get("pairs", []))
        if s["n"] >= 2:
            spreads.append(s["spread"])
    if not spreads:
        return []
    return [
        f"The spreads ranged from {min(spreads) * 100:.1f}% to "
        f"{max(spreads) * 100:.1f}%: a configuration's verdict cannot detect a "
        "slowdown smaller than its own spread.",
        "",
    ]


def _tree_line(role, tree):
    dirty = " (with uncommitted changes)" if tree.get("dirty") else ""
    return (
        f"- {role}: `{tree['path']}` at `{tree['commit'][:10]}`{dirty} "
        f'"{tree.get("subject", "")}"'
    )


def report_lines(data):
    """The whole report of a run (the dict :func:`main` saves as JSON).

    Parameters
    ----------
    data : dict
        ``command``, ``trees`` (``base`` and ``new``: ``path``, ``commit``,
        ``subject``, ``dirty``), ``settings`` (``pairs``, ``epochs``,
        ``repeats``, ``blas_threads``), ``workloads`` (per name: ``shape``,
        ``n_classes``, ``nnz_per_row``), ``configs``, ``results``, ``info``
        (:func:`benchmarks.bench_memory.machine_info`) and ``elapsed``
        (seconds).

    Returns
    -------
    list of str
    """
    settings, trees = data["settings"], data["trees"]
    epochs = settings["epochs"]
    workload_lines = []
    for name, w in data["workloads"].items():
        shape = " x ".join(str(n) for n in w["shape"])
        nnz = (
            f", {w['nnz_per_row']:.1f} non-zeros per row"
            if w.get("nnz_per_row")
            else ""
        )
        workload_lines.append(
            f"- {DESCRIPTIONS.get(name, name)}: {shape}{nnz}, {w['n_classes']} "
            f"classes; E = {epochs[name]} epochs timed beyond the first"
        )
    common = ", ".join(f"{k}={v!r}" for k, v in COMMON.items())
    setting_lines = [
        f"- `{name}`: " + ", ".join(f"{k}={v!r}" for k, v in params.items())
        for name, params in SETTINGS.items()
        if name in {c["setting"] for c in data["configs"]}
    ]
    info = data.get("info", {})
    machine = _machine_lines(info, settings.get("blas_threads"))
    errors = [
        f"- {key} ({e['tree']}, round {e['round']}): {e['error']}"
        for key, res in data["results"].items()
        for e in res.get("errors", [])
    ]
    return [
        "# Paired A/B of the per-epoch fit time",
        "",
        f"Written by `{data['command']}` on {info.get('date', '?')} in "
        f"{data.get('elapsed', math.nan) / 60:.1f} min.",
        "",
        "## Trees",
        "",
        _tree_line("base", trees["base"]),
        _tree_line("new", trees["new"]),
        "",
        "## Method",
        "",
        f"{settings['pairs']} pairs per configuration. A pair is one measurement "
        "of each tree, one after the other, each in a fresh subprocess with "
        "`PYTHONPATH` set to the tree; the order of the two flips from one "
        "configuration to the next and from one round of configurations to the "
        "next, so each configuration ran base first in half of its pairs. A "
        "measurement loads the cached workload (built once by the parent, with "
        "fixed seeds, and read by both trees), fits once with `max_iter=1` to "
        f"warm up, then {settings['repeats']} times fits with `max_iter=1` and "
        "with `max_iter=1+E`; its per-epoch time is (best t(1+E) - best "
        "t(1)) / E. The ratio of a pair is new / base; *spread* is half the "
        "range of a configuration's pair ratios, and the verdict is \"no slower "
        'than noise" when the median ratio is at most 1 + spread. The times in '
        "the table are each tree's median over the pairs (so their quotient "
        "need not equal the median ratio).",
        "",
        f"Every fit: {common}, plus `margin=1.0` for LinearSVMSGD, and one of:",
        "",
        *setting_lines,
        "",
        "Workloads:",
        "",
        *workload_lines,
        "",
        *machine,
        "## Per-epoch time, new / base",
        "",
        *table_lines(data["configs"], data["results"]),
        "",
        "Compiled kernel: the functions of `sklearn_linsgd._fast` that the "
        "warm-up fit called, in the new tree (and in the base tree where they "
        "differ).",
        "",
        "## Verdicts",
        "",
        *verdict_lines(data["configs"], data["results"]),
        "",
        *noise_lines(data["configs"], data["results"]),
        *(["## Failed measurements", "", *errors, ""] if errors else []),
    ]


def _machine_lines(info, blas_threads):
    """The "Machine" section (:func:`benchmarks.bench_memory.machine_lines`),
    or a line saying it was not recorded."""
    if not info:
        return ["## Machine", "", "- not recorded", ""]
    from benchmarks.bench_memory import machine_lines

    return machine_lines(info, blas_threads)


def write_report(path, data):
    """Write :func:`report_lines` of ``data`` to ``path``.

    Parameters
    ----------
    path : str or Path
    data : dict
    """
    Path(path).write_text("\n".join(report_lines(data)), encoding="utf-8")


# -------------------------------------------------------------------- main
def tree_info(path):
    """``path``, ``commit``, ``subject`` and ``dirty`` (uncommitted changes
    under ``sklearn_linsgd/``) of a git work tree.

    Parameters
    ----------
    path : str

    Returns
    -------
    dict
    """

    def git(*args):
        out = subprocess.run(
            ["git", "-C", path, *args], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()

    return {
        "path": os.path.realpath(path),
        "commit": git("rev-parse", "HEAD"),
        "subject": git("log", "-1", "--format=%s"),
        "dirty": bool(
            git("status", "--porcelain", "--untracked-files=no", "--", "sklearn_linsgd")
        ),
    }


def run_pairs(data, workloads, log=print):
    """Run every round of pairs, filling ``data["results"]`` in place.

    Parameters
    ----------
    data : dict
        As for :func:`report_lines` (``results`` is filled).
    workloads : dict
        :func:`cache_workloads`'s result.
    log : callable, default=print
    """
    settings = data["settings"]
    results = data["results"]
    for c in data["configs"]:
        results.setdefault(
            c["key"], {"pairs": [], "kernels": {}, "errors": [], "runs": []}
        )
    for r in range(settings["pairs"]):
        for i, c in enumerate(data["configs"]):
            res = results[c["key"]]
            pair = {}
            for role in pair_order(r, i):
                wl = workloads[c["workload"]]
                spec = {
                    "tree": data["trees"][role]["path"],
                    "x_path": wl["x_path"],
                    "y_path": wl["y_path"],
                    "estimator": c["estimator"],
                    "setting": c["setting"],
                    "epochs": settings["epochs"][c["workload"]],
                    "repeats": settings["repeats"],
                }
                out = run_child(spec, blas_threads=settings["blas_threads"])
                res["runs"].append({"round": r, "tree": role, **out})
                if "error" in out:
                    res["errors"].append(
                        {"round": r, "tree": role, "error": out["error"]}
                    )
                    where = f"[{r + 1}/{settings['pairs']}] {c['key']} {role}"
                    log(f"{where}: {out['error']}")
                    continue
                pair[role] = out["per_epoch"]
                res["kernels"].setdefault(role, out["kernels"])
            res["pairs"].append({"round": r, "order": pair_order(r, i), **pair})
            if "base" in pair and "new" in pair:
                log(
                    f"[{r + 1}/{settings['pairs']}] {c['key']}: base "
                    f"{pair['base'] * 1e3:.1f} ms, new {pair['new'] * 1e3:.1f} ms, "
                    f"ratio {pair['new'] / pair['base']:.3f}"
                )


def parse_args(argv=None):
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", help="the base tree (built in place)")
    p.add_argument("--new", help="the new tree (built in place)")
    p.add_argument("--pairs", type=int, default=PAIRS)
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"E for every workload (default {EPOCHS})",
    )
    p.add_argument("--repeats", type=int, default=REPEATS)
    p.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    p.add_argument(
        "--estimators", nargs="+", default=list(ESTIMATORS), choices=ESTIMATORS
    )
    p.add_argument(
        "--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS)
    )
    p.add_argument(
        "--cache",
        default=None,
        help="workload cache directory (default: a temporary one)",
    )
    p.add_argument("--out", default="benchmarks/results/AB_EPOCH.md")
    p.add_argument("--json", default="benchmarks/results/ab_epoch.json")
    p.add_argument("--blas-threads", type=int, default=1)
    p.add_argument(
        "--report-only", action="store_true", help="rewrite --out from --json"
    )
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    """Run the A/B (or, with ``--worker``, one measurement) and write the report.

    Parameters
    ----------
    argv : list of str, optional
        The command line; ``sys.argv[1:]`` when ``None``.
    """
    args = parse_args(argv)
    if args.worker is not None:
        print("RESULT " + json.dumps(measure(json.loads(args.worker))), flush=True)
        return
    if args.report_only:
        write_report(args.out, json.loads(Path(args.json).read_text()))
        print(f"wrote {args.out}")
        return
    if not (args.base and args.new):
        raise SystemExit("--base and --new are required")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.blas_threads)
    from threadpoolctl import threadpool_limits

    from benchmarks.bench_memory import machine_info

    threadpool_limits(args.blas_threads)  # as in the children, for machine_info
    start = time.perf_counter()
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    epochs = {w: args.epochs or EPOCHS[w] for w in args.workloads}
    data = {
        "command": f"python -m benchmarks.ab_epoch {argv_text}",
        "trees": {"base": tree_info(args.base), "new": tree_info(args.new)},
        "settings": {
            "pairs": args.pairs,
            "epochs": epochs,
            "repeats": args.repeats,
            "blas_threads": args.blas_threads,
        },
        "configs": configurations(args.workloads, args.estimators, args.settings),
        "results": {},
        "info": machine_info(),
    }
    with tempfile.TemporaryDirectory(prefix="ab_epoch_") as tmp:
        cache = Path(args.cache) if args.cache else Path(tmp)
        workloads = cache_workloads(cache, args.workloads)
        data["workloads"] = {
            name: {k: w[k] for k in ("shape", "n_classes", "nnz_per_row")}
            for name, w in workloads.items()
        }
        run_pairs(data, workloads)
    data["info"]["loadavg_end"] = os.getloadavg()
    data["elapsed"] = time.perf_counter() - start
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(data, indent=1))
    write_report(args.out, data)
    print("\n".join(verdict_lines(data["configs"], data["results"])))
    print(f"wrote {args.out} and {args.json} in {data['elapsed'] / 60:.1f} min")


if __name__ == "__main__":
    main()
