"""Issue 22 with TeX: key.pdf from the answer key, SIGTERM in key.pdf's compile, a full disk.

The disk-full case mounts a 7 MB tmpfs (root only; skipped elsewhere). `make chaos` runs the
same cases and more (docs/chaos.md).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chaos.fakebin import environment, fake_latexmk
from helpers import live_processes_under, pdf_pages, snapshot

from solgen.cli import main

pytestmark = pytest.mark.tex


def rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "answers.csv").read_text("utf-8"))))


def test_key_pdf_is_made_from_the_answer_key_not_from_tex_in_the_manifest(tmp_path, capsys):
    """A key_tex edited in manifest.json gave a key.pdf that disagreed with answers.csv."""
    out = tmp_path / "b"
    args = ["batch", "--count", "2", "--seed", "5", "--out", str(out), "--jobs", "2"]
    assert main(args) == 0
    data = json.loads((out / "manifest.json").read_text("utf-8"))
    for record in data["students"].values():
        record["key_tex"] = "\\begin{keyblock}{FORGED}{}\\keytext{loss 999}\\end{keyblock}"
    (out / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    (out / "key.pdf").unlink()
    assert main(args) == 0
    text = " ".join("\f".join(pdf_pages(out / "key.pdf")).split())
    assert "FORGED" not in text and "999" not in text
    for row in rows(out):
        block = text.split(f"Variant {int(row['id'])}")[1]
        assert block.startswith(" Problem 1 relu, N = 3, d = 4, h = 2")
        assert f"L = {row['loss']}" in block or f"L ≈ {row['loss']}" in block
        assert f"total {int(row['total_params']):,} parameters." in block
    capsys.readouterr()


@pytest.mark.slow
def test_sigterm_while_key_pdf_compiles_says_what_was_written(tmp_path):
    """SIGTERM during key.pdf's compile said 'the previous outputs are untouched' after every
    student was built and answers.json written."""
    out, mark = tmp_path / "b", tmp_path / "key-is-compiling"
    env = environment(fake_latexmk(tmp_path / "bin"), "key", mark)
    proc = subprocess.Popen(
        [sys.executable, "-m", "solgen", "batch", "--count", "2", "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not mark.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "key.pdf's compile never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:  # its session: solgen and the LaTeX it left (pipes closed)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 143
    # every class file is staged and moved in together (issue 20, item 3): none yet
    assert err == (
        "solgen: error: interrupted while making the class files: 2 built and recorded before; "
        "no class file was replaced; answers.json, answers.csv, report.txt, key.pdf, "
        "all-solutions.pdf, all-assignments.pdf, handout/, solutions/ as the last complete run "
        "left them; rerun the same command to finish\n"
    )
    assert not (out / "answers.json").exists()
    assert not (out / "key.pdf").exists()
    assert live_processes_under(out) == []
    assert [p.name for p in out.iterdir() if p.name.startswith(".solgen")] == []


BATCH = [sys.executable, "-m", "solgen", "batch", "--count", "14", "--jobs", "2"]


def can_mount_tmpfs(where: Path) -> bool:
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=7m", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


@pytest.mark.slow
def test_a_full_disk_names_enospc_the_file_and_every_failed_student(tmp_path):
    """On a 7 MB file system a batch said only 'LaTeX failed without an error line in the
    log', naming neither ENOSPC nor the students whose builds failed."""
    if os.environ.get("SOLGEN_CHAOS") != "1":
        # which write meets the full disk first depends on timing: on a loaded machine it
        # once failed in the suite; make chaos runs it on its own
        pytest.skip("make chaos runs it (SOLGEN_CHAOS=1)")
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or not can_mount_tmpfs(disk):
        pytest.skip("needs root to mount a 7 MB tmpfs")
    try:
        out = disk / "b"
        done = subprocess.run(
            [*BATCH, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "SOLGEN_CACHE_DIR": str(tmp_path / "cache")},
        )
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert "without an error line" not in done.stderr
        assert "No space left on device" in done.stderr
        failed = [ln for ln in done.stderr.splitlines() if " failed: " in ln]
        built = json.loads((out / "manifest.json").read_text("utf-8"))["students"]
        summary = [ln for ln in done.stdout.splitlines() if ln.startswith("batch: ")][-1]
        assert summary.startswith(f"batch: {len(built)} built, 0 up to date, {len(failed)} failed")
        assert len(built) + len(failed) == 14
        for line in failed:  # each failed student, with the file it could not write
            assert "No space left on device" in line and str(out) in line, line
        rest = [ln for ln in done.stderr.splitlines() if " failed: " not in ln]
        if rest:  # the class files: ENOSPC with the file, and what is left as it was
            assert rest[0].startswith("solgen: error: the class files could not all be made: ")
            assert "No space left on device" in rest[0] and str(out) in rest[0]
        before = snapshot(out)
        again = subprocess.run(  # a rerun on the full disk tells the same truth, loses nothing
            [*BATCH, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "SOLGEN_CACHE_DIR": str(tmp_path / "cache")},
        )
        assert again.returncode == 1 and "Traceback" not in again.stderr
        kept = json.loads((out / "manifest.json").read_text("utf-8"))["students"]
        assert set(built) <= set(kept)
        assert {k: v for k, v in snapshot(out).items() if k.split("/")[0] in built} == {
            k: v for k, v in before.items() if k.split("/")[0] in built
        }
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
        shutil.rmtree(disk, ignore_errors=True)
