"""The table of ``--assurai-*`` options: each also an ini key ``assurai_*`` and an env var ``ASSURAI_*``.

``register`` adds them to pytest's parser; ``resolve`` turns CLI values, the environment and
the ini file into one :class:`~assurai_pytest.settings.Settings` (CLI > env > ini > default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError
from .settings import Settings, merge


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError("must be greater than 0")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise ValueError("must lie strictly between 0 and 1")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise ValueError("must lie in (0, 1]")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError("must be 0 or more")
    return value


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected 1/0, true/false, yes/no or on/off")


def _text(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def _judge(text: str) -> str:
    from .judge import make_judge

    make_judge(_text(text), None)  # a malformed spec or a guard variant that cannot grade answers fails here
    return text.strip()


def _human_scale(text: str) -> str:
    if text.strip().lower() not in ("risk", "safety"):
        raise ValueError("expected risk (1 safe … 5 most harmful) or safety (5 safest)")
    return text.strip().lower()


def _agreement(text: str) -> float:
    value = float(text)
    if not -1 <= value <= 1:
        raise ValueError("must lie between -1 and 1 (a quadratic-weighted kappa)")
    return value


def _judge_params(text: str) -> str:
    from .deployment import parse_params

    return parse_params(text, judge=True)


def _temperature(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 2:
        raise ValueError("must lie between 0 and 2")
    return value


def _model_params(text: str) -> str:
    from .deployment import parse_params

    return parse_params(text)


def _factors(text: str) -> frozenset[int]:
    from .cases import parse_factor_list

    return parse_factor_list(text)


def _prompt_types(text: str) -> frozenset[str]:
    from .cases import parse_prompt_type_list

    return parse_prompt_type_list(text)


def _operators(text: str) -> tuple[str, ...]:
    from .robustness import parse_operator_list

    return parse_operator_list(text)


def _modalities(text: str) -> frozenset[str]:
    from .cases import parse_modality_list

    return parse_modality_list(text)


@dataclass(frozen=True)
class OptionSpec:
    """One option: its flag, the Settings field it fills, how to parse its text, and its help."""

    flag: str
    field: str
    parse: Callable[[str], Any]
    help: str
    is_flag: bool = False
    is_path: bool = False
    is_text_or_file: bool = False  # TEXT, or @FILE read relative to where the value came from

    @property
    def dest(self) -> str:
        """The argparse dest and ini key, e.g. ``assurai_model``."""
        return "assurai_" + self.field

    @property
    def help_text(self) -> str:
        """The help with the default, read from :class:`Settings` (the one place defaults live)."""
        default = getattr(Settings(), self.field, None)
        if self.is_flag or default is None or default == () or isinstance(default, bool):
            return self.help
        return f"{self.help} Default: {default}."

    @property
    def env(self) -> str:
        """The environment variable, e.g. ``ASSURAI_MODEL``."""
        return self.dest.upper()


MODEL = "--assurai-model"
API_BASE = "--assurai-api-base"
JUDGE = "--assurai-judge"
JUDGE_API_BASE = "--assurai-judge-api-base"
DATASET = "--assurai-dataset"
FACTORS = "--assurai-factors"
PROMPT_TYPES = "--assurai-prompt-types"
MODALITIES = "--assurai-modalities"
SAMPLE = "--assurai-sample"
SEED = "--assurai-seed"
CONCURRENCY = "--assurai-concurrency"
RPM = "--assurai-rpm"
TIMEOUT = "--assurai-timeout"
RETRIES = "--assurai-retries"
CACHE_DIR = "--assurai-cache-dir"
NO_CACHE = "--assurai-no-cache"
BASELINE_DIR = "--assurai-baseline-dir"
BASELINE = "--assurai-baseline"
UPDATE_BASELINES = "--assurai-update-baselines"
ALPHA = "--assurai-alpha"
TOLERANCE = "--assurai-tolerance"
RESULTS = "--assurai-results"
ALLOW_MISSING_BASELINE = "--assurai-allow-missing-baseline"
MIN_SHARED = "--assurai-min-shared"
MODEL_REVISION = "--assurai-model-revision"
REUSE_ANSWERS = "--assurai-reuse-answers"
RATE_LIMIT_WAIT = "--assurai-rate-limit-wait"
PERTURBATIONS = "--assurai-perturbations"
PERTURB_EXAMPLES = "--assurai-perturb-examples"
PERTURB_CONCURRENCY = "--assurai-perturb-concurrency"
CALIBRATE = "--assurai-calibrate"
HUMAN_SCALE = "--assurai-human-scale"
MIN_JUDGE_AGREEMENT = "--assurai-min-judge-agreement"
JUDGE_PARAMS = "--assurai-judge-params"
JUDGE_REPEATS = "--assurai-judge-repeats"
SYSTEM_PROMPT = "--assurai-system-prompt"
MAX_TOKENS = "--assurai-max-tokens"
TEMPERATURE = "--assurai-temperature"
MODEL_PARAMS = "--assurai-model-params"
IMAGE_MODEL = "--assurai-image-model"
VIDEO_MODEL = "--assurai-video-model"
SPEECH_MODEL = "--assurai-speech-model"
TRANSCRIBER = "--assurai-transcriber"
IMAGE_API_BASE = "--assurai-image-api-base"
VIDEO_API_BASE = "--assurai-video-api-base"
SPEECH_API_BASE = "--assurai-speech-api-base"
TRANSCRIBER_API_BASE = "--assurai-transcriber-api-base"
VIDEO_WAIT = "--assurai-video-wait"
VIDEO_POLL = "--assurai-video-poll"

OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(MODEL, "model", _text, "LiteLLM model string of the model under test "
               "(the default is the offline scripted demo model)."),
    OptionSpec(API_BASE, "api_base", _text, "api_base for the model: vLLM, Ollama, any OpenAI-compatible server."),
    OptionSpec(JUDGE, "judge", _judge, "judge model string, a guard adapter (kanana-safeguard:M, qwen3guard:M, "
               "llamaguard:M), a comma-separated panel, or 'rules' (the offline keyword fallback)."),
    OptionSpec(JUDGE_API_BASE, "judge_api_base", _text, "api_base for the judge."),
    OptionSpec(DATASET, "dataset", _text, "dataset file or folder (bundled JSONL, or the AssurAI release layout).",
               is_path=True),
    OptionSpec(FACTORS, "factors", _factors, "factor numbers or slugs, comma-separated (e.g. 7,8 or 1-6,fraud)."),
    OptionSpec(PROMPT_TYPES, "prompt_types", _prompt_types, "prompt-type slugs or codes (e.g. rail,pCT)."),
    OptionSpec(MODALITIES, "modalities", _modalities, "modalities: text,image,video,audio."),
    OptionSpec(SAMPLE, "sample", _positive_int, "at most N cases per factor, stratified by prompt type, seeded."),
    OptionSpec(SEED, "seed", _non_negative_int, "seed for template choice and sampling."),
    OptionSpec(CONCURRENCY, "concurrency", _positive_int, "model+judge calls in flight at once, whole run."),
    OptionSpec(RPM, "rpm", _positive_int, "requests-per-minute cap per model."),
    OptionSpec(TIMEOUT, "timeout", _positive_float, "per-call timeout in seconds."),
    OptionSpec(RETRIES, "retries", _non_negative_int, "retries of a call after a 5xx, a timeout or a refused "
               "connection."),
    OptionSpec(CACHE_DIR, "cache_dir", _text, "on-disk response cache.", is_path=True),
    OptionSpec(NO_CACHE, "no_cache", _flag, "bypass the response cache.", is_flag=True),
    OptionSpec(BASELINE_DIR, "baseline_dir", _text, "where baselines live.", is_path=True),
    OptionSpec(BASELINE, "baseline", _text, "baseline name to gate against or write (<model-slug>__<judge-slug>)."),
    OptionSpec(UPDATE_BASELINES, "update_baselines", _flag, "write the baselines from this run instead of gating.",
               is_flag=True),
    OptionSpec(ALPHA, "alpha", _probability, "significance level of the gate, whole run."),
    OptionSpec(TOLERANCE, "tolerance", _non_negative_float, "smallest mean score drop that counts."),
    OptionSpec(RESULTS, "results", _text, "write machine-readable JSON results here.", is_path=True),
    OptionSpec(ALLOW_MISSING_BASELINE, "allow_missing_baseline", _flag, "exploratory runs: a missing baseline "
               "is reported, not failed.", is_flag=True),
    OptionSpec(MIN_SHARED, "min_shared", _share, "smallest share of this run's judged cases the baseline "
               "must hold scores for, else MISMATCH."),
    OptionSpec(MODEL_REVISION, "model_revision", _text, "revision of the model under test; its cached answers are "
               "reused by later runs that name the same revision."),
    OptionSpec(REUSE_ANSWERS, "reuse_answers", _flag, "the model is unchanged: reuse its cached answers from the "
               "last run with these settings.", is_flag=True),
    OptionSpec(RATE_LIMIT_WAIT, "rate_limit_wait", _positive_float, "seconds one call may spend waiting out "
               "429s before it errors."),
    OptionSpec(PERTURBATIONS, "perturbations", _operators, "turn the robustness track on with these Hangul "
               "perturbation operators: all, or comma-separated names (off by default)."),
    OptionSpec(PERTURB_EXAMPLES, "perturb_examples", _positive_int, "perturbation plans tried per request."),
    OptionSpec(PERTURB_CONCURRENCY, "perturb_concurrency", _positive_int, "refused requests the robustness "
               "track searches at once (1: one after another); results do not depend on it."),
    OptionSpec(CALIBRATE, "calibrate", _flag, "calibration track: the judge grades candidate answers that carry "
               "human scores (bundled set or release) instead of calling the model.", is_flag=True),
    OptionSpec(HUMAN_SCALE, "human_scale", _human_scale, "how the human scores run: risk (1 safe … 5 most "
               "harmful, the release's ref_output_risk_score) or safety (5 safest)."),
    OptionSpec(MIN_JUDGE_AGREEMENT, "min_judge_agreement", _agreement, "lowest judge-human quadratic-weighted "
               "kappa that lets a run pass; below it: JUDGE UNCALIBRATED."),
    OptionSpec(JUDGE_PARAMS, "judge_params", _judge_params, "JSON object of extra LiteLLM arguments for the "
               'judge, e.g. {"extra_body": {"top_k": 1}} for provider-specific body fields.'),
    OptionSpec(JUDGE_REPEATS, "judge_repeats", _positive_int, "judge each case K times; the median grade "
               "counts and the spread is recorded."),
    # The model under test as deployed (deployment.py).
    OptionSpec(SYSTEM_PROMPT, "system_prompt", _text, "product system prompt sent before every case's "
               "messages: TEXT or @FILE (UTF-8); a case's own system turn follows it in the same system message.",
               is_text_or_file=True),
    OptionSpec(MAX_TOKENS, "max_tokens", _positive_int, "token budget of each answer of the model under test."),
    OptionSpec(TEMPERATURE, "temperature", _temperature, "sampling temperature of the model under test."),
    OptionSpec(MODEL_PARAMS, "model_params", _model_params, "JSON object of extra LiteLLM arguments for the model "
               'under test, e.g. {"top_p": 0.9, "seed": 7, "extra_body": {"chat_template_kwargs": '
               '{"enable_thinking": false}}}.'),
    # The generated-media track.
    OptionSpec(IMAGE_MODEL, "image_model", _text, "LiteLLM model string of the image generator under test "
               "(generation track; skipped when absent, scripted in the offline demo)."),
    OptionSpec(VIDEO_MODEL, "video_model", _text, "LiteLLM model string of the video generator under test."),
    OptionSpec(SPEECH_MODEL, "speech_model", _text, "LiteLLM model string of the speech (TTS) generator under test."),
    OptionSpec(TRANSCRIBER, "transcriber", _text, "LiteLLM transcription model: generated speech is transcribed "
               "and judged as text (noted in the reason)."),
    OptionSpec(IMAGE_API_BASE, "image_api_base", _text, "api_base of the image generator (else --assurai-api-base)."),
    OptionSpec(VIDEO_API_BASE, "video_api_base", _text, "api_base of the video generator (else --assurai-api-base)."),
    OptionSpec(SPEECH_API_BASE, "speech_api_base", _text, "api_base of the speech generator (else "
               "--assurai-api-base)."),
    OptionSpec(TRANSCRIBER_API_BASE, "transcriber_api_base", _text, "api_base of the transcriber (else "
               "--assurai-api-base)."),
    OptionSpec(VIDEO_WAIT, "video_wait", _positive_float, "seconds a video job may take before it is a timeout "
               "error."),
    OptionSpec(VIDEO_POLL, "video_poll", _positive_float, "seconds between status polls of a video job."),
)


def register(parser: Any) -> None:
    """Add every option, and its ini key, to pytest's parser."""
    group = parser.getgroup("assurai", "AssurAI Korean safety gate")
    for spec in OPTIONS:
        if spec.is_flag:
            group.addoption(spec.flag, action="store_const", const="1", dest=spec.dest, default=None,
                            help=f"{spec.help_text} [env {spec.env}]")
        else:
            group.addoption(spec.flag, action="store", dest=spec.dest, default=None, metavar="VALUE",
                            help=f"{spec.help_text} [env {spec.env}]")
        parser.addini(spec.dest, f"{spec.help_text} (same as {spec.flag})", default=None)


def parse_sources(cli: Mapping[str, str | None], env: Mapping[str, str], ini: Mapping[str, str | None],
                  *, cli_dir: Path, ini_dir: Path) -> Settings:
    """Build Settings from raw option texts (pure: no pytest, no os.environ).

    Args:
        cli: option dest → raw text given on the command line (None when absent).
        env: the process environment.
        ini: option dest → raw ini text (None when absent).
        cli_dir: relative paths from the command line or environment resolve against this folder.
        ini_dir: relative paths from the ini file or defaults resolve against this folder (rootdir).

    Raises:
        UsageError: a value that does not parse, naming the option and where it came from.
    """
    values: list[dict[str, Any]] = []
    for origin, source, base in (("command line", cli, cli_dir), ("environment", None, cli_dir),
                                 ("ini", ini, ini_dir)):
        parsed: dict[str, Any] = {}
        for spec in OPTIONS:
            raw = env.get(spec.env) if source is None else source.get(spec.dest)
            if raw is None:
                continue
            where = {"command line": spec.flag, "environment": spec.env, "ini": f"ini key {spec.dest}"}[origin]
            try:
                value = spec.parse(str(raw))
                if spec.is_text_or_file:
                    from .deployment import parse_system_prompt

                    value = parse_system_prompt(str(raw), base)
            except (ValueError, UsageError) as exc:
                raise UsageError(f"{where}={raw!r}: {exc}") from None
            parsed[spec.field] = base / value if spec.is_path else value
        values.append(parsed)
    merged = merge(*values)
    no_cache = merged.pop("no_cache", False)
    defaults = Settings()
    merged.setdefault("cache_dir", ini_dir / defaults.cache_dir)  # type: ignore[operator]
    merged.setdefault("baseline_dir", ini_dir / defaults.baseline_dir)
    if no_cache:
        merged["cache_dir"] = None
    return Settings(**merged)


def resolve(config: Any) -> Settings:
    """Resolve a pytest Config's options into Settings (CLI > env > ini > default)."""
    import os

    cli = {spec.dest: config.getoption(spec.dest) for spec in OPTIONS}
    ini = {spec.dest: config.getini(spec.dest) or None for spec in OPTIONS}
    return parse_sources(cli, os.environ, ini, cli_dir=Path(config.invocation_params.dir),
                         ini_dir=Path(config.rootpath))
