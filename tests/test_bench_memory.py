"""The memory benchmark's criteria and report, on made-up numbers.

Nothing large is fitted and no time is asserted: the criteria and the
markdown are pure functions of a results dict. One test runs the harness
end to end on a tiny CSR problem in a forked child.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks import bench_memory as bm

MODEL = 672.0


def sizes(batch=1.25):
    return {
        "description": "made up",
        "summary": "CSR float64, train 10 x 5",
        "build_seconds": 1.0,
        "n_train": 10,
        "n_features": 2**22,
        "n_classes": 21,
        "nnz_per_row": 3.0,
        "x_train_mib": 14.7,
        "model_mib": MODEL,
        "batch_mib": 0.25,
        "batch_columns": 100.0,
        "batch_model_mib": 0.5,
        "batch_work_mib": batch,
        "packages": ["numpy"],
    }


def ok(key, peak, fit_time=1.0, held=None, n_iter=2):
    return {
        "status": "ok",
        "key": key,
        "label": f"est_{key}",
        "note": "",
        "peak_mib": peak,
        "held_mib": MODEL if held is None else held,
        "fit_time": fit_time,
        "n_iter": n_iter,
    }


def results(**peaks):
    base = {
        "sgd": 672.0,
        "plain": 1340.0,
        "default": 1450.0,
        "average": 2000.0,
        "adagrad_coordinate": 2000.0,
        "momentum": 2000.0,
        "softmax": 1450.0,
    }
    base.update(peaks)
    return {k: (v if isinstance(v, dict) else ok(k, v)) for k, v in base.items() if v}


def by_what(criteria):
    return {c["what"].split(" adds")[0]: c for c in criteria}


def test_batch_columns_counts_distinct_columns_per_block():
    X = sp.csr_matrix(
        np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    )
    assert bm.batch_columns(X, batch_size=2) == 2.0  # {0, 1} and {2, 3}
    assert bm.batch_columns(X, batch_size=3) == (4 + 1) / 2


def test_plain_bound_is_two_models_and_a_few_batches():
    assert bm.plain_bound_mib(sizes(batch=0.5)) == 2 * MODEL + bm.FEW_BATCHES * 0.5


def test_criteria_all_met():
    crit = by_what(bm.evaluate_criteria(results(), sizes()))
    assert list(crit) == [
        "plain SGD",
        "averaging",
        "momentum",
        "AdaGrad by coordinate",
        "AdaGrad by feature (the default)",
    ]
    assert all(c["met"] is True for c in crit.values())
    assert crit["plain SGD"]["detail"] == (
        "1340 MiB = 1.99 models (-4.0 MiB over 2 models); "
        "bound 2 x 672 + 4 x 1.25 = 1349 MiB"
    )
    # 2000 vs 1340 + 672 + 5 = 2017; (2000 - 1340) / 672 = 0.98 models
    assert crit["averaging"]["detail"] == (
        "2000 MiB vs plain 1340 + 672 + 4 x 1.25 = 2017 MiB "
        "(+660 MiB = +0.98 models over plain)"
    )


def test_criteria_not_met_and_inclusive_bounds():
    res = results(plain=1349.0, adagrad_coordinate=2092.0, average=2026.0)
    crit = by_what(bm.evaluate_criteria(res, sizes()))
    assert crit["plain SGD"]["met"] is True  # 1349 <= 1344 + 5: inclusive
    assert crit["averaging"]["met"] is True  # 2026 <= 1349 + 672 + 5
    assert crit["AdaGrad by coordinate"]["met"] is False  # 2092 > 2026
    assert crit["momentum"]["met"] is True
    res = results(plain=1349.5, average=2026.6, momentum=4031.8)
    crit = by_what(bm.evaluate_criteria(res, sizes()))
    assert crit["plain SGD"]["met"] is False
    assert crit["averaging"]["met"] is False  # 2026.6 > 2026.5
    assert crit["momentum"]["met"] is False
    assert "(+2682 MiB = +3.99 models over plain)" in crit["momentum"]["detail"]


def test_criteria_not_evaluated_on_timeout_error_or_missing():
    timed_out = {"status": "timeout", "timeout": 600.0, "label": "m", "key": "m"}
    failed = {"status": "error", "error": "MemoryError: x", "label": "a", "key": "a"}
    crit = by_what(
        bm.evaluate_criteria(
            results(momentum=timed_out, average=failed, default=None), sizes()
        )
    )
    assert crit["momentum"]["met"] is None
    assert crit["momentum"]["detail"] == "timed out (> 600 s)"
    assert crit["averaging"]["met"] is None
    assert crit["averaging"]["detail"] == "MemoryError: x"
    assert crit["AdaGrad by feature (the default)"]["detail"] == "not run"
    # without plain SGD nothing is evaluated
    crit = bm.evaluate_criteria(results(plain=timed_out), sizes())
    assert [c["met"] for c in crit] == [None] * 5
    assert crit[1]["detail"] == "plain SGD: timed out (> 600 s)"


def test_table_rows():
    res = results()
    lines = bm.table_lines(res, sizes())
    assert lines[:2] == list(bm.TABLE_HEADER)
    assert len(lines) == 2 + len(res)
    assert lines[2] == "| est_sgd | 2 | 672 | 1.00 | 1.00 | 672 | 1 |"
    assert lines[3] == "| est_plain | 2 | 1340 | 1.99 | 1.99 | 672 | 1 |"
    # a timeout has no figures; a "|" in a label is escaped
    row = bm.table_row(
        {"status": "timeout", "timeout": 60.0, "label": "a|b"}, sizes(), res["sgd"]
    )
    assert row == "| a\\|b | — | timed out (> 60 s) | — | — | — | — |"
    # no ratio without the anchor
    row = bm.table_row(ok("plain", 1344.0, fit_time=0.5), sizes(), None)
    assert row == "| est_plain | 2 | 1344 | 2.00 | — | 672 | 0.5 |"


def test_report_has_sizes_table_and_criteria(tmp_path):
    res = results(plain=1350.0)
    res["momentum"]["note"] = "reference pass"
    data = {
        "mode": "full",
        "settings": {"n_warm": 200, "timeout": 600.0, "blas_threads": 1},
        "info": {
            "date": "2026-12-06 08:00 UTC",
            "platform": "Linux",
            "python": "3.11",
            "cpu": "cpu",
            "cpu_count": 2,
            "memory_gib": 24.0,
            "loadavg": (1.0, 1.0, 1.0),
            "loadavg_end": (2.0, 1.0, 1.0),
            "env": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": None},
            "versions": {"numpy": "2"},
            "blas": [
                {
                    "internal_api": "openblas",
                    "version": "0.3",
                    "prefix": "libscipy_openblas",
                    "architecture": "SkylakeX",
                    "num_threads": 1,
                    "threading_layer": "pthreads",
                }
            ],
        },
        "sizes": sizes(),
        "results": res,
        "elapsed": 120.0,
    }
    data["criteria"] = bm.evaluate_criteria(res, data["sizes"])
    path = tmp_path / "MEMORY.md"
    bm.write_report(path, data)
    text = path.read_text()
    assert text.startswith("# Peak memory added by fit\n")
    assert "in 2.0 min" in text and "quick mode" not in text
    assert "`OPENBLAS_NUM_THREADS=1`, `OMP_NUM_THREADS` unset" in text
    assert "openblas 0.3 (libscipy_openblas), architecture SkylakeX, 1 threads" in text
    assert "BLAS threads limited to 1" in text
    assert "**672 MiB**" in text and "**14.7 MiB**" in text
    assert "- one batch: 1.25 MiB: its 256 rows of X (0.25 MiB)" in text
    assert "the 100 distinct columns they hold on average (0.50 MiB" in text
    assert "| est_plain | 2 | 1350 | 2.01 | 2.01 | 672 | 1 |" in text
    assert "- est_momentum: reference pass" in text
    assert "- plain SGD adds <= 2 models + 4 batches: **not met**: 1350 MiB" in text
    assert "(+6.0 MiB over 2 models)" in text
    assert "- averaging adds <= plain SGD + 1 model: met:" in text


def test_configs_share_the_short_fit_settings():
    configs = bm.make_configs()
    assert [c.key for c in configs] == [
        "sgd",
        "plain",
        "default",
        "average",
        "adagrad_coordinate",
        "momentum",
        "softmax",
        "plain_whole",
        "default_whole",
        "average_whole",
        "adagrad_coordinate_whole",
        "momentum_whole",
    ]
    by_key = {c.key: c for c in configs}
    for c in configs:
        params = c.make().get_params()
        assert params["tol"] is None and params["random_state"] == 0
        assert params["max_iter"] == (1 if c.key.startswith("momentum") else 2)
        assert c.whole == c.key.endswith("_whole")
        if c.whole:  # the same estimator, fitted at the whole width
            twin = by_key[c.key.removesuffix("_whole")]
            assert c.make().get_params() == twin.make().get_params()
            assert c.label == twin.label + " at the whole width"
    params = {c.key: c.make().get_params() for c in configs}
    assert params["plain"]["learning_rate"] == "constant"
    assert params["plain"]["adagrad"] is False
    assert params["default"]["learning_rate"] == "auto"
    assert params["average"]["average"] is True
    assert params["adagrad_coordinate"]["adagrad"] == "coordinate"
    assert params["momentum"]["momentum"] == 0.9


def test_run_config_end_to_end_on_a_tiny_problem():
    rng = np.random.default_rng(0)
    X = sp.random(300, 2**12, density=0.01, format="csr", random_state=0)
    y = rng.integers(0, 3, 300)
    config = next(c for c in bm.make_configs() if c.key == "plain")
    res = bm.run_config(config, X, y, timeout=60.0, n_warm=50)
    if res["status"] != "ok":
        pytest.fail(str(res))
    assert res["key"] == "plain" and res["n_iter"] == 2
    assert res["peak_mib"] >= 0 and res["fit_time"] > 0
    assert res["coef_mib"] == 3 * 2**12 * 8 / 2**20


def test_whole_width_configs_get_their_own_criteria():
    res = results()
    res.update(
        {
            k + "_whole": ok(k + "_whole", v["peak_mib"] + 1)
            for k, v in results().items()
        }
    )
    res["momentum_whole"] = ok("momentum_whole", 4032.0)
    crit = bm.evaluate_criteria(res, sizes())
    names = [c["what"] for c in crit]
    assert len(names) == 10 and names[5:] == [n + " (whole width)" for n in names[:5]]
    assert all(c["met"] for c in crit[:5])
    met = {c["what"]: c["met"] for c in crit[5:]}
    assert met["momentum adds <= plain SGD + 1 model (whole width)"] is False
    assert met["averaging adds <= plain SGD + 1 model (whole width)"] is True
    assert "vs plain 1341 " in crit[6]["detail"]  # its own plain SGD


def test_whole_width_config_fits_without_narrowing(monkeypatch):
    # the child sets NARROW_SHARE to 0: run measure_fit here and spy on it
    from sklearn_linsgd import _sgd

    monkeypatch.setattr(_sgd, "NARROW_SHARE", _sgd.NARROW_SHARE)
    X = sp.random(200, 2**12, density=0.002, format="csr", random_state=0)
    y = np.random.default_rng(0).integers(0, 3, 200)
    whole = next(c for c in bm.make_configs() if c.key == "plain_whole")
    bm.measure_fit(whole, X, y, n_warm=20)
    assert _sgd.NARROW_SHARE == 0.0
