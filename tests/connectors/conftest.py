"""Fixtures for connector tests: the recorded real API payloads they replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_data


@pytest.fixture(scope="session")
def api_samples() -> Path:
    """Return ../shared/data/api-samples; skip when it is absent, but fail when CI=true."""
    return shared_data("api-samples")
