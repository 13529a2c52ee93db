"""Behaviour preservation: a fixed set of fits reproduces the pinned results.

What it guards
--------------
``tests/fixtures/reference_fits.npz`` holds ``coef_``, ``intercept_``,
``n_iter_``, ``t_`` (and ``loss_curve_``, for diagnosis) of the cases in
``tests/reference_fits.py`` as the optimizer computed them at the generating
commit (``meta["commit"]`` in the npz): every pass kind (compiled dense,
compiled CSR lazy L2, compiled sparse AdaGrad, the numpy reference passes),
both losses, dense and CSR, float32 and float64, binary and multiclass,
momentum and Nesterov, averaging, AdaGrad per coordinate and per feature,
L1 / elastic net, ``"auto"``, ``"optimal"``, ``"invscaling"``,
``"adaptive"``, schedule objects and plain callables, the stopping rule,
early stopping, sample and class weights, ``partial_fit`` over chunks, a
warm start, and divergence (the rolled-back parameters and the epoch the
error names). A refactoring of the optimizer must leave them all unchanged.
Every parameter is set explicitly, so that changing a default value does not
change these fits; the data is stored in the npz too.

Comparison
----------
``n_iter_``, ``t_`` and the divergence epoch are always compared exactly.
``coef_`` and ``intercept_`` are compared with ``np.array_equal`` for the
cases whose arithmetic is plain floating point in a fixed order (the CSR
passes without BLAS). Cases that go through BLAS (dense data: gemm and
matmul; ``"auto"``: the dot of the rows' scale; numpy reference passes whose
objective steers the fit) or through numpy's SIMD-dispatched ``exp``/``log``
(numpy reference passes of the softmax) are compared exactly when the
current environment matches the fixture's (threadpoolctl's BLAS entries:
internal_api, prefix, architecture, version and thread count; numpy's version
and SIMD features). Otherwise another BLAS kernel sums the products in
another order, so the results differ by rounding; they are then compared
within a relative tolerance of the largest magnitude of the reference array:
``RTOL`` (1e-9 for float64, 1e-4 for float32, about 4e6 and 800 ulps).
Measured with ``OPENBLAS_CORETYPE`` set to other kernels (Haswell, Zen,
SandyBridge, Nehalem, Prescott) the differences were at most 7e-16 in
float64 and 1.1e-7 in float32 (a few ulps), with ``n_iter_`` and ``t_``
unchanged: the bounds leave 1e3 - 1e6 times that for other BLAS builds and
CPUs, while a change of the optimizer's behaviour (a step, an update rule, a
default) moves the coefficients by far more than 1e-4. No case is ever
skipped.

Regenerating the fixture
------------------------
Only when a change of behaviour is intended. From a clean checkout of the
commit whose behaviour becomes the reference, with the extension built::

    python setup.py build_ext --inplace
    SCIPY_ARRAY_API=1 PYTHONPATH=. python tests/fixtures/make_reference_fits.py

and say in the commit message that the fixture was regenerated, and why.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import reference_fits as rf

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "reference_fits.npz"

#: Relative tolerance (of the largest magnitude of the reference array) when
#: a BLAS- or SIMD-dependent case runs on another environment than the
#: fixture's.
RTOL = {"float64": 1e-9, "float32": 1e-4}

_NPZ = np.load(FIXTURE, allow_pickle=False)
REFERENCE = {key: _NPZ[key] for key in _NPZ.files}
META = json.loads(str(REFERENCE["meta"]))
DATASETS = rf.unpack_datasets(REFERENCE)


def _blas_key(entries):
    """The fields of threadpoolctl's BLAS entries that decide the rounding."""
    fields = ("internal_api", "prefix", "architecture", "version", "num_threads")
    return sorted(tuple(str(e.get(f)) for f in fields) for e in entries)


def environment_matches(case):
    """Whether ``case`` runs on the same vendor libraries as the fixture.

    Parameters
    ----------
    case : reference_fits.Case
        The case.

    Returns
    -------
    same : bool
        True when every library the case depends on (see
        ``Case.platform_dependence``) is the fixture's: the results must
        then be bit for bit the same.
    """
    now = rf.environment()
    for reason in case.platform_dependence():
        if reason == "blas" and _blas_key(now["blas"]) != _blas_key(META["blas"]):
            return False
        if reason == "numpy-simd" and (
            now["numpy_version"] != META["numpy_version"]
            or now["numpy_simd"] != META["numpy_simd"]
        ):
            return False
    return True


def assert_close(case, key, actual, expected, exact):
    """Assert that an array equals its reference (exactly, or within RTOL).

    Parameters
    ----------
    case : reference_fits.Case
        The case (for its name and dtype).
    key : str
        Which array (for the message).
    actual, expected : ndarray
        The recomputed and the pinned array.
    exact : bool
        Bit for bit equality, else the relative tolerance of the dtype.
    """
    assert actual.shape == expected.shape, (case.name, key)
    assert actual.dtype == expected.dtype, (case.name, key)
    if exact:
        same = np.array_equal(actual, expected)
        assert same, (
            f"{case.name}: {key} differs from the fixture (exact comparison); "
            f"max abs difference {np.max(np.abs(actual - expected)):.3g}"
        )
        return
    scale = max(float(np.max(np.abs(expected), initial=0.0)), np.finfo(float).tiny)
    error = float(np.max(np.abs(actual - expected), initial=0.0)) / scale
    assert error <= RTOL[case.dtype], (
        f"{case.name}: {key} differs from the fixture by {error:.3g} relative to "
        f"its largest magnitude (tolerance {RTOL[case.dtype]}: the BLAS/SIMD "
        "environment is not the fixture's)"
    )


def test_fixture_lists_the_cases():
    """The npz holds exactly the cases of ``reference_fits.CASES``."""
    assert META["cases"] == [case.name for case in rf.CASES]


@pytest.mark.parametrize("case", rf.CASES, ids=lambda case: case.name)
def test_reference_fit(case):
    """Re-run one case and compare it with the fixture."""
    rf.check_explicit(case)
    result = rf.run_case(case, DATASETS)
    ref = {key: REFERENCE[f"case/{case.name}/{key}"] for key in result}
    for key in ("n_iter", "t", "error_epoch"):
        assert int(result[key]) == int(ref[key]), (
            f"{case.name}: {key} is {int(result[key])}, the fixture's "
            f"{int(ref[key])}; loss_curve_ {result['loss_curve']} against "
            f"{ref['loss_curve']}"
        )
    exact = environment_matches(case)
    for key in ("coef", "intercept"):
        assert_close(case, key, result[key], ref[key], exact)
