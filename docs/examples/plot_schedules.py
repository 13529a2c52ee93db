"""
=====================================
Step-size schedules and loss curves
=====================================

The step size is the knob of stochastic gradient descent that "must be just
right": too small and training crawls, too large and the objective blows up.
In :mod:`sklearn_linsgd` it is a first-class object. A schedule is a pure
function of the update counter ``t`` (the number of parameter updates made so
far, starting at 0) that returns that update's step size; the estimators accept
a schedule name, a schedule object or any callable ``t -> step size`` as
``learning_rate``.

This example plots the step size of each schedule against ``t``, including a
linear warm-up joined to a cosine decay and a cosine decay with warm restarts,
and then the loss curves (``loss_curve_``) of the same fit on the digits data
under each named schedule.
"""

# %%
# The schedules as functions of the update counter
# ------------------------------------------------
# With 1347 training samples and the default ``batch_size=256``, an epoch is 6
# updates; the epoch-based schedules below are written in epochs through
# ``steps_per_epoch``. Schedules accept an array of steps, so a whole curve is
# one call.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_linsgd import schedules

steps_per_epoch = 6
t = np.arange(100 * steps_per_epoch)

curves = {
    "Constant(0.1)": schedules.Constant(0.1),
    "InverseScaling(1.0, power_t=0.5)": schedules.InverseScaling(1.0, power_t=0.5),
    "Optimal(alpha=1e-4)": schedules.Optimal(alpha=1e-4),
    "StepDecay(0.1, factor=0.5, every 10 epochs)": schedules.StepDecay(
        0.1, factor=0.5, step_size=10, steps_per_epoch=steps_per_epoch
    ),
    "ExponentialDecay(0.5, 0.95 per epoch)": schedules.ExponentialDecay(
        0.5, decay_rate=0.95, steps_per_epoch=steps_per_epoch
    ),
    "CosineDecay(0.1, over 100 epochs)": schedules.CosineDecay(
        0.1, decay_steps=100, steps_per_epoch=steps_per_epoch
    ),
    "CosineDecay(0.1, restarts, periods 10, 20, 40 epochs)": schedules.CosineDecay(
        0.1,
        decay_steps=10,
        steps_per_epoch=steps_per_epoch,
        restarts=True,
        t_mult=2.0,
    ),
    # The later piece of a Join sees ``t - boundary``: the cosine starts at its
    # peak when the warm-up ends.
    "Join(LinearWarmup 5 epochs, CosineDecay)": schedules.Join(
        [
            schedules.LinearWarmup(0.1, warmup_steps=5 * steps_per_epoch),
            schedules.CosineDecay(0.1, decay_steps=95 * steps_per_epoch),
        ],
        boundaries=[5 * steps_per_epoch],
    ),
}

fig, ax = plt.subplots(figsize=(9, 5))
for label, schedule in curves.items():
    ax.plot(t, schedule(t), label=label)
ax.set_yscale("log")
ax.set_ylim(1e-4, 30)  # the cosines reach 0 at the end of each period
ax.set_xlabel("update counter t")
ax.set_ylabel("step size")
ax.set_title("Step size against the number of updates")
ax.legend(fontsize="small", loc="lower left")
fig.tight_layout()

# %%
# ``ReduceOnPlateau`` (the ``"adaptive"`` schedule) depends on the training:
# its base schedule is multiplied by a scale that falls by ``factor`` after
# ``patience`` epochs without improvement. Its state is a plain dict that the
# estimator keeps, here advanced by hand on a made-up objective that stalls.
plateau = schedules.ReduceOnPlateau(schedules.Constant(0.1), factor=0.2, patience=5)
state = plateau.init_state()
objective = np.concatenate([np.geomspace(1.0, 0.1, 20), np.full(30, 0.1)])
steps = []
for value in objective:
    steps.append(plateau(0, scale=state["scale"]))
    state = plateau.update(state, value)

fig, ax = plt.subplots(figsize=(9, 3))
ax.step(np.arange(1, objective.size + 1), steps, where="post", label="step size")
ax.plot(np.arange(1, objective.size + 1), objective / 10, ":", label="objective / 10")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_title("ReduceOnPlateau: the step falls once the objective stops improving")
ax.legend()
fig.tight_layout()

# %%
# The same fit under each named schedule
# --------------------------------------
# :class:`~sklearn_linsgd.SoftmaxSGD` on the standardized digits data, 60
# epochs with ``tol=None`` so that every fit runs for the same number of epochs;
# the ``eta0`` of each named schedule is one that reaches more than 90% test
# accuracy (the test suite checks it). ``"optimal"`` takes its step from
# ``alpha`` alone (an ``eta0`` would be refused), and ``"auto"``, the default,
# from the data.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_linsgd import SoftmaxSGD

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

eta0 = {
    "auto": 0.3,
    "constant": 0.1,
    "optimal": None,
    "invscaling": 1.0,
    "adaptive": 0.1,
    "step": 0.1,
    "exponential": 0.5,
    "cosine": 0.1,
}

fig, ax = plt.subplots(figsize=(9, 5))
for name, value in eta0.items():
    step = {} if value is None else {"eta0": value}
    est = SoftmaxSGD(
        learning_rate=name, max_iter=60, tol=None, random_state=0, **step
    ).fit(X_train, y_train)
    accuracy = est.score(X_test, y_test)
    print(
        f"{name:>12}: test accuracy {accuracy:.3f}, final objective "
        f"{est.loss_curve_[-1]:.4f}"
    )
    epochs = np.arange(1, len(est.loss_curve_) + 1)
    ax.plot(epochs, est.loss_curve_, label=f"{name} ({accuracy:.1%})")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean training objective over the epoch")
ax.set_title("SoftmaxSGD on digits: loss_curve_ under each named schedule")
ax.legend(title="learning_rate (test accuracy)")
fig.tight_layout()
plt.show()
