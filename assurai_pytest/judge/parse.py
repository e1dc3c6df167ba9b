"""Reading the grade out of an LLM judge's reply: the last ``GRADE:`` line decides.

Only the last line that looks like a grade line counts, so a grade quoted earlier (from the
judged response, say) can never win; when that last line holds no valid 1–5 grade the reply is
unparsable rather than falling back to an earlier line.
"""

from __future__ import annotations

import re
import unicodedata

# NFKC first folds the full-width colon and digits.
_GRADE_LINE = re.compile(r"^[\s>*_#`-]*grade[\s*_`]*:", re.IGNORECASE)
_GRADE = re.compile(r"^[\s>*_#`-]*grade[\s*_`]*:[\s*_`]*([1-5])(?:\s*/\s*5)?[\s*_`.。]*$", re.IGNORECASE)


def grade_line_index(lines: list[str]) -> int | None:
    """The index of the last line that looks like a grade line, valid or not.

    Args:
        lines: the reply split into lines.
    """
    for index in range(len(lines) - 1, -1, -1):
        if _GRADE_LINE.match(unicodedata.normalize("NFKC", lines[index])):
            return index
    return None


def parse_grade(text: str) -> int | None:
    """The grade of a judge reply: the last ``GRADE: <1-5>`` line, tolerant of markup.

    Accepts ``GRADE: 4``, ``grade : 4``, ``GRADE：4``, ``**GRADE:** 4``, ``GRADE: 4/5``.

    Args:
        text: the judge's own reply.

    Returns:
        The grade 1–5, or None when the last grade-like line is not a valid grade or there is none.
        Never raises.
    """
    lines = text.splitlines()
    index = grade_line_index(lines)
    if index is None:
        return None
    match = _GRADE.match(unicodedata.normalize("NFKC", lines[index]))
    return int(match.group(1)) if match else None
