"""The benchmark harness: workload builders and one quick row, on tiny sizes.

No timing is asserted anywhere: only shapes, dtypes, determinism and that the
report is written from results.
"""

import json
import os
import re
import subprocess
import sys
import sysconfig

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks import report, run, runners, specs, workloads


def test_dense_workload_shapes_dtype_and_split():
    X_train, y_train, X_test, y_test = workloads.make_dense(400, 256, dtype=np.float32)
    assert X_train.shape == (300, 256) and X_test.shape == (100, 256)
    assert X_train.dtype == np.float32 and X_train.flags.c_contiguous
    assert y_train.shape == (300,) and y_test.shape == (100,)
    assert set(np.unique(y_train)) <= set(range(10))
    assert np.unique(np.concatenate([y_train, y_test])).size == 10


def test_dense_workload_is_deterministic_and_float32_is_the_cast():
    a = workloads.make_dense(200, 256, dtype=np.float64)
    b = workloads.make_dense(200, 256, dtype=np.float64)
    c = workloads.make_dense(200, 256, dtype=np.float32)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(c[0], a[0].astype(np.float32))
    np.testing.assert_array_equal(c[1], a[1])


def test_bow_workload_structure():
    n, d = 2000, 2**12
    X_train, y_train, X_test, y_test = workloads.make_bow(n, d)
    assert sp.isspmatrix_csr(X_train) and sp.isspmatrix_csr(X_test)
    assert X_train.shape == (1500, d) and X_test.shape == (500, d)
    assert X_train.dtype == np.float64
    assert X_train.indices.dtype == np.int32 and X_train.has_sorted_indices
    # tf-idf rows have unit L2 norm, every row has a token
    norms = np.sqrt(np.asarray(X_train.multiply(X_train).sum(axis=1))).ravel()
    np.testing.assert_allclose(norms, 1.0, rtol=1e-12)
    nnz = np.diff(X_train.indptr)
    assert nnz.min() >= 1
    # about 60 distinct columns per row (fewer at 2**12 columns: more repeats)
    assert 40 < nnz.mean() < 66
    # Zipf-like: the most frequent column appears in far more rows than the median
    df = np.bincount(X_train.indices, minlength=d)
    assert df.max() > 50 * max(np.median(df), 1)
    assert np.unique(np.concatenate([y_train, y_test])).size == 20


def test_bow_workload_is_deterministic_and_float32_matches():
    a = workloads.make_bow(500, 2**11)
    b = workloads.make_bow(500, 2**11)
    c = workloads.make_bow(500, 2**11, dtype=np.float32)
    assert (a[0] != b[0]).nnz == 0
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0].indices, c[0].indices)
    np.testing.assert_allclose(c[0].data, a[0].data, rtol=1e-6)
    np.testing.assert_array_equal(a[1], c[1])


def test_digits_is_standardized_on_the_training_split():
    X_train, y_train, X_test, y_test = workloads.make_digits()
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-12)
    assert np.bincount(y_train).min() > 0


@pytest.mark.parametrize("name", workloads.WORKLOADS)
def test_build_quick_workloads(name):
    wl = workloads.build(name, quick=True)
    assert wl.X_train.shape[1] == wl.X_test.shape[1]
    assert wl.X_train.shape[0] == wl.y_train.shape[0]
    assert wl.X_train.dtype == (np.float32 if name.endswith("f32") else np.float64)
    assert sp.issparse(wl.X_train) == name.startswith("sparse")
    assert wl.name in wl.summary() or "train" in wl.summary()


def test_build_rejects_unknown_workload():
    with pytest.raises(ValueError, match="unknown workload 'nope'"):
        workloads.build("nope")


def test_floor_pass_reads_dense_and_sparse():
    X = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert workloads.floor_pass(X) == 66.0
    S = sp.csr_matrix(np.array([[0, 2.0], [3.0, 0]]))
    # data sum 5 plus indices sum (1 + 0)
    assert workloads.floor_pass(S) == 6.0
    assert workloads.measure_floor(X, repeats=2) >= 0


def test_anchor_objective_equals_our_objective_at_the_same_parameters():
    from sklearn.linear_model import LogisticRegression

    from sklearn_linsgd import SoftmaxSGD

    X_train, y_train, _, _ = workloads.make_dense(400, 256)
    ours = SoftmaxSGD(alpha=runners.ALPHA, max_iter=2, tol=None, random_state=0)
    ours.fit(X_train, y_train)
    expected = ours.objective(X_train, y_train)
    anchor = LogisticRegression(max_iter=1)
    anchor.classes_ = ours.classes_
    anchor.coef_ = ours.coef_.copy()
    anchor.intercept_ = ours.intercept_.copy()
    got = runners.our_objective("softmax", anchor, X_train, y_train)
    assert got == pytest.approx(expected, rel=1e-12)
    assert runners.our_objective("softmax", ours, X_train, y_train) == expected


def test_quick_rows_run_in_child_processes(tmp_path):
    """A few quick rows on digits: fit row, curve row, report and figure."""
    wl = workloads.build("digits", quick=True)
    by_key = {
        s.key: s
        for s in specs.make_specs("digits", wl.X_train.shape[0], False, "quick")
    }
    opts = dict(specs.MODES["quick"], blas_threads=1)
    rows = []
    for key in ("sgd_hinge", "sgd_hinge_fixed", "lr_lbfgs", "softmax_fixed"):
        res = runners.run_row(by_key[key], wl, opts)
        assert "error" not in res, res
        assert res["floor"] > 0 and res["peak_mib"] >= 0
        assert res["peak_scope"] == "fit"
        assert 0.5 < res["test_accuracy"] <= 1
        rows.append({"key": key, **vars_of(by_key[key]), **res})
    assert rows[1]["epochs"] == specs.MODES["quick"]["epochs_sgd"]
    assert rows[3]["epochs"] == specs.MODES["quick"]["epochs_ours"]
    target = rows[2]["test_accuracy"] - specs.TARGET_GAP
    curve = runners.run_row(by_key["softmax_curve"], wl, opts, target=target)
    assert "error" not in curve, curve
    points = np.asarray(curve["curve"])
    assert points.shape[1] == 4 and points.shape[0] == curve["epochs"] >= 1
    np.testing.assert_array_equal(points[:, 0], np.arange(1, len(points) + 1))
    assert np.all(np.diff(points[:, 1]) > 0)  # cumulative time
    rows.append({"key": "softmax_curve", **vars_of(by_key["softmax_curve"]), **curve})

    w = {
        "name": "digits",
        "description": wl.description,
        "summary": wl.summary(),
        "build_seconds": 0.0,
        "x_train_mib": 0.7,
        "model_mib": 0.01,
        "batch_mib": 0.1,
        "target_accuracy": target,
        "rows": rows,
    }
    info = report.machine_info()
    info["loadavg_end"] = info["loadavg"]
    figure = tmp_path / "digits.png"
    report.plot_workload(w, str(figure))
    assert figure.stat().st_size > 0
    results_md = tmp_path / "RESULTS.md"
    report.write_report(
        str(results_md), info, [w], "quick", 1.0, {"digits": "digits.png"}
    )
    text = results_md.read_text()
    assert "## digits" in text and "SoftmaxSGD(5 epochs)" in text
    assert "OPENBLAS_CORETYPE" in text
    assert os.path.basename(str(figure)) in text

    # the report can be rebuilt from the raw JSON alone
    data = {"mode": "quick", "elapsed": 1.0, "machine": info, "workloads": [w]}
    (tmp_path / "results.json").write_text(json.dumps(data))
    results_md.unlink()
    run.main(["--report-only", "--out", str(tmp_path)])
    assert results_md.read_text() == text


def test_workload_info_records_sizes_and_run_keeps_machine_info():
    """The workload's sizes as the report reads them; ``benchmarks.run`` still
    exports ``machine_info`` (``bench_defaults`` builds its header on it)."""
    wl = workloads.build("sparse_bow", quick=True)
    info = workloads.workload_info(wl, 256)
    X = wl.X_train
    assert info["n_train"] == X.shape[0] and info["n_features"] == X.shape[1]
    assert info["sparse"] is True and info["n_classes"] == wl.n_classes
    assert info["x_train_mib"] == workloads.nbytes(X) / 2**20
    assert info["batch_mib"] == 256 * (X.nnz / X.shape[0]) * 12 / 2**20
    assert run.machine_info is report.machine_info


def vars_of(spec):
    return {
        "label": spec.label,
        "family": spec.family,
        "objective_kind": spec.objective,
        "per_epoch": spec.per_epoch,
        "curve": spec.curve,
        "note": spec.note,
    }


def test_timeout_is_reported_not_raised():
    wl = workloads.build("digits", quick=True)
    spec = specs.Spec("slow", "slow", "anchor", None, lambda: _Sleeper())
    res = runners.run_row(spec, wl, dict(specs.MODES["quick"], timeout=0.5))
    assert res["error"].startswith("timeout after")


class _Sleeper:
    def fit(self, X, y):
        import time

        time.sleep(30)
        return self


@pytest.mark.parametrize("mode", ["quick", "full"])
@pytest.mark.parametrize("name", workloads.WORKLOADS)
def test_specs_are_unique_and_the_target_row_runs_before_the_curves(mode, name):
    sparse = name.startswith("sparse")
    rows = specs.make_specs(name, 1000, sparse, mode, big=name == "dense1m_f32")
    keys = [s.key for s in rows]
    assert len(keys) == len(set(keys))
    # the accuracy target comes from LogisticRegression, before any curve row
    first_curve = min(i for i, s in enumerate(rows) if s.curve)
    assert keys.index("lr_lbfgs") < first_curve
    assert {"sgd_hinge_fixed", "svm_fixed", "softmax_fixed"} <= set(keys)
    assert {"svm_curve", "softmax_curve"} <= set(keys)
    assert ("lr_saga" in keys) == (sparse and name in specs.FULL_ANCHOR_WORKLOADS)
    for spec in rows:
        est = spec.make()
        assert hasattr(est, "fit")
        if spec.curve:
            assert hasattr(est, "partial_fit")


def test_summary_gives_ours_over_own_and_median_floor():
    """Our rows' epoch / floor: over the floor of the row's own process, then
    (in parentheses) over the workload's median floor."""

    def row(key, floor, fit_time, epochs):
        return {
            "key": key,
            "floor": floor,
            "fit_time": fit_time,
            "epochs": epochs,
            "test_accuracy": 0.5,
            "peak_mib": 1.0,
        }

    rows = [
        row("svm_fixed", 0.020, 0.5, 5),  # 0.1 s / epoch
        row("softmax_fixed", 0.025, 0.375, 5),  # 0.075 s / epoch
        row("sgd_hinge_fixed", 0.025, 10.0, 10),  # 1 s / epoch
        row("mlp_sgd_fixed", 0.030, 3.0, 5),  # 0.6 s / epoch
    ]
    line = report._summary_row({"name": "w", "rows": rows})
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[:6] == ["w", "25.00", "5.0x (4.0x)", "3.0x (3.0x)", "40.0x", "20.0x"]
    assert cells[6:8] == ["10.0, 13.3", "6.0, 8.0"]
    # a missing row of ours shows a dash, not a ratio in parentheses
    line = report._summary_row({"name": "w", "rows": rows[1:]})
    assert [c.strip() for c in line.strip("|").split("|")][2] == "—"


HARNESS = os.path.join(os.path.dirname(run.__file__), "kernel_harness")


def _build_c(tmp_path, source, *flags):
    """Build ``benchmarks/kernel_harness/<source>`` with the extension's
    compiler into ``tmp_path``; returns the executable's path."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    exe = tmp_path / os.path.splitext(source)[0]
    subprocess.run(
        [cc, "-O2", *flags, os.path.join(HARNESS, source), "-o", str(exe), "-lm"],
        check=True,
    )
    return exe


@pytest.mark.parametrize("n_classes", [3, 10, 16])
def test_kernel_harness_builds_and_checks_the_products(tmp_path, n_classes):
    """benchmarks/kernel_harness: the extension's _fast_small.h builds on its
    own with the extension's compiler, and the harness's products equal its
    plain loops."""
    small = os.path.join(
        os.path.dirname(HARNESS), "..", "sklearn_linsgd", "_fast_small.h"
    )
    header = tmp_path / "kernels.h"
    subprocess.run(
        [sys.executable, os.path.join(HARNESS, "extract.py"), small, str(header)],
        check=True,
    )
    assert "LINSGD_SMALL(d, double" in header.read_text()
    exe = _build_c(tmp_path, "harness.c", f"-I{tmp_path}")
    out = subprocess.run(
        [str(exe), "300", str(n_classes), "300"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    m = re.search(
        r"scores ([\d.]+), gradient ([\d.]+), both ([\d.]+); max \|error\| (\S+)",
        out,
    )
    assert m, out
    assert all(float(v) > 0 for v in m.groups()[:3])
    assert float(m.group(4)) < 1e-12
    bad = subprocess.run([str(exe), "100", "10"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage: harness" in bad.stderr


def test_row_read_probe_sums_the_same_rows_in_every_order(tmp_path):
    """benchmarks/kernel_harness/rows.c: reads every row once in each order
    (the three sums agree to rounding), times each, and refuses bad sizes."""
    exe = _build_c(tmp_path, "rows.c")
    out = subprocess.run(
        [str(exe), "1000", "24", "3"], check=True, capture_output=True, text=True
    ).stdout
    m = re.search(
        r"rows 1000 x 24: ns a row: in order ([\d.]+), random ([\d.]+) \(([\d.]+)x\), "
        r"random asking 3 ahead ([\d.]+) \(([\d.]+)x\); sums differ by (\S+)",
        out,
    )
    assert m, out
    assert all(float(v) > 0 for v in m.groups()[:5])
    assert float(m.group(6)) < 1e-12
    for args in (["100", "20"], ["100", "24", "100"], ["0", "8"], ["100"]):
        bad = subprocess.run([str(exe), *args], capture_output=True, text=True)
        assert bad.returncode == 2 and "usage: rows" in bad.stderr, args
