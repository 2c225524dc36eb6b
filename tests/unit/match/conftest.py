"""Fixtures of the matcher's tests (the scenario records live in match_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from match_fixtures import COMMITTED_MODEL, Persons, build_scenarios


@pytest.fixture(scope="session")
def scenarios() -> Persons:
    return build_scenarios()


@pytest.fixture(scope="session")
def committed_model() -> Path:
    assert COMMITTED_MODEL.is_file(), "the committed model models/person_model.json is missing"
    return COMMITTED_MODEL


@pytest.fixture(scope="session")
def match_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crm_home")
