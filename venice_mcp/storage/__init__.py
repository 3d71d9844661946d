"""State storage: one interface (``base.Database``), two backends. The SQLite file under
VENICE_MCP_HOME is the embedded default; VENICE_MCP_DATABASE_URL=postgresql://… selects
PostgreSQL, shared by every worker that names it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venice_mcp.storage.base import Database, Row, StorageError, Tx

if TYPE_CHECKING:
    from venice_mcp.config import Settings

__all__ = ["Database", "Row", "StorageError", "Tx", "has_state", "open_database", "postgres_url"]


def postgres_url(settings: Settings) -> str | None:
    """The PostgreSQL database these settings keep state in; None: the SQLite file in the home."""
    return settings.database_url.get() if settings.database_url is not None else None


def has_state(settings: Settings) -> bool:
    """Whether there is state to read without creating any (a home never used has none)."""
    from venice_mcp.config import STATE_DB_FILE

    return postgres_url(settings) is not None or (settings.home / STATE_DB_FILE).exists()


async def open_database(settings: Settings) -> Database:
    """The state database these settings name, migrated to the current schema (close it with
    ``aclose``, in the same event loop: a PostgreSQL pool belongs to the loop that opened it)."""
    url = postgres_url(settings)
    if url is not None:
        from venice_mcp.storage.postgres import PostgresDatabase  # psycopg loads only here

        return await PostgresDatabase.open(url)
    from venice_mcp.storage.sqlite import SqliteDatabase

    return await SqliteDatabase.in_home(settings.home)
