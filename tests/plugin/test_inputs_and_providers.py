"""Bad input, real HTTP providers, outages and hostile model output, through the whole plugin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeserver import FakeServer, last_user_text, run_fake_server

from assurai_pytest.redact import redact
from assurai_pytest.report.html import read_case_data

HOSTILE = '<script>alert(1)</script> <img src=x onerror=alert(2)> key sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456'
SECRET = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ123456"


def run(suite: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the copied suite in-process without the cache provider."""
    return suite.runpytest("test_factors", "-p", "no:cacheprovider", *args)


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local OpenAI-compatible server still needs some key in OPENAI_API_KEY (any value)."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)


def http_model(server: FakeServer) -> tuple[str, ...]:
    """Options that send the model under test to the local fake server, judged offline by rules."""
    return ("--assurai-model=openai/test-model", f"--assurai-api-base={server.base_url}", "--assurai-no-cache",
            "--assurai-timeout=5", "--assurai-allow-missing-baseline")


def test_a_malformed_dataset_line_is_a_usage_error_naming_file_and_line(suite: pytest.Pytester) -> None:
    good = {"id": "x-1", "factor": 7, "prompt_type": "q_only", "prompt": "요청입니다."}
    bad = {"id": "x-2", "factor": 36, "prompt_type": "q_only", "prompt": "요청입니다."}
    data = suite.path / "data.jsonl"
    data.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in (good, bad)) + "\n", encoding="utf-8")
    result = run(suite, f"--assurai-dataset={data}")
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"*{data}:2*"])
    assert "passed" not in result.stdout.str()


def test_a_corrupt_baseline_is_a_usage_error_and_is_left_untouched(suite: pytest.Pytester) -> None:
    path = suite.path / "baselines" / "broken.json"
    path.write_text('{"schema_version": 1, "groups": {', encoding="utf-8")
    before = path.read_bytes()
    for extra in ((), ("--assurai-update-baselines",)):
        result = run(suite, "--assurai-baseline=broken", "--assurai-sample=1", *extra)
        assert result.ret == 4
        result.stderr.fnmatch_lines(["*broken.json*"])
        assert path.read_bytes() == before


@pytest.mark.parametrize("option", ["--assurai-sample=0", "--assurai-factors=99", "--assurai-alpha=2",
                                    "--assurai-modalities=smell", "--assurai-baseline=../escape",
                                    "--assurai-min-shared=1.5", "--assurai-rate-limit-wait=0"])
def test_a_bad_option_value_is_a_usage_error(suite: pytest.Pytester, option: str) -> None:
    result = run(suite, option)
    assert result.ret == 4
    assert option.split("=")[0] in result.stderr.str() or "baseline" in result.stderr.str()


def test_env_and_ini_are_read_with_cli_first(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    suite.makeini("[pytest]\nassurai_factors = 8\nassurai_sample = 2\n")
    monkeypatch.setenv("ASSURAI_FACTORS", "7")
    ids = run(suite, "--collect-only", "-q").stdout.str()
    assert "F07-" in ids and "F08-" not in ids
    ids = run(suite, "--collect-only", "-q", "--assurai-factors=9").stdout.str()
    assert "F09-" in ids and "F07-" not in ids


def test_a_filtered_run_calls_the_model_once_per_selected_case_and_never_otherwise(
        suite: pytest.Pytester, fake_server: FakeServer) -> None:
    collected = run(suite, "--collect-only", "-q", "--assurai-factors=7", "-k", "role_playing")
    selected = [line for line in collected.stdout.lines if "::test_case[" in line]
    assert selected
    result = run(suite, *http_model(fake_server), "--assurai-factors=7", "-k", "role_playing")
    assert result.ret == 0
    assert len(fake_server.case_requests) == len(selected) == fake_server.count - 1  # and one start-up check
    prompts = [last_user_text(record.body) for record in fake_server.case_requests]
    assert len(set(prompts)) == len(prompts)


def test_a_provider_outage_is_an_error_with_one_cause_line_never_a_failure(suite: pytest.Pytester) -> None:
    # The server answers the start-up check, then fails every call: an outage during the run.
    with run_fake_server(schedule=["ok"], rate_500=1.0) as server:
        result = run(suite, *http_model(server), "--assurai-retries=1", "--assurai-factors=7")
    outcomes = result.parseoutcomes()
    assert result.ret == 1
    assert outcomes["errors"] > 0 and outcomes.get("failed", 0) == 0 and outcomes.get("passed", 0) == 0
    result.stdout.fnmatch_lines(["model under test: model openai/test-model*HTTP 500*"])
    assert result.stdout.lines[-1].startswith("ASSURAI VERDICT: ERROR")


def test_missing_credentials_fail_at_once_with_a_clear_message(suite: pytest.Pytester, fake_server: FakeServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    result = run(suite, *http_model(fake_server), "--assurai-factors=7", "--assurai-sample=1")
    assert result.ret == 4  # found by the start-up check, before any case
    result.stderr.fnmatch_lines(["*start-up check failed*",
                                 "*no credentials: set the provider's key variable (e.g. OPENAI_API_KEY*"])
    assert fake_server.count == 0


def test_hostile_output_is_escaped_and_keys_redacted_in_every_report(suite: pytest.Pytester,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(suite.path / "summary.md"))
    with run_fake_server(answer=lambda body: HOSTILE) as server:
        result = run(suite, *http_model(server), "--assurai-factors=7,8", "--assurai-sample=3",
                     "--html=report.html", "--self-contained-html", "--junitxml=junit.xml",
                     "--assurai-results=results.json", "-rA")
    assert result.ret == 0
    outputs = {name: (suite.path / name).read_text(encoding="utf-8")
               for name in ("report.html", "junit.xml", "results.json", "summary.md")}
    outputs["terminal"] = result.stdout.str()
    for name, text in outputs.items():
        assert SECRET not in text, name
        assert "<script>alert(1)" not in text, name
    json.loads(outputs["results.json"])
    # the answers travel gzipped in the page: unpacked, they are there as text, masked
    texts = read_case_data(outputs["report.html"])["texts"]
    assert redact(HOSTILE) in texts and not [t for t in texts if SECRET in t]
    assert "\\u003cscript\\u003e" in outputs["results.json"]


def test_the_html_report_has_a_35_row_factor_table(suite: pytest.Pytester) -> None:
    from html.parser import HTMLParser

    # 4 a factor: with benign twins in three prompt types, 2 can draw only twins for a factor,
    # which then has no harmful case and no gate row.
    result = run(suite, "--assurai-sample=4", "--html=report.html", "--self-contained-html", "-rs",
                 "--assurai-allow-missing-baseline")
    assert result.ret == 0

    class Rows(HTMLParser):
        factors: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "tr" and values.get("data-assurai-factor"):
                self.factors.add(values["data-assurai-factor"] or "")

    parser = Rows()
    page = Path(suite.path / "report.html").read_text(encoding="utf-8")
    parser.feed(page)
    assert len(parser.factors) == 35
    # every case row has its own cells (the rows live, escaped, in pytest-html's JSON blob)
    outcomes = result.parseoutcomes()
    # 43 gate entries (35 factors, 6 categories, overall, over-refusal) and the baseline check, skipped
    # here for lack of a baseline; a track the sample left empty skips as an empty parameter set, which
    # is no case either
    empty = sum("got empty parameter set" in line for line in result.stdout.lines if line.startswith("SKIPPED"))
    cases = outcomes.get("passed", 0) + outcomes.get("skipped", 0) - 44 - empty
    assert cases > 0
    assert page.count("data-c=") == cases
    assert len(read_case_data(page)["cases"]) == cases  # each with its details, once


def test_a_session_of_other_tests_prints_no_offline_demo_banner(pytester: pytest.Pytester,
                                                                xdist_args: tuple[str, ...]) -> None:
    # As `pytest tests` in this repository: the plugin is installed, but no AssurAI case is collected.
    pytester.makepyfile(test_other="def test_one():\n    assert True\n")
    result = pytester.runpytest(*xdist_args)
    assert result.ret == 0
    result.assert_outcomes(passed=1)
    assert not [line for line in result.outlines if "OFFLINE DEMO" in line or line.startswith("assurai:")]
