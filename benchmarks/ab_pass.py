"""Paired A/B of one compiled pass, in one process.

Usage (from the root of a checkout; each tree must have its compiled module
built in place, ``python setup.py build_ext --inplace``)::

    python -m benchmarks.ab_pass --base /path/to/base/tree --new /path/to/new/tree
                                 [--pass adagrad] [--estimator LinearSVMSGD]
                                 [--workload realtext_tfidf] [--epoch 6] [--calls 21]

Whole-epoch timings (:mod:`benchmarks.ab_epoch`) on a shared machine move by
up to 50 % from one run to the next, more than a kernel change of 10-15 %.
This script takes the load's swings out of the comparison instead of
averaging over them: it fits the estimator (defaults but the pass's
parameters, ``tol=None``) on the workload with the *base* tree's package
and captures the arguments of the pass's call of epoch ``--epoch``, loads
both trees' compiled modules side by side, and calls the two passes
alternately, each time on fresh copies of those arguments (``--calls``
calls each, the order flipping every call). It prints the median and range
of the per-call ratios new / base, and whether the two passes returned the
same status, counts and objective, and the largest difference between
their parameters.

``--pass`` picks the pass (:data:`PASSES`): ``adagrad``, the sparse AdaGrad
pass (``sparse_adagrad_pass``, the default); ``dense``, ``dense_pass`` (on
the ``dense`` workload by default); ``sparse``, the plain lazy sparse pass
``sparse_pass`` (``learning_rate="optimal"``, on the text). A fit calls
each once an epoch (but ``dense_pass`` on a memmap read in groups).

The two passes need not take their arguments in the same form: a tree
whose pass takes the update rule's options one by one (before they became
one ``rule`` argument, a dict) and one whose pass takes ``rule`` are each
called in their own form (:func:`replay`), on the same arrays. The BLAS is
limited to one thread.
"""

import argparse
import glob
import importlib.util
import inspect
import os
import sys
import time
from typing import NamedTuple

import numpy as np


def load_module(tree, name="sklearn_linsgd._fast"):
    """The compiled module ``_fast`` of the source tree ``tree``, loaded from
    its file (two trees' modules can then sit in one process)."""
    paths = glob.glob(os.path.join(tree, "sklearn_linsgd", "_fast*.so"))
    if not paths:
        raise FileNotFoundError(
            f"{tree} has no compiled sklearn_linsgd._fast: run "
            "`python setup.py build_ext --inplace` there first."
        )
    spec = importlib.util.spec_from_file_location(name, paths[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def capture_pass_args(fast, make_estimator, X, y, epoch, kind="adagrad"):
    """Fit ``make_estimator(max_iter=epoch, tol=None)`` on ``(X, y)`` and
    return copies of the arguments of call number ``epoch`` of the pass
    ``kind`` (a key of :data:`PASSES`; ``fast.sparse_adagrad_pass`` by
    default): its arrays as they were before that pass."""
    calls = []
    name, what = PASSES[kind].function, PASSES[kind].calls
    original = getattr(fast, name)

    def spy(*args):
        calls.append([_copy(a) for a in args])
        return original(*args)

    setattr(fast, name, spy)
    try:
        make_estimator(max_iter=epoch, tol=None).fit(X, y)
    finally:
        setattr(fast, name, original)
    if len(calls) < epoch:
        raise RuntimeError(
            f"the fit made {len(calls)} {what}, not {epoch}: "
            f"does the estimator run the compiled {name} here?"
        )
    return calls[epoch - 1]


def _copy(a):
    return np.array(a, copy=True, order="K") if isinstance(a, np.ndarray) else a


class Pass(NamedTuple):
    """A compiled pass that ``--pass`` names: its function in ``_fast``,
    what its calls are called, and the estimator's parameters and the
    workload that run it by default."""

    function: str
    calls: str
    params: dict
    workload: str


#: The passes that ``--pass`` picks from.
PASSES = {
    "adagrad": Pass(
        "sparse_adagrad_pass", "sparse AdaGrad passes", {}, "realtext_tfidf"
    ),
    "dense": Pass("dense_pass", "dense passes", {}, "dense"),
    "sparse": Pass(
        "sparse_pass",
        "plain sparse passes",
        {"learning_rate": "optimal"},
        "realtext_tfidf",
    ),
}


#: The options of a ``rule`` that the sparse AdaGrad pass did not take when it
#: took them one by one, as a sparse AdaGrad fit has them (``_compiled`` runs
#: no L1 share, momentum or averaging there).
RULE_DEFAULTS = {
    "l1_ratio": 0.0,
    "momentum": 0.0,
    "nesterov": False,
    "average_start": -1,
}


def replay(target, source):
    """``target`` (a module's pass, e.g. ``sparse_adagrad_pass``) as a
    function of the arguments of a call of ``source`` (the pass that made
    the call).

    ``target`` itself when the two take the same parameters; else a function
    that matches the arguments to ``target``'s parameters by name, the update
    rule's options going from one argument each into the dict ``rule``, or
    out of it (a few microseconds per call, against milliseconds of a pass).
    """
    have = list(inspect.signature(source).parameters)
    want = list(inspect.signature(target).parameters)
    if have == want:
        return target

    def call(*args):
        named = dict(zip(have, args))
        named.update(named.pop("rule", {}))
        rule = {k: v for k, v in named.items() if k not in want}
        named["rule"] = {**RULE_DEFAULTS, **rule}
        return target(*[named[p] for p in want])

    return call


def paired_calls(passes, args, n_calls):
    """Call each of ``passes`` (a dict of name -> function) ``n_calls`` times
    on fresh copies of ``args``, alternating the order every call.

    Returns
    -------
    times : dict of name -> list of float
        Seconds per call.
    last : dict of name -> (result, args)
        The last call's return value and (updated) arguments.
    """
    names = list(passes)
    times = {k: [] for k in names}
    last = {}
    for i in range(n_calls):
        for k in names if i % 2 == 0 else names[::-1]:
            a = [_copy(x) for x in args]
            start = time.perf_counter()
            result = passes[k](*a)
            times[k].append(time.perf_counter() - start)
            last[k] = (result, a)
    return times, last


def compare(last, base="base", new="new"):
    """``(same_counts, max_abs_param_diff)`` of the two passes' last calls:
    whether status, updates, rows, total and samples are equal, and the
    largest difference between any float array argument after the calls."""
    (rb, ab), (rn, an) = last[base], last[new]
    same = tuple(rb) == tuple(rn)
    diffs = [
        float(np.max(np.abs(x - z)))
        for x, z in zip(ab, an)
        if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.size
    ]
    return same, max(diffs, default=0.0)


def summary(times, base="base", new="new"):
    """One line: the medians and ranges of the two passes and of the ratio."""
    tb, tn = np.array(times[base]), np.array(times[new])
    ratios = tn / tb
    return (
        f"base median {np.median(tb) * 1e3:.1f} ms [{tb.min() * 1e3:.1f}-"
        f"{tb.max() * 1e3:.1f}], new median {np.median(tn) * 1e3:.1f} ms "
        f"[{tn.min() * 1e3:.1f}-{tn.max() * 1e3:.1f}], new / base median "
        f"{np.median(ratios):.3f} [{ratios.min():.3f}-{ratios.max():.3f}]"
    )


def main(argv=None):
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="the base tree (built)")
    parser.add_argument("--new", required=True, help="the new tree (built)")
    parser.add_argument("--pass", dest="kind", default="adagrad", choices=list(PASSES))
    parser.add_argument(
        "--estimator", default="LinearSVMSGD", choices=["LinearSVMSGD", "SoftmaxSGD"]
    )
    parser.add_argument("--workload", help="default: the pass's (PASSES)")
    parser.add_argument("--epoch", type=int, default=6)
    parser.add_argument("--calls", type=int, default=21)
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # the base tree's package captures the arguments: first on the path,
    # before anything imports sklearn_linsgd
    sys.path.insert(0, os.path.realpath(args.base))
    import sklearn_linsgd
    from benchmarks.bench_defaults import limit_blas, load_workload
    from sklearn_linsgd import _fast

    limit_blas(1)
    chosen = PASSES[args.kind]
    workload = args.workload or chosen.workload
    wl = load_workload(workload)

    if not os.path.realpath(sklearn_linsgd.__file__).startswith(
        os.path.realpath(args.base)
    ):
        raise RuntimeError(
            f"sklearn_linsgd came from {sklearn_linsgd.__file__}, not from "
            f"{args.base}: was it imported before ab_pass.main?"
        )
    cls = getattr(sklearn_linsgd, args.estimator)

    def make(**kw):
        return cls(random_state=0, **chosen.params, **kw)

    pass_args = capture_pass_args(
        _fast, make, wl.X_train, wl.y_train, args.epoch, args.kind
    )
    source = getattr(_fast, chosen.function)
    passes = {
        name: replay(getattr(load_module(tree), chosen.function), source)
        for name, tree in (("base", args.base), ("new", args.new))
    }
    times, last = paired_calls(passes, pass_args, args.calls)
    same, diff = compare(last)
    print(
        f"{chosen.function}, {args.estimator} on {workload}, epoch {args.epoch}: "
        f"{summary(times)}"
    )
    print(f"same status and counts: {same}; largest parameter difference {diff:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
