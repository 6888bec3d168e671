"""Run every kakehashi benchmark in sequence: ``python benchmarks/run.py [--quick] [NAME ...] [OPTIONS]``.

``python benchmarks/run.py load --wh DIR`` runs one benchmark; options the
runner does not know (``--wh DIR``, ``--repeats N``, ...) are passed on to each
benchmark named. Names: ingest, load, optimize, sample, scale, scenario,
screen, startup.

Each ``bench_*.py`` beside this file is run as its own process (so peak
memory is measured per benchmark) and prints its medians and the ratio
against the baseline it computes in the same run. Results are collected in
``benchmarks/out/results.md`` for copying into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named on the command line (default: all)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes (seconds, not minutes)")
    parser.add_argument("names", nargs="*", help="benchmark names, e.g. ingest screen")
    args, extra = parser.parse_known_args(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        known = {s.stem.removeprefix("bench_") for s in scripts}
        unknown = sorted(set(args.names) - known)
        if unknown:
            parser.error(f"no benchmark named {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.names]
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    report = ["# Benchmark results", ""]
    failed = 0
    for script in scripts:
        cmd = [sys.executable, str(script), *(["--quick"] if args.quick else []), *extra]
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        print(proc.stdout, end="")
        if proc.returncode:
            failed += 1
            print(proc.stderr, file=sys.stderr, end="")
        report += [f"## {script.stem}", "", f"`{' '.join(['python', *cmd[1:]])}` "
                   f"(exit {proc.returncode}, {elapsed:.0f} s)", "", "```", proc.stdout.strip(), "```", ""]
    (out_dir / "results.md").write_text("\n".join(report))
    print(f"wrote {out_dir / 'results.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
