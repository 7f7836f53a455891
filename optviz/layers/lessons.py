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
        "Each layer multiplies the activations by weights far too small for 500 inputs. The std shrinks "
        "layer after layer until every activation is zero, and so are the weight gradients: nothing learns.",
        "The histograms narrow to a spike at 0; the std curve drops by orders of magnitude.",
        _layers(dict(activation="tanh", init="normal", scale=0.01)),
    ),
    Lesson(
        "tanh_large_init", "tanh with W = 1.0·randn: everything saturates", "layers",
        "With std-1 weights over 500 inputs the pre-activations are huge. tanh squashes almost every unit "
        "to −1 or +1, where its gradient is zero, so the gradients vanish.",
        "The histograms pile up at ±1; the saturated fraction is near 100% in every layer.",
        _layers(dict(activation="tanh", init="normal", scale=1.0)),
    ),
    Lesson(
        "tanh_xavier", "tanh with Xavier: healthy", "layers",
        "Xavier initialization sets Var(W) = 1/fan_in, so each layer keeps the variance of its input. "
        "With tanh the activations stay spread out in every layer.",
        "Every layer's histogram keeps a broad shape; the std decays only slowly.",
        _layers(dict(activation="tanh", init="glorot_normal")),
    ),
    Lesson(
        "relu_xavier", "ReLU with Xavier: activations shrink (He fixes it)", "layers",
        "ReLU zeroes half of its inputs, halving the variance at every layer, so with Xavier the std "
        "shrinks by 1/√2 per layer. He initialization doubles Var(W) to 2/fan_in and compensates (network B).",
        "A's std curve slopes down steadily; B's stays flat.",
        _layers(dict(activation="relu", init="glorot_normal"), dict(activation="relu", init="he_normal")),
    ),
    Lesson(
        "relu_he", "ReLU with He: healthy", "layers",
        "He (Kaiming) initialization, Var(W) = 2/fan_in, is made for ReLU. The activations keep "
        "the same scale in every layer.",
        "The std curve is flat and the histograms look alike from layer 1 to layer 10.",
        _layers(dict(activation="relu", init="he_normal")),
    ),
    Lesson(
        "constant_init", "Constant init: symmetry is never broken", "layers",
        "If every weight is the same, every unit of a layer computes the same function and receives the "
        "same gradient. They stay identical forever, so a layer of 500 units is worth one.",
        "The 'units identical' indicator is on for every layer.",
        _layers(dict(activation="tanh", init="constant", scale=0.002)),
    ),
    Lesson(
        "batchnorm", "Batch normalization: robust to the init scale", "layers",
        "Batch norm rescales each unit's pre-activation to zero mean and unit variance over the batch. "
        "Whatever the init scale, every layer then sees the same statistics: network A (std 0.01) and B (std 1.0) agree.",
        "A's and B's curves lie on top of each other.",
        _layers(dict(activation="tanh", init="normal", scale=0.01, batchnorm=True),
                dict(activation="tanh", init="normal", scale=1.0, batchnorm=True)),
    ),
)
