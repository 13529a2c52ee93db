"""Benchmark suite of sklearn_linsgd: ``python -m benchmarks.run [--quick]``.

See ``benchmarks/README.md``. Not part of the installed package.
"""
