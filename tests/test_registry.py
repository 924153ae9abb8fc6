"""registry.py and the shape of the code: problems are found by name, an assignment lists them,
and no stage names a problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from solgen.base.errors import InvalidInput
from solgen.problems import registry
from solgen.problems.problem import Problem
from solgen.problems.registry import DEFAULT, Assignment, assignment_of

SOLGEN = Path(registry.__file__).parent.parent  # solgen/

# Where a problem may be named: its own package, and the default assignment's definition.
ALLOWED = ("problems/network/", "problems/descent/", "problems/convnet/", "problems/registry.py")
# What naming a problem looks like: its section (problem1), its number in a table or a loop,
# its module or template by number.
NAMING = re.compile(
    r"problem[1-9]|\(1, 2, 3\)|\{1: |\bp[1-3]_|problem[1-9]\.tex|\[set\(\), set\(\), set\(\)\]"
)


def test_the_default_assignment_is_the_seeds():
    placed = list(DEFAULT)
    assert [(p.number, p.section, p.problem.name, p.points) for p in placed] == [
        (1, "problem1", "network", 20),
        (2, "problem2", "descent", 15),
        (3, "problem3", "convnet", 15),
    ]
    assert [p.problem.title for p in placed] == [
        "Calculating gradients",
        "Gradient descent",
        "Convolutional networks",
    ]


def test_every_problem_declares_itself_whole():
    for name in registry.registered():
        problem = registry.problem(name)
        assert isinstance(problem, Problem) and problem.name == name
        assert sum(problem.groups.values()) == problem.points, name
        assert "problem" in problem.templates, name
        assert problem.default().keys() <= set(problem.fields), name


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("softmax", "assignment: expected a table [assignment]"),
        (
            {"problems": []},
            "assignment.problems: expected a non-empty list of problem names (KNOWN)",
        ),
        (
            {"problems": ["network", "nope"]},
            "assignment.problems[1]: expected a registered problem (KNOWN), found 'nope'",
        ),
        ({"problems": ["network", "network"]}, "assignment.problems: a problem is listed twice"),
        (
            {"problems": ["network"], "points": [20, 5]},
            "assignment.points: expected 1 whole numbers from 1 to 1000, one per problem",
        ),
        (
            {"problems": ["descent"], "points": [True]},
            "assignment.points: expected 1 whole numbers from 1 to 1000, one per problem",
        ),
        (
            {"problems": ["descent"], "weights": [1]},
            "assignment.weights: unknown field; known fields: problems, points",
        ),
    ],
)
def test_a_bad_assignment_table_names_its_field(table, message):
    with pytest.raises(InvalidInput) as caught:
        assignment_of(table)
    known = ", ".join(sorted(registry.registered()))  # solgen's and any installed problems
    assert caught.value.problems[0] == message.replace("KNOWN", known)


def test_an_assignment_may_reorder_and_repoint_problems():
    assignment = assignment_of({"problems": ["convnet", "network"], "points": [5, 10]})
    assert assignment == Assignment(("convnet", "network"), (5, 10))
    assert [(p.section, p.problem.name, p.points) for p in assignment] == [
        ("problem1", "convnet", 5),
        ("problem2", "network", 10),
    ]


def test_no_stage_names_a_problem():
    """The issue's 'done when': no problem number, count or per-problem table outside the
    problems' own packages and the default assignment's definition."""
    found = []
    for path in sorted(SOLGEN.rglob("*.py")):
        relative = path.relative_to(SOLGEN).as_posix()
        if relative.startswith(ALLOWED):
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if NAMING.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
