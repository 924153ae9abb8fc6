"""A fourth problem (a plugin's) goes through the class stages that iterate over the assignment:
its items are numbered 4 with the assignment's points, graded, listed in the feedback, in
answers.csv, in a policy and in a key block (the default part: it declares no key template)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import pytest

import solgen.document.render
import solgen.problems.registry
from solgen.course.answerkey import StudentKey, items_of
from solgen.course.classfiles import answers_csv, key_block
from solgen.course.manifest import Manifest, Options, Record
from solgen.document.variant import build_variant
from solgen.grading.grade import feedback_text, grade_student
from solgen.grading.policy import read_policy
from solgen.problems.problem import CheckRun, Item, Problem, number_item
from solgen.problems.registry import Assignment

RESULTS = Path(__file__).resolve().parent / "golden" / "bytes" / "default" / "results.json"
FOUR = {"problems": ["network", "descent", "convnet", "tiny"], "points": [20, 15, 15, 5]}


class Tiny(Problem):
    """Double a number."""

    name = "tiny"
    title = "Doubling"
    points = 10
    package = __name__
    fields = ("a",)
    groups: ClassVar[Mapping[str, Fraction]] = {"double": Fraction(10)}
    distinct_label = "a"
    distinct_fields = ("a",)
    templates: ClassVar[Mapping[str, str]] = {}

    def default(self) -> dict[str, Any]:
        return {"a": 1}

    def parse(self, table: dict[str, Any], section: str, errors: list[str]) -> Any | None:
        return int(table["a"])

    def draw(self, seed: int, section: str, attempt: int, options: Mapping[str, int]) -> dict:
        return {"a": seed}

    def solve(self, inp: Any) -> Any:
        return 2 * inp

    def checks(self, result: Any) -> list[tuple[str, CheckRun]]:
        return []

    def results(self, result: Any) -> dict[str, Any]:
        return {"double": result}

    def context(self, result: Any) -> dict[str, Any]:
        return {}

    def items(self, section: dict[str, Any]) -> list[Item]:
        value = section["double"]
        return [number_item("tiny_double", "double", "2a", "2a", str(value), value)]


PROBLEM = Tiny()


def _clear() -> None:
    solgen.problems.registry.registered.cache_clear()
    solgen.problems.registry.problem.cache_clear()
    solgen.document.render.problem_templates.cache_clear()
    solgen.document.render.environment.cache_clear()


@pytest.fixture
def four(monkeypatch):
    """The assignment of the default's three problems and tiny; a student's variant and key."""
    builtin = {**solgen.problems.registry.BUILTIN, "tiny": f"{__name__}:PROBLEM"}
    monkeypatch.setattr(solgen.problems.registry, "BUILTIN", builtin)
    _clear()
    variant = build_variant({"assignment": FOUR, "problem4": {"a": 3}})
    results = json.loads(RESULTS.read_text("utf-8")) | {"problem4": {"double": 6}}
    items = items_of(results, variant.assignment)
    yield StudentKey("s1", "Ann", "s1", variant, tuple(items)), results
    _clear()


def test_the_fourth_problems_items_are_numbered_4_with_the_assignments_points(four):
    student, _ = four
    assert student.variant.assignment == Assignment(tuple(FOUR["problems"]), (20, 15, 15, 5))
    (item,) = [i for i in student.items if i.problem == 4]
    assert (item.id, item.points) == ("tiny_double", Fraction(5))
    assert sum(i.points for i in student.items) == 55


def test_its_answer_is_graded_and_the_feedback_lists_problem_4(four):
    student, _ = four
    graded, unreadable = grade_student(student, list(student.items), {"tiny_double": "6"})
    assert unreadable == []
    assert [(m.points, m.note) for m in graded.marks if m.item.problem == 4] == [
        (Fraction(5), "2a: 6 is right")
    ]
    assert "\nProblem 4: 5 of 5\n  2a: 6 is right\n" in feedback_text(graded)


def test_answers_csv_a_policy_and_a_key_block_have_it(four):
    student, results = four
    assignments = {"s1": student.variant.assignment}
    header = answers_csv({"s1": results}, {"s1": "Ann"}, kind="roster", assignments=assignments)
    assert header.splitlines()[0].endswith(",total_params,tiny_double")
    policy = read_policy(None, set(), [student.variant.assignment])
    assert policy.apply(list(student.items), student.variant.assignment) == list(student.items)
    record = Record("Ann", "s1", None, "", "", None, Options(False, "", ""), {})
    manifest = Manifest(kind="roster", records={"s1": record})
    block = key_block(manifest, "s1", results, student.variant.assignment)
    assert "\\keyproblem{4}{Doubling}\n\\keyitems{\\keyitem{2a = 6}}\n\\end{keyblock}" in block


def test_a_policy_may_name_its_group(four, tmp_path):
    student, _ = four
    path = tmp_path / "policy.toml"
    path.write_text("[points]\ndouble = 2\n", "utf-8")
    ids = {item.id for item in student.items}
    policy = read_policy(path, ids, [student.variant.assignment])
    (item,) = [
        i for i in policy.apply(list(student.items), student.variant.assignment) if i.problem == 4
    ]
    assert item.points == Fraction(2)
