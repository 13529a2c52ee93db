"""Package metadata for sklearn_linsgd."""

from setuptools import Extension, find_packages, setup

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

with open("README.md", encoding="utf-8") as f:
    long_description = f.read()

extras = {
    "plot": ["matplotlib>=3.5"],
    "dask": ["dask[array]>=2024.1", "distributed>=2024.1", "dask-ml>=2024.4"],
    "test": [
        "pytest>=7",
        "pandas>=1.5",
        "ruff>=0.5",
        "matplotlib>=3.5",
        "hypothesis>=6",
        "threadpoolctl>=3",
        "joblib>=1.2",
        "skops>=0.9",
        "sphinx>=7",
        "numpydoc>=1.6",
        "sphinx-gallery>=0.17",
        "pydata-sphinx-theme>=0.15",
        "pillow",
        "dask[array]>=2024.1",
        "distributed>=2024.1",
        "dask-ml>=2024.4",
    ],
    "docs": [
        "sphinx>=7",
        "numpydoc>=1.6",
        "sphinx-gallery>=0.17",
        "pydata-sphinx-theme>=0.15",
        "matplotlib>=3.5",
        "pillow",
    ],
}
extras["bench"] = [
    "matplotlib>=3.5",
    "threadpoolctl>=3",
    "psutil>=5",
    # anchors of benchmarks/bench_defaults.py (it skips them when missing)
    "vowpalwabbit>=9",
    "river>=0.21",
]

setup(
    name="sklearn_linsgd",
    version="0.1.0",
    description=(
        "scikit-learn compatible multiclass linear SVM and softmax classifiers "
        "trained by mini-batch SGD"
    ),
    long_description=long_description,
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    packages=find_packages(include=["sklearn_linsgd", "sklearn_linsgd.*"]),
    python_requires=">=3.9",
    install_requires=["numpy>=1.22", "scipy>=1.8", "scikit-learn>=1.6"],
    extras_require=extras,
    ext_modules=cythonize(
        [
            Extension(
                "sklearn_linsgd._fast",
                ["sklearn_linsgd/_fast.pyx"],
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
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: BSD License",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
