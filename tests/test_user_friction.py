"""A new user's report: skops type names, the Dask main guard, the figures."""

import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd.landscape import (
    LossLandscapeDisplay,
    StepSizeSweep,
    step_size_sweep,
)
from sklearn_linsgd.schedules import CosineDecay

# ------------------------------------------------------------------- skops


def test_skops_reports_public_type_names():
    sio = pytest.importorskip("skops.io")
    X, y = load_iris(return_X_y=True)
    softmax = SoftmaxSGD(
        learning_rate=CosineDecay(decay_steps=50), max_iter=5, tol=None, random_state=0
    ).fit(X, y)
    svm = LinearSVMSGD(max_iter=5, tol=None, random_state=0).fit(X, y)
    expected = {
        softmax: ["sklearn_linsgd.SoftmaxSGD", "sklearn_linsgd.schedules.CosineDecay"],
        svm: ["sklearn_linsgd.LinearSVMSGD"],
    }
    for est, names in expected.items():
        data = sio.dumps(est)
        types = sio.get_untrusted_types(data=data)
        assert sorted(types) == sorted(names)
        assert not any("._" in name for name in types)  # no private module
        loaded = sio.loads(data, trusted=types)
        assert type(loaded) is type(est)
        assert_array_equal(loaded.predict(X), est.predict(X))
        assert_array_equal(loaded.decision_function(X), est.decision_function(X))


def test_skops_two_line_load_from_a_file(tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = load_iris(return_X_y=True)
    est = SoftmaxSGD(max_iter=5, tol=None, random_state=0).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    types = sio.get_untrusted_types(file=path)
    model = sio.load(path, trusted=types)
    assert types == ["sklearn_linsgd.SoftmaxSGD"]
    assert_array_equal(model.predict_proba(X), est.predict_proba(X))


# -------------------------------------------------------------------- dask

_NO_GUARD_SCRIPT = """
import numpy as np
from sklearn_linsgd import SoftmaxSGD
from sklearn_linsgd.dask import ParallelSGD

rng = np.random.default_rng(0)
X = rng.normal(size=(100, 3))
y = (X[:, 0] > 0).astype(int)
ParallelSGD(
    SoftmaxSGD(random_state=0),
    n_rounds=1,
    cluster_kwargs={"n_workers": 1, "threads_per_worker": 1},
).fit(X, y)
print("fitted without a main guard")
"""


def test_parallel_sgd_without_main_guard_says_what_to_do(tmp_path):
    pytest.importorskip("distributed")
    script = tmp_path / "no_guard.py"
    script.write_text(textwrap.dedent(_NO_GUARD_SCRIPT), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    if proc.returncode == 0:  # a start method that does not re-import __main__
        pytest.skip("LocalCluster started without a main guard here")
    stderr = proc.stderr
    assert 'if __name__ == "__main__":' in stderr
    assert "client=" in stderr
    assert stderr.rstrip().splitlines()[-1].startswith("RuntimeError:")
    assert len(stderr.splitlines()) < 60, stderr


def test_main_guard_message_mapping(monkeypatch):
    """The mapping itself, with fake start-up errors (no processes started)."""
    pytest.importorskip("distributed")
    import dask

    from sklearn_linsgd import dask as sdask

    # As when a script is run with distributed's default start method.
    script = types.SimpleNamespace(__name__="__main__", __file__="script.py")
    monkeypatch.setitem(sys.modules, "__main__", script)
    monkeypatch.setitem(
        dask.config.config["distributed"]["worker"], "multiprocessing-method", "spawn"
    )
    try:
        try:
            raise RuntimeError("Nanny failed to start worker process")
        except RuntimeError as inner:
            raise RuntimeError("Nanny failed to start.") from inner
    except RuntimeError as exc:
        failure = exc
    message = sdask._main_guard_message(failure, {})
    assert 'if __name__ == "__main__":' in message and "client=" in message
    assert "Nanny failed to start." in message
    # Not a start-up failure, or no worker processes: left alone.
    assert sdask._main_guard_message(ValueError("bad n_workers"), {}) is None
    assert sdask._main_guard_message(failure, {"processes": False}) is None
    monkeypatch.delattr(script, "__file__")  # an interactive session
    assert sdask._main_guard_message(failure, {}) is None
    monkeypatch.setattr(script, "__file__", "script.py", raising=False)

    def fail(**kwargs):
        raise failure

    monkeypatch.setattr("distributed.LocalCluster", fail)
    with pytest.raises(RuntimeError, match="__main__") as info:
        sdask._start_local_cluster({"n_workers": 1})
    assert info.value.__cause__ is None and info.value.__suppress_context__


# ----------------------------------------------------------------- figures


def test_display_colorbar_for_2d(pyplot):
    from matplotlib.colorbar import Colorbar

    X, y = load_iris(return_X_y=True)
    clf = SoftmaxSGD(max_iter=5, tol=None, random_state=0).fit(X, y)
    grid = dict(alphas=np.linspace(-1, 1, 5), betas=np.linspace(-1, 1, 4))
    with_bar = LossLandscapeDisplay.from_estimator(
        clf, X, y, kind="2d", random_state=0, **grid
    )
    assert isinstance(with_bar.colorbar_, Colorbar)
    assert len(with_bar.figure_.axes) == 2
    assert with_bar.colorbar_.ax in with_bar.figure_.axes

    fig, ax = pyplot.subplots()
    without = LossLandscapeDisplay.from_estimator(
        clf, X, y, kind="2d", random_state=0, ax=ax, colorbar=False, **grid
    )
    assert without.colorbar_ is None
    assert fig.axes == [ax]

    # 1-D: no colorbar, whatever the option.
    line = LossLandscapeDisplay.from_estimator(clf, X, y, random_state=0)
    assert line.colorbar_ is None and len(line.figure_.axes) == 1


def test_step_size_sweep_plot(pyplot):
    from matplotlib.axes import Axes

    X, y = load_iris(return_X_y=True)
    sweep = step_size_sweep(
        LinearSVMSGD(), X, y, step_sizes=[1e-6, 1e-3, 1e-1, 10.0], random_state=0
    )
    ax = sweep.plot()
    assert isinstance(ax, Axes)
    assert ax.get_xscale() == "log"
    curve = ax.lines[0]
    assert_array_equal(curve.get_xdata(), sweep.step_sizes)
    assert_array_equal(curve.get_ydata(), sweep.objectives)
    # The initial objective as a horizontal line, the best step as a marker.
    flat = [
        line
        for line in ax.lines
        if np.ptp(line.get_ydata()) == 0 and len(line.get_ydata()) == 2
    ]
    assert any(line.get_ydata()[0] == sweep.initial_objective for line in flat)
    assert any(
        list(line.get_xdata()) == [sweep.best_step_size]
        and list(line.get_ydata()) == [sweep.objectives[sweep.best_index]]
        for line in ax.lines
    )

    fig, given = pyplot.subplots()
    assert StepSizeSweep([0.1, 1.0], [1.0, np.inf], 2.0).plot(ax=given) is given
