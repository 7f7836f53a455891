"""Server memory under hostile links: RSS after 30 distinct worst-case trajectory links and 30
distinct network sizes, against the bound the caches set.

Each link is a fresh protocol-level session (benchmarks/st_client.py) on one optviz server
(tests/harness.py AppServer). Worst case: 12 optimizers, the most noisy paths a scene may keep,
5000 steps, a new seed each (a new cache entry each); networks: a new width each (a new compiled
variant each). The bound: the baseline after the first link of each kind, plus the trajectory
results cache (optviz.memo.RESULTS_BYTES), the network draw cache (DRAW_CACHE_BYTES) and
MAX_COMPILED network variants at ~16 MB, plus 25% for the allocator.

    .venv/bin/python benchmarks/bench_memory.py [--links 30] [--networks 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from harness import AppServer  # noqa: E402
from st_client import StreamlitSession  # noqa: E402

from optviz.layers.network import DRAW_CACHE_BYTES, MAX_COMPILED  # noqa: E402
from optviz.memo import RESULTS_BYTES  # noqa: E402

MIB = 2**20
WORST_OPTIMIZERS = "sgd,momentum,nesterov,adagrad,rmsprop,adam,adamw,newton,sgd-2,adam-2,momentum-2,rmsprop-2"


def rss(pid: int) -> float:
    """Resident memory of the server and its children, in MiB."""
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / MIB


def visit(url: str, page: str, query: str, timeout: float) -> tuple[float, bool]:
    """Open one link in a fresh session: (seconds, ok)."""
    session = StreamlitSession(timeout=timeout)
    t0 = time.perf_counter()
    try:
        result = session.connect(url, page=page, query_string=query)
        return time.perf_counter() - t0, bool(result and result.ok)
    finally:
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--networks", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    with AppServer() as server:
        first, ok = visit(server.url, "trajectories", "", args.timeout)
        idle = rss(server.pid)
        print(f"server up, default page in {first:.1f} s (ok={ok}); RSS {idle:.0f} MiB")
        peak, base = idle, None
        for i in range(args.links):
            query = (f"opt={WORST_OPTIMIZERS}&steps=5000&noise=1&paths=32&seed={1000 + i}"
                     "&surface=rosenbrock&start=-1.5,2")
            seconds, ok = visit(server.url, "trajectories", query, args.timeout)
            now = rss(server.pid)
            base = now if base is None else base
            peak = max(peak, now)
            print(f"  link {i + 1:2d}: {seconds:5.1f} s ok={ok} RSS {now:6.0f} MiB")
        after_links = rss(server.pid)
        net_base = None
        for i in range(args.networks):
            query = f"depth=10&width={300 + 7 * i}&batch=500&activation=relu&init=he_normal"
            seconds, ok = visit(server.url, "layers", query, args.timeout)
            now = rss(server.pid)
            net_base = now if net_base is None else net_base
            peak = max(peak, now)
            print(f"  network {i + 1:2d} (width {300 + 7 * i}): {seconds:5.1f} s ok={ok} RSS {now:6.0f} MiB")
        end = rss(server.pid)
    caches = (RESULTS_BYTES + DRAW_CACHE_BYTES) / MIB + MAX_COMPILED * 16
    bound = 1.25 * ((base or idle) + caches)
    print(f"\nRSS: idle {idle:.0f} MiB, after the first worst link {base:.0f}, after {args.links} links {after_links:.0f}, "
          f"after {args.networks} networks {end:.0f}, peak {peak:.0f} MiB")
    print(f"bound: 1.25 x (first worst link {base:.0f} + results cache {RESULTS_BYTES / MIB:.0f} + draw cache "
          f"{DRAW_CACHE_BYTES / MIB:.0f} + {MAX_COMPILED} x 16 MiB compiled networks) = {bound:.0f} MiB; "
          f"peak / bound = {peak / bound:.2f} ({'within' if peak <= bound else 'OVER'} the bound)")
    return 0 if peak <= bound else 1


if __name__ == "__main__":
    sys.exit(main())
