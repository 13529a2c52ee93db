"""Data-parallel training on ``dask.distributed`` by iterative parameter mixing.

Needs the ``[dask]`` extra (``pip install sklearn_linsgd[dask]``). This is the
only module of the package that imports dask; importing :mod:`sklearn_linsgd`
never does.

:class:`ParallelSGD` trains a :class:`~sklearn_linsgd.LinearSVMSGD` or
:class:`~sklearn_linsgd.SoftmaxSGD` on data spread over the workers of a Dask
cluster. Each *round*, every partition (a block of rows) runs one local pass of
mini-batch SGD (one ``partial_fit`` of a copy of the current model, where the
partition lives), and the driver replaces the model by the average of the local
results, weighted by the partitions' numbers of rows (McDonald et al., 2010,
"Distributed training strategies for the structured perceptron": iterative
parameter mixing). Only the parameters travel; the data stay on the workers.

For a single sequential learner over Dask arrays, use the estimators unchanged
in ``dask_ml.wrappers.Incremental`` (and ``dask_ml.model_selection``'s
``IncrementalSearchCV`` / ``HyperbandSearchCV`` for hyper-parameter search).
"""

import copy
import math
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._base import PenaltyScaleWarning, row_scale, weight_scale

try:  # the [dask] extra
    import dask
    import dask.array as da
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "sklearn_linsgd.dask needs dask and distributed: "
        "pip install 'sklearn_linsgd[dask]' (or: pip install 'dask[array]' "
        "distributed)."
    ) from exc

__all__ = ["ParallelSGD"]


def _estimator_has(method):
    """A check for :func:`~sklearn.utils.metaestimators.available_if`: the
    wrapped estimator has ``method``; otherwise an AttributeError that says
    what to use instead (the cause of the one ``available_if`` raises)."""

    def check(self):
        if not hasattr(self.estimator, method):
            raise AttributeError(
                f"{type(self.estimator).__name__} has no {method}; use "
                "SoftmaxSGD, or calibrate the scores with CalibratedClassifierCV."
            )
        return True

    return check


class ParallelSGD(ClassifierMixin, BaseEstimator):
    """Data-parallel mini-batch SGD on a Dask cluster (iterative parameter mixing).

    Each round, every partition of the training data runs one local pass of
    mini-batch SGD from the current parameters (``partial_fit`` of a copy of
    the current model, on the worker that holds the partition); the driver then
    sets the parameters to the average of the partitions' results, weighted by
    their numbers of rows. One round costs one pass over the data, like one
    epoch of ``fit``.

    The optimizer state travels with the parameters, so the step-size schedule
    advances as if one model had made every update: in a round that starts at
    update ``t``, partition ``p`` starts its local pass at ``t`` plus the
    numbers of updates of the partitions before it (its updates are numbered as
    if the partitions were visited one after the other), and after the round
    ``t_`` is ``t`` plus the updates of all partitions. Epoch-based named
    schedules (``"step"``, ``"exponential"``, ``"cosine"``) count one round as
    one epoch, and ``learning_rate="adaptive"`` lowers the step size when the
    round's objective (the row-weighted mean of the partitions' pass
    objectives) stops improving, as ``fit`` does per epoch. Momentum
    buffers are averaged like the parameters; with ``average`` the averaged
    iterates of all partitions are pooled.

    Parameters
    ----------
    estimator : LinearSVMSGD or SoftmaxSGD
        The model to train. It is cloned: ``fit`` always starts from zero
        parameters, and the estimator passed in is left untouched.
    n_rounds : int, default=10
        Rounds of (local pass over every partition, then averaging).
    client : distributed.Client, default=None
        The cluster to run on. ``None`` starts a
        ``distributed.LocalCluster(**cluster_kwargs)`` for the call to ``fit``
        and closes it afterwards.
    n_partitions : int, default=None
        Partitions to split numpy input into (``None``: one per worker). Dask
        arrays keep their row chunks unless it is given, in which case they
        are rechunked into ``n_partitions`` blocks of rows.
    cluster_kwargs : dict, default=None
        Keyword arguments of the ``LocalCluster`` started when ``client`` is
        None, for example ``{"n_workers": 2, "threads_per_worker": 1}``.
    callback : callable, default=None
        Called as ``callback(round, estimator)`` after every round with the
        1-based round number and the current model (do not modify it). If it
        returns ``True``, training stops after that round.
    verbose : int, default=0
        ``>= 1`` prints one line per round (objective, updates, time).

    Attributes
    ----------
    estimator_ : LinearSVMSGD or SoftmaxSGD
        The trained model: an ordinary fitted estimator (``t_`` counts every
        update of every partition, ``n_iter_`` is the number of rounds,
        ``loss_curve_`` has one objective per round).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    n_partitions_ : int
        Number of (non-empty) partitions trained on.
    n_rounds_ : int
        Rounds run (fewer than ``n_rounds`` when the callback stopped).

    See Also
    --------
    sklearn_linsgd.streaming.fit_stream : Out-of-core training on one machine.

    Notes
    -----
    With one partition a round is exactly one ``partial_fit`` pass, so
    ``ParallelSGD`` reproduces ``partial_fit`` called ``n_rounds`` times
    (except that ``learning_rate="adaptive"`` monitors the round objective,
    which is comparable from round to round as every round sees all the data,
    where ``partial_fit`` monitors the progress made on each chunk). With
    several partitions the averaged model is close to (but not the same as) a
    single model trained for the same number of epochs; averaging lowers the
    variance of the SGD iterates, while each partition's steps see only its own
    rows.

    ``class_weight="balanced"`` is refused as by ``partial_fit``; pass the
    weights as a dict.

    Examples
    --------
    >>> from distributed import Client, LocalCluster
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_linsgd import SoftmaxSGD
    >>> from sklearn_linsgd.dask import ParallelSGD
    >>> X, y = make_classification(n_samples=2000, n_informative=5, n_classes=3,
    ...                            random_state=0)
    >>> with LocalCluster(n_workers=2, processes=False) as cluster, \\
    ...         Client(cluster) as client:  # doctest: +SKIP
    ...     model = ParallelSGD(SoftmaxSGD(random_state=0), n_rounds=5,
    ...                         client=client).fit(X, y)
    ...     model.score(X, y)
    0.7...
    """

    def __init__(
        self,
        estimator,
        *,
        n_rounds=10,
        client=None,
        n_partitions=None,
        cluster_kwargs=None,
        callback=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_rounds = n_rounds
        self.client = client
        self.n_partitions = n_partitions
        self.cluster_kwargs = cluster_kwargs
        self.callback = callback
        self.verbose = verbose

    # A distributed.Client is a connection: copies share it, pickles drop it.
    def __getstate__(self):
        state = super().__getstate__()
        if state.get("client") is not None:
            state = dict(state, client=None)
        return state

    def __deepcopy__(self, memo):
        if self.client is not None:
            memo[id(self.client)] = self.client
        twin = self.__class__.__new__(self.__class__)
        memo[id(self)] = twin
        for key, value in self.__dict__.items():
            setattr(twin, key, copy.deepcopy(value, memo))
        return twin

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        client = params.pop("client")
        params = {key: clone(value, safe=False) for key, value in params.items()}
        return type(self)(client=client, **params)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, classes=None):
        """Train by iterative parameter mixing over the partitions of ``(X, y)``.

        Parameters
        ----------
        X : {dask array, dask DataFrame, ndarray} of shape (n_samples, n_features)
            Training data. A dask array is split by its row chunks (one
            partition per chunk); numpy input into ``n_partitions`` blocks.
        y : {dask array, dask Series, ndarray} of shape (n_samples,)
            Target labels, with the same rows.
        classes : array-like of shape (n_classes,), default=None
            Every label; computed from ``y`` when not given.

        Returns
        -------
        self : object
            Fitted model.
        """
        self._check_params()
        if self.client is not None:
            return self._fit(self.client, X, y, classes)
        from distributed import Client

        kwargs = {"dashboard_address": ":0"}
        kwargs.update(self.cluster_kwargs or {})
        with _start_local_cluster(kwargs) as cluster, Client(cluster) as client:
            return self._fit(client, X, y, classes)

    def _check_params(self):
        if not hasattr(self.estimator, "partial_fit"):
            raise TypeError(
                f"estimator must have partial_fit (LinearSVMSGD or SoftmaxSGD), "
                f"got {type(self.estimator).__name__}."
            )
        for name in ("n_rounds", "n_partitions"):
            value = getattr(self, name)
            if name == "n_partitions" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name} must be an int >= 1, got {value!r}.")
            if value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}.")

    def _fit(self, client, X, y, classes):
        X, y = _as_dask_or_numpy(X), _as_dask_or_numpy(y)
        parts, sizes, first_row = self._distribute(client, X, y)
        try:
            return self._train(client, parts, sizes, first_row, y, classes)
        finally:
            for future in (f for pair in parts for f in pair):
                future.release()  # not cancel: identical data may share keys

    def _train(self, client, parts, sizes, first_row, y, classes):
        if classes is None:
            if _is_dask(y):
                classes = client.compute(da.unique(y)).result()
            else:
                classes = np.unique(y)
        classes = np.asarray(classes)

        # A fitted copy at zero parameters: classes_, n_features_in_ and the
        # input checks come from one partial_fit on the first row; then the
        # optimizer state is reset to zeros (the first call's state).
        est = clone(self.estimator)
        X0, y0 = first_row
        verbose = est.verbose
        with warnings.catch_warnings():  # one row: its scale says nothing
            warnings.simplefilter("ignore", PenaltyScaleWarning)
            est.set_params(verbose=0).partial_fit(X0, y0, classes=classes)
        est.set_params(verbose=verbose)
        row_size = size = None
        if est._auto():
            # "auto" steps by the rows' RMS norm, over all the partitions,
            # and by the weights' size, from the first partition (as
            # partial_fit takes it from its first chunk)
            sq, n = zip(*client.gather([client.submit(_sq_rows, p[0]) for p in parts]))
            row_size = math.sqrt(sum(sq) / sum(n)) if sum(sq) > 0 else 1.0
            size = client.submit(
                _part_weight_scale,
                *parts[0],
                est.classes_,
                est.coef_.shape[0],
                row_size,
                est._effective_alpha(),
            ).result()
        batches = [_n_batches(n, est.batch_size) for n in sizes]
        local_params, plateau = est._parallel_start(sum(batches), row_size, size)
        n_total = float(sum(sizes))
        weights = [n / n_total for n in sizes]
        self.estimator_ = est
        self.classes_ = est.classes_
        self.n_features_in_ = est.n_features_in_
        self.n_partitions_ = len(parts)
        self.n_rounds_ = 0
        start = time.time()
        for n_round in range(1, self.n_rounds + 1):
            local = copy.deepcopy(est).set_params(**local_params)
            t, seen = est._parallel_counters()
            t_starts = t + np.concatenate([[0], np.cumsum(batches)[:-1]])
            seen_starts = seen + np.concatenate([[0], np.cumsum(sizes)[:-1]])
            futures = [
                client.submit(
                    _local_pass,
                    local,
                    Xp,
                    yp,
                    classes,
                    int(t0),
                    int(s0),
                    pure=False,
                )
                for (Xp, yp), t0, s0 in zip(parts, t_starts, seen_starts)
            ]
            results = client.gather(futures)
            objective = _round_objective(results, weights)
            est._parallel_mix(results, weights, objective, plateau)
            est.loss_curve_.append(objective)
            est.n_iter_ = n_round
            self.n_rounds_ = n_round
            if self.verbose:
                elapsed = time.time() - start
                print(
                    f"-- Round {n_round}/{self.n_rounds}, objective: {objective:.6g}, "
                    f"partitions: {len(parts)}, updates: {est.t_}, "
                    f"elapsed: {elapsed:.2f} s, "
                    f"{n_total * n_round / max(elapsed, 1e-9):.0f} rows/s",
                    flush=True,
                )
            if self.callback is not None and self.callback(n_round, est) is True:
                break
        return self

    def _distribute(self, client, X, y):
        """Put the partitions on the workers: ``[(X_future, y_future)], sizes``."""
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got an array of shape {X.shape}.")
        if _is_dask(X) or _is_dask(y):
            X = X if _is_dask(X) else da.from_array(X)
            if any(math.isnan(c) for c in X.chunks[0]):
                X = X.compute_chunk_sizes()
            if self.n_partitions is not None:
                n_rows = X.shape[0]
                step = max(1, math.ceil(n_rows / self.n_partitions))
                X = X.rechunk({0: step})
            X = X.rechunk({1: -1})
            y = y if _is_dask(y) else da.from_array(np.asarray(y))
            if y.shape[0] != X.shape[0]:
                raise ValueError(
                    f"X and y have different numbers of rows: {X.shape[0]} and "
                    f"{y.shape[0]}."
                )
            y = y.rechunk({0: X.chunks[0]})
            sizes = [int(c) for c in X.chunks[0]]
            X_blocks = X.to_delayed().ravel().tolist()
            y_blocks = y.to_delayed().ravel().tolist()
            keep = [i for i, n in enumerate(sizes) if n > 0]
            futures = client.compute(
                [X_blocks[i] for i in keep] + [y_blocks[i] for i in keep]
            )
            parts = list(zip(futures[: len(keep)], futures[len(keep) :]))
            sizes = [sizes[i] for i in keep]
            X0, y0 = client.compute([X[:1], y[:1]], sync=True)
            first_row = (np.asarray(X0), np.asarray(y0))
            return parts, sizes, first_row
        X, y = np.asarray(X), np.asarray(y)
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y have different numbers of rows: {X.shape[0]} and "
                f"{y.shape[0]}."
            )
        n = self.n_partitions
        if n is None:
            n = max(1, len(client.nthreads()))
        n = min(n, X.shape[0])
        bounds = np.linspace(0, X.shape[0], n + 1).astype(int)
        X_parts = [X[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        y_parts = [y[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        futures = client.scatter(X_parts + y_parts, hash=False)
        parts = list(zip(futures[:n], futures[n:]))
        sizes = [len(p) for p in y_parts]
        return parts, sizes, (X[:1], y[:1])

    # ----------------------------------------------------------- prediction
    def _delegate(self, method, X, **kwargs):
        check_is_fitted(self)
        func = getattr(self.estimator_, method)
        X = _as_dask_or_numpy(X)
        if not _is_dask(X):
            return func(X, **kwargs)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got an array of shape {X.shape}.")
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        sample = func(np.zeros((1, X.shape[1]), dtype=X.dtype))
        if sample.ndim == 1:
            return X.map_blocks(func, dtype=sample.dtype, drop_axis=1)
        return X.map_blocks(
            func, dtype=sample.dtype, chunks=(X.chunks[0], (sample.shape[1],))
        )

    def predict(self, X):
        """Predict class labels (blockwise on dask arrays).

        Parameters
        ----------
        X : {ndarray, sparse matrix, dask array} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray or dask array of shape (n_samples,)
            A dask array (computed lazily, block by block) for a dask input.
        """
        return self._delegate("predict", X)

    def decision_function(self, X):
        """Signed class scores (blockwise on dask arrays).

        Parameters
        ----------
        X : {ndarray, sparse matrix, dask array} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray or dask array of shape (n_samples,) or \
(n_samples, n_classes)
            As the estimator's ``decision_function``; a dask array for a dask
            input.
        """
        return self._delegate("decision_function", X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities, when the estimator has them (blockwise on dask).

        Only for estimators with ``predict_proba`` (``SoftmaxSGD``): with
        another, ``hasattr(model, "predict_proba")`` is False, as for
        scikit-learn's meta-estimators.

        Parameters
        ----------
        X : {ndarray, sparse matrix, dask array} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray or dask array of shape (n_samples, n_classes)
        """
        return self._delegate("predict_proba", X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Logarithm of the class probabilities (blockwise on dask arrays).

        Only for estimators with ``predict_log_proba`` (``SoftmaxSGD``), as
        :meth:`predict_proba`.

        Parameters
        ----------
        X : {ndarray, sparse matrix, dask array} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray or dask array of shape (n_samples, n_classes)
        """
        return self._delegate("predict_log_proba", X)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``(X, y)``; computed blockwise for dask input.

        Parameters
        ----------
        X : {ndarray, sparse matrix, dask array} of shape (n_samples, n_features)
        y : {ndarray, dask array} of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            Accuracy (weighted by ``sample_weight`` when given).
        """
        X, y = _as_dask_or_numpy(X), _as_dask_or_numpy(y)
        if not (_is_dask(X) or _is_dask(y)):
            return super().score(X, y, sample_weight=sample_weight)
        pred = self.predict(X if _is_dask(X) else da.from_array(X))
        correct = pred == (y if _is_dask(y) else np.asarray(y))
        if sample_weight is None:
            return float(correct.mean().compute())
        return float(da.average(correct, weights=sample_weight).compute())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


_MAIN_GUARD_HINT = (
    "ParallelSGD(client=None) starts a distributed.LocalCluster, whose worker "
    "processes are started by multiprocessing's 'spawn' method (distributed's "
    "default): each one re-imports the main script, and so runs its top-level "
    "code again. "
    'Start the script\'s work under `if __name__ == "__main__":`, or pass '
    "client= (a distributed.Client connected to a cluster you started)."
)


def _start_local_cluster(kwargs):
    """``distributed.LocalCluster(**kwargs)``, with guidance on a missing main guard.

    Without ``if __name__ == "__main__":`` in a script, every spawned worker
    process re-imports the script, calls ``fit`` again and fails to start its
    own cluster; the script then dies with "Nanny failed to start" and pages
    of tracebacks from both processes. In such a worker this raises at once
    (before distributed logs its own tracebacks), and in the script the
    start-up failure is replaced by one RuntimeError that says what to do.
    """
    from distributed import LocalCluster

    if _importing_main_in_child():
        raise RuntimeError(
            "ParallelSGD.fit was called while a worker process re-imported the "
            "main script. " + _MAIN_GUARD_HINT
        )
    try:
        return LocalCluster(**kwargs)
    except Exception as exc:
        message = _main_guard_message(exc, kwargs)
        if message is None:
            raise
        raise RuntimeError(message) from None


def _importing_main_in_child():
    """Whether this is a spawned process still importing the parent's script.

    The same condition as multiprocessing's own ``_check_not_importing_main``.
    """
    import multiprocessing

    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


# Messages in a LocalCluster start-up failure caused by a missing main guard:
# in the script ("Nanny failed to start [worker process]"), in a worker that
# re-imported it (multiprocessing's "bootstrapping phase" / freeze_support).
_START_FAILURES = ("failed to start", "bootstrapping phase", "freeze_support")


def _main_guard_message(exc, kwargs):
    """The guidance for ``exc`` raised by ``LocalCluster(**kwargs)``, or None.

    None unless the cluster starts worker processes with a method that
    re-imports the main module ("spawn" or "forkserver", not "fork"), the main
    module is a script file, and the error (or one it was raised from) is a
    start-up failure.
    """
    import sys

    if not kwargs.get("processes", True):
        return None
    method = dask.config.get("distributed.worker.multiprocessing-method", "spawn")
    if method == "fork":
        return None
    if getattr(sys.modules.get("__main__"), "__file__", None) is None:
        return None  # an interactive session: nothing is re-imported
    seen = set()
    error = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        text = str(error)
        if any(marker in text for marker in _START_FAILURES):
            first = text.strip().splitlines()[0] if text.strip() else ""
            return (
                f"The LocalCluster failed to start ({type(exc).__name__}: "
                f"{str(exc).strip() or first}). This usually means the script "
                "has no main guard. " + _MAIN_GUARD_HINT
            )
        error = error.__cause__ or error.__context__
    return None


def _n_batches(n_rows, batch_size):
    """Updates made by one ``partial_fit`` pass over ``n_rows`` rows."""
    if batch_size == "full" or n_rows <= batch_size:
        return 1
    return math.ceil(n_rows / batch_size)


def _sq_rows(X):
    """``(sum of squared row norms, rows)`` of one partition, from the same
    estimate as ``partial_fit``'s (:func:`~sklearn_linsgd._base.row_scale`)."""
    n = X.shape[0]
    return row_scale(X, np.ones(n)) ** 2 * n, n


def _part_weight_scale(X, y, classes, n_rows, scale, alpha):
    """:func:`~sklearn_linsgd._base.weight_scale` of one partition."""
    y_ind = np.searchsorted(classes, np.asarray(y))
    return weight_scale(X, y_ind, np.ones(X.shape[0]), n_rows, scale, alpha=alpha)


def _local_pass(est, X, y, classes, t_start, seen_start):
    """One ``partial_fit`` pass of a copy of ``est`` from update ``t_start``.

    Runs on a worker. ``est`` is copied first: with threaded workers the same
    object may reach several tasks.
    """
    est = copy.deepcopy(est)
    if isinstance(X, np.ndarray) and not X.flags.aligned:
        # distributed may deserialize an array in place at an odd address of a
        # message buffer; np.take (the batch gathering) is thousands of times
        # slower on such unaligned data. An aligned copy costs one memcpy.
        X = np.array(X, copy=True, order="C")
    return est._parallel_pass(X, y, classes, t_start, seen_start)


def _round_objective(results, weights):
    """The partitions' objectives averaged with ``weights`` (non-finite ones
    left out; NaN when none is finite)."""
    objectives = np.array([r["objective"] for r in results])
    ok = np.isfinite(objectives)
    if not ok.any():
        return float("nan")
    w = np.asarray(weights)[ok]
    return float(np.sum(w * objectives[ok]) / np.sum(w))


def _is_dask(a):
    return dask.is_dask_collection(a)


def _as_dask_or_numpy(a):
    """Dask DataFrame / Series -> dask array (with known chunk sizes)."""
    if _is_dask(a) and hasattr(a, "to_dask_array"):
        return a.to_dask_array(lengths=True)
    return a
