"""The documentation: it builds, its code runs, the API reference is complete.

The build test needs the ``[docs]`` extra (Sphinx, numpydoc, sphinx-gallery,
pydata-sphinx-theme): it fails, rather than skips, without it. It builds with
``-D plot_gallery=0`` (the gallery is not executed, which keeps it fast);
``make docs`` builds the same sources with the gallery executed.
"""

import ast
import doctest
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "sklearn_linsgd"

# Pages whose ``>>>`` examples are doctests.
DOCTEST_PAGES = ("index.rst", "getting_started.rst", "user_guide.rst")
DOCTEST_PAGES += ("hyperparameters.rst", "reliability.rst")

# Public modules and the names the API reference must list.
MODULES = (
    "__init__",
    "schedules",
    "gradient_check",
    "landscape",
    "baselines",
    "streaming",
    "dask",
    "onnx",
)


def _module_all(name):
    """The literal ``__all__`` of a module, read without importing it."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"sklearn_linsgd/{name}.py has no literal __all__")


def test_docs_build_without_warnings(tmp_path):
    src = tmp_path / "docs"
    shutil.copytree(
        DOCS,
        src,
        ignore=shutil.ignore_patterns(
            "_build", "generated", "auto_examples", "sg_execution_times.rst"
        ),
    )
    out = tmp_path / "html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-D",
            "plot_gallery=0",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(src),
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    if "No module named sphinx" in proc.stderr:
        pytest.fail("Sphinx is not installed: pip install -e '.[docs]'")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    for page in ("index", "getting_started", "user_guide", "hyperparameters", "api"):
        assert (out / f"{page}.html").is_file(), page
    assert (out / "auto_examples" / "index.html").is_file()
    html = (out / "generated" / "sklearn_linsgd.SoftmaxSGD.html").read_text()
    assert "predict_proba" in html and "objective" in html


@pytest.mark.parametrize("page", DOCTEST_PAGES)
def test_page_examples_run(page):
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        report=True,
        verbose=False,
    )
    assert result.attempted > 0, f"{page} has no examples"
    assert result.failed == 0, f"{result.failed} example(s) failed in {page}"


def test_readme_example_tunes_softmax_in_a_pipeline(capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "README.md has no python example"
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    from sklearn.model_selection import GridSearchCV, PredefinedSplit
    from sklearn.pipeline import Pipeline

    from sklearn_linsgd import SoftmaxSGD

    search = namespace["search"]
    assert isinstance(search, GridSearchCV)
    assert isinstance(search.cv, PredefinedSplit)
    assert set(search.best_params_) == {"clf__eta0", "clf__alpha"}
    assert isinstance(search.best_estimator_, Pipeline)
    assert isinstance(search.best_estimator_[-1], SoftmaxSGD)
    assert search.best_score_ > 0.9
    assert namespace["model"] is search.best_estimator_
    assert "test accuracy:" in capsys.readouterr().out
    for command in ("make demo", "make test", "make docs", "make bench", "make fuzz"):
        assert command in text, command


def test_api_reference_lists_every_public_name():
    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = {}
    module = "sklearn_linsgd"
    for line in api.splitlines():
        found = re.match(r"\.\. currentmodule:: (\S+)", line)
        if found:
            module = found.group(1)
        elif re.match(r"   [A-Za-z_]\w*$", line):
            listed.setdefault(module, set()).add(line.strip())
    missing = []
    for name in MODULES:
        full = "sklearn_linsgd" if name == "__init__" else f"sklearn_linsgd.{name}"
        for public in _module_all(name):
            if public.startswith("__") or (PACKAGE / f"{public}.py").exists():
                continue  # __version__, re-exported submodules
            if public not in listed.get(full, ()):
                missing.append(f"{full}.{public}")
    assert not missing, f"api.rst does not list {missing}"


def test_toctree_and_gallery_sources_exist():
    index = (DOCS / "index.rst").read_text(encoding="utf-8")
    entries = re.findall(r"^   (\S+)$", index.split(".. toctree::")[1], re.M)
    for entry in entries:
        if entry != "auto_examples/index":
            assert (DOCS / f"{entry}.rst").is_file(), entry
    assert (DOCS / "examples" / "GALLERY_HEADER.rst").is_file()
    assert sorted(p.name for p in (DOCS / "examples").glob("plot_*.py"))
