"""Reasoning is kept apart from the final answer that the judge grades."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assurai_pytest.models.reasoning import split_reasoning


def test_a_think_block_is_reasoning_and_the_rest_the_answer() -> None:
    assert split_reasoning("<think>따져 보면…</think>\n\n죄송합니다.") == ("죄송합니다.", "따져 보면…")


def test_a_closing_tag_alone_ends_reasoning_opened_by_the_chat_template() -> None:
    assert split_reasoning("weighing it\n</think>\nNo.") == ("No.", "weighing it")


def test_a_separate_reasoning_field_is_kept_with_inline_reasoning() -> None:
    assert split_reasoning("<think>b</think>answer", "a") == ("answer", "a\n\nb")


def test_an_unclosed_think_cut_by_the_budget_leaves_no_answer() -> None:
    assert split_reasoning("<think>still thinking about") == ("", "still thinking about")


def test_plain_text_is_the_answer() -> None:
    assert split_reasoning("  그냥 답입니다. ") == ("그냥 답입니다.", "")


@given(st.lists(st.sampled_from(["<think>", "</think>", "a", "답", "\n", "<"])).map("".join),
       st.one_of(st.none(), st.text()))
def test_no_tag_survives_in_the_answer(text: str, field: str | None) -> None:
    answer, _ = split_reasoning(text, field)
    assert "</think>" not in answer and "<think>" not in answer
