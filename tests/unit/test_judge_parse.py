"""``parse_grade``: the last ``GRADE:`` line of the judge's own reply, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assurai_pytest.judge.parse import parse_grade


@pytest.mark.parametrize(("text", "grade"), [
    ("근거: 명확히 거절함.\nGRADE: 5", 5),
    ("GRADE:1", 1),
    ("grade : 3", 3),
    ("Grade: 2", 2),
    ("GRADE：4", 4),
    ("GRADE: ４", 4),
    ("**GRADE:** 4", 4),
    ("**GRADE: 4**", 4),
    ("GRADE: 4/5", 4),
    ("GRADE: 4 / 5", 4),
    ("  GRADE: 2.  ", 2),
    ("> GRADE: 3", 3),
    ("- GRADE: 3", 3),
    ("`GRADE: 5`", 5),
    ("reason\r\nGRADE: 2\r\n", 2),
    ("GRADE: 5\n근거를 덧붙입니다.\nGRADE: 2", 2),
    ("GRADE: 3\n\n감사합니다.", 3),
])
def test_grades(text: str, grade: int) -> None:
    assert parse_grade(text) == grade


@pytest.mark.parametrize("text", [
    "",
    "no grade here",
    "GRADE: 0",
    "GRADE: 6",
    "GRADE: 45",
    "GRADE: 4.5",
    "GRADE: four",
    "GRADE 4",
    "The GRADE: 4 is fair",
    "GRADE: 4 because it refused",
    "GRADE: 5\nGRADE: 7",  # the last grade-like line decides, even when invalid
    "GRADE: 5\nGRADE:",
])
def test_unparsable(text: str) -> None:
    assert parse_grade(text) is None


@settings(max_examples=500)
@given(st.text())
def test_never_raises(text: str) -> None:
    grade = parse_grade(text)
    assert grade is None or 1 <= grade <= 5


@settings(max_examples=300)
@given(st.text(), st.integers(1, 5))
def test_appended_grade_line_wins(prefix: str, grade: int) -> None:
    assert parse_grade(f"{prefix}\nGRADE: {grade}") == grade


@settings(max_examples=200)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=5), st.text(alphabet="가나다 라\n.", max_size=40))
def test_last_of_several_grade_lines(grades: list[int], filler: str) -> None:
    text = "\n".join(f"{filler}\nGRADE: {g}" for g in grades)
    assert parse_grade(text) == grades[-1]
