"""PostgreSQL stopped under the workspace: a page in the officer's language saying nothing was
changed (503, Retry-After), never a traceback; and the pages come back with the database.
The test starts PostgreSQL again whatever happens."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.robustness.test_outage import _cluster
from tests.web.conftest import Account, Client, client, staff

__all__ = ["client", "staff"]  # the workspace's fixtures, shared with its own tests

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]
AWAY = "قاعدة البيانات غير متاحة مؤقتاً"


async def test_the_workspace_says_the_database_is_away_and_comes_back_with_it(
    client: Client, staff: Account
) -> None:
    await client.sign_in(staff)
    assert (await client.get("/"))[0] == 200
    _cluster("stop")
    try:
        status, body, headers = await client.get("/")
        posted = await client.post("/outbox/1/retry", {})
    finally:
        _cluster("start")

    assert (status, headers["Retry-After"]) == (503, "30")
    assert AWAY in body and "لم يُغيَّر أي شيء" in body
    assert "Traceback" not in body and "psycopg" not in body
    assert posted[0] == 503 and AWAY in posted[1]
    assert await _back(client) == 200


async def _back(client: Client, seconds: float = 30) -> int:
    """The overview's status once PostgreSQL takes connections again (or the last one)."""
    deadline = time.monotonic() + seconds
    while True:
        status = (await client.get("/"))[0]
        if status == 200 or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.5)
