"""Load test: N protocol-level sessions changing widgets at once, like a class.

Starts ``streamlit run APP`` on 127.0.0.1 (or uses ``--url`` of a running
server, or ``--hall RUN_DIR`` of a lecture hall: deploy/hall.py's processes
behind nginx, their RSS and CPU summed and the CPU shown per process), opens ``--sessions`` sessions concurrently (one thread each, with
``st_client.StreamlitSession``), and lets each make ``--changes`` widget
changes with random think times.  Widgets are picked by label (``--widget``,
repeatable, each with its ``--values``), so the script can be pointed at any
page of any app.  The run stops by itself after ``--max-seconds``.

Prints per-change server time (send ``rerun_script`` -> ``script_finished``)
p50/p95/max, errors (exception elements, client errors), unanswered changes
(timeouts, dropped sockets), the server's RSS (psutil, with children) before,
at peak and after, and with ``--browser`` the slider-move -> new-chart time of
one real Chromium moving a slider while the load runs.

Examples::

    python benchmarks/load_test.py --app benchmarks/toy_app.py --sessions 30 \\
        --changes 5 --widget "Learning rate" --values 0.05,0.1,0.2,0.4 --browser
    python benchmarks/load_test.py --app app.py --page trajectories \\
        --widget "learning rate" --values 0.01,0.1,1 --widget Optimizer --values SGD,Adam
    python benchmarks/load_test.py --app benchmarks/toy_app.py --soak 500 \\
        --widget Steps --values 10,20,40
    python deploy/hall.py 2 --run-dir /tmp/hall &   # then, once it is ready:
    python benchmarks/load_test.py --hall /tmp/hall --page trajectories --sessions 60 \\
        --widget "Rotation angle (deg)" --values 0,15,30,45,60,75,90
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from harness import StreamlitServer, launch_chromium  # noqa: E402  (one server class and Chromium launcher)
from st_client import (  # noqa: E402
    StreamlitClientError,
    StreamlitSession,
    coerce_value,
)

MIB = 1024 * 1024


# -- helpers ------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """'true' -> True, '3' -> 3, '0.5' -> 0.5, anything else stays a string."""
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    return t


def parse_values(text: str) -> list[Any]:
    """A JSON list (``[[10,50],[20,80]]`` for range sliders) or comma-separated values."""
    t = text.strip()
    if t.startswith("["):
        vals = json.loads(t)
        if not isinstance(vals, list):
            raise ValueError(f"--values {text!r}: not a JSON list")
        return vals
    return [parse_value(v) for v in t.split(",") if v.strip()]


def percentile(xs: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; nan if empty."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = (len(s) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def fmt_times(xs: list[float]) -> str:
    """'n=.. p50=.. p95=.. max=..' in milliseconds."""
    if not xs:
        return "n=0"
    return (
        f"n={len(xs)} p50={percentile(xs, 50) * 1e3:.0f} ms "
        f"p95={percentile(xs, 95) * 1e3:.0f} ms max={max(xs) * 1e3:.0f} ms"
    )


Pids = int | Sequence[int] | None  # one server, or the processes of a hall (summed)


def _pid_list(pid: int | Sequence[int] | None) -> list[int]:
    return [pid] if isinstance(pid, int) else list(pid or [])


def process_rss(pid: int | Sequence[int]) -> int:
    """RSS in bytes of a process (or several) and all its children (0 if gone)."""
    if not isinstance(pid, int):
        return sum(process_rss(p) for p in _pid_list(pid))
    try:
        p = psutil.Process(pid)
        total = p.memory_info().rss
        for c in p.children(recursive=True):
            try:
                total += c.memory_info().rss
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0


def process_cpu(pid: int | Sequence[int]) -> float:
    """User+system CPU seconds of a process (or several) and its children."""
    if not isinstance(pid, int):
        return sum(process_cpu(p) for p in _pid_list(pid))
    try:
        p = psutil.Process(pid)
        t = p.cpu_times()
        total = t.user + t.system
        for c in p.children(recursive=True):
            try:
                ct = c.cpu_times()
                total += ct.user + ct.system
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0.0


def pid_listening_on(port: int) -> int | None:
    """The pid of the process listening on a TCP port, if it can be seen."""
    try:
        for c in psutil.net_connections(kind="tcp"):
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN and c.pid:
                return c.pid
    except (psutil.Error, PermissionError):
        return None
    return None


class RssSampler(threading.Thread):
    """Samples a process tree's RSS every ``interval`` seconds; keeps the peak."""

    def __init__(self, pid: Pids, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while self.pid and not self._stop_event.is_set():
            self.peak = max(self.peak, process_rss(self.pid))
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        """Stop sampling and return the peak RSS in bytes."""
        self._stop_event.set()
        self.join(5)
        return self.peak


@dataclass
class Target:
    """A widget to change (by label, or ``key=USER_KEY`` where labels repeat) and the values to cycle through."""

    label: str
    values: list[Any]

    @property
    def by(self) -> dict[str, str | None]:
        """Keyword arguments for ``StreamlitSession.widget``."""
        if self.label.startswith("key="):
            return {"label": None, "key": self.label[4:]}
        return {"label": self.label}

    def find(self, session: StreamlitSession) -> Any:
        return session.widget(**self.by)

    def set(self, session: StreamlitSession, value: Any) -> Any:
        by = self.by
        return session.set_widget(by["label"] or "", value, key=by.get("key"))


@dataclass
class Stats:
    """Everything the sessions measured (appended to from many threads)."""

    change_times: list[float] = field(default_factory=list)
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (answered at, server time)
    first_run_times: list[float] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    client_errors: list[str] = field(default_factory=list)
    unanswered: int = 0
    skipped: int = 0
    no_chart: int = 0
    bytes_in: int = 0
    cache_hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def pick_value(session: StreamlitSession, target: Target, rng: random.Random) -> Any:
    """A value for the target widget that differs from its current one."""
    w = target.find(session)
    options = [v for v in target.values if coerce_value(w, v) != w.value]
    return rng.choice(options or target.values)


# -- one simulated student -----------------------------------------------------


def student(
    i: int,
    args: argparse.Namespace,
    targets: list[Target],
    stats: Stats,
    deadline: float,
) -> None:
    """Connect, then make ``args.changes`` widget changes with think times."""
    rng = random.Random(args.seed * 1000 + i)
    time.sleep(rng.uniform(0, args.ramp))
    s = StreamlitSession(timeout=args.timeout, use_cache=not args.no_cache)
    try:
        try:
            r = s.connect(args.url, page=args.page, query_string=args.query)
        except Exception as exc:  # noqa: BLE001 - counted, not fatal
            with stats.lock:
                stats.client_errors.append(f"session {i} connect: {exc!r}")
                stats.skipped += args.changes
            return
        record(stats, r, first=True, who=f"session {i} first run")
        for j in range(args.changes):
            if time.monotonic() > deadline or not s.connected:
                with stats.lock:
                    stats.skipped += args.changes - j
                break
            time.sleep(rng.uniform(args.think_min, args.think_max))
            target = rng.choice(targets)
            try:
                r = target.set(s, pick_value(s, target, rng))
            except Exception as exc:  # noqa: BLE001 - counted, not fatal
                with stats.lock:
                    stats.client_errors.append(f"session {i} change {j}: {exc!r}")
                continue
            record(stats, r, first=False, who=f"session {i} change {j} ({target.label})")
    finally:
        s.close()


def record(stats: Stats, r: Any, first: bool, who: str) -> None:
    """Add one RerunResult to the stats."""
    with stats.lock:
        stats.bytes_in += r.n_bytes
        stats.cache_hits += r.n_cache_hits
        if not r.finished:
            stats.unanswered += 1
            stats.client_errors.append(f"{who}: {r.status} after {r.elapsed:.1f} s")
            return
        (stats.first_run_times if first else stats.change_times).append(r.elapsed)
        if not first:
            stats.timeline.append((time.monotonic(), r.elapsed))
        for etype, msg in r.exceptions:
            stats.script_errors.append(f"{who}: {etype}: {msg[:200]}")
        if not r.plotly and not r.exceptions:
            stats.no_chart += 1


# -- the real browser ----------------------------------------------------------

_SIG_JS = """() => {
  const plots = Array.from(document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot'));
  return plots.map(el => {
    try { return JSON.stringify(el.data) + JSON.stringify((el.layout || {}).title); }
    catch (e) { return String(Math.random()); }
  }).join('|');
}"""
_READY_JS = "() => !!document.querySelector('[data-testid=stApp][data-test-script-state=notRunning]')"


class BrowserProbe:
    """One headless Chromium that moves a slider and times the new chart."""

    def __init__(self, url: str, label: str, moves: int, timeout: float) -> None:
        self.url, self.label, self.moves, self.timeout = url, label, moves, timeout
        self.times: list[float] = []
        self.timeline: list[tuple[float, float]] = []
        self.under_load = 0
        self.errors: list[str] = []
        self._pw: Any = None
        self._ctx: Any = None
        self._tmp = tempfile.TemporaryDirectory(prefix="optviz-load-chromium-")

    def open(self) -> None:
        """Launch Chromium and load the page until the first chart is shown."""
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._ctx = launch_chromium(self._pw, self._tmp.name, {"width": 1280, "height": 1000})
        self.page = self._ctx.pages[0] if self._ctx.pages else self._ctx.new_page()
        self.page.set_default_timeout(self.timeout * 1000)
        self.page.goto(self.url)
        self.page.wait_for_selector("[data-testid=stPlotlyChart] .js-plotly-plot")
        self.page.wait_for_function(_READY_JS)
        self.page.evaluate(f"window.__loadSig = {_SIG_JS}")

    def run(self, load_active: Callable[[], bool]) -> None:
        """Move the slider ``moves`` times with the keyboard; time each new chart."""
        slider = self.page.get_by_role("slider", name=self.label).first
        slider.focus()
        key = "ArrowRight"
        for k in range(self.moves):
            # Streamlit 1.67 sliders are native <input type=range> (value/min/max, no aria-valuenow).
            before = slider.input_value()
            if before == slider.get_attribute("max"):
                key = "ArrowLeft"
            elif before == slider.get_attribute("min"):
                key = "ArrowRight"
            self.page.evaluate("window.__oldSig = window.__loadSig()")
            loaded = load_active()
            t0 = time.perf_counter()
            slider.press(key)
            try:
                self.page.wait_for_function(
                    "() => (" + _READY_JS + ")() && window.__loadSig() !== window.__oldSig",
                    polling="raf",
                    timeout=self.timeout * 1000,
                )
            except Exception as exc:  # noqa: BLE001 - a timeout is a result
                self.errors.append(f"move {k}: {type(exc).__name__}")
                continue
            self.times.append(time.perf_counter() - t0)
            self.timeline.append((time.monotonic(), self.times[-1]))
            self.under_load += loaded and load_active()
            time.sleep(0.2)

    def close(self) -> None:
        """Close Chromium and Playwright."""
        try:
            if self._ctx is not None:
                self._ctx.close()
        finally:
            if self._pw is not None:
                self._pw.stop()
            self._tmp.cleanup()


# -- modes ---------------------------------------------------------------------


def page_url(args: argparse.Namespace) -> str:
    """The browser URL of the tested page."""
    url = args.url.rstrip("/") + "/" + (args.page or "").strip("/")
    return url + ("?" + args.query.lstrip("?") if args.query else "")


def run_load(args: argparse.Namespace, targets: list[Target], pid: Pids) -> dict[str, Any]:
    """The class: N sessions x M changes, optionally with a browser probe."""
    out: dict[str, Any] = {}
    # Warm-up: one run so imports/compilation are not charged to the first student.
    t0 = time.perf_counter()
    with StreamlitSession(timeout=max(args.timeout, 120)) as s:
        r = s.connect(args.url, page=args.page, query_string=args.query)
        out["warmup_first_run_s"] = time.perf_counter() - t0
        labels = [w.label for w in s.widgets]
        if not r.finished:
            raise SystemExit(f"warm-up run did not finish: {r.status}")
        if r.page_not_found:
            print(f"warning: page {args.page!r} not found (the default page's URL path is ''); "
                  f"pages: {[p['url_pathname'] for p in s.pages]}")
        for t in targets:
            t.find(s)  # fails early, listing the labels, if one is wrong
    print(f"warm-up first run: {out['warmup_first_run_s']:.2f} s; widgets: {labels}")
    time.sleep(1.0)
    rss_before = process_rss(pid) if pid else 0

    probe = None
    if args.browser:
        label = args.browser_slider or targets[0].label
        probe = BrowserProbe(page_url(args), label, args.browser_moves, args.timeout)
        probe.open()

    stats = Stats()
    sampler = RssSampler(pid)
    sampler.start()
    cpu0 = process_cpu(pid) if pid else 0.0
    each0 = [process_cpu(p) for p in _pid_list(pid)]
    me = psutil.Process()
    me0 = sum(me.cpu_times()[:2])  # this process only: the server is a child
    start = time.monotonic()
    deadline = start + args.max_seconds
    threads = [
        threading.Thread(target=student, args=(i, args, targets, stats, deadline), daemon=True)
        for i in range(args.sessions)
    ]
    for t in threads:
        t.start()
    if probe is not None:
        try:
            time.sleep(min(args.ramp, 5.0))
            probe.run(lambda: any(t.is_alive() for t in threads))
        finally:
            probe.close()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + args.timeout + 5)
    wall = time.monotonic() - start
    cpu = (process_cpu(pid) - cpu0) if pid else float("nan")
    each = [process_cpu(p) - c0 for p, c0 in zip(_pid_list(pid), each0)]
    client_cpu = sum(me.cpu_times()[:2]) - me0
    peak = sampler.stop()
    time.sleep(3.0)  # let the server drop the closed sessions
    rss_after = process_rss(pid) if pid else 0
    alive = sum(t.is_alive() for t in threads)

    n_changes = len(stats.change_times)
    out.update(
        sessions=args.sessions,
        changes_per_session=args.changes,
        wall_s=wall,
        change_times_s=stats.change_times,
        change_timeline=[(t - start, x) for t, x in stats.timeline],
        first_run_times_s=stats.first_run_times,
        script_errors=stats.script_errors,
        client_errors=stats.client_errors,
        unanswered=stats.unanswered,
        skipped=stats.skipped,
        no_chart=stats.no_chart,
        threads_still_running=alive,
        server_cpu_s=cpu,
        server_cpu_per_process_s=each,
        client_cpu_s=client_cpu,
        rss_before_mib=rss_before / MIB,
        rss_peak_mib=peak / MIB,
        rss_after_mib=rss_after / MIB,
        bytes_in=stats.bytes_in,
        cache_hits=stats.cache_hits,
    )
    print(
        f"sessions: {args.sessions} x {args.changes} changes of {[t.label for t in targets]}, "
        f"think {args.think_min}-{args.think_max} s, ramp {args.ramp} s; wall {wall:.1f} s"
    )
    print(f"first run per session:      {fmt_times(stats.first_run_times)}")
    print(f"server time per change:     {fmt_times(stats.change_times)}  (send -> script_finished)")
    load_wall = (max(t for t, _ in stats.timeline) - start) if stats.timeline else wall
    print(f"throughput:                 {n_changes / load_wall:.1f} changes/s over {load_wall:.1f} s")
    print(
        f"errors:                     {len(stats.script_errors)} script exceptions, "
        f"{len(stats.client_errors) - stats.unanswered} client errors, "
        f"{stats.no_chart} runs without a chart"
    )
    print(
        f"unanswered:                 {stats.unanswered} (timeout {args.timeout} s or dropped), "
        f"{stats.skipped} skipped at the {args.max_seconds} s limit, {alive} sessions still running"
    )
    for line in (stats.script_errors + stats.client_errors)[:5]:
        print(f"    {line}")
    if probe is not None:
        out.update(browser_times_s=probe.times, browser_errors=probe.errors, browser_under_load=probe.under_load,
                   browser_timeline=[(t - start, x) for t, x in probe.timeline])
        # Protocol sessions' server time over the same window, for comparison.
        if probe.timeline:
            lo, hi = probe.timeline[0][0] - 1.0, probe.timeline[-1][0]
            same = [x for t, x in stats.timeline if lo <= t <= hi]
            print(f"protocol sessions, same window: {fmt_times(same)}")
        print(
            f"browser ({probe.label!r}, {args.browser_moves} moves, {probe.under_load} under load): "
            f"{fmt_times(probe.times)}; {len(probe.errors)} timeouts"
        )
    if pid:
        print(
            f"server RSS:                 before {rss_before / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB, "
            f"after {rss_after / MIB:.0f} MiB (after - before {(rss_after - rss_before) / MIB:+.0f} MiB)"
        )
        print(
            f"server CPU:                 {cpu:.1f} s ({cpu / wall:.2f} cores avg); "
            f"load client CPU {client_cpu:.1f} s ({client_cpu / wall:.2f} cores)"
        )
        if len(each) > 1:
            print(f"server CPU per process:     {', '.join(f'{c:.1f} s' for c in each)} "
                  f"(pids {', '.join(map(str, _pid_list(pid)))})")
        print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"received:                   {stats.bytes_in / MIB:.1f} MiB, {stats.cache_hits} cache refs")
    return out


def run_soak(args: argparse.Namespace, targets: list[Target], pid: Pids) -> dict[str, Any]:
    """One session doing N reruns; prints RSS growth along the way."""
    rng = random.Random(args.seed)
    times: list[float] = []
    samples: list[tuple[int, float]] = []
    errors = 0
    with StreamlitSession(timeout=max(args.timeout, 120), use_cache=not args.no_cache) as s:
        r = s.connect(args.url, page=args.page, query_string=args.query)
        if not r.finished:
            raise SystemExit(f"first run did not finish: {r.status}")
        for t in targets:
            t.find(s)
        rss0 = process_rss(pid) if pid else 0
        cpu0 = process_cpu(pid) if pid else 0.0
        samples.append((0, rss0 / MIB))
        every = max(1, args.soak // 10)
        for k in range(1, args.soak + 1):
            if targets:
                t = targets[k % len(targets)]
                r = t.set(s, pick_value(s, t, rng))
            else:
                r = s.rerun()
            if r.finished:
                times.append(r.elapsed)
            errors += (not r.finished) + len(r.exceptions)
            if k % every == 0 or k == args.soak:
                rss = process_rss(pid) if pid else 0
                samples.append((k, rss / MIB))
                print(f"  rerun {k:5d}: RSS {rss / MIB:7.1f} MiB ({(rss - rss0) / MIB:+.1f}), "
                      f"last {r.elapsed * 1e3:.0f} ms", flush=True)
        cpu = (process_cpu(pid) - cpu0) if pid else float("nan")
    half = len(samples) // 2
    late_growth = samples[-1][1] - samples[half][1]
    per_1000 = late_growth / max(1, samples[-1][0] - samples[half][0]) * 1000
    print(f"soak: {args.soak} reruns, {fmt_times(times)}, {errors} errors; "
          f"server CPU {cpu / max(1, args.soak) * 1e3:.0f} ms per rerun")
    if pid:
        print(
            f"server RSS: {samples[0][1]:.0f} -> {samples[-1][1]:.0f} MiB "
            f"({samples[-1][1] - samples[0][1]:+.1f} MiB); second half {late_growth:+.1f} MiB "
            f"({per_1000:+.1f} MiB per 1000 reruns)"
        )
    return {"soak": args.soak, "times_s": times, "errors": errors, "rss_samples_mib": samples,
            "server_cpu_s": cpu}


# -- CLI -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--app", help="streamlit script to serve on 127.0.0.1 for the test")
    src.add_argument("--url", help="base URL of a running server (127.0.0.1 only)")
    src.add_argument("--hall", metavar="RUN_DIR",
                     help="a running lecture hall (deploy/hall.py --run-dir RUN_DIR): its URL and processes")
    p.add_argument("--pid", type=int, action="append",
                   help="server pid for RSS and CPU with --url, repeatable (default: who listens)")
    p.add_argument("--page", default=None, help="st.navigation page URL path (default page if omitted)")
    p.add_argument("--query", default="", help="query string, e.g. 'surface=rosenbrock&seed=1'")
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--changes", type=int, default=10, help="widget changes per session")
    p.add_argument("--widget", action="append", default=[],
                   help="widget label, or key=USER_KEY for a widget whose label repeats (repeatable)")
    p.add_argument("--values", action="append", default=[],
                   help="values for the matching --widget: 'a,b,c' or a JSON list")
    p.add_argument("--think-min", type=float, default=0.3, help="min think time between changes (s)")
    p.add_argument("--think-max", type=float, default=1.5, help="max think time between changes (s)")
    p.add_argument("--ramp", type=float, default=2.0, help="sessions connect spread over this many s")
    p.add_argument("--max-seconds", type=float, default=180.0, help="stop starting changes after this")
    p.add_argument("--timeout", type=float, default=30.0, help="a change unanswered after this is counted")
    p.add_argument("--no-cache", action="store_true", help="do not report cached message hashes")
    p.add_argument("--browser", action="store_true", help="also time one real Chromium moving a slider")
    p.add_argument("--browser-slider", help="slider label for --browser (default: first --widget)")
    p.add_argument("--browser-moves", type=int, default=20)
    p.add_argument("--soak", type=int, default=0, metavar="N", help="one session doing N reruns")
    p.add_argument("--env", action="append", default=[], metavar="K=V", help="env for the --app server")
    p.add_argument("--st-option", action="append", default=[], metavar="KEY=VALUE",
                   help="streamlit config for the --app server, e.g. runner.postScriptGC=false")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write all measurements to this file")
    p.add_argument("--server-log", help="write the --app server's output to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the load test or the soak test and print the numbers."""
    args = build_parser().parse_args(argv)
    if len(args.widget) != len(args.values):
        raise SystemExit("give one --values per --widget")
    targets = [Target(w, parse_values(v)) for w, v in zip(args.widget, args.values)]
    if not args.soak and not targets:
        raise SystemExit("--widget LABEL --values v1,v2 is needed for the load test")

    server = None
    if args.app:
        env = dict(kv.split("=", 1) for kv in args.env)
        st_args = [a for kv in args.st_option for a in ("--" + kv.split("=", 1)[0], kv.split("=", 1)[1])]
        server = StreamlitServer(Path(args.app).resolve(), env=env, args=st_args, log_path=args.server_log)
        t0 = time.perf_counter()
        server.start(timeout=120)
        args.url = server.url
        pid: Pids = server.pid
        print(f"server: {server.url} (pid {pid}, {args.app} {' '.join(st_args)}), "
              f"healthy after {time.perf_counter() - t0:.1f} s")
    elif args.hall:
        hall = json.loads((Path(args.hall) / "hall.json").read_text())
        args.url = hall["url"]
        pid = [b["pid"] for b in hall["backends"]]
        print(f"hall: {args.url} -> {len(pid)} processes on ports {[b['port'] for b in hall['backends']]} "
              f"(pids {pid}), nginx pid {hall['nginx_pid']}")
    else:
        host = args.url.split("://", 1)[-1].split("/", 1)[0]
        if host.split(":")[0] not in ("127.0.0.1", "localhost"):
            raise SystemExit("--url must point at 127.0.0.1")
        port = int(host.split(":")[1]) if ":" in host else 80
        pid = args.pid or pid_listening_on(port)
        print(f"server: {args.url} (pid {pid or 'unknown: no RSS'})")
    try:
        out = run_soak(args, targets, pid) if args.soak else run_load(args, targets, pid)
    except StreamlitClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
