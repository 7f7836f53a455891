"""Benchmark optviz.layers.network: compile time, warm time, recompilations, memory. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_netstats.py [--runs 20] [--baseline HEAD] [--wide-only]

Measures, for the lecture's default network (10 layers x 500 units, 1000 inputs, tanh,
Glorot normal; forward + backward + all statistics):
  - the first call (trace + XLA compile + one run), per jitted stage and in total;
  - the warm time of `layer_stats` (median, min and max of --runs calls): with a new gain each
    time (a slider move: the draws come from netstats' draw cache) and with a new seed each time
    (inputs and weights drawn too), and the share of each stage;
  - the number of compilations while seed, scale and gain change (target 0);
  - warm times of a few other structures (ReLU + He, batch norm, orthogonal, LSUV);
  - building each figure of the layers page (the server's other work per rerun; the open tab's
    figure is built on every rerun), and its JSON size;
  - against a baseline (`--baseline REF`, default HEAD: the network module of that git commit, read
    with `git show` into a temporary folder and imported beside the working tree's): the default
    network's warm time in one process, old and new interleaved, so machine load hits both alike;
  - the notes' wide network, 6 layers x 4096 units on 256 inputs (plain and with residual blocks),
    in a fresh process each: first call, warm time, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from optviz.layers import compute as layers_compute, figures as layer_figures, network as netstats  # noqa: E402
from optviz.layers.scene import LayersScene  # noqa: E402
from optviz.layers.network import NetworkConfig, layer_stats  # noqa: E402


def _timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = jax.block_until_ready(function(*args, **kwargs))
    return time.perf_counter() - start, result


def _warm_times(config: NetworkConfig, runs: int, vary: str = "seed") -> list[float]:
    """Times of `runs` calls, each with a new seed (everything drawn) or a new gain (the draws are reused)."""
    layer_stats(config)  # compile
    times = []
    for run in range(runs):
        changed = config.replace(seed=1000 + run) if vary == "seed" else config.replace(gain=0.5 + 0.05 * run)
        start = time.perf_counter()
        layer_stats(changed)
        times.append(time.perf_counter() - start)
    return times


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="warm calls to time (median reported)")
    args, _ = parser.parse_known_args()

    config = NetworkConfig()  # the lecture's defaults
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {os.cpu_count()} CPU cores")
    print("load average before (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + "  (other work on the machine inflates every figure below)")
    print(f"network: {config.values()}")

    # -- first call: trace + compile + run, stage by stage --------------------------------
    seed = jnp.asarray(config.seed, jnp.int32)
    values = netstats.traced_values(config)
    t_data, (inputs, projection) = _timed(netstats._draw_data, seed, batch=config.batch, width=config.width)
    t_weights, weights = _timed(
        netstats._draw_weights, seed, depth=config.depth, width=config.width, init_key=config.init
    )
    stage = dict(activation_key=config.activation, batchnorm=config.batchnorm, unit_variance=False,
                 residual=config.residual, bins=netstats.HISTOGRAM_BINS)
    t_stats, _ = _timed(netstats._network_statistics, inputs, projection, weights, values, **stage)
    print("\nfirst call (trace + compile + one run):")
    print(f"  data draw      {_ms(t_data)}")
    print(f"  weight draw    {_ms(t_weights)}")
    print(f"  statistics     {_ms(t_stats)}")
    print(f"  total          {_ms(t_data + t_weights + t_stats)}")

    # -- warm: whole layer_stats, and per stage -----------------------------------------------
    print(f"\nwarm layer_stats, {args.runs} runs each (target < 150 ms):")
    for vary, what in (("gain", "new gain (a slider move: draws reused)"), ("seed", "new seed (inputs and weights drawn)")):
        times = _warm_times(config, args.runs, vary)
        print(f"  {what:40s} median {_ms(statistics.median(times))}   min {_ms(min(times))}   max {_ms(max(times))}")

    def stage_median(function, *stage_args, **kwargs) -> float:
        samples = [_timed(function, *stage_args, **kwargs)[0] for _ in range(max(5, args.runs // 2))]
        return statistics.median(samples)

    data_ms = stage_median(netstats._draw_data, seed, batch=config.batch, width=config.width)
    weights_ms = stage_median(
        netstats._draw_weights, seed, depth=config.depth, width=config.width, init_key=config.init
    )
    stats_ms = stage_median(netstats._network_statistics, inputs, projection, weights, values, **stage)
    print("  stages (median): "
          f"data {_ms(data_ms).strip()}, weights {_ms(weights_ms).strip()}, "
          f"forward+backward+statistics {_ms(stats_ms).strip()}")
    flops = 2 * config.batch * config.width * config.width * (3 * config.depth - 1)
    achieved = flops / stats_ms / 1e9
    print(f"  matmul work: {flops / 1e9:.1f} GFLOP -> {achieved:.0f} GFLOP/s in the statistics stage")
    # The machine's peak as XLA reaches it, measured now: the same (batch, width) x (width, width) matmul
    # alone, and a large square one (the best case for its GEMM).
    for rows, inner in ((config.batch, config.width), (2048, 2048)):
        a = jnp.ones((rows, inner), jnp.float32)
        b = jnp.ones((inner, inner), jnp.float32)
        product = jax.jit(lambda a, b: a @ b)
        product(a, b).block_until_ready()
        matmul_ms = stage_median(lambda: product(a, b))
        peak = 2 * rows * inner * inner / matmul_ms / 1e9
        print(f"  one {rows}x{inner} @ {inner}x{inner} float32 matmul alone: {peak:.0f} GFLOP/s; "
              f"the statistics stage reaches {achieved / peak:.0%} of it")

    # -- recompilation while seed / scale / gain change -----------------------------------------
    before_traces = netstats.trace_count()
    for seed_value, scale_value, gain_value in [(1, 1.0, 1.0), (2, 1e-4, 0.1), (3, 10.0, 10.0), (2**31 - 1, 0.5, 2.0)]:
        for init in ("normal", "glorot_normal"):
            layer_stats(config.replace(seed=seed_value, scale=scale_value, gain=gain_value, init=init))
    # (the first "normal" call compiles the normal sampler once; count from a warm start)
    warm_traces, warm_cache = netstats.trace_count(), netstats.compiled_cache_size()
    for seed_value, scale_value, gain_value in [(5, 0.02, 1.5), (6, 3.0, 0.5), (7, 1e-3, 4.0)]:
        for init in ("normal", "glorot_normal"):
            layer_stats(config.replace(seed=seed_value, scale=scale_value, gain=gain_value, init=init))
    print("\ncompilations while seed/scale/gain change (target 0): "
          f"{netstats.trace_count() - warm_traces} traces, {netstats.compiled_cache_size() - warm_cache} new executables "
          f"(over 6 calls; the init switch to 'normal' before them compiled {warm_traces - before_traces} stage)")
    # The rest of the lecture's experiment: every number is traced, residual and batch norm are structure.
    for structure in (dict(residual=True, activation="leaky_relu", init="he_normal"), dict(batchnorm=True)):
        base = config.replace(**structure)
        layer_stats(base)
        warm_traces, warm_cache = netstats.trace_count(), netstats.compiled_cache_size()
        moves = [dict(bias=-0.5), dict(input_mean=2.0), dict(bn_gamma=3.0), dict(bn_beta=-1.0), dict(branch_scale=0.3),
                 dict(zero_last=True), dict(negative_slope=0.2)]
        times = []
        for move in moves:
            start = time.perf_counter()
            layer_stats(base.replace(**move))
            times.append(time.perf_counter() - start)
        print(f"compilations while bias/input mean/gamma/beta/branch scale/zero-init last/slope move on {structure}: "
              f"{netstats.trace_count() - warm_traces} traces, {netstats.compiled_cache_size() - warm_cache} new "
              f"executables; warm median {_ms(statistics.median(times)).strip()}")

    # -- other structures ----------------------------------------------------------------------
    print("\nother structures (first call incl. compile / warm median of 5):")
    for label, changes in [
        ("relu + he_normal", dict(activation="relu", init="he_normal")),
        ("tanh + normal + batch norm", dict(init="normal", batchnorm=True)),
        ("tanh + orthogonal", dict(init="orthogonal")),
        ("tanh + lsuv", dict(init="lsuv")),
        ("relu + he_normal, 50 x 500", dict(activation="relu", init="he_normal", depth=50)),
        ("relu + he_normal, residual", dict(activation="relu", init="he_normal", residual=True)),
    ]:
        other = config.replace(**changes)
        first, _ = _timed(layer_stats, other)
        warm = statistics.median(_warm_times(other, 5))
        print(f"  {label:30s} first {_ms(first)}   warm {_ms(warm)}")


def figure_builds(runs: int) -> None:
    """Median build time of every figure of the layers page: the default network A beside a network B
    with the lecture's small init (normal, scale 0.01), so that every figure, histograms_b too, is built."""
    scene = LayersScene(b=NetworkConfig(init="normal"))
    data = layers_compute.compute(scene)
    print(f"\nfigures of the layers page ({len(data.stats)} network(s); median of {runs} builds, then to_json):")
    for name in layer_figures.FIGURES:
        try:
            layer_figures.build_figure(name, scene, data)
        except ValueError as error:  # histograms_b without a second network
            print(f"  {name:13s} skipped: {error}")
            continue
        builds, jsons, size = [], [], 0
        for _ in range(runs):
            start = time.perf_counter()
            fig = layer_figures.build_figure(name, scene, data)
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            size = len(fig.to_json())
            jsons.append(time.perf_counter() - start)
        print(f"  {name:13s} build {_ms(statistics.median(builds))} + to_json {_ms(statistics.median(jsons))}"
              f"  ({size / 1024:5.0f} KiB JSON)")


def _baseline_network(ref: str):
    """The network module of git commit `ref` (with its results and activations modules), imported under
    other names from a temporary folder, or None when git cannot show it."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    folder = tempfile.mkdtemp(prefix="netstats_baseline_")
    renames = {"optviz/layers/network.py": "baseline_network", "optviz/layers/results.py": "baseline_results",
               "optviz/activations.py": "baseline_activations"}
    for path, module in renames.items():
        shown = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=root, capture_output=True, text=True)
        if shown.returncode != 0:
            print(f"  baseline {ref}: git show {path} failed: {shown.stderr.strip()}")
            return None
        text = shown.stdout
        for other, name in renames.items():  # the three import one another: point them at the copies
            text = text.replace(f"from {other[:-3].replace('/', '.')} import", f"from {name} import")
        with open(os.path.join(folder, module + ".py"), "w") as handle:
            handle.write(text)
    sys.path.insert(0, folder)
    return importlib.import_module("baseline_network")


def baseline(ref: str, runs: int) -> None:
    """Warm time of the default network (a gain slider move) with the baseline module and with this one,
    interleaved call by call."""
    old = _baseline_network(ref)
    if old is None:
        return
    new_config, old_config = NetworkConfig(), old.NetworkConfig()
    layer_stats(new_config), old.layer_stats(old_config)  # compile both
    times: dict[str, list[float]] = {"baseline": [], "this tree": []}
    for run in range(runs):
        gain = 0.5 + 0.05 * run
        for name, function, config in (("baseline", old.layer_stats, old_config), ("this tree", layer_stats, new_config)):
            start = time.perf_counter()
            function(config.replace(gain=gain))
            times[name].append(time.perf_counter() - start)
    print(f"\ndefault network, new gain each call, {runs} calls each, interleaved ({ref} vs this tree):")
    for name, samples in times.items():
        print(f"  {name:10s} median {_ms(statistics.median(samples))}   min {_ms(min(samples))}   max {_ms(max(samples))}")


def _memory_mib(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process in MiB, from /proc/self/status. getrusage's ru_maxrss
    would do, but Linux keeps it across fork + exec: a fresh child would report its parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wide(residual: bool, runs: int) -> None:
    """The notes' 6 x 4096 network on 256 inputs: first call, warm times, peak resident memory (this process)."""
    config = NetworkConfig(depth=6, width=4096, batch=256, residual=residual)
    before = _memory_mib("VmRSS")  # the runtime alone (JAX, NumPy, Plotly)
    first, _ = _timed(layer_stats, config)
    warm = [_timed(layer_stats, config.replace(gain=1.0 + 0.01 * run))[0] for run in range(runs)]
    seed = [_timed(layer_stats, config.replace(seed=100 + run))[0] for run in range(max(2, runs // 2))]
    peak = _memory_mib("VmHWM")
    print(f"  6 x 4096 x 256{' residual' if residual else ''}: first {_ms(first)}, warm (a slider) median "
          f"{_ms(statistics.median(warm))}, new seed (draws 100 M weights) median {_ms(statistics.median(seed))}, "
          f"peak RSS {peak:.0f} MiB ({before:.0f} MiB before the network), draw cache "
          f"{netstats._DRAWS.bytes / 2**20:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="warm calls to time (median reported)")
    parser.add_argument("--baseline", default="HEAD", help="git ref whose network module to time against ('' to skip)")
    parser.add_argument("--wide-only", action="store_true", help="only the 6 x 4096 network (run in a fresh process)")
    parser.add_argument("--residual", action="store_true", help="with --wide-only: residual blocks")
    options = parser.parse_args()
    if options.wide_only:
        wide(options.residual, min(options.runs, 5))
        sys.exit(0)
    main()
    figure_builds(10)
    if options.baseline:
        baseline(options.baseline, options.runs)
    print("\nthe notes' wide network, each in a fresh process:")
    for residual in (False, True):
        command = [sys.executable, os.path.abspath(__file__), "--wide-only", "--runs", "5"] + (["--residual"] if residual else [])
        print(subprocess.run(command, capture_output=True, text=True).stdout.rstrip())
    print("\nload average after (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
