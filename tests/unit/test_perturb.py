"""Hangul perturbation operators: valid output, determinism, identity at 0, and only the claimed changes."""

from __future__ import annotations

import math
import random
import re
import unicodedata

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from assurai_pytest.perturb import (
    CHOSEONG,
    FINAL_SWAPS,
    JONGSEONG,
    JUNGSEONG,
    OPERATORS,
    SENTENCE_FINAL,
    TENSE,
    VOWEL_SWAPS,
    YAMIN,
    ZERO_WIDTH,
    Step,
    apply_plan,
    compose_compat_jamo,
    is_syllable,
    key_word_spans,
    shift_ending,
    split_syllable,
)
from assurai_pytest.perturb_strategies import korean_sentences, korean_text, perturbation, perturbation_plan

SENTENCE = "한국인 친구에게 안부를 전해 주십시오."
PROPERTY = settings(max_examples=100, deadline=None)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
INTENSITIES = st.integers(min_value=0, max_value=100).map(lambda p: p / 100)
ALL = pytest.mark.parametrize("name", list(OPERATORS))


def run(name: str, text: str, seed: int = 0, intensity: float = 1.0) -> str:
    return OPERATORS[name](text, random.Random(seed), intensity)


def diffs(a: str, b: str) -> list[int]:
    assert len(a) == len(b)
    return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


def hangul_only(text: str) -> str:
    return "".join(c for c in text if is_syllable(c))


def is_subsequence(short: str, long: str) -> bool:
    rest = iter(long)
    return all(c in rest for c in short)


# --- every operator -------------------------------------------------------------------------------


@ALL
@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_output_is_valid_unicode_and_deterministic(name: str, text: str, seed: int, intensity: float) -> None:
    out = run(name, text, seed, intensity)
    out.encode("utf-8")  # raises on a lone surrogate
    assert out == run(name, text, seed, intensity)


@ALL
@PROPERTY
@given(text=korean_text(), seed=SEEDS)
def test_intensity_zero_is_the_identity(name: str, text: str, seed: int) -> None:
    assert run(name, text, seed, 0.0) == text


@ALL
def test_every_operator_changes_the_everyday_sentence(name: str) -> None:
    text = SENTENCE if name != "yamin" else "귀여운 강아지를 보여 주십시오."
    assert run(name, text) != text


@ALL
@pytest.mark.parametrize("intensity", [-0.01, 1.01, math.nan])
def test_intensity_outside_the_unit_interval_is_rejected(name: str, intensity: float) -> None:
    with pytest.raises(ValueError, match="intensity"):
        run(name, SENTENCE, 0, intensity)


def test_the_registry_describes_every_operator() -> None:
    for name, operator in OPERATORS.items():
        assert operator.name == name
        assert operator.description and operator.applies_to


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_intensity_is_the_share_of_positions_changed(text: str, seed: int, intensity: float) -> None:
    applicable = sum(1 for c in text if is_syllable(c) and CHOSEONG[split_syllable(c)[0]] in TENSE)
    changed = diffs(text, run("tensify", text, seed, intensity))
    assert len(changed) == math.ceil(intensity * applicable)


# --- each changes only what it claims -------------------------------------------------------------


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_compatibility_jamo_recompose_to_the_input(text: str, seed: int, intensity: float) -> None:
    out = run("jamo_compat", text, seed, intensity)
    assert compose_compat_jamo(out) == text
    if intensity == 1.0:
        assert not hangul_only(out)


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_conjoining_jamo_recompose_under_nfc(text: str, seed: int, intensity: float) -> None:
    out = run("jamo_conjoining", text, seed, intensity)
    assert unicodedata.normalize("NFC", out) == unicodedata.normalize("NFC", text)
    if intensity == 1.0:
        assert not hangul_only(out)


def test_nfkc_leaves_compatibility_jamo_alone() -> None:
    out = run("jamo_compat", "한국")
    assert out == "ㅎㅏㄴㄱㅜㄱ"
    assert unicodedata.normalize("NFKC", out) != "한국"  # why compose_compat_jamo exists


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_choseong_touches_only_key_words(text: str, seed: int, intensity: float) -> None:
    out = run("choseong", text, seed, intensity)
    inside = {i for start, end in key_word_spans(text) for i in range(start, end)}
    for i in diffs(text, out):
        assert i in inside
        assert out[i] == CHOSEONG[split_syllable(text[i])[0]]


@pytest.mark.parametrize(("name", "part", "table"), [
    ("tensify", 0, TENSE), ("vowel_swap", 1, VOWEL_SWAPS), ("final_swap", 2, FINAL_SWAPS),
])
@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_swaps_change_one_letter_by_their_table(name: str, part: int, table: dict[str, str], text: str, seed: int,
                                                 intensity: float) -> None:
    letters = (CHOSEONG, JUNGSEONG, JONGSEONG)[part]
    out = run(name, text, seed, intensity)
    for i in diffs(text, out):
        before, after = split_syllable(text[i]), split_syllable(out[i])
        assert [b for k, b in enumerate(before) if k != part] == [a for k, a in enumerate(after) if k != part]
        assert letters[after[part]] == table[letters[before[part]]]


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_liaison_moves_finals_onto_following_ieung_only(text: str, seed: int, intensity: float) -> None:
    out = run("liaison", text, seed, intensity)
    for i in diffs(text, out):
        (l0, v0, t0), (l1, v1, t1) = split_syllable(text[i]), split_syllable(out[i])
        assert v0 == v1
        if l0 != l1:  # received a consonant: was ㅇ-initial after a syllable with a final
            assert CHOSEONG[l0] == "ㅇ" and i > 0 and split_syllable(text[i - 1])[2] != 0
        if t0 != t1:  # gave its final (or part of it) away to a following ㅇ-initial syllable
            assert CHOSEONG[split_syllable(text[i + 1])[0]] == "ㅇ"
            assert t1 == 0 or JONGSEONG[t0] != JONGSEONG[t1]


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_yamin_substitutes_only_table_syllables(text: str, seed: int, intensity: float) -> None:
    out = run("yamin", text, seed, intensity)
    assert all(out[i] == YAMIN[text[i]] for i in diffs(text, out))


@pytest.mark.parametrize("name", ["romanize", "keyboard"])
@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_cross_script_alters_only_hangul(name: str, text: str, seed: int, intensity: float) -> None:
    text = re.sub("[A-Za-z]", "", text)
    out = run(name, text, seed, intensity)
    no_letters = re.sub("[A-Za-z]", "", out)
    assert [c for c in no_letters if not is_syllable(c)] == [c for c in text if not is_syllable(c)]
    assert is_subsequence(hangul_only(out), hangul_only(text))
    if intensity == 1.0:
        assert not hangul_only(out)


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_code_switch_keeps_the_rest_in_order(text: str, seed: int, intensity: float) -> None:
    out = run("code_switch", text, seed, intensity)
    assert is_subsequence(hangul_only(out), hangul_only(text))
    assert re.sub("[\uac00-\ud7a3A-Za-z ]", "", out) == re.sub("[\uac00-\ud7a3A-Za-z ]", "", text)


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_spacing_keeps_non_space_characters_in_order(text: str, seed: int, intensity: float) -> None:
    assert run("spacing", text, seed, intensity).replace(" ", "") == text.replace(" ", "")


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_removing_zero_width_characters_gives_the_input_back(text: str, seed: int, intensity: float) -> None:
    out = run("zero_width", text, seed, intensity)
    strip = str.maketrans(dict.fromkeys(map(ord, ZERO_WIDTH)))
    assert out.translate(strip) == text.translate(strip)
    assert len(out) - len(text) == math.ceil(intensity * max(len(text) - 1, 0))


@PROPERTY
@given(text=korean_text(), seed=SEEDS, intensity=INTENSITIES)
def test_full_width_is_undone_by_nfkc(text: str, seed: int, intensity: float) -> None:
    out = run("full_width", text, seed, intensity)
    for i in diffs(text, out):
        assert " " <= text[i] <= "~"
        assert unicodedata.normalize("NFKC", out[i]) == text[i]


@PROPERTY
@given(text=st.one_of(korean_sentences(), korean_text()), seed=SEEDS, intensity=INTENSITIES)
def test_speech_level_alters_only_sentence_endings(text: str, seed: int, intensity: float) -> None:
    out = run("speech_level", text, seed, intensity)
    assert SENTENCE_FINAL.sub("#", out) == SENTENCE_FINAL.sub("#", text)


# --- examples -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("liaison", "한국인", "한구긴"),
    ("liaison", "읽어 봐", "일거 봐"),
    ("liaison", "좋아요", "조아요"),
    ("liaison", "한국인이", "한구기니"),
    ("keyboard", "안녕", "dkssud"),
    ("keyboard", "괜찮아", "rhoscksgdk"),
    ("keyboard", "값있다", "rkqtdlTek"),
    ("keyboard", "의사", "dmltk"),
    ("romanize", "안녕하세요", "annyeonghaseyo"),
    ("romanize", "한국인", "hangukin"),
    ("romanize", "의자", "uija"),
    ("yamin", "귀엽다", "커엽다"),
    ("yamin", "명작 멍멍이", "띵작 댕댕이"),
    ("jamo_compat", "닭", "ㄷㅏㄺ"),
    ("jamo_conjoining", "한", "\u1112\u1161\u11ab"),
    ("choseong", "한국인 친구에게 안부를 전해 주십시오.", "ㅎㄱㅇ ㅊㄱ에게 ㅇㅂ를 전해 주십시오."),
    ("tensify", "사기", "싸끼"),
    ("vowel_swap", "되", "돼"),
    ("final_swap", "있다 않아", "잇다 안아"),
    ("code_switch", "돈을 보내는 사기 방법", "money을 보내는 scam method"),
    ("code_switch", "개인정보와 정보", "personal data와 information"),
    ("full_width", "AI 1!", "ＡＩ\u3000１！"),
    ("speech_level", SENTENCE, "한국인 친구에게 안부를 전해 줘."),
    ("speech_level", "한국인 친구에게 안부를 전해 줘.", SENTENCE),
    ("speech_level", "여기는 학교입니다. 감사합니다!", "여기는 학교이야. 고마워!"),
    ("speech_level", "도서관에 책이 있다. 같이 간다", "도서관에 책이 있습니다. 같이 갑니다"),
])
def test_examples_at_full_intensity(name: str, text: str, expected: str) -> None:
    assert run(name, text) == expected


@pytest.mark.parametrize(("word", "expected"), [
    ("합니다", "한다"), ("먹습니까", "먹니"), ("합니까", "하니"), ("했어요", "했어"), ("아니에요", "아니야"),
    ("만들다", "만듭니다"), ("크다", "큽니다"), ("있니", "있습니까"), ("사기야", "사기입니다"),
    ("어머니", None), ("학교", None),
])
def test_speech_level_rules(word: str, expected: str | None) -> None:
    assert shift_ending(word) == expected


def test_key_words_are_content_words_without_particles() -> None:
    words = [SENTENCE[s:e] for s, e in key_word_spans(SENTENCE)]
    assert words == ["한국인", "친구", "안부"]
    other = "어떻게 피해를 에게 아이 피해"
    assert [other[s:e] for s, e in key_word_spans(other)] == ["피해", "아이"]  # bare 피해 reads as a predicate


def test_positive_intensity_changes_at_least_one_position() -> None:
    assert len(run("jamo_compat", SENTENCE, 3, 0.01)) > len(SENTENCE)
    assert len(diffs(SENTENCE, run("tensify", SENTENCE, 3, 0.01))) == 1


# --- plans and strategies -------------------------------------------------------------------------


def test_apply_plan_composes_steps_each_with_its_own_seed() -> None:
    plan = [Step("liaison", 1, 1.0), Step("keyboard", 2, 1.0)]
    assert apply_plan("한국인", plan) == run("keyboard", run("liaison", "한국인", 1), 2)
    assert apply_plan(SENTENCE, []) == SENTENCE
    with pytest.raises(KeyError):
        apply_plan(SENTENCE, [Step("nope", 0, 1.0)])


def test_strategies_reject_unknown_operators() -> None:
    with pytest.raises(KeyError, match="nope"):
        perturbation("nope")
    with pytest.raises(KeyError):
        perturbation_plan(["romanize", "nope"])
    with pytest.raises(ValueError):
        perturbation_plan([])


@settings(max_examples=50, deadline=None)
@given(step=perturbation("choseong"))
def test_a_step_strategy_draws_its_operator(step: Step) -> None:
    assert step.operator == "choseong"
    assert step.intensity in {percent / 100 for percent in range(101)}


def test_a_plan_shrinks_to_one_step_of_the_lowest_intensity() -> None:
    plan = find(
        perturbation_plan(["romanize", "keyboard", "jamo_compat"]),
        lambda plan: apply_plan(SENTENCE, plan) != SENTENCE,
        settings=settings(database=None, derandomize=True, max_examples=200),
    )
    assert plan == [Step("romanize", 0, 0.01)]


@settings(max_examples=50, deadline=None)
@given(plan=perturbation_plan(["spacing", "liaison"], max_steps=2))
def test_plans_respect_the_step_bound_and_operators(plan: list[Step]) -> None:
    assert len(plan) <= 2
    assert {step.operator for step in plan} <= {"spacing", "liaison"}
