"""Tests for the protocol-level Streamlit client (benchmarks/st_client.py).

A real ``streamlit run benchmarks/toy_app.py`` server on 127.0.0.1 (one per
module) is driven over its websocket; nothing is mocked.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import StreamlitServer  # noqa: E402
from st_client import (  # noqa: E402
    StreamlitClientError,
    StreamlitSession,
    encode_widget_state,
)

TOY_APP = ROOT / "benchmarks" / "toy_app.py"
LABELS = ["Learning rate", "Window", "Steps", "Noise", "Surface", "Show markers", "Title", "Raise an error"]


@pytest.fixture(scope="module")
def server():
    """The toy app served by a real Streamlit server on a free port."""
    srv = StreamlitServer(TOY_APP, env={"TOY_SLEEP": "0.02"}, cwd=ROOT)
    srv.start(timeout=60)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def session(server):
    """A connected session that has done its first run."""
    s = StreamlitSession(timeout=30)
    s.connect(server.url)
    try:
        yield s
    finally:
        s.close()


def test_connect_renders_chart_and_widgets(server):
    """connect() runs the script once: a plotly chart and all widgets arrive."""
    s = StreamlitSession(timeout=30)
    try:
        r = s.connect(server.url)
        assert r.finished and r.status == "success"
        assert r.plotly and len(r.plotly_specs) == 2
        assert r.exceptions == []
        assert [w.label for w in s.widgets] == LABELS
        assert {w.type for w in s.widgets} == {"slider", "number_input", "selectbox", "checkbox", "text_input"}
        assert all(w.id.startswith("$$ID-") and w.id.endswith("-None") for w in s.widgets)
        assert s.session_id and s.page_script_hash
        assert s.widget("Surface").value == "quadratic"
        assert s.widget("Window").value == (0, 100)
        assert s.widget("Steps").value == 50 and isinstance(s.widget("Steps").value, int)
        assert s.widget("Learning rate").value == pytest.approx(0.1)
        fig = json.loads(r.plotly_specs[0])
        assert fig["data"][0]["type"] == "scatter"
    finally:
        s.close()
    assert not s.connected


@pytest.mark.parametrize(
    ("label", "value", "field"),
    [
        ("Learning rate", 0.5, "double_array_value"),
        ("Window", (20, 80), "double_array_value"),
        ("Steps", 10, "int_value"),
        ("Noise", 0.2, "double_value"),
        ("Surface", "saddle", "string_value"),
        ("Show markers", True, "bool_value"),
        ("Title", "hello class", "string_value"),
    ],
)
def test_each_widget_type_reruns_and_changes_chart(session, label, value, field):
    """Setting a widget reruns the script with its typed value; the figure changes."""
    before = session.last_result.plotly_specs[0]
    w = session.widget(label)
    assert encode_widget_state(w).WhichOneof("value") == field
    r = session.set_widget(label, value)
    assert r.ok and r.plotly
    assert r.plotly_specs[0] != before
    got = session.widget(label).value
    assert got == (pytest.approx(value) if isinstance(value, float) else value)
    # The other widgets kept their values (all states are sent each rerun).
    assert session.widget("Surface").value == ("saddle" if label == "Surface" else "quadratic")
    # Rerunning without a change gives the same figure.
    assert session.rerun().plotly_specs[0] == r.plotly_specs[0]


def test_selectbox_accepts_index_and_rejects_unknown_option(session):
    """A selectbox value may be an option string or an index; others are refused."""
    assert session.set_widget("Surface", 1).ok
    assert session.widget("Surface").value == "rosenbrock"
    with pytest.raises(ValueError):
        session.set_widget("Surface", "no such surface")
    with pytest.raises(StreamlitClientError):
        session.set_widget("No such label", 1)


def test_exception_in_script_is_reported(session):
    """An exception element is returned; clearing the checkbox recovers."""
    r = session.set_widget("Raise an error", True)
    assert r.finished
    assert r.exceptions and r.exceptions[0][0] == "ValueError"
    assert "toy error requested" in r.exceptions[0][1]
    assert not r.plotly and not r.ok
    r = session.set_widget("Raise an error", False)
    assert r.ok and r.plotly


def test_query_string_reaches_script(server):
    """The query string is sent with every rerun (st.query_params)."""
    with StreamlitSession(timeout=30) as s:
        r = s.connect(server.url, query_string="?seed=3")
        assert "seed 3" in json.loads(r.plotly_specs[0])["layout"]["title"]["text"]
        r = s.set_widget("Title", "x")
        assert json.loads(r.plotly_specs[0])["layout"]["title"]["text"] == "x (quadratic, seed 3)"


def test_multipage_navigation(server):
    """page= selects an st.navigation page by URL path; switch_page moves between pages."""
    with StreamlitSession(timeout=30) as s:
        r = s.connect(server.url, page="other")
        assert r.ok and r.plotly and not r.page_not_found
        assert [w.label for w in s.widgets] == ["Frequency"]
        other_hash = s.page_script_hash
        assert {p["url_pathname"] for p in s.pages} == {"", "other"}
        before = r.plotly_specs[0]
        r = s.set_widget("Frequency", 7)
        assert r.ok and r.plotly_specs[0] != before and s.page_script_hash == other_hash
        r = s.switch_page("Surface")
        assert r.ok and [w.label for w in s.widgets] == LABELS
        assert s.page_script_hash != other_hash
    with StreamlitSession(timeout=30) as s:
        r = s.connect(server.url, page="no-such-page")
        assert r.page_not_found and [w.label for w in s.widgets] == LABELS


def test_forward_msg_cache(server):
    """A repeated large element comes back as a ref_hash and is resolved from the cache."""
    with StreamlitSession(timeout=30) as s:
        first = s.connect(server.url)
        again = s.rerun()
        assert again.n_cache_hits >= 1
        assert again.n_bytes < first.n_bytes / 2
        assert again.plotly_specs == first.plotly_specs  # resolved, not a hash
    with StreamlitSession(timeout=30, use_cache=False) as s:
        s.connect(server.url)
        again = s.rerun()
        assert again.n_cache_hits == 0 and len(again.plotly_specs) == 2


def test_five_concurrent_sessions(server):
    """5 sessions, each making 5 changes at the same time, all answered without error."""
    errors: list[str] = []
    titles: dict[int, str] = {}

    def user(i: int) -> None:
        try:
            with StreamlitSession(timeout=30) as s:
                r = s.connect(server.url)
                assert r.ok, r
                for j in range(5):
                    r = s.set_widget("Learning rate", round(0.05 + 0.1 * j + 0.01 * i, 3))
                    assert r.ok and r.plotly, r
                r = s.set_widget("Title", f"user {i}")
                titles[i] = json.loads(r.plotly_specs[0])["layout"]["title"]["text"]
        except Exception as exc:  # noqa: BLE001 - collected for the assert
            errors.append(f"session {i}: {exc!r}")

    threads = [threading.Thread(target=user, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    # Each session has its own state.
    assert titles == {i: f"user {i} (quadratic, seed 0)" for i in range(5)}


def test_timed_out_run_is_reported_and_session_recovers(session):
    """A run that outlives the timeout is 'timeout'; the next rerun still works."""
    r = session.rerun(timeout=0.001)
    assert not r.finished and r.status == "timeout" and not r.ok
    r = session.set_widget("Steps", 7)
    assert r.ok and r.plotly and session.widget("Steps").value == 7
