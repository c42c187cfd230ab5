"""The Redis and PostgreSQL servers that .ci/services starts for the tests."""

from __future__ import annotations

import os
from typing import NoReturn

import asyncpg
import pytest

from bot.storage.postgres import redact_url


def services_unavailable(reason: str) -> NoReturn:
    """Skip, or fail when REQUIRE_TEST_SERVICES=1 says the servers must be there."""
    if os.environ.get("REQUIRE_TEST_SERVICES") == "1":
        pytest.fail(f"{reason}, but REQUIRE_TEST_SERVICES=1")
    pytest.skip(reason)


async def pg_execute(url: str, sql: str) -> None:
    """Runs one statement on the PostgreSQL server at `url` (skips or fails when it is not there)."""
    if not url:
        services_unavailable("TEST_DATABASE_URL is not set (source .ci/services)")
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        services_unavailable(f"no PostgreSQL server at {redact_url(url)} ({type(exc).__name__})")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
