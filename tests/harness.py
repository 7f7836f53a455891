"""The one harness of optviz's tests and benchmarks: a free port, a server process, and Chromium.

* `free_port`, `wait_until_healthy`, `terminate`: a TCP port on 127.0.0.1; waiting for
  Streamlit's `/_stcore/health`; stopping a process (SIGTERM, then SIGKILL).
* `Server`: a Streamlit server in a subprocess on 127.0.0.1 (a context manager);
  `AppServer` starts optviz the only supported way, `python -m optviz.ui.server` (the launcher
  that routes deep links through `st.navigation` on a fresh server), `StreamlitServer` any
  script with `streamlit run` (the benchmarks' toy and floor apps).
* `CHROMIUM`, `CHROMIUM_FLAGS`, `launch_chromium`: Debian's headless Chromium through
  Playwright's `launch_persistent_context` (Playwright cannot download browsers here).

Imported by tests/browser_support.py, benchmarks/st_client.py, benchmarks/load_test.py and
benchmarks/bench_browser.py; no Playwright or Streamlit import at module level.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterable, Mapping

ROOT = Path(__file__).resolve().parents[1]
HEALTH_PATH = "_stcore/health"
CHROMIUM = Path(os.environ.get("OPTVIZ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The file watcher is off (other people edit the sources while tests run) and usage statistics are
# off (no outside requests).
STREAMLIT_FLAGS = ["--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
                   "--browser.gatherUsageStats", "false"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(proc: subprocess.Popen, url: str, timeout: float, interval: float = 0.2) -> bool:
    """Poll `URL/_stcore/health` until it answers 200 (True), `proc` exits or `timeout` s pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/" + HEALTH_PATH, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(interval)
    return False


def terminate(proc: subprocess.Popen | None) -> None:
    """Stop a server process if it still runs: SIGTERM, then SIGKILL after 10 s."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class Server:
    """A Streamlit server in a subprocess on 127.0.0.1:PORT (a free port by default); a context manager.

    `url` is the base URL; `start()` returns once `/_stcore/health` answers. `env` entries are
    added to the child's environment (JAX on CPU by default), `args` are more Streamlit options.
    The output goes to `log_path`, or to a temporary file that `stop()` deletes; `log()` reads it.
    """

    def __init__(self, port: int | None = None, args: Iterable[str] = (), env: Mapping[str, str] | None = None,
                 cwd: str | os.PathLike[str] | None = None, log_path: str | os.PathLike[str] | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = list(args)
        self.env = {"JAX_PLATFORMS": "cpu", **(env or {})}
        self.cwd = cwd or ROOT
        self._own_log = log_path is None
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="optviz-server-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None
        self.started_in_s: float | None = None

    def base_command(self) -> list[str]:
        """The program and its arguments before the Streamlit options."""
        raise NotImplementedError

    def command(self) -> list[str]:
        return [*self.base_command(), "--server.port", str(self.port), *STREAMLIT_FLAGS, *self.args]

    @property
    def pid(self) -> int:
        """The server's process id (for RSS sampling)."""
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 120.0) -> "Server":
        t0 = time.perf_counter()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.cwd, env={**os.environ, **self.env}, stdout=log,
                                         stderr=subprocess.STDOUT)
        if wait_until_healthy(self.proc, self.url, timeout, interval=0.1):
            self.started_in_s = time.perf_counter() - t0
            return self
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited with {self.proc.returncode}: {self.command()}\n{self.log()}")
        log = self.log()  # before stop(), which deletes a log file of our own
        self.stop()
        raise RuntimeError(f"server did not answer /{HEALTH_PATH} within {timeout} s:\n{log}")

    def log(self) -> str:
        """The end of the server's output."""
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        terminate(proc)
        if self._own_log:
            with contextlib.suppress(OSError):
                self.log_path.unlink()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class AppServer(Server):
    """optviz as `bash scripts.sh app` serves it: `python -m optviz.ui.server` from the repository root."""

    def base_command(self) -> list[str]:
        return [sys.executable, "-m", "optviz.ui.server"]


class StreamlitServer(Server):
    """`streamlit run APP`: any Streamlit script (the benchmarks' toy and floor apps)."""

    def __init__(self, app: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = os.fspath(app)

    def base_command(self) -> list[str]:
        return [sys.executable, "-m", "streamlit", "run", self.app]


def browser_unavailable() -> str | None:
    """Why a real browser cannot run here (None if it can)."""
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as err:
        problems.append(f"playwright (python) is not installed: {err}")
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"no Chromium at {CHROMIUM} (Debian package `chromium`; or set OPTVIZ_CHROMIUM)")
    return "; ".join(problems) or None


def launch_chromium(playwright: Any, profile_dir: str | os.PathLike[str], viewport: Mapping[str, int], **options: Any) -> Any:
    """A headless Debian Chromium with its own profile folder: a Playwright persistent context."""
    return playwright.chromium.launch_persistent_context(
        os.fspath(profile_dir), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
        viewport=dict(viewport), **options)
