"""Korean speech-level detection: which of 합쇼체, 해요체 and 반말 a text's sentences end in.

Used by the dataset checks (a rendered turn must not mix 반말 with 합쇼체; a seed's declared level
must be plausible). A heuristic over sentence endings, deliberately conservative: a sentence
that ends in a noun, a number, the written 한다체 (``-다``) or anything unknown counts for no
level, and quoted text (an insult the request cites, a sample sentence) is ignored.
"""

from __future__ import annotations

import re

HAPSYO, HAEYO, BANMAL = "hapsyo", "haeyo", "banmal"

_QUOTED = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'|“[^”\n]*”|‘[^’\n]*’|「[^」\n]*」|『[^』\n]*』|\[[^\]\n]*\]")
_SENTENCE = re.compile(r"(?<=[.?!…])\s+|\n+")
_TRAILER = re.compile(r"[\s.?!…~,:;)\]\"'”’ㅋㅎㅠㅜ^*♡♥💀😭🙏👍😂🤔]+$")
_HAPSYO = re.compile(r"(?:십시오|하시오|주시오|시오|읍시다|합시다|ㅂ시다)$")
_NIDA = re.compile(r"([가-힣])니(다|까)$")  # 합니다, 습니까: 합쇼체 only after a syllable ending in ㅂ
_HAEYO = re.compile(r"(?:요|죠|용)$")
# Informal endings (해체 and 해라체 imperatives); "-다" alone is written style and left out.
_BANMAL = re.compile(
    r"(?:줘|해|봐|야|어|아|지|냐|니|래|게|자|라|까|돼|네|군|걸|데|나|와|워|거|고|써|든|대|줄래|할래|잖아|거든|냐고|던데|는데|서)$")


def sentence_levels(text: str) -> list[str | None]:
    """The speech level of every sentence of ``text`` (None where the ending tells nothing).

    Args:
        text: Korean text; quoted segments are removed first.

    Returns:
        One entry per non-blank sentence.
    """
    unquoted = _QUOTED.sub(" ", text)
    levels: list[str | None] = []
    for sentence in _SENTENCE.split(unquoted):
        ending = _TRAILER.sub("", sentence.strip())
        if not ending:
            continue
        levels.append(_level(ending))
    return levels


def speech_levels(text: str) -> frozenset[str]:
    """The set of speech levels the sentences of ``text`` end in.

    Args:
        text: Korean text.

    Returns:
        A subset of ``{"hapsyo", "haeyo", "banmal"}``; empty when no ending tells.
    """
    return frozenset(level for level in sentence_levels(text) if level is not None)


def mixes_banmal_and_hapsyo(text: str) -> bool:
    """Whether ``text`` has both a 반말 sentence and a 합쇼체 sentence (unnatural in one turn)."""
    levels = speech_levels(text)
    return BANMAL in levels and HAPSYO in levels


def _level(sentence: str) -> str | None:
    if not re.search(r"[가-힣]$", sentence):
        return None
    if nida := _NIDA.search(sentence):
        if (ord(nida[1]) - 0xAC00) % 28 == 17:  # final consonant ㅂ (합, 습, 입, 됩)
            return HAPSYO
        return BANMAL if nida[2] == "까" else None  # 되니까: the informal "because"
    if _HAPSYO.search(sentence):
        return HAPSYO
    if _HAEYO.search(sentence):
        return HAEYO
    if _BANMAL.search(sentence):
        return BANMAL
    return None
