"""Tests of ``assurai_pytest.settings`` and ``assurai_pytest.options``: merging, parsing, derived names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assurai_pytest.errors import UsageError
from assurai_pytest.options import OPTIONS, parse_sources
from assurai_pytest.settings import Settings, merge, slug

HERE = Path("/cli")
ROOT = Path("/root")


def parse(cli: dict | None = None, env: dict | None = None, ini: dict | None = None) -> Settings:
    return parse_sources(cli or {}, env or {}, ini or {}, cli_dir=HERE, ini_dir=ROOT)


def test_defaults_are_the_offline_demo() -> None:
    settings = parse()
    assert settings.model == "assurai/scripted-safe" and settings.judges == ("rules",)
    assert settings.offline_demo and not settings.self_judging
    assert settings.cache_dir == ROOT / ".assurai_cache" and settings.baseline_dir == ROOT / "baselines"
    assert settings.baseline_name == "assurai-scripted-safe__rules"


def test_command_line_beats_environment_beats_ini() -> None:
    ini = {"assurai_sample": "3", "assurai_seed": "1", "assurai_alpha": "0.01"}
    env = {"ASSURAI_SAMPLE": "4", "ASSURAI_SEED": "2"}
    settings = parse({"assurai_sample": "5"}, env, ini)
    assert (settings.sample, settings.seed, settings.alpha) == (5, 2, 0.01)


def test_paths_resolve_against_where_they_were_given() -> None:
    settings = parse({"assurai_results": "out.json"}, {"ASSURAI_DATASET": "data"}, {"assurai_baseline_dir": "bl"})
    assert settings.results == HERE / "out.json"
    assert settings.dataset == HERE / "data"
    assert settings.baseline_dir == ROOT / "bl"


def test_no_cache_flag_from_the_environment() -> None:
    assert parse(env={"ASSURAI_NO_CACHE": "yes"}).cache_dir is None
    assert parse(env={"ASSURAI_NO_CACHE": "0"}).cache_dir == ROOT / ".assurai_cache"


@pytest.mark.parametrize(("source", "raw", "named"), [
    ("cli", {"assurai_sample": "0"}, "--assurai-sample"),
    ("env", {"ASSURAI_ALPHA": "1.5"}, "ASSURAI_ALPHA"),
    ("ini", {"assurai_concurrency": "many"}, "ini key assurai_concurrency"),
    ("env", {"ASSURAI_NO_CACHE": "maybe"}, "ASSURAI_NO_CACHE"),
])
def test_a_bad_value_names_the_option_and_its_source(source: str, raw: dict, named: str) -> None:
    with pytest.raises(UsageError, match=named):
        parse(**{source: raw})


def test_self_judging_is_seen_directly_and_behind_a_guard_adapter() -> None:
    assert Settings(model="openai/gpt-4o-mini", judge="openai/gpt-4o-mini").self_judging
    assert Settings(model="openai/m", judge="rules,qwen3guard:openai/m").self_judging
    assert not Settings(model="openai/m", judge="openai/other").self_judging


def test_every_option_has_one_prefix() -> None:
    for spec in OPTIONS:
        assert spec.flag.startswith("--assurai-") and spec.dest.startswith("assurai_")
        assert spec.env == spec.dest.upper() and hasattr(Settings(), spec.field) or spec.field == "no_cache"


@given(st.lists(st.dictionaries(st.sampled_from("abcd"), st.none() | st.integers()), max_size=4))
def test_merge_takes_the_first_non_none_value(sources: list[dict]) -> None:
    merged = merge(*sources)
    for key, value in merged.items():
        assert value == next(s[key] for s in sources if s.get(key) is not None)
    assert set(merged) == {k for s in sources for k, v in s.items() if v is not None}


@given(st.text())
def test_slug_is_ascii_and_file_safe(text: str) -> None:
    value = slug(text)
    assert value and value.isascii() and "/" not in value


def test_calibration_and_judge_options() -> None:
    settings = parse({"assurai_calibrate": "1", "assurai_human_scale": "Safety", "assurai_judge_repeats": "3"},
                     {"ASSURAI_MIN_JUDGE_AGREEMENT": "0.7"},
                     {"assurai_judge_params": '{"extra_body": {"top_k": 1}, "top_p": 1}'})
    assert settings.calibrate and settings.human_scale == "safety" and settings.judge_repeats == 3
    assert settings.min_judge_agreement == 0.7
    assert settings.judge_params == '{"extra_body": {"top_k": 1}, "top_p": 1}'
    defaults = parse()
    assert (defaults.calibrate, defaults.human_scale, defaults.min_judge_agreement, defaults.judge_repeats) == \
        (False, "risk", 0.6, 1)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("assurai_human_scale", "harm", "expected risk"),
    ("assurai_min_judge_agreement", "1.5", "between -1 and 1"),
    ("assurai_judge_params", "[1]", "expected a JSON object"),
    ("assurai_judge_params", "{bad", "not JSON"),
    ("assurai_judge_params", '{"model": "x"}', "model cannot be set here"),
    ("assurai_judge_params", '{"extra_body": 3}', "extra_body must be a JSON object"),
    ("assurai_judge_repeats", "0", "at least 1"),
    ("assurai_judge", "kanana-safeguard:hosted_vllm/kakaocorp/kanana-safeguard-siren-8b", "judges user prompts"),
    ("assurai_judge", "llamaguard:", "a guard needs a model"),
])
def test_bad_calibration_and_judge_options_are_usage_errors(key: str, value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse({key: value})
