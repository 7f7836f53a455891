"""The lecture hall (deploy/hall.py, `bash scripts.sh hall N`): N optviz processes behind Debian's
nginx, sessions sticky by a cookie, one JAX compilation cache on disk.

Started for real: 2 processes and nginx on free ports. Checked: sessions without a cookie spread
over both processes and each gets a route cookie; a cookie always reaches the same process; a page
loads through nginx in headless Chromium with its websocket (a chart is drawn, a slider redraws
it), every request of a browser (the websocket included) reaching its process; every process uses
one cache folder; a killed process comes back; SIGTERM stops everything. And that the unlocked
writes of JAX's cache are safe for processes sharing it (a partial entry is recompiled).

Skipped without nginx (Debian package `nginx`) or Chromium, unless CI is set: then they fail.
Run: .venv/bin/python -m pytest -q -o addopts="" tests/test_deploy.py
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from harness import browser_unavailable, free_port

ROOT = Path(__file__).resolve().parents[1]
HALL = ROOT / "deploy" / "hall.py"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
COOKIE = "optviz_backend"


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _need(reason: str | None) -> None:
    """Skip (locally) or fail (CI) when something the test needs is missing."""
    if reason:
        if _ci():
            pytest.fail(f"CI is set but the lecture-hall test cannot run: {reason}", pytrace=False)
        pytest.skip(reason)


def _need_nginx() -> None:
    ok = os.path.isfile(NGINX) and os.access(NGINX, os.X_OK)
    _need(None if ok else f"no nginx at {NGINX} (Debian: apt-get install -y nginx)")


def _free_ports(n: int) -> int:
    """The first of n consecutive free ports on 127.0.0.1."""
    for _ in range(200):
        first = free_port()
        socks = []
        try:
            for p in range(first, first + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return first
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {n} consecutive free ports")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    return True


class RunningHall:
    """`python deploy/hall.py N` (what `bash scripts.sh hall N` runs) on free ports, with its run folder."""

    def __init__(self, processes: int) -> None:
        self.port = free_port()
        self.backend_port = _free_ports(processes)
        self.run_dir = Path(tempfile.mkdtemp(prefix="optviz-test-hall-"))
        self.run_dir.chmod(0o755)  # nginx's workers run as nobody when the test runs as root
        self.log_path = self.run_dir / "hall.out"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(HALL), str(processes), "--port", str(self.port), "--address", "127.0.0.1",
                 "--backend-port", str(self.backend_port), "--run-dir", str(self.run_dir), "--no-warmup"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        self.state: dict = {}

    def wait_ready(self, timeout: float = 120) -> "RunningHall":
        state = self.run_dir / "hall.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if state.exists():
                self.state = json.loads(state.read_text())
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        log = self.log()
        self.stop()
        raise AssertionError(f"the hall did not start (exit code {self.proc.poll()}):\n{log}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def pids(self) -> list[int]:
        return [self.state["nginx_pid"], *(b["pid"] for b in self.state.get("backends", []))] if self.state else []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for pid in self.pids():  # never leave a process behind, even if the hall failed to stop it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str]]:
    """Status and headers (lower-case names; Set-Cookie lines joined by newlines)."""
    req = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        headers: dict[str, str] = {}
        for k, v in resp.headers.items():
            headers[k.lower()] = headers[k.lower()] + "\n" + v if k.lower() in headers else v
        return resp.status, headers


def route_cookie(headers: dict[str, str]) -> str | None:
    m = re.search(rf"(?:^|\n){COOKIE}=([^;]+)", headers.get("set-cookie", ""))
    return m.group(1) if m else None


@pytest.fixture(scope="module")
def hall():
    _need_nginx()
    running = RunningHall(2)
    try:
        yield running.wait_ready()
    finally:
        running.stop()


# -- without a browser ----------------------------------------------------------------------------


def test_the_hall_and_the_app_agree_on_the_default_cache_folder():
    sys.path.insert(0, str(HALL.parent))
    try:
        import hall as hall_module
    finally:
        sys.path.remove(str(HALL.parent))
    from optviz.compile_cache import DEFAULT_DIR

    assert hall_module.DEFAULT_CACHE == DEFAULT_DIR
    assert hall_module.cache_folder("off") == "off"
    assert hall_module.cache_folder("") == str(DEFAULT_DIR)


def test_scripts_sh_hall_runs_the_hall():
    text = (ROOT / "scripts.sh").read_text()
    branch = text.split("  hall)", 1)[1].split(";;", 1)[0]
    assert 'exec .venv/bin/python deploy/hall.py "$@"' in branch


def test_sessions_spread_over_the_processes_and_a_cookie_sticks(hall):
    backends = {f"127.0.0.1:{b['port']}" for b in hall.state["backends"]}
    assert len(backends) == 2
    # Without the cookie (a new browser): a random route, set as a cookie; both processes get some.
    seen: dict[str, str] = {}
    for _ in range(40):
        status, headers = get(hall.url + "/_stcore/health")
        assert status == 200
        assert headers["x-upstream"] in backends
        cookie = route_cookie(headers)
        assert cookie, headers
        seen.setdefault(headers["x-upstream"], cookie)
    assert set(seen) == backends, f"40 new sessions all went to {set(seen)}"
    # With the cookie: always the same process, and no new cookie.
    for upstream, cookie in seen.items():
        for path in ("/_stcore/health", "/", "/trajectories", "/_stcore/host-config"):
            status, headers = get(hall.url + path, cookie)
            assert status == 200 and headers["x-upstream"] == upstream, (path, headers)
            assert route_cookie(headers) is None


def test_every_process_uses_the_one_compilation_cache(hall):
    folders = set()
    for b in hall.state["backends"]:
        env = dict(kv.split("=", 1) for kv in Path(f"/proc/{b['pid']}/environ").read_text().split("\0") if "=" in kv)
        folders.add(env.get("OPTVIZ_JAX_CACHE"))
    assert folders == {hall.state["jax_cache"]}
    assert hall.state["jax_cache"] == str(Path(os.environ["OPTVIZ_JAX_CACHE"]).resolve())  # conftest's private one


# -- in Chromium ----------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_page_loads_through_nginx_in_chromium_and_stays_on_its_process(hall, playwright_instance):
    _need(browser_unavailable())
    from browser_support import Browser, slider
    from optviz.pages import PAGES

    page_def = PAGES["trajectories"]
    label = page_def.key_controls[0][0]
    routes: dict[str, str] = {}  # upstream -> a cookie that reaches it
    while len(routes) < 2:
        _, headers = get(hall.url + "/_stcore/health")
        routes.setdefault(headers["x-upstream"], route_cookie(headers))

    cache = Path(hall.state["jax_cache"])
    for n, (upstream, cookie) in enumerate(sorted(routes.items())):
        browser = Browser(hall.url, playwright=playwright_instance)
        try:
            browser.context.add_cookies([{"name": COOKIE, "value": cookie, "url": hall.url}])
            page = browser.open(page_def.url_path, charts=1, ready=f".st-key-{page_def.main_figure} .js-plotly-plot")
            if n == 0:  # the websocket answers a change: the chart is redrawn
                s = slider(page, label)
                s.focus()
                key = "ArrowLeft" if s.input_value() == s.get_attribute("max") else "ArrowRight"
                page.rerun(lambda: s.press(key), charts=f".st-key-{page_def.main_figure} .js-plotly-plot")
                assert any(cache.glob("*-cache")), "the first process wrote nothing into the shared cache"
            page.assert_healthy()
        finally:
            browser.close()

    # nginx logs a websocket when it closes: each browser's requests, its websocket included, went
    # to the process its cookie names.
    log = Path(hall.state["run_dir"]) / "access.log"
    pattern = re.compile(r'"(\w+) (\S+) [^"]*" (\d+) \d+ upstream=(\S+) route=(\S+)')
    deadline = time.monotonic() + 20
    while True:
        lines = [m.groups() for m in map(pattern.search, log.read_text().splitlines()) if m]
        streams = {route for _, path, status, _, route in lines if path.startswith("/_stcore/stream") and status == "101"}
        if set(routes.values()) <= streams or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert set(routes.values()) <= streams, f"no websocket for each browser in the access log:\n{log.read_text()[-3000:]}"
    for upstream, cookie in routes.items():
        used = {up for _, _, _, up, route in lines if route == cookie}
        assert used == {upstream}, f"the browser with route {cookie} reached {used}, not only {upstream}"


# -- lifecycle ------------------------------------------------------------------------------------


def test_a_dead_process_comes_back_and_sigterm_stops_everything():
    _need_nginx()
    running = RunningHall(1)
    try:
        running.wait_ready()
        backend = running.state["backends"][0]
        os.kill(backend["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while "restarting it" not in running.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "restarting it" in running.log(), running.log()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if get(running.url + "/_stcore/health")[0] == 200:
                    break
            time.sleep(0.2)
        status, headers = get(running.url + "/_stcore/health")
        assert status == 200 and headers["x-upstream"] == f"127.0.0.1:{backend['port']}"
        old_pids = running.pids()
        running.state = json.loads((running.run_dir / "hall.json").read_text())  # rewritten after the restart
        new_pid = running.state["backends"][0]["pid"]
        assert new_pid != backend["pid"] and _alive(new_pid)
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(40) == 0, running.log()
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in [*old_pids, new_pid]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in [*old_pids, new_pid]), running.log()
        with pytest.raises(OSError):
            get(running.url + "/_stcore/health")
    finally:
        running.stop()


# -- the shared cache -----------------------------------------------------------------------------

_PROBE = r"""
import json, warnings
from optviz.compile_cache import enable_compile_cache
enable_compile_cache()
import jax, jax.numpy as jnp
hits = []
jax.monitoring.register_event_listener(lambda event, **kw: hits.append(event))
f = jax.jit(lambda x: jnp.tanh(x @ x.T).sum(axis=0) * 3.0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    y = f(jnp.linspace(0.0, 1.0, 64).reshape(8, 8))
print(json.dumps({"y": [float(v) for v in y], "hits": hits.count("/jax/compilation_cache/cache_hits"),
                  "warnings": [str(w.message) for w in caught]}))
"""


def test_the_shared_cache_survives_what_unlocked_concurrent_writes_can_leave():
    """JAX (0.10) writes a cache entry in place, without a lock (`LRUCache.put`, no size limit set):
    a process can read an entry that another is still writing, or two can write one at once. The
    first leaves a truncated file: JAX's read fails, it warns and compiles (right answer). The
    second leaves at worst one writer's complete entry followed by the tail of a longer one: zlib
    stops at the end of the stream, so it loads."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, OPTVIZ_JAX_CACHE=folder, JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                   JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT))

        def probe() -> dict:
            out = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
                                 timeout=120)
            assert out.returncode == 0, out.stderr[-3000:]
            return json.loads(out.stdout.strip().splitlines()[-1])

        first = probe()
        entries = sorted(Path(folder).glob("*-cache"))
        assert entries and first["hits"] == 0
        full = {p: p.read_bytes() for p in entries}
        for p, data in full.items():  # a reader racing a writer
            p.write_bytes(data[: len(data) // 2])
        torn = probe()
        assert torn["y"] == first["y"] and torn["hits"] == 0
        assert any("Error reading persistent compilation cache entry" in w for w in torn["warnings"]), torn
        for p, data in full.items():  # two writers: the last complete entry, then an earlier writer's tail
            p.write_bytes(data + os.urandom(200))
        mixed = probe()
        assert mixed["y"] == first["y"] and mixed["hits"] == len(entries) and not mixed["warnings"], mixed


# -- the container --------------------------------------------------------------------------------


def test_the_container_files_run_the_hall():
    """No docker daemon here: check that the Dockerfile and compose.yaml agree with the hall."""
    docker = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "compose.yaml").read_text()
    assert re.search(r"^FROM python:3\.11-slim", docker, re.M)
    assert re.search(r"apt-get install[^\n]*\bnginx\b", docker)
    assert "pip install --no-cache-dir -r requirements.txt" in docker
    assert re.search(r'^CMD \["python", "deploy/hall.py"\]', docker, re.M)
    cache = re.search(r"OPTVIZ_JAX_CACHE=(\S+)", docker).group(1)
    assert f":{cache}" in compose, "compose.yaml mounts a volume where the image keeps the JAX cache"
    assert '"8501:8501"' in compose and "OPTVIZ_PROCESSES" in compose
