"""The demo behind ``python -m sklearn_linsgd``.

On one dataset it walks through the CS231n optimization notes:

1. split the data into train / validation / test sets;
2. tune ``eta0`` and ``alpha`` of :class:`~sklearn_linsgd.LinearSVMSGD` and
   :class:`~sklearn_linsgd.SoftmaxSGD`, each in a ``Pipeline`` with a
   ``StandardScaler``, on the validation split (``GridSearchCV`` with a
   ``PredefinedSplit``);
3. score the chosen models on the test set next to ``SGDClassifier``,
   ``LogisticRegression`` and the notes' strategies 1 and 2 (random search and
   random local search, :mod:`sklearn_linsgd.baselines`);
4. print the schedule comparison and the notes' step-size table
   (:func:`sklearn_linsgd.landscape.step_size_sweep`), and save PNG files: the
   loss curves, the schedule comparison, the loss landscape
   (:class:`sklearn_linsgd.landscape.LossLandscapeDisplay`), the step-size
   sweep and the test accuracies.

Run ``python -m sklearn_linsgd --help`` for the options.
"""

import argparse
import os
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV, PredefinedSplit, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from . import schedules
from ._base import _bind_schedule
from ._classes import LinearSVMSGD, SoftmaxSGD

DATASETS = ("digits", "synthetic")

#: The grids searched on the validation split, full run and ``--quick`` run.
#: Under the default ``learning_rate="auto"``, ``eta0`` is the step in units
#: of the size the data's weights need (default 1.5).
GRIDS = {
    False: {"eta0": [0.2, 0.5, 1.5, 4.5], "alpha": [1e-5, 1e-4, 1e-3, 1e-2]},
    True: {"eta0": [0.5, 1.5, 4.5], "alpha": [1e-4, 1e-3, 1e-2]},
}

#: The step sizes of the sweep (the notes' table of one gradient step each).
SWEEP_STEPS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)


def build_parser():
    """Return the command-line parser of the demo.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser of ``python -m sklearn_linsgd``.

    Examples
    --------
    >>> from sklearn_linsgd._demo import build_parser
    >>> args = build_parser().parse_args(["--quick", "--out", "plots"])
    >>> args.quick, args.out, args.dataset, args.random_state
    (True, 'plots', 'digits', 0)
    """
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_linsgd",
        description=(
            "Tune LinearSVMSGD and SoftmaxSGD on a validation split, compare "
            "them with scikit-learn and the random-search baselines on a test "
            "split, and save the loss curves, a schedule comparison and the "
            "loss landscape as PNG files."
        ),
    )
    parser.add_argument(
        "--dataset",
        choices=DATASETS,
        default="digits",
        help="digits: scikit-learn's 8x8 digits (1797 samples, 10 classes); "
        "synthetic: make_classification, 20000 samples, 100 features, 5 classes "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller grids, fewer epochs (and a smaller synthetic set): "
        "well under a minute",
    )
    parser.add_argument(
        "--out",
        default="demo_output",
        metavar="DIR",
        help="folder for the PNG files and summary.txt, created if needed and "
        "checked to be writable before any training (default: %(default)s)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed of the split, the data and every estimator (default: %(default)s)",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="skip the PNG files (no matplotlib)"
    )
    return parser


def load_dataset(name, *, quick=False, random_state=0):
    """Load one of the demo's datasets.

    Parameters
    ----------
    name : {"digits", "synthetic"}
        ``"digits"``: :func:`sklearn.datasets.load_digits` (1797 samples, 64
        features, 10 classes). ``"synthetic"``:
        :func:`sklearn.datasets.make_classification` with 20000 samples (3000
        with ``quick``), 100 features and 5 classes.
    quick : bool, default=False
        Use a smaller synthetic set.
    random_state : int, default=0
        Seed of the synthetic set.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The features.
    y : ndarray of shape (n_samples,)
        The labels.

    Examples
    --------
    >>> from sklearn_linsgd._demo import load_dataset
    >>> X, y = load_dataset("digits")
    >>> X.shape, len(set(y))
    ((1797, 64), 10)
    """
    if name == "digits":
        from sklearn.datasets import load_digits

        return load_digits(return_X_y=True)
    if name == "synthetic":
        from sklearn.datasets import make_classification

        return make_classification(
            n_samples=3000 if quick else 20000,
            n_features=100,
            n_informative=30,
            n_redundant=10,
            n_classes=5,
            n_clusters_per_class=1,
            class_sep=1.5,
            flip_y=0.02,
            random_state=random_state,
        )
    raise ValueError(f"Unknown dataset {name!r}; expected one of {DATASETS}.")


def split_data(X, y, *, val_size=0.2, test_size=0.2, random_state=0):
    """Split into stratified train, validation and test sets.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The features.
    y : array-like of shape (n_samples,)
        The labels.
    val_size, test_size : float, default=0.2
        Fractions of all samples in the validation and the test set.
    random_state : int, default=0
        Seed of the shuffles.

    Returns
    -------
    X_train, X_val, X_test, y_train, y_val, y_test : ndarray
        The three sets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linsgd._demo import split_data
    >>> X, y = np.arange(200.0).reshape(100, 2), np.arange(100) % 2
    >>> [len(part) for part in split_data(X, y)[:3]]
    [60, 20, 20]
    """
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest,
        y_rest,
        test_size=val_size / (1.0 - test_size),
        stratify=y_rest,
        random_state=random_state,
    )
    return X_train, X_val, X_test, y_train, y_val, y_test


def validation_search(estimator, param_grid, X_train, y_train, X_val, y_val):
    """Grid search on a fixed validation split, then refit on train + validation.

    ``GridSearchCV`` with a :class:`~sklearn.model_selection.PredefinedSplit`:
    every candidate is trained on the training set and scored on the
    validation set, the notes' recipe ("train set: gradient descent; validation
    set: hyper-parameters"). The best candidate is then refitted on both sets.
    A candidate whose fit fails (a diverging step size raises
    :class:`~sklearn_linsgd.DivergenceError`) scores NaN and is never chosen.

    Parameters
    ----------
    estimator : estimator
        The estimator or pipeline to tune.
    param_grid : dict
        The grid, as for ``GridSearchCV`` (``{}``: a single candidate).
    X_train, y_train : array-like
        The training set.
    X_val, y_val : array-like
        The validation set.

    Returns
    -------
    search : GridSearchCV
        The fitted search (``best_params_``, ``best_score_`` is the validation
        accuracy of the chosen candidate, ``best_estimator_``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_linsgd import SoftmaxSGD
    >>> from sklearn_linsgd._demo import split_data, validation_search
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_val, X_test, y_train, y_val, y_test = split_data(X, y)
    >>> search = validation_search(
    ...     SoftmaxSGD(max_iter=50, tol=None, random_state=0),
    ...     {"alpha": [1e-4, 1e-2]}, X_train, y_train, X_val, y_val)
    >>> len(search.cv_results_["params"]), search.best_params_["alpha"] in (1e-4, 1e-2)
    (2, True)
    """
    X = np.concatenate([np.asarray(X_train), np.asarray(X_val)])
    y = np.concatenate([np.asarray(y_train), np.asarray(y_val)])
    test_fold = np.r_[np.full(len(y_train), -1), np.zeros(len(y_val), dtype=int)]
    search = GridSearchCV(
        estimator, param_grid, cv=PredefinedSplit(test_fold), error_score=np.nan
    )
    with warnings.catch_warnings():
        # Short runs in a grid stop at max_iter; a diverging step size fails.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.filterwarnings("ignore", message=".*test scores are non-finite")
        search.fit(X, y)
    return search


def format_table(headers, rows):
    """Format rows as a plain-text table with aligned columns.

    Parameters
    ----------
    headers : list of str
        The column titles.
    rows : list of list
        The cells; floats are written with 3 decimals, NaN as ``-``.

    Returns
    -------
    table : str
        The table, one line per row after a title line and a rule.

    Examples
    --------
    >>> from sklearn_linsgd._demo import format_table
    >>> print(format_table(["model", "acc"], [["a", 0.5], ["bb", float("nan")]]))
    model  acc
    -----  -----
    a      0.500
    bb     -
    """

    def cell(value):
        if isinstance(value, float):
            return "-" if np.isnan(value) else f"{value:.3f}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [headers, ["-" * w for w in widths], *cells]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in lines
    )


def _pyplot():
    """Return ``matplotlib.pyplot`` with the Agg backend, or None if missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _baselines(random_state, quick):
    """The seed's strategies 1 and 2 as ``(name, strategy, estimator, grid)``."""
    from .baselines import RandomLocalSearchClassifier, RandomSearchClassifier

    n_iter = 300 if quick else 1000
    steps = [0.01, 0.1] if quick else [0.001, 0.01, 0.1]
    return [
        (
            "RandomSearchClassifier",
            "1: random search",
            RandomSearchClassifier(n_iter=n_iter, random_state=random_state),
            {},
        ),
        (
            "RandomLocalSearchClassifier",
            "2: random local search",
            RandomLocalSearchClassifier(n_iter=n_iter, random_state=random_state),
            {"clf__step_size": steps},
        ),
    ]


def _models(*, random_state, quick, n_train):
    """The demo's candidates: ``(name, strategy, estimator, param_grid)``."""
    grid = GRIDS[quick]
    max_iter = 30 if quick else 200

    def pipe(est):
        return Pipeline([("scale", StandardScaler()), ("clf", est)])

    ours = {"clf__eta0": grid["eta0"], "clf__alpha": grid["alpha"]}
    models = [
        (
            "LinearSVMSGD",
            "3: gradient (SGD)",
            pipe(LinearSVMSGD(max_iter=max_iter, random_state=random_state)),
            ours,
        ),
        (
            "SoftmaxSGD",
            "3: gradient (SGD)",
            pipe(SoftmaxSGD(max_iter=max_iter, random_state=random_state)),
            ours,
        ),
        (
            "SGDClassifier(hinge)",
            "scikit-learn SGD",
            pipe(SGDClassifier(loss="hinge", random_state=random_state)),
            {"clf__alpha": grid["alpha"]},
        ),
        (
            "LogisticRegression",
            "scikit-learn L-BFGS",
            pipe(LogisticRegression(max_iter=1000)),
            # C = 1 / (alpha * n_samples): the same penalties as ``alpha``.
            {"clf__C": [1.0 / (a * n_train) for a in grid["alpha"]]},
        ),
    ]
    for name, strategy, est, est_grid in _baselines(random_state, quick):
        models.append((name, strategy, pipe(est), est_grid))
    return models


def _short(params):
    """``{"clf__eta0": 0.1}`` -> ``"eta0=0.1"``."""
    return ", ".join(f"{k.split('__')[-1]}={v:.3g}" for k, v in params.items()) or "-"


class _Progress:
    """Print progress lines with the elapsed time."""

    def __init__(self, stream):
        self.stream = stream
        self.start = time.perf_counter()

    def __call__(self, message):
        elapsed = time.perf_counter() - self.start
        print(f"[{elapsed:6.1f}s] {message}", file=self.stream, flush=True)


def main(argv=None, *, stream=None):
    """Run the demo; the entry point of ``python -m sklearn_linsgd``.

    Parameters
    ----------
    argv : list of str or None, default=None
        The command-line arguments (None: ``sys.argv[1:]``).
    stream : file-like or None, default=None
        Where the progress and the summary go (None: ``sys.stdout``).

    Returns
    -------
    status : int
        0 on success. Before any training, an ``--out`` folder that cannot be
        created or written (unless no figures will be drawn) exits with status
        2 and a one-line message (``SystemExit``), as bad arguments do.

    Examples
    --------
    >>> from sklearn_linsgd._demo import main
    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.no_plots and _pyplot() is not None:
        # Find an unwritable --out now, not after all the training.
        problem = _out_dir_problem(args.out)
        if problem is not None:
            parser.exit(
                2,
                f"{parser.prog}: error: cannot write to --out {args.out}: {problem}\n",
            )
    stream = sys.stdout if stream is None else stream
    # The demo's matrices are small: BLAS threads cost more than they save,
    # and much more on a busy machine. The results do not change.
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(args, stream)


def _out_dir_problem(out):
    """Create ``out`` and write and remove a probe file in it.

    Returns None if that works, else the reason it does not, as a short string.
    """
    if os.path.exists(out) and not os.path.isdir(out):
        return "it exists and is not a directory"
    try:
        os.makedirs(out, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out)
        try:
            os.write(fd, b"probe")
        finally:
            os.close(fd)
            os.remove(probe)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _run(args, stream):
    """The body of :func:`main`, with parsed arguments."""
    say = _Progress(stream)
    rs = args.random_state

    say(f"loading the {args.dataset} dataset" + (" (quick run)" if args.quick else ""))
    X, y = load_dataset(args.dataset, quick=args.quick, random_state=rs)
    X_train, X_val, X_test, y_train, y_val, y_test = split_data(X, y, random_state=rs)
    say(
        f"{X.shape[0]} samples, {X.shape[1]} features, {len(np.unique(y))} classes: "
        f"train {len(y_train)} / validation {len(y_val)} / test {len(y_test)}"
    )

    rows, searches = [], {}
    models = _models(random_state=rs, quick=args.quick, n_train=len(y_train))
    for i, (name, strategy, est, grid) in enumerate(models, 1):
        n_cand = int(np.prod([len(v) for v in grid.values()])) if grid else 1
        say(
            f"[{i}/{len(models)}] {name}: {n_cand} candidate(s) on the validation split"
        )
        tic = time.perf_counter()
        search = validation_search(est, grid, X_train, y_train, X_val, y_val)
        seconds = time.perf_counter() - tic
        failed = int(np.sum(~np.isfinite(search.cv_results_["mean_test_score"])))
        if failed:
            say(f"      {failed} candidate(s) failed (a step size too large diverges)")
        test_acc = search.score(X_test, y_test)
        say(
            f"      chose {_short(search.best_params_)}: validation "
            f"{search.best_score_:.3f}, test {test_acc:.3f} ({seconds:.1f}s)"
        )
        searches[name] = search
        rows.append(
            [
                name,
                strategy,
                _short(search.best_params_),
                float(search.best_score_),
                float(test_acc),
                f"{seconds:.1f}",
            ]
        )

    figures = []
    if args.no_plots:
        say("--no-plots: skipping the figures")
    else:
        plt = _pyplot()
        if plt is None:
            say(
                "matplotlib is not installed: skipping the figures "
                "(pip install 'sklearn_linsgd[plot]')"
            )
        else:
            os.makedirs(args.out, exist_ok=True)
            figures = _figures(
                plt, args, searches, rows, X_train, y_train, X_val, y_val, say
            )

    headers = ["model", "strategy", "chosen", "val acc", "test acc", "time (s)"]
    table = format_table(headers, rows)
    title = f"Summary ({args.dataset}, {len(y_test)} test samples)"
    print(f"\n{title}\n{table}", file=stream, flush=True)
    if figures:
        with open(os.path.join(args.out, "summary.txt"), "w", encoding="utf-8") as f:
            f.write(f"{title}\n{table}\n")
        print(f"\nFigures in {os.path.abspath(args.out)}:", file=stream)
        for path in figures:
            print(f"  {os.path.basename(path)}", file=stream)
    stream.flush()
    return 0


# ----------------------------------------------------------------- figures
def _figures(plt, args, searches, rows, X_train, y_train, X_val, y_val, say):
    """Draw and save every figure; return the paths written."""
    out, paths = args.out, []

    def save(fig, name):
        path = os.path.join(out, name)
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
        say(f"      wrote {path}")

    say("figures: loss curves of the chosen models")
    save(_plot_loss_curves(plt, searches), "loss_curves.png")

    svm_pipe = searches["LinearSVMSGD"].best_estimator_
    soft_pipe = searches["SoftmaxSGD"].best_estimator_
    scaler = StandardScaler().fit(X_train)
    Xs_train, Xs_val = scaler.transform(X_train), scaler.transform(X_val)

    say("figures: schedule comparison (SoftmaxSGD, fixed number of epochs)")
    fig, table = _plot_schedules(
        plt, soft_pipe[-1], Xs_train, y_train, Xs_val, y_val, args
    )
    say("      schedule comparison:\n" + _indent(table))
    save(fig, "schedules.png")

    say("figures: the loss landscape around the chosen weights")
    save(
        _plot_landscape(plt, svm_pipe[-1], soft_pipe[-1], Xs_train, y_train, args),
        "landscape.png",
    )

    say("figures: step-size sweep (one full-batch gradient step from small W)")
    fig, table = _plot_step_sweep(
        plt, svm_pipe[-1], Xs_train, y_train, args.random_state
    )
    say("      objective after one step:\n" + _indent(table))
    save(fig, "step_sizes.png")

    save(_plot_accuracies(plt, rows), "accuracy.png")
    return paths


def _indent(text, prefix="        "):
    return "\n".join(prefix + line for line in text.splitlines())


def _plot_loss_curves(plt, searches):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, name in zip(axes, ("LinearSVMSGD", "SoftmaxSGD")):
        est = searches[name].best_estimator_[-1]
        curve = np.asarray(est.loss_curve_)
        ax.plot(np.arange(1, len(curve) + 1), curve, marker=".")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training objective J(W, b)")
        ax.set_title(f"{name} ({_short(searches[name].best_params_)})")
        ax.grid(alpha=0.3)
    fig.suptitle("Loss curves of the chosen models (refit on train + validation)")
    return fig


def _schedule_zoo(n_epochs, steps_per_epoch):
    """The schedules of the comparison, as ``{label: schedule}``; each takes
    the estimator's ``eta0`` (their own is left at None)."""
    spe, warm = steps_per_epoch, max(1, n_epochs // 10)
    return {
        "constant": schedules.Constant(),
        "invscaling": schedules.InverseScaling(power_t=0.5),
        "step (x0.5 / 5 epochs)": schedules.StepDecay(
            factor=0.5, step_size=5, steps_per_epoch=spe
        ),
        "exponential (x0.9 / epoch)": schedules.ExponentialDecay(
            decay_rate=0.9, decay_steps=1, steps_per_epoch=spe
        ),
        "cosine": schedules.CosineDecay(decay_steps=n_epochs, steps_per_epoch=spe),
        "warm-up + cosine": schedules.Join(
            [
                schedules.LinearWarmup(warmup_steps=warm, steps_per_epoch=spe),
                schedules.CosineDecay(decay_steps=n_epochs - warm, steps_per_epoch=spe),
            ],
            boundaries=[warm * spe],
        ),
        "adaptive (plateau)": "adaptive",
    }


def _plot_schedules(plt, chosen, X, y, X_val, y_val, args):
    n_epochs = 15 if args.quick else 40
    batch_size = chosen.batch_size
    spe = int(np.ceil(len(y) / batch_size))
    eta0 = max(float(chosen.eta0), 0.01)
    zoo = _schedule_zoo(n_epochs, spe)
    fig, (ax_step, ax_loss) = plt.subplots(
        1, 2, figsize=(11, 4), constrained_layout=True
    )
    t = np.arange(n_epochs * spe)
    rows = []
    for label, sched in zoo.items():
        est = clone(chosen).set_params(
            learning_rate=sched, eta0=eta0, max_iter=n_epochs, tol=None
        )
        est.fit(X, y)
        curve = np.asarray(est.loss_curve_)
        # "adaptive" keeps eta0 until the objective stalls, so its curve lies
        # on "constant"'s: drawn last (the zoo's order), dashed, with markers.
        style = {} if callable(sched) else {"ls": "--", "marker": ".", "zorder": 3}
        (line,) = ax_loss.plot(
            np.arange(1, len(curve) + 1), curve, label=label, **style
        )
        if callable(sched):
            steps = _bind_schedule(sched, eta0, est.power_t)(t)
            ax_step.plot(t / spe, steps, color=line.get_color(), label=label)
        rows.append([label, float(curve[-1]), float(est.score(X_val, y_val))])
    ax_step.set_xlabel("epoch")
    ax_step.set_ylabel("step size")
    ax_step.set_title(
        f"Step size per update (eta0 = {eta0:g})\n"
        "adaptive: not drawn, it depends on the run",
        fontsize="medium",
    )
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training objective")
    ax_loss.set_yscale("log")
    ax_loss.set_title(f"SoftmaxSGD, alpha = {chosen.alpha:g}, {n_epochs} epochs")
    # One legend for both panels (same colour per schedule), beside them.
    fig.legend(
        *ax_loss.get_legend_handles_labels(),
        loc="outside right center",
        fontsize="small",
        title="schedule",
    )
    for ax in (ax_step, ax_loss):
        ax.grid(alpha=0.3)
    table = format_table(["schedule", "final objective", "val acc"], rows)
    return fig, table


def _plot_landscape(plt, svm, softmax, X, y, args):
    """The notes' toy example, 1-D slices of both objectives, a 2-D slice."""
    from .landscape import LossLandscapeDisplay

    n = min(len(y), 500)  # a subsample keeps the 2-D grid cheap
    Xs, ys, rs = X[:n], y[:n], args.random_state
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    LossLandscapeDisplay.from_three_points(ax=axes[0, 0])
    axes[0, 0].set_title("Three 1-D points: hinge loss along one weight")
    LossLandscapeDisplay.from_estimator(svm, Xs, ys, random_state=rs, ax=axes[0, 1])
    axes[0, 1].set_title("LinearSVMSGD: J(W + a D)")
    LossLandscapeDisplay.from_estimator(softmax, Xs, ys, random_state=rs, ax=axes[1, 0])
    axes[1, 0].set_title("SoftmaxSGD: J(W + a D)")
    LossLandscapeDisplay.from_estimator(
        svm, Xs, ys, kind="2d", random_state=rs, ax=axes[1, 1]
    )
    axes[1, 1].set_title("LinearSVMSGD: J(W + a D1 + b D2)")
    fig.suptitle("The loss as a landscape, around the chosen weights")
    return fig


def _plot_step_sweep(plt, chosen, X, y, random_state):
    """The notes' table: one gradient step of each size from small random W."""
    from .landscape import step_size_sweep

    sweep = step_size_sweep(
        clone(chosen), X, y, step_sizes=SWEEP_STEPS, random_state=random_state
    )
    fig, ax = plt.subplots(figsize=(6.5, 4.5), constrained_layout=True)
    sweep.plot(ax=ax)
    ax.set_title(
        f"{type(chosen).__name__}, alpha = {chosen.alpha:g}: objective after ONE\n"
        "full-batch gradient step from small random weights (W ~ 0.001 N(0, 1))",
        fontsize="medium",
    )
    return fig, sweep.to_string()


def _plot_accuracies(plt, rows):
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2), constrained_layout=True)
    names = [r[0] for r in rows][::-1]
    acc = [r[4] for r in rows][::-1]
    bars = ax.barh(names, acc, color="tab:blue")
    ax.bar_label(bars, fmt="%.3f", padding=3)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("test accuracy")
    ax.set_title("The strategies side by side")
    return fig
