"""The one SQLite database under VENICE_MCP_HOME: calls, payments and jobs survive restarts.

WAL mode so readers never block the writer; every write is its own short transaction, so a crash
loses at most the statement in flight. Each owner module declares its tables as ``SCHEMA`` text
and calls ``Database.ensure`` once; statements are idempotent (CREATE ... IF NOT EXISTS).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from venice_mcp.config import STATE_DB_FILE

FILENAME = STATE_DB_FILE  # beside the other files of the home, which config.py lists


class Database:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection shared by the event loop thread and worker threads, serialized here.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL survives a crash of this process (WAL); transaction() upgrades to FULL, which
            # also survives power loss, for the writes money depends on.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
        self._ensured: set[str] = set()

    @classmethod
    def in_home(cls, home: Path) -> Database:
        return cls(home / FILENAME)

    def ensure(self, schema: str) -> None:
        if schema in self._ensured:
            return
        with self._lock:
            self._conn.executescript(schema)
            self._ensured.add(schema)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, synced to disk: a check and the write that depends on it
        happen atomically, across threads here and across processes sharing the file."""
        with self._lock:
            self._conn.execute("PRAGMA synchronous=FULL")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            finally:
                self._conn.execute("PRAGMA synchronous=NORMAL")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            cursor = self._conn.execute(sql, params)
            return cursor.lastrowid or cursor.rowcount

    def execute_batch(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many rows, in one transaction (at the default NORMAL sync)."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(sql, rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            self._conn.close()
