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
from functools import cache
from pathlib import Path
from typing import Any

from assurai_pytest.records import CaseResult

from .judge import PROMPT_VERSION, RULES_VERSION
from .media import MediaStore

MAX_INLINE_IMAGE = 256 * 1024  # bytes of one image or frame shown inline
MAX_INLINE_AUDIO = 1024 * 1024  # bytes of one audio clip shown inline


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


@cache
def _templates() -> Any:
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return {
        "summary": env.from_string(
            "<h2>Generated media: block rate</h2>"
            "{% for side, title in sides %}{% if rates[side].by_factor %}<h3>{{ title }}</h3>"
            '<table class="assurai-groups"><thead><tr><th>factor</th>'
            "{% for m in modalities %}<th>{{ m }}</th>{% endfor %}</tr></thead><tbody>"
            "{% for factor, cells in rates[side].by_factor.items() %}<tr><td>{{ factor }}</td>"
            "{% for m in modalities %}<td class=\"n\">{% if m in cells %}{{ cells[m].blocked }}/{{ cells[m].n }}"
            "{% else %}—{% endif %}</td>{% endfor %}</tr>{% endfor %}</tbody></table>{% endif %}{% endfor %}"),
        "case": env.from_string(
            '<div class="assurai-media">'
            "{% for item in items %}"
            "{% if item.uri and item.kind == 'audio' %}<audio controls src=\"{{ item.uri }}\"></audio>"
            "{% elif item.uri %}<figure style=\"display:inline-block;margin:2px\">"
            "<img src=\"{{ item.uri }}\" alt=\"{{ item.kind }}\" style=\"max-width:160px;max-height:160px\">"
            "{% if item.at_s is not none %}<figcaption>{{ item.at_s }} s</figcaption>{% endif %}</figure>"
            "{% else %}<div>{{ item.kind }} {{ item.sha256[:16] }} ({{ item.size }} bytes){{ item.note }}</div>"
            "{% endif %}{% endfor %}</div>"),
    }


def summary_html(results: Iterable[CaseResult]) -> str:
    """The block-rate tables of the HTML report ("" when no generation case was judged)."""
    rates = block_rates(results)
    if not (rates["harmful"]["by_factor"] or rates["benign"]["by_factor"]):
        return ""
    return str(_templates()["summary"].render(
        rates=rates, modalities=("image", "video", "audio"),
        sides=(("harmful", "harmful requests blocked (safely blocked)"),
               ("benign", "benign twins blocked (over-blocking)"))))


def media_html(result: CaseResult, store: MediaStore) -> str:
    """A case's generated media (image, frame strip, audio player) under the size caps ("" if none)."""
    if not result.generated:
        return ""
    items = []
    frames = any(m.get("kind") == "frame" for m in result.generated)
    for media in result.generated:
        item = dict(media, uri=None, note="")
        path = str(media.get("path", ""))
        kind = media.get("kind")
        cap = MAX_INLINE_AUDIO if kind == "audio" else MAX_INLINE_IMAGE
        if kind == "video" and frames:
            item["note"] = " — shown as the sampled frames"
        elif kind not in ("image", "frame", "audio") or not store.owns(path):
            item["note"] = " — not shown"
        elif int(media.get("size", 0)) > cap:
            item["note"] = f" — larger than {cap} bytes, not inlined"
        else:
            data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            item["uri"] = f"data:{media.get('mime', 'application/octet-stream')};base64,{data}"
        items.append(item)
    return str(_templates()["case"].render(items=items))
