"""The in-process pass A/B harness, on a small CSR problem and one build."""

import inspect
import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks import ab_pass
from sklearn_linsgd import LinearSVMSGD, _fast


def _problem():
    rng = np.random.default_rng(0)
    X = sp.random(600, 400, density=0.03, format="csr", random_state=0)
    return X, rng.integers(0, 4, X.shape[0])


def test_captured_pass_replays_the_fit():
    X, y = _problem()

    def make(**kw):
        return LinearSVMSGD(random_state=0, **kw)

    args = ab_pass.capture_pass_args(_fast, make, X, y, epoch=2)
    assert _fast.sparse_adagrad_pass.__name__ == "sparse_adagrad_pass"  # restored
    # the captured arrays are the state before epoch 2: replaying them gives
    # the parameters of a two-epoch fit
    times, last = ab_pass.paired_calls(
        {"base": _fast.sparse_adagrad_pass, "new": _fast.sparse_adagrad_pass},
        args,
        n_calls=3,
    )
    assert [len(t) for t in times.values()] == [3, 3]
    assert all(t > 0 for t in times["base"] + times["new"])
    assert ab_pass.compare(last) == (True, 0.0)
    two = make(max_iter=2, tol=None).fit(X, y)
    coefs = [a for a in last["new"][1] if isinstance(a, np.ndarray) and a.ndim == 2]
    np.testing.assert_allclose(coefs[0], two.coef_, rtol=0, atol=1e-12)
    line = ab_pass.summary(times)
    assert "new / base median" in line and line.startswith("base median")


def test_capture_needs_enough_passes():
    X, y = _problem()
    with pytest.raises(RuntimeError, match="made 0 sparse AdaGrad passes, not 2"):
        ab_pass.capture_pass_args(
            _fast,
            lambda **kw: LinearSVMSGD(learning_rate="constant", eta0=0.1, **kw),
            X,
            y,
            epoch=2,
        )


def test_load_module_says_what_to_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_ext --inplace"):
        ab_pass.load_module(str(tmp_path))


def test_replay_calls_each_pass_in_its_own_form():
    """A pass that takes the rule's options one by one (as before the ``rule``
    argument) replays a call of one that takes ``rule``, and back."""
    X, y = _problem()

    def make(**kw):
        return LinearSVMSGD(random_state=0, **kw)

    args = ab_pass.capture_pass_args(_fast, make, X, y, epoch=2)
    options = ["loss", "margin", "alpha", "fit_intercept", "adagrad"]
    options += ["intercept_scale", "adagrad_eps"]

    def one_by_one(*a):
        rule = {**ab_pass.RULE_DEFAULTS, **dict(zip(options, a[13:]))}
        return _fast.sparse_adagrad_pass(*a[:13], rule)

    arrays = list(inspect.signature(_fast.sparse_adagrad_pass).parameters)[:13]
    one_by_one.__signature__ = inspect.Signature(
        [
            inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY)
            for n in arrays + options
        ]
    )
    new = _fast.sparse_adagrad_pass
    assert ab_pass.replay(new, new) is new
    _, last = ab_pass.paired_calls(
        {"base": new, "new": ab_pass.replay(one_by_one, new)}, args, n_calls=1
    )
    assert ab_pass.compare(last) == (True, 0.0)
    old_args = [*args[:13], *(args[13][k] for k in options)]
    _, last = ab_pass.paired_calls(
        {"base": one_by_one, "new": ab_pass.replay(new, one_by_one)}, old_args, 1
    )
    assert ab_pass.compare(last) == (True, 0.0)


def _dense_problem():
    rng = np.random.default_rng(0)
    return rng.standard_normal((300, 12)), rng.integers(0, 3, 300)


@pytest.mark.parametrize(
    "kind, problem, params",
    [
        ("dense", _dense_problem, {}),
        ("sparse", _problem, {"learning_rate": "optimal"}),
    ],
)
def test_captured_pass_of_each_kind_replays_the_fit(kind, problem, params):
    """``kind`` picks the pass that is captured and replayed: ``dense_pass``
    on dense data, the plain lazy ``sparse_pass`` on CSR data."""
    X, y = problem()
    name = ab_pass.PASSES[kind].function

    def make(**kw):
        return LinearSVMSGD(random_state=0, **params, **kw)

    args = ab_pass.capture_pass_args(_fast, make, X, y, epoch=2, kind=kind)
    assert getattr(_fast, name).__name__ == name  # restored
    run = getattr(_fast, name)
    assert ab_pass.replay(run, run) is run
    _, last = ab_pass.paired_calls({"base": run, "new": run}, args, n_calls=2)
    assert ab_pass.compare(last) == (True, 0.0)
    named = dict(zip(inspect.signature(run).parameters, last["new"][1]))
    two = make(max_iter=2, tol=None).fit(X, y)
    np.testing.assert_allclose(named["coef"], two.coef_, rtol=0, atol=1e-12)


def test_capture_names_the_missing_pass():
    X, y = _problem()
    with pytest.raises(RuntimeError, match="made 0 dense passes, not 1: .* dense_pass"):
        ab_pass.capture_pass_args(
            _fast, lambda **kw: LinearSVMSGD(**kw), X, y, epoch=1, kind="dense"
        )


def test_main_runs_the_chosen_pass(monkeypatch, capsys):
    """``--pass dense`` fits on the pass's default workload and times
    ``dense_pass`` (here one tree against itself, on a small workload)."""
    import sklearn_linsgd
    from benchmarks import bench_defaults

    X, y = _dense_problem()
    asked = []

    def load_workload(name):
        asked.append(name)
        return SimpleNamespace(X_train=X, y_train=y)

    monkeypatch.setattr(bench_defaults, "load_workload", load_workload)
    monkeypatch.setattr(bench_defaults, "limit_blas", lambda n: None)
    monkeypatch.setattr(ab_pass, "load_module", lambda tree: _fast)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    tree = os.path.dirname(os.path.dirname(sklearn_linsgd.__file__))
    argv = ["--base", tree, "--new", tree, "--pass", "dense", "--epoch", "2"]
    assert ab_pass.main([*argv, "--calls", "3"]) == 0
    out = capsys.readouterr().out
    assert asked == [ab_pass.PASSES["dense"].workload]
    assert out.startswith("dense_pass, LinearSVMSGD on dense, epoch 2: base median")
    assert "same status and counts: True; largest parameter difference 0" in out
