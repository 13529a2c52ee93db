"""
=====================================================
The optimization notes, retold on the digits data set
=====================================================

The course notes that started this project (CS231n, *Optimization: Stochastic
Gradient Descent*) teach optimization with a handful of small experiments on
CIFAR-10. This example replays each of them on scikit-learn's digits
(8x8 images, 10 classes) with the tools of :mod:`sklearn_linsgd`:

1. three strategies to find the weights ``W``: random search, random local
   search, and following the gradient;
2. checking the analytic gradient against the numerical one;
3. the step-size table: one gradient step of many sizes from the same start;
4. the loss landscape: a 1-D slice of the SVM objective, a 2-D slice (the
   bowl) and the notes' toy example of three 1-D points;
5. full-batch gradient descent vs mini-batch vs stochastic gradient descent.
"""

# %%
# The data
# --------
# Standardized features, a stratified train/test split.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD, gradient_check, landscape
from sklearn_linsgd.baselines import (
    RandomLocalSearchClassifier,
    RandomSearchClassifier,
)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
classes = np.unique(y)
# The matrices here are small: BLAS threads cost more than they bring (a lot
# more on a busy machine), and the timings below compare optimizers, not
# thread pools. One thread, then.
threadpool_limits(limits=1, user_api="blas")
print(f"{X_train.shape[0]} training and {X_test.shape[0]} test images, 10 classes")

# %%
# Three strategies
# ----------------
# The notes first try two "very bad ideas". **Strategy 1, random search**:
# draw many random ``W`` and keep the one with the lowest training loss -- 15.5%
# test accuracy on CIFAR-10 (chance: 10%). **Strategy 2, random local search**:
# from a random ``W``, try ``W + step * D`` for a random direction ``D`` and
# move when the loss drops -- 21.4%. **Strategy 3** follows the gradient.
# All four models below minimise the same multiclass hinge (or softmax)
# objective; the baselines get 1000 loss evaluations each.
strategies = {
    "1. random search": RandomSearchClassifier(n_iter=1000, random_state=0),
    "2. random local search": RandomLocalSearchClassifier(
        n_iter=1000, step_size=1e-3, random_state=0
    ),
    "3. gradient (LinearSVMSGD)": LinearSVMSGD(random_state=0),
    "3. gradient (SoftmaxSGD)": SoftmaxSGD(random_state=0),
}
for name, est in strategies.items():
    start = time.perf_counter()
    est.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    print(
        f"{name:28s} test accuracy {est.score(X_test, y_test):6.1%}  "
        f"training objective {est.objective(X_train, y_train):7.4f}  "
        f"({seconds:.1f} s)"
    )

# %%
# The same ranking as in the notes, with higher numbers because digits is an
# easier problem than CIFAR-10: random search is barely better than chance,
# random local search makes slow progress, the gradient gets there. The
# baselines' ``loss_curve_`` shows how they progress:
fig, ax = plt.subplots(figsize=(6, 3.5))
for name in ["1. random search", "2. random local search"]:
    ax.plot(strategies[name].loss_curve_, label=name)
svm_objective = strategies["3. gradient (LinearSVMSGD)"].objective(X_train, y_train)
ax.axhline(svm_objective, color="black", linestyle=":", label="LinearSVMSGD")
ax.set_xlabel("loss evaluations")
ax.set_ylabel("training objective (hinge)")
ax.set_yscale("log")
ax.legend()
fig.tight_layout()

# %%
# Checking the gradient
# ---------------------
# The estimators use the analytic gradient; the notes recommend checking it
# against centred finite differences.
# :func:`~sklearn_linsgd.gradient_check.check_gradient` returns the largest
# relative error ``|a - n| / max(|a| + |n|, tiny)`` over all 650 coordinates
# of ``coef_`` and ``intercept_`` (below ``1e-7`` is right), and
# :func:`~sklearn_linsgd.gradient_check.check_gradient_sparse` probes a random
# sample of coordinates, for big models. The softmax objective is smooth:
softmax = strategies["3. gradient (SoftmaxSGD)"]
error = gradient_check.check_gradient(softmax, X_train, y_train)
print(f"SoftmaxSGD: largest relative error {error:.1e}")

# %%
# The hinge loss has kinks, where a sample's margin is exactly zero; at a
# trained SVM many samples sit close to their margin. A probe ``W +- h e_k``
# that crosses a kink sees the average of two slopes while the analytic side
# uses one of them (a subgradient), so a few coordinates show a large error
# without any bug. Two signs tell it from a bug: only some coordinates are
# affected (a wrong formula spoils whole rows or everything), and their number
# shrinks with the probe step ``h`` (a bug's error does not).
svm = strategies["3. gradient (LinearSVMSGD)"]
for h in [1e-5, 1e-6]:
    error, details = gradient_check.check_gradient(
        svm, X_train, y_train, h=h, return_details=True
    )
    n_bad = (details["coef_error"] > 1e-4).sum() + (
        details["intercept_error"] > 1e-4
    ).sum()
    print(
        f"LinearSVMSGD, h={h:.0e}: largest relative error {error:.1e}, "
        f"{n_bad} of 650 coordinates above 1e-4"
    )

# %%
# Step size
# ---------
# The step size (learning rate) must be just right. From the same small random
# ``W``, one full-batch gradient step of each size, as in the notes' table:
# too small and the loss barely moves, too large and it goes *up*.
sweep = landscape.step_size_sweep(LinearSVMSGD(), X_train, y_train, random_state=0)
print(sweep)

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(sweep.step_sizes, sweep.objectives, "o-")
ax.axhline(sweep.initial_objective, color="gray", linestyle=":", label="start")
ax.set_yscale("log")
ax.set_xlabel("step size")
ax.set_ylabel("objective after one step")
ax.legend()
fig.tight_layout()

# %%
# The loss landscape
# ------------------
# ``W`` has 650 numbers, too many to look at, so the notes look at slices:
# the objective along one random direction ``J(W + a D1)``, and on a plane
# ``J(W + a D1 + b D2)``, here around the trained weights of an SVM without
# penalty (the notes' pictures show the data loss alone). Directions are
# normalized per class row to the norm of ``W`` ("filter normalization"), so
# ``a = 1`` doubles a row in norm.
#
# As in the notes, first for a *single* example: its hinge loss is a sum of
# nine ``max(0, .)`` terms, each linear in ``a``, so the slice is a convex
# broken line, and the plane is tiled by flat facets.
svm_plain = LinearSVMSGD(penalty=None, random_state=0).fit(X_train, y_train)
one_x, one_y = X_train[:1], y_train[:1]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
landscape.LossLandscapeDisplay.from_estimator(
    svm_plain,
    one_x,
    one_y,
    alphas=np.linspace(-2, 2, 201),
    random_state=0,
    ax=axes[0],
)
one = landscape.LossLandscapeDisplay.from_estimator(
    svm_plain,
    one_x,
    one_y,
    kind="2d",
    alphas=np.linspace(-2, 2, 41),
    random_state=0,
    ax=axes[1],
)
fig.colorbar(one.contour_, ax=axes[1])
axes[0].set_title("one example: J(W + a D1)")
axes[1].set_title("one example: J(W + a D1 + b D2)")
fig.tight_layout()

# %%
# With all 1347 training examples the mean of thousands of such broken lines
# looks smooth at this scale: the convex bowl of the notes. It is still
# piecewise linear (its kinks are just close together), while the softmax
# objective is smooth everywhere; both are convex.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
landscape.LossLandscapeDisplay.from_estimator(
    svm_plain,
    X_train,
    y_train,
    alphas=np.linspace(-1, 1, 41),
    random_state=0,
    ax=axes[0],
)
bowl = landscape.LossLandscapeDisplay.from_estimator(
    svm_plain,
    X_train,
    y_train,
    kind="2d",
    alphas=np.linspace(-1, 1, 15),
    random_state=0,
    ax=axes[1],
)
fig.colorbar(bowl.contour_, ax=axes[1])
landscape.LossLandscapeDisplay.from_estimator(
    softmax,
    X_train,
    y_train,
    alphas=np.linspace(-1, 1, 41),
    random_state=0,
    ax=axes[2],
)
axes[0].set_title("SVM, all examples: 1-D")
axes[1].set_title("SVM, all examples: 2-D")
axes[2].set_title("softmax, all examples: 1-D")
fig.tight_layout()

# %%
# Why the kinks? The notes' toy example: three 1-D points, one per class, and
# one weight per class. Each point's hinge loss, as a function of one weight
# ``w_0``, is a broken line; the data loss (their mean) is convex and piecewise
# linear. Where it has a kink there is no gradient, only a subgradient.
landscape.LossLandscapeDisplay.from_three_points()

# %%
# Gradient descent, mini-batches, SGD
# -----------------------------------
# Full-batch gradient descent makes one update per pass over the data,
# mini-batch gradient descent (256 examples, as in the notes) a few, and
# stochastic gradient descent (batch size 1) one per example. Per *epoch*,
# smaller batches make much more progress; per *second* the comparison also
# pays for Python's per-update overhead, which batches of one cannot amortize.
# Each model trains with ``partial_fit`` (one epoch per call) and a constant
# step size suited to its batch size.
runs = {"full batch (GD)": ("full", 1.0, 60), "mini-batch 256": (256, 0.3, 30)}
runs["batch of 1 (SGD)"] = (1, 0.01, 5)
curves = {}
for name, (batch_size, eta0, n_epochs) in runs.items():
    est = SoftmaxSGD(
        batch_size=batch_size, learning_rate="constant", eta0=eta0, random_state=0
    )
    seconds, objectives, elapsed = [0.0], [np.log(10)], 0.0  # W = 0: J = log(10)
    for _ in range(n_epochs):
        start = time.perf_counter()
        est.partial_fit(X_train, y_train, classes=classes)
        elapsed += time.perf_counter() - start
        seconds.append(elapsed)
        objectives.append(est.objective(X_train, y_train))
    curves[name] = (np.array(seconds), np.array(objectives))
    print(
        f"{name:18s} {n_epochs:3d} epochs, {est.t_:6d} updates, {elapsed:5.2f} s, "
        f"objective {objectives[-1]:.4f}, test accuracy "
        f"{est.score(X_test, y_test):.1%}"
    )

fig, (ax_epochs, ax_time) = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
for name, (seconds, objectives) in curves.items():
    ax_epochs.plot(np.arange(objectives.size), objectives, label=name)
    ax_time.plot(seconds, objectives, label=name)
ax_epochs.set_xlabel("epochs")
ax_time.set_xlabel("training time (s)")
ax_epochs.set_ylabel("training objective")
ax_epochs.set_yscale("log")
ax_time.legend()
fig.tight_layout()
plt.show()

# %%
# Summary
# -------
# As in the notes: the loss quantifies how good ``W`` is; random search and
# random local search find poor weights; following the (checked) analytic
# gradient with a well-chosen step size works, and mini-batches reach a given
# objective in far fewer epochs than full-batch gradient descent.
