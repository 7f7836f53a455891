"""Benchmark optviz.training: per-step cost vs PyTorch eager, warm run time, recompilations. Prints, asserts nothing.

    .venv/bin/python benchmarks/bench_train.py [--runs 9]

Measures, for the training lab's default run (moons, 200 samples, 3 x 32 ReLU, He normal, batch
32, Adam lr 0.01, 2,000 steps):
  - the first call (data, init and training kernels traced and compiled, plus one run);
  - the warm time of a whole default run (101 evaluations on the full sets, 51 decision-boundary
    snapshots, weight histograms): median and min of --runs calls, each with a new learning rate;
  - the per-step cost: a run with evaluations only at steps 0 and 2,000, divided by 2,000 (its
    runs alternate with the default's, so both see the same load);
  - the same network, optimizer, batch sampling and loss in PyTorch eager (zero_grad, forward,
    cross-entropy, backward, Adam step per step: a Python loop), at 1 and 2 threads, with
    torch's default Adam and its foreach variant; the fastest setting is compared. PyTorch is used
    only where it is importable (it is not a requirement of optviz);
  - the number of compilations while every traced setting changes (target 0), and the compile
    time of a new activation, a new optimizer and a new init;
  - 8 seeds at once (vmapped) against 8 single runs;
  - a learning-rate move on the lab page, without the browser: the page's compute (one new run,
    through its result cache) plus building the main figure and serialising it (what Streamlit
    sends), for the default scene and for A and B compared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

from optviz.training import TrainConfig, make_data, run_training, trace_count  # noqa: E402


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:8.2f} ms"


def _us(seconds: float) -> str:
    return f"{1e6 * seconds:8.2f} us"


def _timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def _lr_moves(config: TrainConfig, runs: int) -> list[TrainConfig]:
    """`runs` copies of `config`, each with a new learning rate (a slider move)."""
    base, hparams = config.hparam_values["learning_rate"], config.hparam_values
    return [config.replace(hparams={**hparams, "learning_rate": base * (1 + 0.01 * i)}) for i in range(runs)]


def _interleaved_times(configs: dict[str, TrainConfig], runs: int) -> dict[str, list[float]]:
    """Warm times of `runs` learning-rate moves of each config, taken in turn (the same load for all)."""
    for config in configs.values():
        run_training(config)
    moves = {name: _lr_moves(config, runs) for name, config in configs.items()}
    times: dict[str, list[float]] = {name: [] for name in configs}
    for i in range(runs):
        for name in configs:
            times[name].append(_timed(run_training, moves[name][i]))
    return times


def _torch_step_time(config: TrainConfig, threads: int, foreach: bool, steps: int) -> float | None:
    """Seconds per step of the same training loop in PyTorch eager, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(config.seed)
    x, y, _, _ = make_data(config.dataset, config.samples, config.seed, {"noise": config.noise})
    x_t, y_t = torch.tensor(x), torch.tensor(y, dtype=torch.long)
    layers: list = []
    sizes = [2] + [config.width] * config.depth
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(config.width, 2))
    net = torch.nn.Sequential(*layers)
    for module in net:
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            torch.nn.init.zeros_(module.bias)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.hparam_values["learning_rate"], foreach=foreach)
    loss_fn = torch.nn.CrossEntropyLoss()

    def loop(n: int) -> None:
        for _ in range(n):
            rows = torch.randint(0, config.samples, (config.batch_size,))  # with replacement, as optviz
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(x_t[rows]), y_t[rows])
            loss.backward()
            optimizer.step()

    loop(50)  # warm-up (allocator, kernels)
    times = [_timed(loop, steps) / steps for _ in range(3)]
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="warm runs to time (median reported)")
    parser.add_argument("--torch-steps", type=int, default=2000, help="steps per timed PyTorch loop")
    args = parser.parse_args()

    config = TrainConfig()  # the lab's defaults
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {os.cpu_count()} CPU cores")
    print("load average before (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + "  (other work on the machine inflates every figure below)")
    print(f"run: {config.values()}")

    # -- first call and warm whole runs ----------------------------------------------------------
    first = _timed(run_training, config)
    print(f"\nfirst call (compile data + init + training kernels, one run): {first:6.2f} s")
    steps_only = config.replace(eval_every=config.steps)  # evaluations only at 0 and K
    times = _interleaved_times({"default": config, "steps": steps_only}, args.runs)
    warm, step_runs = times["default"], times["steps"]
    print(f"default run of {config.steps} steps, warm (101 evaluations, 51 snapshots): "
          f"median {_ms(statistics.median(warm))}, min {_ms(min(warm))}   target < 100 ms")

    # -- per step: evaluations only at 0 and K ------------------------------------------------------
    jax_step = min(step_runs) / config.steps
    print(f"JAX per step (a {config.steps}-step lax.scan, evaluations only at 0 and {config.steps}): "
          f"{_us(jax_step)}  (whole run min {_ms(min(step_runs))}, median {_ms(statistics.median(step_runs))})")

    # -- PyTorch eager ------------------------------------------------------------------------------
    torch_times: dict[str, float] = {}
    for threads in (1, 2):
        for foreach in (False, True):
            seconds = _torch_step_time(config, threads, foreach, args.torch_steps)
            if seconds is None:
                break
            torch_times[f"{threads} thread{'s' if threads > 1 else ''}, Adam foreach={foreach}"] = seconds
    if torch_times:
        import torch

        print(f"\nPyTorch {torch.__version__} eager, same network/optimizer/batch ({args.torch_steps} steps):")
        for label, seconds in torch_times.items():
            print(f"  {label:34s} {_us(seconds)} per step")
        best_label, best = min(torch_times.items(), key=lambda item: item[1])
        print(f"ratio: PyTorch eager at its fastest ({best_label}) / JAX per step = {best / jax_step:5.1f}x"
              "   target >= 10x")
    else:
        print("\nPyTorch is not importable here: no comparison (JAX figures above).")

    # -- recompilations ---------------------------------------------------------------------------
    before = trace_count()
    moves = [
        config.replace(hparams={"learning_rate": 0.003, "b1": 0.8, "b2": 0.99, "eps": 1e-6, "bias_correction": False}),
        config.replace(l2=0.01, l1=0.001),
        config.replace(scale=0.3, gain=1.5),
        config.replace(noise=0.3, samples=250, seed=5),
        config.replace(steps=1500),  # eval_every 15: 100 evaluations, the same slot bucket
        config.replace(schedule="step", schedule_params={"step_size": 200, "gamma": 0.5}),
        config.replace(schedule="step", schedule_params={"step_size": 500, "gamma": 0.8}),
        config.replace(dropout=0.2),
        config.replace(dropout=0.5),
    ]
    for move in moves[:5]:
        run_training(move)
    traced_only = trace_count() - before
    for move in moves[5:]:
        run_training(move)
    print(f"\ncompilations while learning rate, Adam's b1/b2/eps/bias correction, L1, L2, init scale and gain, "
          f"noise, samples, seed and steps change: {traced_only}   target 0")
    switches = trace_count() - before - traced_only
    print(f"  (turning a step schedule on and dropout on: {switches} compilations, once each; "
          f"moving their parameters after that: 0 more)")

    for label, change in (("a new activation (tanh)", {"activation": "tanh", "init": "glorot_normal"}),
                          ("a new optimizer (momentum)", {"optimizer": "momentum"}),
                          ("a new init (orthogonal)", {"init": "orthogonal"})):
        before = trace_count()
        seconds = _timed(run_training, config.replace(**change))
        print(f"compile + run after {label:28s}: {seconds:5.2f} s ({trace_count() - before} stage(s) compiled)")

    # -- seeds at once -----------------------------------------------------------------------------
    run_training(config, seeds=8)
    vmapped = min(_timed(run_training, config.replace(hparams={"learning_rate": 0.011}), seeds=8) for _ in range(3))
    single = min(_timed(run_training, config.replace(hparams={"learning_rate": 0.011})) for _ in range(3))
    print(f"\n8 seeds at once (vmapped): {_ms(vmapped)}; one seed: {_ms(single)}; "
          f"8 single runs would take ~{_ms(8 * single)}")

    # -- part two: an ensemble against one run, digits, transfer ---------------------------------------
    ensemble = config.replace(ensemble=5)
    run_training(ensemble)
    times = _interleaved_times({"one": config.replace(seed=1), "ensemble": ensemble.replace(seed=1)}, args.runs)
    one, five = statistics.median(times["one"]), statistics.median(times["ensemble"])
    print(f"\nensemble of 5 (members vmapped, padded to 8): median {_ms(five)}; one run: {_ms(one)}; "
          f"ratio {five / one:4.2f}x   target well under 5x")
    digits = TrainConfig(dataset="digits", samples=898, steps=2000)
    first = _timed(run_training, digits)
    times = _interleaved_times({"digits": digits.replace(seed=1)}, args.runs)["digits"]
    print(f"digits (898 images, 3x32 ReLU, Adam, batch 32), 2000 steps: first call {first:5.2f} s, warm median "
          f"{_ms(statistics.median(times))} ({statistics.median(times) / one:4.2f}x the default moons run)")
    transfer = TrainConfig(dataset="digits", transfer="finetune", samples_per_class=5, steps=500, pretrain_steps=1000)
    first = _timed(run_training, transfer)
    again = _timed(run_training, transfer.replace(finetune_factor=0.2))
    print(f"transfer (fine-tune, 1000 pretraining + 500 steps): first call {first:5.2f} s; a new factor "
          f"(pretraining cached) {_ms(again)}")

    # -- a slider move on the page (server side) ------------------------------------------------------
    from optviz.memo import RESULTS_BYTES
    from optviz.training.compute import RunCache, compute
    from optviz.training.figures import build_figure
    from optviz.training.scene import TrainScene

    print("\na learning-rate move on the lab page (compute through the cache + main figure built and serialised):")
    for label, compare in (("default scene", None), ("A and B compared", {"optimizer": "sgd"})):
        cache = RunCache(RESULTS_BYTES)
        compute(TrainScene.build({}, compare), cache)  # compiled and warm
        totals, figures, sizes = [], [], []
        for i in range(args.runs):
            scene = TrainScene.build({"hparams": {"learning_rate": 0.01 * (1.1 + 0.01 * i)}}, compare)
            start = time.perf_counter()
            data = compute(scene, cache)
            built = time.perf_counter()
            sizes.append(len(build_figure("curves", scene, data).to_json()))
            figures.append(time.perf_counter() - built)
            totals.append(time.perf_counter() - start)
        print(f"  {label:18s} total median {_ms(statistics.median(totals))} (figure {_ms(statistics.median(figures))}, "
              f"{statistics.median(sizes) / 1e3:.0f} kB of figure JSON)")


if __name__ == "__main__":
    main()
