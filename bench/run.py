"""solgen's benchmarks: wall-clock ratios measured in one run on one machine (make bench).

Each measurement runs the real command line in a subprocess, timed with time.perf_counter;
the table reports medians. No test asserts a time: these numbers go into the README.
The commands share a cache directory of their own (SOLGEN_CACHE_DIR), made warm by one
untimed build first, as it is on a user's machine from the second build on; the first build
of all (empty cache: derivations and the preamble's format are made) is reported apart.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

SOLGEN = [sys.executable, "-m", "solgen"]


def timed(argv: list[str], cache: str | None = None) -> float:
    """Seconds one command takes (it must succeed); cache: its SOLGEN_CACHE_DIR, if not ours."""
    env = dict(os.environ)
    if cache is not None:
        env["SOLGEN_CACHE_DIR"] = cache
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def median_of(runs: int, make_argv) -> float:
    return statistics.median(timed(make_argv(i)) for i in range(runs))


def single_build(work: Path, runs: int, prefix: str) -> float:
    """One variant's build (both PDFs), the yardstick of the batch ratios."""
    variant = str(work / "v.toml")
    return median_of(
        runs,
        lambda i: [*SOLGEN, "build", "--variant", variant, "--out", str(work / f"{prefix}{i}")],
    )


def bench_batch(work: Path, runs: int, count: int, jobs: int) -> dict[str, float]:
    """Batch wall time versus count x one variant's build time / jobs."""
    single = single_build(work, runs, "one")
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


def bench_roster(work: Path, runs: int, jobs: int, students: int = 30) -> dict[str, float]:
    """A roster batch with PDFs (key.pdf, handout/, solutions/, combined PDFs included) versus
    students x one build / jobs; and a rerun with nothing to do."""
    roster = work / "roster.csv"
    rows = [f"s{i:02d},Student Núñez {i}" for i in range(1, students + 1)]
    roster.write_text("id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    key = work / "course.key"
    if not key.exists():
        subprocess.run([*SOLGEN, "key", "-o", str(key)], check=True, stdout=subprocess.DEVNULL)
    single = single_build(work, runs, "r")

    def batch(out: str) -> list[str]:
        roster_args = ["--roster", str(roster), "--key", str(key)]
        return [*SOLGEN, "batch", *roster_args, "--jobs", str(jobs), "--out", out]

    full = median_of(runs, lambda i: batch(str(work / f"class{i}")))
    noop = median_of(runs, lambda i: batch(str(work / "class0")))
    ideal = students * single / jobs
    return {"batch": full, "ideal": ideal, "ratio": full / ideal, "noop": noop}


def bench_grade(work: Path, runs: int, students: int = 300) -> dict[str, float]:
    """grade of a class that answers with the key's own answers.csv (every number, no design):
    as one CSV, and each student's row as their own answer-form.csv in a Canvas submissions
    zip."""
    roster = work / "grade-roster.csv"
    rows = [f"s{i:03d},Student {i}" for i in range(1, students + 1)]
    roster.write_text("id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    key, out = work / "grade.key", work / "grade-class"
    subprocess.run([*SOLGEN, "key", "-o", str(key)], check=True, stdout=subprocess.DEVNULL)
    batch = ["batch", "--roster", str(roster), "--key", str(key), "--no-pdf", "--out", str(out)]
    subprocess.run([*SOLGEN, *batch], check=True, stdout=subprocess.DEVNULL)
    answers = out / "answers.csv"
    header, *lines = answers.read_text("utf-8").splitlines()
    submissions = work / "submissions.zip"
    with zipfile.ZipFile(submissions, "w") as archive:
        for n, line in enumerate(lines):
            name = f"student{n}_{40000 + n}_{90000 + n}_answer-form.csv"
            archive.writestr(name, f"{header}\n{line}\n")

    def grade(given: Path) -> list[str]:
        return [
            *SOLGEN,
            "grade",
            "--key",
            str(out),
            "--answers",
            str(given),
            "-o",
            str(work / "g.csv"),
        ]

    return {
        "csv": median_of(runs, lambda i: grade(answers)),
        "zip": median_of(runs, lambda i: grade(submissions)),
    }


def bench_build(work: Path, runs: int) -> dict[str, float]:
    """solgen build (both PDFs) versus pdflatex once on each generated .tex."""
    out = work / "seed"
    first = timed([*SOLGEN, "build", "--out", str(work / "first")])  # the cache is empty
    build = median_of(runs, lambda i: [*SOLGEN, "build", "--out", str(out)])
    no_cache = statistics.median(
        timed([*SOLGEN, "build", "--out", str(work / f"plain{i}")], cache="") for i in range(runs)
    )
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
    return {
        "first": first,
        "build": build,
        "no_cache": no_cache,
        "pdflatex": both,
        "ratio": build / both,
        **pdflatex,
    }


def bench_derivation(runs: int) -> dict[str, float]:
    """The SymPy derivation: computed (cold) versus read from the disk cache (warm)."""
    from sympy.core.cache import clear_cache

    from solgen.base import cache
    from solgen.problems.network import derive as p1_network

    cold, warm = [], []
    previous = os.environ.get("SOLGEN_CACHE_DIR")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SOLGEN_CACHE_DIR"] = folder
        assert cache.cache_dir() == Path(folder)
        for _ in range(runs):
            for path in Path(folder).glob("*.json"):  # the cache holds JSON, not pickles
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
    if previous is not None:
        os.environ["SOLGEN_CACHE_DIR"] = previous
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


def bench_largest_sigmoid(work: Path, runs: int) -> float:
    """build --no-pdf of a sigmoid network at the largest accepted size (N*d*h = 1,000,000)."""
    largest = work / "largest.toml"
    shape = ["--samples", "250", "--inputs", "40", "--hidden", "100"]
    subprocess.run([*SOLGEN, "variant", "--seed", "7", *shape, "-o", str(largest)], check=True)
    text = largest.read_text(encoding="utf-8").replace(
        'activation = "relu"', 'activation = "sigmoid"'
    )
    largest.write_text(text, encoding="utf-8")
    return _time_no_pdf_build(largest, work / "L", runs)


def _matrix(draw: random.Random, count: int, width: int, scale: float) -> list[list[float]]:
    return [[round(draw.uniform(-scale, scale), 3) for _ in range(width)] for _ in range(count)]


def _network_toml(
    X: list[list[float]],
    t: list[float],
    W1: list[list[float]],
    b1: list[float],
    w2: list[float],
    activation: str,
) -> str:
    def rows(matrix: list[list[float]]) -> str:
        return "[" + ",".join("[" + ",".join(map(str, row)) + "]" for row in matrix) + "]"

    def vector(values: list[float]) -> str:
        return "[" + ",".join(map(str, values)) + "]"

    return (
        f"[problem1]\nX = {rows(X)}\nt = {vector(t)}\nW1 = {rows(W1)}\nb1 = {vector(b1)}\n"
        f'w2 = {vector(w2)}\nb2 = 0.5\nactivation = "{activation}"\n'
    )


def bench_saturated_sigmoid(work: Path, runs: int) -> float:
    """The largest sigmoid network with every entry up to +-1000: nearly every unit saturated
    (50 s before the ball arithmetic)."""
    draw = random.Random(5)
    N, d, h = 250, 40, 100
    X, W1 = _matrix(draw, N, d, 1000), _matrix(draw, h, d, 1000)
    t, b1, w2 = (_matrix(draw, 1, n, 1000)[0] for n in (N, h, h))
    variant = work / "saturated.toml"
    variant.write_text(_network_toml(X, t, W1, b1, w2, "sigmoid"), encoding="utf-8")
    return _time_no_pdf_build(variant, work / "S", runs)


def bench_symmetric_tanh(work: Path, runs: int) -> float:
    """The largest tanh network on data symmetric about 0 (rows x and -x, b1 = 0, t = 0): its
    exact zeros are decided only at 1,536 bits, the slowest path of the balls."""
    draw = random.Random(7)
    N, d, h = 250, 40, 100
    half = _matrix(draw, N // 2, d, 1)
    X = half + [[-v for v in row] for row in half]
    W1 = _matrix(draw, h, d, 1)
    w2 = _matrix(draw, 1, h, 1)[0]
    text = _network_toml(X, [0.0] * N, W1, [0.0] * h, w2, "tanh").replace("b2 = 0.5", "b2 = 0.0")
    variant = work / "symmetric.toml"
    variant.write_text(text, encoding="utf-8")
    return _time_no_pdf_build(variant, work / "T", runs)


def _time_no_pdf_build(variant: Path, out: Path, runs: int) -> float:
    """The median time of `build --no-pdf` of one variant file."""
    return median_of(
        runs, lambda i: [*SOLGEN, "build", "--no-pdf", "--variant", str(variant), "--out", str(out)]
    )


def bench_largest_relu(work: Path, runs: int) -> float:
    """build --no-pdf of a ReLU network at the largest accepted size: N*d*h = 50,000,000 and
    N*h = 250,000 (N=1000, d=200, h=250), written directly: the generator stops sooner."""
    draw = random.Random(11)

    def rows(count: int, width: int) -> str:
        return (
            "["
            + ",".join(
                "[" + ",".join(f"{draw.randint(-10, 10) / 10}" for _ in range(width)) + "]"
                for _ in range(count)
            )
            + "]"
        )

    def vector(count: int) -> str:
        return "[" + ",".join(f"{draw.randint(-10, 10) / 10}" for _ in range(count)) + "]"

    largest = work / "largest-relu.toml"
    largest.write_text(
        f"[problem1]\nX = {rows(1000, 200)}\nt = {vector(1000)}\nW1 = {rows(250, 200)}\n"
        f'b1 = {vector(250)}\nw2 = {vector(250)}\nb2 = 0.1\nactivation = "relu"\n',
        encoding="utf-8",
    )
    return _time_no_pdf_build(largest, work / "R", runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="solgen-bench-") as tmp:
        work = Path(tmp)
        os.environ["SOLGEN_CACHE_DIR"] = str(work / "cache")  # for every command below
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
        rows.append(
            ("`build`, first ever (empty cache: makes the format)", f"{b['first']:.2f} s", "")
        )
        rows.append(
            (
                "`build`, cache disabled (no format: plain pdflatex)",
                f"{b['no_cache']:.2f} s = {b['no_cache'] / b['pdflatex']:.2f} x pdflatex",
                "",
            )
        )
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
        largest = bench_largest_sigmoid(work, args.runs)
        rows.append(
            (
                "`build --no-pdf`, sigmoid, N=250 d=40 h=100 (the largest accepted size)",
                f"{largest:.1f} s",
                "<= 30 s",
            )
        )
        saturated = bench_saturated_sigmoid(work, args.runs)
        rows.append(
            (
                "`build --no-pdf`, sigmoid, N=250 d=40 h=100, entries up to +-1000 (saturated)",
                f"{saturated:.1f} s",
                "<= 30 s",
            )
        )
        symmetric = bench_symmetric_tanh(work, args.runs)
        rows.append(
            (
                "`build --no-pdf`, tanh, N=250 d=40 h=100, data symmetric about 0 (1,536 bits)",
                f"{symmetric:.1f} s",
                "<= 30 s",
            )
        )
        relu = bench_largest_relu(work, min(args.runs, 3))
        rows.append(
            (
                "`build --no-pdf`, ReLU, N=1000 d=200 h=250 (the largest accepted size)",
                f"{relu:.1f} s",
                "<= 30 s",
            )
        )
        g = bench_grade(work, args.runs)
        rows.append(
            (
                "`grade`, 300 students answering with answers.csv: the CSV / a Canvas "
                "submissions zip of 300 forms",
                f"{g['csv']:.2f} s / {g['zip']:.2f} s",
                "<= 10 s",
            )
        )
        r = bench_roster(work, args.runs, args.jobs)
        rows.append(
            (
                "`batch --roster` (30 students, PDFs, key.pdf, handout/, solutions/) "
                f"/ (30 x build / {args.jobs})",
                f"{r['batch']:.1f} s / {r['ideal']:.1f} s = {r['ratio']:.2f}",
                "<= 1.25",
            )
        )
        rows.append(("`batch --roster` rerun with nothing to do", f"{r['noop']:.2f} s", "< 1 s"))
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
