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


def bench_build(work: Path, runs: int) -> dict[str, float]:
    """solgen build (both PDFs) versus pdflatex once on each generated .tex."""
    out = work / "seed"
    build = median_of(runs, lambda i: [*SOLGEN, "build", "--out", str(out)])
    tex = work / "tex"
    tex.mkdir()
    for name in ("solution", "assignment"):
        (tex / f"{name}.tex").write_bytes((out / f"{name}.tex").read_bytes())
    pdflatex = {
        name: median_of(
            runs,
            lambda i, name=name: [
                "sh",
                "-c",
                f"cd {tex} && pdflatex -interaction=nonstopmode {name}.tex",
            ],
        )
        for name in ("solution", "assignment")
    }
    both = pdflatex["solution"] + pdflatex["assignment"]
    return {"build": build, "pdflatex": both, "ratio": build / both, **pdflatex}


def bench_derivation(runs: int) -> dict[str, float]:
    """The SymPy derivation: computed (cold) versus read from the disk cache (warm)."""
    from sympy.core.cache import clear_cache

    from solgen import cache
    from solgen.problems import p1_network

    cold, warm = [], []
    with tempfile.TemporaryDirectory() as folder:
        import os

        os.environ["SOLGEN_CACHE_DIR"] = folder
        for _ in range(runs):
            for path in Path(folder).glob("*.pickle"):
                path.unlink()
            p1_network.derive.cache_clear()
            clear_cache()  # SymPy's own in-memory cache would make "cold" warm
            start = time.perf_counter()
            p1_network.derive("sigmoid")
            cold.append(time.perf_counter() - start)
            p1_network.derive.cache_clear()
            start = time.perf_counter()
            p1_network.derive("sigmoid")
            warm.append(time.perf_counter() - start)
        del os.environ["SOLGEN_CACHE_DIR"]
        assert cache.cache_dir() is not None
    c, w = statistics.median(cold), statistics.median(warm)
    return {"cold": c, "warm": w, "ratio": c / w}


def bench_scaling(work: Path, runs: int) -> dict[str, float]:
    """build --no-pdf: N=256, d=32, h=64 versus the seed's size."""
    big = work / "big.toml"
    subprocess.run(
        [
            *SOLGEN,
            "variant",
            "--seed",
            "5",
            "--samples",
            "256",
            "--inputs",
            "32",
            "--hidden",
            "64",
            "-o",
            str(big),
        ],
        check=True,
    )
    seed = median_of(runs, lambda i: [*SOLGEN, "build", "--no-pdf", "--out", str(work / "s")])
    large = median_of(
        runs,
        lambda i: [*SOLGEN, "build", "--no-pdf", "--variant", str(big), "--out", str(work / "b")],
    )
    return {"seed": seed, "large": large, "ratio": large / seed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="solgen-bench-") as tmp:
        work = Path(tmp)
        subprocess.run([*SOLGEN, "variant", "--seed", "0", "-o", str(work / "v.toml")], check=True)
        b = bench_build(work, args.runs)
        rows.append(("`build` (both PDFs, in parallel)", f"{b['build']:.2f} s", ""))
        rows.append(
            (
                "pdflatex once on solution.tex + once on assignment.tex",
                f"{b['solution']:.2f} + {b['assignment']:.2f} s",
                "",
            )
        )
        rows.append(("build / pdflatex", f"{b['ratio']:.2f}", "<= 1.3"))
        d = bench_derivation(args.runs)
        rows.append(
            (
                "SymPy derivation (sigmoid), cold / warm (disk cache)",
                f"{d['cold'] * 1000:.0f} ms / {d['warm'] * 1000:.1f} ms",
                "",
            )
        )
        rows.append(("cold / warm", f"{d['ratio']:.0f}", ""))
        s = bench_scaling(work, args.runs)
        rows.append(
            (
                "`build --no-pdf`, N=256 d=32 h=64 / seed size",
                f"{s['large']:.2f} s / {s['seed']:.2f} s = {s['ratio']:.2f}",
                "<= 3",
            )
        )
        for count in (20, 40):
            bt = bench_batch(work, args.runs, count, args.jobs)
            rows.append(
                (
                    f"`batch --count {count} --jobs {args.jobs}` / ({count} x build / {args.jobs})",
                    f"{bt['batch']:.1f} s / {bt['ideal']:.1f} s = {bt['ratio']:.2f}",
                    "<= 1.25",
                )
            )
    print(f"| measurement (median of {args.runs}) | result | goal |")
    print("|---|---|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value} | {goal} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
