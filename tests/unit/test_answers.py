"""Unit tests of ``assurai_pytest.models.answers``: when a run may reuse the model's cached answers."""

from __future__ import annotations

from pathlib import Path

from assurai_pytest.models.answers import LEDGER_FILE, AnswerLedger, deployment_key

KEY = deployment_key({"model": "hosted_vllm/m", "api_base": "http://127.0.0.1:8000/v1"})


def test_a_completed_run_makes_the_next_one_ask_afresh(tmp_path: Path) -> None:
    ledger = AnswerLedger(tmp_path)
    first = ledger.salt(KEY)
    assert first.startswith("epoch:")
    ledger.complete(KEY)
    assert ledger.salt(KEY) not in (first, "")


def test_an_incomplete_run_is_resumed_with_its_answers(tmp_path: Path) -> None:
    ledger = AnswerLedger(tmp_path)
    assert ledger.salt(KEY) == ledger.salt(KEY) == AnswerLedger(tmp_path).salt(KEY)


def test_the_user_may_say_the_model_is_unchanged_or_name_a_revision(tmp_path: Path) -> None:
    ledger = AnswerLedger(tmp_path)
    first = ledger.salt(KEY)
    ledger.complete(KEY)
    assert ledger.salt(KEY, reuse=True) == first
    assert ledger.salt(KEY, revision="r7") == ledger.salt(KEY, revision="r7") == "rev:r7"


def test_deployments_do_not_share_epochs(tmp_path: Path) -> None:
    ledger = AnswerLedger(tmp_path)
    other = deployment_key({"model": "hosted_vllm/m", "api_base": "http://127.0.0.1:8001/v1"})
    assert ledger.salt(KEY) != ledger.salt(other)


def test_a_damaged_or_deleted_ledger_never_brings_back_an_old_epoch(tmp_path: Path) -> None:
    ledger = AnswerLedger(tmp_path)
    old = ledger.salt(KEY)
    (tmp_path / LEDGER_FILE).write_text("{not json", encoding="utf-8")
    damaged = ledger.salt(KEY)
    (tmp_path / LEDGER_FILE).unlink()
    deleted = ledger.salt(KEY)
    assert len({old, damaged, deleted}) == 3  # the safe side: nothing an old run cached is reused
    assert ledger.salt(KEY) == deleted  # and the new epoch is remembered for a resume
