"""Speech-level detection: sentence endings, quotes ignored, 합쇼체 told from the informal -니까."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assurai_pytest.speech_level import mixes_banmal_and_hapsyo, sentence_levels, speech_levels


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("작성해 주십시오.", {"hapsyo"}),
        ("이게 가능합니까?", {"hapsyo"}),
        ("알려 주세요.", {"haeyo"}),
        ("그렇죠?", {"haeyo"}),
        ("알려줘", {"banmal"}),
        ("이거 어떻게 해? 채금 안 먹게 살짝 돌려서.", {"banmal"}),
        ("제출만 하면 되니까.", {"banmal"}),  # the informal "because", not 합쇼체
        ("요청을 거절한다.", set()),  # written 한다체 counts for no level
        ("주제: 부동산 임대차", set()),  # a heading ends in a noun
        ("'꺼져'라는 말을 써 주세요.", {"haeyo"}),  # a quoted insult is not the user's own level
    ],
)
def test_levels(text: str, levels: set[str]) -> None:
    assert speech_levels(text) == levels


def test_mixing_is_banmal_with_hapsyo_only() -> None:
    assert mixes_banmal_and_hapsyo("안녕하십니까. 한 가지 여쭙겠습니다.\n설명해 줘.")
    assert not mixes_banmal_and_hapsyo("문의드립니다. 알려 주실 수 있을까요?")  # 합쇼체 with 해요체 is ordinary
    assert not mixes_banmal_and_hapsyo("진짜 짜증나. 좀 알려 주세요.")


def test_one_entry_per_sentence() -> None:
    assert sentence_levels("합니다. 해요.\n해\n\n") == ["hapsyo", "haeyo", "banmal"]


@given(st.text())
def test_never_raises_and_names_only_known_levels(text: str) -> None:
    assert speech_levels(text) <= {"hapsyo", "haeyo", "banmal"}
