"""Nothing lost, nothing leaked: locks, interrupts during LaTeX, reproducible bytes, the wheel."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest
from helpers import BUILD_OUTPUTS, live_processes_under, override, snapshot

from solgen.cli import main
from solgen.document.build import exclusive

ROOT = Path(__file__).resolve().parent.parent


def test_a_second_build_into_a_busy_directory_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--no-pdf", "--out", str(out)]) == 0
    before = snapshot(out)
    with exclusive(out):
        assert main(["build", "--no-pdf", "--out", str(out), "--set", "problem1.b2=0.5"]) == 1
    assert f"another solgen build is writing into {out}" in capsys.readouterr().err
    assert snapshot(out) == before
    assert main(["build", "--no-pdf", "--out", str(out), "--set", "problem1.b2=0.5"]) == 0


def latex_processes_under(folder: Path) -> list[str]:
    """Running latexmk/pdflatex processes whose working directory is in folder."""
    return [p for p in live_processes_under(folder) if "pdflatex" in p or "latexmk" in p]


@pytest.mark.tex
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_latex_leaves_the_previous_build(tmp_path, signum, status):
    out = tmp_path / "out"
    assert main(["build", "--out", str(out)]) == 0
    before = snapshot(out)
    marker = "solgenloop" + str(signum)  # to find our pdflatex among others
    templates = override(tmp_path, "\\def\\" + marker + "{\\" + marker + "}\\" + marker + "\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "solgen",
            "build",
            "--out",
            str(out),
            "--templates",
            str(templates),
            "--set",
            "problem1.b2=0.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not list(out.glob(".solgen-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # pdflatex is looping now
    assert latex_processes_under(out) != []  # the check below can see them
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == status
    assert "interrupted; the previous outputs are untouched" in err
    assert "Traceback" not in err
    time.sleep(0.2)
    assert latex_processes_under(out) == []
    assert list(out.glob(".solgen-*")) == []  # no scratch left behind
    assert snapshot(out) == before


@pytest.mark.tex
def test_builds_are_byte_identical(tmp_path):
    assert main(["build", "--out", str(tmp_path / "a")]) == 0
    time.sleep(1.1)  # a timestamp would differ by now
    assert main(["build", "--out", str(tmp_path / "b")]) == 0
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert sorted(a) == [
        "assignment.pdf",
        "assignment.tex",
        "data/A.csv",
        "data/W1.csv",
        "data/X.csv",
        "data/b1.csv",
        "data/b2.csv",
        "data/t.csv",
        "data/w2.csv",
        "results.json",
        "solution.pdf",
        "solution.tex",
    ]
    assert a == b


SHIPPED = ("pyproject.toml", "README.md", "solgen", "templates")  # what the wheel is built from


@pytest.mark.slow
@pytest.mark.tex
def test_wheel_installed_outside_the_checkout(tmp_path):
    """Build a wheel, install it into a fresh venv, run solgen from an empty directory.

    The wheel is built from a copy of the checkout: setuptools works in its source's build/,
    which in the checkout is the user's output folder.
    """
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for part in SHIPPED:
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, source / part, ignore=ignore)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / part, source / part)
    before = (
        sorted(p.name for p in (ROOT / "build").iterdir()) if (ROOT / "build").is_dir() else None
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    after = (
        sorted(p.name for p in (ROOT / "build").iterdir()) if (ROOT / "build").is_dir() else None
    )
    assert after == before  # the checkout's build/ is left alone
    (wheel,) = wheels.glob("solgen-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The dependencies come from this environment's site-packages, appended to the new one's
    # path (its .pth files, such as the editable install of the checkout, are not processed).
    ours = next(p for p in sys.path if p.endswith("site-packages"))
    Path(purelib, "deps.pth").write_text(ours + "\n", encoding="utf-8")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "empty"
    work.mkdir()
    result = subprocess.run(
        [str(env_dir / "bin" / "solgen"), "build"], cwd=work, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (work / "build").iterdir()) == BUILD_OUTPUTS
    where = subprocess.run(
        [str(python), "-c", "import solgen; print(solgen.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(purelib)  # the wheel, not the checkout
