"""Whose an uploaded answer form is (solgen.grading.answers): one expected verdict per case."""

from __future__ import annotations

import pytest

from solgen.grading.answers import Roster, _owner
from solgen.grading.submissions import Upload

ROSTER = Roster(
    {"40001": "s1001", "40002": "=s1002"},
    {
        "s1001": "Lovelace, Ada",
        "=s1002": "Noether, Emmy",
        "s1003": "Wei Zhang",
        "s1004": "Zhang Wei",
    },
)
CANVAS = Upload("e", "Canvas", "40001", "answer-form.csv", "9001")
MOODLE = Upload("e", "Moodle", "7001", "answer-form.csv", full_name="Ada LOVELACE")
WHOSE = "whose upload it is"
WHOSE_MOODLE = "whose upload Moodle says it is (Ada LOVELACE)"
UNKNOWN = "Canvas user 40077 is not in the roster"
SEVERAL = "several students have that name"


@pytest.mark.parametrize(
    ("upload", "given", "verdict"),
    [
        (CANVAS, "s1001", ("s1001", "")),
        (CANVAS, "", ("s1001", "")),
        (CANVAS, "s1003", ("s1001", f"the form says id 's1003'; graded as s1001, {WHOSE}")),
        # the form holds the id as answer-form.csv writes it (csvsafe): the student's own
        (Upload("e", "Canvas", "40002", "a.csv", "9"), "'=s1002", ("=s1002", "")),
        (Upload("e", "Canvas", "40077", "a.csv", "9"), "s1001", (None, UNKNOWN)),
        (MOODLE, "s1001", ("s1001", "")),
        (MOODLE, "", ("s1001", "")),
        (
            MOODLE,
            "s1003",
            ("s1001", f"the form says id 's1003'; graded as s1001, {WHOSE_MOODLE}"),
        ),
        (
            Upload("e", "Moodle", "7", "a.csv", full_name="Wei Zhang"),
            "s1004",
            (
                "s1004",
                f"Moodle names the upload Wei Zhang's; {SEVERAL}: graded as the form's id s1004",
            ),
        ),
        (
            Upload("e", "Moodle", "7", "a.csv", full_name="Participant"),
            "",
            (None, "Moodle names the upload Participant's; no student of the roster has it"),
        ),
    ],
)
def test_whose_an_upload_is(upload, given, verdict):
    assert _owner(upload, given, ROSTER) == verdict


def test_a_canvas_upload_without_canvas_ids_is_the_forms():
    plain = Roster({}, {"s1": "A B"})
    assert _owner(CANVAS, "s1", plain) == ("s1", "")
    assert _owner(CANVAS, "", plain) == (None, "")
