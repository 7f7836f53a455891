"""A lecture hall: N optviz server processes behind nginx, with sticky sessions.

    python deploy/hall.py [N] [--port 8501] [--address 0.0.0.0] [--backend-port 8511]
                          [--run-dir DIR] [--no-warmup] [-- more streamlit options]

(`bash scripts.sh hall N` runs it.) One Streamlit process answers about 5-6 slider changes a
second; a lecture hall needs more processes, and a student must stay on one of them: Streamlit
keeps a session (its widgets, the files of its download buttons and uploads) in the memory of the
process that holds its websocket (`/_stcore/stream`).

What it does:
* starts N `python -m optviz.ui.server` on 127.0.0.1:BACKEND_PORT, BACKEND_PORT+1, ... (the
  launcher `bash scripts.sh app` uses), all with the same on-disk JAX compilation cache
  (OPTVIZ_JAX_CACHE, set explicitly for every child) and the same cookie secret;
* once they answer `/_stcore/health`, starts Debian's nginx in the foreground with a config that
  it writes into a run folder (pid, logs and temp files there too: no root-owned paths) and that
  listens on ADDRESS:PORT. Sessions stick to a process by a cookie: nginx gives a browser without
  `optviz_backend` a random one (`$request_id`) and hashes it (`hash ... consistent`, in Debian's
  nginx without the commercial `sticky` module); `ip_hash` would send a whole lecture hall behind
  one NAT address to one process. Each response names its process in `X-Upstream`;
* runs `python -m optviz warmup` once, at low priority, to fill the shared cache;
* restarts a process that dies (its students reconnect to another one meanwhile) and stops
  everything on Ctrl-C or SIGTERM.

The run folder holds `nginx.conf`, `access.log` (with the upstream of each request and its
route cookie) and `hall.json` (ports and pids, written once the hall answers).
Environment: OPTVIZ_PROCESSES, OPTVIZ_PORT, OPTVIZ_ADDRESS, OPTVIZ_BACKEND_PORT, OPTVIZ_NGINX
(defaults of the options), OPTVIZ_JAX_CACHE (the shared cache; default ~/.cache/optviz/jax).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Sequence

ROOT = Path(__file__).resolve().parents[1]
COOKIE = "optviz_backend"
HEALTH = "/_stcore/health"
# The same default as optviz.compile_cache.DEFAULT_DIR (not imported: that imports JAX; the hall
# itself stays a small stdlib process). tests/test_deploy.py checks that the two agree.
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "optviz" / "jax"
STREAMLIT_FLAGS = ["--server.headless", "true", "--server.fileWatcherType", "none",
                   "--browser.gatherUsageStats", "false"]
RESTARTS_BEFORE_GIVING_UP = 3  # a process that dies this often within a minute of its start


def cache_folder(setting: str | None) -> str:
    """The one compilation-cache folder every process of the hall uses ('off' stays off)."""
    if setting and setting.lower() in ("off", "0", "false", "no"):
        return "off"
    return str(Path(setting).expanduser().resolve() if setting else DEFAULT_CACHE)


def nginx_config(run_dir: Path, address: str, port: int, backends: Sequence[int]) -> str:
    """nginx.conf for the hall: public ADDRESS:PORT -> the backends on 127.0.0.1, sticky by cookie."""
    d = run_dir.resolve()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in backends)
    listen = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return f"""# Written by deploy/hall.py; run: nginx -p {d} -c {d}/nginx.conf -e stderr -g 'daemon off;'
worker_processes 1;          # the proxy is light; the cores belong to the optviz processes
worker_rlimit_nofile 8192;
pid {d}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}   # a student holds 2: browser -> nginx -> process

http {{
    client_body_temp_path {d}/tmp/client_body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    log_format hall '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                    'upstream=$upstream_addr route=$optviz_route rt=$request_time';
    access_log {d}/access.log hall;
    server_tokens off;
    client_max_body_size 200m;   # Streamlit's server.maxUploadSize (scene files are small)

    # The route: the browser's cookie, or a fresh random one that the response sets.
    map $cookie_{COOKIE} $optviz_route {{
        ""      $request_id;
        default $cookie_{COOKIE};
    }}
    map $cookie_{COOKIE} $optviz_set_cookie {{
        ""      "{COOKIE}=$request_id; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }}
    # Streamlit's websocket (/_stcore/stream) needs the Upgrade handshake passed on.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}

    upstream optviz {{
        hash $optviz_route consistent;
{servers}
    }}

    server {{
        listen {listen};
        # Which process answered (tests/test_deploy.py, debugging); the route cookie if new.
        add_header X-Upstream $upstream_addr always;
        add_header Set-Cookie $optviz_set_cookie always;

        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_connect_timeout 5s;
        proxy_read_timeout 1d;       # a websocket open for a whole lecture
        proxy_send_timeout 1d;

        location / {{
            proxy_pass http://optviz;
        }}
        location = {HEALTH} {{
            proxy_pass http://optviz;
            access_log off;
        }}
    }}
}}
"""


def healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether URL/_stcore/health answers 200."""
    try:
        with urllib.request.urlopen(url + HEALTH, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def say(text: str) -> None:
    print(f"[hall] {text}", flush=True)


def _pump(stream: IO[bytes], prefix: str) -> None:
    """Copy a child's output to ours, each line prefixed with the child's name."""
    for line in iter(stream.readline, b""):
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()
    stream.close()


class Child:
    """One child process of the hall; its output goes to ours with a prefix."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], quiet: bool = False) -> None:
        self.name, self.command, self.env, self.quiet = name, command, env, quiet
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.quick_deaths = 0

    def start(self) -> None:
        out = subprocess.DEVNULL if self.quiet else subprocess.PIPE
        # Its own session: a Ctrl-C in the terminal reaches the hall only, which stops the children in order.
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()
        if self.proc.stdout is not None:
            threading.Thread(target=_pump, args=(self.proc.stdout, f"[{self.name}] "), daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def exited(self) -> int | None:
        """The exit code if it has stopped, else None."""
        return None if self.proc is None else self.proc.poll()

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float) -> None:
        """Wait up to `timeout` s, then SIGKILL."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


class Hall:
    """The processes, nginx, and their lifecycle."""

    def __init__(self, args: argparse.Namespace, extra: list[str]) -> None:
        self.args = args
        self.ports = [args.backend_port + i for i in range(args.processes)]
        public_host = "127.0.0.1" if args.address in ("0.0.0.0", "::", "") else args.address
        self.url = f"http://{public_host}:{args.port}"
        self.own_run_dir = args.run_dir is None
        self.run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="optviz-hall-")).resolve()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.own_run_dir:
            self.run_dir.chmod(0o755)  # nginx's workers (user nobody when started by root) use tmp/ below it
        self.cache = cache_folder(os.environ.get("OPTVIZ_JAX_CACHE"))
        env = dict(os.environ, OPTVIZ_JAX_CACHE=self.cache, PYTHONUNBUFFERED="1")
        env.setdefault("JAX_PLATFORMS", "cpu")
        # One cookie secret for all processes (Streamlit signs cookies with it; a random one each otherwise).
        env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
        self.env = env
        self.backends = [
            Child(f"optviz :{p}", [sys.executable, "-m", "optviz.ui.server", "--server.port", str(p),
                                   "--server.address", "127.0.0.1", *STREAMLIT_FLAGS, *extra], env)
            for p in self.ports]
        nginx = args.nginx
        self.nginx = Child("nginx", [nginx, "-p", str(self.run_dir), "-c", str(self.run_dir / "nginx.conf"),
                                     "-e", "stderr", "-g", "daemon off;"], env)
        nice = [shutil.which("nice") or "nice", "-n", "10"] if shutil.which("nice") else []
        self.warmup = Child("warmup", [*nice, sys.executable, "-m", "optviz", "warmup", "--quiet"], env, quiet=True)
        self.stopping = threading.Event()
        self.stop_signal: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def on_signal(self, signum: int, _frame: object) -> None:
        self.stop_signal = signum
        self.stopping.set()

    def write_config(self) -> Path:
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(nginx_config(self.run_dir, self.args.address, self.args.port, self.ports))
        return conf

    def wait_healthy(self, url: str, children: Sequence[Child], timeout: float) -> bool:
        """Poll URL's health until it answers (True); False if a child exits, time runs out or we stop."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping.is_set():
            if any(c.exited() is not None for c in children):
                return False
            if healthy(url):
                return True
            self.stopping.wait(0.2)
        return False

    def start(self) -> int:
        """Start everything; 0 once the hall answers, else an exit code (after stopping what started)."""
        self.write_config()
        n = len(self.backends)
        say(f"{n} optviz process{'es' if n > 1 else ''} on 127.0.0.1:{self.ports[0]}..{self.ports[-1]}, "
            f"JAX compilation cache {self.cache}, run folder {self.run_dir}")
        for b in self.backends:
            b.start()
        if not self.args.no_warmup and self.cache != "off":
            self.warmup.start()
        for b, p in zip(self.backends, self.ports):
            if not self.wait_healthy(f"http://127.0.0.1:{p}", [b], self.args.startup_timeout):
                if not self.stopping.is_set():
                    say(f"process on port {p} did not start (exit code {b.exited()})")
                return 0 if self.stopping.is_set() else 1
        self.nginx.start()
        if not self.wait_healthy(self.url, [self.nginx], 30):
            if not self.stopping.is_set():
                say(f"nginx did not answer on {self.url} (exit code {self.nginx.exited()}); config: "
                    f"{self.run_dir / 'nginx.conf'}")
            return 0 if self.stopping.is_set() else 1
        self.write_state()
        say(f"ready: {self.url} (public on {self.args.address}:{self.args.port}) -> "
            f"{len(self.backends)} process{'es' if len(self.backends) > 1 else ''}; Ctrl-C stops all")
        return 0

    def write_state(self) -> None:
        """hall.json: the URL, the run folder, the cache and the pids (rewritten after a restart)."""
        state = {"url": self.url, "address": self.args.address, "port": self.args.port,
                 "nginx_pid": self.nginx.pid, "run_dir": str(self.run_dir), "jax_cache": self.cache,
                 "backends": [{"port": p, "pid": b.pid} for p, b in zip(self.ports, self.backends)]}
        tmp = self.run_dir / "hall.json.tmp"
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.run_dir / "hall.json")  # whoever reads it never sees half a file

    def supervise(self) -> int:
        """Until a signal: restart a process that died; stop if nginx dies."""
        while not self.stopping.wait(0.5):
            code = self.nginx.exited()
            if code is not None:
                say(f"nginx exited with code {code}; stopping")
                return code or 1
            for b in self.backends:
                code = b.exited()
                if code is None:
                    continue
                quick = time.monotonic() - b.started_at < 60
                b.quick_deaths = b.quick_deaths + 1 if quick else 0
                if b.quick_deaths >= RESTARTS_BEFORE_GIVING_UP:
                    say(f"{b.name} died {b.quick_deaths} times within a minute of starting (code {code}); stopping")
                    return 1
                say(f"{b.name} exited with code {code}; restarting it (its sessions reconnect elsewhere meanwhile)")
                b.start()
                self.write_state()
        return 0

    def stop(self) -> None:
        """nginx first (no new requests), then the processes; SIGKILL what is still there after 10 s."""
        self.nginx.signal(signal.SIGTERM)  # fast shutdown: open websockets are closed
        self.nginx.wait(10)
        for c in [*self.backends, self.warmup]:
            c.signal(signal.SIGTERM)
        for c in [*self.backends, self.warmup]:
            c.wait(10)
        if self.own_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self.on_signal)
        try:
            code = self.start()
            if code == 0 and not self.stopping.is_set():
                code = self.supervise()
        finally:
            self.stop()
        if self.stop_signal is not None:
            say(f"stopped ({signal.Signals(self.stop_signal).name})")
        return code


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(
        description="N optviz processes behind nginx with sticky sessions (a lecture hall).",
        epilog="Options not listed here (e.g. --server.maxUploadSize 50) go to every optviz process.")
    p.add_argument("processes", nargs="?", type=int, default=int(env("OPTVIZ_PROCESSES", "2")),
                   help="how many server processes (about one per core; default $OPTVIZ_PROCESSES or 2)")
    p.add_argument("--port", type=int, default=int(env("OPTVIZ_PORT", "8501")), help="public port (nginx)")
    p.add_argument("--address", default=env("OPTVIZ_ADDRESS", "0.0.0.0"), help="public address (nginx)")
    p.add_argument("--backend-port", type=int, default=int(env("OPTVIZ_BACKEND_PORT", "8511")),
                   help="port of the first process on 127.0.0.1; the others follow")
    p.add_argument("--run-dir", help="folder for nginx.conf, logs, temp files, hall.json (default: a new temp folder)")
    p.add_argument("--nginx", default=env("OPTVIZ_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx")
    p.add_argument("--no-warmup", action="store_true", help="do not run `python -m optviz warmup` beside")
    p.add_argument("--startup-timeout", type=float, default=180.0, help="seconds a process may take to start")
    return p


def main(argv: list[str] | None = None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    if args.processes < 1:
        raise SystemExit("hall: at least 1 process")
    if not (os.path.isfile(args.nginx) and os.access(args.nginx, os.X_OK)):
        raise SystemExit(f"hall: no nginx at {args.nginx} (Debian: apt-get install -y nginx; or --nginx PATH)")
    if args.port in range(args.backend_port, args.backend_port + args.processes):
        raise SystemExit("hall: the public port is one of the processes' ports")
    return Hall(args, extra).run()


if __name__ == "__main__":
    sys.exit(main())
