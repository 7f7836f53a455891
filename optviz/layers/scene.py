"""LayersScene: the initialization page's state (a network, optionally a second one to compare);
<-> URL query params <-> JSON, validated like TrajectoryScene (clamp or drop, with notices).

URL keys are NETWORK_PARAMS names for network A and `b.<name>` for network B (`compare=true`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from optviz.initializers import INITIALIZERS
from optviz.layers.network import NETWORK_PARAMS, NetworkConfig
from optviz.params import parse_bool, shown
from optviz.scenes import PAGE_KEYS, SceneFile, flat_query, mapping, unknown_keys

SCENE_VERSION = 1
B_PREFIX = "b."
COMPARE_KEY = "compare"  # the link's switch for network B
RESERVED_KEYS = (COMPARE_KEY, *PAGE_KEYS)


@dataclass(frozen=True)
class LayersScene(SceneFile):
    """Network A, and network B when comparing (e.g. Xavier vs He on ReLU); an optviz.page.Scene."""

    KIND: ClassVar[str] = "layers"

    a: NetworkConfig = NetworkConfig()
    b: NetworkConfig | None = None

    @classmethod
    def build(cls, network: Mapping[str, Any] | None = None, compare: Mapping[str, Any] | None = None) -> "LayersScene":
        """A scene from plain values (trusted: registry code and lessons); ValueError on any notice."""
        scene, notices = cls.from_json({"network": dict(network or {}), "compare": dict(compare) if compare is not None else None})
        if notices:
            raise ValueError("; ".join(notices))
        return scene

    @property
    def networks(self) -> list[tuple[str, NetworkConfig]]:
        """[(label, config)] of the shown networks."""
        out = [(self.label("a"), self.a)]
        if self.b is not None:
            out.append((self.label("b"), self.b))
        return out

    def label(self, which: str) -> str:
        """A network's legend label: its activation and init, then every setting that is not the
        lecture's default ("A: relu, He normal, residual, zero-init last, bias -0.5")."""
        config = self.a if which == "a" else self.b
        init = INITIALIZERS[config.init].label
        if INITIALIZERS[config.init].uses_scale:
            init += f" {config.scale:g}"
        activation = config.activation
        for name, value in config.activation_values.items():  # leaky ReLU's slope, when not its default
            if value != NetworkConfig.__dataclass_fields__[name].default:
                activation += f" {value:g}"
        text = f"{activation}, {init}" + (f", gain {config.gain:g}" if config.gain != 1 else "")
        if config.batchnorm:
            text += ", batch norm"
            if config.bn_gamma != 1 or config.bn_beta != 0:
                text += f" \u03b3 {config.bn_gamma:g} \u03b2 {config.bn_beta:g}"
        if config.residual:
            text += ", residual" + (f" s {config.branch_scale:g}" if config.branch_scale != 1 else "")
            text += ", zero-init last" if config.zero_last else ""
        text += f", bias {config.bias:g}" if config.bias != 0 else ""
        text += f", input mean {config.input_mean:g}" if config.input_mean != 0 else ""
        return f"{which.upper()}: {text}" if self.b is not None else text

    # -- JSON --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"kind": self.KIND, "version": SCENE_VERSION, "network": self.a.values(),
                "compare": self.b.values() if self.b is not None else None}

    @classmethod
    def from_json(cls, data: Any) -> tuple["LayersScene", list[str]]:
        if not isinstance(data, Mapping):
            return LayersScene(), ["scene file: expected a JSON object; using the default scene"]
        if data.get("kind", cls.KIND) != cls.KIND:
            return LayersScene(), [f"scene file: kind {shown(data.get('kind'))} is not a layers scene; using the default scene"]
        notices: list[str] = []
        unknown_keys(data, ("kind", "version", "network", "compare"), notices)
        a, n = NetworkConfig.from_values(mapping(data.get("network"), notices, "network"), "network A")
        notices += n
        b = None
        if data.get("compare") is not None and data.get("compare") is not False:  # false: no network B, as null
            b, n = NetworkConfig.from_values(mapping(data.get("compare"), notices, "compare"), "network B")
            notices += n
        return LayersScene(a, b), notices

    # -- URL ---------------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        query = {p.name: p.format(getattr(self.a, p.name)) for p in NETWORK_PARAMS}
        if self.b is not None:
            query[COMPARE_KEY] = "true"  # TRUE_WORDS of optviz.params
            query.update({B_PREFIX + p.name: p.format(getattr(self.b, p.name)) for p in NETWORK_PARAMS})
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> tuple["LayersScene", list[str]]:
        flat = flat_query(query)
        names = {p.name for p in NETWORK_PARAMS}
        a_values, b_values, notices = {}, {}, []
        for key, value in flat.items():
            if key in RESERVED_KEYS:
                continue
            if key in names:
                a_values[key] = value
            elif key.startswith(B_PREFIX) and key[len(B_PREFIX):] in names:
                b_values[key[len(B_PREFIX):]] = value
            else:
                notices.append(f"link: unknown parameter {shown(key)} ignored")
        compare = parse_bool(flat.get(COMPARE_KEY, False)) is True
        if b_values and not compare:
            notices.append("link: b.* settings ignored (compare is off)")
        scene, more = LayersScene.from_json({"network": a_values, "compare": b_values if compare else None})
        return scene, notices + more
