"""The demo command: ``python -m sklearn_linsgd``."""

import io
import re
import subprocess
import sys

import numpy as np
import pytest

from sklearn_linsgd._demo import format_table, load_dataset, main, split_data

PNGS = ("loss_curves.png", "schedules.png", "landscape.png", "step_sizes.png")
MODELS = (
    "LinearSVMSGD",
    "SoftmaxSGD",
    "SGDClassifier(hinge)",
    "LogisticRegression",
    "RandomSearchClassifier",
    "RandomLocalSearchClassifier",
)


def _summary_rows(text):
    """The summary table's rows as ``{model: [cells...]}``."""
    table = text.split("Summary (")[1]
    lines = table.splitlines()[1:]
    header, rule = lines[0], lines[1]
    assert header.split()[:2] == ["model", "strategy"]
    assert set(rule.replace(" ", "")) == {"-"}
    rows = {}
    for line in lines[2:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells[1:]
    return rows


def test_quick_demo_exits_0_prints_summary_and_writes_pngs(tmp_path):
    out = tmp_path / "figures"
    proc = subprocess.run(
        [sys.executable, "-m", "sklearn_linsgd", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    # Progress lines come before the table.
    assert text.index("[1/") < text.index("Summary (digits")
    rows = _summary_rows(text)
    assert list(rows) == list(MODELS)
    for model, cells in rows.items():
        # strategy, chosen, val acc, test acc, time
        val_acc, test_acc = float(cells[-3]), float(cells[-2])
        assert 0.0 <= val_acc <= 1.0 and 0.0 <= test_acc <= 1.0, model
    for model in ("LinearSVMSGD", "SoftmaxSGD", "LogisticRegression"):
        assert float(rows[model][-2]) > 0.85, rows[model]
    assert "eta0=" in rows["SoftmaxSGD"][1] and "alpha=" in rows["SoftmaxSGD"][1]
    # The notes' ordering: gradient descent beats random (local) search.
    assert float(rows["SoftmaxSGD"][-2]) > float(rows["RandomSearchClassifier"][-2])
    for name in (*PNGS, "accuracy.png"):
        path = out / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert name in text
    assert (out / "summary.txt").read_text().startswith("Summary (digits")
    # The schedule comparison and the notes' step-size table are printed.
    assert "warm-up + cosine" in text
    sweep = re.findall(r"for step size (\S+) new loss: (\S+)", text)
    assert len(sweep) == 7
    losses = [float(loss) for _, loss in sweep]
    assert losses[-1] > losses[0] > min(losses)  # too large overshoots


def test_demo_without_matplotlib_skips_the_figures(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    buffer = io.StringIO()
    out = tmp_path / "none"
    assert main(["--quick", "--out", str(out)], stream=buffer) == 0
    text = buffer.getvalue()
    assert "matplotlib is not installed: skipping the figures" in text
    assert "SoftmaxSGD" in _summary_rows(text)
    assert not out.exists()


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    help_text = capsys.readouterr().out
    for flag in ("--quick", "--out", "--dataset", "--random-state", "synthetic"):
        assert flag in help_text


def test_unknown_dataset_is_rejected(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--dataset", "mnist"])
    assert exc.value.code == 2
    assert "invalid choice: 'mnist'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="Unknown dataset 'mnist'"):
        load_dataset("mnist")


def test_synthetic_dataset_is_larger_and_seeded():
    X, y = load_dataset("synthetic", quick=True, random_state=3)
    assert X.shape == (3000, 100)
    assert np.unique(y).tolist() == [0, 1, 2, 3, 4]
    X2, _ = load_dataset("synthetic", quick=True, random_state=3)
    np.testing.assert_array_equal(X, X2)
    assert load_dataset("synthetic", random_state=0)[0].shape == (20000, 100)


def test_split_is_stratified_and_disjoint():
    X = np.arange(1000.0).reshape(500, 2)
    y = np.repeat([0, 1, 2, 3, 4], 100)
    X_tr, X_va, X_te, y_tr, y_va, y_te = split_data(X, y, random_state=1)
    assert (len(y_tr), len(y_va), len(y_te)) == (300, 100, 100)
    for part in (y_tr, y_va, y_te):
        counts = np.bincount(part)
        assert counts.max() - counts.min() == 0
    ids = np.concatenate([X_tr[:, 0], X_va[:, 0], X_te[:, 0]])
    assert np.unique(ids).size == 500


def test_format_table_aligns_columns():
    text = format_table(["a", "long name"], [["xyz", 1.0], ["b", float("nan")]])
    assert text.splitlines() == [
        "a    long name",
        "---  ---------",
        "xyz  1.000",
        "b    -",
    ]
