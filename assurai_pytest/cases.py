"""Case generation: a dataset becomes the sorted, filtered, sampled list of test cases.

Owns case ids (``F07-role_playing-k07_03[-edu]``, ASCII only), the selection (factor, prompt-type
and modality filters, stratified per-factor sampling) and the parsers of the selection options.
Everything is a pure function of the dataset and the selection, so every xdist worker builds
the same list.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .errors import DatasetError, UsageError
from .generate import Rendered, render
from .records import Case, Dataset, Instance
from .taxonomy import FACTOR_BY_NUMBER, FACTOR_BY_SLUG, MODALITIES, PROMPT_TYPES, factor_code

_K = TypeVar("_K", bound=Hashable)

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_]")
_FACTOR = re.compile(r"[Ff]?(\d{1,2})")
_FACTOR_RANGE = re.compile(r"[Ff]?(\d{1,2})\s*-\s*[Ff]?(\d{1,2})")
_TYPE_RANK = {p.slug: rank for rank, p in enumerate(PROMPT_TYPES)}
_PROMPT_TYPE_NAMES = {name.lower(): p.slug for p in PROMPT_TYPES for name in (p.slug, p.code)}


@dataclass(frozen=True)
class Selection:
    """Which cases to run; None means no restriction."""

    factors: frozenset[int] | None = None
    prompt_types: frozenset[str] | None = None  # slugs
    modalities: frozenset[str] | None = None
    sample: int | None = None  # at most this many cases per factor
    seed: int = 0  # template choice and sampling

    def __post_init__(self) -> None:
        if self.sample is not None and self.sample < 1:
            raise UsageError(f"sample must be at least 1, got {self.sample}")


def build_cases(dataset: Dataset, selection: Selection) -> list[Case]:
    """Render every instance, then filter and sample the cases.

    Args:
        dataset: A loaded dataset.
        selection: Filters, per-factor sample size and seed.

    Returns:
        The cases sorted by factor, prompt type (taxonomy order) and id; the same list for the
        same input in any process.

    Raises:
        DatasetError: If rendering fails or two cases get the same id.
    """
    cases = [c for c in _all_cases(dataset, selection.seed) if _selected(c, selection)]
    if selection.sample is not None:
        cases = _sample(cases, selection.sample, selection.seed)
    return sorted(cases, key=_case_order)


def case_id(instance: Instance, rendered: Rendered) -> str:
    """The ASCII test id of an instance rendered into one prompt type.

    Args:
        instance: The instance.
        rendered: One of its renderings.

    Returns:
        ``F{factor:02d}-{prompt type}-{local}`` plus ``-{sub-type}`` for a role-play variant,
        where ``local`` is the instance id with anything outside ``[A-Za-z0-9_]`` made ``_``.
    """
    return make_case_id(instance.factor, rendered.prompt_type, instance.id, rendered.variant or "")


def make_case_id(factor: int, prompt_type: str, instance_id: str, suffix: str = "") -> str:
    """The one case-id format: ``F{factor:02d}-{prompt type}-{local}[-{suffix}]``, ``local`` being
    ``instance_id`` with anything outside ``[A-Za-z0-9_]`` made ``_`` (test ids stay ASCII)."""
    local = _UNSAFE_ID_CHARS.sub("_", instance_id)
    return f"{factor_code(factor)}-{prompt_type}-{local}" + (f"-{suffix}" if suffix else "")


def allocate(counts: Mapping[str, int], total: int) -> dict[str, int]:
    """Split ``total`` draws over prompt-type strata in proportion to their sizes.

    Every stratum gets one draw first when ``total`` allows; the rest is shared by largest
    remainder, ties going to the earlier prompt type in taxonomy order.

    Args:
        counts: Stratum (prompt-type slug) → number of cases.
        total: How many cases to draw in all.

    Returns:
        Stratum → number to draw; each at most its count, summing to ``min(total, sum(counts))``.
    """
    size = sum(counts.values())
    if total >= size:
        return dict(counts)
    strata = sorted(counts, key=_type_rank)
    first = 1 if total >= len(strata) else 0
    weights = {s: counts[s] - first for s in strata}
    rest, weight = total - first * len(strata), sum(weights.values())
    shares = {s: divmod(rest * weights[s], weight) for s in strata}
    quotas = {s: first + shares[s][0] for s in strata}
    leftover = rest - sum(q for q, _ in shares.values())
    for s in sorted(strata, key=lambda s: -shares[s][1])[:leftover]:
        quotas[s] += 1
    return quotas


def parse_factor_list(text: str) -> frozenset[int]:
    """Parse a comma-separated factor list: ``7``, ``F07``, ``hate-speech``, ranges ``1-6``.

    Args:
        text: The option value.

    Returns:
        The factor numbers.

    Raises:
        UsageError: On an unknown factor, listing the valid values.
    """
    factors: set[int] = set()
    for item in _items(text, "factor"):
        factors.update(_factor_item(item))
    return frozenset(factors)


def parse_prompt_type_list(text: str) -> frozenset[str]:
    """Parse a comma-separated prompt-type list of slugs (``rail``) or codes (``pRL``), any case.

    Args:
        text: The option value.

    Returns:
        The prompt-type slugs.

    Raises:
        UsageError: On an unknown prompt type, listing the valid values.
    """
    slugs = set()
    for item in _items(text, "prompt type"):
        if item.lower() not in _PROMPT_TYPE_NAMES:
            valid = ", ".join(f"{p.slug} ({p.code})" for p in PROMPT_TYPES)
            raise UsageError(f"unknown prompt type {item!r}; valid: {valid}")
        slugs.add(_PROMPT_TYPE_NAMES[item.lower()])
    return frozenset(slugs)


def parse_modality_list(text: str) -> frozenset[str]:
    """Parse a comma-separated modality list (``text``, ``image``, ``video``, ``audio``).

    Args:
        text: The option value.

    Returns:
        The modalities.

    Raises:
        UsageError: On an unknown modality, listing the valid values.
    """
    modalities = set()
    for item in _items(text, "modality"):
        if item.lower() not in MODALITIES:
            raise UsageError(f"unknown modality {item!r}; valid: {', '.join(MODALITIES)}")
        modalities.add(item.lower())
    return frozenset(modalities)


def _all_cases(dataset: Dataset, seed: int) -> list[Case]:
    cases: list[Case] = []
    sources: dict[str, str] = {}
    for instance in dataset.instances:
        media = _media(dataset.root, instance)
        for rendered in render(instance, dataset.templates, seed):
            case = _case(instance, rendered, media)
            if case.id in sources:
                raise DatasetError(instance.source, f"case id {case.id} is also made by {sources[case.id]}")
            sources[case.id] = instance.source
            cases.append(case)
    return cases


def _case(instance: Instance, rendered: Rendered, media: tuple[str, ...]) -> Case:
    return Case(
        id=case_id(instance, rendered),
        instance_id=instance.id,
        factor=instance.factor,
        prompt_type=rendered.prompt_type,
        modality=instance.modality,
        expected=instance.expected,
        messages=rendered.messages,
        media=media,
        template_id=rendered.template_id,
        tags=instance.tags,
    )


def _media(root: Path, instance: Instance) -> tuple[str, ...]:
    root = root.resolve()
    paths = []
    for relative in instance.media:
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise DatasetError(instance.source, f"media path {relative!r} escapes the dataset folder {root}")
        paths.append(str(path))
    return tuple(paths)


def _selected(case: Case, selection: Selection) -> bool:
    return (
        (selection.factors is None or case.factor in selection.factors)
        and (selection.prompt_types is None or case.prompt_type in selection.prompt_types)
        and (selection.modalities is None or case.modality in selection.modalities)
    )


def _sample(cases: list[Case], per_factor: int, seed: int) -> list[Case]:
    sampled: list[Case] = []
    for factor, in_factor in _group(cases, lambda c: c.factor).items():
        strata = _group(in_factor, lambda c: c.prompt_type)
        quotas = allocate({t: len(members) for t, members in strata.items()}, per_factor)
        for prompt_type, members in strata.items():
            # One generator per stratum (str seeds hash with sha512, stable across processes), so a
            # factor's sample does not change when other factors are filtered in or out.
            rng = random.Random(f"{seed}:{factor}:{prompt_type}")
            sampled.extend(rng.sample(sorted(members, key=lambda c: c.id), quotas[prompt_type]))
    return sampled


def _group(cases: Iterable[Case], key: Callable[[Case], _K]) -> dict[_K, list[Case]]:
    groups: dict[_K, list[Case]] = {}
    for case in cases:
        groups.setdefault(key(case), []).append(case)
    return groups


def _type_rank(slug: str) -> tuple[int, str]:
    return _TYPE_RANK.get(slug, len(_TYPE_RANK)), slug


def _case_order(case: Case) -> tuple[int, tuple[int, str], str]:
    return case.factor, _type_rank(case.prompt_type), case.id


def _items(text: str, what: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise UsageError(f"no {what} given in {text!r}")
    return items


def _factor_item(item: str) -> range | tuple[int]:
    if item.lower() in FACTOR_BY_SLUG:
        return (FACTOR_BY_SLUG[item.lower()].number,)
    if single := _FACTOR.fullmatch(item):
        if int(single[1]) in FACTOR_BY_NUMBER:
            return (int(single[1]),)
    elif span := _FACTOR_RANGE.fullmatch(item):
        low, high = int(span[1]), int(span[2])
        if low in FACTOR_BY_NUMBER and high in FACTOR_BY_NUMBER and low <= high:
            return range(low, high + 1)
    raise UsageError(
        f"unknown factor {item!r}; valid: 1-35, F01-F35, ranges like 1-6, or one of: "
        + ", ".join(FACTOR_BY_SLUG)
    )
