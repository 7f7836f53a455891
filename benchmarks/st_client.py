"""A protocol-level Streamlit client: one browser tab without the browser.

Speaks Streamlit 1.67's websocket protocol (``/_stcore/stream``, protobuf
``BackMsg`` up, ``ForwardMsg`` down) the way the frontend does, so a load test
can drive many sessions from one process:

* connect: ``GET /_stcore/health`` (the server sets the ``_streamlit_xsrf``
  cookie there), then open the websocket with the subprotocol list
  ``["streamlit", <xsrf token or PLACEHOLDER_AUTH_TOKEN>]`` and an ``Origin``
  header for the same host.  The server never runs the script on its own: the
  client's first ``rerun_script`` starts the run.
* rerun: ``BackMsg.rerun_script`` carries a ``ClientState`` with every current
  widget's value (``widget_states``), the query string, the page
  (``page_script_hash``, or on the very first run ``page_name`` = the URL path
  of a ``st.navigation`` page), the hashes of the messages in the client's
  forward-message cache and the browser context (timezone, locale, url).
* a run is over when, after a ``new_session`` for it, a ``script_finished``
  arrives whose status is not ``FINISHED_EARLY_FOR_RERUN`` (``st.rerun()``
  ends one run early and starts the next).
* caching: the server replaces a large (>= ``global.minCachedMessageSize``,
  10 kB) ``new_element`` delta by a ``ref_hash`` message *only if* the client
  listed that hash in ``cached_message_hashes``.  This client keeps the same
  cache as the frontend (entries expire after ``max_cached_message_age`` = 2
  finished runs without use), so the bytes on the wire match a browser's; pass
  ``use_cache=False`` to always get full messages.

Example::

    s = StreamlitSession()
    first = s.connect("http://127.0.0.1:8501", page="lesson", query_string="seed=3")
    print([w.label for w in s.widgets], first.plotly)
    r = s.set_widget("Learning rate", 0.3)
    print(r.elapsed, r.plotly, r.exceptions)
    s.close()
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import websocket  # websocket-client
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider as SliderProto
from streamlit.proto.NumberInput_pb2 import NumberInput as NumberInputProto
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

__all__ = [
    "coerce_value",
    "encode_widget_state",
    "plotly_figure",
    "RerunResult",
    "StreamlitSession",
    "StreamlitClientError",
    "Widget",
    "WIDGET_TYPES",
]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from harness import HEALTH_PATH  # noqa: E402  (servers, ports and Chromium: tests/harness.py)

STREAM_PATH = "_stcore/stream"
XSRF_COOKIE = "_streamlit_xsrf"

#: Element types (``Element.WhichOneof("type")``) that this client treats as
#: widgets and knows how to encode.
WIDGET_TYPES = frozenset(
    {
        "slider",  # also st.select_slider (Slider.type == SELECT_SLIDER)
        "number_input",
        "selectbox",
        "radio",
        "multiselect",
        "checkbox",  # also st.toggle
        "text_input",
        "text_area",
        "color_picker",
        "button",
    }
)

_DONE_STATUSES = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "success",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile_error",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment_success",
}


class StreamlitClientError(RuntimeError):
    """Raised for protocol errors (cache miss, closed socket, unknown widget)."""


@dataclass
class Widget:
    """One widget as the client sees it.

    ``id`` is the server's element id, ``"$$ID-<hash>-<user key or None>"``;
    ``type`` the element type (``"slider"``, ``"number_input"``, ...);
    ``value`` the value the client sends on the next rerun, in Python terms
    (slider: float or tuple of floats, select_slider/selectbox/radio: option
    string(s), checkbox: bool, ...).  ``proto`` is the element's protobuf.
    """

    id: str
    type: str
    label: str
    value: Any
    proto: Any = field(repr=False)
    form_id: str = ""
    delta_path: tuple[int, ...] = ()

    @property
    def key(self) -> str | None:
        """The user key given to the widget in the script, if any."""
        tail = self.id.split("-", 2)[-1] if self.id.startswith("$$ID-") else ""
        return None if tail in ("", "None") else tail

    @property
    def options(self) -> list[str]:
        """The option strings of a selectbox, radio, multiselect or select_slider."""
        return list(getattr(self.proto, "options", []))


@dataclass
class RerunResult:
    """What one script run sent back.

    ``elapsed``: seconds from sending the ``rerun_script`` BackMsg to receiving
    the run's final ``script_finished``.  ``finished`` is False when the run
    did not finish within the timeout (``status == "timeout"``) or the socket
    closed (``"disconnected"``).  ``plotly_specs`` holds the figure JSON of every
    ``st.plotly_chart`` in the run, ``exceptions`` one ``(type, message)`` per
    ``exception`` element (and per compile error).
    """

    elapsed: float
    finished: bool
    status: str
    plotly_specs: list[str] = field(default_factory=list)
    exceptions: list[tuple[str, str]] = field(default_factory=list)
    widgets: list[Widget] = field(default_factory=list)
    element_types: list[str] = field(default_factory=list)
    page_script_hash: str = ""
    page_not_found: bool = False
    n_messages: int = 0
    n_bytes: int = 0
    n_cache_hits: int = 0

    @property
    def plotly(self) -> bool:
        """Whether at least one plotly chart element arrived in this run."""
        return bool(self.plotly_specs)

    @property
    def ok(self) -> bool:
        """Finished, and without exception elements."""
        return self.finished and not self.exceptions


@dataclass
class _CacheEntry:
    payload: bytes
    run_count: int
    fragment_id: str


def _http_base(base_url: str) -> str:
    if "://" not in base_url:
        base_url = "http://" + base_url
    return base_url.rstrip("/") + "/"


def _ws_url(http_base: str) -> str:
    parts = urllib.parse.urlsplit(http_base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path + STREAM_PATH, "", ""))


def _origin(http_base: str) -> str:
    parts = urllib.parse.urlsplit(http_base)
    return f"{parts.scheme}://{parts.netloc}"


def _fetch_xsrf_cookie(http_base: str, timeout: float) -> str | None:
    """GET /_stcore/health like the frontend's init pings; return the XSRF cookie."""
    try:
        with urllib.request.urlopen(http_base + HEALTH_PATH, timeout=timeout) as resp:
            cookies = resp.headers.get_all("Set-Cookie") or []
    except (urllib.error.URLError, OSError):
        return None
    for header in cookies:
        name, _, rest = header.partition("=")
        if name.strip() == XSRF_COOKIE:
            return rest.split(";", 1)[0].strip()
    return None


def _initial_value(wtype: str, p: Any) -> Any:
    """The value a freshly mounted frontend widget holds (set_value or default)."""
    if wtype == "slider":
        if p.type == SliderProto.SELECT_SLIDER:
            if p.set_value and len(p.raw_value):
                vals: list[Any] = list(p.raw_value)
            else:
                vals = [p.options[int(i)] for i in p.default]
        else:
            vals = list(p.value) if p.set_value else list(p.default)
            if p.data_type == SliderProto.INT:
                vals = [int(v) for v in vals]
        return vals[0] if len(vals) == 1 else tuple(vals)
    if wtype == "number_input":
        if p.set_value and p.HasField("value"):
            v = p.value
        elif p.HasField("default"):
            v = p.default
        else:
            return None
        return int(v) if p.data_type == NumberInputProto.INT else float(v)
    if wtype in ("selectbox", "radio"):
        if p.HasField("raw_value"):
            return p.raw_value
        if p.HasField("default") and len(p.options):
            return p.options[p.default]
        return None
    if wtype == "multiselect":
        if p.set_value:
            return list(p.raw_values)
        return [p.options[i] for i in p.default]
    if wtype == "checkbox":
        return bool(p.value if p.set_value else p.default)
    if wtype in ("text_input", "text_area"):
        if p.set_value and p.HasField("value"):
            return p.value
        return p.default if p.HasField("default") else None
    if wtype == "color_picker":
        return p.value if p.set_value else p.default
    return None  # button: a trigger, no persistent value


def coerce_value(widget: Widget, value: Any) -> Any:
    """Check and convert a caller's value to the widget's Python value."""
    wtype, p = widget.type, widget.proto
    if wtype == "slider":
        seq = list(value) if isinstance(value, (list, tuple)) else [value]
        if p.type == SliderProto.SELECT_SLIDER:
            opts = list(p.options)
            out = []
            for v in seq:
                s = str(v)
                if s not in opts:
                    raise ValueError(f"{widget.label!r}: {v!r} is not one of {opts}")
                out.append(s)
        else:
            out = [float(v) for v in seq]
            if any(not (p.min <= v <= p.max) for v in out):
                raise ValueError(f"{widget.label!r}: {value!r} outside [{p.min}, {p.max}]")
            if p.data_type == SliderProto.INT:
                out = [int(v) for v in out]
        return out[0] if len(out) == 1 else tuple(out)
    if wtype == "number_input":
        if value is None:
            return None
        return int(value) if p.data_type == NumberInputProto.INT else float(value)
    if wtype in ("selectbox", "radio"):
        if value is None:
            return None
        opts = list(p.options)
        s = str(value)
        if s in opts or getattr(p, "accept_new_options", False):
            return s
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(opts):
            return opts[value]  # an index, as older Streamlit versions sent
        raise ValueError(f"{widget.label!r}: {value!r} is not one of {opts}")
    if wtype == "multiselect":
        seq = [value] if isinstance(value, str) else list(value)
        return [str(v) for v in seq]
    if wtype == "checkbox":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if wtype in ("text_input", "text_area", "color_picker"):
        return None if value is None else str(value)
    if wtype == "button":
        return bool(value)
    raise StreamlitClientError(f"cannot set a {wtype!r} widget")


def encode_widget_state(widget: Widget, value: Any = None) -> WidgetState | None:
    """Encode a widget's value as the 1.67 frontend does; None = send nothing.

    slider: ``double_array_value`` (select_slider: ``string_array_value`` of
    option strings); number_input: ``int_value`` (INT) or ``double_value``
    (FLOAT); selectbox, radio: ``string_value`` (the option string, no longer
    an index); multiselect: ``string_array_value``; checkbox/toggle:
    ``bool_value``; text_input, text_area, color_picker: ``string_value``;
    button: ``trigger_value`` (only when clicked).
    """
    v = widget.value if value is None else value
    if v is None:
        return None  # a cleared widget: the frontend sends no value field
    ws = WidgetState(id=widget.id)
    wtype, p = widget.type, widget.proto
    if wtype == "slider":
        seq = list(v) if isinstance(v, (list, tuple)) else [v]
        if p.type == SliderProto.SELECT_SLIDER:
            ws.string_array_value.data.extend(str(x) for x in seq)
        else:
            ws.double_array_value.data.extend(float(x) for x in seq)
    elif wtype == "number_input":
        if p.data_type == NumberInputProto.INT:
            ws.int_value = int(v)
        else:
            ws.double_value = float(v)
    elif wtype in ("selectbox", "radio", "text_input", "text_area", "color_picker"):
        ws.string_value = str(v)
    elif wtype == "multiselect":
        ws.string_array_value.data.extend(str(x) for x in v)
    elif wtype == "checkbox":
        ws.bool_value = bool(v)
    elif wtype == "button":
        if not v:
            return None
        ws.trigger_value = True
    else:
        return None
    return ws


class StreamlitSession:
    """One Streamlit session over the websocket protocol (one browser tab).

    Not thread-safe: use one instance per thread.  Every method that runs the
    script blocks until the run finishes or ``timeout`` seconds pass.
    """

    def __init__(
        self,
        timeout: float = 60.0,
        use_cache: bool = True,
        context_info: bool = True,
    ) -> None:
        self.timeout = timeout
        self.use_cache = use_cache
        self.context_info = context_info
        self.session_id: str = ""
        self.base_url: str = ""
        self.page_script_hash: str = ""
        self.main_script_hash: str = ""
        self.query_string: str = ""
        self.pages: list[dict[str, Any]] = []
        self.last_result: RerunResult | None = None
        self.script_is_running = False
        self._ws: websocket.WebSocket | None = None
        self._widgets: dict[str, Widget] = {}
        self._cache: dict[str, _CacheEntry] = {}
        self._run_count = 0
        self._max_cached_age = 2
        self._page_name = ""
        self._desynced = False

    # -- connection -------------------------------------------------------

    def connect(
        self,
        base_url: str,
        page: str | None = None,
        query_string: str = "",
        run: bool = True,
    ) -> RerunResult | None:
        """Open the websocket and, like a page load, run the script once.

        ``page`` is a ``st.navigation`` page's URL path (``"lesson"`` for
        ``http://host/lesson``); None is the default page.  ``query_string`` is
        the URL's query without ``?``.  Returns the first run's result (None if
        ``run`` is False).
        """
        if self._ws is not None:
            raise StreamlitClientError("already connected")
        http_base = _http_base(base_url)
        self.base_url = http_base
        self.query_string = query_string.lstrip("?")
        self._page_name = (page or "").strip("/")
        self.page_script_hash = ""
        token = _fetch_xsrf_cookie(http_base, min(self.timeout, 10.0))
        headers = []
        if token:
            headers.append(f"Cookie: {XSRF_COOKIE}={token}")
        ws = websocket.WebSocket(enable_multithread=False, skip_utf8_validation=True)
        ws.connect(
            _ws_url(http_base),
            subprotocols=["streamlit", token or "PLACEHOLDER_AUTH_TOKEN"],
            origin=_origin(http_base),
            header=headers,
            timeout=self.timeout,
        )
        self._ws = ws
        if not run:
            return None
        return self.rerun()

    def close(self) -> None:
        """Close the websocket (the server then shuts the session down)."""
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.close(timeout=2)
            except Exception:  # noqa: BLE001 - closing a dead socket
                pass

    def __enter__(self) -> "StreamlitSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        """Whether the websocket is open."""
        return self._ws is not None and self._ws.connected

    # -- widgets ----------------------------------------------------------

    @property
    def widgets(self) -> list[Widget]:
        """The widgets of the last finished run, in the order they arrived."""
        return list(self._widgets.values())

    def widget(self, label: str | None = None, *, key: str | None = None, type: str | None = None) -> Widget:
        """Find one widget by exact label (or by user key); optionally filter by type."""
        found = [
            w
            for w in self._widgets.values()
            if (label is None or w.label == label)
            and (key is None or w.key == key)
            and (type is None or w.type == type)
        ]
        if not found and label is not None and key is None:
            low = label.strip().lower()
            found = [w for w in self._widgets.values() if w.label.strip().lower() == low]
        if len(found) != 1:
            have = [(w.type, w.label, w.key) for w in self._widgets.values()]
            what = "no" if not found else f"{len(found)}"
            raise StreamlitClientError(
                f"{what} widget(s) match label={label!r} key={key!r} type={type!r}; have {have}"
            )
        return found[0]

    def widget_states(self, overrides: Mapping[str, Any] | None = None) -> WidgetStates:
        """The WidgetStates the browser would send: every widget's value, plus overrides.

        ``overrides`` maps widget id (or label) to a new Python value.
        """
        by_id = dict(self._resolve_overrides(overrides or {}))
        states = WidgetStates()
        for w in self._widgets.values():
            if w.form_id:
                continue  # form widgets are sent only on submit; not modelled
            ws = encode_widget_state(w, by_id.get(w.id))
            if ws is not None:
                states.widgets.append(ws)
        return states

    def _resolve_overrides(self, overrides: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
        for k, v in overrides.items():
            w = self._widgets.get(k) or self.widget(k)
            yield w.id, coerce_value(w, v)

    def set_widget(self, label: str, value: Any, *, key: str | None = None) -> RerunResult:
        """Set one widget (found by label, or key) to ``value`` and rerun with all states."""
        w = self.widget(None if key is not None else label, key=key)
        new = coerce_value(w, value)
        if w.type != "button":
            w.value = new
        return self.rerun(None if w.type != "button" else {w.id: True})

    def click(self, label: str) -> RerunResult:
        """Press a ``st.button`` (sends ``trigger_value`` once)."""
        return self.set_widget(label, True)

    # -- pages ------------------------------------------------------------

    def switch_page(self, url_path: str) -> RerunResult:
        """Go to another ``st.navigation`` page, as a click in the sidebar does."""
        for p in self.pages:
            if p["url_pathname"] == url_path.strip("/") or p["page_name"] == url_path:
                self.page_script_hash = p["page_script_hash"]
                self._widgets.clear()  # the frontend only keeps widgets of the new page
                return self.rerun()
        raise StreamlitClientError(f"no page {url_path!r}; have {[p['url_pathname'] for p in self.pages]}")

    # -- running ----------------------------------------------------------

    def rerun(
        self,
        widget_states: Mapping[str, Any] | WidgetStates | None = None,
        timeout: float | None = None,
    ) -> RerunResult:
        """Send a ``rerun_script`` BackMsg and collect ForwardMsgs until the run ends.

        ``widget_states``: None sends every widget's current value (what a
        browser sends); a mapping {id or label: value} changes some of them for
        this run (the change is kept); a ``WidgetStates`` proto is sent as is.
        """
        if self._ws is None:
            raise StreamlitClientError("not connected")
        timeout = self.timeout if timeout is None else timeout
        if self._desynced:
            self._drain(min(timeout, 10.0))
        if isinstance(widget_states, WidgetStates):
            states = widget_states
        else:
            overrides = dict(self._resolve_overrides(widget_states or {}))
            for wid, v in overrides.items():
                if self._widgets[wid].type != "button":
                    self._widgets[wid].value = v
            triggers = {k: v for k, v in overrides.items() if self._widgets[k].type == "button"}
            states = self.widget_states(triggers)

        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.widget_states.CopyFrom(states)
        cs.page_script_hash = self.page_script_hash
        if not self.page_script_hash:
            cs.page_name = self._page_name
        if self.use_cache:
            cs.cached_message_hashes.extend(self._cache.keys())
        if self.context_info:
            ci = cs.context_info
            ci.timezone = "UTC"
            ci.timezone_offset = 0
            ci.locale = "en-US"
            ci.url = self._page_url()
            ci.is_embedded = False
            ci.color_scheme = "light"

        t0 = time.perf_counter()
        self._ws.send_binary(msg.SerializeToString())
        result = self._collect(t0, timeout)
        self.last_result = result
        return result

    def _page_url(self) -> str:
        url = self.base_url + self._page_name
        return url + ("?" + self.query_string if self.query_string else "")

    def _collect(self, t0: float, timeout: float) -> RerunResult:
        """Read ForwardMsgs until the run started by our rerun finishes."""
        res = RerunResult(elapsed=0.0, finished=False, status="timeout")
        deadline = t0 + timeout
        seen_new_session = False
        run_widgets: dict[str, Widget] = {}
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            try:
                fmsg, nbytes, hit = self._recv(remaining)
            except websocket.WebSocketTimeoutException:
                break
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                res.status = "disconnected"
                self._ws = None
                break
            if fmsg is None:
                continue
            res.n_messages += 1
            res.n_bytes += nbytes
            res.n_cache_hits += hit
            kind = fmsg.WhichOneof("type")
            if kind == "new_session":
                seen_new_session = True
                self._on_new_session(fmsg)
                res.page_script_hash = self.page_script_hash
                # A new run (also after st.rerun()): collect its elements afresh.
                res.plotly_specs.clear()
                res.exceptions.clear()
                res.element_types.clear()
                run_widgets = {}
            elif kind == "delta":
                self._on_delta(fmsg, res, run_widgets)
            elif kind == "navigation":
                nav = fmsg.navigation
                self.pages = [
                    {
                        "page_script_hash": p.page_script_hash,
                        "page_name": p.page_name,
                        "url_pathname": p.url_pathname,
                        "is_default": p.is_default,
                    }
                    for p in nav.app_pages
                ]
                if nav.page_script_hash:
                    self.page_script_hash = nav.page_script_hash
            elif kind == "page_info_changed":
                # st.query_params changed the URL: the browser sends it with every later rerun.
                self.query_string = fmsg.page_info_changed.query_string
            elif kind == "page_not_found":
                res.page_not_found = True
            elif kind == "session_status_changed":
                self.script_is_running = fmsg.session_status_changed.script_is_running
            elif kind == "session_event":
                ev = fmsg.session_event
                if ev.WhichOneof("type") == "script_compilation_exception":
                    e = ev.script_compilation_exception
                    res.exceptions.append((e.type, e.message))
            elif kind == "script_finished":
                status = fmsg.script_finished
                fragment_ids = list(fmsg.metadata.run.fragment_ids)
                if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN and seen_new_session:
                    self._age_cache(fragment_ids)
                if seen_new_session and status in _DONE_STATUSES:
                    res.elapsed = time.perf_counter() - t0
                    res.finished = True
                    res.status = _DONE_STATUSES[status]
                    if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                        # Like clearStaleNodes + removeInactiveWidgetState.
                        self._widgets = run_widgets
                    else:
                        self._widgets.update(run_widgets)
                    break
        if not res.finished:
            res.elapsed = time.perf_counter() - t0
            self._desynced = res.status == "timeout"
            self._widgets.update(run_widgets)
        else:
            self._desynced = False
        res.widgets = list(self._widgets.values())
        return res

    def _drain(self, timeout: float) -> None:
        """After a timed-out run, read until that run finishes (or give up)."""
        deadline = time.perf_counter() + timeout
        while self._ws is not None and time.perf_counter() < deadline:
            try:
                fmsg, _, _ = self._recv(deadline - time.perf_counter())
            except websocket.WebSocketTimeoutException:
                break
            if fmsg is not None and fmsg.WhichOneof("type") == "script_finished":
                if fmsg.script_finished in _DONE_STATUSES:
                    break
        self._desynced = False

    def _recv(self, timeout: float) -> tuple[ForwardMsg | None, int, int]:
        """Receive one ForwardMsg, resolving ``ref_hash`` from the cache."""
        assert self._ws is not None
        self._ws.settimeout(max(timeout, 0.001))
        opcode, data = self._ws.recv_data()
        if opcode != websocket.ABNF.OPCODE_BINARY:
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise websocket.WebSocketConnectionClosedException("closed by server")
            return None, len(data or b""), 0
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "ref_hash":
            entry = self._cache.get(msg.ref_hash)
            if entry is None:
                raise StreamlitClientError(f"forward-msg cache miss for hash {msg.ref_hash}")
            entry.run_count = self._run_count
            full = ForwardMsg()
            full.ParseFromString(entry.payload)
            full.metadata.CopyFrom(msg.metadata)
            return full, len(data), 1
        if self.use_cache and msg.metadata.cacheable and msg.hash:
            entry = self._cache.get(msg.hash)
            if entry is None:
                self._cache[msg.hash] = _CacheEntry(
                    bytes(data), self._run_count, msg.delta.fragment_id if msg.HasField("delta") else ""
                )
            else:
                entry.run_count = self._run_count
        return msg, len(data), 0

    def _age_cache(self, fragment_ids: list[str]) -> None:
        """Count one finished run and expire entries, as the frontend cache does."""
        self._run_count += 1
        for h in list(self._cache):
            e = self._cache[h]
            if fragment_ids and (not e.fragment_id or e.fragment_id not in fragment_ids):
                continue
            if self._run_count - e.run_count > self._max_cached_age:
                del self._cache[h]

    def _on_new_session(self, fmsg: ForwardMsg) -> None:
        ns = fmsg.new_session
        self.page_script_hash = ns.page_script_hash
        self.main_script_hash = ns.main_script_hash
        self._max_cached_age = ns.config.max_cached_message_age or self._max_cached_age
        if ns.initialize.session_id:
            self.session_id = ns.initialize.session_id
        if ns.app_pages and not self.pages:
            self.pages = [
                {
                    "page_script_hash": p.page_script_hash,
                    "page_name": p.page_name,
                    "url_pathname": p.url_pathname,
                    "is_default": p.is_default,
                }
                for p in ns.app_pages
            ]

    def _on_delta(self, fmsg: ForwardMsg, res: RerunResult, run_widgets: dict[str, Widget]) -> None:
        delta = fmsg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        etype = el.WhichOneof("type")
        if etype is None:
            return
        res.element_types.append(etype)
        if etype == "plotly_chart":
            res.plotly_specs.append(el.plotly_chart.spec)
        elif etype == "exception":
            res.exceptions.append((el.exception.type, el.exception.message))
        elif etype in WIDGET_TYPES:
            p = getattr(el, etype)
            old = self._widgets.get(p.id) or run_widgets.get(p.id)
            if old is not None and not getattr(p, "set_value", False):
                value = old.value  # the mounted frontend widget keeps its value
            else:
                value = _initial_value(etype, p)
            run_widgets[p.id] = Widget(
                id=p.id,
                type=etype,
                label=p.label,
                value=value,
                proto=p,
                form_id=getattr(p, "form_id", ""),
                delta_path=tuple(fmsg.metadata.delta_path),
            )


def plotly_figure(spec: str) -> dict[str, Any]:
    """Parse a plotly_chart element's ``spec`` (figure JSON) into a dict."""
    return json.loads(spec)
