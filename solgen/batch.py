"""Many variants at once: parallel builds, answer keys, combined PDFs, shards and their merge."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from solgen.build import BuildOptions, build
from solgen.compile import (
    DEFAULT_TIMEOUT,
    Compiled,
    compile_tex,
    remove_leftover_scratch,
    require_tex,
)
from solgen.errors import InvalidInput
from solgen.files import atomic_write, exclusive
from solgen.generate import Shape, variant_text

ANSWERS_CSV = "answers.csv"
ANSWERS_JSON = "answers.json"
COMBINED = {"solution": "all-solutions", "assignment": "all-assignments"}


@dataclass(frozen=True)
class BatchOptions:
    """What to build: seeds seed .. seed + count - 1 (those of this shard), where, how."""

    count: int
    seed: int = 0
    jobs: int = 0  # 0: one per CPU
    out: Path = Path("batch")
    pdf: bool = True
    shard: tuple[int, int] = (1, 1)  # K/M: the indices i with i % M == K - 1
    force: bool = False
    shape: Shape = field(default_factory=Shape)
    timeout: float = DEFAULT_TIMEOUT
    template_dir: Path | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one variant."""

    id: str
    seed: int
    status: str  # "built", "skipped" (already complete) or "failed"
    error: str = ""


@dataclass
class BatchReport:
    """The outcomes of a batch, in id order, and its duration."""

    outcomes: list[Outcome]
    seconds: float
    combined: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        """The variants that did not build."""
        return [o for o in self.outcomes if o.status == "failed"]


def parse_shard(text: str) -> tuple[int, int]:
    """'K/M' with 1 <= K <= M."""
    try:
        k_text, m_text = text.split("/")
        k, m = int(k_text), int(m_text)
    except ValueError:
        raise InvalidInput([f"--shard: expected K/M such as 2/4, found {text!r}"]) from None
    if not 1 <= k <= m:
        raise InvalidInput([f"--shard: expected 1 <= K <= M, found {text}"])
    return k, m


def plan(options: BatchOptions) -> list[tuple[str, int]]:
    """(id, seed) of every variant this shard builds; ids are zero-padded seeds."""
    k, m = options.shard
    width = max(4, len(str(options.seed + options.count - 1)))
    return [
        (str(options.seed + i).zfill(width), options.seed + i)
        for i in range(options.count)
        if i % m == k - 1
    ]


def _complete(folder: Path, pdf: bool, text: str) -> bool:
    """Whether a previous run built this variant from the same variant file."""
    names = ["variant.toml", "results.json", "solution.tex", "assignment.tex"]
    names += ["solution.pdf", "assignment.pdf"] if pdf else []
    if not all((folder / name).is_file() for name in names):
        return False
    return (folder / "variant.toml").read_text(encoding="utf-8") == text


def build_one(variant_id: str, seed: int, options: BatchOptions) -> Outcome:
    """Generate and build one variant; never raises (a failure is an Outcome)."""
    from solgen.variant import load_variant

    folder = options.out / variant_id
    try:
        text = variant_text(seed, options.shape)
        skip = not options.force and _complete(folder, options.pdf, text)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "variant.toml", text)
        variant = load_variant(folder / "variant.toml")
        if not skip:
            build(
                variant,
                BuildOptions(
                    out_dir=folder,
                    pdf=options.pdf,
                    template_dir=options.template_dir,
                    timeout=options.timeout,
                ),
            )
        return Outcome(variant_id, seed, "skipped" if skip else "built")
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Outcome(variant_id, seed, "failed", error=f"{type(exc).__name__}: {first_line}")


class Progress:
    """A progress bar with an ETA on a terminal; silent otherwise."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.done = self.failed = 0
        self.start = time.perf_counter()
        self.active = stream.isatty()

    def update(self, outcome: Outcome) -> None:
        """Count one finished variant and redraw."""
        self.done += 1
        self.failed += outcome.status == "failed"
        if not self.active:
            return
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(
            f"\r[{bar}] {self.done}/{self.total}  failed {self.failed}  "
            f"ETA {int(eta) // 60}:{int(eta) % 60:02d} "
        )
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def run_batch(options: BatchOptions, progress_stream: TextIO = sys.stderr) -> BatchReport:
    """Build every variant of this shard in parallel, then the answer keys and combined PDFs."""
    if options.pdf:
        require_tex()
    if options.out.exists() and not options.out.is_dir():
        raise InvalidInput([f"--out: {options.out} exists and is not a directory"])
    jobs = options.jobs or os.cpu_count() or 1
    todo = plan(options)
    start = time.perf_counter()
    options.out.mkdir(parents=True, exist_ok=True)
    with exclusive(options.out):
        return _run_locked(options, todo, jobs, progress_stream, start)


def _run_locked(
    options: BatchOptions,
    todo: list[tuple[str, int]],
    jobs: int,
    progress_stream: TextIO,
    start: float,
) -> BatchReport:
    remove_leftover_scratch(options.out)
    _warm_caches(options)
    progress = Progress(len(todo), progress_stream)
    outcomes: list[Outcome] = []
    # fork: the workers inherit the warm SymPy caches instead of deriving again.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures: list[Future[Outcome]] = [
            pool.submit(build_one, variant_id, seed, options) for variant_id, seed in todo
        ]
        for future in as_completed(futures):
            outcome = future.result()
            progress.update(outcome)
            outcomes.append(outcome)
    outcomes.sort(key=lambda o: o.id)
    good = [o for o in outcomes if o.status != "failed"]
    answers = {o.id: _read_results(options.out / o.id) for o in good}
    write_answers(options.out, answers)
    report = BatchReport(outcomes=outcomes, seconds=0.0)
    if options.pdf and good:
        report.combined = _combined_pdfs(good, options)
    report.seconds = time.perf_counter() - start
    return report


def _warm_caches(options: BatchOptions) -> None:
    """Before the workers fork: derive problem 1 for every activation, make the preamble's
    format (so that the workers do not all make it at once)."""
    from solgen.build import own_preamble, render_documents, solve
    from solgen.compile import precompile
    from solgen.problems import p1_network
    from solgen.variant import load_variant

    for activation in ("relu", "sigmoid", "tanh"):
        p1_network.derive(activation)
    if options.pdf and own_preamble(options.template_dir):
        variant = load_variant(None)
        texts = render_documents(variant, solve(variant), options.template_dir)
        precompile(texts["solution"], options.timeout)


def _read_results(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return data


def _combined_pdfs(outcomes: list[Outcome], options: BatchOptions) -> list[Path]:
    """all-solutions.pdf and all-assignments.pdf: every variant's own PDF, page by page.

    The pages are copied (pdfpages), not typeset again: a combined document costs little more
    than reading the variants' PDFs, and shows exactly what each variant's PDF shows. Both
    are compiled at the same time.
    """
    with ThreadPoolExecutor(max_workers=len(COMBINED)) as pool:
        futures = {
            name: pool.submit(_combine_one, document, name, outcomes, options)
            for document, name in COMBINED.items()
        }
        compiled = {name: future.result() for name, future in futures.items()}
    written = []
    for name, done in compiled.items():
        target = options.out / f"{name}.pdf"
        os.replace(done.pdf, target)
        shutil.rmtree(done.scratch, ignore_errors=True)
        written.append(target)
    return written


def _combine_one(
    document: str, name: str, outcomes: list[Outcome], options: BatchOptions
) -> Compiled:
    """Compile one combined document from the variants' PDFs (linked into its scratch folder)."""
    from solgen.render import combine

    inputs = {f"{o.id}-{document}.pdf": options.out / o.id / f"{document}.pdf" for o in outcomes}
    titles = [f"Variant {o.id}, seed {o.seed}" for o in outcomes]
    timeout = options.timeout * max(1, len(outcomes) // 10)
    tex = combine(list(zip(inputs, titles, strict=True)))
    return compile_tex(tex, name, options.out, timeout, inputs=inputs)


def _flatten(results: dict[str, Any]) -> dict[str, Any]:
    """The key answers of one results.json as CSV columns."""
    p1, p2, p3 = results["problem1"], results["problem2"], results["problem3"]
    row: dict[str, Any] = {"loss": p1["loss"]}
    row.update({f"y{k + 1}": v for k, v in enumerate(p1["y"])})
    grad = p1["grad"]
    for j, values in enumerate(grad["W1"]):
        row.update({f"dW1_{j + 1}{i + 1}": v for i, v in enumerate(values)})
    row.update({f"db1_{j + 1}": v for j, v in enumerate(grad["b1"])})
    row.update({f"dw2_{j + 1}": v for j, v in enumerate(grad["w2"])})
    row["db2"] = grad["b2"]
    row.update({f"lambda{i + 1}": v for i, v in enumerate(p2["eigenvalues"])})
    row["eta_max"] = p2["eta_max"]
    row["eta_max_exact"] = p2["eta_max_exact"]
    row["total_params"] = p3["total_params"]
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.12g}"  # 12 significant digits: float noise gone, same on every machine
    return str(value)


def answers_csv(answers: dict[str, dict[str, Any]]) -> str:
    """One row a variant (id, seed, key answers), rows in id order."""
    rows = {variant_id: _flatten(results) for variant_id, results in sorted(answers.items())}
    columns: list[str] = []
    for row in rows.values():
        columns += [c for c in row if c not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "seed", *columns])
    for variant_id, row in rows.items():
        writer.writerow([variant_id, int(variant_id), *(_cell(row.get(c)) for c in columns)])
    return out.getvalue()


def write_answers(out: Path, answers: dict[str, dict[str, Any]]) -> None:
    """DIR/answers.json (id -> results.json) and DIR/answers.csv."""
    ordered = dict(sorted(answers.items()))
    atomic_write(out / ANSWERS_JSON, json.dumps(ordered, indent=2, ensure_ascii=False) + "\n")
    atomic_write(out / ANSWERS_CSV, answers_csv(ordered))


def merge(out: Path, shards: list[Path]) -> int:
    """Combine shards' answers.json into DIR/answers.json and answers.csv; returns the count."""
    merged: dict[str, dict[str, Any]] = {}
    problems = []
    for shard in shards:
        path = shard / ANSWERS_JSON
        if not path.is_file():
            problems.append(f"merge: {path} does not exist (is {shard} a batch directory?)")
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(f"merge: {path} is not valid JSON: {exc}")
            continue
        for variant_id, results in data.items():
            if variant_id in merged and merged[variant_id] != results:
                problems.append(f"merge: variant {variant_id} differs between shards")
            merged[variant_id] = results
    if problems:
        raise InvalidInput(problems)
    out.mkdir(parents=True, exist_ok=True)
    write_answers(out, merged)
    return len(merged)
