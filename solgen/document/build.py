"""One build: variant -> results -> context -> .tex -> PDF, with outputs complete or not at all."""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from solgen.base.errors import CheckFailed, InterruptedAfterWrite, Terminated
from solgen.base.files import (
    COMMIT,
    COMMIT_LIST,
    SCRATCH_MARK,
    atomic_write,
    exclusive,
    finish_commit,
    interrupted_from_now,
    named,
    remove_leftover_scratch,
    scratch_dir,
    signals_held,
)
from solgen.document.checks import failed, run_checks
from solgen.document.compile import (
    DEFAULT_TIMEOUT,
    Compiled,
    TexNotFound,
    compile_in_parallel,
    compile_tex,
    require_tex,
)
from solgen.document.context import build_context
from solgen.document.datafiles import DATA_DIR, check_data_dir, data_files
from solgen.document.render import KEY_BLOCK, render
from solgen.document.results import results_json
from solgen.document.solution import Solution
from solgen.document.variant import Variant

DOCUMENTS = ("solution", "assignment")


@dataclass(frozen=True)
class BuildOptions:
    """How to build: where, whether to make PDFs, whose templates, how long LaTeX may take."""

    out_dir: Path = Path("build")
    pdf: bool = True
    template_dir: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    key_block: bool = False  # also render the variant's block of a class's key.pdf


@dataclass
class BuildReport:
    """The files a build wrote."""

    written: list[Path] = field(default_factory=list)
    key_block: str = ""  # TeX, when BuildOptions.key_block


# mpmath's working precision (mp.dps, workdps) and SymPy's evalf are global to the process:
# two builds solving or rendering at once in threads (a notebook, test_layout's pool) changed
# each other's precision, and a 60-digit central difference ran at 15 (error 82.5). The
# mathematics of one build at a time; LaTeX, in its own processes, still runs in parallel.
_MATHEMATICS = threading.RLock()


def solve(variant: Variant) -> Solution:
    """Every problem's result, with the build's own checks of them (InvalidInput when a problem
    finds its input unsolvable, such as layers that do not fit)."""
    with _MATHEMATICS:
        results = tuple(placed.problem.solve(inp) for placed, inp in variant)
        solution = Solution(results=results, assignment=variant.assignment)
        return replace(solution, checks=run_checks(solution))


def render_documents(
    variant: Variant, solution: Solution, template_dir: Path | None = None, key_block: bool = False
) -> dict[str, str]:
    """The TeX source of the solution and of the problem sheet (one context, shared).

    key_block: also the variant's block of a class's key.pdf, under the name 'key_block'.
    """
    with _MATHEMATICS:
        context = build_context(variant, solution, solutions=True)
    texts = {
        name: render({**context, "solutions": name == "solution"}, template_dir)
        for name in DOCUMENTS
    }
    if key_block:
        texts["key_block"] = render(context, template_dir, KEY_BLOCK)
    return texts


def build(variant: Variant, options: BuildOptions) -> BuildReport:
    """Build every output of one variant into options.out_dir.

    Everything that can fail on bad input fails before the output directory is touched. With
    PDFs, both documents are compiled first (in parallel, in scratch directories) and all files
    are moved into place only when both compiled: a failed build leaves the previous one intact.
    The data files (data_files) are staged as a folder and swapped in whole for the old data/.
    """
    check_data_dir(options.out_dir)
    solution = solve(variant)
    wrong = failed(solution.checks)
    if wrong:
        raise CheckFailed(
            "; ".join(f"{c.name}: largest error {c.max_error:.3g} ({c.what})" for c in wrong)
        )
    texts = render_documents(variant, solution, options.template_dir, options.key_block)
    key_block = texts.pop("key_block", "")
    results = results_json(solution)
    data = data_files(variant)
    missing_tex: TexNotFound | None = None
    if options.pdf:
        try:
            require_tex()
        except TexNotFound as exc:
            missing_tex = exc  # still write the .tex files and results.json, then report it
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    with exclusive(out):
        report = _build_into(out, texts, results, data, options, missing_tex)
    report.key_block = key_block
    return report


def _build_into(
    out: Path,
    texts: dict[str, str],
    results: str,
    data: dict[str, str],
    options: BuildOptions,
    missing_tex: TexNotFound | None,
) -> BuildReport:
    finish_commit(out)  # a build killed while moving its outputs: complete that move first
    remove_leftover_scratch(out)  # the log of an earlier failure is stale from here on
    compiled: dict[str, Compiled] = {}
    if options.pdf and missing_tex is None:
        compiled = _compile_all(texts, out, options.timeout, own_preamble(options.template_dir))
    names = [f"{name}.tex" for name in texts] + ["results.json", *data]
    names += [f"{name}.pdf" for name in compiled]
    stage = _stage_commit(out, texts, results, data, compiled)
    try:
        # From here SIGINT and SIGTERM wait: a commit folder in out is finished by this run,
        # so that "the previous outputs are untouched" is true whenever it is said.
        with signals_held():
            os.replace(stage, out / COMMIT)
            finish_commit(out)
            interrupted_from_now(
                "interrupted after the build had finished; its new outputs are complete"
            )
    except (KeyboardInterrupt, Terminated) as exc:  # delivered once the move was done
        raise InterruptedAfterWrite(exc) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    report = BuildReport(written=[out / name for name in names])
    if missing_tex is not None:
        raise missing_tex
    return report


def _stage_commit(
    out: Path,
    texts: dict[str, str],
    results: str,
    data: dict[str, str],
    compiled: dict[str, Compiled],
) -> Path:
    """Every output in one staging folder, to be renamed to out/COMMIT: all there, or none."""
    stage = scratch_dir(out, "outputs")
    try:
        for name, text in texts.items():
            atomic_write(stage / f"{name}.tex", text)
        atomic_write(stage / "results.json", results)
        (stage / DATA_DIR).mkdir()  # mkdir, not mkdtemp's 0700: the mode of an ordinary folder
        for name, text in data.items():
            try:
                (stage / name).write_bytes(text.encode("utf-8"))
            except OSError as exc:  # a full disk: name the file (write(2) names none)
                raise named(exc, stage / name) from None
        for name, done in compiled.items():
            os.replace(done.pdf, stage / f"{name}.pdf")
            shutil.rmtree(done.scratch, ignore_errors=True)
        top = sorted(p.name for p in stage.iterdir() if p.name != SCRATCH_MARK)
        atomic_write(stage / COMMIT_LIST, json.dumps(top))
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return stage


def own_preamble(template_dir: Path | None) -> bool:
    """Whether the preamble is solgen's own, and so may be precompiled (see preamble.py).

    A preamble of the user's (their base.tex.j2) is compiled the plain way: it may hold
    things a format cannot keep, such as PDF-level settings made while loading a package.
    """
    return template_dir is None or not (template_dir / "base.tex.j2").exists()


def _compile_all(
    texts: dict[str, str], out: Path, timeout: float, precompiled: bool
) -> dict[str, Compiled]:
    """Compile all documents in parallel; on any failure clean up the others and re-raise."""
    jobs: dict[str, Callable[[], Compiled]] = {
        name: functools.partial(compile_tex, text, name, out, timeout, precompiled=precompiled)
        for name, text in texts.items()
    }
    return compile_in_parallel(jobs, out)
