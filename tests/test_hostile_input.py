"""Untrusted links, files and values: nothing a link or a file says is interpreted as markdown, no
value raises, and no notice repeats more than a few dozen characters of what it was given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import unescaped, warnings_text
from optviz.layers.scene import LayersScene
from optviz.params import Param, shown
from optviz.pages import PAGES
from optviz.trajectories.scene import TrajectoryScene
from optviz.ui.page import MAX_NOTICES, escape_markdown, view_of

ROOT = Path(__file__).resolve().parents[1]
INJECTIONS = ["![x](http://127.0.0.1:9/pixel.png)", "[**Click here: exam solutions**](http://127.0.0.1:9/x)",
              ":red[styled]", "<img src=x onerror=alert(1)>", "$\\\\int$", "http://127.0.0.1:9/auto-link"]


def run(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / PAGES[page].script), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize("text", INJECTIONS)
def test_escaped_markdown_has_no_syntax_left(text):
    escaped = escape_markdown(text)
    # Every markdown-active character is preceded by a backslash; unescaping gives the text back.
    assert unescaped(escaped) == text
    assert "://" not in escaped and "www." not in escaped.lower()  # nothing left for an auto-link
    for i, char in enumerate(escaped):
        if char in "![]()*:<>$_`" and (i == 0 or escaped[i - 1] != "\\"):
            assert i > 0 and escaped[i - 1] == "\\", (text, escaped)


@pytest.mark.parametrize("page, where", [("trajectories", "surface"), ("trajectories", "key"), ("layers", "activation"),
                                         ("layers", "key")])
@pytest.mark.parametrize("text", INJECTIONS[:3])
def test_link_values_and_keys_are_shown_not_interpreted(page, where, text):
    at = run(page, {where: text} if where != "key" else {text: "1"})
    assert not at.exception
    source = " ".join(w.value for w in at.warning)
    assert text not in source  # the raw markdown is never sent as markdown
    assert text[:30] in warnings_text(at)  # but the reader sees what the link said (a long one is cut)


def test_a_scene_file_with_markdown_keys_and_values_is_escaped():
    scene, notices = TrajectoryScene.from_json({"surface": INJECTIONS[0], INJECTIONS[1]: 1, "optimizers": [INJECTIONS[2]]})
    assert len(notices) == 3 and all(escape_markdown(n) != n for n in notices)


@pytest.mark.parametrize("value", [10**400, -(10**400), 10**5000, "9" * 400, 1e308, "1" * 5000], ids=shown)
@pytest.mark.parametrize("name", ["steps", "learning_rate", "start", "depth", "width", "condition_number"])
def test_huge_numbers_clamp_with_a_short_notice(name, value):
    if name in ("depth", "width"):
        scene, notices = LayersScene.from_json({"network": {name: value}})
    elif name == "learning_rate":
        scene, notices = TrajectoryScene.from_json({"optimizers": ["sgd"], "hparams": {"sgd": {name: value}}})
    elif name == "start":
        scene, notices = TrajectoryScene.from_json({"start": [value, 1]})
    elif name == "condition_number":
        scene, notices = TrajectoryScene.from_json({"surface_params": {name: value}})
    else:
        scene, notices = TrajectoryScene.from_json({"run": {name: value}})
    assert 1 <= len(notices) <= 2 and all(len(n) < 250 for n in notices), notices  # (a huge width also shrinks the batch)
    json.dumps(scene.to_json(), allow_nan=False)  # the scene holds ordinary numbers


def test_shown_is_short_and_never_raises():
    assert shown(1e308) == "1e+308" and shown(10**308) == "1e+308"
    assert shown(10**5000) == "a 5001-digit number" and shown(-(10**5000)) == "-a 5001-digit number"
    assert len(shown("x" * 5_000_000)) < 80 and "5,000,000 characters" in shown("x" * 5_000_000)
    assert len(shown([10**5000] * 3)) < 80 and len(shown(list(range(10**5)))) < 80
    p = Param("n", "n", 1, 0, 10, kind="int")
    with pytest.raises(ValueError, match="out of range"):
        p.parse(10**400)
    assert p.coerce(10**400)[0] == 10 and p.coerce(-(10**400))[0] == 0


@pytest.mark.parametrize("view", ["0", "99", "²", "9" * 4301, "-1", "Contour", "2"], ids=lambda v: shown(v, 8))
def test_a_link_view_never_raises_and_unknown_ones_say_so(view):
    labels = [v.label for v in PAGES["trajectories"].views]
    chosen, notice = view_of(labels, view)
    if view in ("Contour", "2"):
        assert chosen in labels and notice is None
    else:
        assert chosen is None and "is not a view of this page" in notice and len(notice) < 250


def test_a_page_with_a_4301_digit_view_renders_and_recovers():
    at = run("trajectories", {"view": "9" * 4301})
    assert not at.exception and "is not a view of this page" in warnings_text(at)
    at.run()  # the next rerun is clean: nothing persists
    assert not at.exception and "view" not in at.query_params


def test_thirty_thousand_duplicate_optimizers_give_a_short_warning():
    at = run("trajectories", {"opt": ",".join(["sgd"] * 30_000)})
    assert not at.exception
    text = warnings_text(at)
    assert len(text) < 2_000 and "more" in text
    assert text.count("listed twice") == MAX_NOTICES


def test_one_scene_costs_at_most_max_points():
    from optviz.optimizers import OPTIMIZERS
    from optviz.trajectories.scene import MAX_OPTIMIZERS, MAX_POINTS

    # As many paths as one figure takes, none of them ignored: copies fill up past the registry.
    many = [*OPTIMIZERS, *(f"sgd-{n}" for n in range(2, MAX_OPTIMIZERS + 2))][:MAX_OPTIMIZERS]
    scene, notices = TrajectoryScene.from_json({"optimizers": many, "run": {"steps": 5000, "noise": 1.0, "paths": 32}})
    run = scene.run
    assert len(scene.optimizers) == MAX_OPTIMIZERS
    assert len(scene.optimizers) * (run["paths"] + 1) * (run["steps"] + 1) <= MAX_POINTS
    assert run["paths"] >= 1 and any("paths reduced" in n for n in notices)
    quiet, notices = TrajectoryScene.from_json({"optimizers": many, "run": {"steps": 5000, "paths": 32}})
    assert not notices and quiet.run["paths"] == 32  # without noise there is no fan to bound


def test_the_result_cache_is_bounded_by_bytes():
    from optviz.memo import ByteCache, size_of
    from optviz.trajectories.compute import compute

    scene = TrajectoryScene.build(run={"steps": 500})
    data = compute(scene)
    size = size_of(data)
    assert size > sum(r.positions.nbytes for r in data.results)  # paths, gradients, losses and the grid count
    cache = ByteCache(budget=int(2.5 * size))
    for seed in range(4):
        other = TrajectoryScene.build(run={"steps": 500, "noise": 0.1, "seed": seed})
        cache.get(other, lambda other=other: compute(other))
    assert cache.bytes <= cache.budget and len(cache._entries) <= 2


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("text, why", [("{nope", "not valid JSON"), ("[1, 2, 3]", "not a JSON object"),
                                       ('{"kind": "volcano"}', "not a"), ("[" * 100_000, "not valid JSON")])
def test_a_file_that_is_no_scene_is_refused_whole(page, text, why):
    scene_type = PAGES[page].scene_type
    scene, notices = scene_type.read(text)
    assert scene is None and why in notices[0] and len(notices[0]) < 300
    fallback, notices = scene_type.loads(text)  # the lenient reading still gives a scene
    assert fallback.to_json() == scene_type().to_json() and "using the default scene" in notices[0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_scene_files_read_in_every_unicode_encoding(encoding, tmp_path, capsys):
    from optviz.cli import main

    text = json.dumps({"kind": "layers", "network": {"depth": 3, "width": 20, "batch": 20}})
    raw = text.encode(encoding)
    if encoding == "utf-16":  # an editor that kept the UTF-8 byte-order mark when converting
        raw = ("\ufeff" + text).encode("utf-16")
    scene, notices = PAGES["layers"].scene_type.read(raw)
    assert not notices and scene.a.depth == 3
    path = tmp_path / "scene.json"
    path.write_bytes(raw)
    assert main(["export", "--scene", str(path), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 0


def test_the_cli_reads_a_scene_from_standard_input_and_says_what_is_wrong(tmp_path, monkeypatch, capsys):
    import io

    from optviz.cli import main

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"[1, 2, 3]")))
    assert main(["export", "--scene", "-", "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    assert "holds [1, 2, 3], not a JSON object" in capsys.readouterr().err
    huge = {"kind": "trajectory", "hparams": {"sgd": {"learning_rate": "1" * 1_000_000}}, "optimizers": ["sgd"] * 30_000}
    (tmp_path / "huge.json").write_text(json.dumps(huge))
    assert main(["export", "--scene", str(tmp_path / "huge.json"), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert len(err) < 2_000 and "more" in err and "Traceback" not in err
