"""Captions under a figure, so an exported slide says what it shows."""

from __future__ import annotations

import textwrap
from typing import Any, Callable, Iterable, Mapping, Sequence

import plotly.graph_objects as go

from optviz.style import CHAR_WIDTH_EM

CAPTION_NAME = "optviz-caption"

# plotly.js's own defaults when neither the layout nor its template sets them.
_PLOTLY_DEFAULT_MARGIN = {"l": 80, "r": 80, "t": 100, "b": 80}
_PLOTLY_DEFAULT_FONT_SIZE = 12
_DEFAULT_WIDTH = 700
_LINE_HEIGHT_EM = 1.3
_PAD_PX = 12


def with_caption(fig: go.Figure | dict, text: str, *, font_size: float | None = None) -> go.Figure:
    """A copy of `fig` with `text` as a caption under the plot, the bottom margin grown to fit.

    The caption is a paper-referenced annotation (works for 2-D and 3-D figures) left-aligned
    at the figure's left edge, below whatever already fits in the bottom margin (tick labels,
    axis title). Long text is wrapped to the figure width; "\\n" starts a new line. The text is
    shown literally ("<", ">" and "&" are escaped). Captioning a captioned figure replaces the
    caption.

    Args:
      fig: a `go.Figure` or figure dict (not modified).
      text: the caption.
      font_size: default 0.9 x the figure's font size.

    Returns:
      The captioned copy.
    """
    out = go.Figure(fig)
    layout = out.layout
    base_b = _margin(out, "b")
    kept = []
    for ann in layout.annotations or ():
        if ann.name == CAPTION_NAME:  # undo the earlier caption: its yshift records the old margin
            old_b = base_b
            base_b = -float(ann.yshift or 0) - _PAD_PX / 2
            out.update_layout(margin_b=base_b)
            if layout.height is not None:
                out.update_layout(height=int(round(layout.height - (old_b - base_b))))
        else:
            kept.append(ann)
    layout.annotations = kept
    if not text or not text.strip():
        return out

    base_font = layout.font.size or _template_get(out, ("font", "size")) or _PLOTLY_DEFAULT_FONT_SIZE
    size = float(font_size or max(10.0, round(0.9 * base_font)))
    width = layout.width or _template_get(out, ("width",)) or _DEFAULT_WIDTH
    lines = wrap_lines(text, max(20, int((width - 2 * _PAD_PX) / (CHAR_WIDTH_EM * size))))
    height = len(lines) * size * _LINE_HEIGHT_EM + 2 * _PAD_PX

    left = _margin(out, "l")
    out.add_annotation(
        name=CAPTION_NAME,
        text="<br>".join(_escape(line) for line in lines),
        xref="paper", yref="paper", x=0, y=0,
        xanchor="left", yanchor="top", align="left",
        xshift=-left + _PAD_PX, yshift=-base_b - _PAD_PX / 2,
        showarrow=False,
        font=dict(size=size, color="#333333"),
    )
    out.update_layout(margin=dict(b=int(round(base_b + height)), autoexpand=True))
    if layout.height is not None:
        out.update_layout(height=int(round(layout.height + height)))
    return out


def caption_text(fig: go.Figure) -> str | None:
    """The caption `with_caption` put on `fig` (unescaped, lines joined by spaces), or None."""
    for ann in fig.layout.annotations or ():
        if ann.name == CAPTION_NAME:
            text = (ann.text or "").replace("<br>", " ")
            return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return None


def wrap_lines(text: str, width: int) -> list[str]:
    """Split at "\\n", then wrap each paragraph at `width` characters."""
    lines: list[str] = []
    for para in text.strip().split("\n"):
        lines.extend(textwrap.wrap(para, width=width, break_long_words=True) or [""])
    return lines


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def trajectory_caption(surface: str, results: Iterable[Any], steps: int | None = None,
                       extra: Mapping[str, Any] | None = None, *, details: Sequence[str] = (),
                       describe: Callable[[Any], str] | None = None, start: Sequence[float] | None = None,
                       escapes: bool = False) -> str:
    """One caption for a trajectory figure: surface, start, steps, each optimizer with its hyperparameters.

    `results` are trajectory results (attributes `label`, `optimizer`, `hparams`, optional
    `diverged_at`, `seed`, `instance`, `full_batch`). Example: "Rosenbrock · 200 steps · SGD
    (learning_rate=0.001) · Adam (learning_rate=0.01, b1=0.9) diverged at step 37". A noisy fan
    (paths with a seed) is one entry: "SGD (η = 0.2): 12 noisy paths (3 diverged) and the full-batch path".

    Args:
      surface: the surface, with its parameters if any ("Ravine (κ = 50, rotation angle 0°)").
      results: the paths, in the scene's order.
      steps: the number of steps.
      extra: more settings, written "name=value".
      details: more phrases, written as given (a schedule, the gradient noise, a penalty).
      describe: a path's name and settings, e.g. "SGD (η = 0.1)" (default: its label and every
        hyperparameter, "name=value"); for a noisy fan, of the fan's first path.
      start: the start point.
      escapes: the surface is unbounded below: a path that left the bounds ("out of bounds")
        escaped downhill rather than diverged.
    """
    parts = [surface]
    if start is not None:
        parts.append(f"start ({', '.join(_number(v) for v in start)})")
    if steps is not None:
        parts.append(f"{steps} steps")
    if extra:
        parts.append(", ".join(f"{k}={_fmt(v)}" for k, v in extra.items()))
    parts += [d for d in details if d]

    def described(r: Any, name: str) -> str:
        if describe is not None:
            return describe(r)
        hp = getattr(r, "hparams", None) or {}
        return f"{name} ({', '.join(f'{k}={_fmt(v)}' for k, v in hp.items())})" if hp else name

    results = list(results)
    fans: dict[str, list[Any]] = {}
    for r in results:
        if getattr(r, "seed", None) is not None:
            fans.setdefault(_group(r), []).append(r)
    done = set()
    for r in results:
        fan = fans.get(_group(r), [])
        name = getattr(r, "label", None) or getattr(r, "optimizer", "?")
        if len(fan) > 1 and (getattr(r, "seed", None) is not None or getattr(r, "full_batch", False)):
            if _group(r) in done:
                continue
            done.add(_group(r))
            base = str(name).split(" (seed ")[0].removesuffix(" (full batch)")
            stopped = sum(getattr(f, "diverged_at", None) is not None for f in fan)
            full = [f for f in results if _group(f) == _group(r) and getattr(f, "full_batch", False)]
            item = f"{described(r, base)}: {len(fan)} noisy paths" + (f" ({stopped} diverged)" if stopped else "")
            if full:
                item += " and the full-batch path"
                if getattr(full[0], "diverged_at", None) is not None:
                    item += f" (diverged at step {full[0].diverged_at})"
            parts.append(item)
            continue
        item = described(r, str(name))
        if getattr(r, "diverged_at", None) is not None:
            escaped = escapes and getattr(r, "divergence", None) == "out of bounds"
            item += f" {'escaped downhill' if escaped else 'diverged'} at step {r.diverged_at}"
        parts.append(item)
    return " · ".join(parts)


def _group(result: Any) -> str:
    return getattr(result, "instance", "") or getattr(result, "optimizer", "")


def _number(value: float) -> str:
    """A coordinate for a caption: up to 4 significant digits, a true minus sign."""
    return f"{float(value):.4g}".replace("-", "−")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _template_get(fig: go.Figure, keys: tuple[str, ...]) -> Any:
    node: Any = fig.layout.template.layout if fig.layout.template else None
    for key in keys:
        if node is None:
            return None
        node = node[key] if key in node else None
    return node


def _margin(fig: go.Figure, side: str) -> float:
    value = getattr(fig.layout.margin, side)
    if value is None:
        value = _template_get(fig, ("margin", side))
    return float(value if value is not None else _PLOTLY_DEFAULT_MARGIN[side])
