"""The model's deployment settings: parsing, the system prompt's place, provenance and its differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assurai_pytest.deployment import (
    Deployment,
    deployment_differences,
    describe,
    parse_params,
    parse_system_prompt,
    split_api_base,
    with_system_prompt,
)
from assurai_pytest.errors import UsageError
from assurai_pytest.options import parse_sources
from assurai_pytest.records import Message


def test_a_system_prompt_is_the_text_or_a_file_read_relative_to_its_origin(tmp_path: Path) -> None:
    (tmp_path / "prompt.txt").write_text("  당신은 은행 상담원입니다.\n", encoding="utf-8")
    assert parse_system_prompt("@prompt.txt", tmp_path) == "당신은 은행 상담원입니다."
    assert parse_system_prompt("Be brief.", tmp_path) == "Be brief."
    with pytest.raises(ValueError, match="cannot read"):
        parse_system_prompt("@missing.txt", tmp_path)


def test_options_read_the_system_prompt_file_from_the_ini_folder(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("product prompt", encoding="utf-8")
    settings = parse_sources({}, {}, {"assurai_system_prompt": "@p.txt", "assurai_temperature": "0.7",
                                      "assurai_max_tokens": "256"}, cli_dir=Path("/nowhere"), ini_dir=tmp_path)
    assert (settings.system_prompt, settings.temperature, settings.max_tokens) == ("product prompt", 0.7, 256)
    with pytest.raises(UsageError, match="--assurai-system-prompt"):
        parse_sources({"assurai_system_prompt": "@p.txt"}, {}, {}, cli_dir=Path("/nowhere"), ini_dir=tmp_path)


@pytest.mark.parametrize(("text", "match"), [
    ("[1]", "JSON object"), ("{", "not JSON"), ('{"temperature": 1}', "--assurai-temperature"),
    ('{"max_tokens": 9}', "--assurai-max-tokens"), ('{"api_key": "x"}', "plugin sets"),
    ('{"extra_body": 3}', "extra_body"), ('{"seed": "7"}', "integer"),
])
def test_model_params_refuse_what_the_plugin_owns(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_params(text)


def test_model_params_are_canonical_and_the_seed_travels_apart() -> None:
    params = parse_params('{"seed": 7, "top_p": 0.9, "extra_body": {"chat_template_kwargs": {"a": 1}}}')
    deployed = Deployment(params=params)
    assert deployed.seed == 7
    assert json.loads(deployed.extra) == {"top_p": 0.9, "extra_body": {"chat_template_kwargs": {"a": 1}}}
    assert parse_params('{"top_p": 0.9, "seed": 7}') == parse_params('{"seed": 7, "top_p": 0.9}')


def test_the_product_prompt_comes_first_in_one_system_message() -> None:
    case = (Message("system", "역할극 설정"), Message("user", "질문"))
    assert with_system_prompt(case, "제품 프롬프트") == (Message("system", "제품 프롬프트\n\n역할극 설정"),
                                                    Message("user", "질문"))
    turns = (Message("user", "a"), Message("assistant", "b"), Message("user", "c"))
    assert with_system_prompt(turns, "P") == (Message("system", "P"), *turns)
    assert with_system_prompt(turns, None) == turns


def test_a_changed_deployment_is_described_never_silently_equal() -> None:
    old = Deployment().provenance()
    new = Deployment(system_prompt="P", temperature=0.7, params='{"top_p": 0.5}').provenance()
    lines = deployment_differences(old, new)
    assert len(lines) == 3
    assert lines[0].startswith("system prompt differs") and "none vs sha256" in lines[0]
    assert deployment_differences(new, new) == []
    assert deployment_differences(None, new) == []  # a baseline from before deployments were recorded
    assert "P" not in json.dumps(new)  # the prompt is recorded by digest, not text
    assert "temperature 0.7" in describe(new) and "1 chars" in describe(new)


def test_replicas_are_split_in_order_without_duplicates() -> None:
    assert split_api_base("http://a/v1, http://b/v1,http://a/v1") == ("http://a/v1", "http://b/v1")
    assert split_api_base(None) == ()


def test_judge_params_keep_the_judges_temperature_and_seed_but_take_its_token_budget() -> None:
    for key in ("temperature", "seed", "model"):
        with pytest.raises(ValueError, match="cannot be set here"):
            parse_params(json.dumps({key: 1}), judge=True)
    assert json.loads(parse_params('{"max_tokens": 64}', judge=True)) == {"max_tokens": 64}
    with pytest.raises(ValueError, match="use --assurai-max-tokens"):
        parse_params('{"max_tokens": 64}')
