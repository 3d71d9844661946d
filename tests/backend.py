"""Which state backend the tests' servers use: SQLite (the default) or, with
VENICE_MCP_TEST_DATABASE_URL=postgresql://…, PostgreSQL, in a fresh schema for every test that is
dropped after it (tests/conftest.py). ``state_db(home)`` opens the database a test's server used."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from venice_mcp.storage import Database

TEST_URL_ENV = "VENICE_MCP_TEST_DATABASE_URL"
_current: list[str] = []  # the running test's schema-scoped URL, when on PostgreSQL
_opened: list[Database] = []  # what state_db opened there, closed after the test


def on_postgres() -> bool:
    return bool(os.environ.get(TEST_URL_ENV))


def current_url() -> str | None:
    return _current[-1] if _current else None


def state_db(home: Path) -> Database:
    url = current_url()
    if url is not None:
        from venice_mcp.storage.postgres import PostgresDatabase

        db = PostgresDatabase(url)
        _opened.append(db)
        return db
    from venice_mcp.storage.sqlite import SqliteDatabase

    return SqliteDatabase.in_home(home)


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
