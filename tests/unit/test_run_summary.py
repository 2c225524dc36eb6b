"""The `crm-pipeline run` summary table shows what the clean stage kept that the configuration does
not know: unconfirmed branches with spellings and counts, the branch-table snippet, ``other`` words."""

from __future__ import annotations

from pathlib import Path

import yaml
from rich.console import Console

from crm_pipeline.pipeline import RunResult
from crm_pipeline.summary import run_summary_table

SNIPPET = "branches:\n- name: Tampa\n  aliases: [tampa fl]\n"


def render(summary: dict[str, object]) -> str:
    console = Console(record=True, width=160, color_system=None)
    result = RunResult("r1", Path("raw"), Path("processed"), "fp", "succeeded", summary=summary)
    console.print(run_summary_table(result))
    return console.export_text()


def test_unconfirmed_branches_snippet_and_other_words_are_shown() -> None:
    text = render(
        {
            "rows_in": 10,
            "rows_clean": 10,
            "rows_quarantined": 0,
            "values_quarantined": 2,
            "unconfirmed_branches": [
                {
                    "name": "Tampa",
                    "rows": 5,
                    "spellings": {"Tampa": 3, "tampa fl": 2},
                    "aliases": ["tampa fl"],
                }
            ],
            "branches_yaml": SNIPPET,
            "other_categories": {"status": {"done": 4, "On Hold": 1}},
        }
    )
    assert "values quarantined (row kept)" in text
    assert "Tampa (3), tampa fl (2)" in text
    snippet = text[text.index("branches:") :].split("\n\n")[0] + "\n"
    assert yaml.safe_load(snippet) == {"branches": [{"name": "Tampa", "aliases": ["tampa fl"]}]}
    assert "status: kept as other" in text and "On Hold" in text


def test_nothing_unknown_shows_no_category_tables() -> None:
    text = render({"rows_in": 1, "rows_clean": 1, "rows_quarantined": 0})
    assert "unconfirmed branches" not in text and "kept as other" not in text
