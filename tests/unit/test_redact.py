"""redact(): every kind of secret is masked, ordinary text is left alone."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assurai_pytest.redact import redact

KEY_CHARS = string.ascii_letters + string.digits


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Incorrect API key provided: sk-abcdefghijklmnop1234", "sk-abcdefghijklmnop1234"),
        ("key sk-proj-AbC_dEf-GhIjKlMnOp here", "sk-proj-AbC_dEf-GhIjKlMnOp"),
        ("anthropic sk-ant-api03-Zz9_Yy8-Xx7Ww6Vv5 fails", "sk-ant-api03-Zz9_Yy8-Xx7Ww6Vv5"),
        ("google AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"),
        ("Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.abc-def_ghi", "eyJhbGciOi.JIUzI1NiJ9.abc-def_ghi"),
        ("called with api_key=hunter2hunter2 and more", "hunter2hunter2"),
        ("URL ?api-key=s3cr3tvalue&x=1", "s3cr3tvalue"),
        ('{"api_key": "my secret value", "model": "x"}', "my secret value"),
        ("kwargs {'api_key': 'abc123xyz'}", "abc123xyz"),
        ("API_KEY: plainvalue42", "plainvalue42"),
    ],
)
def test_masks_known_secret_shapes(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked
    assert "***" in masked


def test_keeps_the_surrounding_text() -> None:
    assert redact("model x: authentication failed (HTTP 401): key sk-abcdefghijkl1234 bad") == (
        "model x: authentication failed (HTTP 401): key sk-*** bad"
    )
    assert redact('{"api_key": "s3cret", "model": "m"}') == '{"api_key": "***", "model": "m"}'


def test_masks_secret_env_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_PROVIDER_API_KEY", "opaque-value-123")
    monkeypatch.setenv("HF_TOKEN", "hfvalue99887766")
    monkeypatch.setenv("SHORT_TOKEN", "abc12345")  # 8 chars: too short to mask safely
    masked = redact("failed with opaque-value-123 and hfvalue99887766; abc12345")
    assert "opaque-value-123" not in masked and "hfvalue99887766" not in masked
    assert "abc12345" in masked


@pytest.mark.parametrize(
    "text",
    [
        "죄송하지만 그 요청은 도와드릴 수 없습니다.",
        "model openai/gpt-4o-mini unreachable after 5 attempts: HTTP 500: server error",
        "task-queue sk-8 risk factor F07 skipped",
        "Bearer",
        "",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


@given(
    st.text(max_size=60),
    st.sampled_from(["sk-", "sk-proj-", "sk-ant-api03-", "AIza"]),
    st.text(alphabet=KEY_CHARS, min_size=24, max_size=64),
    st.text(max_size=60),
)
def test_an_embedded_key_never_survives(before: str, prefix: str, body: str, after: str) -> None:
    key = prefix + body
    masked = redact(f"{before} {key} {after}")
    assert key not in masked


@given(st.text(max_size=200))
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
