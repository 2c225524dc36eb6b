from __future__ import annotations

from pathlib import Path

import pytest

from crm_pipeline.config import Settings
from crm_pipeline.logs import mask_pii


def test_database_url_accepts_both_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:secret@h/db")
    s = Settings()
    assert s.database_url is not None
    assert s.database_url.get_secret_value() == "postgresql://u:secret@h/db"
    assert "secret" not in repr(s)
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql://x@h/db2")
    assert Settings().database_url.get_secret_value().endswith("/db2")  # type: ignore[union-attr]


def test_nested_quality_thresholds_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_QUALITY__COMPLETENESS_EMAIL", "0.8")
    monkeypatch.setenv("CRM_HOME", "/tmp/somewhere")
    s = Settings()
    assert s.quality.completeness_email == 0.8
    assert s.home == Path("/tmp/somewhere")


def test_mask_pii_hides_emails_phones_and_url_passwords() -> None:
    text = "sent to mary.oneil@example.com at (555) 123-4567 via postgresql://u:hunter2@db/x"
    masked = mask_pii(text)
    assert "mary.oneil" not in masked and "example.com" in masked
    assert "123-4567" not in masked and "***67" in masked
    assert "hunter2" not in masked


@pytest.mark.parametrize(
    "kept",
    [
        "load 3ee76c6c-f412-4567-9e3b-0783d9c12261 failed",  # a run id: its digit groups are no phone
        "model sha256 ab12345678cd9012",  # digits glued to letters: a digest, not a phone
    ],
)
def test_mask_pii_leaves_run_ids_and_digests_alone(kept: str) -> None:
    assert mask_pii(kept) == kept


def test_mask_pii_still_masks_a_phone_next_to_a_run_id() -> None:
    masked = mask_pii("run 3ee76c6c-f412-4567-9e3b-0783d9c12261: phone +1 617 555 0100 refused")
    assert "3ee76c6c-f412-4567-9e3b-0783d9c12261" in masked
    assert "617 555 0100" not in masked and "***00" in masked
