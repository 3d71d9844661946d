"""The shared backend: PostgreSQL through psycopg 3's async driver and an async connection pool,
for several workers on one or several machines: a statement waiting on the database leaves the
event loop to the other calls. Imported only when VENICE_MCP_DATABASE_URL is set, so the embedded
default never loads psycopg.

Statements are the modules' own (``?`` placeholders, translated here). Isolation is READ COMMITTED;
a check and the write that depends on it take a row lock (``for_update``) or an advisory lock
(``Tx.lock``) first, so each statement after it sees what the previous holder committed. The
database URL may hold a password: no message here carries the URL, and errors from the driver are
scrubbed of the password before they are raised.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from venice_mcp.storage.base import Database, Params, Row, StorageError, Tx
from venice_mcp.storage.schema import migrate

POOL_MAX = 8  # per worker: transactions in flight at once (a statement holds one only while it runs)
CONNECT_TIMEOUT_S = 10.0
VARIABLE = "VENICE_MCP_DATABASE_URL"


@functools.lru_cache(maxsize=512)
def _sql(sql: str) -> str:
    # The modules write SQLite's ``?``; psycopg wants ``%s`` (and a literal ``%`` doubled).
    return sql.replace("%", "%%").replace("?", "%s")


def scrub(text: str, url: str) -> str:
    """``text`` without the URL's password (in either spelling) or the URL itself."""
    password = urlsplit(url).password
    for secret in (url, password, unquote(password or "")):
        if secret:
            text = text.replace(secret, "***")
    return text


class PostgresTx(Tx):
    def __init__(self, conn: psycopg.AsyncConnection[Row]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return (await self._conn.execute(_sql(sql), params)).rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        row = await (await self._conn.execute(_sql(sql) + " RETURNING id", params)).fetchone()
        return int(row["id"]) if row is not None else 0

    async def query(self, sql: str, params: Params = ()) -> list[Row]:
        return await (await self._conn.execute(_sql(sql), params)).fetchall()

    async def lock(self, key: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


class PostgresDatabase(Database):
    dialect = "postgresql"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, pool: AsyncConnectionPool[psycopg.AsyncConnection[Row]]) -> None:
        """Wrap an open pool; ``open`` makes one and migrates the database (use that)."""
        self._url = url
        self._pool = pool

    @classmethod
    async def open(
        cls, url: str, *, max_size: int = POOL_MAX, timeout_s: float = CONNECT_TIMEOUT_S
    ) -> PostgresDatabase:
        kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
        pool: AsyncConnectionPool[psycopg.AsyncConnection[Row]] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs=kwargs,
            open=False,
            name="venice-mcp",
            # A connection the server dropped (a restart, a failover) is replaced before use, so
            # no statement fails for it; it costs one round trip per checkout.
            check=AsyncConnectionPool.check_connection,
        )
        db = cls(url, pool)
        try:
            await pool.open(wait=True, timeout=timeout_s)
            async with db.transaction() as tx:
                await migrate(tx, "postgresql")
        except (PoolTimeout, psycopg.Error) as exc:
            await pool.close()
            detail = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url)
            raise StorageError(
                f"could not open the PostgreSQL database named by {VARIABLE}: {detail}"
            ) from None
        except BaseException:
            await pool.close()
            raise
        return db

    @staticmethod
    def day_of(column: str) -> str:
        return f"to_char(to_timestamp({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self._pool.connection() as conn, conn.transaction():
            yield PostgresTx(conn)

    @asynccontextmanager
    async def _autocommit(self) -> AsyncIterator[Tx]:
        async with self._pool.connection() as conn:
            yield PostgresTx(conn)

    async def execute_batch(self, sql: str, rows: Sequence[Params]) -> None:
        async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            await cursor.executemany(_sql(sql), rows)

    async def aclose(self) -> None:
        await self._pool.close()
