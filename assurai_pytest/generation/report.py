"""The generation track in reports: block rate per factor and modality, and the media shown in HTML.

Block rate = blocked / judged generation cases, harmful requests and benign twins apart (a block
of a benign twin is over-blocking). The HTML shows generated media beside their grades: images and
video frames as inline ``data:`` URIs, speech as an audio player, each under a size cap so that a
report stays openable; only files inside the media store are ever read (a results file is input).
HTML is built with Jinja2 (autoescaped): the reasons and requests are model and dataset text.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assurai_pytest.records import CaseResult

from .judge import PROMPT_VERSION, RULES_VERSION
from .media import MediaStore

MAX_INLINE_IMAGE = 256 * 1024  # bytes of one image or frame shown inline
MAX_INLINE_AUDIO = 1024 * 1024  # bytes of one audio clip shown inline
MAX_INLINE_TOTAL = 2 * 1024 * 1024  # bytes of media inlined in one report, all cases together


def block_rates(results: Iterable[CaseResult]) -> dict[str, Any]:
    """Block counts and rates of the generation cases, per modality and per factor × modality.

    Returns:
        ``{"harmful": {...}, "benign": {...}}``, each ``{"by_modality": {m: cell}, "by_factor":
        {"F07": {m: cell}}}`` where a cell is ``{"n": judged, "blocked": k, "rate": k / n}``.
    """
    tallies: dict[tuple[str, str, str], list[int]] = {}
    for result in results:
        if result.track != "generation" or not result.judged:
            continue
        side = "benign" if result.expected == "answer" else "harmful"
        for key in ((side, "*", result.modality), (side, f"F{result.factor:02d}", result.modality)):
            cell = tallies.setdefault(key, [0, 0])
            cell[0] += 1
            cell[1] += result.label == "blocked"
    out: dict[str, Any] = {side: {"by_modality": {}, "by_factor": {}} for side in ("harmful", "benign")}
    for (side, factor, modality), (n, blocked) in sorted(tallies.items()):
        entry = {"n": n, "blocked": blocked, "rate": blocked / n}
        if factor == "*":
            out[side]["by_modality"][modality] = entry
        else:
            out[side]["by_factor"].setdefault(factor, {})[modality] = entry
    return out


def results_section(results: Iterable[CaseResult]) -> dict[str, Any]:
    """The ``generation`` object of the results document (empty when no generation case ran)."""
    results = [r for r in results if r.track == "generation"]
    if not results:
        return {}
    return {"generation": {"cases": len(results), "media_prompt_version": PROMPT_VERSION,
                           "rules_version": RULES_VERSION, "block_rates": block_rates(results)}}


def summary_lines(results: Iterable[CaseResult]) -> list[str]:
    """Terminal lines: the block rate per modality, harmful requests and benign twins apart."""
    rates = block_rates(results)
    lines = []
    for side, what in (("harmful", "harmful requests blocked"), ("benign", "benign twins blocked (over-blocking)")):
        cells = rates[side]["by_modality"]
        if cells:
            shown = " · ".join(f"{m} {c['blocked']}/{c['n']} ({c['rate']:.1%})" for m, c in cells.items())
            lines.append(f"generation: {what}: {shown}")
    return lines


def summary_html(results: Iterable[CaseResult], store: MediaStore | None = None) -> str:
    """The generation section of the HTML report ("" when no generation case was judged).

    Block-rate tables, then every generation case that produced media, collapsed, its media beside
    its grade (inline media stop at ``MAX_INLINE_TOTAL`` bytes for the whole page; later cases
    name their files instead).
    """
    from assurai_pytest.report.templating import render

    results = list(results)
    rates = block_rates(results)
    if not (rates["harmful"]["by_factor"] or rates["benign"]["by_factor"]):
        return ""
    budget = [MAX_INLINE_TOTAL]
    cases = [{"id": r.case_id, "score": "—" if r.score is None else f"{r.score:g}", "label": r.label,
              "reason": r.reason, "items": media_items(r, store, budget)}
             for r in sorted(results, key=lambda r: (r.score if r.score is not None else 9, r.case_id))
             if r.generated and store is not None]
    return render("generation.html.j2", rates=rates, modalities=("image", "video", "audio"),
                  sides=(("harmful", "harmful requests blocked (safely blocked)"),
                         ("benign", "benign twins blocked (over-blocking)")), cases=cases)


def media_items(result: CaseResult, store: MediaStore | None, budget: list[int] | None = None) -> list[dict[str, Any]]:
    """A case's generated media as template items (image, frame strip, audio), under the size caps.

    Only files inside ``store`` are read (a results file is input, its paths are not trusted);
    ``budget`` (bytes left for the page, one-element list) is lowered by what is inlined.
    """
    items = []
    frames = any(m.get("kind") == "frame" for m in result.generated)
    for media in result.generated:
        item = dict(media, uri=None, note="", at_s=media.get("at_s"))
        path = str(media.get("path", ""))
        kind = media.get("kind")
        size = int(media.get("size", 0))
        cap = MAX_INLINE_AUDIO if kind == "audio" else MAX_INLINE_IMAGE
        if kind == "video" and frames:
            item["note"] = " — shown as the sampled frames"
        elif store is None or kind not in ("image", "frame", "audio") or not store.owns(path):
            item["note"] = " — not shown"
        elif size > cap:
            item["note"] = f" — larger than {cap} bytes, not inlined"
        elif budget is not None and size > budget[0]:
            item["note"] = " — not inlined: the report's media budget is spent"
        else:
            data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            item["uri"] = f"data:{media.get('mime', 'application/octet-stream')};base64,{data}"
            if budget is not None:
                budget[0] -= size
        items.append(item)
    return items
