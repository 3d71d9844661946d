"""The one storage interface every state module (ledger, jobs, call records, receipts) writes through.

Both backends speak the same small surface: autocommitted single statements, and ``transaction()``
for a check and the write that depends on it. The modules' SQL is written once, with ``?``
placeholders and rows as dicts; the few places where the dialects differ are attributes here
(``for_update``, ``skip_locked``, ``day_of``) and ``Tx.lock``, which serializes transactions that
take the same key (SQLite's BEGIN IMMEDIATE already serializes every writer; PostgreSQL takes a
transaction-scoped advisory lock).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Literal

Row = dict[str, Any]
Params = Sequence[Any]
Dialect = Literal["sqlite", "postgresql"]


class StorageError(RuntimeError):
    """The state database cannot be opened or migrated; the message never holds a password."""


class Tx(ABC):
    """One open transaction (or, outside ``transaction()``, one autocommitted statement)."""

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abstractmethod
    def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT into a table with an ``id`` column; the new row's id."""

    @abstractmethod
    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    def lock(self, key: str) -> None:
        """Hold ``key`` until this transaction ends: others taking it wait."""

    def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def script(self, sql: str) -> None:
        """Run ``;``-separated DDL (no ``;`` inside a statement), inside this transaction."""
        for statement in sql.split(";"):
            if statement.strip():
                self.execute(statement)


class Database(ABC):
    dialect: ClassVar[Dialect]
    # Appended to a SELECT whose rows the transaction goes on to change (a row lock on PostgreSQL;
    # SQLite's writer lock covers the whole file already).
    for_update: ClassVar[str]
    # ...and to one that should pass over rows another transaction holds rather than wait for them.
    skip_locked: ClassVar[str]

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Tx]:
        """BEGIN ... COMMIT (ROLLBACK on an exception), durable once it returns."""

    @abstractmethod
    def _autocommit(self) -> AbstractContextManager[Tx]:
        """A Tx whose statements each commit on their own."""

    @abstractmethod
    def execute_batch(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement for many rows, in one transaction."""

    @abstractmethod
    def close(self) -> None: ...

    @staticmethod
    @abstractmethod
    def day_of(column: str) -> str:
        """SQL for the UTC day (YYYY-MM-DD) of a unix-seconds column."""

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._autocommit() as tx:
            return tx.execute(sql, params)

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._autocommit() as tx:
            return tx.query(sql, params)
