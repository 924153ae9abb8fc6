"""A batch's class-level files: answers.csv/json, report.txt, key.pdf, release/, combined PDFs.

They are made from every variant recorded in the directory's manifest (not only those this
run built), so they always cover the whole class, and they are remade only when what they
are made of changed or they are missing or damaged.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from solgen import answerids as ids
from solgen.classreport import class_report
from solgen.compile import Compiled, compile_tex
from solgen.datafiles import DATA_FILES
from solgen.files import atomic_write, replace_dir, scratch_dir
from solgen.manifest import Manifest, file_sha, sha256_bytes, sha256_text, solgen_digest

ANSWERS_CSV = "answers.csv"
ANSWERS_JSON = "answers.json"
REPORT = "report.txt"
KEY = "key"
RELEASE = "release"
COMBINED = {"solution": "all-solutions", "assignment": "all-assignments"}
RELEASED = ("assignment.pdf", "solution.pdf")


def finish(out: Path, manifest: Manifest, timeout: float, pdf: bool) -> str:
    """Write the class-level files for every recorded variant; return the class report."""
    answers = collect_answers(out, manifest)
    write_answers(out, manifest, answers)
    report = class_report(out, manifest, answers)
    _write_if_changed(out / REPORT, report)
    if pdf and answers:
        class_pdfs(out, manifest, timeout)
    manifest.save(out)
    return report


def collect_answers(out: Path, manifest: Manifest) -> dict[str, dict[str, Any]]:
    """id -> results.json of every recorded variant whose results.json is the recorded one."""
    answers: dict[str, dict[str, Any]] = {}
    for variant_id, record in sorted(manifest.records.items()):
        path = out / record.folder / "results.json"
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if sha256_bytes(data) == record.outputs.get("results.json"):
            answers[variant_id] = json.loads(data)
    return answers


def _write_if_changed(path: Path, text: str) -> None:
    """atomic_write, skipped when the file holds this text already (a rerun touches nothing)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write(path, text)


def write_answers(out: Path, manifest: Manifest, answers: dict[str, dict[str, Any]]) -> None:
    """DIR/answers.json (id -> results.json) and DIR/answers.csv (one row a variant)."""
    _write_if_changed(out / ANSWERS_JSON, json.dumps(answers, indent=2, ensure_ascii=False) + "\n")
    names = {i: r.name for i, r in manifest.records.items()}
    seeds = {i: r.seed for i, r in manifest.records.items()}
    _write_if_changed(out / ANSWERS_CSV, answers_csv(answers, names, seeds, manifest.kind))


def flatten(results: dict[str, Any]) -> dict[str, Any]:
    """The key answers of one results.json as CSV columns, named by answerids."""
    p1, p2, p3 = results["problem1"], results["problem2"], results["problem3"]
    row: dict[str, Any] = {ids.LOSS: p1["loss"]}
    row.update({ids.output_id(k + 1): v for k, v in enumerate(p1["y"])})
    grad = p1["grad"]
    shape = (len(grad["W1"]), len(grad["W1"][0]))
    for j, values in enumerate(grad["W1"]):
        row.update(
            {ids.gradient_id("W1", j + 1, i + 1, shape=shape): v for i, v in enumerate(values)}
        )
    row.update({ids.gradient_id("b1", j + 1): v for j, v in enumerate(grad["b1"])})
    row.update({ids.gradient_id("w2", j + 1): v for j, v in enumerate(grad["w2"])})
    row[ids.DB2] = grad["b2"]
    row.update({ids.eigenvalue_id(i + 1): v for i, v in enumerate(p2["eigenvalues"])})
    row[ids.ETA_MAX] = p2["eta_max"]
    row[ids.ETA_MAX_EXACT] = p2["eta_max_exact"]
    row[ids.TOTAL_PARAMS] = p3["total_params"]
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.12g}"  # 12 significant digits: float noise gone, same on every machine
    return str(value)


def answers_csv(
    answers: dict[str, dict[str, Any]],
    names: dict[str, str] | None = None,
    seeds: dict[str, int | None] | None = None,
    kind: str = "seeded",
) -> str:
    """One row a variant (id, then name or seed, then the key answers), rows in id order."""
    rows = {variant_id: flatten(results) for variant_id, results in sorted(answers.items())}
    columns: list[str] = []
    for row in rows.values():
        columns += [c for c in row if c not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    second = "name" if kind == "roster" else "seed"
    writer.writerow(["id", second, *columns])
    for variant_id, row in rows.items():
        if kind == "roster":
            who: object = (names or {}).get(variant_id, "")
        else:
            seed = (seeds or {}).get(variant_id)
            who = int(variant_id) if seed is None else seed
        writer.writerow([variant_id, who, *(_cell(row.get(c)) for c in columns)])
    return out.getvalue()


def _with_pdfs(manifest: Manifest) -> list[str]:
    return [i for i, r in sorted(manifest.records.items()) if all(n in r.outputs for n in RELEASED)]


def _released(manifest: Manifest, variant_id: str) -> list[str]:
    """A student's files in release/: the PDFs, and the data files its build recorded (a
    student built by an older solgen and kept off the roster has none)."""
    outputs = manifest.records[variant_id].outputs
    return [*RELEASED, *(n for n in DATA_FILES if n in outputs)]


def _class_digest(manifest: Manifest, ids: list[str]) -> str:
    parts = [
        [i, r.name, r.folder, [r.outputs[n] for n in names], sha256_text(r.key_tex)]
        for i in ids
        for r, names in [(manifest.records[i], _released(manifest, i))]
    ]
    # solgen's own source too: key.tex.j2 and combined.tex.j2 shape these files
    return sha256_text(json.dumps([manifest.kind, solgen_digest(), parts]))


def _class_files(manifest: Manifest, ids: list[str]) -> list[str]:
    files = [f"{KEY}.pdf", *(f"{name}.pdf" for name in COMBINED.values())]
    if manifest.kind == "roster":
        for i in ids:
            files += [f"{RELEASE}/{manifest.records[i].folder}/{n}" for n in _released(manifest, i)]
    return files


def class_pdfs(out: Path, manifest: Manifest, timeout: float) -> None:
    """key.pdf, the combined PDFs and (roster) release/, unless they are up to date."""
    ids = _with_pdfs(manifest)
    digest = _class_digest(manifest, ids)
    files = _class_files(manifest, ids)
    if (
        manifest.class_inputs == digest
        and set(manifest.class_outputs) == set(files)
        and all(file_sha(out / f) == manifest.class_outputs[f] for f in files)
    ):
        return
    compiled = _compile_class(out, manifest, ids, timeout)
    release = _stage_release(out, manifest, ids) if manifest.kind == "roster" else None
    for name, done in compiled.items():
        os.replace(done.pdf, out / f"{name}.pdf")
        shutil.rmtree(done.scratch, ignore_errors=True)
    if release is not None:
        replace_dir(out / RELEASE, release)
    manifest.class_inputs = digest
    manifest.class_outputs = {f: file_sha(out / f) or "" for f in files}


def _title(out: Path, manifest: Manifest, ids: list[str]) -> str:
    """The assignment's title, from the first variant's file."""
    try:
        text = (out / manifest.records[ids[0]].folder / "variant.toml").read_text("utf-8")
        title = tomllib.loads(text)["meta"]["title"]
        return title if isinstance(title, str) else ""
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return ""


def _bookmark(manifest: Manifest, variant_id: str) -> str:
    record = manifest.records[variant_id]
    return f"{variant_id} {record.name}" if manifest.kind == "roster" else f"Variant {variant_id}"


def _compile_class(
    out: Path, manifest: Manifest, ids: list[str], timeout: float
) -> dict[str, Compiled]:
    """Compile key.pdf and the two combined PDFs at once, in scratch folders."""
    from solgen.render import combine, key_document

    sources: dict[str, tuple[str, dict[str, Path]]] = {}
    blocks = [manifest.records[i].key_tex for i in ids]
    title = _title(out, manifest, ids)
    sources[KEY] = (key_document(title, "Confidential: for graders only.", blocks), {})
    for document, name in COMBINED.items():
        inputs = {
            f"{manifest.records[i].folder}-{document}.pdf": out
            / manifest.records[i].folder
            / f"{document}.pdf"
            for i in ids
        }
        titles = [_bookmark(manifest, i) for i in ids]
        sources[name] = (combine(list(zip(inputs, titles, strict=True))), inputs)
    long = timeout * max(1, len(ids) // 10)
    with ThreadPoolExecutor(max_workers=len(sources)) as pool:
        futures = {
            name: pool.submit(compile_tex, tex, name, out, long, inputs=inputs)
            for name, (tex, inputs) in sources.items()
        }
        done: dict[str, Compiled] = {}
        error: BaseException | None = None
        for name, future in futures.items():
            try:
                done[name] = future.result()
            except Exception as exc:
                error = error or exc
    if error is not None:
        for compiled in done.values():
            shutil.rmtree(compiled.scratch, ignore_errors=True)
        raise error
    return done


def _stage_release(out: Path, manifest: Manifest, ids: list[str]) -> Path:
    """release/ in a staging folder: a folder a student holding only that student's PDFs and
    data files."""
    stage = scratch_dir(out, "release")
    for variant_id in ids:
        folder = manifest.records[variant_id].folder
        (stage / folder).mkdir()
        for name in _released(manifest, variant_id):
            source, target = out / folder / name, stage / folder / name
            target.parent.mkdir(exist_ok=True)  # data/
            try:
                os.link(source, target)  # no copy: a build replaces its files, never edits them
            except OSError:
                shutil.copyfile(source, target)
    return stage
