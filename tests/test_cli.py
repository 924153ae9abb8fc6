"""The command line: outputs, results.json, exit statuses, untouched outputs on failure."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import live_processes_under, override, snapshot

from solgen import __version__
from solgen.cli import main
from solgen.document.compile import INSTALL_COMMAND

SEED_FILES = ["assignment.tex", "data", "results.json", "solution.tex"]
DATA_NAMES = ["A.csv", "W1.csv", "X.csv", "b1.csv", "b2.csv", "t.csv", "w2.csv"]
PDF_FILES = sorted([*SEED_FILES, "assignment.pdf", "solution.pdf"])

SEED_LAYERS = [
    {"type": "conv", "kernel": 5, "in_channels": 3, "out_channels": 8, "output": [28, 28, 8],
     "params": 608},
    {"type": "pool", "kernel": 2, "output": [14, 14, 8], "params": 0},
    {"type": "conv", "kernel": 5, "in_channels": 8, "out_channels": 32, "output": [10, 10, 32],
     "params": 6432},
    {"type": "pool", "kernel": 2, "output": [5, 5, 32], "params": 0},
    {"type": "conv", "kernel": 2, "in_channels": 32, "out_channels": 64, "output": [4, 4, 64],
     "params": 8256},
]  # fmt: skip


def visible(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


def error_lines(err: str) -> list[str]:
    lines = err.splitlines()
    assert lines, "expected an error message on stderr"
    return lines


def needs_tex() -> None:
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None:
        pytest.fail("latexmk and pdflatex are needed (make test installs them)")


# --- a successful build --------------------------------------------------------------------


def test_build_no_pdf_writes_exactly_the_tex_results_and_data_files(tmp_path, capsys):
    out = tmp_path / "a" / "b"
    assert main(["build", "--no-pdf", "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == SEED_FILES
    assert sorted(os.listdir(out / "data")) == DATA_NAMES
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines() == [
        f"wrote {out / 'solution.tex'}",
        f"wrote {out / 'assignment.tex'}",
        f"wrote {out / 'results.json'}",
        f"wrote {out / 'data' / 'X.csv'}",
        f"wrote {out / 'data' / 't.csv'}",
        f"wrote {out / 'data' / 'W1.csv'}",
        f"wrote {out / 'data' / 'b1.csv'}",
        f"wrote {out / 'data' / 'w2.csv'}",
        f"wrote {out / 'data' / 'b2.csv'}",
        f"wrote {out / 'data' / 'A.csv'}",
    ]


def test_default_out_dir_is_build(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--no-pdf"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["build"]
    assert sorted(os.listdir(tmp_path / "build")) == SEED_FILES


def test_results_json_matches_the_contract_and_the_seed(seed_build):
    results = json.loads((seed_build / "results.json").read_text(encoding="utf-8"))
    assert set(results) == {"problem1", "problem2", "problem3", "checks"}
    assert [c["passed"] for c in results["checks"]] == [True] * 10
    p1, p2, p3 = results["problem1"], results["problem2"], results["problem3"]
    assert {"activation", "y", "loss", "grad"} <= set(p1)
    assert p1["activation"] == "relu"
    assert p1["loss"] == pytest.approx(1.0185, abs=1e-12)
    assert p1["y"] == pytest.approx([-0.7, -0.43, -0.51], abs=1e-12)
    grad = p1["grad"]
    assert set(grad) == {"W1", "b1", "w2", "b2"}
    assert grad["b2"] == pytest.approx(-2.04, abs=1e-12)
    assert grad["w2"] == pytest.approx([-1.2445, -0.2385], abs=1e-12)
    assert grad["b1"] == pytest.approx([-0.262, -0.318], abs=1e-12)
    assert len(grad["W1"]) == 2
    assert grad["W1"][0] == pytest.approx([0.131, -0.2358, -0.0524, 0.2096], abs=1e-12)
    assert grad["W1"][1] == pytest.approx([-0.2544, -0.318, 0.0318, -0.0954], abs=1e-12)

    assert {"eigenvalues", "char_poly", "eta_max", "eta_max_exact"} <= set(p2)
    assert p2["eigenvalues"] == pytest.approx([1.0, 6.0], abs=1e-12)
    assert p2["char_poly"] == "lambda**2 - 7*lambda + 6"
    assert p2["eta_max"] == pytest.approx(1 / 6, abs=1e-15)
    assert p2["eta_max_exact"] == "1/6"

    assert p3["input"] == [32, 32, 3]
    assert p3["total_params"] == 15296
    assert len(p3["layers"]) == len(SEED_LAYERS)
    for got, expected in zip(p3["layers"], SEED_LAYERS, strict=True):
        assert {key: got[key] for key in expected} == expected
        assert all(type(got[key]) is int for key in expected if key not in ("type", "output"))


def test_results_json_numbers_are_json_numbers(seed_build):
    text = (seed_build / "results.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    results = json.loads(text)
    assert type(results["problem1"]["loss"]) is float
    assert type(results["problem2"]["eta_max"]) is float
    assert type(results["problem3"]["total_params"]) is int


def test_assignment_has_no_solution_and_solution_has(seed_build):
    solution = (seed_build / "solution.tex").read_text(encoding="utf-8")
    assignment = (seed_build / "assignment.tex").read_text(encoding="utf-8")
    # The preamble of both defines the solution environment; only the body matters.
    body = assignment.split(r"\begin{document}", 1)[1]
    assert "Solution" not in body
    assert r"\begin{solution}" not in assignment
    assert solution.count(r"\begin{solution}") == 3
    for answer in ("1.0185", "-2.04", "15{,}296", r"\boxed"):
        assert answer in solution
        assert answer not in assignment
    # Same numbers, same statement: the problem sheet shows the seed's data too.
    for given in ("-0.6", "0.9", "-0.8"):
        assert given in assignment


@pytest.mark.parametrize(
    ("sets", "needle"),
    [
        (["meta.author=José"], "José"),
        (["meta.author=A & B"], r"A \& B"),
        (['meta.title="50% off_"'], r"50\% off\_"),
    ],
)
def test_meta_text_is_rendered_escaped(tmp_path, sets, needle):
    out = tmp_path / "out"
    assert main(["build", "--no-pdf", "--out", str(out), *[f"--set={s}" for s in sets]]) == 0
    for name in ("solution.tex", "assignment.tex"):
        assert needle in (out / name).read_text(encoding="utf-8")


def test_set_and_variant_change_the_results(tmp_path):
    variant = tmp_path / "v.toml"
    variant.write_text("[problem2]\nA = [[2, 0], [0, 8]]\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["build", "--no-pdf", "--out", str(out), "--variant", str(variant)]
    assert main([*argv, "--set", "problem2.A=[[4,1],[1,3]]"]) == 0
    p2 = json.loads((out / "results.json").read_text(encoding="utf-8"))["problem2"]
    assert p2["char_poly"] == "lambda**2 - 7*lambda + 11"
    assert main(argv) == 0
    p2 = json.loads((out / "results.json").read_text(encoding="utf-8"))["problem2"]
    assert p2["eigenvalues"] == pytest.approx([2.0, 8.0], abs=1e-12)
    assert p2["eta_max_exact"] == "1/8"


def test_rebuild_is_byte_identical(seed_build, tmp_path):
    out = tmp_path / "again"
    assert main(["build", "--no-pdf", "--out", str(out)]) == 0
    assert snapshot(out) == snapshot(seed_build)


# --- invalid input: exit 2, the field named, no traceback, outputs untouched ---------------

INVALID = [
    (["--set", "problem1.W1=[[1,2],[3,4]]"], None,
     ["problem1.W1: expected 4 columns to match the 4 inputs per sample of problem1.X"]),
    (["--set", "problem1.w1=1"], None, ["problem1.w1: unknown field (did you mean W1?)"]),
    (["--set", "problem2.A=[[1,2]]"], None,
     ["problem2.A: expected a square matrix, found shape 1 x 2"]),
    (["--set", "problem2.A=[[1,2]"], None, ["--set problem2.A: the value '[[1,2]' is not valid"]),
    (["--set", "problem2.A"], None, ["--set problem2.A: expected SECTION.FIELD=VALUE"]),
    (["--set", "problem1.b2=nan"], None, ["problem1.b2: expected a finite number, found nan"]),
    (["--set", "problem3.layers=[{conv=40, filters=8}]"], None,
     ["problem3.layers[0] (conv 40x40, 8 filters): kernel 40x40 is larger than its 32x32 input"]),
    (["--set", "problem3.layers=[{conv=5, filters=8}]"], None,
     ["problem3.layers: the last layer (conv 5x5, 8 filters) outputs 28x28x8, "
      "expected problem3.target 4x4x64"]),
    ([], '[problem1]\nb2 = "x"\n', ["problem1.b2: expected a number, found the string 'x'"]),
    ([], '[problem1]\nactivation = "Relu"\n', ["found the string 'Relu' (did you mean relu?)"]),
    ([], "[problem1]\nb2 = \n", ["not valid TOML: Invalid value (at line 2, column 6)"]),
    ([], "[problem1]\nb2 = nan\n[problem2]\nA = [[1, 2]]\n",
     ["problem1.b2: expected a finite number, found nan",
      "problem2.A: expected a square matrix, found shape 1 x 2"]),
    (["--variant", "{tmp}/missing.toml"], None,
     ["--variant: the file {tmp}/missing.toml does not exist"]),
    (["--templates", "{tmp}/no-such-dir"], None,
     ["--templates: {tmp}/no-such-dir is not a directory"]),
]  # fmt: skip


@pytest.mark.parametrize(("args", "variant_text", "messages"), INVALID)
def test_invalid_input_exits_2_and_leaves_outputs_untouched(
    previous_build, tmp_path, capsys, args, variant_text, messages
):
    before = snapshot(previous_build)
    argv = ["build", "--out", str(previous_build)]  # PDF asked for: nothing may get that far
    if variant_text is not None:
        variant = tmp_path / "v.toml"
        variant.write_text(variant_text, encoding="utf-8")
        argv += ["--variant", str(variant)]
    argv += [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = error_lines(captured.err)
    assert len(lines) == len(messages)
    for line, message in zip(lines, messages, strict=True):
        assert line.startswith("solgen: error: ")
        assert message.replace("{tmp}", str(tmp_path)) in line
    assert snapshot(previous_build) == before


def test_invalid_input_does_not_create_the_out_dir(tmp_path, capsys):
    out = tmp_path / "fresh"
    assert main(["build", "--no-pdf", "--out", str(out), "--set", "problem1.b2=true"]) == 2
    assert not out.exists()
    assert capsys.readouterr().err == (
        "solgen: error: problem1.b2: expected a number, found the boolean true\n"
    )


def test_out_is_an_existing_file(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep\n", encoding="utf-8")
    assert main(["build", "--no-pdf", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err
    assert target.read_text(encoding="utf-8") == "keep\n"


def test_tiny_number_with_huge_exponent(tmp_path, capsys):
    """1e-2200 has 2200 decimal places, beyond the 30 that variants may use: invalid input."""
    out = tmp_path / "o"
    rc = main(["build", "--no-pdf", "--out", str(out), "--set", "problem1.b2=1e-2200"])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.out == ""
    assert captured.err == (
        "solgen: error: problem1.b2: expected at most 30 decimal places, found 1e-2200\n"
    )
    assert not out.exists()


def test_huge_integer_literal(tmp_path, capsys):
    out = tmp_path / "o"
    huge = "1" + "0" * 5000
    assert main(["build", "--no-pdf", "--out", str(out), "--set", f"problem1.b2={huge}"]) == 2
    assert "problem1.b2" in capsys.readouterr().err
    assert not out.exists()


def test_broken_template_override_is_reported_without_traceback(previous_build, tmp_path, capsys):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "convnet.tex.j2").write_text("((* if *))\n", encoding="utf-8")
    before = snapshot(previous_build)
    rc = main(["build", "--no-pdf", "--out", str(previous_build), "--templates", str(templates)])
    captured = capsys.readouterr()
    assert rc == 2  # a broken override is the user's input (a broken built-in one would be 1)
    assert captured.out == ""
    assert captured.err == (
        "solgen: error: template error: convnet.tex.j2:1: "
        "Expected an expression, got 'end of statement block'\n"
    )
    assert snapshot(previous_build) == before


# --- argparse ------------------------------------------------------------------------------


BETWEEN = "expected a number of seconds between 0 and 86400"


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        ([], 2, "the following arguments are required: COMMAND"),
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
        (["build", "--bogus"], 2, "unrecognized arguments: --bogus"),
        (["build", "--out"], 2, "argument --out: expected one argument"),
        (["build", "--timeout", "0"], 2, f"{BETWEEN}, found 0"),
        (["build", "--timeout", "-1"], 2, f"{BETWEEN}, found -1"),
        (["build", "--timeout", "nan"], 2, f"{BETWEEN}, found nan"),
        (["build", "--timeout", "soon"], 2, "expected a number of seconds, found 'soon'"),
    ],
)
def test_argparse_errors_raise_system_exit_2(capsys, argv, code, fragment):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == code
    err = capsys.readouterr().err
    assert err.startswith("usage: solgen")
    assert fragment in err
    assert "Traceback" not in err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"solgen {__version__}\n"


# --- python -m solgen and the console script -----------------------------------------------


def console_script() -> Path | None:
    script = Path(sys.executable).parent / "solgen"
    if script.exists():
        return script
    found = shutil.which("solgen")
    return Path(found) if found else None


def test_python_m_solgen(seed_build, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "solgen", "build", "--no-pdf", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert snapshot(out) == snapshot(seed_build)


def test_python_m_solgen_invalid_input_real_exit_status(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "solgen", "build", "--no-pdf", "--out", str(tmp_path / "o"),
         "--set", "problem1.w1=1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("solgen: error: problem1.w1: unknown field (did you mean W1?)")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_console_script(seed_build, tmp_path):
    script = console_script()
    if script is None:
        pytest.skip("the solgen console script is not installed")
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(script), "build", "--no-pdf", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert snapshot(out) == snapshot(seed_build)
    bad = subprocess.run(
        [str(script), "build", "--bogus"], capture_output=True, text=True, timeout=120, check=False
    )
    assert bad.returncode == 2
    assert "unrecognized arguments: --bogus" in bad.stderr


# --- no TeX on PATH ------------------------------------------------------------------------


@pytest.fixture
def no_tex_path(tmp_path, monkeypatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_no_tex_exits_1_with_the_install_command_and_still_writes_tex(
    no_tex_path, tmp_path, capsys
):
    out = tmp_path / "out"
    assert main(["build", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert INSTALL_COMMAND in captured.err
    assert (
        "sudo apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures "
        "lmodern latexmk"
    ) in captured.err
    assert "latexmk and pdflatex not found" in captured.err
    assert "the .tex files and results.json were written; no PDF was made" in captured.err
    assert sorted(os.listdir(out)) == SEED_FILES
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["problem3"]["total_params"] == 15296


def test_no_tex_is_fine_with_no_pdf(no_tex_path, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--no-pdf", "--out", str(out)]) == 0
    assert capsys.readouterr().err == ""
    assert sorted(os.listdir(out)) == SEED_FILES


def test_no_tex_invalid_input_is_still_2(no_tex_path, tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "o"), "--set", "problem2.A=[[1,2]]"]) == 2
    assert INSTALL_COMMAND not in capsys.readouterr().err


# --- LaTeX failures (need TeX) ---------------------------------------------------------------


@pytest.mark.tex
def test_latex_error_keeps_the_previous_build(tmp_path, capsys):
    needs_tex()
    out = tmp_path / "out"
    assert main(["build", "--out", str(out)]) == 0
    assert visible(out) == PDF_FILES
    assert sorted(os.listdir(out)) == PDF_FILES  # no scratch directories left after success
    before = snapshot(out)
    capsys.readouterr()

    templates = override(tmp_path, "\\undefinedcommandxyz\n")
    assert main(["build", "--out", str(out), "--templates", str(templates)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("solgen: error: LaTeX failed: ")
    assert re.search(r"(solution|assignment)\.tex:\d+: Undefined control sequence", err), err
    assert "\\undefinedcommandxyz" in err
    match = re.search(r"the log is (\S+);", err)
    assert match, err
    log = Path(match.group(1))
    assert log.is_file()
    assert "Undefined control sequence" in log.read_text(encoding="utf-8", errors="replace")
    # The previous outputs are byte-identical; only scratch directories (with logs) are new.
    assert visible(out) == PDF_FILES
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(".")} == before
    assert all(p.name.startswith(".solgen-") for p in out.iterdir() if p.name not in PDF_FILES)
    # The next build into the directory removes the stale scratch directories.
    assert main(["build", "--no-pdf", "--out", str(out)]) == 0
    assert sorted(os.listdir(out)) == PDF_FILES


@pytest.mark.tex
def test_hanging_latex_is_stopped(tmp_path, capsys):
    needs_tex()
    out = tmp_path / "out"
    templates = override(tmp_path, "\\def\\x{\\x}\\x\n")
    start = time.monotonic()
    rc = main(["build", "--out", str(out), "--templates", str(templates), "--timeout", "3"])
    elapsed = time.monotonic() - start
    assert rc == 1
    assert elapsed < 10
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(r"(solution|assignment)\.tex: LaTeX did not finish within 3 s", err), err
    assert "the log is " in err
    assert live_processes_under(tmp_path) == []
    assert visible(out) == []  # nothing half-built in place


def test_infinite_timeout_is_an_invalid_option(tmp_path, capsys):
    """inf is beyond the one-day limit (subprocess cannot wait for ever): argparse says so."""
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["build", "--out", str(out), "--timeout", "inf"])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: solgen build ")
    assert captured.err.splitlines()[-1] == (
        f"solgen build: error: argument --timeout: {BETWEEN}, found inf"
    )
    assert not out.exists()
    # The limit itself is accepted.
    assert main(["build", "--no-pdf", "--out", str(out), "--timeout", "86400"]) == 0
    assert sorted(os.listdir(out)) == SEED_FILES


def test_unreachable_target_is_invalid_input(tmp_path, capsys):
    out = tmp_path / "out"
    argv = [
        "build",
        "--no-pdf",
        "--out",
        str(out),
        "--set",
        "problem3.kernel_sizes=[5]",
        "--set",
        "problem3.target=[6,6,64]",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "problem3.target: 6x6 cannot be reached from 32x32" in err
    assert "nearest reachable sizes are 5x5, 10x10, 1x1" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["variant", "--seed", "1"], 0),
        (["build", "--no-pdf", "--set", "problem1.activation=softmax"], 2),
        (["--help"], 0),
    ],
)
def test_commands_that_need_no_mathematics_do_not_import_it(argv, status, tmp_path):
    """Lazy imports: writing or rejecting a variant answers before SymPy (0.2 s) is loaded."""
    script = (
        "import sys, contextlib, io\n"
        "from solgen.cli import main\n"
        "quiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        "    try:\n"
        f"        status = main({argv!r})\n"
        "    except SystemExit as stop:\n"
        "        status = stop.code\n"
        "heavy = ('sympy', 'numpy', 'mpmath', 'jinja2')\n"
        "print(status, sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert done.stdout == f"{status} []\n"
