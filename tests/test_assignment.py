"""An assignment file composes problems and points: `variant --assignment`, `batch
--assignment`, the draw options of the assignment's problems, and a fourth problem installed
as a plugin (issue 19: nothing outside a problem's own package names a problem)."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import plugin_problem
import pytest

from solgen.base.tomlinput import parse_toml
from solgen.cli import main
from solgen.course import batch as batch_module
from solgen.course.batch import BatchOptions, plan_digest, roster_jobs, run_batch
from solgen.course.generate import variant, variant_text
from solgen.course.roster import read_roster
from solgen.problems import registry
from solgen.problems.registry import Assignment

TWO = Assignment(("descent", "convnet"), (10, 5))
KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


def assignment_file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def sections(text: str) -> list[str]:
    """The tables of a TOML text, in the file's order."""
    return [line[1:-1] for line in text.splitlines() if line.startswith("[") and "=" not in line]


@pytest.fixture(autouse=True)
def builtin_problems_only(monkeypatch):
    """solgen's own problems only, whatever plugins are installed (the messages list them);
    the registry's caches are forgotten before and after."""
    monkeypatch.setattr(registry, "entry_points", lambda group: [])
    registry.registered.cache_clear()
    registry.problem.cache_clear()
    yield
    registry.registered.cache_clear()
    registry.problem.cache_clear()


@pytest.fixture
def tiny(monkeypatch):
    """The plugin problem registered as "tiny" (and the registry's caches forgotten before
    and after, so that no other test sees it)."""
    monkeypatch.setitem(registry.BUILTIN, "tiny", "plugin_problem:PROBLEM")
    registry.registered.cache_clear()
    registry.problem.cache_clear()
    plugin_problem.PROBLEM.calls.clear()
    plugin_problem.PROBLEM.warmed = 0
    yield plugin_problem.PROBLEM
    registry.registered.cache_clear()
    registry.problem.cache_clear()


# --- solgen variant --assignment -------------------------------------------------------------


def test_variant_with_an_assignment_writes_its_table_and_builds(tmp_path):
    spec = assignment_file(
        tmp_path / "two.toml", '[assignment]\nproblems = ["convnet", "network"]\npoints = [5, 25]\n'
    )
    out = tmp_path / "v.toml"
    args = ["variant", "--seed", "4", "--assignment", str(spec), "--samples", "5", "-o", str(out)]
    assert main(args) == 0
    text = out.read_text(encoding="utf-8")
    assert sections(text) == ["meta", "assignment", "problem1", "problem2"]
    assert '\n[assignment]\nproblems = ["convnet", "network"]\npoints = [5, 25]\n\n' in text
    data = parse_toml(text, "v.toml")
    assert sorted(data["problem1"]) == ["input", "kernel_sizes", "layers", "target"]
    assert len(data["problem2"]["X"]) == 5  # --samples reaches the network, now problem 2
    assert text == variant_text(
        4, Assignment(("convnet", "network"), (5, 25)), {"samples": 5, "inputs": 4, "hidden": 2}
    )
    build = tmp_path / "build"
    assert main(["build", "--variant", str(out), "--no-pdf", "--out", str(build)]) == 0
    results = json.loads((build / "results.json").read_text(encoding="utf-8"))
    assert list(results) == ["problem1", "problem2", "checks"]
    assert "total_params" in results["problem1"] and "loss" in results["problem2"]


def test_the_default_assignment_writes_no_table(tmp_path):
    """Listing the default problems and points is the default assignment: byte for byte the
    file without --assignment (tests/golden/variant-seed-1.toml)."""
    golden = Path(__file__).parent / "golden" / "variant-seed-1.toml"
    for text in (
        '[assignment]\nproblems = ["network", "descent", "convnet"]\n',
        '[assignment]\nproblems = ["network", "descent", "convnet"]\npoints = [20, 15, 15]\n',
    ):
        spec = assignment_file(tmp_path / "default.toml", text)
        out = tmp_path / "v.toml"
        assert main(["variant", "--seed", "1", "--assignment", str(spec), "-o", str(out)]) == 0
        assert out.read_bytes() == golden.read_bytes()


def test_other_points_are_another_assignment(tmp_path):
    spec = assignment_file(
        tmp_path / "a.toml",
        '[assignment]\nproblems = ["network", "descent", "convnet"]\npoints = [10, 10, 30]\n',
    )
    out = tmp_path / "v.toml"
    assert main(["variant", "--seed", "1", "--assignment", str(spec), "-o", str(out)]) == 0
    data = parse_toml(out.read_text(encoding="utf-8"), "v")
    assert data["assignment"] == {
        "problems": ["network", "descent", "convnet"],
        "points": [10, 10, 30],
    }
    default = parse_toml(variant_text(1), "default")  # the same draws: only the points differ
    assert {k: v for k, v in data.items() if k != "assignment"} == default


def test_a_draw_option_no_problem_of_the_assignment_uses_is_refused(tmp_path, capsys):
    spec = assignment_file(
        tmp_path / "two.toml", '[assignment]\nproblems = ["descent", "convnet"]\npoints = [10, 5]\n'
    )
    assert main(["variant", "--seed", "1", "--assignment", str(spec), "--hidden", "3"]) == 2
    assert capsys.readouterr().err == (
        "solgen: error: --hidden: none of the assignment's problems (descent, convnet) uses it\n"
    )
    out = tmp_path / "batch"
    args = ["batch", "--count", "1", "--no-pdf", "--out", str(out), "--assignment", str(spec)]
    assert main([*args, "--samples", "4"]) == 2
    assert capsys.readouterr().err == (
        "solgen: error: --samples: none of the assignment's problems (descent, convnet) uses it\n"
    )
    assert not out.exists()


BAD_ASSIGNMENTS = [
    (
        '[assignment]\nproblems = ["network", "nonesuch"]\n',
        "assignment.problems[1]: expected a registered problem (convnet, descent, network), "
        "found 'nonesuch'",
    ),
    (
        '[assignment]\nproblems = ["descent", "convnet"]\npoints = [10]\n',
        "assignment.points: expected 2 whole numbers from 1 to 1000, one per problem",
    ),
    (
        '[assignment]\nproblems = ["descent", "convnet"]\npoints = [10, 0]\n',
        "assignment.points: expected 2 whole numbers from 1 to 1000, one per problem",
    ),
    (
        '[assignment]\nproblems = ["descent", "descent"]\n',
        "assignment.problems: a problem is listed twice",
    ),
    (
        "[assignment]\nproblems = []\n",
        "assignment.problems: expected a non-empty list of problem names "
        "(convnet, descent, network)",
    ),
    (
        '[assignment]\nproblems = ["descent"]\nweights = [1]\n',
        "assignment.weights: unknown field; known fields: problems, points",
    ),
    ("assignment = 3\n", "assignment: expected a table [assignment]"),
    (
        'title = "x"\n',
        "title: unknown section; an assignment file holds [assignment] only",
    ),
    (
        '[meta]\ntitle = "x"\n[assignment]\nproblems = ["descent"]\n',
        "meta: unknown section; an assignment file holds [assignment] only",
    ),
    (
        "",
        "assignment: missing; expected a table [assignment] with problems = [...] and "
        "points = [...]",
    ),
    (
        "[assignment\n",
        "not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 12)",
    ),
    (
        '[assignment]\nproblems = ["descent"]\nproblems = ["convnet"]\n',
        "not valid TOML: Cannot overwrite a value (at line 3, column 23)",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_ASSIGNMENTS)
@pytest.mark.parametrize("command", ["variant", "batch"])
def test_a_bad_assignment_file_is_exit_2_naming_the_field(tmp_path, capsys, command, text, message):
    spec = assignment_file(tmp_path / "a.toml", text)
    out = tmp_path / "out"
    if command == "variant":
        args = ["variant", "--seed", "1", "-o", str(out)]
    else:
        args = ["batch", "--count", "1", "--no-pdf", "--out", str(out)]
    assert main([*args, "--assignment", str(spec)]) == 2
    assert capsys.readouterr().err == f"solgen: error: {spec}: {message}\n"
    assert not out.exists()


def test_an_assignment_file_that_cannot_be_read_is_exit_2(tmp_path, capsys):
    missing = tmp_path / "nothing.toml"
    assert main(["variant", "--seed", "1", "--assignment", str(missing)]) == 2
    assert (
        capsys.readouterr().err
        == f"solgen: error: --assignment: the file {missing} does not exist\n"
    )
    assert main(["variant", "--seed", "1", "--assignment", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --assignment: {tmp_path} is a directory, expected a TOML file\n"
    )
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"[assignment]\x00\n")
    assert main(["variant", "--seed", "1", "--assignment", str(binary)]) == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --assignment: {binary} is a binary file, expected a TOML text file\n"
    )


def test_an_assignment_file_is_read_never_evaluated(tmp_path, capsys):
    spec = assignment_file(
        tmp_path / "a.toml",
        "[assignment]\nproblems = [\"__import__('os').system('touch pwned')\"]\n",
    )
    assert main(["variant", "--seed", "1", "--assignment", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"solgen: error: {spec}: assignment.problems[0]: expected a registered")
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


# --- a fourth problem, installed as a plugin -----------------------------------------------

FOUR = Assignment(("network", "descent", "convnet", "tiny"))


def test_variant_draws_a_plugin_problem_as_problem4(tiny):
    data = variant(5, FOUR, {"tiny_logits": 4})
    assert list(data) == ["meta", "assignment", "problem1", "problem2", "problem3", "problem4"]
    assert data["assignment"] == {
        "problems": ["network", "descent", "convnet", "tiny"],
        "points": [20, 15, 15, 10],
    }
    assert tiny.calls == [
        (5, "problem4", {"samples": 3, "inputs": 4, "hidden": 2, "tiny_logits": 4})
    ]
    assert data["problem4"] == tiny.draw(5, "problem4", {"tiny_logits": 4})
    assert len(data["problem4"]["logits"]) == 4
    # the other problems draw as in the default assignment
    assert {k: data[k] for k in ("meta", "problem1", "problem2", "problem3")} == variant(5)


def test_the_cli_draws_a_plugin_problem_with_its_own_option(tiny, tmp_path, capsys):
    spec = assignment_file(
        tmp_path / "four.toml",
        '[assignment]\nproblems = ["network", "descent", "convnet", "tiny"]\n'
        "points = [20, 15, 15, 10]\n",
    )
    with pytest.raises(SystemExit):
        main(["variant", "--help"])
    helped = capsys.readouterr().out
    assert "\n  --tiny-logits K       the tiny problem: logits (default: 3)\n" in helped
    assert main(["variant", "--seed", "5", "--assignment", str(spec), "--tiny-logits", "4"]) == 0
    text = capsys.readouterr().out
    assert text == variant_text(5, FOUR, {"tiny_logits": 4})
    assert sections(text)[-1] == "problem4"
    assert len(tomllib.loads(text)["problem4"]["logits"]) == 4
    assert main(["variant", "--seed", "5", "--assignment", str(spec), "--tiny-logits", "1"]) == 2
    assert capsys.readouterr().err == "solgen: error: --tiny-logits: expected at least 2, found 1\n"
    assert main(["variant", "--seed", "5", "--tiny-logits", "4"]) == 2
    assert capsys.readouterr().err == (
        "solgen: error: --tiny-logits: none of the assignment's problems (network, descent, "
        "convnet) uses it\n"
    )


def test_roster_jobs_draw_a_plugin_problem(tiny, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns1,Ada\ns2,Grace\ns3,Emmy\n", encoding="utf-8")
    students = read_roster(roster)
    options = BatchOptions(assignment=Assignment(("tiny", "descent"), (4, 6)))
    jobs = roster_jobs(students, bytes.fromhex(KEY_HEX), options)
    logits = set()
    for job in jobs:
        assert job.generated is not None
        assert sections(job.generated) == ["meta", "assignment", "problem1", "problem2"]
        data = tomllib.loads(job.generated)
        assert data["assignment"] == {"problems": ["tiny", "descent"], "points": [4, 6]}
        assert data["meta"]["student_id"] == job.id
        logits.add(tuple(data["problem1"]["logits"]))
    assert len(logits) == 3  # these three happen to differ: no student is redrawn
    assert {section for _, section, _ in tiny.calls} == {"problem1"}


def test_a_batch_warms_its_assignments_problems_only(tiny, monkeypatch):
    warmed = []
    for name in ("network", "descent", "convnet"):
        found = registry.problem(name)
        monkeypatch.setattr(found, "warm", lambda name=name: warmed.append(name))
    batch_module._warm_caches(BatchOptions(assignment=Assignment(("tiny", "descent")), pdf=False))
    assert warmed == ["descent"] and tiny.warmed == 1


def test_a_batch_precompiles_with_a_default_variant_of_its_assignment(monkeypatch):
    compiled = []
    monkeypatch.setattr(
        "solgen.document.compile.precompile", lambda text, timeout: compiled.append(text)
    )
    batch_module._warm_caches(BatchOptions(assignment=TWO, pdf=True))
    (solution,) = compiled
    assert "Gradient descent" in solution and "Convolutional networks" in solution
    assert "Calculating gradients" not in solution


# --- batch --assignment ------------------------------------------------------------------------


def test_the_plan_digest_holds_the_assignment_and_its_draw_options():
    default = plan_digest(BatchOptions())
    assert plan_digest(BatchOptions(draw_options={"samples": 3, "hidden": 2})) == default
    assert plan_digest(BatchOptions(draw_options={"samples": 4})) != default
    assert plan_digest(BatchOptions(assignment=TWO)) != default
    assert plan_digest(BatchOptions(assignment=Assignment(("descent", "convnet")))) != (
        plan_digest(BatchOptions(assignment=TWO))  # other points
    )
    # the network's options do not shape an assignment without it
    two = plan_digest(BatchOptions(assignment=TWO))
    assert plan_digest(BatchOptions(assignment=TWO, draw_options={"samples": 4})) == two
    assert plan_digest(BatchOptions(sets=("meta.date=x",))) != default


def two_problem_spec(tmp_path: Path) -> Path:
    return assignment_file(
        tmp_path / "two.toml", '[assignment]\nproblems = ["descent", "convnet"]\npoints = [10, 5]\n'
    )


def check_two_problem_batch(out: Path, ids: list[str]) -> None:
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(ids)
    for variant_id in ids:
        text = (out / variant_id / "variant.toml").read_text(encoding="utf-8")
        assert sections(text) == ["meta", "assignment", "problem1", "problem2"]
        data = tomllib.loads(text)
        assert data["assignment"] == {"problems": ["descent", "convnet"], "points": [10, 5]}
        assert list(data["problem1"]) == ["A"]  # descent
        assert list(data["problem2"]) == ["input", "target", "kernel_sizes", "layers"]  # convnet
        results = json.loads((out / variant_id / "results.json").read_text(encoding="utf-8"))
        assert list(results) == ["problem1", "problem2", "checks"]
        assert "eta_max_exact" in results["problem1"] and "total_params" in results["problem2"]
        assert sorted(p.name for p in (out / variant_id / "data").iterdir()) == ["A.csv"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["count", "roster"])
def test_a_two_problem_batch_builds_and_reruns(tmp_path, capsys, monkeypatch, kind):
    """Every variant of a 2-problem batch is built from its own [assignment]; the class files
    (answers.csv, report.txt, ...: the class stage's part) are left out here."""
    monkeypatch.setattr("solgen.course.classfiles.finish", lambda *args, **kwargs: "")
    out = tmp_path / "batch"
    args = ["batch", "--no-pdf", "--jobs", "2", "--out", str(out)]
    args += ["--assignment", str(two_problem_spec(tmp_path))]
    if kind == "count":
        args += ["--count", "2"]
        ids = ["0000", "0001"]
    else:
        roster = tmp_path / "roster.csv"
        roster.write_text("id,name\ns1,Ada Lovelace\ns2,Grace Hopper\n", encoding="utf-8")
        key = tmp_path / "course.key"
        assert main(["key", "-o", str(key)]) == 0
        args += ["--roster", str(roster), "--key", str(key)]
        ids = ["s1", "s2"]
    assert main(args) == 0
    assert "batch: 2 built, 0 up to date, 0 failed" in capsys.readouterr().out
    check_two_problem_batch(out, ids)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["students"]) == ids
    assert main(args) == 0
    assert "batch: 0 built, 2 up to date, 0 failed" in capsys.readouterr().out


@pytest.mark.slow
def test_a_two_problem_batch_with_its_class_files(tmp_path):
    out = tmp_path / "batch"
    args = ["batch", "--count", "2", "--no-pdf", "--out", str(out)]
    assert main([*args, "--assignment", str(two_problem_spec(tmp_path))]) == 0
    check_two_problem_batch(out, ["0000", "0001"])


@pytest.mark.slow
def test_run_batch_takes_the_assignment(tmp_path, monkeypatch):
    """BatchOptions carries the assignment and the draw options (no CLI)."""
    monkeypatch.setattr("solgen.course.classfiles.finish", lambda *args, **kwargs: "")
    options = BatchOptions(count=1, seed=3, out=tmp_path / "b", pdf=False, jobs=1, assignment=TWO)
    report = run_batch(options, io.StringIO())
    assert [o.status for o in report.outcomes] == ["built"]
    check_two_problem_batch(tmp_path / "b", ["0003"])


def test_a_broken_plugin_breaks_only_the_assignments_that_use_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(registry.BUILTIN, "broken", "plugin_problem:NOT_A_PROBLEM")
    registry.registered.cache_clear()
    registry.problem.cache_clear()
    try:
        spec = assignment_file(
            tmp_path / "a.toml", '[assignment]\nproblems = ["descent", "broken"]\n'
        )
        assert main(["variant", "--seed", "1", "--assignment", str(spec)]) == 2
        assert capsys.readouterr().err == (
            f"solgen: error: {spec}: assignment.problems[1]: the problem 'broken' cannot be "
            "loaded: TypeError: plugin_problem:NOT_A_PROBLEM is a str, not a solgen Problem\n"
        )
        assert main(["variant", "--seed", "1"]) == 0
        assert capsys.readouterr().out == variant_text(1)
    finally:
        registry.registered.cache_clear()
        registry.problem.cache_clear()
