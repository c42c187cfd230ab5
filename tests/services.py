"""The Redis and PostgreSQL servers that .ci/services starts for the tests."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from typing import NoReturn
from urllib.parse import urlsplit

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


@contextlib.asynccontextmanager
async def fresh_postgres_database(prefix: str) -> AsyncIterator[str]:
    """The URL of a new database on the TEST_DATABASE_URL server, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        services_unavailable("TEST_DATABASE_URL is not set (source .ci/services)")
    name = f"{prefix}_{secrets.token_hex(6)}"
    await pg_execute(base, f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(base)._replace(path=f"/{name}").geturl()
    finally:
        await pg_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
