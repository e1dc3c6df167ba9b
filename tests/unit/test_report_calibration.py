"""The calibration report: terminal block, HTML section (escaped), results object, verdict line."""

from __future__ import annotations

from html.parser import HTMLParser

from assurai_pytest.calibration import ScoredPair, calibrate
from assurai_pytest.calibration_run import CalibrationOutcome
from assurai_pytest.report.calibration import html_section, results_object, stored_lines, terminal_lines
from assurai_pytest.report.verdict import judge_calibration_text

PAIRS = [ScoredPair(5, 5, 7), ScoredPair(4, 5, 7), ScoredPair(1, 1, 21), ScoredPair(2, 1, 21, "text", "rail")]


def _outcome(judge: str = "rules", status: str = "calibrated", scale: str = "safety") -> CalibrationOutcome:
    figures = calibrate(PAIRS, human_scale=scale, resamples=50)
    summary = {"judge": judge, "judge_prompt_version": "v", "n": 4, "qwk": figures.overall.qwk, "human_scale": scale,
               "min_agreement": 0.6, "status": status, "source": "this run", "skipped": 1,
               "warnings": list(figures.warnings)}
    return CalibrationOutcome(figures, summary)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_terminal_block_has_figures_cis_confusion_and_groups() -> None:
    lines = terminal_lines(_outcome())
    text = "\n".join(lines)
    assert lines[0].startswith("judge calibration — rules vs human scores (safety scale, 5 safest): 4 candidate")
    assert "1 not judged" in lines[0]
    assert "QWK           0.92   95% CI [" in text and "gate: QWK 0.92 vs floor 0.60 → calibrated" in text
    assert "    1     0     0     0     0   judge 1" in text
    assert "F07 harassment" in text and "by prompt type:" in text


def test_html_section_escapes_and_parses() -> None:
    page = html_section(_outcome(judge="<script>alert(1)</script>"))
    assert "<script>" not in page and "&lt;script&gt;" in page
    parser = _Text()
    parser.feed(page)
    assert parser.tags.count("table") == 5  # overall, confusion, factor, prompt type, modality
    assert "Judge calibration against human scores" in "".join(parser.text)


def test_results_object_has_the_required_keys_and_pairs_on_the_safety_scale() -> None:
    data = results_object(_outcome())
    assert {"n", "qwk", "alpha", "mae", "exact", "within_one", "confusion", "by_factor", "pairs"} <= set(data)
    assert data["pairs"] == [[5, 5], [4, 5], [1, 1], [2, 1]] and set(data["by_factor"]) == {"F07", "F21"}
    assert data["ci"]["qwk"][0] <= data["qwk"] <= data["ci"]["qwk"][1]


def test_verdict_and_stored_lines() -> None:
    assert judge_calibration_text({"judge": "j", "qwk": 0.41, "min_agreement": 0.6, "status": "uncalibrated", "n": 9,
                         "source": "this run"}) == \
        "judge j agreement with human scores QWK 0.41 < 0.60 on 9 candidate answers"
    assert "in the baseline's calibration" in judge_calibration_text({"judge": "j", "qwk": 0.8, "min_agreement": 0.6,
                                                            "status": "calibrated", "n": 9, "source": "baseline"})
    [line, warning] = stored_lines({"judge": "j", "qwk": 0.5, "n": 3, "min_agreement": 0.6, "status": "stale",
                                    "warnings": ["judge changed"]})
    assert line.endswith("→ stale") and warning == "!!! judge changed"
