"""Which state backend the tests' servers use: SQLite (the default) or, with
VENICE_MCP_TEST_DATABASE_URL=postgresql://…, PostgreSQL, in a fresh schema for every test that is
dropped after it (tests/conftest.py). ``state_db(home)`` opens the database a test's server used."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from venice_mcp.storage import Database

TEST_URL_ENV = "VENICE_MCP_TEST_DATABASE_URL"
_current: list[str] = []  # the running test's schema-scoped URL, when on PostgreSQL


def on_postgres() -> bool:
    return bool(os.environ.get(TEST_URL_ENV))


def current_url() -> str | None:
    return _current[-1] if _current else None


@asynccontextmanager
async def state_db(home: Path) -> AsyncIterator[Database]:
    """The database a server with this home keeps its state in (its own connection), open for
    the block: a PostgreSQL pool belongs to the event loop that opened it."""
    url = current_url()
    db: Database
    if url is not None:
        from venice_mcp.storage.postgres import PostgresDatabase

        db = await PostgresDatabase.open(url, max_size=2)
    else:
        from venice_mcp.storage.sqlite import SqliteDatabase

        db = await SqliteDatabase.in_home(home)
    try:
        yield db
    finally:
        await db.aclose()


async def recorded_calls(home: Path, since: float = 0.0) -> list[dict[str, Any]]:
    """The call records a server with this home wrote."""
    from venice_mcp.payments.ledger import Ledger

    async with state_db(home) as db:
        return await Ledger(db).calls(since)


async def recorded_payments(home: Path) -> list[dict[str, Any]]:
    """The payments a server with this home made (without their signed headers)."""
    from venice_mcp.payments.ledger import Ledger

    async with state_db(home) as db:
        return await Ledger(db).payments()


def in_schema(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new, empty schema on the server at ``url``; the URL that works in it. Dropped after."""
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield in_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


sqlite_only = pytest.mark.skipif(on_postgres(), reason="about the SQLite file itself")
