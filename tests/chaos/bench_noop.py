"""How long a rerun with nothing to do takes (issue 22): a benchmark, not a test.

    .venv/bin/python tests/chaos/bench_noop.py [--students 300] [--shape N D H] [--runs 5]

Builds a roster batch (--no-pdf) into a temporary folder once, then times `solgen batch` run
again with the same roster and key (nothing to do) in a fresh process each time, and prints
the median. PYTHONPATH decides which solgen is measured (a checkout of an older commit, say).
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


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--students", type=int, default=300)
    options.add_argument("--shape", type=int, nargs=3, default=None, metavar=("N", "D", "H"))
    options.add_argument("--runs", type=int, default=5)
    options.add_argument("--jobs", type=int, default=2)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as top:
        root = Path(top)
        roster = root / "roster.csv"
        roster.write_text(
            "id,name\n" + "".join(f"s{i:05d},Student {i}\n" for i in range(args.students)),
            encoding="utf-8",
        )
        key = root / "course.key"
        subprocess.run([sys.executable, "-m", "solgen", "key", "-o", str(key)], check=True)
        command = [sys.executable, "-m", "solgen", "batch", "--roster", str(roster)]
        command += ["--key", str(key), "--out", str(root / "class"), "--no-pdf"]
        if args.shape:
            n, d, h = args.shape
            command += ["--samples", str(n), "--inputs", str(d), "--hidden", str(h)]
        env = {**os.environ, "SOLGEN_CACHE_DIR": str(root / "cache")}
        start = time.perf_counter()
        first = [*command, "--jobs", str(args.jobs)]
        subprocess.run(first, check=True, capture_output=True, env=env)
        print(f"first build of {args.students}: {time.perf_counter() - start:.1f} s")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            times.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stderr
            assert f"0 built, {args.students} up to date" in done.stdout, done.stdout[-300:]
        shape = " x ".join(map(str, args.shape)) if args.shape else "default"
        each = ", ".join(f"{t:.2f}" for t in times)
        median = statistics.median(times)
        what = f"no-op rerun, {args.students} students, shape {shape}"
        print(f"{what}: median {median:.2f} s ({each})")


if __name__ == "__main__":
    main()
