"""The initialization page's lesson scenes, in teaching order (one click each from the landing page).

Adding one is one entry here and one `check_<key>` in tests/test_lessons.py that checks the
phenomenon in the computed numbers.

References: cs231n lecture 6 ("Training neural networks I"), EECS 498-007 lecture 10 (the 6 x 4096
experiment, residual blocks), the lecture notes in shared/lecture-notes.
"""

from __future__ import annotations

from optviz.layers.network import NetworkConfig
from optviz.layers.scene import LayersScene
from optviz.page import Lesson


def _layers(a: dict, b: dict | None = None):
    return lambda: LayersScene(NetworkConfig(**a), NetworkConfig(**b) if b is not None else None)


_ABOUT = ("activation", "init", "batchnorm", "compare", "b.activation", "b.init", "b.batchnorm")
"""The page's lesson_about keys; the lessons below add the settings they are about."""


def _about(*names: str) -> tuple[str, ...]:
    """The page's lesson keys plus `names`, for network A and B."""
    return _ABOUT + tuple(names) + tuple("b." + name for name in names)


# The tabs (optviz.layers.page's views) that lessons open when their claim is not on the first one.
_HISTOGRAMS, _SATURATION = "Histograms", "Saturated, dead & same-sign"


# The notes' wide network (EECS 498 lecture 10): 6 layers of 4096 units on x = randn(16, 4096).
_WIDE = dict(depth=6, width=4096, batch=16)


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "tanh_small_init", "tanh with W = 0.01·randn: activations collapse", "layers",
        "Weights far too small for 500 inputs shrink the std ×0.22 per layer, until every activation is ≈ 0. The weight "
        "gradients are ≈ 0 too: nothing learns.",
        "Histograms narrow to a spike at 0. Mean & std per layer tab: the std falls ~10⁶× by layer 10; dL/dW (dashed) lies flat "
        "near 4·10⁻⁸.",
        _layers(dict(activation="tanh", init="normal", scale=0.01)),
        view=_HISTOGRAMS,
    ),
    Lesson(
        # The lecture says the gradients vanish; the page's own numbers show them growing toward
        # the input (tanh' cuts ~6x, the std-1 W^T multiplies ~22x per layer): the text says so.
        "tanh_large_init", "tanh with W = 1.0·randn: everything saturates", "layers",
        "Std-1 weights over 500 inputs give pre-activations of std ≈ 22: tanh pins 92 % of the units at ±1. Yet the "
        "gradients do not vanish: tanh′ cuts them ~6× per layer, but Wᵀ multiplies them ~22×.",
        "Histograms pile up at ±1. Mean & std per layer: gradients rise ~3.5× per layer, ~8·10⁴× from layer 10 to 1.",
        _layers(dict(activation="tanh", init="normal", scale=1.0)),
        view=_HISTOGRAMS,
    ),
    Lesson(
        "tanh_xavier", "tanh with Xavier: healthy", "layers",
        "Xavier sets Var(W) = 2/(fan_in + fan_out) = 1/500 here, so each W keeps the variance of its input. tanh then "
        "shrinks it only a little per layer (×0.89): the activations stay spread out.",
        "Every layer's histogram stays broad. Mean & std per layer tab: the std falls only from 0.63 to 0.23 over 10 layers.",
        _layers(dict(activation="tanh", init="glorot_normal")),
        view=_HISTOGRAMS,
    ),
    Lesson(
        "relu_xavier", "ReLU with Xavier: activations shrink (He fixes it)", "layers",
        "ReLU zeroes half of its inputs, halving the mean square at every layer, so with Xavier the std shrinks by 1/√2 ≈ "
        "0.71 per layer. He initialization doubles Var(W) to 2/fan_in and compensates (network B).",
        "A's std slopes down steadily from 0.59 to 0.027; B's stays flat near 0.85.",
        _layers(dict(activation="relu", init="glorot_normal"), dict(activation="relu", init="he_normal")),
    ),
    Lesson(
        "relu_he", "ReLU with He: healthy", "layers",
        "He (Kaiming) initialization, Var(W) = 2/fan_in, makes up for the half of its inputs that ReLU zeroes. The "
        "activations keep the same scale in every layer.",
        "The histograms look alike from layer 1 to layer 10. Mean & std per layer tab: the std curve stays flat near 0.85.",
        _layers(dict(activation="relu", init="he_normal")),
        view=_HISTOGRAMS,
    ),
    Lesson(
        # Layer 10 is read by the page's random loss projection (a different weight per unit), so
        # its units get different gradients; every layer below has equal weights above it.
        "constant_init", "Constant init: symmetry is never broken", "layers",
        "With all weights equal, every unit of a layer computes the same function and gets the same gradient (the weights "
        "above it are equal too). The hidden units stay identical forever: 500 are worth one.",
        "The bar above the tabs says 'Units identical' in every layer; dL/dW (dashed) is at the floor in layers 2–9.",
        _layers(dict(activation="tanh", init="constant", scale=0.002)),
    ),
    Lesson(
        # Forward, batch norm removes the init scale; backward it does not (dL/dW ~ 1/scale): the
        # gradient panel shows A and B two decades apart, so the text says so.
        "batchnorm", "Batch norm: activations ignore the init scale", "layers",
        "Batch norm rescales each pre-activation to zero mean, unit variance over the batch: A (std 0.01) and B (std 1.0) "
        "get identical activations, and gradients neither vanish nor explode. They still go as 1/scale.",
        "Mean and std panels: A and B coincide; gradient panel: flat curves, A's 100× above B's.",
        _layers(dict(activation="tanh", init="normal", scale=0.01, batchnorm=True),
                dict(activation="tanh", init="normal", scale=1.0, batchnorm=True)),
    ),
    Lesson(
        # The notes' first experiment at its own size. B is the notes' Xavier code, randn / sqrt(4096):
        # "normal" at 1/64 shares A's draw, so the two 4096 x 4096 x 6 weight sets are one.
        "wide_6x4096", "The notes' 6 × 4096 net: 0.01·randn vs Xavier", "layers",
        "6 layers of 4096 units on 16 inputs: W = 0.01·randn scales each layer's std by 0.01·√4096 = 0.64, so A's "
        "activations shrink toward 0. Xavier's W = randn/√4096 (B) keeps the variance; only tanh shrinks it.",
        "A's std falls from 0.49 to 0.05 at layer 6; B's only 2× (0.63 to 0.30).",
        _layers(dict(_WIDE, activation="tanh", init="normal", scale=0.01),
                dict(_WIDE, activation="tanh", init="normal", scale=1 / 64)),
        about=_about("scale", "depth", "width"),
    ),
    Lesson(
        # Var(h + F(h)) = Var(h) + Var(F(h)): W2 has zero mean. He init makes Var(F(h)) ~ 2 Var(h).
        "residual_growth", "ResNet blocks: std grows, zero-init fixes it", "layers",
        "A residual block outputs h + F(h) with F(h) = W₂ relu(W₁h), and Var(h + F(h)) = Var(h) + Var(F(h)). He init "
        "gives Var(F(h)) ≈ 2 Var(h): A grows ×1.7 per block. Zeroing W₂ (B) starts each block as the identity.",
        "Block outputs (even layers): A climbs to std 15 at layer 10; B stays at 1.0.",
        _layers(dict(activation="relu", init="he_normal", residual=True),
                dict(activation="relu", init="he_normal", residual=True, zero_last=True)),
        about=_about("residual", "zero_last", "branch_scale"),
    ),
    Lesson(
        # The notes' dead ReLU: never positive, so no gradient. The folk remedy (+0.01) is measured, not assumed.
        "dead_relu_bias", "Negative bias: dead ReLUs (+0.01 does nothing)", "layers",
        "A bias of −0.5 pushes pre-activations below 0; smaller outputs leave the next layer more negative, until every "
        "ReLU is dead from layer 6 and no gradient flows. The folk remedy +0.01 (B) is lost in pre-activations of std 1.5.",
        "Dead panel: A reaches 100 % at layer 6; B has 11 % at layer 10, as with no bias.",
        _layers(dict(activation="relu", init="he_normal", bias=-0.5), dict(activation="relu", init="he_normal", bias=0.01)),
        about=_about("bias"),
        view=_SATURATION,
    ),
    Lesson(
        # dL/dw_i = x_i delta: all-positive x gives every weight into a unit delta's sign (the notes' zig-zag).
        "not_zero_centred", "Not zero-centred: gradients share one sign", "layers",
        "Sigmoid outputs are all positive, so dL/dw = x·δ takes δ's sign for every input x: from layer 2 on, A's weights "
        "into a unit move one way together. Data of mean 2 does it to B's layer 1; tanh's zero-centred outputs undo it.",
        "Same-sign panel: A reaches 100 % in layers 5–10; B is 70 % in layer 1, a few % after.",
        _layers(dict(activation="sigmoid", init="glorot_normal"), dict(activation="tanh", init="glorot_normal", input_mean=2.0)),
        about=_about("input_mean"),
        view=_SATURATION,
    ),
    Lesson(
        # gamma z_hat + beta = z when gamma = std(z) and beta = mean(z): batch norm can learn to be the identity.
        "batchnorm_affine", "Batch norm's γ and β can undo it", "layers",
        "Batch norm ends with γ·ẑ + β, learned per unit, so a network can take the normalisation back: γ = std(z) ≈ 22 "
        "and β = mean(z) = 0 give A (batch norm) the pre-activations of B (none). Both are 92 % saturated.",
        "Every panel: A's curves lie on B's.",
        _layers(dict(activation="tanh", init="normal", scale=1.0, batchnorm=True, bn_gamma=22.0),
                dict(activation="tanh", init="normal", scale=1.0)),
        about=_about("bn_gamma", "bn_beta"),
    ),
)
