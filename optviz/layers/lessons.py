"""The initialization page's lesson scenes, in teaching order (one click each from the landing page).

Adding one is one entry here and one `check_<key>` in tests/test_lessons.py that checks the
phenomenon in the computed numbers.

References: cs231n lecture 6 ("Training neural networks I"), the lecture notes in shared/lecture-notes.
"""

from __future__ import annotations

from optviz.layers.network import NetworkConfig
from optviz.layers.scene import LayersScene
from optviz.page import Lesson


def _layers(a: dict, b: dict | None = None):
    return lambda: LayersScene(NetworkConfig(**a), NetworkConfig(**b) if b is not None else None)


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "tanh_small_init", "tanh with W = 0.01·randn: activations collapse", "layers",
        "Weights far too small for 500 inputs shrink the std ×0.22 per layer, until every activation is ≈ 0. The weight "
        "gradients are ≈ 0 too: nothing learns.",
        "Histograms narrow to a spike at 0; the std falls ~10⁶× by layer 10; dL/dW (dashed) lies flat near 4·10⁻⁸.",
        _layers(dict(activation="tanh", init="normal", scale=0.01)),
    ),
    Lesson(
        # The lecture says the gradients vanish; the page's own numbers show them growing toward
        # the input (tanh' cuts ~6x, the std-1 W^T multiplies ~22x per layer): the text says so.
        "tanh_large_init", "tanh with W = 1.0·randn: everything saturates", "layers",
        "Std-1 weights over 500 inputs give pre-activations of std ≈ 22: tanh pins 92 % of the units at ±1. Yet the "
        "gradients do not vanish: tanh′ cuts them ~6× per layer, but Wᵀ multiplies them ~22×.",
        "Histograms pile up at ±1; the gradient panel rises ~3.5× per layer, ~8·10⁴× from layer 10 to 1.",
        _layers(dict(activation="tanh", init="normal", scale=1.0)),
    ),
    Lesson(
        "tanh_xavier", "tanh with Xavier: healthy", "layers",
        "Xavier sets Var(W) = 2/(fan_in + fan_out) = 1/500 here, so each W keeps the variance of its input. tanh then "
        "shrinks it only a little per layer (×0.89): the activations stay spread out.",
        "Every layer's histogram stays broad; the std falls only from 0.63 to 0.23 over 10 layers.",
        _layers(dict(activation="tanh", init="glorot_normal")),
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
        "The std curve stays flat near 0.85 and the histograms look alike from layer 1 to layer 10.",
        _layers(dict(activation="relu", init="he_normal")),
    ),
    Lesson(
        # Layer 10 is read by the page's random loss projection (a different weight per unit), so
        # its units get different gradients; every layer below has equal weights above it.
        "constant_init", "Constant init: symmetry is never broken", "layers",
        "With all weights equal, every unit of a layer computes the same function and gets the same gradient (the weights "
        "above it are equal too). The hidden units stay identical forever: 500 are worth one.",
        "'Units identical' is on in every layer; dL/dW (dashed) is at the floor in layers 2–9.",
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
)
