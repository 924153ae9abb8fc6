"""solgen's benchmarks: wall-clock ratios measured in one run on one machine (make bench).

Each measurement runs the real command line in a subprocess, timed with time.perf_counter;
the table reports medians. No test asserts a time: these numbers go into the README.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOLGEN = [sys.executable, "-m", "solgen"]


def timed(argv: list[str]) -> float:
    """Seconds one command takes (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_of(runs: int, make_argv) -> float:
    return statistics.median(timed(make_argv(i)) for i in range(runs))


def bench_batch(work: Path, runs: int, count: int, jobs: int) -> dict[str, float]:
    """Batch wall time versus count x one variant's build time / jobs."""
    single = median_of(
        runs,
        lambda i: [
            *SOLGEN,
            "build",
            "--variant",
            str(work / "v.toml"),
            "--out",
            str(work / f"one{i}"),
        ],
    )
    batch = median_of(
        runs,
        lambda i: [
            *SOLGEN,
            "batch",
            "--count",
            str(count),
            "--jobs",
            str(jobs),
            "--force",
            "--out",
            str(work / f"batch{i}"),
        ],
    )
    ideal = count * single / jobs
    return {"single": single, "batch": batch, "ideal": ideal, "ratio": batch / ideal}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="solgen-bench-") as tmp:
        work = Path(tmp)
        subprocess.run([*SOLGEN, "variant", "--seed", "0", "-o", str(work / "v.toml")], check=True)
        b = bench_batch(work, args.runs, args.count, args.jobs)
    print(f"| measurement | median of {args.runs} | ")
    print("|---|---|")
    print(f"| `build` of one variant (both PDFs) | {b['single']:.2f} s |")
    batch = f"`batch --count {args.count} --jobs {args.jobs}` (PDFs, combined PDFs)"
    print(f"| {batch} | {b['batch']:.2f} s |")
    print(f"| {args.count} x one build / {args.jobs} | {b['ideal']:.2f} s |")
    print(f"| ratio (goal <= 1.25) | {b['ratio']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
