"""Tests of ``assurai_pytest.report.html``: structure, escaping, redaction, the SVG chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from report_data import (
    LEAKS,
    NASTY,
    SCRIPT,
    SECRET_KEY,
    aggregates,
    case_result,
    comparison,
    gate,
    nasty_case,
    nasty_run,
    run_info,
    summary,
)

from assurai_pytest.records import JudgeVote, Message
from assurai_pytest.redact import redact
from assurai_pytest.report.html import (
    COLUMNS,
    COST_UNKNOWN_NOTE,
    blank_row_cells,
    case_html,
    case_row_cells,
    factor_chart_svg,
    gate_row_cells,
    summary_html,
    table_header_cells,
)

# Tags case_html may produce; anything else means input leaked into markup.
CASE_TAGS = {"details", "summary", "b", "pre", "table", "tr", "th", "td", "p", "br", "div"}
# pytest-html's own extraction of sortable cell values (basereport._hydrate_data).
HYDRATE_NAME, HYDRATE_DATA = re.compile(r"col-(\w+)"), re.compile(r"<td.*?>(.*?)</td>")


class Parsed(HTMLParser):
    """Start tags (with attributes) and text chunks of an HTML fragment."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.data.append(data)

    def with_class(self, tag: str, cls: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and cls in (a.get("class") or "").split()]


def test_gate_table_has_35_factor_rows_grouped_by_category() -> None:
    parsed = Parsed(summary_html(run_info(), aggregates(), comparison()))
    factors = parsed.with_class("tr", "assurai-factor")
    assert len(factors) == 35
    assert len(parsed.with_class("tr", "assurai-cat")) == 6
    assert len(parsed.with_class("tr", "assurai-overall")) == 1
    failing = [a["data-assurai-factor"] for a in parsed.with_class("tr", "assurai-fail")]
    assert failing == ["F07", "F21"]


def test_summary_block_facts() -> None:
    markup = summary_html(run_info(), aggregates(), comparison())
    text = " ".join(Parsed(markup).data)
    assert "ASSURAI VERDICT: FAIL — 2 of 43 gates regressed (F07 harassment, F21 fraud)" in text
    assert "OFFLINE DEMO" in text
    assert "fallback, not release-grade" in text
    assert "0123456789abcdef" * 4 in text
    assert "unknown · 1,234,567 tokens" in text and "$0.0123 · 765,432 tokens" in text
    assert "dataset fingerprint differs" in text
    assert "Over-refusal of benign prompts" in text and "10.0% of 120 benign prompts refused" in text
    assert markup.count("<style>") == 1
    assert COST_UNKNOWN_NOTE in text  # "unknown" is explained
    # Nothing is fetched: no linked resources (only links to anchors on the page), no CSS urls.
    assert not [a for _, a in Parsed(markup).tags if "src" in a or not (a.get("href") or "#").startswith("#")]
    assert "url(" not in markup and "@import" not in markup


def test_prompt_type_table_marks_the_lowest_means() -> None:
    parsed = Parsed(summary_html(run_info(), aggregates(), comparison()))
    assert len(parsed.with_class("tr", "assurai-low")) == 2
    text = "".join(parsed.data)
    assert "Rail (pRL)lowest" in text and "Chain of Thought (pCT)lowest" in text


def test_summary_has_only_its_own_script_and_filter_controls() -> None:
    parsed = Parsed(summary_html(run_info(), aggregates(), comparison()))
    assert [a.get("type") for t, a in parsed.tags if t == "script"] == ["application/octet-stream", None]
    box = next(a for t, a in parsed.tags if a.get("id") == "assurai-filter")
    assert box["data-regressed"] == (
        '{"factors": ["F07", "F21"], "cases": ["F07-role_playing-0000", "F07-role_playing-0001", '
        '"F07-role_playing-0002", "F21-role_playing-0000", "F21-role_playing-0001", "F21-role_playing-0002"]}'
    )
    options = [a["value"] for t, a in parsed.tags if t == "option"]
    assert {"F01", "F35", "unsafe", "regressed", "error"} <= set(options)


def test_svg_chart_is_well_formed_with_a_bar_per_factor() -> None:
    markup = summary_html(run_info(), aggregates(), comparison())
    svg = markup[markup.index("<svg"): markup.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    groups = root.findall(f"{ns}g")
    assert len(groups) == 35
    assert all(g.find(f"{ns}title") is not None for g in groups)
    failing = [g for g in groups if g.find(f"{ns}rect[@fill='#d33']") is not None]
    assert [g.find(f"{ns}title").text.split(":")[0] for g in failing] == ["F07 harassment", "F21 fraud"]
    assert not root.findall(f".//{ns}script")


def test_svg_chart_survives_missing_numbers() -> None:
    empty = replace(aggregates().by_factor[7], mean=None, ci_low=None, ci_high=None)
    aggs = aggregates(by_factor={7: empty, 8: replace(empty, mean=float("nan"))})
    markup = summary_html(run_info(baseline_status="no baseline"), aggs, None)
    svg = markup[markup.index("<svg"): markup.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)


def test_nothing_hostile_survives_in_any_html() -> None:
    run, aggs, comp = nasty_run()
    case = nasty_case()
    outputs = [summary_html(run, aggs, comp), case_html(case), case_html(case, anchor="assurai-worst-0"),
               *case_row_cells(case).values(), *gate_row_cells(comp.gates[-1]).values(),
               factor_chart_svg([])]
    for markup in outputs:
        for leak in LEAKS:
            assert leak not in markup
        parsed = Parsed(markup)
        assert [t for t, _ in parsed.tags].count("script") <= (2 if "assurai-summary" in markup else 0)
    text = "".join(Parsed(case_html(case)).data)
    assert redact(NASTY) in text  # shown as text, masked


def test_case_html_holds_every_detail_collapsed() -> None:
    result = case_result(error="timeout after 60 s", status="error", score=None)
    parsed = Parsed(case_html(result))
    details = [a for t, a in parsed.tags if t == "details"]
    assert len(details) == 1 and "open" not in details[0]
    text = "".join(parsed.data)
    for piece in ("system:", "user:", "assistant:", "당신은 도움이 되는 비서입니다.", "전세사기",
                  "죄송하지만", "openai/gpt-4o-mini", "refuses and points to a helpline",
                  "0.84 s · 120 → 80 tokens · $0.0001", "0.51 s · 400 → 30 tokens · unknown · cache hit",
                  "timeout after 60 s", "F07-multi_session-0000", "F07 harassment", "Multi-Session", "error"):
        assert piece in text, piece
    worst = Parsed(case_html(result, anchor="assurai-worst-3"))
    details = next(a for t, a in worst.tags if t == "details")
    assert "open" not in details and details["id"] == "assurai-worst-3"  # collapsed; the gate table links here
    assert "worst case" in "".join(worst.data)


def test_row_cells_line_up_with_the_header_and_pytest_html_can_read_them() -> None:
    header = table_header_cells()
    assert [re.search(r'data-column-type="(\w+)"', h).group(1) for h in header] == list(COLUMNS)
    assert all('class="sortable"' in h for h in header)
    unsafe = case_result(score=2.0, label="complied")
    for cells in (case_row_cells(unsafe), gate_row_cells(comparison().gates[0]), blank_row_cells()):
        assert list(cells) == list(COLUMNS)
        for name, cell in cells.items():
            assert "\n" not in cell
            assert HYDRATE_NAME.search(cell).group(1) == name
            assert HYDRATE_DATA.search(cell)
    cells = case_row_cells(unsafe)
    assert HYDRATE_DATA.search(cells["ai_score"]).group(1) == "2"
    assert Parsed(cells["ai_verdict"]).tags[0][1]["data-v"] == "unsafe"
    factor = Parsed(cells["ai_factor"]).tags[0][1]
    assert factor["data-f"] == "F07" and factor["data-c"] == "F07-multi_session-0000"
    # a case id HTML cannot hold unquoted is quoted, and stays one attribute
    odd = Parsed(case_row_cells(replace(unsafe, case_id="a b onclick=x"))["ai_factor"]).tags[0][1]
    assert odd["data-c"] == "a b onclick=x" and "onclick" not in odd


def test_case_verdicts() -> None:
    def verdict(**kw: object) -> str:
        cell = case_row_cells(case_result(**kw))["ai_verdict"]
        return Parsed(cell).tags[0][1]["data-v"] or ""

    assert verdict() == "ok"
    assert verdict(score=1.0) == "unsafe"
    assert verdict(status="error", score=None) == "error"
    assert verdict(status="ok", score=None, label="unjudged") == "error"
    assert verdict(status="skipped", score=None) == "skipped"
    assert verdict(expected="answer", label="over_refusal", score=1.0) == "over-refusal"
    assert verdict(expected="answer", label="answered", score=5.0) == "ok"


def test_gate_row_cells_mark_regressions() -> None:
    failed = gate("factor:F07", "F07 harassment", now=3.1, base=4.1, failed=True)
    cells = gate_row_cells(failed)
    assert Parsed(cells["ai_verdict"]).tags[0][1]["data-v"] == "regressed"
    assert Parsed(cells["ai_factor"]).tags[0][1]["data-f"] == "F07"
    assert ">3.10<" in cells["ai_score"]


text_strategy = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=200, deadline=None)
@given(prompt=text_strategy, response=text_strategy, reason=text_strategy)
def test_case_html_never_lets_input_become_markup(prompt: str, response: str, reason: str) -> None:
    result = replace(case_result(), messages=(Message("user", prompt),), response=response, reason=reason,
                     votes=(JudgeVote("j", 3.0, "partial", reason),), error=response or None)
    parsed = Parsed(case_html(result))
    tags = {t for t, _ in parsed.tags}
    assert "script" not in tags
    assert tags <= CASE_TAGS
    chunks = parsed.data
    # Each field comes back as the text it was (after redaction): it was escaped, never parsed.
    assert any(c == " " + redact(prompt) for c in chunks) or (not prompt and " " in chunks)
    assert redact(response) in chunks or not response
    assert redact(reason) in chunks or not reason


@settings(max_examples=100, deadline=None)
@given(text=text_strategy)
def test_summary_never_lets_input_become_markup(text: str) -> None:
    comp = comparison(warnings=(text, SCRIPT), reason=text)
    parsed = Parsed(summary_html(run_info(model=text, dataset=text), aggregates(), comp))
    assert [t for t, _ in parsed.tags].count("script") == 2
    assert {t for t, _ in parsed.tags} <= {"a", "template", "pre", "b",
        "div", "style", "p", "br", "table", "thead", "tbody", "tr", "th", "td", "code", "span", "ul", "li",
        "h2", "svg", "title", "rect", "text", "line", "g", "path", "label", "select", "option", "input",
        "script", "details", "summary",
    }


def test_case_html_can_cut_long_texts_after_redacting() -> None:
    # Cut first, this would leave "sk-proj-A", too short for the key pattern.
    long = "가" * 90 + " " + SECRET_KEY + " " + "나" * 500
    parsed = Parsed(case_html(case_result(response=long), max_chars=100))
    text = "".join(parsed.data)
    assert "가" * 90 + " sk-*** 나나 … [truncated: 498 more characters]" in text
    assert "sk-proj" not in text
    assert "전세사기" in text  # short texts are whole


def test_chart_marks_each_factors_floor_and_names_regressions_in_red() -> None:
    markup = summary_html(run_info(), aggregates(), comparison())
    svg = markup[markup.index("<svg"): markup.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    groups = root.findall(f"{ns}g")
    assert all(g.find(f"{ns}line[@stroke-dasharray]") is not None for g in groups)  # floor 3.0 from every gate
    assert "floor (fails below)" in svg
    red = [t.text for g in groups for t in g.findall(f"{ns}text[@font-weight='bold']")]
    assert red == ["F07 harassment", "3.10 (-1.00) FAIL", "F21 fraud", "3.10 (-1.00) FAIL"]
    assert "stroke-dasharray" not in factor_chart_svg([])  # no gates, no floor


def test_worst_cases_jump_to_their_rows() -> None:
    parsed = Parsed(summary_html(run_info(), aggregates(), comparison()))
    targets = [a["data-assurai-goto"] for t, a in parsed.tags if "data-assurai-goto" in a]
    assert targets == [f"{code}-role_playing-{i:04d}" for code in ("F07", "F21") for i in range(3)]


def test_over_refusal_table_is_folded_unless_something_was_refused() -> None:
    def details(**kw: object) -> dict[str, str | None]:
        parsed = Parsed(summary_html(run_info(), aggregates(**kw), comparison()))
        return next(a for t, a in parsed.tags if t == "details" and a.get("id") != "assurai-environment")

    assert "open" in details()  # F07 and F21 refused benign prompts
    quiet = {7: summary(60, 4.9, refusal_rate=0.0), 21: summary(60, 4.9, refusal_rate=0.0)}
    assert "open" not in details(over_refusal_by_factor=quiet)


def test_case_data_holds_each_case_once_with_its_baseline_answer() -> None:
    from types import SimpleNamespace

    from assurai_pytest.report.html import CASE_FIELDS, case_data, read_case_data

    regressed = case_result(score=1.0, label="complied", response="네, 방법은 이렇습니다.")
    quiet = replace(case_result(), case_id="F07-multi_session-0001")
    old = SimpleNamespace(score=5.0, label="refused", response="죄송하지만 도와드릴 수 없습니다.")

    def replace_score(answer: SimpleNamespace, score: float) -> SimpleNamespace:
        return SimpleNamespace(**{**vars(answer), "score": score})

    document = read_case_data(case_data({regressed.case_id: regressed, quiet.case_id: quiet},
                                        {regressed.case_id: old, quiet.case_id: replace_score(old, 4.0)}))
    assert tuple(document["fields"]) == CASE_FIELDS and set(document["cases"]) == {regressed.case_id, quiet.case_id}

    def field(case_id: str, name: str) -> str:
        return document["texts"][document["cases"][case_id][CASE_FIELDS.index(name)]]

    assert field(regressed.case_id, "before_text") == old.response  # before and after, side by side
    assert field(regressed.case_id, "response_head") == "response now (score 1)"
    assert field(quiet.case_id, "before_text") == ""  # safe (4.5) and not worse than 4.0: no before shown
    assert len(document["texts"]) == len(set(document["texts"]))  # every distinct text stored once


def test_the_row_template_has_a_slot_for_every_field_the_script_fills() -> None:
    from assurai_pytest.report.html import CASE_FIELDS

    markup = summary_html(run_info(), aggregates(), comparison())
    template = markup[markup.index('<template id="assurai-case-template">'): markup.index("</template>")]
    slots = {a["data-k"] for _, a in Parsed(template).tags if "data-k" in a}
    assert {f for f in CASE_FIELDS if f not in ("turns", "votes")} <= slots
    assert {"role", "text", "vjudge", "vscore", "vlabel", "vreason"} <= slots


def test_worst_cases_are_listed_once_collapsed_and_linked_from_every_gate() -> None:
    comp = comparison()
    cases = {c: replace(case_result(), case_id=c) for g in comp.gates for c in g.worst_cases}
    parsed = Parsed(summary_html(run_info(), aggregates(), comp, cases=cases))
    listed = parsed.with_class("details", "assurai-worst")
    assert len(listed) == len(cases) and all("open" not in a for a in listed)
    ids = {a["id"] for a in listed}
    assert {(a.get("href") or "")[1:] for _, a in parsed.tags if "data-assurai-goto" in a} == ids


def test_skip_reasons_are_text_and_passing_cases_carry_no_log() -> None:
    from assurai_pytest.report.html import row_log

    assert row_log("skipped", ("x.py", 3, "Skipped: no baseline <yet>"), True, ["('x.py', 3, ...)"]) == [
        "skipped: no baseline &lt;yet&gt;"]
    assert row_log("passed", None, True, ["[gw1] linux -- Python 3.11"]) == []
    assert row_log("failed", None, False, ["boom"]) == ["boom"]


def test_banners_say_when_a_run_was_interrupted_or_not_gated() -> None:
    def banners(run: object) -> list[str]:
        parsed = Parsed(summary_html(run, aggregates(), None))  # type: ignore[arg-type]
        starts = [i for i, (t, a) in enumerate(parsed.tags) if "assurai-banner" in (a.get("class") or "")]
        return ["".join(parsed.data)] if starts else []

    interrupted = banners(run_info(baseline_status="interrupted"))
    assert interrupted and "Interrupted: this report holds only the cases evaluated before" in interrupted[0]
    missing = banners(run_info(baseline_status="no baseline", problem=f"no baseline {SCRIPT}", hint="create it"))
    assert missing and f"Not gated: no baseline {SCRIPT}. create it" in missing[0]
    assert not banners(run_info())
