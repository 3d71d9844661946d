"""The one storage interface every state module (ledger, jobs, call records, receipts) writes through.

It is async: on PostgreSQL every statement is a round trip to another machine, and an event loop
serving a hundred agents must not stand still for it. Both backends speak the same small surface:
autocommitted single statements, and ``transaction()`` for a check and the write that depends on
it. The modules' SQL is written once, with ``?`` placeholders and rows as dicts; the few places
where the dialects differ are attributes here (``for_update``, ``skip_locked``, ``day_of``) and
``Tx.lock``, which serializes transactions that take the same key (SQLite's BEGIN IMMEDIATE
already serializes every writer; PostgreSQL takes a transaction-scoped advisory lock).

A transaction's body runs statements and nothing else: no network call, no file work, no waiting
on another task. (SQLite runs its statements on the event loop, so a body that awaited anything
else would let another task's statements into its transaction; the SQLite backend refuses that.)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar, Literal

Row = dict[str, Any]
Params = Sequence[Any]
Dialect = Literal["sqlite", "postgresql"]


class StorageError(RuntimeError):
    """The state database cannot be opened or migrated; the message never holds a password."""


class Tx(ABC):
    """One open transaction (or, outside ``transaction()``, one autocommitted statement)."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abstractmethod
    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT into a table with an ``id`` column; the new row's id."""

    @abstractmethod
    async def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def lock(self, key: str) -> None:
        """Hold ``key`` until this transaction ends: others taking it wait."""

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.query(sql, params)
        return rows[0] if rows else None

    async def script(self, sql: str) -> None:
        """Run ``;``-separated DDL (no ``;`` inside a statement), inside this transaction."""
        for statement in sql.split(";"):
            if statement.strip():
                await self.execute(statement)


class Database(ABC):
    dialect: ClassVar[Dialect]
    # Appended to a SELECT whose rows the transaction goes on to change (a row lock on PostgreSQL;
    # SQLite's writer lock covers the whole file already).
    for_update: ClassVar[str]
    # ...and to one that should pass over rows another transaction holds rather than wait for them.
    skip_locked: ClassVar[str]

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """BEGIN ... COMMIT (ROLLBACK on an exception), durable once it exits."""

    @abstractmethod
    def _autocommit(self) -> AbstractAsyncContextManager[Tx]:
        """A Tx whose statements each commit on their own."""

    @abstractmethod
    async def execute_batch(self, sql: str, rows: Sequence[Params]) -> None:
        """One statement for many rows, in one transaction."""

    @abstractmethod
    async def aclose(self) -> None: ...

    @staticmethod
    @abstractmethod
    def day_of(column: str) -> str:
        """SQL for the UTC day (YYYY-MM-DD) of a unix-seconds column."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._autocommit() as tx:
            return await tx.execute(sql, params)

    async def query(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._autocommit() as tx:
            return await tx.query(sql, params)
