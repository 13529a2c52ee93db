"""The paired A/B report of ``benchmarks/ab_epoch.py`` on made-up numbers.

Nothing is fitted or timed here.
"""

import json
import math

import pytest

from benchmarks import ab_epoch


def _pairs(base, new):
    return [{"base": b, "new": n} for b, n in zip(base, new)]


def test_summarise_ratios_and_medians():
    s = ab_epoch.summarise(_pairs([0.10, 0.20, 0.10, 0.10], [0.11, 0.18, 0.10, 0.12]))
    assert s["n"] == 4
    assert s["ratios"] == pytest.approx([1.1, 0.9, 1.0, 1.2])
    assert s["median_ratio"] == pytest.approx(1.05)
    assert (s["min_ratio"], s["max_ratio"]) == pytest.approx((0.9, 1.2))
    assert s["spread"] == pytest.approx(0.15)
    assert s["median_base"] == pytest.approx(0.10)
    assert s["median_new"] == pytest.approx(0.115)


def test_summarise_skips_incomplete_pairs():
    pairs = [{"base": 0.1}, {"new": 0.1}, {"base": 0.0, "new": 0.1}]
    pairs += _pairs([0.1], [0.1])
    assert ab_epoch.summarise(pairs)["n"] == 1
    empty = ab_epoch.summarise([{"base": 0.1}])
    assert empty["n"] == 0 and math.isnan(empty["median_ratio"])


@pytest.mark.parametrize(
    "new, kind",
    [
        # ratios 0.98 .. 1.04: median 1.01 <= 1 + 0.03
        ([0.98, 1.00, 1.01, 1.01, 1.02, 1.04], "no slower"),
        # all about 10% slower, spread 0.01
        ([1.09, 1.10, 1.10, 1.11, 1.10, 1.10], "slower"),
        # all about 10% faster
        ([0.89, 0.90, 0.90, 0.91, 0.90, 0.90], "faster"),
        # slower in the median, but the pairs scatter more than that
        ([0.80, 1.05, 1.06, 1.07, 1.20, 1.30], "no slower"),
    ],
)
def test_classify_and_verdict(new, kind):
    s = ab_epoch.summarise(_pairs([1.0] * len(new), new))
    assert ab_epoch.classify(s) == kind
    text = ab_epoch.verdict(s)
    if kind == "slower":
        assert text.startswith("**slower than noise**")
        assert "10.0% more per epoch" in text
    else:
        assert text.startswith("no slower than noise")
    assert ("faster beyond noise" in text) == (kind == "faster")


def test_verdict_edge_cases():
    assert ab_epoch.classify(ab_epoch.summarise([])) == "not measured"
    assert ab_epoch.verdict(ab_epoch.summarise([])).startswith("not measured")
    one = ab_epoch.summarise(_pairs([1.0], [1.5]))
    assert ab_epoch.classify(one) == "too few pairs"
    assert ab_epoch.verdict(one).startswith("no verdict")
    # exactly at the bound counts as within the noise
    edge = ab_epoch.summarise(_pairs([1.0, 1.0, 1.0], [1.0, 1.5, 2.0]))
    assert edge["median_ratio"] == pytest.approx(1 + edge["spread"])
    assert ab_epoch.classify(edge) == "no slower"


def test_pair_order_alternates_and_balances():
    configs = range(4)
    runs = [ab_epoch.pair_order(r, i) for r in range(6) for i in configs]
    assert all(sorted(o) == ["base", "new"] for o in runs)
    # within a round, consecutive pairs flip: base new, new base, ...
    for r in range(6):
        firsts = [o[0] for o in runs[4 * r : 4 * r + 4]]
        assert all(a != b for a, b in zip(firsts, firsts[1:]))
    for i in configs:
        mine = [ab_epoch.pair_order(r, i)[0] for r in range(6)]
        assert mine.count("base") == mine.count("new") == 3


def test_estimator_params_are_explicit():
    p = ab_epoch.estimator_params("LinearSVMSGD", "adagrad", 5)
    assert p["learning_rate"] == "constant" and p["eta0"] == 0.01
    assert p["adagrad"] == "feature" and p["max_iter"] == 5
    assert p["tol"] is None and p["random_state"] == 0 and p["margin"] == 1.0
    q = ab_epoch.estimator_params("SoftmaxSGD", "sgd", 1)
    assert q["adagrad"] is False and "margin" not in q


def _data():
    configs = ab_epoch.configurations(["dense", "sparse"], ["SoftmaxSGD"], ["sgd"])
    results = {
        "dense/SoftmaxSGD/sgd": {
            "pairs": _pairs([0.040, 0.042, 0.041], [0.041, 0.041, 0.043]),
            "kernels": {"base": ["dense_pass"], "new": ["dense_pass"]},
            "errors": [],
        },
        "sparse/SoftmaxSGD/sgd": {
            "pairs": _pairs([0.40, 0.41, 0.40], [0.50, 0.52, 0.51]),
            "kernels": {"base": ["sparse_pass"], "new": []},
            "errors": [{"round": 2, "tree": "new", "error": "exit 1: boom"}],
        },
    }
    tree = {"path": "/t", "commit": "0123456789abcdef", "subject": "s", "dirty": False}
    return {
        "command": "python -m benchmarks.ab_epoch --base /b --new /n",
        "trees": {"base": tree, "new": {**tree, "dirty": True}},
        "settings": {
            "pairs": 3,
            "epochs": {"dense": 24, "sparse": 4},
            "repeats": 3,
            "blas_threads": 1,
        },
        "workloads": {
            "dense": {"shape": [100000, 128], "n_classes": 10, "nnz_per_row": None},
            "sparse": {"shape": [100000, 65536], "n_classes": 20, "nnz_per_row": 50.4},
        },
        "configs": configs,
        "results": results,
        "info": {},
        "elapsed": 90.0,
    }


def test_report_lines():
    text = "\n".join(ab_epoch.report_lines(_data()))
    assert (
        "| dense | SoftmaxSGD | sgd | dense pass (`dense_pass`) | 41.0 | 41.0 |" in text
    )
    assert "| 1.025 | 0.976–1.049 | no slower |" in text
    # the sparse rows: slower, and the kernels differ between the trees
    assert "none (numpy reference); base: CSR lazy pass (`sparse_pass`)" in text
    assert "| 1.268 | 1.250–1.275 | **slower** |" in text
    assert "- sparse/SoftmaxSGD/sgd: **slower than noise**: new takes 26.8%" in text
    assert "- dense/SoftmaxSGD/sgd: no slower than noise" in text
    assert "(with uncommitted changes)" in text
    assert "## Failed measurements" in text and "exit 1: boom" in text
    assert "E = 24 epochs" in text and "50.4 non-zeros per row" in text
    assert "The spreads ranged from 1.2% to 3.6%" in text


def test_noise_lines_need_two_pairs():
    configs = ab_epoch.configurations(["dense"], ["SoftmaxSGD"], ["sgd"])
    results = {"dense/SoftmaxSGD/sgd": {"pairs": _pairs([1.0], [1.1])}}
    assert ab_epoch.noise_lines(configs, results) == []


def test_report_only_round_trip(tmp_path):
    data = _data()
    data["info"] = {"date": "today", "blas": [], "env": {}, "loadavg": (1, 1, 1)}
    path = tmp_path / "ab.json"
    path.write_text(json.dumps(data))
    out = tmp_path / "AB.md"
    ab_epoch.main(["--report-only", "--json", str(path), "--out", str(out)])
    text = out.read_text()
    assert text.startswith("# Paired A/B of the per-epoch fit time")
    assert "## Machine" in text and "on today" in text
