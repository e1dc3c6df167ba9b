"""Hangul perturbation operators: the adversarial variants of a Korean request (ASSURAI.md §7).

This module owns the operators, their registry ``OPERATORS`` and ``apply_plan``. Every operator is
a pure function ``(text, rng, intensity) -> str``:

* ``rng`` is a ``random.Random`` seeded by the caller; the operator draws from nothing else, so the
  same (text, seed, intensity) gives the same output in every process.
* ``intensity`` in ``[0, 1]`` is the share of the operator's *applicable positions* that it changes
  (``ceil(intensity * n)`` of the ``n`` positions, drawn without replacement): 0 is the identity,
  1 changes every position, and any positive intensity changes at least one position when there is
  one, so "the lowest intensity that still fools the model" is a meaningful shrink target.
* An operator changes only its positions (documented per operator in ``Operator.applies_to``).

Hangul is handled by Unicode arithmetic on the syllable block (S = 0xAC00 + (L*21 + V)*28 + T):
it is exact, four lines long, and spares a dependency (the PyPI jamo packages are unmaintained and
none covers keyboard layout, 야민정음 or speech levels anyway). Strategies for Hypothesis live
beside this module in ``perturb_strategies``; this module imports neither pytest nor Hypothesis.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

OperatorFunc = Callable[[str, random.Random, float], str]

# --- Hangul syllable arithmetic -------------------------------------------------------------------

_S_BASE, _S_LAST = 0xAC00, 0xD7A3
_V_COUNT, _T_COUNT = 21, 28

CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
"""The 19 initial consonants, as compatibility jamo, in syllable-block order."""
JUNGSEONG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
"""The 21 vowels, as compatibility jamo, in syllable-block order."""
JONGSEONG = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")
"""The 28 finals (index 0: none), as compatibility jamo, in syllable-block order."""

_L = {c: i for i, c in enumerate(CHOSEONG)}
_V = {c: i for i, c in enumerate(JUNGSEONG)}
_T = {c: i for i, c in enumerate(JONGSEONG) if c}
_IEUNG = _L["ㅇ"]

HANGUL_RUN = re.compile("[\uac00-\ud7a3]+")


def is_syllable(char: str) -> bool:
    """Whether ``char`` is one precomposed Hangul syllable (U+AC00–U+D7A3)."""
    return len(char) == 1 and _S_BASE <= ord(char) <= _S_LAST


def split_syllable(char: str) -> tuple[int, int, int]:
    """Indices (initial, vowel, final) of a Hangul syllable; final 0 means none."""
    index = ord(char) - _S_BASE
    return index // (_V_COUNT * _T_COUNT), index % (_V_COUNT * _T_COUNT) // _T_COUNT, index % _T_COUNT


def join_syllable(initial: int, vowel: int, final: int = 0) -> str:
    """The Hangul syllable of (initial, vowel, final) indices."""
    return chr(_S_BASE + (initial * _V_COUNT + vowel) * _T_COUNT + final)


def compose_compat_jamo(text: str) -> str:
    """Recompose runs of compatibility jamo (ㅎㅏㄴ) into syllables (한).

    NFC/NFKC leave compatibility jamo alone, so this is the inverse of ``jamo_compat`` (exact for
    input that held no compatibility jamo of its own). An initial and a vowel make a syllable; the
    next consonant becomes its final unless a vowel follows it (then it starts the next syllable).

    Args:
        text: Any text.

    Returns:
        The text with every initial+vowel(+final) run of compatibility jamo composed.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in _L and i + 1 < n and text[i + 1] in _V:
            initial, vowel, final, j = _L[text[i]], _V[text[i + 1]], 0, i + 2
            if j < n and text[j] in _T and not (j + 1 < n and text[j + 1] in _V):
                final, j = _T[text[j]], j + 1
            out.append(join_syllable(initial, vowel, final))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# --- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    """One perturbation operator: a pure function with its name and what it touches.

    Attributes:
        name: Registry key, used in plans, options and reports.
        description: One line for reports and ``--help``.
        applies_to: The applicable positions that ``intensity`` is a share of.
        func: ``(text, rng, intensity) -> str``.
    """

    name: str
    description: str
    applies_to: str
    func: OperatorFunc

    def __call__(self, text: str, rng: random.Random, intensity: float) -> str:
        """Apply the operator (see the module docstring for the contract)."""
        return self.func(text, rng, intensity)


@dataclass(frozen=True)
class Step:
    """One step of a perturbation plan: an operator, the seed of its generator and its intensity."""

    operator: str
    seed: int
    intensity: float


def apply_plan(text: str, plan: Iterable[Step]) -> str:
    """Apply the steps of a plan in order, each with its own ``random.Random(seed)``.

    Args:
        text: The original request.
        plan: Steps naming operators in ``OPERATORS``.

    Returns:
        The perturbed text (``text`` itself for an empty plan).

    Raises:
        KeyError: If a step names an unknown operator.
    """
    for step in plan:
        text = OPERATORS[step.operator](text, random.Random(step.seed), step.intensity)
    return text


def _chosen(count: int, rng: random.Random, intensity: float) -> list[int]:
    """Sorted indices of the ``ceil(intensity * count)`` positions to change."""
    if not 0.0 <= intensity <= 1.0:  # also rejects NaN
        raise ValueError(f"intensity must lie in [0, 1], got {intensity!r}")
    k = math.ceil(intensity * count)
    if k == 0:
        return []
    return sorted(rng.sample(range(count), k))


def _replace_positions(text: str, positions: Sequence[int], rng: random.Random, intensity: float,
                       replace: Callable[[str], str]) -> str:
    """Replace the characters at a chosen share of ``positions`` by ``replace(char)``."""
    chars = list(text)
    for k in _chosen(len(positions), rng, intensity):
        chars[positions[k]] = replace(chars[positions[k]])
    return "".join(chars)


def _syllable_positions(text: str, accept: Callable[[int, int, int], bool] = lambda *_: True) -> list[int]:
    return [i for i, c in enumerate(text) if is_syllable(c) and accept(*split_syllable(c))]


# --- jamo decomposition ---------------------------------------------------------------------------


def _compat_letters(char: str) -> str:
    initial, vowel, final = split_syllable(char)
    return CHOSEONG[initial] + JUNGSEONG[vowel] + JONGSEONG[final]


def jamo_compat(text: str, rng: random.Random, intensity: float) -> str:
    """Write chosen syllables as loose compatibility jamo: 한 → ㅎㅏㄴ (undo: ``compose_compat_jamo``)."""
    return _replace_positions(text, _syllable_positions(text), rng, intensity, _compat_letters)


def _conjoining_letters(char: str) -> str:
    initial, vowel, final = split_syllable(char)
    tail = chr(0x11A7 + final) if final else ""
    return chr(0x1100 + initial) + chr(0x1161 + vowel) + tail


def jamo_conjoining(text: str, rng: random.Random, intensity: float) -> str:
    """Write chosen syllables as conjoining jamo (U+1100 block), i.e. their NFD: NFC undoes it."""
    return _replace_positions(text, _syllable_positions(text), rng, intensity, _conjoining_letters)


# --- key words: choseong-only writing and code-switching ------------------------------------------

PARTICLES = tuple(sorted(
    "에게서 으로서 으로써 에서는 에게는 이라고 에게 한테 께서 에서 으로 부터 까지 보다 처럼 만큼 이나 에는 "
    "이랑 하고 라고 은 는 이 가 을 를 에 의 도 만 로 와 과 랑".split(), key=len, reverse=True))
"""Case and auxiliary particles stripped from the end of a word before the key-word test."""
PREDICATE_ENDINGS = ("다", "요", "오", "까", "죠", "해", "줘", "라", "자", "게", "니", "야", "어", "아")
"""Word endings that mark a predicate or an interjection (not a key word) when no particle was stripped."""
FUNCTION_WORDS = frozenset(
    "어떻게 그렇게 이렇게 저렇게 정말 너무 아주 매우 조금 그리고 그러나 하지만 그래서 그런데 무엇 누구 어디 "
    "언제 이것 그것 저것 우리 저희 당신 여러분 혹시 다시 먼저 모든 어떤".split())
"""Adverbs, pronouns and determiners that are never key words."""


def key_word_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the key words (content words) of a text, in text order.

    No morphological analyser is bundled, so the rule is a documented heuristic: a word is a maximal
    run of Hangul syllables; one trailing particle from ``PARTICLES`` is stripped when at least two
    syllables remain. What remains is a key word when it has two or more syllables, is not in
    ``FUNCTION_WORDS``, is not itself a particle, and — unless a particle was stripped (a noun phrase)
    — does not end in one of ``PREDICATE_ENDINGS``. 한국인 친구에게 안부를 전해 주십시오 gives 한국인, 친구,
    안부; 전해 and 주십시오 are predicates. Nouns ending in a predicate syllable (피해, 한국어) are
    missed when bare and found with a particle (피해를).

    Args:
        text: Any text.

    Returns:
        ``(start, end)`` index pairs of the key-word stems (particles excluded).
    """
    spans = []
    for match in HANGUL_RUN.finditer(text):
        word = match.group()
        if word in PARTICLES:
            continue
        stem = word
        for particle in PARTICLES:
            if word.endswith(particle) and len(word) - len(particle) >= 2:
                stem = word[: -len(particle)]
                break
        if len(stem) < 2 or stem in FUNCTION_WORDS:
            continue
        if stem == word and word.endswith(PREDICATE_ENDINGS):
            continue
        spans.append((match.start(), match.start() + len(stem)))
    return spans


def choseong(text: str, rng: random.Random, intensity: float) -> str:
    """Write chosen key words in initial consonants only: 한국인 → ㅎㄱㅇ (particles stay)."""
    spans = key_word_spans(text)
    chars = list(text)
    for k in _chosen(len(spans), rng, intensity):
        start, end = spans[k]
        for i in range(start, end):
            chars[i] = CHOSEONG[split_syllable(chars[i])[0]]
    return "".join(chars)


GLOSSARY: Mapping[str, str] = {
    "보이스피싱": "voice phishing", "주민등록번호": "resident registration number", "개인정보": "personal data",
    "비밀번호": "password", "전화번호": "phone number", "가짜뉴스": "fake news", "딥페이크": "deepfake",
    "명예훼손": "defamation", "스미싱": "smishing", "피해자": "victim", "사기": "scam", "돈": "money",
    "계좌": "bank account", "대출": "loan", "도박": "gambling", "마약": "drugs", "폭탄": "bomb", "무기": "weapon",
    "해킹": "hacking", "해커": "hacker", "경찰": "police", "선거": "election", "투표": "vote", "혐오": "hate",
    "차별": "discrimination", "자살": "suicide", "악플": "hate comments", "주소": "address", "친구": "friend",
    "회사": "company", "학교": "school", "정부": "government", "뉴스": "news", "이메일": "email",
    "사진": "photo", "영상": "video", "방법": "method", "정보": "information", "안부": "regards",
    "한국인": "Korean", "외국인": "foreigner", "이민자": "immigrant", "여성": "women", "남성": "men",
    "장애인": "disabled people", "노인": "elderly", "병원": "hospital", "약": "medicine", "은행": "bank",
}
"""Korean nouns common in the dataset's domains (ASSURAI.md §1) and the English a code-mixer would use."""

_GLOSSARY_KEYS = tuple(sorted(GLOSSARY, key=len, reverse=True))


def code_switch_spans(text: str) -> list[tuple[int, str]]:
    """``(start, noun)`` of each glossary noun that begins a Hangul word (longest noun first)."""
    found = []
    for match in HANGUL_RUN.finditer(text):
        for noun in _GLOSSARY_KEYS:
            if match.group().startswith(noun):
                found.append((match.start(), noun))
                break
    return found


def code_switch(text: str, rng: random.Random, intensity: float) -> str:
    """Replace chosen glossary nouns by their English: 돈을 보내 → money을 보내 (particles stay)."""
    found = code_switch_spans(text)
    out, last = [], 0
    for k in _chosen(len(found), rng, intensity):
        start, noun = found[k]
        out += [text[last:start], GLOSSARY[noun]]
        last = start + len(noun)
    return "".join(out) + text[last:]


# --- sound-based spelling changes -----------------------------------------------------------------

TENSE = {"ㄱ": "ㄲ", "ㄷ": "ㄸ", "ㅂ": "ㅃ", "ㅅ": "ㅆ", "ㅈ": "ㅉ"}
"""Lenis initial → tense initial (된소리)."""
VOWEL_SWAPS = {"ㅐ": "ㅔ", "ㅔ": "ㅐ", "ㅒ": "ㅖ", "ㅖ": "ㅒ", "ㅙ": "ㅞ", "ㅞ": "ㅚ", "ㅚ": "ㅙ", "ㅢ": "ㅣ"}
"""Vowels merged in everyday speech, swapped as in common misspellings (되/돼/뒈, 의/이)."""
FINAL_SWAPS = {
    "ㅅ": "ㅆ", "ㅆ": "ㅅ", "ㅈ": "ㅅ", "ㅊ": "ㅅ", "ㅌ": "ㅅ", "ㄷ": "ㅅ", "ㄱ": "ㄲ", "ㄲ": "ㄱ", "ㅋ": "ㄱ",
    "ㅂ": "ㅍ", "ㅍ": "ㅂ",
    "ㄳ": "ㄱ", "ㄵ": "ㄴ", "ㄶ": "ㄴ", "ㄺ": "ㄱ", "ㄻ": "ㅁ", "ㄼ": "ㄹ", "ㅀ": "ㄹ", "ㅄ": "ㅂ",
}
"""Final → a final pronounced (nearly) alike, as in common misspellings (있다→잇다, 않→안, 없→업)."""


def _swap_part(part: int, table: Mapping[str, str]) -> tuple[Callable[[int, int, int], bool], Callable[[str], str]]:
    letters = (CHOSEONG, JUNGSEONG, JONGSEONG)[part]
    index = (_L, _V, _T)[part]

    def applies(*parts: int) -> bool:
        return letters[parts[part]] in table

    def swap(char: str) -> str:
        parts = list(split_syllable(char))
        parts[part] = index[table[letters[parts[part]]]]
        return join_syllable(*parts)

    return applies, swap


def _swap_operator(part: int, table: Mapping[str, str]) -> OperatorFunc:
    applies, swap = _swap_part(part, table)

    def operator(text: str, rng: random.Random, intensity: float) -> str:
        return _replace_positions(text, _syllable_positions(text, applies), rng, intensity, swap)

    return operator


tensify = _swap_operator(0, TENSE)
vowel_swap = _swap_operator(1, VOWEL_SWAPS)
final_swap = _swap_operator(2, FINAL_SWAPS)

# final → (final left behind, initial carried onto the following ㅇ); ㅎ is silent before a vowel.
_LIAISON = {
    "ㄱ": ("", "ㄱ"), "ㄲ": ("", "ㄲ"), "ㄳ": ("ㄱ", "ㅅ"), "ㄴ": ("", "ㄴ"), "ㄵ": ("ㄴ", "ㅈ"), "ㄶ": ("", "ㄴ"),
    "ㄷ": ("", "ㄷ"), "ㄹ": ("", "ㄹ"), "ㄺ": ("ㄹ", "ㄱ"), "ㄻ": ("ㄹ", "ㅁ"), "ㄼ": ("ㄹ", "ㅂ"), "ㄽ": ("ㄹ", "ㅅ"),
    "ㄾ": ("ㄹ", "ㅌ"), "ㄿ": ("ㄹ", "ㅍ"), "ㅀ": ("", "ㄹ"), "ㅁ": ("", "ㅁ"), "ㅂ": ("", "ㅂ"), "ㅄ": ("ㅂ", "ㅅ"),
    "ㅅ": ("", "ㅅ"), "ㅆ": ("", "ㅆ"), "ㅈ": ("", "ㅈ"), "ㅊ": ("", "ㅊ"), "ㅋ": ("", "ㅋ"), "ㅌ": ("", "ㅌ"),
    "ㅍ": ("", "ㅍ"), "ㅎ": ("", "ㅇ"),
}


def liaison(text: str, rng: random.Random, intensity: float) -> str:
    """Resyllabify as pronounced: a final moves onto a following ㅇ-initial syllable (한국인 → 한구긴).

    Positions are adjacent syllable pairs whose first has a final other than ㅇ and whose second
    starts with ㅇ. Compound finals split (읽어 → 일거); ㅎ is silent (좋아 → 조아, 않아 → 아나).
    """
    positions = [
        i for i in range(len(text) - 1)
        if is_syllable(text[i]) and is_syllable(text[i + 1])
        and JONGSEONG[split_syllable(text[i])[2]] in _LIAISON and split_syllable(text[i + 1])[0] == _IEUNG
    ]
    chars = list(text)
    # Left to right: moving onto syllable i+1 changes its initial, never its final, so the pair
    # (i+1, i+2) stays applicable and chains (한국인이 → 한구기니) come out right.
    for k in _chosen(len(positions), rng, intensity):
        i = positions[k]
        initial, vowel, final = split_syllable(chars[i])
        stay, move = _LIAISON[JONGSEONG[final]]
        chars[i] = join_syllable(initial, vowel, _T[stay] if stay else 0)
        _, next_vowel, next_final = split_syllable(chars[i + 1])
        chars[i + 1] = join_syllable(_L[move], next_vowel, next_final)
    return "".join(chars)


YAMIN = {
    "대": "머", "머": "대", "귀": "커", "명": "띵", "며": "띠", "유": "윾", "왕": "앟", "피": "끠", "멍": "댕",
}
"""야민정음 look-alike substitutions (귀엽다 → 커엽다, 명작 → 띵작, 멍멍이 → 댕댕이, 세종대왕 → 세종머앟)."""


def yamin(text: str, rng: random.Random, intensity: float) -> str:
    """Replace chosen syllables by their 야민정음 look-alikes from ``YAMIN``."""
    positions = [i for i, c in enumerate(text) if c in YAMIN]
    return _replace_positions(text, positions, rng, intensity, YAMIN.__getitem__)


# --- cross-script: romanisation and keyboard layout -----------------------------------------------

_RR_INITIAL = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
_RR_VOWEL = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
             "yu", "eu", "ui", "i")
_RR_FINAL = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t",
             "t", "ng", "t", "t", "k", "t", "p", "t")


def romanize_syllable(char: str) -> str:
    """Revised Romanisation of one syllable on its own (한 → han, 국 → guk, 값 → gap)."""
    initial, vowel, final = split_syllable(char)
    return _RR_INITIAL[initial] + _RR_VOWEL[vowel] + _RR_FINAL[final]


def romanize(text: str, rng: random.Random, intensity: float) -> str:
    """Romanise chosen syllables (Revised Romanisation, syllable by syllable: 망했어 → mang했어).

    Sound changes across syllables (RR's assimilation rules) are not applied: positions are single
    syllables, so 한국인 at intensity 1 reads ``hangugin`` only in RR proper and ``hangukin`` here.
    """
    return _replace_positions(text, _syllable_positions(text), rng, intensity, romanize_syllable)


_KEYS = dict(zip("ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔㅁㄴㅇㄹㅎㅗㅓㅏㅣㅋㅌㅊㅍㅠㅜㅡㅃㅉㄸㄲㅆㅒㅖ",
                 "qwertyuiopasdfghjklzxcvbnmQWERTOP", strict=True))
# Compound vowels and double finals are typed as their two parts.
_KEYS.update({"ㅘ": "hk", "ㅙ": "ho", "ㅚ": "hl", "ㅝ": "nj", "ㅞ": "np", "ㅟ": "nl", "ㅢ": "ml", "ㄳ": "rt",
              "ㄵ": "sw", "ㄶ": "sg", "ㄺ": "fr", "ㄻ": "fa", "ㄼ": "fq", "ㄽ": "ft", "ㄾ": "fx", "ㄿ": "fv",
              "ㅀ": "fg", "ㅄ": "qt"})


def keyboard_keys(char: str) -> str:
    """The 두벌식 (KS X 5002) keys that type one syllable (안 → dks, 녕 → sud, 괜 → rhos)."""
    return "".join(_KEYS[letter] for letter in _compat_letters(char))


def keyboard(text: str, rng: random.Random, intensity: float) -> str:
    """Type chosen syllables on a US layout as if the Korean IME were off: 안녕 → dkssud."""
    return _replace_positions(text, _syllable_positions(text), rng, intensity, keyboard_keys)


# --- character-level noise ------------------------------------------------------------------------


def spacing(text: str, rng: random.Random, intensity: float) -> str:
    """Remove chosen spaces and insert a space at chosen boundaries between two non-space characters.

    Positions: every U+0020 space, and every boundary between two adjacent non-whitespace characters.
    Other characters keep their order: deleting U+0020 from input and output gives the same text.
    """
    removable = [("del", i) for i, c in enumerate(text) if c == " "]
    insertable = [("ins", i) for i in range(1, len(text)) if not text[i - 1].isspace() and not text[i].isspace()]
    positions = removable + insertable
    delete: set[int] = set()
    insert: set[int] = set()
    for k in _chosen(len(positions), rng, intensity):
        kind, i = positions[k]
        (delete if kind == "del" else insert).add(i)
    return "".join((" " if i in insert else "") + ("" if i in delete else c) for i, c in enumerate(text))


ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
"""Zero-width space, non-joiner, joiner, word joiner, zero-width no-break space."""


def zero_width(text: str, rng: random.Random, intensity: float) -> str:
    """Insert a zero-width character (from ``ZERO_WIDTH``) at chosen boundaries between two characters."""
    chosen = {k + 1 for k in _chosen(max(len(text) - 1, 0), rng, intensity)}
    return "".join((rng.choice(ZERO_WIDTH) if i in chosen else "") + c for i, c in enumerate(text))


def _full_width_char(char: str) -> str:
    return "\u3000" if char == " " else chr(ord(char) + 0xFEE0)


def full_width(text: str, rng: random.Random, intensity: float) -> str:
    """Replace chosen printable ASCII by its full-width form (A → Ａ, ! → ！, space → U+3000); NFKC undoes it."""
    positions = [i for i, c in enumerate(text) if " " <= c <= "~"]
    return _replace_positions(text, positions, rng, intensity, _full_width_char)


# --- speech level ---------------------------------------------------------------------------------

SENTENCE_FINAL = re.compile("[\uac00-\ud7a3]+(?=[^\\S\\n]*(?:[.?!…]|\\n|$))")
"""The last Hangul word of each sentence (before . ? ! …, a line break or the end)."""


def _with_final(char: str, final: str) -> str:
    initial, vowel, _ = split_syllable(char)
    return join_syllable(initial, vowel, _T[final] if final else 0)


def _final_of(char: str) -> str:
    return JONGSEONG[split_syllable(char)[2]]


def _vowel_of(char: str) -> str:
    return JUNGSEONG[split_syllable(char)[1]]


# Literal suffix rules, tried in this order (the first match wins). 합쇼체 (and 해요체) → 반말 first,
# so that a formal ending such as 습니다 is never read as the 반말 ending 다.
SPEECH_LEVEL_RULES: tuple[tuple[str, str], ...] = (
    ("감사합니다", "고마워"), ("주시겠습니까", "줄래"), ("주십시오", "줘"), ("주세요", "줘"), ("아닙니다", "아니야"),
    ("입니까", "이니"), ("입니다", "이야"), ("습니까", "니"), ("습니다", "다"), ("이에요", "이야"), ("예요", "야"),
    ("에요", "야"), ("죠", "지"),
    ("고마워", "감사합니다"), ("줄래", "주시겠습니까"), ("줘", "주십시오"), ("아니야", "아닙니다"), ("이야", "입니다"),
)
"""Literal ending rules ``(suffix, replacement)``; the computed rules follow them (see ``shift_ending``)."""


def shift_ending(word: str) -> str | None:
    """The word with its sentence ending shifted between 합쇼체 and 반말, or None if no rule applies.

    Literal rules (``SPEECH_LEVEL_RULES``) first, e.g. 주십시오 ↔ 줘, 입니다 ↔ 이야, 습니다 → 다,
    감사합니다 ↔ 고마워; then computed ones on the syllable before the ending:

    * formal → 반말: X(ㅂ)니다 → X(ㄴ)다 (합니다 → 한다), X(ㅂ)니까 → X니 (합니까 → 하니), 해요체 X요 → X
      after a vowel ㅏ ㅓ ㅐ ㅕ ㅘ ㅝ ㅙ or 지/네 (있어요 → 있어);
    * 반말 → formal: X다 → X(ㅂ)니다 when X has no final or ㄴ/ㄹ (한다 → 합니다, 크다 → 큽니다, 만들다 →
      만듭니다), else X습니다 (있다 → 있습니다); X니 → X(ㅂ)니까 or X습니까; X야 after a vowel → X입니다.

    Irregular stems come out regular (예쁩니다 → 예쁜다): a generated variant, not a grammar.

    Args:
        word: The last Hangul word of a sentence.

    Returns:
        The shifted word, or None.
    """
    for suffix, replacement in SPEECH_LEVEL_RULES:
        if word.endswith(suffix) and len(word) >= len(suffix):
            return word[: -len(suffix)] + replacement
    if len(word) < 2:
        return None
    head, before, last = word[:-2], word[-2], word[-1]
    if len(word) >= 3 and word.endswith(("니다", "니까")) and _final_of(word[-3]) == "ㅂ":
        stem = word[:-3]
        return stem + (_with_final(word[-3], "ㄴ") + "다" if last == "다" else _with_final(word[-3], "") + "니")
    if last == "요" and (_vowel_of(before) in "ㅏㅓㅐㅕㅘㅝㅙ" or before in "지네"):
        return head + before
    if last == "다":
        if _final_of(before) in ("", "ㄴ", "ㄹ"):
            return head + _with_final(before, "ㅂ") + "니다"
        return head + before + "습니다"
    if last == "니" and before not in "어머":  # 어머니 is a noun
        if _final_of(before):
            return head + before + "습니까"
        return head + _with_final(before, "ㅂ") + "니까"
    if last == "야" and not _final_of(before):
        return head + before + "입니다"
    return None


def speech_level(text: str, rng: random.Random, intensity: float) -> str:
    """Shift chosen sentence endings between 합쇼체 and 반말 (전해 주십시오. ↔ 전해 줘.).

    Positions are the sentence-final words (``SENTENCE_FINAL``) that ``shift_ending`` has a rule for;
    nothing else in the text changes.
    """
    found = [(m.start(), m.end(), shifted) for m in SENTENCE_FINAL.finditer(text)
             if (shifted := shift_ending(m.group())) is not None]
    out, last = [], 0
    for k in _chosen(len(found), rng, intensity):
        start, end, shifted = found[k]
        out += [text[last:start], shifted]
        last = end
    return "".join(out) + text[last:]


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("jamo_compat", "syllables as loose compatibility jamo (한 → ㅎㅏㄴ)", "Hangul syllables",
                 jamo_compat),
        Operator("jamo_conjoining", "syllables as conjoining jamo U+1100 (NFD; NFC recomposes)", "Hangul syllables",
                 jamo_conjoining),
        Operator("choseong", "key words in initial consonants only (한국인 → ㅎㄱㅇ)", "key words (key_word_spans)",
                 choseong),
        Operator("tensify", "lenis initials tensed (사기 → 싸기)", "syllables with initial ㄱ ㄷ ㅂ ㅅ ㅈ", tensify),
        Operator("vowel_swap", "merged vowels swapped (되 → 돼, 의 → 이)", "syllables with a vowel in VOWEL_SWAPS",
                 vowel_swap),
        Operator("final_swap", "finals swapped for alike-sounding ones (있 → 잇, 없 → 업)",
                 "syllables with a final in FINAL_SWAPS", final_swap),
        Operator("liaison", "resyllabified as pronounced (한국인 → 한구긴)",
                 "syllable pairs: final (not ㅇ) + ㅇ-initial", liaison),
        Operator("yamin", "야민정음 look-alike syllables (귀엽다 → 커엽다)", "syllables in YAMIN", yamin),
        Operator("romanize", "Revised Romanisation per syllable (망 → mang)", "Hangul syllables", romanize),
        Operator("keyboard", "두벌식 keys typed with the IME off (안녕 → dkssud)", "Hangul syllables", keyboard),
        Operator("code_switch", "key nouns in English (돈 → money)", "glossary nouns starting a word (GLOSSARY)",
                 code_switch),
        Operator("spacing", "spaces removed and inserted", "spaces and boundaries between non-space characters",
                 spacing),
        Operator("zero_width", "zero-width characters inserted", "boundaries between characters", zero_width),
        Operator("full_width", "ASCII as full-width forms (A → Ａ)", "printable ASCII characters", full_width),
        Operator("speech_level", "합쇼체 ↔ 반말 sentence endings (주십시오 ↔ 줘)",
                 "sentence-final words with a rule (shift_ending)", speech_level),
    )
}
"""Every operator by name, in the order reports list them."""
