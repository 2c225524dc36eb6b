"""The shrink guard's decision: which input files a load must hold back (``load.holdback.decide``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_pipeline.load.holdback import decide


def _file(name: str, rows_clean: int, status: str = "ok", error: str | None = None) -> dict[str, object]:
    return {"file": name, "rows_clean": rows_clean, "status": status, "error": error}


LOADED = {"sm_customers.csv": 387, "leads.csv": 100, "legacy_jobs.csv": 50}


def test_empty_rejected_and_shrunk_files_are_held_back_with_their_numbers() -> None:
    files = [
        _file("sm_customers.csv", 0, "rejected", "file is empty (no header row)"),
        _file("leads.csv", 79),  # -21 %
        _file("legacy_jobs.csv", 0),
    ]
    held = {h.file: h for h in decide(files, LOADED, max_shrink_share=0.2)}
    assert set(held) == {"sm_customers.csv", "leads.csv", "legacy_jobs.csv"}
    assert (held["sm_customers.csv"].loaded, held["sm_customers.csv"].now) == (387, 0)
    assert "file is empty" in held["sm_customers.csv"].message()
    assert "387 row(s) loaded before, 0 now" in held["sm_customers.csv"].message()
    assert "--accept-shrink leads.csv" in held["leads.csv"].message()
    assert "21%" in held["leads.csv"].reason


def test_small_shrinks_growth_new_files_and_accepted_files_pass() -> None:
    files = [
        _file("sm_customers.csv", 310),  # -19.9 %: within the 20 % allowed
        _file("leads.csv", 0, "rejected"),
        _file("legacy_jobs.csv", 500),
        _file("new.csv", 0, "rejected"),  # nothing loaded before: nothing to lose
    ]
    assert decide(files, LOADED, max_shrink_share=0.2, accepted={"leads.csv"}) == []


def test_share_zero_holds_back_any_shrink() -> None:
    assert [h.file for h in decide([_file("leads.csv", 99)], LOADED, max_shrink_share=0.0)] == ["leads.csv"]


@settings(max_examples=300, deadline=None)
@given(
    before=st.integers(min_value=0, max_value=10_000),
    now=st.integers(min_value=0, max_value=10_000),
    rejected=st.booleans(),
    share=st.floats(min_value=0.0, max_value=1.0),
    accepted=st.booleans(),
)
def test_a_file_is_applied_only_when_nothing_of_it_can_be_lost_unasked(
    before: int, now: int, rejected: bool, share: float, accepted: bool
) -> None:
    """Property: a file that loaded rows before is applied only when accepted, or when it is a
    readable export with at least (1 - share) of those rows."""
    row = _file("f.csv", 0 if rejected else now, "rejected" if rejected else "ok")
    held = decide([row], {"f.csv": before}, max_shrink_share=share, accepted={"f.csv"} if accepted else ())
    applied = not held
    safe = before == 0 or accepted or (not rejected and now > 0 and now >= before * (1 - share))
    assert applied == safe
    if held:
        assert (held[0].loaded, held[0].now) == (before, 0 if rejected else now)
