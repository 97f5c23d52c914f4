"""The compiled report's tests share the seeded campaigns (`seed.py`) and an output folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from tests.report.seed import OUTPUT, Seeded, seed_campaigns


@pytest.fixture
def seeded(app: App) -> Seeded:
    """World Refugee Day with 22 states asked, and a pledge update (see `seed.py`)."""
    return seed_campaigns(app)


@pytest.fixture
def output() -> Path:
    """Where reports and their pages as PNG are saved to be looked at (ignored by git)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
