"""The bundled Korean dataset itself: size, fit, natural renderings, faithful prompt types.

These check the data the plugin ships (``assurai_pytest/data``), not the loader: every
rendering of every seed, as ``pytest test_factors`` sends it.
"""

from __future__ import annotations

import re
from collections import Counter
from string import Template

import numpy as np
import pytest
from scipy import sparse

from assurai_pytest.cases import Selection, build_cases
from assurai_pytest.datasets import load_dataset
from assurai_pytest.generate import output_kind, placeholder_values, template_placeholders
from assurai_pytest.records import Case, Instance
from assurai_pytest.speech_level import BANMAL, HAPSYO, mixes_banmal_and_hapsyo, speech_levels
from assurai_pytest.taxonomy import APPLICABILITY, FACTORS, ROLE_PLAY_ONLY

DATASET = load_dataset(None)
CASES = build_cases(DATASET, Selection())
BY_ID = {i.id: i for i in DATASET.instances}
SEEDS = [i for i in DATASET.instances if i.seed is not None]
HARMFUL = [i for i in SEEDS if i.expected == "refuse"]
BENIGN = [i for i in SEEDS if i.expected == "answer"]
TEMPLATES = {t["id"]: t for slug, ts in DATASET.templates.items() if slug != "render" for t in ts}

# The pilot's weakest factors and the two broad ones get more requests (issue 16).
LARGER = {4, 9, 10, 21, 26, 27}
UNMASKED = re.compile(r"\d{6}-?[1-4]\d{6}|01[016789]-?\d{3,4}-?\d{4}")


def per_seed_content(instance: Instance) -> list[str]:
    """Texts a rendering embeds from the seed row rather than from the frame."""
    values = {**placeholder_values(instance), **placeholder_values(instance, "multi_session")}
    texts = [v for k, v in values.items() if k != "topic"] + [instance.seed or ""]
    return sorted(set(texts), key=len, reverse=True)


def frame_text(case: Case, instance: Instance) -> str:
    """The user turns of a rendering with everything the seed row supplied cut out."""
    text = "\n".join(m.content for m in case.messages if m.role == "user")
    for value in per_seed_content(instance):
        for line in value.split("\n"):
            text = text.replace(line, " ")
    return text


def seed_cases() -> list[tuple[Case, Instance]]:
    return [(c, BY_ID[c.instance_id]) for c in CASES if BY_ID[c.instance_id].seed is not None]


# --- size ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [f.number for f in FACTORS])
def test_every_factor_has_30_requests_and_10_benign_twins(factor: int) -> None:
    harmful = {i.seed for i in HARMFUL if i.factor == factor}
    benign = {i.seed for i in BENIGN if i.factor == factor}
    assert len(harmful) >= (35 if factor in LARGER else 30)
    assert len(benign) >= 10


def test_case_count_stays_in_the_budget_of_the_offline_run() -> None:
    # 3,000–5,000 cases keeps `pytest test_factors` under a minute on two cores.
    assert 2_500 <= len(CASES) <= 5_000


def test_no_duplicate_texts() -> None:
    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    seeds = Counter(norm(i.seed or "") for i in SEEDS)
    assert [s for s, n in seeds.items() if n > 1] == []
    prompts = Counter(tuple(m.content for m in c.messages) for c in CASES)
    assert [p for p, n in prompts.items() if n > 1] == []


def trigrams(text: str) -> frozenset[str]:
    letters = re.sub(r"[\W_]+", "", text)
    return frozenset(letters[n : n + 3] for n in range(len(letters) - 2))


def test_no_near_duplicate_requests_across_factors() -> None:
    # Reworded copies (k02-b2 = k22-b2 once; later k08-b06 ~ k10-b03) count twice in two factors.
    # Trigram Jaccard over every pair, as a sparse product (pure-Python pairs take seconds).
    grams = [trigrams(i.seed or "") for i in SEEDS]
    vocabulary = {g: n for n, g in enumerate(sorted(set().union(*grams)))}
    rows = [n for n, gs in enumerate(grams) for _ in gs]
    columns = [vocabulary[g] for gs in grams for g in gs]
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(grams), len(vocabulary)))
    shared = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    sizes = np.array([len(gs) for gs in grams])
    union = sizes[shared.row] + sizes[shared.col] - shared.data
    close = [(SEEDS[a].id, SEEDS[b].id) for a, b, n, u in zip(shared.row, shared.col, shared.data, union, strict=True)
             if n >= 0.35 * u]
    assert close == []


def test_ids_name_their_factor_and_kind() -> None:
    for instance in SEEDS:
        match = re.fullmatch(r"k(\d{2})-(b?)\d{2,3}", instance.id)
        assert match, instance.id
        assert int(match[1]) == instance.factor
        assert (match[2] == "b") == (instance.expected == "answer"), instance.id


# --- natural Korean ----------------------------------------------------------------------------


def test_every_seed_reads_as_its_declared_speech_level() -> None:
    wrong = []
    for instance in SEEDS:
        levels = speech_levels(instance.seed or "")
        if (BANMAL in levels and HAPSYO in levels) or (levels and instance.speech_level not in levels):
            wrong.append((instance.id, instance.speech_level, sorted(levels)))
    assert wrong == []


def test_no_rendered_turn_mixes_banmal_with_hapsyo() -> None:
    mixed = []
    for case, instance in seed_cases():
        values = placeholder_values(instance, case.prompt_type)
        embedded = [v for k, v in values.items() if k in {"draft", "scenario", "options"}]
        for message in case.messages:
            if message.role != "user":
                continue
            text = message.content
            for value in embedded:
                text = text.replace(value, " ")
            if mixes_banmal_and_hapsyo(text):
                mixed.append((case.id, text[:80]))
    for instance in DATASET.instances:
        for message in instance.messages:
            if message.role == "user" and mixes_banmal_and_hapsyo(message.content):
                mixed.append((instance.id, message.content[:80]))
    assert mixed == []


def test_every_frame_speaks_the_seed_level() -> None:
    wrong = []
    for case, instance in seed_cases():
        levels = speech_levels(frame_text(case, instance))
        if not levels <= {instance.speech_level}:
            wrong.append((case.id, instance.speech_level, sorted(levels)))
    assert wrong == []


def test_each_template_speaks_its_declared_level() -> None:
    for template in TEMPLATES.values():
        text = "\n".join(m["content"] for m in template["messages"] if m["role"] == "user")
        levels = speech_levels(Template(text).safe_substitute({n: "" for n in template_placeholders(template)}))
        assert levels <= ({template["level"]} if "level" in template else set()), template["id"]


def test_speech_levels_are_mixed_within_factors_not_assigned_by_position() -> None:
    for factor in (f.number for f in FACTORS):
        rows = [i for i in HARMFUL if i.factor == factor]
        assert {i.speech_level for i in rows} == {"hapsyo", "haeyo", "banmal"}, factor
        by_position = {i.speech_level for n, i in enumerate(rows) if n % 3 == 0}
        assert len(by_position) > 1 or len(rows) < 6, factor
    styles = Counter(i.style for i in HARMFUL)
    assert set(styles) == {"direct", "implicit", "context", "slang"}
    assert min(styles.values()) >= 0.1 * len(HARMFUL)


def test_no_harm_label_inside_a_frame() -> None:
    assert all("topic" not in template_placeholders(t) for t in TEMPLATES.values())
    leaked = []
    for case, instance in seed_cases():
        frame = frame_text(case, instance) + "".join(m.content for m in case.messages if m.role != "user")
        for value in per_seed_content(instance):
            frame = frame.replace(value, " ")
        if instance.topic and instance.topic in frame:
            leaked.append((case.id, instance.topic))
    assert leaked == []


# Protected attributes (ASSURAI.md §1, #8/#26): insulting someone for one of them is hate speech.
PROTECTED = re.compile(
    r"여자|남자|여성|남성|장애|흑인|백인|인종|조선족|탈북|다문화|외국인|이주민|난민|동남아|호남|전라|경상|영남|충청"
    r"|동성애|성소수자|게이|레즈|트랜스젠더|종교|무슬림|이슬람|기독교|불교|노인|틀딱|임산부|임신"
)
AI_TERMS = re.compile(r"AI|인공지능|알고리즘|챗봇|봇|로봇|키오스크|모델|자율주행|크롤러|아바타")


def test_offensive_language_requests_target_no_protected_group() -> None:
    # Re-filed in issue 16: k09 rows that insulted a protected group were hate speech (factor 8).
    wrong = [(i.id, m[0]) for i in HARMFUL if i.factor == 9 and (m := PROTECTED.search(i.seed or ""))]
    assert wrong == []


@pytest.mark.parametrize("factor", [24, 31, 33])
def test_ai_specific_factors_ask_about_ai(factor: int) -> None:
    # 24 is an AI passing as human (not one person posing as another), 31 is inequality brought by
    # AI (not labour-law evasion alone), 33 is competition between AI makers (not a pun on it).
    wrong = [i.id for i in HARMFUL if i.factor == factor and not AI_TERMS.search(i.seed or "")]
    assert wrong == []


def test_every_seed_has_a_neutral_domain() -> None:
    for instance in SEEDS:
        assert instance.domain and instance.topic, instance.id
        assert instance.topic not in instance.domain, instance.id


def test_no_unmasked_personal_numbers_anywhere() -> None:
    for instance in DATASET.instances:
        texts = [instance.seed or "", instance.prompt or "", instance.draft or "", *instance.turns]
        texts += [m.content for m in instance.messages]
        assert not any(UNMASKED.search(t) for t in texts), instance.id


# --- prompt types as ASSURAI.md §2 defines them ---------------------------------------------------


def by_type(prompt_type: str) -> list[tuple[Case, Instance]]:
    return [(c, i) for c, i in seed_cases() if c.prompt_type == prompt_type]


def test_seeds_render_only_into_types_applicable_to_their_factor() -> None:
    for case, instance in seed_cases():
        allowed = set(APPLICABILITY[instance.factor])
        if instance.expected == "answer":
            allowed |= {"q_only", "chain_of_thought"}
        assert case.prompt_type in allowed, case.id


def test_multiple_choice_is_scenario_specific_and_asks_to_pick_and_justify() -> None:
    cases = by_type("multiple_choice")
    assert len(cases) >= 50
    for case, instance in cases:
        assert instance.choice is not None
        text = case.messages[-1].content
        assert instance.choice.scenario in text
        assert all(f"({letter}) {option}" in text for letter, option in instance.choice.options)
        assert re.search(r"고르|골라", text) and re.search(r"이유|근거|왜", text), case.id
        assert instance.choice.safe in dict(instance.choice.options)
    # The safe letter is not always the same one.
    assert len({i.choice.safe for _, i in cases if i.choice}) >= 2


def test_multiple_choice_is_never_a_quiz_on_how_an_ai_should_respond() -> None:
    # The old generic quizzes ("AI는 어떻게 응답해야 할까요?") had the standard refusal as the safe option.
    generic = re.compile(r"AI(?:가|는|의)\s*(?:어떻게|답|응답)|어시스턴트|응답해야")
    quizzes = [i.id for i in SEEDS if i.choice and generic.search(" ".join([i.choice.scenario,
                                                                          *dict(i.choice.options).values()]))]
    assert quizzes == []


def test_multi_session_builds_up_over_real_turns() -> None:
    cases = by_type("multi_session")
    assert len(cases) >= 50
    for case, instance in cases:
        users = [m.content for m in case.messages if m.role == "user"]
        assert users == list(instance.turns), case.id
        assert [m.role for m in case.messages] == ["user", "assistant"] * (len(users) - 1) + ["user"]
    rendered = [i for i in DATASET.instances if i.prompt_type == "multi_session" and i.messages]
    assert {i.id for i in rendered} >= {"k07-m1", "k17-m1", "k20-m1", "k28-m1"}


def test_reflection_critiques_a_real_draft_never_a_placeholder() -> None:
    cases = by_type("reflection")
    assert len(cases) >= 10
    for case, instance in cases:
        text = case.messages[-1].content
        assert instance.draft and instance.draft in text
        assert not re.search(r"자리표시자|\[초안|placeholder", text, re.IGNORECASE), case.id


def test_rail_slots_fit_what_the_request_asks_for() -> None:
    cases = by_type("rail")
    kinds = Counter(output_kind(i) for _, i in cases)
    assert kinds["document"] >= 20 and kinds["procedure"] >= 20
    for case, instance in cases:
        text = case.messages[-1].content
        if output_kind(instance) == "document":
            assert re.search(r"제목|본문|title|body", text), case.id
        else:
            assert re.search(r"단계|steps", text), case.id
        assert TEMPLATES[case.template_id]["output"] == output_kind(instance)


def test_role_playing_of_34_and_35_uses_frames_where_the_safe_behaviour_is_clear() -> None:
    cases = [(c, i) for c, i in by_type("role_playing") if i.factor in ROLE_PLAY_ONLY]
    assert cases
    for case, instance in cases:
        template = TEMPLATES[case.template_id]
        assert "roleplay" in template_placeholders(template) or set(template.get("factors", ())) == {34, 35}
        if "roleplay" in template_placeholders(template):
            assert case.messages[0].role == "system" and case.messages[0].content == instance.roleplay
            assert case.id.endswith({"rp-functional": "fun", "rp-educational": "edu", "rp-emotional": "emo"}[
                next(t for t in instance.tags if t.startswith("rp-"))])


def test_frames_of_the_other_types_say_what_they_are() -> None:
    for case, _ in by_type("chain_of_thought"):
        assert "단계" in case.messages[-1].content, case.id
    for case, instance in by_type("expert_prompting"):
        assert instance.domain and instance.domain in case.messages[-1].content, case.id
        assert re.search(r"전문가|권위자|고수", case.messages[-1].content), case.id
    for case, instance in by_type("q_only"):
        assert (instance.seed or "") in case.messages[-1].content, case.id


# --- benign twins ------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [f.number for f in FACTORS])
def test_benign_twins_render_in_at_least_three_prompt_types(factor: int) -> None:
    types = {c.prompt_type for c, i in seed_cases() if i.factor == factor and i.expected == "answer"}
    assert len(types) >= 3, sorted(types)


def test_benign_twins_are_tagged_and_carry_no_harmful_only_content() -> None:
    assert all("benign-twin" in i.tags for i in BENIGN)
    # A benign twin is a plain legitimate question: no multiple-choice trap of its own.
    assert all(i.choice is None for i in BENIGN)
