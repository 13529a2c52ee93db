"""The fixed set of fits pinned by ``tests/fixtures/reference_fits.npz``.

Shared by the generator (``tests/fixtures/make_reference_fits.py``) and the
test (``tests/test_reference_fits.py``), so that both run exactly the same
fits. Each case names an estimator, a data set, a dtype, a way to train
(``fit``, ``partial_fit`` over chunks, a warm-started second ``fit``) and
*every* optimizer parameter explicitly, so that a later change of a default
value cannot change the fit. The two exceptions are ``eta0`` and
``power_t`` where the configuration does not use them (``"optimal"``, a
callable or a schedule object that sets its own step sizes): there the
estimator refuses any non-default value, so they are left out, and
:func:`check_explicit` checks that they are indeed unused.

The data sets are generated once by :func:`make_datasets` and stored in the
npz with the results, so that a change of ``make_classification`` or of a
random generator cannot change the inputs either.
"""

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sklearn_linsgd import (
    DivergenceError,
    LinearSVMSGD,
    PenaltyScaleWarning,
    SoftmaxSGD,
    schedules,
)

#: The estimator of each loss.
ESTIMATORS = {"hinge": LinearSVMSGD, "log": SoftmaxSGD}

#: A case parameter set to this is left out (see the module docstring).
OMIT = "<omitted: unused by this configuration>"

#: Parameters of every case unless it overrides them (all of the shared
#: constructor parameters but ``verbose``, and ``margin`` for the hinge).
BASE_PARAMS = {
    "alpha": 1e-3,
    "penalty": "l2",
    "l1_ratio": 0.15,
    "fit_intercept": True,
    "batch_size": 32,
    "learning_rate": "constant",
    "eta0": 0.02,
    "power_t": OMIT,  # only "invscaling" uses it (refused elsewhere)
    "momentum": 0.0,
    "nesterov": False,
    "adagrad": False,
    "max_iter": 6,
    "tol": None,
    "n_iter_no_change": 3,
    "early_stopping": False,
    "validation_fraction": 0.2,
    "shuffle": True,
    "random_state": 0,
    "average": False,
    "class_weight": None,
    "warm_start": False,
}

#: Number of chunks of the ``partial_fit`` cases.
N_CHUNKS = 3


def decaying_step(t):
    """A plain callable learning rate: the numpy reference passes run it.

    Parameters
    ----------
    t : int
        The number of updates made so far.

    Returns
    -------
    step : float
        The step size of update ``t``.
    """
    return 0.05 / (1.0 + 0.02 * t)


def huge_step(t):
    """A plain callable learning rate far too large for any data: diverges.

    Parameters
    ----------
    t : int
        The number of updates made so far.

    Returns
    -------
    step : float
        The step size of update ``t`` (the same for all).
    """
    return 1e7


class Fresh:
    """A parameter value built anew for each fit (a schedule object).

    Parameters
    ----------
    build : callable
        Zero-argument function that returns the value.
    """

    def __init__(self, build):
        self.build = build


@dataclass(frozen=True)
class Case:
    """One pinned fit.

    Attributes
    ----------
    name : str
        Key of the case in the npz.
    loss : {"hinge", "log"}
        ``LinearSVMSGD`` or ``SoftmaxSGD``.
    data : str
        A data set of :func:`make_datasets`.
    dtype : {"float64", "float32"}
        The dtype the data is fitted in.
    passes : str
        The pass that the case exercises at the generating commit (checked by
        the generator): ``compiled-dense``, ``compiled-csr-lazy``,
        ``compiled-csr-adagrad``, ``numpy-dense``, ``numpy-csr``,
        ``numpy-csr-lazy`` or ``numpy-csr-adagrad``.
    params : dict
        Overrides of :data:`BASE_PARAMS`; a :class:`Fresh` value is built
        anew for each fit (schedule objects).
    method : {"fit", "partial_fit", "warm_start"}
        ``partial_fit`` over :data:`N_CHUNKS` chunks of rows, or two ``fit``
        calls with ``warm_start=True``.
    sample_weight : bool
        Fit with the data set's stored sample weights.
    diverges : bool
        The fit raises a DivergenceError; the parameters it rolled back to
        and the error's epoch are pinned.
    """

    name: str
    loss: str
    data: str
    dtype: str
    passes: str
    params: dict = field(default_factory=dict)
    method: str = "fit"
    sample_weight: bool = False
    diverges: bool = False

    def estimator_params(self):
        """The full parameter dict of the estimator (fresh objects).

        Returns
        -------
        params : dict
            Keyword arguments of the estimator's constructor.
        """
        params = {**BASE_PARAMS, **self.params}
        if self.loss == "hinge":
            params.setdefault("margin", 1.0)
        out = {}
        for key, value in params.items():
            if isinstance(value, str) and value == OMIT:
                continue
            if isinstance(value, Fresh):
                value = value.build()
            out[key] = value
        return out

    def platform_dependence(self):
        """Where the case's arithmetic depends on vendor libraries.

        Returns
        -------
        reasons : tuple of str
            ``"blas"`` when a BLAS call (OpenBLAS of numpy or of scipy)
            affects the fitted parameters: any dense data (the compiled dense
            pass's gemm, numpy's matmul, the dot of ``row_scale``), the
            ``"auto"`` learning rate (it divides ``eta0`` by ``row_scale``,
            a BLAS dot) and the numpy reference passes on CSR data when the
            objective steers the fit (stopping rule, plateau: the pass's
            objective is a BLAS dot). ``"numpy-simd"`` for the numpy
            reference passes of the softmax, whose ``np.exp``/``np.log`` loops
            are dispatched on the CPU's SIMD extensions. Empty: plain
            arithmetic in a fixed order, the same everywhere.
        """
        params = self.estimator_params()
        reasons = []
        dense = not self.data.startswith("sparse")
        numpy_pass = self.passes.startswith("numpy")
        steered = (
            params["tol"] is not None
            or params["learning_rate"] == "adaptive"
            or params["early_stopping"]
        )
        if dense or params["learning_rate"] == "auto" or (numpy_pass and steered):
            reasons.append("blas")
        if numpy_pass and self.loss == "log":
            reasons.append("numpy-simd")
        return tuple(reasons)


def _sched_step_decay():
    return schedules.StepDecay(eta0=0.05, factor=0.5, step_size=2, steps_per_epoch=5)


def _sched_warmup_cosine():
    return schedules.Join(
        [
            schedules.LinearWarmup(
                eta0=0.1, warmup_steps=10, init_value=0.0, steps_per_epoch=None
            ),
            schedules.InverseScaling(eta0=0.1, power_t=0.25),
        ],
        [10],
    )


def _sched_step_decay_csr():
    return schedules.StepDecay(eta0=0.1, factor=0.5, step_size=3, steps_per_epoch=7)


_STOP = {"tol": 1e-2, "n_iter_no_change": 3, "max_iter": 60}
_NO_ETA0 = {"eta0": OMIT}

CASES = [
    # ---- compiled dense pass
    Case("dense_hinge_multi_f64", "hinge", "dense_multi", "float64", "compiled-dense"),
    Case("dense_log_multi_f32", "log", "dense_multi", "float32", "compiled-dense"),
    Case("dense_hinge_bin_f32", "hinge", "dense_bin", "float32", "compiled-dense"),
    Case(
        "dense_log_wide_multi_f64",  # 20 classes: the gemm products, not the
        "log",  # small-class kernels
        "dense_wide",
        "float64",
        "compiled-dense",
        {"eta0": 0.05},
    ),
    Case(
        "dense_hinge_wide_multi_f32",
        "hinge",
        "dense_wide",
        "float32",
        "compiled-dense",
        {"eta0": 0.01},
    ),
    Case(
        "dense_momentum_hinge_multi_f64",
        "hinge",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"momentum": 0.9, "eta0": 0.005},
    ),
    Case(
        "dense_nesterov_log_multi_f32",
        "log",
        "dense_multi",
        "float32",
        "compiled-dense",
        {"momentum": 0.9, "nesterov": True, "eta0": 0.01},
    ),
    Case(
        "dense_average_hinge_multi_f64",
        "hinge",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"average": True},
    ),
    Case(
        "dense_average_from_log_bin_f32",
        "log",
        "dense_bin",
        "float32",
        "compiled-dense",
        {"average": 100, "eta0": 0.1},
    ),
    Case(
        "dense_adagrad_coordinate_log_multi_f64",
        "log",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"adagrad": "coordinate", "eta0": 0.1},
    ),
    Case(
        "dense_adagrad_feature_hinge_multi_f32",
        "hinge",
        "dense_multi",
        "float32",
        "compiled-dense",
        {"adagrad": "feature", "eta0": 0.1},
    ),
    Case(
        "dense_l1_hinge_multi_f64",
        "hinge",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"penalty": "l1", "alpha": 1e-2},
    ),
    Case(
        "dense_elasticnet_log_multi_f32",
        "log",
        "dense_multi",
        "float32",
        "compiled-dense",
        {"penalty": "elasticnet", "l1_ratio": 0.5, "alpha": 1e-2},
    ),
    Case(
        "dense_auto_log_multi_f64",  # "auto": per-feature AdaGrad, eta0 / s
        "log",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"learning_rate": "auto", "eta0": 0.3},
    ),
    Case(
        "dense_auto_momentum_hinge_bin_f64",  # "auto" with momentum: eta0 / s**2
        "hinge",
        "dense_bin",
        "float64",
        "compiled-dense",
        {"learning_rate": "auto", "eta0": 0.3, "momentum": 0.5},
    ),
    Case(
        "dense_step_decay_object_hinge_multi_f64",
        "hinge",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"learning_rate": Fresh(_sched_step_decay), **_NO_ETA0},
    ),
    Case(
        "dense_warmup_join_object_log_bin_f32",
        "log",
        "dense_bin",
        "float32",
        "compiled-dense",
        {"learning_rate": Fresh(_sched_warmup_cosine), **_NO_ETA0},
    ),
    Case(
        "dense_invscaling_log_multi_f64",
        "log",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"learning_rate": "invscaling", "eta0": 0.1, "power_t": 0.4},
    ),
    Case(
        "dense_optimal_hinge_multi_f32",
        "hinge",
        "dense_multi",
        "float32",
        "compiled-dense",
        {"learning_rate": "optimal", "alpha": 1e-2, **_NO_ETA0},
    ),
    Case(
        "dense_adaptive_log_multi_f64",
        "log",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"learning_rate": "adaptive", "eta0": 0.2, **_STOP, "n_iter_no_change": 2},
    ),
    Case(
        "dense_stopping_rule_hinge_multi_f64",
        "hinge",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"eta0": 0.01, **_STOP},
    ),
    Case(
        "dense_early_stopping_log_multi_f64",
        "log",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"early_stopping": True, "eta0": 0.05, **_STOP},
    ),
    Case(
        "dense_sample_weight_hinge_multi_f32",
        "hinge",
        "dense_multi",
        "float32",
        "compiled-dense",
        sample_weight=True,
    ),
    Case(
        "dense_balanced_sample_weight_log_bin_f64",
        "log",
        "dense_bin",
        "float64",
        "compiled-dense",
        {"class_weight": "balanced"},
        sample_weight=True,
    ),
    Case(
        "dense_full_batch_log_multi_f64",
        "log",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"batch_size": "full", "eta0": 0.5, "max_iter": 20},
    ),
    Case(
        "dense_batch1_no_intercept_hinge_bin_f64",
        "hinge",
        "dense_bin",
        "float64",
        "compiled-dense",
        {"batch_size": 1, "max_iter": 2, "fit_intercept": False},
    ),
    Case(
        "dense_unshuffled_margin_hinge_multi_f32",
        "hinge",
        "dense_multi",
        "float32",
        "compiled-dense",
        {"shuffle": False, "margin": 0.5},
    ),
    Case(
        "dense_shuffle_batches_log_multi_f64",
        "log",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"shuffle": "batches"},
    ),
    Case(
        "dense_partial_fit_log_multi_f32",
        "log",
        "dense_multi",
        "float32",
        "compiled-dense",
        {"eta0": 0.05},
        method="partial_fit",
    ),
    Case(
        "dense_partial_fit_adaptive_hinge_multi_f64",
        "hinge",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"learning_rate": "adaptive", "eta0": 0.05, "tol": 1e-3},
        method="partial_fit",
        sample_weight=True,
    ),
    Case(
        "dense_warm_start_momentum_hinge_multi_f64",
        "hinge",
        "dense_multi",
        "float64",
        "compiled-dense",
        {"warm_start": True, "momentum": 0.5, "max_iter": 3},
        method="warm_start",
    ),
    Case(
        "dense_diverges_nonfinite_hinge_multi_f32",  # overflows in epoch 1
        "hinge",
        "dense_multi",
        "float32",
        "compiled-dense",
        {"eta0": 1e6, "alpha": 0.1, "batch_size": 8},
        diverges=True,
    ),
    # ---- numpy reference passes on dense data (a plain callable step)
    Case(
        "numpy_dense_hinge_multi_f64",
        "hinge",
        "dense_multi",
        "float64",
        "numpy-dense",
        {"learning_rate": decaying_step, **_NO_ETA0},
    ),
    Case(
        "numpy_dense_nesterov_average_log_bin_f32",
        "log",
        "dense_bin",
        "float32",
        "numpy-dense",
        {
            "learning_rate": decaying_step,
            "momentum": 0.8,
            "nesterov": True,
            "average": 50,
            **_NO_ETA0,
        },
    ),
    Case(
        "numpy_dense_elasticnet_adagrad_log_multi_f64",
        "log",
        "dense_multi",
        "float64",
        "numpy-dense",
        {
            "learning_rate": decaying_step,
            "adagrad": "coordinate",
            "penalty": "elasticnet",
            "l1_ratio": 0.3,
            **_NO_ETA0,
        },
        sample_weight=True,
    ),
    Case(
        "numpy_dense_diverges_explosive_log_multi_f64",  # finite, 1e10 x epoch 1
        "log",
        "dense_multi",
        "float64",
        "numpy-dense",
        {"learning_rate": huge_step, "alpha": 1e-2, **_NO_ETA0},
        diverges=True,
    ),
    # ---- compiled CSR passes: lazy L2 (plain, averaged) and sparse AdaGrad
    Case(
        "csr_hinge_multi_f64", "hinge", "sparse_multi", "float64", "compiled-csr-lazy"
    ),
    Case("csr_log_bin_f32", "log", "sparse_bin", "float32", "compiled-csr-lazy"),
    Case(
        "csr_average_log_multi_f64",
        "log",
        "sparse_multi",
        "float64",
        "compiled-csr-lazy",
        {"average": True, "eta0": 0.1},
    ),
    Case(
        "csr_step_decay_object_sample_weight_hinge_bin_f64",
        "hinge",
        "sparse_bin",
        "float64",
        "compiled-csr-lazy",
        {"learning_rate": Fresh(_sched_step_decay_csr), **_NO_ETA0},
        sample_weight=True,
    ),
    Case(
        "csr_early_stopping_hinge_multi_f32",
        "hinge",
        "sparse_multi",
        "float32",
        "compiled-csr-lazy",
        {"early_stopping": True, "eta0": 0.05, **_STOP},
    ),
    Case(
        "csr_partial_fit_hinge_multi_f64",
        "hinge",
        "sparse_multi",
        "float64",
        "compiled-csr-lazy",
        {"eta0": 0.05},
        method="partial_fit",
    ),
    Case(
        "csr_diverges_nonfinite_hinge_multi_f64",  # overflows in epoch 1
        "hinge",
        "sparse_multi",
        "float64",
        "compiled-csr-lazy",
        {"eta0": 1e30, "alpha": 0.1, "batch_size": 8},
        diverges=True,
    ),
    Case(
        "csr_adagrad_coordinate_log_multi_f64",
        "log",
        "sparse_multi",
        "float64",
        "compiled-csr-adagrad",
        {"adagrad": "coordinate", "eta0": 0.1},
    ),
    Case(
        "csr_adagrad_feature_hinge_multi_f32",
        "hinge",
        "sparse_multi",
        "float32",
        "compiled-csr-adagrad",
        {"adagrad": "feature", "eta0": 0.1, **_STOP},
    ),
    Case(
        "csr_auto_log_bin_f64",  # "auto" on CSR: sparse per-feature AdaGrad
        "log",
        "sparse_bin",
        "float64",
        "compiled-csr-adagrad",
        {"learning_rate": "auto", "eta0": 0.3},
    ),
    # ---- numpy reference passes on CSR data
    Case(
        "numpy_csr_l1_hinge_multi_f64",
        "hinge",
        "sparse_multi",
        "float64",
        "numpy-csr",
        {"penalty": "l1", "alpha": 1e-2},
    ),
    Case(
        "numpy_csr_elasticnet_log_bin_f32",
        "log",
        "sparse_bin",
        "float32",
        "numpy-csr",
        {"penalty": "elasticnet", "l1_ratio": 0.5, "alpha": 1e-2},
    ),
    Case(
        "numpy_csr_momentum_average_log_multi_f64",
        "log",
        "sparse_multi",
        "float64",
        "numpy-csr",
        {"momentum": 0.9, "eta0": 0.01, "average": True},
    ),
    Case(
        "numpy_csr_lazy_hinge_multi_f64",
        "hinge",
        "sparse_multi",
        "float64",
        "numpy-csr-lazy",
        {"learning_rate": decaying_step, "average": 40, **_NO_ETA0},
    ),
    Case(
        "numpy_csr_lazy_adagrad_log_multi_f32",
        "log",
        "sparse_multi",
        "float32",
        "numpy-csr-adagrad",
        {"learning_rate": decaying_step, "adagrad": "feature", **_NO_ETA0},
        sample_weight=True,
    ),
]


def _unused(case, name):
    """Whether the estimator refuses a non-default ``name`` for ``case``."""
    params = case.estimator_params()
    est = ESTIMATORS[case.loss](**params)
    default = est.get_params()[name]
    est.set_params(**{name: default * 2 + 1})
    try:
        est._check_params()
    except ValueError:
        return True
    return False


def check_explicit(case):
    """Raise AssertionError unless the case sets every optimizer parameter.

    Every constructor parameter but ``verbose`` must be given, except
    ``eta0`` / ``power_t`` where the estimator refuses them (so their default
    is never used by the fit).

    Parameters
    ----------
    case : Case
        The case to check.
    """
    params = case.estimator_params()
    names = set(ESTIMATORS[case.loss]().get_params()) - {"verbose"}
    missing = names - set(params)
    assert missing <= {"eta0", "power_t"}, (case.name, missing)
    for name in missing:
        assert _unused(case, name), f"{case.name}: {name} is used but not set"


def environment():
    """The libraries whose arithmetic the BLAS / SIMD-dependent cases use.

    Returns
    -------
    env : dict
        ``blas``: threadpoolctl's entries of ``user_api="blas"`` (``filepath``
        left out); ``numpy_version``; ``numpy_simd``: the CPU features that
        numpy dispatches on.
    """
    from threadpoolctl import threadpool_info

    blas = [
        {k: v for k, v in info.items() if k != "filepath"}
        for info in threadpool_info()
        if info["user_api"] == "blas"
    ]
    blas.sort(key=lambda info: (info["prefix"], str(info["version"])))
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    simd = sorted(name for name, on in __cpu_features__.items() if on)
    return {"blas": blas, "numpy_version": np.__version__, "numpy_simd": simd}


def make_datasets():
    """Generate the data sets (the generator stores them in the npz).

    Returns
    -------
    datasets : dict
        ``name -> (X, y, sample_weight)`` with ``X`` float64, dense or CSR.
    """
    from sklearn.datasets import make_classification

    out = {}
    specs = {
        "dense_bin": dict(n_samples=150, n_classes=2, n_features=10, random_state=0),
        "dense_multi": dict(n_samples=180, n_classes=4, n_features=10, random_state=1),
        "dense_wide": dict(n_samples=200, n_classes=20, n_features=24, random_state=2),
    }
    for name, kw in specs.items():
        X, y = make_classification(
            n_informative=min(kw["n_features"] - 2, 8),
            n_redundant=2,
            n_clusters_per_class=1,
            class_sep=1.5,
            **kw,
        )
        out[name] = X, y
    rs = np.random.RandomState(3)
    X = sp.random(
        220,
        60,
        density=0.12,
        format="csr",
        random_state=rs,
        data_rvs=rs.standard_normal,
    )
    W = rs.standard_normal((60, 3))
    scores = X @ W + 0.3 * rs.standard_normal((220, 3))
    out["sparse_multi"] = X, scores.argmax(axis=1)
    out["sparse_bin"] = X, (scores[:, 0] > np.median(scores[:, 0])).astype(int)
    weights = np.random.RandomState(4)
    return {
        name: (X, y, weights.uniform(0.2, 2.0, X.shape[0]))
        for name, (X, y) in out.items()
    }


def pack_datasets(datasets):
    """The data sets as flat npz entries.

    Parameters
    ----------
    datasets : dict
        As returned by :func:`make_datasets`.

    Returns
    -------
    arrays : dict
        ``"data/<name>/<part>" -> ndarray``.
    """
    arrays = {}
    for name, (X, y, sw) in datasets.items():
        key = f"data/{name}/"
        if sp.issparse(X):
            arrays[key + "csr_data"] = X.data
            arrays[key + "csr_indices"] = X.indices
            arrays[key + "csr_indptr"] = X.indptr
            arrays[key + "csr_shape"] = np.array(X.shape)
        else:
            arrays[key + "X"] = X
        arrays[key + "y"] = y
        arrays[key + "sample_weight"] = sw
    return arrays


def unpack_datasets(npz):
    """The data sets stored by :func:`pack_datasets`.

    Parameters
    ----------
    npz : mapping
        The loaded npz file.

    Returns
    -------
    datasets : dict
        As returned by :func:`make_datasets`.
    """
    names = {key.split("/")[1] for key in npz if key.startswith("data/")}
    out = {}
    for name in sorted(names):
        key = f"data/{name}/"
        if key + "X" in npz:
            X = np.asarray(npz[key + "X"])
        else:
            X = sp.csr_matrix(
                (
                    npz[key + "csr_data"],
                    npz[key + "csr_indices"],
                    npz[key + "csr_indptr"],
                ),
                shape=tuple(npz[key + "csr_shape"]),
            )
        out[name] = (
            X,
            np.asarray(npz[key + "y"]),
            np.asarray(npz[key + "sample_weight"]),
        )
    return out


def run_case(case, datasets):
    """Run one case on the given data sets.

    Parameters
    ----------
    case : Case
        The fit to run.
    datasets : dict
        As returned by :func:`make_datasets` or :func:`unpack_datasets`.

    Returns
    -------
    result : dict
        ``coef``, ``intercept``, ``n_iter``, ``t``, ``loss_curve`` and
        ``error_epoch`` (the epoch a DivergenceError names; -1 without one).
    """
    X, y, sw = datasets[case.data]
    X = X.astype(case.dtype)
    sw = sw if case.sample_weight else None
    est = ESTIMATORS[case.loss](**case.estimator_params())
    error_epoch = -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PenaltyScaleWarning)
        try:
            if case.method == "partial_fit":
                classes = np.unique(y)
                bounds = np.linspace(0, X.shape[0], N_CHUNKS + 1).astype(int)
                for lo, hi in zip(bounds[:-1], bounds[1:]):
                    est.partial_fit(
                        X[lo:hi],
                        y[lo:hi],
                        classes=classes,
                        sample_weight=None if sw is None else sw[lo:hi],
                    )
            elif case.method == "warm_start":
                est.fit(X, y, sample_weight=sw)
                est.fit(X, y, sample_weight=sw)
            else:
                est.fit(X, y, sample_weight=sw)
        except DivergenceError as exc:
            if not case.diverges:
                raise
            error_epoch = int(re.search(r"at epoch (\d+)", str(exc)).group(1))
    if case.diverges and error_epoch < 0:
        raise AssertionError(f"{case.name} was expected to diverge")
    return {
        "coef": np.array(est.coef_),
        "intercept": np.array(est.intercept_),
        "n_iter": np.array(est.n_iter_),
        "t": np.array(est.t_),
        "loss_curve": np.array(est.loss_curve_, dtype=np.float64),
        "error_epoch": np.array(error_epoch),
    }
