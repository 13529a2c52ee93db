"""Build the compiled extension of sklearn_linsgd.

The package metadata (name, version, dependencies, extras) lives in
pyproject.toml's [project] table; this file only declares the Cython
extension, which pyproject.toml cannot express.
"""

from setuptools import Extension, setup

# The compiled SGD passes (sklearn_linsgd/_fast.pyx) call BLAS through
# scipy.linalg.cython_blas: Cython and SciPy are build requirements
# (pyproject.toml), NumPy's headers are not needed (typed memoryviews only).
try:
    from Cython.Build import cythonize
except ImportError as exc:  # pragma: no cover - pip installs Cython first
    raise SystemExit(
        "Building sklearn_linsgd needs Cython>=3 (listed in pyproject.toml's "
        "build-system.requires; `pip install .` installs it)."
    ) from exc

setup(
    ext_modules=cythonize(
        [
            Extension(
                "sklearn_linsgd._fast",
                ["sklearn_linsgd/_fast.pyx"],
                # the C kernels that _fast.pyx includes: found beside it, and
                # a change to them rebuilds the extension
                include_dirs=["sklearn_linsgd"],
                depends=[
                    "sklearn_linsgd/_fast_kernels.h",
                    "sklearn_linsgd/_fast_small.h",
                ],
                # no-trapping-math: floating-point exception flags are not
                # part of the kernels' contract (nan propagation is, and is
                # unchanged); it lets the compiler vectorize loops with
                # selects, such as the softmax exp. no-math-errno: nothing
                # reads errno; sqrt becomes one instruction instead of a
                # library call (the sparse AdaGrad pass takes one per row)
                extra_compile_args=["-O3", "-fno-trapping-math", "-fno-math-errno"],
            )
        ],
        compiler_directives={"language_level": "3"},
    ),
)
