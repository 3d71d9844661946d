"""The embedded backend: one SQLite file under VENICE_MCP_HOME.

WAL mode so readers never block the writer; every write is its own short transaction, so a crash
loses at most the statement in flight. One connection, serialized here. Statements run on the
event loop (a local file answers in microseconds; a thread hop would cost more than the
statement), except ``execute_batch``, the call records' periodic write, which runs in a thread.
``transaction()`` is BEGIN IMMEDIATE, which also serializes it with other processes sharing the
file.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from venice_mcp.config import STATE_DB_FILE
from venice_mcp.storage.base import Database, Params, Row, Tx
from venice_mcp.storage.schema import migrate

FILENAME = STATE_DB_FILE  # beside the other files of the home, which config.py lists


# Servers in one process open their files one at a time: SQLite answers "database is locked" at
# once, without waiting, to a connection opening a new file while another switches it to WAL.
_OPENING = threading.Lock()


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


def _task() -> int | None:
    try:
        return anyio.get_current_task().id
    except RuntimeError:  # no event loop (a worker thread)
        return None


class SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        return int(self._conn.execute(sql, params).lastrowid or 0)

    async def query(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self._conn.execute(sql, params).fetchall())

    async def lock(self, key: str) -> None:
        """BEGIN IMMEDIATE already holds the one writer lock of the file."""


class SqliteDatabase(Database):
    dialect = "sqlite"
    for_update = ""
    skip_locked = ""

    def __init__(self, path: Path) -> None:
        """Open the file; ``open`` also migrates it (use that)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._conn.row_factory = _dict_row
        # The thread lock orders the loop and execute_batch's thread; _in_tx names the task whose
        # transaction is open, since every task of the loop holds the same thread lock.
        self._lock = threading.RLock()
        self._in_tx: int | None = None
        self._tx = SqliteTx(self._conn)

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        db = cls(path)
        with db._lock, _OPENING:
            db._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL survives a crash of this process (WAL); transaction() upgrades to FULL, which
            # also survives power loss, for the writes money depends on.
            db._conn.execute("PRAGMA synchronous=NORMAL")
            db._conn.execute("PRAGMA foreign_keys=ON")
            async with db.transaction() as tx:
                await migrate(tx, "sqlite")
        return db

    @classmethod
    async def in_home(cls, home: Path) -> SqliteDatabase:
        return await cls.open(home / FILENAME)

    @staticmethod
    def day_of(column: str) -> str:
        return f"date({column}, 'unixepoch')"

    def _check_alone(self) -> int | None:
        task = _task()
        if self._in_tx is not None and self._in_tx != task:
            raise RuntimeError("a SQLite transaction awaited something other than its own statements")
        return task

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        with self._lock:
            self._in_tx = self._check_alone()
            self._conn.execute("PRAGMA synchronous=FULL")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._tx
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            finally:
                self._in_tx = None
                self._conn.execute("PRAGMA synchronous=NORMAL")

    @asynccontextmanager
    async def _autocommit(self) -> AsyncIterator[Tx]:
        with self._lock:
            self._check_alone()
            yield self._tx

    def _batch(self, sql: str, rows: Sequence[Params]) -> None:
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(sql, rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    async def execute_batch(self, sql: str, rows: Sequence[Params]) -> None:
        await anyio.to_thread.run_sync(self._batch, sql, rows)

    async def aclose(self) -> None:
        with self._lock:
            self._conn.close()
