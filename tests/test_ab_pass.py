"""The in-process pass A/B harness, on a small CSR problem and one build."""

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
