"""The embedded backend: one SQLite file under VENICE_MCP_HOME.

WAL mode so readers never block the writer; every write is its own short transaction, so a crash
loses at most the statement in flight. One connection, shared by the event loop thread and worker
threads and serialized here; ``transaction()`` is BEGIN IMMEDIATE, which also serializes it with
other processes sharing the file.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from venice_mcp.config import STATE_DB_FILE
from venice_mcp.storage.base import Database, Params, Row, Tx
from venice_mcp.storage.schema import migrate

FILENAME = STATE_DB_FILE  # beside the other files of the home, which config.py lists


# Servers in one process open their files one at a time: SQLite answers "database is locked" at
# once, without waiting, to a connection opening a new file while another switches it to WAL.
_OPENING = threading.Lock()


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


class SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def insert(self, sql: str, params: Params = ()) -> int:
        return int(self._conn.execute(sql, params).lastrowid or 0)

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self._conn.execute(sql, params).fetchall())

    def lock(self, key: str) -> None:
        """BEGIN IMMEDIATE already holds the one writer lock of the file."""


class SqliteDatabase(Database):
    dialect = "sqlite"
    for_update = ""
    skip_locked = ""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._conn.row_factory = _dict_row
        self._lock = threading.RLock()
        self._tx = SqliteTx(self._conn)
        with self._lock, _OPENING:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL survives a crash of this process (WAL); transaction() upgrades to FULL, which
            # also survives power loss, for the writes money depends on.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            with self.transaction() as tx:
                migrate(tx, "sqlite")

    @classmethod
    def in_home(cls, home: Path) -> SqliteDatabase:
        return cls(home / FILENAME)

    @staticmethod
    def day_of(column: str) -> str:
        return f"date({column}, 'unixepoch')"

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
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
                self._conn.execute("PRAGMA synchronous=NORMAL")

    @contextmanager
    def _autocommit(self) -> Iterator[Tx]:
        with self._lock:
            yield self._tx

    def execute_batch(self, sql: str, rows: Sequence[Params]) -> None:
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(sql, rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
