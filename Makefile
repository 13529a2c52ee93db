# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: demo test lint format bench bench-quick bench-defaults bench-memory docs fuzz clean

# pip without --quiet prints one line per package it collects and a summary
# of what it installed; the build backend's own log (compiler lines) stays
# hidden unless the build fails. pip builds the package with its own
# setuptools (pyproject.toml's build-system); setuptools>=77 in .venv too
# keeps `python setup.py build_ext --inplace` working (SPDX license field).
PIP_INSTALL := $(PY) -m pip install --no-warn-script-location --progress-bar off "setuptools>=77"

$(PY):
	@echo "==> creating $(VENV) (a virtual environment for this checkout)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip in $(VENV)"
	$(PY) -m pip install --quiet --upgrade pip

# Stamps: reinstall (and rebuild the compiled kernels) only when the package
# metadata or the Cython sources change.
$(VENV)/.installed: setup.py pyproject.toml sklearn_linsgd/_fast.pyx sklearn_linsgd/_fast_kernels.h sklearn_linsgd/_fast_small.h | $(PY)
	@echo "==> installing sklearn_linsgd[plot] (fetches dependencies, builds the compiled kernels; 1-3 minutes the first time)"
	$(PIP_INSTALL) -e ".[plot]"
	touch $@

$(VENV)/.installed-test: setup.py pyproject.toml sklearn_linsgd/_fast.pyx sklearn_linsgd/_fast_kernels.h sklearn_linsgd/_fast_small.h | $(PY)
	@echo "==> installing sklearn_linsgd[test] (fetches dependencies, builds the compiled kernels; 1-3 minutes the first time)"
	$(PIP_INSTALL) -e ".[test]"
	touch $@

$(VENV)/.installed-docs: setup.py pyproject.toml sklearn_linsgd/_fast.pyx sklearn_linsgd/_fast_kernels.h sklearn_linsgd/_fast_small.h | $(PY)
	@echo "==> installing sklearn_linsgd[test,docs] (fetches dependencies, builds the compiled kernels; 1-3 minutes the first time)"
	$(PIP_INSTALL) -e ".[test,docs]"
	touch $@

$(VENV)/.installed-bench: setup.py pyproject.toml sklearn_linsgd/_fast.pyx sklearn_linsgd/_fast_kernels.h sklearn_linsgd/_fast_small.h | $(PY)
	@echo "==> installing sklearn_linsgd[bench] (fetches dependencies, builds the compiled kernels; 1-3 minutes the first time)"
	$(PIP_INSTALL) -e ".[bench]"
	touch $@

demo: $(VENV)/.installed
	$(PY) -m sklearn_linsgd --out demo_output

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	HYPOTHESIS_PROFILE=ci SCIPY_ARRAY_API=1 $(PY) -m pytest

fuzz: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/test_fuzz.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks.run && $(PY) -m benchmarks.bench_defaults && $(PY) -m benchmarks.bench_memory

bench-defaults: $(VENV)/.installed-bench
	$(PY) -m benchmarks.bench_defaults

bench-memory: $(VENV)/.installed-bench
	$(PY) -m benchmarks.bench_memory

bench-quick: $(VENV)/.installed-bench
	$(PY) -m benchmarks.run --quick

docs: $(VENV)/.installed-docs
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/auto_examples docs/generated docs/sg_execution_times.rst
