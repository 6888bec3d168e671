"""Benchmark: how long users wait before a command starts, and for a first screen (issue 13.3).

Usage::

    python benchmarks/bench_startup.py             # 15 runs each; first screen on the `small` sample
    python benchmarks/bench_startup.py --quick     # 5 runs each; `tiny` sample
    python benchmarks/bench_startup.py --wh DIR    # first screen on another warehouse (`baci`-size)

Steps:

1. ``kakehashi --help``, ``kakehashi --version`` and the baseline ``python -c "import typer, rich"``
   (what any Typer + Rich command pays), each in a fresh process, ``--runs`` times, interleaved
   (help, version, baseline, help, ...) so that the machine's load falls on all three alike.
   Medians and the ratios against the baseline's median, measured in the same run.
2. The first single-importer screen in a fresh process: ``kakehashi screen --importer JPN
   --rival CHN --format json`` (every product, every year in the warehouse; output discarded),
   and the same with the default output (a table of the top rows), interleaved; wall time of
   the whole process, ``--runs`` times each; medians.

The command is the console script's code, ``python -c "from kakehashi.cli import entry; entry()"``,
with this checkout's ``src`` first on ``PYTHONPATH``.
Goals (issue 13): ``--help`` and ``--version`` within 3x the baseline; the first screen under 1 s
on the `baci`-size warehouse (the default `small` sample is a smaller, indicative case).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
KAKEHASHI = [sys.executable, "-c", "from kakehashi.cli import entry; entry()"]
RUN_TIMEOUT_S = 120.0


def wall(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds for ``cmd`` to run to completion in a fresh process (output discarded); it must succeed."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=RUN_TIMEOUT_S)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        tail = proc.stderr.decode()[-500:]
        raise SystemExit(f"{' '.join(cmd[3:]) or cmd} exited {proc.returncode}: {tail}")
    return elapsed


def verdict(ok: bool) -> str:
    """The met / not met column."""
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    """Run the start-up benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 runs each, tiny sample")
    parser.add_argument("--runs", type=int, default=None, help="runs of each command (default 15)")
    parser.add_argument("--wh", type=Path, default=None, help="warehouse of the first screen")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "kakehashi-bench")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 15)
    if not 1 <= runs <= 200:
        raise SystemExit("--runs must be 1-200")
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if args.wh is not None:
        warehouse, label = args.wh, str(args.wh)
    else:
        sys.path.insert(0, str(SRC))
        from bench_load import build_warehouse  # the same SYNTHETIC sample warehouse as `load`

        size = "tiny" if args.quick else "small"
        args.workdir.mkdir(parents=True, exist_ok=True)
        warehouse, label = build_warehouse(size, args.workdir), f"{size} SYNTHETIC sample"

    commands = {
        "kakehashi --help": [*KAKEHASHI, "--help"],
        "kakehashi --version": [*KAKEHASHI, "--version"],
        'python -c "import typer, rich"': [sys.executable, "-c", "import typer, rich"],
    }
    load_before = os.getloadavg()
    for cmd in commands.values():  # warm the OS file cache once, not measured
        wall(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            times[name].append(wall(cmd, env))
    screen_cmd = [*KAKEHASHI, "screen", "--importer", "JPN", "--rival", "CHN", "--format", "json",
                  "--warehouse", str(warehouse)]
    table_cmd = screen_cmd[:-4] + screen_cmd[-2:]  # the default output: a table of the top rows
    wall(screen_cmd, env)  # warm the file cache
    screen_times: list[float] = []
    table_times: list[float] = []
    for _ in range(runs):  # interleaved, as above
        screen_times.append(wall(screen_cmd, env))
        table_times.append(wall(table_cmd, env))
    load_after = os.getloadavg()

    med = {name: statistics.median(t) for name, t in times.items()}
    base = med['python -c "import typer, rich"']
    first = statistics.median(screen_times)
    print(f"{runs} runs each, interleaved, fresh processes; medians; load average {load_before[0]:.1f} "
          f"before, {load_after[0]:.1f} after, on {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    print(f"{'row':<44} {'result':<26} {'goal':<16} met?")
    base_name = 'python -c "import typer, rich" (baseline)'
    print(f"{base_name:<44} {base * 1000:>6.0f} ms{'':<17} {'-':<16} -")
    ok = True
    for name in ("kakehashi --help", "kakehashi --version"):
        ratio = med[name] / base
        ok &= ratio <= 3
        print(f"{name:<44} {med[name] * 1000:>6.0f} ms = {ratio:.2f}x base{'':<4} {'<= 3x baseline':<16} "
              f"{verdict(ratio <= 3)}")
    goal = "< 1 s (baci-size)"
    table = statistics.median(table_times)
    where = "" if args.wh else f"  [on the {label}, not baci-size]"
    print(f"{'first screen, fresh process, --format json':<44} {first * 1000:>6.0f} ms{'':<17} {goal:<16} "
          f"{verdict(first < 1)}{where}")
    print(f"{'the same, default table output':<44} {table * 1000:>6.0f} ms{'':<17} {goal:<16} "
          f"{verdict(table < 1)}{where}")
    return 0 if ok and first < 1 and table < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
