"""The trajectory page's lesson scenes, in teaching order (one click each from the landing page).

Adding one is one entry here and one `check_<key>` in tests/test_lessons.py that checks the
phenomenon in the computed numbers.

References: cs231n lecture 7 ("Training neural networks II"), the lecture notes in shared/lecture-notes.
"""

from __future__ import annotations

import math

from optviz.page import Lesson
from optviz.trajectories.scene import TrajectoryScene


def _rotated(x: float, y: float, degrees: float) -> tuple[float, float]:
    a = math.radians(degrees)
    return (round(math.cos(a) * x - math.sin(a) * y, 6), round(math.sin(a) * x + math.cos(a) * y, 6))


RAVINE = {"condition_number": 50.0, "angle": 0.0}
RAVINE_START = (-9.0, 4.0)

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "sgd_zigzag", "SGD zigzags across a ravine", "trajectories",
        "On an ill-conditioned loss the gradient points mostly across the ravine. With η near the stability limit 2/λₘₐₓ "
        "= 2, SGD bounces from wall to wall while it creeps along the valley floor.",
        "Every step crosses the valley (the first: 7.6 across, 0.34 along) while x creeps from −9 toward 0.",
        lambda: TrajectoryScene.build("ill_conditioned", RAVINE, ["sgd"], {"sgd": {"learning_rate": 1.9}}, RAVINE_START, {"steps": 60}),
    ),
    Lesson(
        # κ 20 and η 0.4 (not κ 50, η 0.2): along the valley ηλ is then far enough above critical
        # damping that the overshoot, and Nesterov's smaller one, are several % of the plot.
        "momentum_overshoot", "Momentum rushes through, Nesterov overshoots less", "trajectories",
        "Momentum builds velocity along the valley and reaches the minimum long before SGD, but overshoots it and swings "
        "across. Nesterov's look-ahead gradient brakes earlier: it overshoots less and hardly swings.",
        "All at η = 0.4: SGD is still at x ≈ −2.7; Momentum overshoots to x ≈ 2.7, Nesterov to 2.1.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 20.0, "angle": 0.0}, ["sgd", "momentum", "nesterov"],
                                      {k: {"learning_rate": 0.4} for k in ("sgd", "momentum", "nesterov")},
                                      RAVINE_START, {"steps": 60}),
    ),
    Lesson(
        # Equal η: AdaGrad travels at most ~2η√t per coordinate, so with η = 0.1 it stalls; with a
        # large η (its registry default 0.5) it would still arrive, only late.
        "adagrad_stalls", "AdaGrad stalls, RMSProp keeps going", "trajectories",
        "AdaGrad divides by the root of the sum of all past squared gradients: its steps shrink like η/√t, so a small η "
        "stalls short of the minimum. RMSProp's running average forgets, so its steps stay ≈ η.",
        # A path of 300 steps is drawn without per-point dots (figures.PATH_MARKERS_MAX_POINTS): its end says it.
        "Both at η = 0.1: after 300 steps AdaGrad's path still ends 6 short of ★; RMSProp arrived by step ~100.",
        lambda: TrajectoryScene.build("ill_conditioned", RAVINE, ["adagrad", "rmsprop"],
                                      {"adagrad": {"learning_rate": 0.1}, "rmsprop": {"learning_rate": 0.1}},
                                      RAVINE_START, {"steps": 300}),
    ),
    Lesson(
        # η 0.5 so that both first segments are visible (0.14 at η 0.1 hides under the start marker).
        "adam_bias_correction", "Adam without bias correction: huge early steps", "trajectories",
        "Adam's moments start at zero: after step 1, m is 10× and v 1000× too small, so uncorrected steps are 0.1/√0.001 "
        "≈ 3.2× too long (not 30×: m is biased too). Bias correction makes each ≈ η per coordinate.",
        "η = 0.5: the first segment is 0.71 long with correction, 2.24 without; the uncorrected path keeps striding ~3.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 20.0, "angle": 0.0}, ["adam", "adam-2"],
                                      {"adam": {"learning_rate": 0.5}, "adam-2": {"learning_rate": 0.5, "bias_correction": False}},
                                      RAVINE_START, {"steps": 50}),
    ),
    Lesson(
        "saddle_escape", "Saddle: SGD crawls, momentum and Adam escape", "trajectories",
        "Near a saddle the gradient is almost zero, so gradient descent started near y = 0 crawls. Momentum builds up the "
        "small downhill pull and Adam rescales it: both escape along y. Newton jumps onto the saddle.",
        "After 200 steps SGD still sits by the saddle, Newton on it; Momentum and Adam passed |y| "
        "= 2 at steps ~80 and ~140.",
        lambda: TrajectoryScene.build("saddle", {}, ["sgd", "momentum", "adam", "newton"],
                                      {**{k: {"learning_rate": 0.01} for k in ("sgd", "momentum", "adam")}, "newton": {"learning_rate": 1.0}},
                                      (-1.0, 0.001), {"steps": 200}),
    ),
    Lesson(
        # η 0.005: momentum reaches the deep well from every start x ≥ 1.8 up to the domain's edge
        # (at η 0.01 it rolls back out from x ≥ 2.35); 500 steps let SGD settle in y too.
        "local_minimum", "Local minimum: SGD trapped, momentum rolls over", "trajectories",
        "Gradient descent with a small step stops in the first well it falls into. Momentum released high on the outer "
        "wall (x ≳ 1.8) rolls over the ridge into the deeper well; from lower it stays too.",
        "SGD ends in the shallow well (x ≈ 0.96), Momentum in the deep one (x ≈ −1.04); from x = 1.4 both stay right.",
        lambda: TrajectoryScene.build("local_minimum", {"tilt": 0.3}, ["sgd", "momentum"],
                                      {"sgd": {"learning_rate": 0.005}, "momentum": {"learning_rate": 0.005}},
                                      (2.0, 1.5), {"steps": 500}),
    ),
    Lesson(
        "learning_rate", "Learning rate: too small, too large, just right", "trajectories",
        "Too small a learning rate crawls; too large a one overshoots further every step and diverges; one in between "
        "converges quickly. The largest stable rate is 2/(largest curvature) = 2 here.",
        "η = 0.01 is still ~75 % of the way out after 100 steps; η = 2.1 zigzags wider and diverges (✗); η = 0.5 arrives.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 5.0, "angle": 0.0}, ["sgd", "sgd-2", "sgd-3"],
                                      {"sgd": {"learning_rate": 0.01}, "sgd-2": {"learning_rate": 2.1}, "sgd-3": {"learning_rate": 0.5}},
                                      RAVINE_START, {"steps": 100}),
    ),
    Lesson(
        # γ 0.3, not 0.1: after a second 10x cut the paths freeze (relaxation time 1/(ηλ) = 400
        # steps) instead of settling; σ 2 makes the cloud 10 % of the plot wide.
        "step_decay", "Step decay lets noisy SGD settle", "trajectories",
        "With noisy (mini-batch) gradients a constant learning rate keeps bouncing around the minimum. Cutting it to 0.3× "
        "every 100 steps shrinks the bouncing each time (compare with the Constant schedule).",
        "Loss & distance tab: the noisy distances step down at steps 100 and 200, about halving; with "
        "Constant they stay level.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 2.0, "angle": 0.0}, ["sgd"],
                                      {"sgd": {"learning_rate": 0.5}}, RAVINE_START, {"steps": 300, "noise": 2.0, "seed": 0, "paths": 8},
                                      "step", {"step_size": 100, "gamma": 0.3}),
        view="Loss & distance",
    ),
    Lesson(
        "minibatch_noise", "Mini-batch noise: a fan of SGD paths", "trajectories",
        "A mini-batch gradient is the full gradient plus noise. Each seed draws another sequence of mini-batches, so the "
        "noisy paths fan out around the full-batch path (dashed).",
        "The spread of the fan, and that on average it follows the dashed full-batch path.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 10.0, "angle": 0.0}, ["sgd"],
                                      {"sgd": {"learning_rate": 0.2}}, RAVINE_START, {"steps": 100, "noise": 1.5, "seed": 0, "paths": 12}),
    ),
    Lesson(
        "newton_one_step", "Newton's method: one step on a quadratic", "trajectories",
        "Newton's step uses the inverse Hessian: on a quadratic it lands exactly on the minimum, whatever the "
        "conditioning. No learning rate, but the Hessian costs O(n²) memory and O(n³) time.",
        "Newton: one segment to ★. SGD at η = 1 (1/steepest curvature) drops to the valley floor, then "
        "crawls: 4.3 away at step 30.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 100.0, "angle": 30.0}, ["newton", "sgd"],
                                      {"sgd": {"learning_rate": 1.0}, "newton": {"learning_rate": 1.0}}, RAVINE_START, {"steps": 30}),
    ),
    Lesson(
        "axis_alignment", "Rotated ravine: adaptive methods lose their edge", "trajectories",
        "AdaGrad and Adam rescale each coordinate: that suits a ravine along an axis. Rotated 45°, steep and "
        "shallow mix in both coordinates and it stops helping; momentum does not care. (Each has its own tuned η: "
        "theirs is a step length.)",
        "Steps to within 0.5 of ★, 45° → 0°: Adam 125 → 37, AdaGrad 251 → 68, momentum 94 → 94.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 20.0, "angle": 45.0}, ["momentum", "adagrad", "adam"],
                                      {"momentum": {"learning_rate": 0.05}, "adagrad": {"learning_rate": 1.0}, "adam": {"learning_rate": 0.3}},
                                      _rotated(*RAVINE_START, 45.0), {"steps": 300}),
    ),
    Lesson(
        # κ 100 at 45°: Adam's time grows with κ once the ravine turns (125 at κ 20, 1089 at 500), Lion's hardly.
        "lion_sign_steps", "Lion: sign steps ignore the slope", "trajectories",
        "Lion keeps only the sign of its momentum: every coordinate moves η a step, however gentle the slope (it "
        "overshoots until the sign flips). Adam's per-coordinate scaling suits an axis-aligned ravine; turned 45° it "
        "loses that edge, Lion less.",
        "Steps to stay within 0.5 of ★, 45° → 0°: Lion 312 → 225, Adam 391 → 58, momentum 559 → 563.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 100.0, "angle": 45.0}, ["lion", "adam", "momentum"],
                                      {"lion": {"learning_rate": 0.1}, "adam": {"learning_rate": 0.3}, "momentum": {"learning_rate": 0.05}},
                                      _rotated(*RAVINE_START, 45.0), {"steps": 600}),
    ),
    Lesson(
        # SAM first: the Basin map view runs the first shown optimizer.
        "sam_flat_minimum", "Sharp vs flat minimum: SAM avoids the crack", "trajectories",
        "Both minima are as deep; the left one ends a crack 0.04 wide. SGD and Adam slide in and stop there. SAM's "
        "gradient, taken ρ = 0.1 uphill, points out of the crack: it rolls on to the flat minimum.",
        "Basin map tab: SAM ends in the flat minimum from all 32 × 32 starts; remove SAM: SGD's map ends 74% in the "
        "sharp one.",
        lambda: TrajectoryScene.build("sharp_flat", {}, ["sam", "sgd", "adam"], {}, None, {"steps": 300}),
    ),
    Lesson(
        "per_parameter_rates", "A learning rate per parameter", "trajectories",
        "AdaGrad and Adam divide each coordinate's step by the root of its own squared gradients: along the shallow "
        "floor (x) the steps are long, across the steep walls (y) short. SGD uses one η for both.",
        "Step 1: both give x a step 22× y's (0.56 vs 0.025); Adam's is still 15× at step 100. Turn the ravine 45°: "
        "x and y get the same.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 50.0, "angle": 0.0}, ["sgd", "adagrad", "adam"],
                                      {k: {"learning_rate": 0.1} for k in ("sgd", "adagrad", "adam")}, RAVINE_START,
                                      {"steps": 100}),
        view="Step sizes",
    ),
    Lesson(
        "data_preprocessing", "Data preprocessing: standardize the features", "trajectories",
        "Least squares on raw features with scales ~100× apart is a valley ~8000× more curved across than along: η must "
        "suit the steep side, so the shallow one takes forever. Standardizing makes it round.",
        "Raw: still 2.2 from the minimum after 500 steps; switch Standardize on: within 0.05 by step ~200.",
        lambda: TrajectoryScene.build("linear_regression", {"standardize": False}, ["sgd"], {"sgd": {"learning_rate": 0.019}},
                                      (-0.5, -0.5), {"steps": 500}),
    ),
    Lesson(
        "l2_penalty", "L2 penalty pulls the minimum toward the origin", "trajectories",
        "Adding λ‖w‖² pulls each weight toward zero in proportion to its size. The minimum moves toward the origin, but "
        "no weight becomes exactly zero.",
        "★ sits at (0.92, 0.15), half as far out as the data's minimum (1.84, 0.20; set λ = 0 to see "
        "it), still above the x-axis.",
        lambda: TrajectoryScene.build("linear_regression", {"standardize": True}, ["sgd"], {"sgd": {"learning_rate": 0.1}},
                                      (-0.5, -0.5), {"steps": 200}, penalty={"penalty": "l2", "strength": 0.5}),
    ),
    Lesson(
        "l1_penalty", "L1 penalty puts the minimum on an axis (sparsity)", "trajectories",
        "Adding λ‖w‖₁ pulls every weight toward zero with the same force λ. A weight whose pull from the data is weaker "
        "is pushed to exactly zero, so the minimum lands on an axis.",
        "★ sits on the x-axis at (1.36, 0): the second weight is switched off (L2 with the same λ = 0.5 kept it at 0.15).",
        lambda: TrajectoryScene.build("linear_regression", {"standardize": True}, ["sgd"], {"sgd": {"learning_rate": 0.05}},
                                      (-0.5, -0.5), {"steps": 200}, penalty={"penalty": "l1", "strength": 0.5}),
    ),
)
