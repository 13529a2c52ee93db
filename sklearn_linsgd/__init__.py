"""Multiclass linear classifiers trained by mini-batch SGD, for scikit-learn."""

from . import schedules
from ._base import PenaltyScaleWarning
from ._classes import LinearSVMSGD, SoftmaxSGD
from ._state import DivergenceError

__version__ = "0.1.0"

__all__ = [
    "DivergenceError",
    "LinearSVMSGD",
    "PenaltyScaleWarning",
    "SoftmaxSGD",
    "schedules",
    "__version__",
]
