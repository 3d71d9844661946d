"""State storage: one interface (``base.Database``), two backends. The SQLite file under
VENICE_MCP_HOME is the embedded default; VENICE_MCP_DATABASE_URL=postgresql://… selects
PostgreSQL, shared by every worker that names it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venice_mcp.storage.base import Database, Row, StorageError, Tx

if TYPE_CHECKING:
    from venice_mcp.config import Settings

__all__ = ["Database", "Row", "StorageError", "Tx", "open_database"]


def open_database(settings: Settings) -> Database:
    """The state database these settings name, migrated to the current schema."""
    if settings.database_url is not None:
        from venice_mcp.storage.postgres import PostgresDatabase  # psycopg loads only here

        return PostgresDatabase(settings.database_url.get())
    from venice_mcp.storage.sqlite import SqliteDatabase

    return SqliteDatabase.in_home(settings.home)
