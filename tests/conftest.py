"""Shared test configuration: hypothesis profiles.

``default`` keeps the property-based tests fast and reproducible in CI (a modest,
derandomized example count). ``ci`` is ``default`` with the fuzz tests' larger
budget, still derandomized, so that a case that ``make fuzz`` once found keeps
being tried (``make test`` selects it). ``fuzz`` runs many more random
examples; select it with ``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``). No
profile has a deadline: the machine running the tests may be shared, and
wall-clock limits make tests flaky.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def pyplot():
    """matplotlib's pyplot on the Agg backend; figures closed after the test
    (skipped where matplotlib is not installed)."""
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")
