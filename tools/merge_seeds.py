"""Validate a file of seed rows written outside the repo and merge it into the bundled dataset.

Checks every row strictly (the bundled schema, plus what the bundled set promises): ids
``kNN-MM`` (harmful) and ``kNN-bMM`` (benign twin) that match the factor and ``expected``, no
``prompt_type``, a neutral ``domain`` that is not the harm label, a speech level the text's
endings agree with, no duplicate ids or seed texts across the whole data folder, no unmasked
resident-registration or phone numbers, reflection drafts that are text (never a placeholder)
and multiple-choice content whose safe letter is an option. Small problems are fixed and
reported (whitespace, Unicode normalisation, speech levels that cycle with the id, which are
reordered by a seeded shuffle and renumbered); anything else is an error and nothing is written.

``--extras FILE`` adds per-seed content written afterwards (``mc``, ``turns``, ``draft``,
``roleplay``) to rows of the file, matched by exact seed text; the rows are checked with it.

Usage::

    python tools/merge_seeds.py /work/drafts/seeds_09_17.jsonl [--out assurai_pytest/data/seeds_09_17.jsonl]
        [--extras extras.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from assurai_pytest.datasets.bundled import _instance  # the loader's own row validation
from assurai_pytest.errors import DatasetError
from assurai_pytest.speech_level import BANMAL, HAPSYO, speech_levels

DATA = Path(__file__).resolve().parents[1] / "assurai_pytest" / "data"
_ID = re.compile(r"k(\d{2})-(b?)(\d{2,3})")
_REQUIRED = ("id", "factor", "seed", "topic", "domain", "speech_level", "expected", "tags", "style")
_UNMASKED = re.compile(r"\d{6}-?[1-4]\d{6}|01[016789]-?\d{3,4}-?\d{4}")
_PLACEHOLDER = re.compile(r"자리표시자|\[초안|placeholder", re.IGNORECASE)
_EXTRAS = ("mc", "turns", "draft", "roleplay")


def normalise(value: Any) -> Any:
    """NFC and stripped strings, recursively."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def level_problem(text: str, declared: str) -> str | None:
    """Why ``text`` does not read as ``declared`` speech level, or None when it plausibly does."""
    levels = speech_levels(text)
    if BANMAL in levels and HAPSYO in levels:
        return f"mixes 반말 and 합쇼체 ({', '.join(sorted(levels))})"
    if levels and declared not in levels:
        return f"declared {declared} but the endings read {', '.join(sorted(levels))}"
    return None


def check_row(row: dict[str, Any], source: str) -> list[str]:
    """Every problem of one row (empty when it is good)."""
    problems = [f"missing {name}" for name in _REQUIRED if name not in row]
    if problems:
        return problems
    try:
        _instance(row, source, DATA)
    except DatasetError as exc:
        return [exc.detail]
    match = _ID.fullmatch(row["id"])
    if not match:
        return [f"id {row['id']!r} is not kNN-MM or kNN-bMM"]
    if int(match[1]) != row["factor"]:
        problems.append(f"id {row['id']} names factor {int(match[1])}, row says {row['factor']}")
    if (match[2] == "b") != (row["expected"] == "answer"):
        problems.append(f"id {row['id']} and expected {row['expected']!r} disagree")
    if "prompt_type" in row:
        problems.append("seed rows carry no prompt_type (the renderer chooses)")
    if row["domain"] == row["topic"] or row["topic"] in row["domain"]:
        problems.append(f"domain {row['domain']!r} repeats the harm label (topic {row['topic']!r})")
    if problem := level_problem(row["seed"], row["speech_level"]):
        problems.append(f"seed {problem}")
    for index, turn in enumerate(row.get("turns", ())):
        if problem := level_problem(turn, row["speech_level"]):
            problems.append(f"turns[{index}] {problem}")
    texts = [row["seed"], row.get("draft", ""), row.get("roleplay", ""), *row.get("turns", ())]
    if "mc" in row:
        texts += [row["mc"]["scenario"], *row["mc"]["options"].values()]
    if any(_UNMASKED.search(text) for text in texts):
        problems.append("an unmasked resident-registration or phone number")
    if "draft" in row and _PLACEHOLDER.search(row["draft"]):
        problems.append("the draft is a placeholder, not a draft")
    return problems


def unposition(rows: list[dict[str, Any]]) -> list[str]:
    """Renumber the rows of every factor whose speech levels cycle with the id (01 합쇼체, 02 해요체 …).

    Returns:
        The ``factor/kind`` groups that were reordered.
    """
    groups: dict[tuple[int, bool], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["factor"], row["expected"] == "answer"), []).append(row)
    fixed = []
    for (factor, benign), members in groups.items():
        levels = [m["speech_level"] for m in sorted(members, key=lambda m: m["id"])]
        if len(levels) < 6 or any(levels[n] != levels[n % 3] for n in range(len(levels))):
            continue
        random.Random(f"{factor}:{benign}").shuffle(members)
        for number, member in enumerate(members, start=1):
            member["id"] = f"k{factor:02d}-{'b' if benign else ''}{number:02d}"
        fixed.append(f"{factor}/{'benign' if benign else 'harmful'}")
    rows.sort(key=lambda r: (r["factor"], r["expected"] == "answer", r["id"]))
    return fixed


def overlay(rows: list[dict[str, Any]], extras: list[dict[str, Any]]) -> list[str]:
    """Add per-seed content to the rows with the same seed text; return the problems."""
    by_seed = {row.get("seed"): row for row in rows}
    problems = []
    for extra in extras:
        row = by_seed.get(extra.get("seed"))
        if row is None:
            problems.append(f"extras: no row has the seed {str(extra.get('seed'))[:40]!r}")
            continue
        for name, value in extra.items():
            if name == "seed":
                continue
            if name not in _EXTRAS or name in row:
                problems.append(f"extras: {row['id']} cannot take {name!r} (unknown or already set)")
            else:
                row[name] = value
    return problems


def existing_seeds(skip: Path) -> dict[str, str]:
    """Seed text → id over the data folder's other JSONL files."""
    seen: dict[str, str] = {}
    for file in sorted(DATA.glob("*.jsonl")):
        if file.resolve() == skip.resolve():
            continue
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if "seed" in row:
                    seen[row["seed"]] = row["id"]
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--extras", type=Path)
    args = parser.parse_args()
    out = args.out or DATA / args.source.name
    seen_seeds = existing_seeds(out)
    seen_ids: set[str] = set()
    rows, errors, fixes = [], [], 0
    text = args.source.read_text(encoding="utf-8")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    raws = [json.loads(line) for _, line in lines]
    normalised = [normalise(raw) for raw in raws]
    if args.extras:
        extras = [normalise(json.loads(x)) for x in args.extras.read_text(encoding="utf-8").splitlines() if x.strip()]
        errors += overlay(normalised, extras)
    for (number, _), raw, row in zip(lines, raws, normalised, strict=True):
        where = f"{args.source}:{number}"
        fixes += {k: v for k, v in row.items() if k not in _EXTRAS or k in raw} != raw
        problems = check_row(row, where)
        if row.get("id") in seen_ids:
            problems.append(f"duplicate id {row['id']}")
        if row.get("seed") in seen_seeds:
            problems.append(f"same seed text as {seen_seeds[row['seed']]}")
        seen_ids.add(row.get("id", ""))
        seen_seeds.setdefault(row.get("seed", ""), row.get("id", ""))
        errors += [f"{where} {row.get('id')}: {p}" for p in problems]
        rows.append(row)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problems; nothing written", file=sys.stderr)
        return 1
    reordered = unposition(rows)
    if reordered:
        print(f"speech levels cycled with the id in {', '.join(reordered)}: reordered and renumbered")
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} rows written to {out} ({fixes} normalised)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
