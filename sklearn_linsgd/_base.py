"""The shared estimator: validation, labels, and the fit / partial_fit wiring.

This is the one place that turns a loss name and a schedule specification into
the plain callables that the optimizer loop (:mod:`._sgd`) runs.
"""

import contextlib
import copy
import inspect
import math
import time
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from . import _memmap, _sgd, _state, schedules
from ._compiled import RowBatches, batch_bounds, permutation
from ._losses import decision_scores, penalty_subgradient, penalty_value
from ._reference import compact_columns

NAMED_SCHEDULES = (
    "auto",
    "constant",
    "optimal",
    "invscaling",
    "adaptive",
    "step",
    "exponential",
    "cosine",
)


#: ``alpha / RMS row norm ** 2`` above which a fit of the hinge warns (see
#: ``BaseSGDClassifier._warn_penalty_scale``; the softmax's limit is lower).
PENALTY_SCALE_LIMIT = 1e-2
#: The softmax's: the same alpha weighs more against its one log-probability
#: a row than against the hinge's K - 1 margins (docs/hyperparameters.rst).
SOFTMAX_PENALTY_SCALE_LIMIT = 5e-5


class BaseSGDClassifier(LinearClassifierMixin, BaseEstimator):
    """Common machinery of :class:`LinearSVMSGD` and :class:`SoftmaxSGD`.

    Subclasses set ``_loss_grad`` (a kernel from :mod:`._losses`) through
    :meth:`_make_loss_grad`. Not meant to be used directly.
    """

    #: ``alpha / s**2`` above which ``fit`` warns (_warn_penalty_scale).
    _penalty_scale_limit = PENALTY_SCALE_LIMIT

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"full"}),
        ],
        "learning_rate": [
            StrOptions(set(NAMED_SCHEDULES)),
            Interval(Real, 0, None, closed="neither"),
            callable,
        ],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, None, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "adagrad": ["boolean", StrOptions({"coordinate", "feature"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, None, None, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean", StrOptions({"batches"})],
        "random_state": ["random_state"],
        "average": [Interval(Integral, 0, None, closed="left"), "boolean"],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        alpha=1e-4,
        penalty="l2",
        l1_ratio=0.15,
        fit_intercept=True,
        batch_size=256,
        learning_rate="auto",
        eta0=1.5,
        power_t=0.5,
        momentum=0.0,
        nesterov=False,
        adagrad=False,
        max_iter=1000,
        tol=2e-3,
        n_iter_no_change=3,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        average=False,
        class_weight=None,
        warm_start=False,
        verbose=0,
    ):
        self.alpha = alpha
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.momentum = momentum
        self.nesterov = nesterov
        self.adagrad = adagrad
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.average = average
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ tags
    def __getstate__(self):
        # The optimizer state travels as a plain dict of arrays and numbers
        # (pickle, joblib, and skops, which then trusts no class of ours
        # beyond the estimator's); __setstate__ makes the SGDState again.
        state = super().__getstate__()
        if isinstance(state.get("_opt_state"), _state.SGDState):
            state = dict(state, _opt_state=state["_opt_state"].as_dict())
        return state

    def __setstate__(self, state):
        if isinstance(state.get("_opt_state"), dict):
            opt = _state.SGDState(**state["_opt_state"])
            state = dict(state, _opt_state=opt)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -------------------------------------------------------- configuration
    def _make_loss_grad(self):
        """Return ``loss_grad(coef, intercept, X, y, sample_weight)``."""
        raise NotImplementedError

    def _check_params(self, for_partial_fit=False):
        """Rules that tie several parameters together."""
        self._check_ignored_params()
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 with learning_rate='optimal', whose step is "
                "1 / (alpha * (t0 + t)); use alpha > 0 or another learning_rate."
            )
        if self.adagrad and self.momentum:
            raise ValueError(
                f"adagrad={self.adagrad!r} scales each step by its own gradient "
                "history and does not combine with momentum; set momentum=0."
            )
        if for_partial_fit and self.class_weight == "balanced":
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit: it needs "
                "the class frequencies of the whole data. Compute them once with "
                "sklearn.utils.compute_class_weight('balanced', classes=classes, "
                "y=y) on the full target (or a large sample of it) and pass the "
                "result as a dict: class_weight=dict(zip(classes, weights))."
            )
        schedule, _ = self._schedule(steps_per_epoch=1, for_partial_fit=for_partial_fit)
        if isinstance(schedule, schedules.ReduceOnPlateau) and (
            schedule.mode == "max" and (for_partial_fit or not self.early_stopping)
        ):
            raise ValueError(
                "ReduceOnPlateau(mode='max') monitors the validation score, which "
                "exists only in fit with early_stopping=True; use mode='min' to "
                "monitor the training objective."
            )

    def _zero_weights_loss(self, X, y_ind):
        """The data loss at zero weights and intercepts (every score 0): log K
        for the softmax, (K - 1) * margin for the multiclass hinge."""
        n_rows = self._n_rows(self.classes_.size)
        # every score is 0 whatever the row: one row and one column suffice
        zeros = np.zeros((n_rows, 1), dtype=X.dtype)
        one = X[:1, :1] if not sp.issparse(X) else X[:1, :1].tocsr()
        loss = self._make_loss_grad()(
            zeros, zeros[:, 0], one, y_ind[:1], np.ones(1), return_grad=False
        )
        return float(loss) if np.isfinite(loss) and loss > 0 else 1.0

    def _warn_penalty_scale(self, scale):
        """Warn when the penalty dominates because of the features' scale.

        With rows of RMS norm ``s`` the data term's curvature scales as
        ``s**2`` while the penalty's is ``alpha``: ``alpha / s**2`` is the
        strength of the penalty that the scale of the features leaves (about
        1e-8 to 1e-4 for usual data), and above the loss's limit
        (``_penalty_scale_limit``: :data:`PENALTY_SCALE_LIMIT` for the hinge)
        the optimum loses accuracy to the penalty, whatever the optimizer
        does.
        """
        strength = self._effective_alpha() / scale**2
        limit = self._penalty_scale_limit
        if strength > limit:
            warnings.warn(
                f"alpha={self.alpha:g} is a strong penalty for features of this "
                f"scale: the rows' RMS norm is {scale:.3g}, so alpha / norm**2 = "
                f"{strength:.3g} (above {limit:g} for this loss) and the penalty "
                "dominates the fit, which loses accuracy. Scale the features "
                "(e.g. StandardScaler in a Pipeline), or lower alpha (below "
                f"{limit * scale**2:.3g} for this scale).",
                PenaltyScaleWarning,
                stacklevel=6,
            )

    def _l1_ratio(self):
        return {"l2": 0.0, "l1": 1.0, "elasticnet": self.l1_ratio, None: 0.0}[
            self.penalty
        ]

    def _effective_alpha(self):
        return 0.0 if self.penalty is None else float(self.alpha)

    def _schedule(
        self, steps_per_epoch, for_partial_fit=False, row_scale=1.0, weight_scale=None
    ):
        """Turn ``learning_rate`` into ``(schedule, plateau or None)``.

        Named epoch-based schedules count epochs of ``steps_per_epoch`` updates
        (one ``partial_fit`` call is one epoch). ``row_scale`` is the training
        rows' RMS norm (see :func:`row_scale`) and ``weight_scale`` the size
        of the weights on ``X / row_scale`` (see :func:`weight_scale`;
        :data:`DEFAULT_WEIGHT_SCALE` when None): "auto" steps by
        ``eta0 * weight_scale / row_scale``.
        """
        lr, eta0 = self.learning_rate, self.eta0
        if isinstance(lr, str):
            if lr == "auto":
                # An AdaGrad step moves a weight by about the step: on X / s,
                # weights of size D take steps of eta0 * D, hence eta0 * D / s
                # on X. Plain (momentum) steps move a weight by step *
                # gradient, which grows with s: eta0 * D / s**2.
                size = DEFAULT_WEIGHT_SCALE if weight_scale is None else weight_scale
                plain = self._adagrad_mode() is None
                step = eta0 * size / row_scale ** (2 if plain else 1)
                sched = schedules.Constant(step)
            elif lr == "constant":
                sched = schedules.Constant(eta0)
            elif lr == "optimal":
                sched = schedules.Optimal(alpha=self._effective_alpha() or self.alpha)
            elif lr == "invscaling":
                sched = schedules.InverseScaling(eta0, power_t=self.power_t)
            elif lr == "adaptive":
                sched = schedules.ReduceOnPlateau(
                    schedules.Constant(eta0),
                    factor=0.2,
                    patience=self.n_iter_no_change,
                    tol=self.tol if self.tol is not None else 0.0,
                    mode="max"
                    if self.early_stopping and not for_partial_fit
                    else "min",
                )
            elif lr == "step":
                sched = schedules.StepDecay(
                    eta0, factor=0.5, step_size=10, steps_per_epoch=steps_per_epoch
                )
            elif lr == "exponential":
                sched = schedules.ExponentialDecay(
                    eta0, decay_rate=0.95, steps_per_epoch=steps_per_epoch
                )
            else:  # "cosine"
                sched = schedules.CosineDecay(
                    eta0, decay_steps=self.max_iter, steps_per_epoch=steps_per_epoch
                )
        elif isinstance(lr, Real):
            sched = schedules.Constant(float(lr))
        elif isinstance(lr, schedules.Schedule):
            sched = _bind_schedule(lr, self.eta0, self.power_t)
        else:
            sched = lr
        if hasattr(sched, "validate"):
            sched.validate()
        plateau = sched if isinstance(sched, schedules.ReduceOnPlateau) else None
        return sched, plateau

    def _check_ignored_params(self):
        """Refuse a non-default parameter that this configuration would ignore.

        A grid over such a parameter would otherwise give identical fits
        without a word (e.g. ``eta0`` with ``learning_rate="optimal"``).
        """
        defaults = {
            name: p.default
            for name, p in inspect.signature(type(self).__init__).parameters.items()
        }

        def changed(name):
            value, default = getattr(self, name), defaults[name]
            return not (value is default or value == default)

        lr = self.learning_rate
        problems = []
        if changed("eta0"):
            if isinstance(lr, str) and lr == "optimal":
                problems.append(
                    "eta0 does not apply to learning_rate='optimal', whose step is "
                    "1 / (alpha * (t0 + t)); use learning_rate='constant' (or "
                    "another named schedule) to set the step with eta0"
                )
            elif isinstance(lr, schedules.Schedule):
                problems.append(
                    _schedule_param_problem(lr, "eta0", "it sets its own step sizes")
                )
            elif not isinstance(lr, str):
                problems.append(
                    f"eta0 does not apply to learning_rate={lr!r}, which gives "
                    "the step sizes itself; use learning_rate='constant' with "
                    "eta0, or leave eta0 at its default"
                )
        if changed("power_t"):
            if isinstance(lr, schedules.Schedule):
                problems.append(
                    _schedule_param_problem(
                        lr, "power_t", "it is the exponent of InverseScaling"
                    )
                )
            elif not (isinstance(lr, str) and lr == "invscaling"):
                problems.append(
                    f"power_t applies to learning_rate='invscaling' only, not to "
                    f"learning_rate={lr!r}"
                )
        if self.nesterov and not self.momentum:
            problems.append(
                "nesterov=True needs momentum > 0 (it is a form of momentum)"
            )
        problems = [p for p in problems if p]
        if problems:
            raise ValueError(
                f"{type(self).__name__}: "
                + "; ".join(problems)
                + ". A parameter that has no effect is refused, so that a grid "
                "search over it cannot give identical fits without a word."
            )

    def _auto(self):
        return isinstance(self.learning_rate, str) and self.learning_rate == "auto"

    def _update_config(self, row_scale=1.0):
        average = self.average
        if average is True:
            start = 1
        elif average is False or average is None:
            start = None
        else:
            start = max(int(average), 1)
        return _state.UpdateConfig(
            alpha=self._effective_alpha(),
            l1_ratio=self._l1_ratio(),
            fit_intercept=bool(self.fit_intercept),
            momentum=float(self.momentum),
            nesterov=bool(self.nesterov),
            average_start=start,
            adagrad=self._adagrad_mode(),
            # the rows' RMS norm under "auto": the intercepts' AdaGrad steps
            # and the weights' epsilon (UpdateConfig.adagrad_eps) scale with it
            intercept_scale=float(row_scale) if self._auto() else 1.0,
        )

    def _adagrad_mode(self):
        """``None``, ``"coordinate"`` (``adagrad=True``) or ``"feature"``
        (also what ``learning_rate="auto"`` uses unless ``adagrad`` is set)."""
        if isinstance(self.adagrad, str):
            return self.adagrad
        if self.adagrad:
            return "coordinate"
        return "feature" if self._auto() and not self.momentum else None

    # ---------------------------------------------------------------- data
    def _n_rows(self, n_classes):
        return 1 if n_classes == 2 else n_classes

    def _encode(self, y, classes):
        """Class indices of ``y``; ValueError for labels outside ``classes``."""
        unknown = np.setdiff1d(unique_labels(y), classes)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} that are not in classes "
                f"{classes.tolist()}. Pass every label that can occur in "
                "`classes` on the first call to partial_fit."
            )
        return np.searchsorted(classes, y)

    def _weights(self, sample_weight, X, y_ind, classes, y):
        sw = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=classes, y=y)
            sw = sw * cw.astype(X.dtype)[y_ind]
        elif sample_weight is None:
            return sw
        return np.ascontiguousarray(sw, dtype=X.dtype)

    def _rng(self, t):
        """A generator for the call that starts at update ``t``."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return np.random.default_rng([seed, int(t)])

    # ---------------------------------------------------------- public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model with mini-batch SGD for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 are kept as they are; C-contiguous
            arrays and CSR matrices are never copied whole.
        y : array-like of shape (n_samples,)
            Target labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; class weights are folded into them.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._check_params()
        X, y, reader = self._validate_training_data(X, y, reset=True)
        try:
            return self._fit(X, y, sample_weight, reader)
        finally:
            if reader is not None:
                reader.close()

    def _validate_training_data(self, X, y, reset):
        """``validate_data`` for fit / partial_fit, and a file reader for memmaps.

        A file-backed ``np.memmap`` is checked for NaN/inf in chunks read from
        the file and its batches are read the same way, so that it is never
        mapped into memory whole.
        """
        file_backed = isinstance(X, np.ndarray) and _memmap._file_memmap(X) is not None
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            reset=reset,
            ensure_all_finite=not file_backed,
        )
        reader = _memmap.FileRows.from_array(X) if file_backed else None
        if file_backed and not get_config()["assume_finite"]:
            check = partial(
                _assert_all_finite, input_name="X", estimator_name=type(self).__name__
            )
            if reader is None:
                check(X)
            else:
                reader.assert_all_finite(check)
        return X, y, reader

    def _fit(self, X, y, sample_weight, reader):
        classes, y_ind, sw = self._fit_targets(y, X, sample_weight)
        state = self._fit_start_state(X, classes)
        rng = self._rng(state.t)
        gather = None if reader is None else reader.gather

        # Early stopping holds out a stratified split; rows are masked out of
        # training by index (or by zero weight for a single batch), never copied.
        train_idx = np.arange(X.shape[0])
        validation_score = val_idx = None
        if self.early_stopping:
            train_idx, val_idx = self._validation_split(y_ind, rng, sw)
            X_val = X[val_idx] if gather is None else gather(X, val_idx, None)
            validation_score = _accuracy_scorer(X_val, y_ind[val_idx], sw[val_idx])
        batch_size, n_batches, sw = self._fit_batching(
            X.shape[0], train_idx, sw, val_idx
        )
        single_batch = n_batches == 1 and batch_size == X.shape[0]
        scale = self._auto_scales(state, X, y_ind, sw, train_idx, gather)
        schedule, plateau = self._schedule(
            steps_per_epoch=n_batches,
            row_scale=scale,
            weight_scale=state.weight_scale,
        )

        def make_batches(epoch):
            return _batches(train_idx, batch_size, self.shuffle, rng, single_batch)

        buffer = None
        if isinstance(X, np.ndarray) and not single_batch:
            buffer = np.empty((batch_size, X.shape[1]), dtype=X.dtype)

        self.classes_ = classes
        self.loss_curve_ = []
        val_scores = []
        try:
            with _blas_threads(X, batch_size):
                result = _sgd.sgd_epochs(
                    state,
                    X,
                    y_ind,
                    sw,
                    make_batches,
                    loss_grad=self._make_loss_grad(),
                    schedule=schedule,
                    config=self._update_config(scale),
                    max_iter=self.max_iter,
                    tol=self.tol,
                    n_iter_no_change=self.n_iter_no_change,
                    tol_floor=self._zero_weights_loss(X, y_ind),
                    plateau=plateau,
                    validation_score=validation_score,
                    verbose=self.verbose,
                    buffer=buffer,
                    gather=gather,
                    loss_curve=self.loss_curve_,
                    validation_scores=val_scores,
                )
        except BaseException:
            # Divergence (parameters already rolled back) or an interruption
            # (KeyboardInterrupt between updates): keep the last completed
            # update's parameters, usable for predict and partial_fit.
            self._finish_fit(state, max(len(self.loss_curve_), 1), val_scores)
            raise
        self._finish_fit(
            state, result["n_iter"], val_scores, result["best_validation_score"]
        )
        if self.tol is not None and not result["stopped"]:
            warnings.warn(
                f"Maximum number of epochs ({self.max_iter}) reached before the "
                "stopping rule was met. Consider increasing max_iter, or a larger "
                "tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _fit_targets(self, y, X, sample_weight):
        """``(classes, y_ind, sample_weight)`` for ``fit``; errors for one
        class or weights that sum to 0."""
        check_classification_targets(y)
        classes, y_ind = _classes_and_indices(y)
        if classes.size < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got "
                f"{classes.size} class ({classes.tolist()}). A classifier needs "
                "samples of at least two classes."
            )
        sw = self._weights(sample_weight, X, y_ind, classes, y)
        if not sw.sum() > 0:
            raise ValueError("sample_weight must have a positive sum.")
        return classes, y_ind, sw

    def _fit_start_state(self, X, classes):
        """A fresh optimizer state: zeros, or the previous solution (and its
        update count) with ``warm_start``."""
        n_rows, n_features = self._n_rows(classes.size), X.shape[1]
        if not (self.warm_start and hasattr(self, "_opt_state")):
            return _state.zero_state(
                n_rows, n_features, X.dtype, momentum=self.momentum
            )
        if getattr(self, "coef_", np.empty(0)).shape != (n_rows, n_features) or (
            not np.array_equal(self.classes_, classes)
        ):
            raise ValueError(
                "warm_start=True reuses the previous solution, which has "
                f"classes {self.classes_.tolist()} and {self.coef_.shape[1]} "
                "features; fit with the same classes and features, or set "
                "warm_start=False."
            )
        prev = self._opt_state
        # init_state copies (to the data's dtype): one model more, then the
        # previous state is replaced
        return _state.init_state(
            prev.coef.astype(X.dtype, copy=False),
            prev.intercept.astype(X.dtype, copy=False),
            momentum=self.momentum,
            t=prev.t,
        )

    def _fit_batching(self, n_samples, train_idx, sw, val_idx):
        """``(batch_size, n_batches, sample_weight)``: one batch of all the
        rows (validation rows weighted 0) when the training rows fit in one,
        and the weights normalised over the training rows."""
        batch_size = self.batch_size
        if batch_size == "full" or train_idx.size <= batch_size:
            if val_idx is not None:
                sw = sw.copy()
                sw[val_idx] = 0
            return n_samples, 1, _sgd.normalise_weights(sw)
        n_batches = math.ceil(train_idx.size / batch_size)
        return batch_size, n_batches, _sgd.normalise_weights(sw, train_idx)

    def _auto_scales(self, state, X, y_ind, sw, rows, gather):
        """Set the state's ``row_scale`` (warning when the penalty dominates
        at that scale) and, under "auto", ``weight_scale``, each unless
        already set; return ``row_scale``."""
        if state.row_scale is None:
            state.row_scale = row_scale(X, sw, rows, gather)
            self._warn_penalty_scale(state.row_scale)
        if self._auto() and state.weight_scale is None:
            state.weight_scale = weight_scale(
                X,
                y_ind,
                sw,
                state.coef.shape[0],
                state.row_scale,
                rows,
                gather,
                alpha=self._effective_alpha(),
            )
        return state.row_scale

    def _finish_fit(self, state, n_iter, val_scores, best_score=None):
        """Publish the state and the fit's records (also after an error)."""
        self._store(state)
        self.n_iter_ = n_iter
        if self.early_stopping:
            self.validation_scores_ = val_scores
            if best_score is None:
                best_score = max(val_scores, default=None)
            self.best_validation_score_ = best_score

    def _validation_split(self, y_ind, rng, sample_weight):
        seed = int(rng.integers(np.iinfo(np.int32).max))
        try:
            train_idx, val_idx = train_test_split(
                np.arange(y_ind.size),
                test_size=self.validation_fraction,
                stratify=y_ind,
                random_state=seed,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out a stratified validation split "
                f"of validation_fraction={self.validation_fraction}: {exc} Use more "
                "data, a larger validation_fraction, or early_stopping=False."
            ) from exc
        for name, idx in (("validation", val_idx), ("training", train_idx)):
            if not sample_weight[idx].sum() > 0:
                raise ValueError(
                    f"early_stopping held out a validation split whose {name} "
                    f"rows ({idx.size} of {y_ind.size}) all have zero sample "
                    "weight, so it cannot be scored or fitted. Give positive "
                    "weight to more rows, change validation_fraction or "
                    "random_state, or set early_stopping=False."
                )
        return np.sort(train_idx), val_idx

    def _store(self, state):
        """Publish the optimizer state as fitted attributes.

        ``coef_`` and ``intercept_`` are the state's own arrays (the
        parameters, or their running average once averaging started), not
        copies: a model-sized copy would be the largest allocation of a fit
        on wide data. A later ``partial_fit`` updates them in place.
        """
        coef, intercept = state.params()
        self.coef_ = coef
        self.intercept_ = intercept
        self.t_ = int(state.t)
        self._opt_state = state

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Make one pass of mini-batch SGD over the given chunk.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels; all must be in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every label of the whole data. Required on the first call; later
            calls may repeat it (it must then be the same).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; class weights are folded into them.

        Returns
        -------
        self : object
            The updated estimator. The step counter ``t_`` continues across calls.
        """
        self._check_params(for_partial_fit=True)
        first_call = not hasattr(self, "_opt_state")
        if first_call and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: give "
                "every label of the whole data, e.g. classes=np.unique(y_all)."
            )
        if classes is not None:
            classes = unique_labels(classes)
            if not first_call and not np.array_equal(self.classes_, classes):
                raise ValueError(
                    f"`classes={classes.tolist()}` is not the same as on the first "
                    f"call to partial_fit, was: {self.classes_.tolist()}. Pass the "
                    "same classes on every call, or call fit to start over."
                )
            if classes.size < 2:
                raise ValueError(
                    "The number of classes has to be greater than one; got "
                    f"classes={classes.tolist()}."
                )
        X, y, reader = self._validate_training_data(X, y, reset=first_call)
        try:
            return self._partial_fit(X, y, classes, sample_weight, first_call, reader)
        finally:
            if reader is not None:
                reader.close()

    def _partial_fit(self, X, y, classes, sample_weight, first_call, reader):
        if first_call:
            self.classes_ = classes
            n_rows = self._n_rows(classes.size)
            state = _state.zero_state(
                n_rows, X.shape[1], X.dtype, momentum=self.momentum
            )
            state.plateau = None
            self._store(state)
            self.loss_curve_ = []
        state = self._opt_state
        if self.momentum and state.velocity_coef is None:
            state.velocity_coef = np.zeros_like(state.coef)
            state.velocity_intercept = np.zeros_like(state.intercept)
        dtype = state.coef.dtype
        if X.dtype != dtype:
            X, reader = _to_model_dtype(X, dtype), None
        y_ind = self._encode(y, self.classes_)
        sw = self._weights(sample_weight, X, y_ind, self.classes_, y)
        if not sw.sum() > 0:
            # nothing to estimate J's data term from: the chunk makes no update
            self.loss_curve_.append(float("nan"))
            self.n_iter_ = 1
            return self
        sw = _sgd.normalise_weights(sw)

        n_samples = X.shape[0]
        batch_size = n_samples if self.batch_size == "full" else self.batch_size
        batches = _batches(
            np.arange(n_samples),
            batch_size,
            self.shuffle,
            self._rng(state.t),
            single_batch=n_samples <= batch_size,
        )
        gather = None if reader is None else reader.gather
        # the first chunk sets the scales
        scale = self._auto_scales(state, X, y_ind, sw, None, gather)
        schedule, plateau = self._schedule(
            steps_per_epoch=len(batches),
            for_partial_fit=True,
            row_scale=scale,
            weight_scale=state.weight_scale,
        )
        buffer = None
        if isinstance(X, np.ndarray) and len(batches) > 1:
            buffer = np.empty((batch_size, X.shape[1]), dtype=dtype)
        start = time.time()
        try:
            with _blas_threads(X, batch_size):
                objective = _sgd.sgd_pass(
                    state,
                    X,
                    y_ind,
                    sw,
                    batches,
                    loss_grad=self._make_loss_grad(),
                    schedule=schedule,
                    config=self._update_config(scale),
                    epoch=len(self.loss_curve_) + 1,
                    buffer=buffer,
                    gather=gather,
                )
        finally:
            self._store(state)
        self.loss_curve_.append(objective)
        self.n_iter_ = 1
        if plateau is not None and np.isfinite(objective):
            self._chunk_plateau_step(state, plateau, objective, X, y_ind, sw)
        if self.verbose:
            print(
                f"-- Pass {len(self.loss_curve_)}, objective: {objective:.6g}, "
                f"step size: {float(schedule(state.t)) * state.lr_scale:.3g}, "
                f"updates: {state.t}, elapsed: {time.time() - start:.2f} s",
                flush=True,
            )
        return self

    def _chunk_plateau_step(self, state, plateau, objective, X, y_ind, sw):
        """The "adaptive" rule across ``partial_fit`` calls: chunks differ, so
        their objectives are not comparable; it monitors the progress made
        on each chunk (its objective during the pass minus after it),
        accumulated."""
        coef, intercept = state.coef, state.intercept
        after = self._make_loss_grad()(
            coef, intercept, X, y_ind, sw, return_grad=False
        ) + penalty_value(coef, self._effective_alpha(), self._l1_ratio())
        state.progress = state.progress - (objective - after)
        _state.plateau_step(state, plateau, state.progress)

    # ------------------------------------------- ParallelSGD's entry points
    # ParallelSGD (dask.py) trains copies of a fitted estimator on partitions
    # and mixes them; these are the only ways it reaches the optimizer state.
    def _parallel_start(self, steps_per_round, row_scale=None, weight_scale=None):
        """Reset the optimizer to zeros, as a first ``partial_fit`` call
        leaves it, with "auto"'s scales set from all the data; a round of
        ``steps_per_round`` updates counts as an epoch of the schedules.

        Returns ``(local_params, plateau)``: the parameters to set on the
        copies that run the partitions' passes (under "adaptive" they run
        the plateau's base schedule, and the driver runs the plateau rule on
        the round objective through :meth:`_parallel_mix`), and the plateau
        schedule or None.
        """
        coef = self._opt_state.coef
        state = _state.zero_state(*coef.shape, coef.dtype, momentum=self.momentum)
        state.plateau = None
        if row_scale is not None:
            state.row_scale = row_scale
        if weight_scale is not None:
            state.weight_scale = weight_scale
        self._store(state)
        self.loss_curve_ = []
        self.n_iter_ = 0
        schedule, plateau = self._schedule(steps_per_epoch=steps_per_round)
        local = {"verbose": 0}
        if not self._auto():
            if plateau is not None and plateau.base is not None:
                schedule = plateau.base
            # the schedule is bound (its eta0 and power_t are set): the
            # estimator's own go back to their defaults, which do not
            # conflict with it
            params = inspect.signature(type(self).__init__).parameters
            local.update(
                learning_rate=schedule,
                eta0=params["eta0"].default,
                power_t=params["power_t"].default,
            )
        return local, plateau

    def _parallel_counters(self):
        """``(t, samples_seen)``: where the next round's passes start."""
        return self._opt_state.t, self._opt_state.samples_seen

    def _parallel_pass(self, X, y, classes, t_start, seen_start):
        """One ``partial_fit`` pass from the given counters; returns what
        :meth:`_parallel_mix` combines, and the pass's objective."""
        _state.start_counters(self._opt_state, t_start, seen_start)
        self.partial_fit(X, y, classes=classes)
        result = _state.partition_result(self._opt_state, t_start, seen_start)
        result["objective"] = float(self.loss_curve_[-1])
        return result

    def _parallel_mix(self, results, weights, objective, plateau=None):
        """Mix the partitions' results into this estimator's state; feed the
        round ``objective`` to the plateau rule (when finite)."""
        state = self._opt_state
        _state.mix_states(state, results, weights)
        if plateau is not None and np.isfinite(objective):
            _state.plateau_step(state, plateau, objective)
        self._store(state)

    def objective(self, X, y, sample_weight=None):
        """Return the training objective ``J(W, b)`` at the current parameters.

        ``J = sum_i w_i L_i / sum_i w_i + alpha * R(W)``, with class weights
        folded into ``w_i``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        objective : float
        """
        check_is_fitted(self)
        value, _, _ = self._objective_and_gradient(X, y, sample_weight)
        return value

    def _objective_and_gradient(
        self, X, y, sample_weight=None, coef=None, intercept=None
    ):
        """``J`` and its (sub)gradient w.r.t. ``coef_`` and ``intercept_``.

        ``coef`` and ``intercept`` default to the fitted ones. The L1 part uses
        the subgradient ``sign(W)``. The intercept gradient is the gradient of
        ``J`` in ``intercept`` whatever ``fit_intercept`` says (callers that
        keep the intercept fixed ignore it).
        """
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        y = np.asarray(y)
        y_ind = self._encode(y, self.classes_)
        sw = self._weights(sample_weight, X, y_ind, self.classes_, y)
        coef = self.coef_ if coef is None else coef
        intercept = self.intercept_ if intercept is None else intercept
        with _blas_threads(X, X.shape[0]):
            loss, grad_coef, grad_intercept = self._make_loss_grad()(
                coef, intercept, X, y_ind, sw
            )
        alpha, l1_ratio = self._effective_alpha(), self._l1_ratio()
        value = loss + penalty_value(coef, alpha, l1_ratio)
        grad_coef = grad_coef + penalty_subgradient(coef, alpha, l1_ratio)
        return value, grad_coef, grad_intercept

    def decision_function(self, X):
        """Signed scores of each class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes, the score of ``classes_[1]`` (positive means
            ``classes_[1]``); otherwise one column per class.
        """
        check_is_fitted(self)
        return super().decision_function(X)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return super().predict(X)


#: Rows read to estimate the RMS row norm of a large data set.
SCALE_SAMPLE_ROWS = 20_000
#: Rows whose nearest-centroid classifier estimates the weights' size.
WEIGHT_SAMPLE_ROWS = 4096
#: :func:`weight_scale` when the data cannot tell (one class present).
DEFAULT_WEIGHT_SCALE = 0.3
#: :func:`weight_scale` is clipped to this range.
WEIGHT_SCALE_RANGE = (1e-3, 1e3)


class PenaltyScaleWarning(UserWarning):
    """Warned by ``fit`` when ``alpha`` is strong for the features' scale.

    With rows of RMS norm ``s``, ``alpha / s**2`` above 1e-2
    (:class:`LinearSVMSGD`) or 5e-5 (:class:`SoftmaxSGD`, whose one
    log-probability a row weighs less against the penalty than the hinge's
    ``K - 1`` margins) means the penalty dominates the objective (for example
    digits' pixels multiplied by 1e-3 with the default ``alpha``): the
    optimum itself loses accuracy, whatever the optimizer. Scale the
    features or lower ``alpha``.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_linsgd import PenaltyScaleWarning, SoftmaxSGD
    >>> X, y = load_digits(return_X_y=True)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = SoftmaxSGD(max_iter=2, tol=None).fit(X * 1e-3, y)
    >>> any(issubclass(w.category, PenaltyScaleWarning) for w in caught)
    True
    """


def row_scale(X, sample_weight, rows=None, gather=None):
    """The weighted RMS norm of the rows of ``X`` (``rows`` of it).

    ``sqrt(sum_i w_i ||x_i||**2 / sum_i w_i)`` over at most
    :data:`SCALE_SAMPLE_ROWS` evenly spaced rows (weighted, so that a weight
    acts as repeating the row); 1.0 when it is zero or not finite.
    ``gather(X, idx, None)`` reads rows of a file-backed array.
    """
    n = X.shape[0] if rows is None else rows.size
    if n == 0:
        return 1.0
    take = (
        np.arange(n)
        if n <= SCALE_SAMPLE_ROWS
        else np.linspace(0, n - 1, SCALE_SAMPLE_ROWS).astype(np.intp)
    )
    idx = take if rows is None else rows[take]
    sq = np.empty(idx.size)
    for start in range(0, idx.size, 1024):  # a block of rows at a time: no copy
        block = idx[start : start + 1024]
        if sp.issparse(X):
            rows_b = X[block]
            with np.errstate(over="ignore", invalid="ignore"):
                sq[start : start + block.size] = np.bincount(
                    np.repeat(np.arange(block.size), np.diff(rows_b.indptr)),
                    weights=np.square(rows_b.data, dtype=np.float64),
                    minlength=block.size,
                )
        else:
            rows_b = X[block] if gather is None else gather(X, block, None)
            with np.errstate(over="ignore", invalid="ignore"):
                sq[start : start + block.size] = np.einsum(
                    "ij,ij->i", rows_b, rows_b, dtype=np.float64
                )
    w = np.asarray(sample_weight, dtype=np.float64)[idx]
    if not w.sum() > 0:
        return 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        scale = math.sqrt(float(sq @ w) / float(w.sum()))
    return scale if math.isfinite(scale) and scale > 0 else 1.0


def weight_scale(
    X, y_ind, sample_weight, n_rows, scale, rows=None, gather=None, alpha=0.0
):
    """How large the weights must be, in units of the scaled features ``X / s``.

    AdaGrad's step is best about as large as the solution's weights (Duchi,
    Hazan and Singer, 2011); this estimates their size from the
    nearest-centroid classifier, which needs no optimisation: its weights
    are the class means (centred over the classes, as SGD from zeros keeps
    them; for ``n_rows=1`` the difference of the two means), scaled so that
    its median margin is 1. The result is the root mean square of those
    scaled weights over the features that occur. Raw pixels, whose classes
    differ little beside their common mean, need larger weights than
    unit-norm tf-idf rows.

    It reads at most :data:`WEIGHT_SAMPLE_ROWS` evenly spaced rows; rows of
    zero weight are left out. Multiplying ``X`` by a constant leaves it
    unchanged (given ``scale``, the rows' RMS norm of :func:`row_scale`).
    With an L2/L1 penalty ``alpha`` strong for this scale (``alpha / s**2``
    near the classes' spread), the weights stay near ``-gradient / alpha``
    and are smaller: the estimate is then at most the means' spread over
    ``n_classes * alpha / s**2`` (the gradient at zero weights over the
    penalty). When the data cannot tell (fewer than two classes present, no
    margin), it is :data:`DEFAULT_WEIGHT_SCALE`; it is clipped to
    :data:`WEIGHT_SCALE_RANGE`.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    y_ind : ndarray of shape (n_samples,)
        Class indices.
    sample_weight : ndarray of shape (n_samples,)
    n_rows : int
        Rows of ``coef_``: 1 for two classes, else the number of classes.
    scale : float
        The rows' RMS norm ``s``.
    rows : ndarray or None
        The training rows (indices into ``X``); all when None.
    gather : callable or None
        ``gather(X, idx, None)`` reads rows of a file-backed array.
    alpha : float, default=0.0
        The penalty's strength on ``X`` (0: no penalty).

    Returns
    -------
    float
    """
    n = X.shape[0] if rows is None else rows.size
    take = (
        np.arange(n)
        if n <= WEIGHT_SAMPLE_ROWS
        else np.linspace(0, n - 1, WEIGHT_SAMPLE_ROWS).astype(np.intp)
    )
    idx = take if rows is None else rows[take]
    w = np.asarray(sample_weight, dtype=np.float64)[idx]
    idx, w = idx[w > 0], w[w > 0]
    present, y = np.unique(np.asarray(y_ind)[idx], return_inverse=True)
    if present.size < 2 or not (scale > 0 and math.isfinite(scale)):
        return DEFAULT_WEIGHT_SCALE
    Xs = X[idx] if gather is None or sp.issparse(X) else gather(X, idx, None)
    if sp.issparse(Xs):
        Xs = compact_columns(Xs)[1]  # the columns that occur
    # Class means of X / s: a (classes x rows) averaging matrix times the rows.
    totals = np.bincount(y, weights=w, minlength=present.size)
    avg = sp.csr_matrix(
        (w / (totals[y] * scale), (y, np.arange(idx.size))),
        shape=(present.size, idx.size),
    )
    if sp.issparse(Xs):  # dense means straight away (a sparse product of
        # nearly dense rows would take 1.5 times their size, then a copy)
        means = (Xs.T @ avg.T.toarray()).T
    else:
        means = np.asarray(avg @ Xs)
    sq = np.einsum("ij,ij->i", means, means)
    # Margins of the nearest-centroid scores x . m_k - |m_k|**2 / 2.
    scores = np.asarray(Xs @ means.T, dtype=np.float64) / scale - sq / 2
    true = scores[np.arange(y.size), y]
    scores[np.arange(y.size), y] = -np.inf
    median = _weighted_median(np.abs(true - scores.max(axis=1)), w)
    if not (median > 0 and math.isfinite(median)):
        return DEFAULT_WEIGHT_SCALE
    occur = means.any(axis=0)  # features that occur in the rows read
    if n_rows == 1 and present.size == 2:  # the binary model: m_1 - m_0
        weights = means[1] - means[0]
    else:  # centred over the classes (in place: a copy as large as the model)
        weights = means
        weights -= means.mean(axis=0)
    n_weights = max(int(occur.sum()) * (weights.size // means.shape[1]), 1)
    flat = weights.ravel(order="K")  # no copy, in either layout
    spread = math.sqrt(float(np.vdot(flat, flat)) / n_weights)
    value = spread / median
    if alpha > 0:
        # Where the penalty dominates, the weights stay near -gradient /
        # alpha (on X / s, alpha / s**2), and the gradient at zero weights
        # is about the means' spread over the number of classes.
        value = min(value, spread * scale**2 / (present.size * alpha))
    if not (value > 0 and math.isfinite(value)):
        return DEFAULT_WEIGHT_SCALE
    return float(min(max(value, WEIGHT_SCALE_RANGE[0]), WEIGHT_SCALE_RANGE[1]))


def _weighted_median(values, weights):
    """The smallest value with at least half the weight at or below it."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _schedule_nodes(sched):
    """The schedule objects in ``sched`` (itself, plateau bases, Join pieces)."""
    yield sched
    if isinstance(sched, schedules.ReduceOnPlateau) and sched.base is not None:
        yield from _schedule_nodes(sched.base)
    if isinstance(sched, schedules.Join):
        for piece in sched.schedules:
            if isinstance(piece, schedules.Schedule):
                yield from _schedule_nodes(piece)


def _uses(sched, name):
    """Whether a schedule object has a parameter ``name`` (e.g. eta0) anywhere;
    a ``ReduceOnPlateau`` without a base steps with ``eta0``."""
    if name == "eta0" and any(
        isinstance(n, schedules.ReduceOnPlateau) and n.base is None
        for n in _schedule_nodes(sched)
    ):
        return True
    return any(name in n.get_params(deep=False) for n in _schedule_nodes(sched))


def _explicit(sched, name):
    """Whether some piece of ``sched`` sets ``name`` itself (not None)."""
    return any(
        n.get_params(deep=False).get(name) is not None for n in _schedule_nodes(sched)
    )


def _schedule_param_problem(sched, name, why_not):
    """Why the estimator's ``name`` (eta0, power_t) set to a non-default value
    conflicts with the schedule object ``sched``, or None."""
    if not _uses(sched, name):
        return f"{name} does not apply to learning_rate={sched!r}: {why_not}"
    if _explicit(sched, name):
        return (
            f"{name} is set both on the estimator and in learning_rate={sched!r}; "
            f"set it in one place: leave the schedule's {name} at None to take "
            f"the estimator's (then a grid over {name} acts), or leave the "
            "estimator's at its default"
        )
    return None


def _bind_schedule(sched, eta0, power_t):
    """A copy of a schedule object whose ``eta0`` / ``power_t`` left at None
    take the estimator's (the one rule: see ``learning_rate``)."""
    sched = copy.deepcopy(sched)
    if isinstance(sched, schedules.ReduceOnPlateau) and sched.base is None:
        sched.base = schedules.Constant()
    for node in _schedule_nodes(sched):
        params = node.get_params(deep=False)
        if "eta0" in params and params["eta0"] is None:
            node.eta0 = eta0
        if "power_t" in params and params["power_t"] is None:
            node.power_t = power_t
    return sched


def _to_model_dtype(X, dtype):
    """``X`` cast to the model's dtype; ValueError when values overflow it."""
    with np.errstate(over="ignore"):
        X = X.astype(dtype)
    if not np.isfinite(X.data if sp.issparse(X) else X).all():
        raise ValueError(
            f"X has values too large for {dtype.name}, the dtype of this "
            "model (set by the first call to partial_fit). Scale the "
            "features, or pass float64 data on the first call."
        )
    return X


def _classes_and_indices(y):
    """``np.unique(y, return_inverse=True)``: the sorted labels and each
    sample's index into them.

    Integer labels whose range is at most a few times their number are
    counted in a table (linear time) rather than sorted and searched.
    """
    if y.dtype.kind in "iu" and y.size:
        lo, hi = int(y.min()), int(y.max())
        if -(2**62) < lo and hi < 2**62 and hi - lo < max(4 * y.size, 1024):
            offset = y.astype(np.intp, copy=False) - lo
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[offset] = True
            classes = (np.flatnonzero(present) + lo).astype(y.dtype)
            return classes, (np.cumsum(present) - 1)[offset]
    classes = np.unique(y)
    return classes, np.searchsorted(classes, y)


def _batches(rows, batch_size, shuffle, rng, single_batch=False):
    """Row selections of one epoch over ``rows`` (sorted indices into X).

    Batches hold at most ``batch_size`` rows, as equal as can be (see
    :func:`~sklearn_linsgd._compiled.batch_bounds`). ``shuffle=True`` permutes
    the rows (batches are gathered); ``"batches"``
    keeps rows in order and permutes the order of contiguous batches (no gather
    when ``rows`` covers all of X); ``False`` keeps everything in order.
    """
    if single_batch:
        return [slice(None)]
    starts, stops = (b.tolist() for b in batch_bounds(rows.size, batch_size))
    if shuffle == "batches":
        contiguous = rows.size == 0 or rows[-1] == rows.size - 1
        order = rng.permutation(len(starts))
        if contiguous:
            return [slice(starts[i], stops[i]) for i in order]
        return [rows[starts[i] : stops[i]] for i in order]
    if shuffle:
        rows = permutation(rows, rng)
    elif rows.size == 0 or rows[-1] == rows.size - 1:
        return [slice(i, j) for i, j in zip(starts, stops)]
    return RowBatches(rows, batch_size)


def _blas_threads(X, batch_rows):
    """One BLAS thread for mini-batch products, which are too small to share.

    Threads cost more than they save on the products of one batch, most of
    all on a busy machine; large dense full-batch products keep the default
    threading.
    """
    global _CONTROLLER
    if sp.issparse(X) or batch_rows * X.shape[1] <= 2**21:
        # One controller for the process: building one scans the loaded
        # libraries, which costs more than a small partial_fit call.
        if _CONTROLLER is None:
            _CONTROLLER = ThreadpoolController()
        return _CONTROLLER.limit(limits=1, user_api="blas")
    return contextlib.nullcontext()


_CONTROLLER = None


def _accuracy_scorer(X_val, y_val, sw_val):
    """``(coef, intercept) -> weighted accuracy`` on a held-out split."""

    def score(coef, intercept):
        scores = decision_scores(coef, intercept, X_val)
        pred = (
            (scores[:, 0] > 0).astype(int) if scores.shape[1] == 1 else scores.argmax(1)
        )
        return float(np.average(pred == y_val, weights=sw_val))

    return score
