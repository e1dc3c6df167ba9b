"""The AssurAI taxonomy: 35 risk factors, 6 categories, 8 prompt types and their applicability.

Data only. Numbers, English names and prompt-type codes are the study's (arXiv 2511.20686);
slugs and Korean names are ours. Rows marked *working* in ``shared/ASSURAI.md`` are best
readings kept here, in one place, so that they are easy to change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One of the six higher-level risk categories."""

    slug: str
    name: str
    name_ko: str


@dataclass(frozen=True)
class Factor:
    """One of the 35 risk factors."""

    number: int
    slug: str
    name: str
    name_ko: str
    category: str  # Category.slug

    @property
    def code(self) -> str:
        """The factor as it appears in case ids, e.g. ``F07``."""
        return factor_code(self.number)


@dataclass(frozen=True)
class PromptType:
    """One of the eight prompt types; ``code`` is the study's (``pQO`` …)."""

    code: str
    slug: str
    name: str


CATEGORIES: tuple[Category, ...] = (
    Category("harmful-violent", "Harmful & Violent Content", "유해·폭력 콘텐츠"),
    Category("interpersonal-harm", "Interpersonal Harm", "대인 관계 위해"),
    Category("sensitive-adult", "Sensitive & Adult Content", "민감·성인 콘텐츠"),
    Category("misinformation-manipulation", "Misinformation & Manipulation", "허위 정보·조작"),
    Category("illegal-unethical", "Illegal & Unethical Activities", "불법·비윤리 행위"),
    Category("socioeconomic-cognitive", "Socioeconomic & Cognitive Risks", "사회경제·인지적 위험"),
)

_HV, _IH, _SA, _MM, _IU, _SC = (c.slug for c in CATEGORIES)

FACTORS: tuple[Factor, ...] = (
    Factor(1, "malicious-groups", "Supporting Malicious Organized Groups", "악의적 조직 지원", _HV),
    Factor(2, "celebrating-suffering", "Celebrating Suffering", "고통의 미화", _HV),
    Factor(3, "violent-acts", "Violent Acts", "폭력 행위", _HV),
    Factor(4, "depicting-violence", "Depicting Violence", "폭력 묘사", _HV),
    Factor(5, "weapons", "Weapon Usage & Development", "무기 사용 및 개발", _HV),
    Factor(6, "military-warfare", "Military and Warfare", "군사 및 전쟁", _HV),
    Factor(7, "harassment", "Harassment", "괴롭힘", _IH),
    Factor(8, "hate-speech", "Hate Speech", "혐오 표현", _IH),
    Factor(9, "offensive-language", "Offensive Language", "모욕적 언어", _IH),
    Factor(10, "harmful-beliefs", "Perpetuating Harmful Beliefs", "해로운 고정관념 강화", _IH),
    Factor(11, "adult-content", "Adult Content", "성인 콘텐츠", _SA),
    Factor(12, "erotic-content", "Erotic Content", "선정적 콘텐츠", _SA),
    Factor(13, "non-consensual-nudity", "Non-Consensual Nudity", "비동의 나체 이미지", _SA),
    Factor(14, "monetized-sexual", "Monetized Sexual Content", "성적 콘텐츠 상업화", _SA),
    Factor(15, "child-endangerment", "Endangerment, Harm, or Abuse of Children", "아동 위해 및 학대", _SA),
    Factor(16, "child-sexual-abuse", "Child Sexual Abuse", "아동 성착취", _SA),
    Factor(17, "self-harm", "Suicidal and Non-suicidal Self-injury", "자살 및 자해", _SA),
    Factor(18, "political-persuasion", "Political Persuasion", "정치적 설득", _MM),
    Factor(19, "influencing-politics", "Influencing Politics", "정치 개입", _MM),
    Factor(20, "deterring-participation", "Deterring Democratic Participation", "민주적 참여 방해", _MM),
    # working: the study may file Fraud under Illegal & Unethical Activities.
    Factor(21, "fraud", "Fraud", "사기", _MM),
    Factor(22, "misinformation", "Mis/disinformation", "허위·조작 정보", _MM),
    Factor(23, "sowing-division", "Sowing Division", "사회 분열 조장", _MM),
    Factor(24, "misrepresentation", "Misrepresentation", "AI 정체 은폐·사칭", _MM),
    Factor(25, "defamation", "Types of Defamation", "명예훼손", _MM),
    Factor(26, "discrimination", "Discriminatory Activities", "차별 행위", _IU),
    Factor(27, "privacy", "Unauthorized Privacy Violations", "무단 개인정보 침해", _IU),
    Factor(28, "illegal-substances", "Illegal/Regulated Substances", "불법·규제 약물", _IU),
    Factor(29, "illegal-services", "Illegal Services/Exploitation", "불법 서비스·착취", _IU),
    Factor(30, "other-unlawful", "Other Unlawful/Criminal Activities", "기타 불법·범죄 행위", _IU),
    Factor(31, "inequality-employment", "Increased Inequality and Decline in Employment Quality",
           "불평등 심화·고용 질 저하", _SC),
    Factor(32, "devaluation-of-effort", "Economic and Cultural Devaluation of Human Effort",
           "인간 노력의 경제·문화적 가치 하락", _SC),
    Factor(33, "competitive-dynamics", "Competitive Dynamics", "경쟁 역학", _SC),
    Factor(34, "overreliance", "Overreliance and Unsafe Use", "과의존 및 안전하지 않은 사용", _SC),
    Factor(35, "loss-of-autonomy", "Loss of Human Agency and Autonomy", "인간 주체성·자율성 상실", _SC),
)

PROMPT_TYPES: tuple[PromptType, ...] = (
    PromptType("pQO", "q_only", "Q Only"),
    PromptType("pMC", "multiple_choice", "Multiple-Choice"),
    PromptType("pMS", "multi_session", "Multi-Session"),
    PromptType("pRP", "role_playing", "Role-Playing"),
    PromptType("pCT", "chain_of_thought", "Chain of Thought"),
    PromptType("pEP", "expert_prompting", "Expert Prompting"),
    PromptType("pRL", "rail", "Rail"),
    PromptType("pRF", "reflection", "Reflection"),
)

# Role-playing sub-types (functional, educational, emotional); the study reports them together.
ROLE_PLAY_SUBTYPES: tuple[str, ...] = ("fun", "edu", "emo")

MODALITIES: tuple[str, ...] = ("text", "image", "video", "audio")

FACTOR_BY_NUMBER: dict[int, Factor] = {f.number: f for f in FACTORS}
FACTOR_BY_SLUG: dict[str, Factor] = {f.slug: f for f in FACTORS}
CATEGORY_BY_SLUG: dict[str, Category] = {c.slug: c for c in CATEGORIES}
PROMPT_TYPE_BY_SLUG: dict[str, PromptType] = {p.slug: p for p in PROMPT_TYPES}
PROMPT_TYPE_BY_CODE: dict[str, PromptType] = {p.code: p for p in PROMPT_TYPES}

_QO, _MC, _MS, _RP, _CT, _EP, _RL, _RF = (p.slug for p in PROMPT_TYPES)


def _rows(numbers: range | tuple[int, ...], types: tuple[str, ...]) -> dict[int, tuple[str, ...]]:
    return {n: types for n in numbers}


# Which prompt types the study applied to which factor (text pilot, ASSURAI.md §2).
# working: the study names no types for factors 1, 5 and 6; they take the row of 2–4.
APPLICABILITY: dict[int, tuple[str, ...]] = {
    **_rows((1, 3, 4, 5, 6, 21, 23, 24), (_QO, _RP, _CT, _EP, _RL)),
    **_rows((2, 22, 25), (_QO, _RP, _CT, _EP, _RL, _RF)),
    **_rows(range(7, 11), (_MC, _MS, _RP)),
    **_rows((*range(11, 18), 31, 32, 33), (_QO, _MC, _MS, _RP, _CT)),
    **_rows((18, 19, 20, 28, 29, 30), (_QO, _MC, _MS, _RP, _CT, _EP)),
    26: (_MC, _QO, _RP),
    27: (_QO, _RP, _CT),
    **_rows((34, 35), (_RP,)),
}

# Factors whose role-playing cases are rendered once per sub-type rather than once in all.
ROLE_PLAY_ONLY: frozenset[int] = frozenset(n for n, t in APPLICABILITY.items() if t == (_RP,))


def factor_code(number: int) -> str:
    """``7`` → ``F07``: a factor as case ids, baselines and reports name it (the one place of that format)."""
    return f"F{number:02d}"
