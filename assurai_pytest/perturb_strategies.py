"""Hypothesis strategies for Korean text and for perturbations of it (``perturb``'s operators).

This module owns the search space: Korean text to perturb, one strategy per operator drawing
(seed, intensity), and perturbation plans. Intensities are drawn as integers / 100 and plans as
``st.lists``, so Hypothesis shrinks a failing plan towards fewer steps, lower intensities, seed 0
and the first operators of ``OPERATORS``. It imports Hypothesis at module level: import it only
where Hypothesis is wanted (the tests, the robustness track), never from the plugin's import path.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from .perturb import OPERATORS, Step, split_syllable

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
"""Generator seeds; shrink towards 0."""
INTENSITIES = st.integers(min_value=0, max_value=100).map(lambda percent: percent / 100)
"""Intensities in steps of 0.01; shrink towards 0 (the identity)."""

HANGUL_SYLLABLES = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)

_NOUNS = ("한국인", "친구", "안부", "학교", "회사", "정보", "방법", "사진", "돈", "은행", "계좌", "뉴스", "선거",
          "가족", "선생님", "주말", "날씨", "도서관", "점심", "외국인", "병원")
# (after a final consonant, after a vowel)
_PARTICLES = (("", ""), ("", ""), ("이", "가"), ("은", "는"), ("을", "를"), ("에게", "에게"), ("에서", "에서"),
              ("으로", "로"), ("과", "와"), ("의", "의"), ("도", "도"))
_ADVERBS = ("오늘", "내일", "같이", "조금", "빨리", "정말", "다시")
_PREDICATES = ("전해 주십시오", "전해 줘", "알려 주세요", "알려 줘", "있습니다", "있다", "없습니까", "입니다",
               "이야", "합니다", "한다", "감사합니다", "고마워", "좋아요", "갑니다", "학생입니다", "사기야",
               "친구야", "읽어요", "괜찮니", "만들다", "보내 주시겠습니까", "궁금해", "많아", "싫어요", "앉았다")
_ENDS = (".", "?", "!", "", "\n")


@st.composite
def korean_sentences(draw: st.DrawFn, max_sentences: int = 3) -> str:
    """Everyday Korean sentences: nouns with particles, adverbs and 합쇼체/해요체/반말 predicates.

    The vocabulary is neutral and chosen so that every operator has positions to act on: key words
    and glossary nouns, finals before ㅇ, lenis initials, sentence endings with a speech-level rule.
    """
    sentences = []
    for _ in range(draw(st.integers(min_value=1, max_value=max_sentences))):
        words = []
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            noun = draw(st.sampled_from(_NOUNS))
            after_final, after_vowel = draw(st.sampled_from(_PARTICLES))
            words.append(noun + (after_final if split_syllable(noun[-1])[2] else after_vowel))
        if draw(st.booleans()):
            words.insert(draw(st.integers(min_value=0, max_value=len(words))), draw(st.sampled_from(_ADVERBS)))
        words.append(draw(st.sampled_from(_PREDICATES)))
        sentences.append(" ".join(words) + draw(st.sampled_from(_ENDS)))
    return " ".join(sentences)


def korean_text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Korean text: generated sentences, or free text mixing syllables with ASCII, spaces and punctuation.

    ``min_size``/``max_size`` bound the free text only. The free text carries no compatibility jamo
    (U+3130–U+318F), so recomposing a ``jamo_compat`` output is exact.
    """
    free = st.text(
        alphabet=st.one_of(
            HANGUL_SYLLABLES,
            st.sampled_from(" .?!,\n"),
            st.characters(min_codepoint=0x21, max_codepoint=0x7E),
            st.characters(exclude_categories=["Cs"], exclude_characters="".join(map(chr, range(0x3130, 0x3190)))),
        ),
        min_size=min_size,
        max_size=max_size,
    )
    return st.one_of(korean_sentences(), free)


def perturbation(operator: str) -> st.SearchStrategy[Step]:
    """One step of the named operator with a drawn seed and intensity.

    Raises:
        KeyError: If ``operator`` is not in ``OPERATORS``.
    """
    if operator not in OPERATORS:
        raise KeyError(f"unknown perturbation operator {operator!r}; known: {', '.join(OPERATORS)}")
    return st.builds(Step, st.just(operator), SEEDS, INTENSITIES)


def perturbation_plan(operators: Sequence[str] | None = None, max_steps: int = 3) -> st.SearchStrategy[list[Step]]:
    """Plans of up to ``max_steps`` steps over ``operators`` (default: all, in registry order).

    Shrinks towards the empty plan, then single steps of low intensity; the operator of a step
    shrinks towards the first in ``operators``.

    Raises:
        KeyError: If an operator is unknown.
        ValueError: If ``operators`` is empty.
    """
    names = list(OPERATORS) if operators is None else list(operators)
    if not names:
        raise ValueError("a perturbation plan needs at least one operator")
    for name in names:
        perturbation(name)  # validates the name
    step = st.builds(Step, st.sampled_from(names), SEEDS, INTENSITIES)
    return st.lists(step, max_size=max_steps)
