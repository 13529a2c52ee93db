"""``python -m sklearn_linsgd --out DIR``: an unwritable DIR fails before training."""

import io
import subprocess
import sys

import pytest

from sklearn_linsgd._demo import _out_dir_problem, main

pytest.importorskip("matplotlib")  # without it --out is never written nor checked


@pytest.fixture
def under_a_file(tmp_path):
    """A path that cannot be created, even by root: its parent is a file."""
    (tmp_path / "file.txt").write_text("not a folder")
    return tmp_path / "file.txt" / "sub"


def test_unwritable_out_exits_nonzero_before_training(under_a_file, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sklearn_linsgd", "--quick", "--out", str(under_a_file)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"python -m sklearn_linsgd: error: cannot write to --out {under_a_file}: "
        "Not a directory"
    ]
    assert "Traceback" not in proc.stderr
    # Nothing was loaded or trained: no progress line at all.
    assert proc.stdout == ""
    assert not under_a_file.exists()


def test_out_that_is_a_file_is_refused_in_process(tmp_path, capsys):
    path = tmp_path / "file.txt"
    path.write_text("keep me")
    buffer = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        main(["--quick", "--out", str(path)], stream=buffer)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"cannot write to --out {path}: it exists and is not a directory" in err
    assert buffer.getvalue() == ""  # no progress: training never started
    assert path.read_text() == "keep me"


def test_writable_out_is_created_and_left_empty(tmp_path):
    out = tmp_path / "a" / "b"
    assert _out_dir_problem(str(out)) is None
    assert out.is_dir() and list(out.iterdir()) == []  # the probe is removed
    assert _out_dir_problem(str(out)) is None  # an existing folder is fine


def test_no_plots_does_not_check_or_create_out(under_a_file):
    # --no-plots writes nothing, so the (unwritable) --out is not an error;
    # parse only: stop the run at the first progress line.
    class Stop(Exception):
        pass

    class Stream(io.StringIO):
        def write(self, text):
            raise Stop(text)

    with pytest.raises(Stop, match="loading the digits dataset"):
        main(["--quick", "--no-plots", "--out", str(under_a_file)], stream=Stream())
