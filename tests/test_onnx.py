"""ONNX export: skl2onnx converts both estimators, onnxruntime agrees with us.

Needs skl2onnx and onnxruntime (the ``[onnx]`` extra, also in ``[test]``).
"""

import importlib
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

pytest.importorskip("skl2onnx", reason="skl2onnx is in the [onnx] and [test] extras")
rt = pytest.importorskip(
    "onnxruntime", reason="onnxruntime is in the [onnx] and [test] extras"
)

from skl2onnx import to_onnx  # noqa: E402

import sklearn_linsgd.onnx  # noqa: E402
from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD  # noqa: E402

TOL = 1e-5


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def _session(onx):
    return rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _run(onx, X):
    sess = _session(onx)
    return sess.run(None, {sess.get_inputs()[0].name: X})


def _expected_output(model, X):
    """Ours on the same X: probabilities, or scores with [-f, f] for 2 classes."""
    if isinstance(model[-1] if hasattr(model, "steps") else model, SoftmaxSGD):
        return model.predict_proba(X)
    scores = model.decision_function(X)
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


@pytest.mark.parametrize("pipeline", [False, True], ids=["bare", "pipeline"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["b", "nob"])
@pytest.mark.parametrize("n_classes", [2, 10])
@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
def test_round_trip(digits, Estimator, n_classes, fit_intercept, pipeline):
    X, y = digits
    if n_classes == 2:
        y = y % 2
    est = Estimator(fit_intercept=fit_intercept, random_state=0)
    model = make_pipeline(StandardScaler(), est) if pipeline else est
    model.fit(X, y)
    X32 = X.astype(np.float32)

    onx = to_onnx(model, X32[:1], options={id(est): {"zipmap": False}})
    label, output = _run(onx, X32)

    np.testing.assert_array_equal(label, model.predict(X32))
    expected = _expected_output(model, X32)
    assert output.shape == (len(X), n_classes)
    assert np.abs(output - expected).max() <= TOL
    if Estimator is SoftmaxSGD:
        np.testing.assert_allclose(output.sum(axis=1), 1, atol=TOL)


@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
def test_zipmap_by_default_and_string_classes(Estimator):
    iris = load_iris()
    X = iris.data.astype(np.float32)
    y = iris.target_names[iris.target]
    model = make_pipeline(StandardScaler(), Estimator(random_state=0)).fit(X, y)

    label, output = _run(to_onnx(model, X[:1]), X)

    np.testing.assert_array_equal(label, model.predict(X))
    assert isinstance(output, list) and set(output[0]) == set(iris.target_names)
    table = np.array([[row[c] for c in model.classes_] for row in output])
    assert np.abs(table - _expected_output(model, X)).max() <= TOL


@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
def test_binary_string_classes(Estimator):
    iris = load_iris()
    X = iris.data.astype(np.float32)
    y = np.where(iris.target == 2, "virginica", "other")
    model = Estimator(random_state=0).fit(X, y)

    onx = to_onnx(model, X[:1], options={"zipmap": False})
    label, output = _run(onx, X)

    np.testing.assert_array_equal(label, model.predict(X))
    assert np.abs(output - _expected_output(model, X)).max() <= TOL


@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
def test_double_input(digits, Estimator):
    X, y = digits
    model = Estimator(random_state=0).fit(X, y)

    label, output = _run(to_onnx(model, X[:1], options={"zipmap": False}), X)

    assert output.dtype == np.float64
    np.testing.assert_array_equal(label, model.predict(X))
    assert np.abs(output - _expected_output(model, X)).max() <= 1e-10


@pytest.mark.parametrize("n_classes", [2, 3])
def test_raw_scores_option_gives_softmax_scores(n_classes):
    iris = load_iris()
    X = iris.data.astype(np.float32)
    y = iris.target if n_classes == 3 else iris.target == 0
    model = SoftmaxSGD(random_state=0).fit(X, y)

    onx = to_onnx(model, X[:1], options={"zipmap": False, "raw_scores": True})
    label, output = _run(onx, X)

    scores = model.decision_function(X)
    if n_classes == 2:
        scores = np.column_stack([-scores, scores])
    np.testing.assert_array_equal(label, model.predict(X))
    assert np.abs(output - scores).max() <= TOL


def test_register_is_idempotent(digits):
    X, y = digits
    aliases = sklearn_linsgd.onnx.register()
    assert sklearn_linsgd.onnx.register() == aliases
    assert set(aliases) == {LinearSVMSGD, SoftmaxSGD}
    model = LinearSVMSGD(random_state=0).fit(X, y)
    X32 = X.astype(np.float32)
    label, _ = _run(to_onnx(model, X32[:1], options={"zipmap": False}), X32)
    np.testing.assert_array_equal(label, model.predict(X32))


def test_missing_skl2onnx_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    monkeypatch.delitem(sys.modules, "sklearn_linsgd.onnx")
    with pytest.raises(ImportError, match=r"pip install sklearn_linsgd\[onnx\]"):
        importlib.import_module("sklearn_linsgd.onnx")


def test_package_import_does_not_import_skl2onnx():
    code = "import sys, sklearn_linsgd; assert 'skl2onnx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
