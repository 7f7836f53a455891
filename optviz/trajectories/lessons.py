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
        "On an ill-conditioned loss the gradient points mostly across the ravine, not along it. "
        "With a learning rate near the stability limit SGD bounces from wall to wall while it crawls along the valley floor.",
        "The path alternates sides on every step (steep axis) while moving only slowly along x (shallow axis).",
        lambda: TrajectoryScene.build("ill_conditioned", RAVINE, ["sgd"], {"sgd": {"learning_rate": 1.9}}, RAVINE_START, {"steps": 60}),
    ),
    Lesson(
        "momentum_overshoot", "Momentum rushes through, Nesterov overshoots less", "trajectories",
        "Momentum accumulates velocity along the consistent direction of the valley and gets to the minimum long before SGD. "
        "The same velocity carries it past the minimum; Nesterov's look-ahead gradient brakes earlier, so it overshoots less.",
        "SGD is still far away; Momentum passes x = 0 and swings back; Nesterov's swing is smaller.",
        lambda: TrajectoryScene.build("ill_conditioned", RAVINE, ["sgd", "momentum", "nesterov"],
                                      {k: {"learning_rate": 0.2} for k in ("sgd", "momentum", "nesterov")},
                                      RAVINE_START, {"steps": 100}),
    ),
    Lesson(
        "adagrad_stalls", "AdaGrad stalls, RMSProp keeps going", "trajectories",
        "AdaGrad divides by the square root of the sum of all past squared gradients, which only grows: its steps shrink "
        "until it stalls short of the minimum. RMSProp forgets old gradients, so its steps stay useful.",
        "Compare the spacing of the dots near the end of each path, and the loss curves.",
        lambda: TrajectoryScene.build("ill_conditioned", RAVINE, ["adagrad", "rmsprop"],
                                      {"adagrad": {"learning_rate": 0.5}, "rmsprop": {"learning_rate": 0.05}},
                                      RAVINE_START, {"steps": 300}),
    ),
    Lesson(
        "adam_bias_correction", "Adam without bias correction: a huge first step", "trajectories",
        "Adam's moment estimates start at zero. Without bias correction the second moment is tiny at first, so the first "
        "step is (1 − β₁)/√(1 − β₂) ≈ 3.2 times the learning rate; with it, the first step is about the learning rate.",
        "The first segment of each Adam path: about 0.1 long with correction, about 0.32 without.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 20.0, "angle": 0.0}, ["adam", "adam-2"],
                                      {"adam": {"learning_rate": 0.1}, "adam-2": {"learning_rate": 0.1, "bias_correction": False}},
                                      RAVINE_START, {"steps": 50}),
    ),
    Lesson(
        "saddle_escape", "Saddle point: SGD crawls, momentum and Adam escape", "trajectories",
        "Near a saddle the gradient is almost zero, so gradient descent started close to it slows to a crawl. "
        "Momentum accumulates the small downhill pull and Adam rescales it, so both escape along y; Newton's method is drawn straight into the saddle.",
        "SGD and Newton end at the saddle; Momentum and Adam leave the plot downhill.",
        lambda: TrajectoryScene.build("saddle", {}, ["sgd", "momentum", "adam", "newton"],
                                      {k: {"learning_rate": 0.01} for k in ("sgd", "momentum", "adam")},
                                      (-1.0, 0.001), {"steps": 150}),
    ),
    Lesson(
        "local_minimum", "Local minimum: SGD is trapped, momentum rolls through", "trajectories",
        "Gradient descent stops in the first well it falls into. Momentum arrives there with speed and rolls over the "
        "ridge into the deeper minimum.",
        "SGD ends in the shallow right well (x ≈ 0.96); Momentum ends in the deep left well (x ≈ −1.04).",
        lambda: TrajectoryScene.build("local_minimum", {"tilt": 0.3}, ["sgd", "momentum"],
                                      {"sgd": {"learning_rate": 0.01}, "momentum": {"learning_rate": 0.01}},
                                      (2.0, 1.5), {"steps": 300}),
    ),
    Lesson(
        "learning_rate", "Learning rate: too small, too large, just right", "trajectories",
        "Too small a learning rate crawls; too large a one overshoots further every step and diverges; one in between "
        "converges quickly. The largest stable rate is 2 / (largest curvature).",
        "η = 0.01 barely moves; η = 2.1 diverges (✗ marker); η = 0.5 reaches the minimum.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 5.0, "angle": 0.0}, ["sgd", "sgd-2", "sgd-3"],
                                      {"sgd": {"learning_rate": 0.01}, "sgd-2": {"learning_rate": 2.1}, "sgd-3": {"learning_rate": 0.5}},
                                      RAVINE_START, {"steps": 100}),
    ),
    Lesson(
        "step_decay", "Step decay lets noisy SGD settle", "trajectories",
        "With noisy (mini-batch) gradients a constant learning rate keeps bouncing around the minimum. "
        "Dropping it by 10x every 100 steps lets SGD settle; switch the schedule to Constant to compare.",
        "The fan of paths tightens around the minimum after each drop (steps 100 and 200).",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 2.0, "angle": 0.0}, ["sgd"],
                                      {"sgd": {"learning_rate": 0.5}}, RAVINE_START, {"steps": 300, "noise": 1.0, "seed": 0, "paths": 8},
                                      "step", {"step_size": 100, "gamma": 0.1}),
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
        "Newton's method multiplies the gradient by the inverse Hessian: on a quadratic that lands exactly on the minimum, "
        "whatever the conditioning. No learning rate to tune, but the Hessian costs O(n²) memory and O(n³) time.",
        "Newton's path is one straight segment to the minimum; SGD is still zigzagging.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 100.0, "angle": 30.0}, ["newton", "sgd"],
                                      {"sgd": {"learning_rate": 1.0}}, RAVINE_START, {"steps": 30}),
    ),
    Lesson(
        "axis_alignment", "Rotate the ravine: adaptive methods lose their edge", "trajectories",
        "AdaGrad, RMSProp and Adam rescale each coordinate separately. That helps when the ravine lies along an axis; "
        "rotated by 45° the curvature is no longer per-coordinate and their advantage over momentum disappears.",
        "Set the angle back to 0° and watch Adam and AdaGrad overtake momentum.",
        lambda: TrajectoryScene.build("ill_conditioned", {"condition_number": 20.0, "angle": 45.0}, ["momentum", "adagrad", "adam"],
                                      {"momentum": {"learning_rate": 0.05}, "adagrad": {"learning_rate": 1.0}, "adam": {"learning_rate": 0.3}},
                                      _rotated(*RAVINE_START, 45.0), {"steps": 300}),
    ),
    Lesson(
        "data_preprocessing", "Data preprocessing: standardize the features", "trajectories",
        "Least squares on raw features whose scales differ 100x is a long thin valley: the learning rate must suit the steep "
        "direction, so the shallow one takes forever. Standardized features make the contours round; switch Standardize on.",
        "With raw features GD is still far from the minimum after 500 steps; standardized, it arrives.",
        lambda: TrajectoryScene.build("linear_regression", {"standardize": False}, ["sgd"], {"sgd": {"learning_rate": 0.019}},
                                      (-0.5, -0.5), {"steps": 500}),
    ),
    Lesson(
        "l2_penalty", "L2 penalty pulls the minimum toward the origin", "trajectories",
        "Adding λ‖w‖² to the loss shrinks every weight in proportion. The minimum moves toward the origin, but no weight becomes exactly zero.",
        "The star (the penalized minimum) sits closer to the origin than the data's minimum, off both axes.",
        lambda: TrajectoryScene.build("linear_regression", {"standardize": True}, ["sgd"], {"sgd": {"learning_rate": 0.1}},
                                      (-0.5, -0.5), {"steps": 200}, penalty={"penalty": "l2", "strength": 0.5}),
    ),
    Lesson(
        "l1_penalty", "L1 penalty puts the minimum on an axis (sparsity)", "trajectories",
        "Adding λ‖w‖₁ pulls every weight toward zero by the same amount. Small weights are pushed to exactly zero, so the minimum lands on an axis.",
        "The penalized minimum has y = 0: the second weight is switched off.",
        lambda: TrajectoryScene.build("linear_regression", {"standardize": True}, ["sgd"], {"sgd": {"learning_rate": 0.05}},
                                      (-0.5, -0.5), {"steps": 200}, penalty={"penalty": "l1", "strength": 0.5}),
    ),
)
