"""Capture the byte goldens (tests/golden/bytes/): run with the project's python from the
repository root, after a reviewed change that is meant to alter outputs. The registry move
(issue 19) was checked against the files this wrote before it."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BYTES = ROOT / "tests" / "golden" / "bytes"
sys.path.insert(0, str(ROOT / "tests"))

from golden_cases import BATCH, BUILDS  # noqa: E402

from solgen.cli import main  # noqa: E402


def _copy_tree(src: Path, dest: Path, names: tuple[str, ...]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = src / name
        if path.is_dir():
            for child in sorted(path.iterdir()):
                (dest / name).mkdir(exist_ok=True)
                shutil.copyfile(child, dest / name / child.name)
        else:
            shutil.copyfile(path, dest / name)


def capture(pdf: bool) -> None:
    shutil.rmtree(BYTES, ignore_errors=True)
    BYTES.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, sets in BUILDS.items():
            out = work / name
            args = ["build", "--out", str(out)] + [a for s in sets for a in ("--set", s)]
            if not (pdf and name == "default"):
                args.append("--no-pdf")
            assert main(args) == 0, name
            _copy_tree(out, BYTES / name, ("solution.tex", "assignment.tex", "results.json"))
            if pdf and name == "default":
                lines = []
                for doc in ("solution", "assignment"):
                    digest = hashlib.sha256((out / f"{doc}.pdf").read_bytes()).hexdigest()
                    lines.append(f"{digest}  {doc}.pdf\n")
                version = subprocess.run(
                    ["pdftex", "--version"], capture_output=True, text=True, check=True
                ).stdout.splitlines()[0]
                (BYTES / name / "pdf.sha256").write_text(f"# {version}\n" + "".join(lines))
        batch = work / "batch"
        assert main(["batch", *BATCH, "--out", str(batch)]) == 0
        _copy_tree(batch, BYTES / "batch", ("answers.csv", "answers.json"))
        assert main(["export", "moodle", "--key", str(batch), "-o", str(work / "m.xml")]) == 0
        shutil.copyfile(work / "m.xml", BYTES / "batch" / "moodle.xml")
        assert main(["export", "qti", "--key", str(batch), "-o", str(work / "q.zip")]) == 0
        with zipfile.ZipFile(work / "q.zip") as archive:
            for info in archive.infolist():
                target = BYTES / "batch" / "qti" / info.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(info))


if __name__ == "__main__":
    capture(pdf="--no-pdf" not in sys.argv)
