"""The package metadata: pyproject.toml's [project] table and what is installed.

The metadata lives in pyproject.toml (setup.py only builds the extension);
these checks keep the license an SPDX expression without the deprecated
license classifier, the extras complete, and the installed distribution in
step with the file.
"""

import ast
import re
from importlib import metadata
from pathlib import Path

import pytest

import sklearn_linsgd

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = {"numpy", "scipy", "scikit-learn"}


def _name(requirement):
    """The normalized project name of a requirement string."""
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def project(pyproject):
    return pyproject["project"]


def test_name_and_version(project):
    assert project["name"] == "sklearn_linsgd"
    assert project["version"] == sklearn_linsgd.__version__ == "0.1.0"
    assert project["readme"] == "README.md"
    assert "requires-python" in project


def test_license_is_an_spdx_expression(pyproject, project):
    assert project["license"] == "BSD-3-Clause"
    classifiers = project.get("classifiers", [])
    assert not [c for c in classifiers if c.startswith("License ::")]
    # PEP 639 license expressions need setuptools >= 77
    build_requires = pyproject["build-system"]["requires"]
    assert "setuptools>=77" in build_requires
    assert {"cython", "scipy"} <= {_name(r) for r in build_requires}


def test_runtime_dependencies(project):
    assert {_name(r) for r in project["dependencies"]} == RUNTIME


def test_extras(project):
    extras = project["optional-dependencies"]
    assert set(extras) == {"plot", "dask", "onnx", "test", "docs", "bench"}
    assert {_name(r) for r in extras["onnx"]} == {"skl2onnx", "onnxruntime"}
    test = {_name(r) for r in extras["test"]}
    assert {"skl2onnx", "onnxruntime", "pytest", "hypothesis"} <= test


def test_setup_py_only_builds_the_extension():
    """No second copy of the metadata in setup.py: setup(ext_modules=...)."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "setup"
    ]
    assert len(calls) == 1
    assert [kw.arg for kw in calls[0].keywords] == ["ext_modules"]


def test_installed_metadata_agrees(project):
    try:
        dist = metadata.metadata("sklearn_linsgd")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from source
        pytest.skip("sklearn_linsgd is not installed")
    assert _name(dist["Name"]) == _name(project["name"])
    assert dist["Version"] == project["version"]
    # requirements without an `extra == ...` marker: the runtime ones
    runtime = [r for r in dist.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert sorted(r.replace(" ", "") for r in runtime) == sorted(
        r.replace(" ", "") for r in project["dependencies"]
    )
