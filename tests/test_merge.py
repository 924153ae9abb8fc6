"""merge.py: a class's shards merged into what the unsharded batch makes, or refused whole.

A refused merge exits 2 with a message naming the file and the field, never a traceback, and
leaves --out exactly as it was (here: an earlier merge, which must survive byte for byte).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import snapshot

from solgen.cli import main

ROSTER = "id,name\ns1,Ada Lovelace\ns2,Alan Turing\ns3,Emmy Noether\ns4,Kurt Gödel\n"
# Shard K/M holds the roster's rows i with i % M == K - 1.
SHARD_OF = {1: ("s1", "s3"), 2: ("s2", "s4")}
RERUN = "(rerun that shard's batch to repair it)"
DATA_NAMES = ["A", "W1", "X", "b1", "b2", "t", "w2"]  # data/<name>.csv, sorted as listed


@dataclass(frozen=True)
class Class:
    """One class batched whole and in two shards (no PDFs), and an earlier merge of them."""

    root: Path
    roster: Path
    key: Path
    whole: Path
    shards: dict[int, Path]
    merged: Path


def batch(out: Path, roster: Path, key: Path, *extra: str) -> None:
    args = ["batch", "--roster", str(roster), "--key", str(key), "--out", str(out)]
    assert main([*args, "--jobs", "2", *extra]) == 0


def merge(out: Path, *shards: Path) -> int:
    return main(["merge", "--out", str(out), *map(str, shards)])


def tree(directory: Path) -> tuple[dict[str, str], list[str]]:
    """Every file's hash and every folder (empty ones too) under directory."""
    folders = sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_dir())
    return snapshot(directory), folders


def leftovers(parent: Path) -> list[str]:
    """Scratch a merge left beside its --out."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".solgen"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Class:
    root = tmp_path_factory.mktemp("class")
    roster = root / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    key = root / "course.key"
    assert main(["key", "-o", str(key)]) == 0
    whole = root / "whole"
    batch(whole, roster, key, "--no-pdf")
    shards = {k: root / f"shard{k}" for k in (1, 2)}
    for k, shard in shards.items():
        batch(shard, roster, key, "--no-pdf", "--shard", f"{k}/2")
    merged = root / "merged"
    assert merge(merged, shards[1], shards[2]) == 0
    return Class(root, roster, key, whole, shards, merged)


@dataclass(frozen=True)
class Work:
    """Copies of the two shards and of the earlier merge, for one test to break."""

    s1: Path
    s2: Path
    out: Path

    def manifest(self, k: int) -> Path:
        return (self.s1 if k == 1 else self.s2) / "manifest.json"


@pytest.fixture
def work(built, tmp_path) -> Work:
    copies = [
        shutil.copytree(src, tmp_path / name)
        for src, name in (
            (built.shards[1], "s1"),
            (built.shards[2], "s2"),
            (built.merged, "out"),
        )
    ]
    return Work(*copies)


def state(path: Path) -> object:
    """What is at path: a folder's tree, a file's bytes, or None."""
    if path.is_dir():
        return tree(path)
    return path.read_bytes() if path.exists() else None


def refused(capsys, out: Path, *shards: Path, status: int = 2) -> str:
    """Merge, expecting a refusal that leaves out as it was; the error output."""
    before = state(out)
    code = merge(out, *shards)
    captured = capsys.readouterr()
    assert code == status, captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""
    assert all(line.startswith("solgen: error: ") for line in captured.err.splitlines())
    assert state(out) == before
    assert leftovers(out.parent) == []
    return captured.err


# --- merges that succeed ---------------------------------------------------------------------


def test_shards_merged_equal_the_unsharded_batch(built, tmp_path, capsys):
    for k, shard in built.shards.items():
        assert json.loads((shard / "manifest.json").read_text("utf-8"))["shard"] == [k, 2]
        assert sorted(p.name for p in shard.iterdir() if p.is_dir()) == list(SHARD_OF[k])
    out = tmp_path / "new" / "merged"  # a parent that does not exist yet
    assert merge(out, built.shards[2], built.shards[1]) == 0  # any order
    assert capsys.readouterr().out == f"merge: 4 variants into {out}\n"
    # Every file, manifest.json included: the merge records shard [1, 1], as the whole batch.
    assert tree(out) == tree(built.whole)
    assert out.stat().st_mode == built.whole.stat().st_mode  # not mkdtemp's 0700
    assert leftovers(out.parent) == []


def test_merging_over_an_earlier_merge_replaces_it(built, work, capsys):
    (work.out / "answers.csv").write_text("stale\n", encoding="utf-8")
    assert merge(work.out, work.s1, work.s2) == 0
    assert tree(work.out) == tree(built.whole)
    assert leftovers(work.out.parent) == []


def test_an_unsharded_batch_merges_alone_into_itself(built, tmp_path, capsys):
    assert merge(tmp_path / "m", built.whole) == 0
    assert tree(tmp_path / "m") == tree(built.whole)


def test_a_student_no_longer_on_the_roster_is_kept_as_a_rerun_keeps_them(work, capsys):
    """A shard rerun with a smaller roster keeps a student it built before: so does merge."""
    add_stranger(work)  # a record and folder that are not in the batch's list, as kept ones are
    assert merge(work.out, work.s1, work.s2) == 0
    answers = json.loads((work.out / "answers.json").read_text("utf-8"))
    assert sorted(answers) == ["s1", "s2", "s3", "s4", "s9"]
    report = (work.out / "report.txt").read_text("utf-8")
    assert "Not on the roster any more (kept as built): s9\n" in report


# --- shards that are not exactly the whole of one batch --------------------------------------


@pytest.mark.parametrize("given", [1, 2])
def test_a_missing_shard_is_named_with_its_students(built, tmp_path, capsys, given):
    other = 3 - given
    out = tmp_path / "out"
    err = refused(capsys, out, built.shards[given])
    ids = ", ".join(SHARD_OF[other])
    assert err == (
        f"solgen: error: merge: 2 variants of the batch are in no shard: {ids} "
        f"(shard {other}/2; merge its directory too)\n"
    )
    assert not out.exists()


def test_one_missing_student_names_its_shard(work, capsys):
    path = work.manifest(1)
    data = json.loads(path.read_text("utf-8"))
    del data["students"]["s3"]
    path.write_text(json.dumps(data), encoding="utf-8")
    err = refused(capsys, work.out, work.s1, work.s2)
    assert err == (
        "solgen: error: merge: 1 variant of the batch is in no shard: s3 "
        "(shard 1/2; merge its directory too)\n"
    )


@pytest.mark.parametrize("spelling", ["same", "dot", "symlink"])
def test_a_shard_given_twice_is_refused(work, tmp_path, capsys, spelling):
    again = {
        "same": work.s1,
        "dot": work.s1 / ".." / "s1" / ".",
        "symlink": tmp_path / "link",
    }[spelling]
    (tmp_path / "link").symlink_to(work.s1)
    err = refused(capsys, work.out, work.s1, work.s2, again)
    assert err == f"solgen: error: merge: {again} is given twice (also as {work.s1})\n"


def test_a_copy_of_a_shard_is_refused(work, tmp_path, capsys):
    copy = shutil.copytree(work.s1, tmp_path / "copy-of-s1")
    err = refused(capsys, work.out, work.s1, work.s2, copy)
    assert err == (
        f"solgen: error: merge: variant s1 is in both {work.s1} and {copy}\n"
        f"solgen: error: merge: variant s3 is in both {work.s1} and {copy}\n"
    )


def test_a_shard_that_disagrees_on_a_variant_is_refused(work, capsys):
    # shard 2 claims s1 too, with another record (a hand edit in another copy of the batch)
    path = work.manifest(2)
    data = json.loads(path.read_text("utf-8"))
    data["students"]["s1"] = dict(data["students"]["s2"], folder="s1", name="Ada")
    path.write_text(json.dumps(data), encoding="utf-8")
    err = refused(capsys, work.out, work.s1, work.s2)
    assert f"merge: variant s1 is in both {work.s1} and {work.s2} (and differs between them)" in err


def another_batch(built: Class, tmp_path: Path, which: str) -> Path:
    """Shard 2/2 of another batch: another key, a longer roster, or a practice set."""
    out = tmp_path / f"other-{which}"
    roster, key = built.roster, built.key
    if which == "key":
        key = tmp_path / "other.key"
        assert main(["key", "-o", str(key)]) == 0
    elif which == "roster":
        roster = tmp_path / "longer.csv"
        roster.write_text(ROSTER + "s5,Sofia Kovalevskaya\n", encoding="utf-8")
    if which == "seeded":
        args = ["--count", "4", "--out", str(out)]
        assert main(["batch", "--no-pdf", "--shard", "2/2", *args]) == 0
    else:
        batch(out, roster, key, "--no-pdf", "--shard", "2/2")
    return out


@pytest.mark.parametrize(
    ("which", "fields"),
    [
        ("key", [("key", "another course key")]),
        ("roster", [("expected", "another roster or count")]),
        (
            "seeded",
            [
                ("kind", "a roster batch and a practice set"),
                ("key", "another course key"),
                ("expected", "another roster or count"),
            ],
        ),
    ],
)
def test_shards_of_another_batch_are_refused(built, work, tmp_path, capsys, which, fields):
    other = another_batch(built, tmp_path, which)
    capsys.readouterr()
    err = refused(capsys, work.out, work.s1, other)
    assert err == "".join(
        f"solgen: error: merge: {other}/manifest.json: {field}: differs from "
        f"{work.s1}/manifest.json: the shards are of different batches ({what})\n"
        for field, what in fields
    )


def test_shards_built_with_other_templates_are_refused(built, work, tmp_path, capsys):
    templates = tmp_path / "templates"
    templates.mkdir()
    source = Path(__file__).parent.parent / "solgen" / "problems" / "convnet" / "convnet.tex.j2"
    (templates / "convnet.tex.j2").write_text(
        source.read_text("utf-8") + "% another course's remark\n", encoding="utf-8"
    )
    other = tmp_path / "other"
    batch(
        other, built.roster, built.key, "--no-pdf", "--shard", "2/2", "--templates", str(templates)
    )
    capsys.readouterr()
    err = refused(capsys, work.out, work.s1, other)
    assert err == (
        f"solgen: error: merge: {other}/manifest.json: students.s2.options.templates: differs "
        f"from students.s1.options.templates in {work.s1}/manifest.json (the shards were built "
        f"with different solgen versions, templates or --no-pdf; rerun them alike)\n"
    )


def test_not_a_shard_directory(work, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert refused(capsys, work.out, work.s1, empty) == (
        f"solgen: error: merge: {empty} has no manifest.json (is it a batch directory?)\n"
    )
    nothing = tmp_path / "nothing"
    assert refused(capsys, work.out, nothing, work.s2) == (
        f"solgen: error: merge: {nothing} is not a directory\n"
    )


def test_an_out_that_is_no_batch_directory_is_left_alone(work, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert refused(capsys, out, work.s1, work.s2) == (
        f"solgen: error: --out: {out} is neither empty nor a batch directory\n"
    )
    assert refused(capsys, out / "notes.txt", work.s1, work.s2) == (
        f"solgen: error: --out: {out / 'notes.txt'} exists and is not a directory\n"
    )


def test_a_failure_after_the_checks_leaves_out_and_no_scratch(work, capsys):
    # A dangling link beside a student's files: every recorded file checks out, the copy fails.
    (work.s1 / "s1" / "notes.txt").symlink_to(work.s1 / "gone.txt")
    err = refused(capsys, work.out, work.s1, work.s2, status=1)
    assert "No such file or directory" in err


# --- tampered and malformed shard files ------------------------------------------------------


Edit = Callable[[Work], None]


def edit_manifest(k: int, change: Callable[[dict[str, Any]], object]) -> Edit:
    """Change shard k's manifest.json as JSON data."""

    def edit(work: Work) -> None:
        path = work.manifest(k)
        data = json.loads(path.read_text("utf-8"))
        change(data)
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")

    return edit


def edit_bytes(k: int, change: Callable[[bytes], bytes]) -> Edit:
    """Change shard k's manifest.json as bytes."""

    def edit(work: Work) -> None:
        path = work.manifest(k)
        path.write_bytes(change(path.read_bytes()))

    return edit


def edit_file(k: int, name: str, change: Callable[[Path], object]) -> Edit:
    """Change a file (or folder) of shard k after its build."""

    def edit(work: Work) -> None:
        change((work.s1 if k == 1 else work.s2) / name)

    return edit


def student(sid: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["students"][sid].update(fields)


def everywhere(change: Callable[[dict[str, Any]], None]) -> Edit:
    """The same change in both shards' manifests (so that they still agree as one batch)."""

    def edit(work: Work) -> None:
        edit_manifest(1, change)(work)
        edit_manifest(2, change)(work)

    return edit


def all_students(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for record in data["students"].values():
            for name, value in fields.items():
                target = record
                *parents, last = name.split(".")
                for parent in parents:
                    target = target[parent]
                target[last] = value

    return change


def append(path: Path) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(" ")


def copy_record(source: str, target: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["students"].__setitem__(
        target, dict(data["students"][source], **fields)
    )


def add_stranger(work: Work) -> None:
    shutil.copytree(work.s1 / "s1", work.s1 / "s9")
    edit_manifest(1, copy_record("s1", "s9", folder="s9", name="Stranger"))(work)


def remove_output_hash(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["students"]["s1"]["outputs"].pop(name)


def replace_manifest_by_folder(work: Work) -> None:
    work.manifest(1).unlink()
    work.manifest(1).mkdir()


# (id, edit, expected message with {m1} {m2} {s1} {s2} for the manifests and shard folders)
TAMPERINGS: list[tuple[str, Edit, str]] = [
    (
        "truncated-json",
        edit_bytes(1, lambda b: b[: b.index(b'"kind"')]),  # cut off after "format"
        "{m1}: not a readable solgen manifest (Expecting property name enclosed in double "
        "quotes: line 3 column 2 (char 41))",
    ),
    (
        "not-utf8",
        edit_bytes(1, lambda b: b.replace(b"Ada Lovelace", b"Ada \xff\xfe")),
        "{m1}: not a readable solgen manifest ('utf-8' codec can't decode byte 0xff",
    ),
    (
        "nested-too-deep",
        edit_bytes(1, lambda b: b"[" * 100_000 + b"]" * 100_000),
        "{m1}: not a readable solgen manifest (maximum recursion depth exceeded",
    ),
    (
        "manifest-is-a-folder",
        replace_manifest_by_folder,
        "{m1}: not a readable solgen manifest ([Errno 21] Is a directory",
    ),
    ("manifest-missing", lambda w: w.manifest(2).unlink(), "merge: {s2} has no manifest.json"),
    ("not-an-object", edit_bytes(1, lambda b: b"[]"), "{m1}: the file: expected a JSON object"),
    (
        "format",
        edit_manifest(1, lambda d: d.update(format="solgen-batch-manifest/2")),
        "{m1}: format: expected 'solgen-batch-manifest/1', found \"solgen-batch-manifest/2\"",
    ),
    (
        "kind-type",
        edit_manifest(2, lambda d: d.update(kind=7)),
        "{m2}: kind: expected a string, found 7",
    ),
    (
        "kind-value",
        edit_manifest(2, lambda d: d.update(kind="class")),
        '{m2}: kind: expected one of roster, seeded, found "class"',
    ),
    (
        "key-type",
        edit_manifest(1, lambda d: d.update(key=None)),
        "{m1}: key: expected a string, found null",
    ),
    (
        "expected-type",
        edit_manifest(1, lambda d: d.update(expected="s1 s2 s3 s4")),
        '{m1}: expected: expected a list of strings, found "s1 s2 s3 s4"',
    ),
    (
        "shard-order",
        edit_manifest(2, lambda d: d.update(shard=[3, 2])),
        "{m2}: shard: expected [K, M] with 1 <= K <= M, found [3, 2]",
    ),
    (
        "shard-bool",
        edit_manifest(2, lambda d: d.update(shard=[True, 2])),
        "{m2}: shard: expected [K, M] with 1 <= K <= M, found [true, 2]",
    ),
    (
        "students-type",
        edit_manifest(1, lambda d: d.update(students=["s1", "s3"])),
        '{m1}: students: expected a JSON object, found ["s1", "s3"]',
    ),
    (
        "folder-escapes",
        edit_manifest(1, student("s1", folder="../x")),
        '{m1}: students.s1.folder: expected a plain folder name, found "../x"',
    ),
    (
        "folder-absolute",
        edit_manifest(2, student("s4", folder="/tmp")),
        '{m2}: students.s4.folder: expected a plain folder name, found "/tmp"',
    ),
    (
        "variant-sha",
        edit_manifest(1, student("s3", variant="abc")),
        '{m1}: students.s3.variant: expected a SHA-256 in hex, found "abc"',
    ),
    (
        "output-sha-upper-case",
        edit_manifest(
            2, lambda d: d["students"]["s2"]["outputs"].update({"results.json": "A" * 64})
        ),
        '{m2}: students.s2.outputs.results.json: expected a SHA-256 in hex, found "AAAA',
    ),
    (
        "options-pdf-type",
        edit_manifest(1, lambda d: d["students"]["s1"]["options"].update(pdf="no")),
        '{m1}: students.s1.options.pdf: expected true or false, found "no"',
    ),
    (
        "seed-negative",
        edit_manifest(1, student("s1", seed=-1)),
        "{m1}: students.s1.seed: expected a whole number or null, found -1",
    ),
    (
        "name-type",
        edit_manifest(2, student("s2", name=["Alan", "Turing"])),
        '{m2}: students.s2.name: expected a string, found ["Alan", "Turing"]',
    ),
    (
        # key.pdf is made from the answer key now, not from TeX in the manifest (issue 22);
        # a record must name its own folder instead
        "folder-not-its-own",
        edit_manifest(1, student("s3", folder="s3x")),
        "merge: {m1}: students.s3.folder: expected s3, found s3x " + RERUN,
    ),
    (
        "class-type",
        edit_manifest(2, lambda d: d.update({"class": None})),
        "{m2}: class: expected a JSON object, found null",
    ),
    (
        # a practice set's rows are written with their seeds; a roster's students have none
        "roster-called-seeded",
        everywhere(lambda d: d.update(kind="seeded")),
        "{m1}: students.s1.seed: expected a whole number (a seeded batch), found null",
    ),
    (
        "two-students-one-folder",
        edit_manifest(1, copy_record("s1", "s3")),
        "merge: {m1}: students.s3.folder: s1 is the folder of s1 too (in {m1})",
    ),
    (
        "options-solgen",
        edit_manifest(1, lambda d: d["students"]["s3"]["options"].update(solgen="0.0.1+x")),
        "merge: {m1}: students.s3.options.solgen: differs from students.s1.options.solgen in "
        "{m1} (the shards were built with different solgen versions, templates or --no-pdf; "
        "rerun them alike)",
    ),
    (
        # PDFs claimed by every record of both shards, but none built: not a merge without PDFs
        "pdf-claimed",
        everywhere(all_students(**{"options.pdf": True})),
        "merge: {m1}: students.s1.outputs.solution.pdf: missing " + RERUN,
    ),
    (
        "output-hash-missing",
        edit_manifest(1, remove_output_hash("results.json")),
        "merge: {m1}: students.s1.outputs.results.json: missing " + RERUN,
    ),
    (
        "results-edited",
        edit_file(1, "s1/results.json", append),
        "merge: {m1}: students.s1.outputs.results.json: {s1}/s1/results.json differs from it "
        + RERUN,
    ),
    (
        "tex-deleted",
        edit_file(2, "s4/solution.tex", Path.unlink),
        "merge: {m2}: students.s4.outputs.solution.tex: {s2}/s4/solution.tex is missing " + RERUN,
    ),
    (
        "variant-edited",
        edit_file(1, "s3/variant.toml", append),
        "merge: {m1}: students.s3.variant: {s1}/s3/variant.toml differs from it " + RERUN,
    ),
    (
        "student-folder-missing",
        edit_file(2, "s4", shutil.rmtree),
        "merge: {m2}: students.s4.folder: {s2}/s4 is missing " + RERUN,
    ),
    (
        "expected-edited",
        edit_manifest(2, lambda d: d["expected"].pop()),
        "merge: {m2}: expected: differs from {m1}: the shards are of different batches "
        "(another roster or count)",
    ),
    (
        "key-edited",
        edit_manifest(2, lambda d: d.update(key="0" * 16)),
        "merge: {m2}: key: differs from {m1}: the shards are of different batches "
        "(another course key)",
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [t[1:] for t in TAMPERINGS], ids=[t[0] for t in TAMPERINGS]
)
def test_a_tampered_shard_is_refused(work, capsys, edit, expected):
    edit(work)
    err = refused(capsys, work.out, work.s1, work.s2)
    message = expected.format(m1=work.manifest(1), m2=work.manifest(2), s1=work.s1, s2=work.s2)
    assert f"solgen: error: {message}" in err


def test_every_tampering_is_counted():
    assert len(TAMPERINGS) >= 14
    assert len({t[0] for t in TAMPERINGS}) == len(TAMPERINGS)


# --- with PDFs --------------------------------------------------------------------------------


@pytest.mark.tex
def test_pdf_shards_merged_equal_the_unsharded_batch(built, tmp_path, capsys):
    whole = tmp_path / "whole"
    batch(whole, built.roster, built.key)
    shards = [tmp_path / f"shard{k}" for k in (1, 2)]
    for k, shard in enumerate(shards, 1):
        batch(shard, built.roster, built.key, "--shard", f"{k}/2")
    out = tmp_path / "merged"
    assert merge(out, *shards) == 0
    capsys.readouterr()
    files, folders = tree(out)
    assert (files, folders) == tree(whole)  # manifest.json too: both record shard [1, 1]
    assert {"key.pdf", "all-solutions.pdf", "all-assignments.pdf"} <= set(files)
    handed = ["answer-form.csv", "assignment.pdf", *(f"data/{n}.csv" for n in DATA_NAMES)]
    assert sorted(f for f in files if f.startswith("handout/")) == [
        f"handout/s{i}/{name}" for i in range(1, 5) for name in handed
    ]
    assert sorted(f for f in files if f.startswith("solutions/")) == [
        f"solutions/s{i}/solution.pdf" for i in range(1, 5)
    ]
    assert not any(f.startswith("release/") for f in files)
    assert leftovers(tmp_path) == []

    # A PDF edited after the build is named with its field; the earlier merge stays.
    broken = shutil.copytree(shards[1], tmp_path / "broken")
    with (broken / "s2" / "solution.pdf").open("ab") as handle:
        handle.write(b"%")
    err = refused(capsys, out, shards[0], broken)
    assert err == (
        f"solgen: error: merge: {broken}/manifest.json: students.s2.outputs.solution.pdf: "
        f"{broken}/s2/solution.pdf differs from it {RERUN}\n"
    )

    # A shard without PDFs does not join shards with PDFs.
    err = refused(capsys, out, shards[0], built.shards[2])
    assert (
        f"solgen: error: merge: {built.shards[2]}/manifest.json: students.s2.options.pdf: "
        f"differs from students.s1.options.pdf in {shards[0]}/manifest.json" in err
    )

    # TeX in the manifest is never compiled (key.pdf comes from the answer key, issue 22):
    # a forged key_tex changes nothing.
    forged = shutil.copytree(shards[0], tmp_path / "forged")
    data = json.loads((forged / "manifest.json").read_text("utf-8"))
    data["students"]["s1"]["key_tex"] = "\\undefinedcommandofthetest"
    (forged / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    again = tmp_path / "again"
    assert merge(again, forged, shards[1]) == 0
    assert (again / "key.pdf").read_bytes() == (whole / "key.pdf").read_bytes()
    shutil.rmtree(again)
    capsys.readouterr()

    # LaTeX failing on a combined PDF (a student's solution.pdf that is no PDF, recorded as
    # such): exit 1, the earlier merge untouched, and the log the message names is still there.
    bad = shutil.copytree(shards[0], tmp_path / "bad")
    (bad / "s1" / "solution.pdf").write_bytes(b"undefinedcommandofthetest: no PDF")
    data = json.loads((bad / "manifest.json").read_text("utf-8"))
    data["students"]["s1"]["outputs"]["solution.pdf"] = hashlib.sha256(
        (bad / "s1" / "solution.pdf").read_bytes()
    ).hexdigest()
    (bad / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    before = tree(out)
    assert merge(out, bad, shards[1]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert tree(out) == before
    found = re.search(r"the log is (\S+\.log);", err)
    assert found is not None, err
    log = Path(found.group(1))
    assert log.parent.parent == tmp_path
    assert "s1-solution.pdf" in log.read_text("utf-8", "replace")
    shutil.rmtree(log.parent)
    assert leftovers(tmp_path) == []
