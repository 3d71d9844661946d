"""Versioned migrations: each runs once, an existing SQLite home migrates in place without losing a
row, and PostgreSQL workers starting together migrate once."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import pytest

from venice_mcp.payments.ledger import Ledger, new_owner, retire_owner
from venice_mcp.payments.receipts import Receipts
from venice_mcp.storage.base import Database
from venice_mcp.storage.schema import MIGRATIONS, TABLES
from venice_mcp.storage.sqlite import SqliteDatabase

# The tables as the first releases made them, before the lease columns and x402's upto scheme.
BEFORE = TABLES.replace(",\n    owner TEXT,\n    claimed_until REAL NOT NULL DEFAULT 0\n", "\n", 1).replace(
    "    scheme TEXT NOT NULL DEFAULT 'exact',\n    settle_amount TEXT,\n", ""
)
ORIGIN = "https://api.venice.ai/api/v1"


def old_home(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(BEFORE)
    conn.execute(
        "INSERT INTO payments (intent_id, ts, updated, origin, reason, wallet, amount_usd, value, pay_to,"
        " nonce, valid_before, header_name, header, status) VALUES ('old', ?, ?, ?, 'manual', '0x', 5,"
        " '5000000', '0x', '0x01', 0, 'X-402-Payment', 'e30=', 'unknown')",
        (time.time(), time.time(), ORIGIN),
    )
    conn.execute(
        "INSERT INTO received_payments (ts, updated, tool, network, asset, payer, nonce, value, pay_to,"
        " valid_before, price_usd, venice_usd, payload, requirement, state) VALUES"
        " (1, 1, 'venice_chat', 'n', 'a', 'p', '0x02', '1000', '0x', 0, 0.01, 0.005, '{}', '{}', 'settled')"
    )
    conn.execute("INSERT INTO calls (ts, tool, auth, status) VALUES (1, 'venice_chat', 'api_key', 'ok')")
    conn.commit()
    conn.close()


@pytest.mark.anyio
async def test_an_existing_home_migrates_in_place_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    old_home(path)
    db = await SqliteDatabase.open(path)
    ledger = Ledger(db)
    assert len(await ledger.calls()) == 1 and [p["intent_id"] for p in await ledger.payments()] == ["old"]
    # The old open payment can be leased and reconciled, the old receipt reads as 'exact'.
    me = new_owner()
    claimed = await ledger.claim_payment("old", owner=me)
    assert claimed is not None and claimed["owner"] == me
    retire_owner(me)
    receipt = await Receipts(db).get(1)
    assert receipt is not None and receipt.scheme == "exact" and receipt.settle_amount is None
    versions = await db.query("SELECT version FROM schema_migrations")
    assert [v["version"] for v in versions] == [m.version for m in MIGRATIONS]
    await db.aclose()


@pytest.mark.anyio
async def test_each_migration_runs_once(tmp_path: Path) -> None:
    for _ in range(3):  # opened again and again, as every start and every process does
        await (await SqliteDatabase.open(tmp_path / "state.sqlite3")).aclose()
    db = await SqliteDatabase.open(tmp_path / "state.sqlite3")
    assert len(await db.query("SELECT version FROM schema_migrations")) == len(MIGRATIONS)
    [home_id] = await db.query("SELECT value FROM store_info")
    assert len(str(home_id["value"])) == 32
    await db.aclose()


def open_together(
    open_one: Callable[[], Awaitable[Database]], servers: int = 4
) -> tuple[int, list[BaseException]]:
    """``servers`` threads, each with an event loop of its own (as workers have), open the
    database at the same moment and keep it open until all have tried; (opened, errors)."""
    started, tried = threading.Barrier(servers), threading.Barrier(servers)
    errors: list[BaseException] = []
    opened: list[int] = []

    async def start() -> None:
        started.wait(timeout=30)
        db = None
        try:
            db = await open_one()
            assert len(await db.query("SELECT version FROM schema_migrations")) == len(MIGRATIONS)
            opened.append(1)
        except BaseException as exc:
            errors.append(exc)
        tried.wait(timeout=60)
        if db is not None:
            await db.aclose()

    threads = [threading.Thread(target=anyio.run, args=(start,)) for _ in range(servers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return len(opened), errors


def test_postgres_workers_starting_together_migrate_once(pg_url: str) -> None:
    from venice_mcp.storage.postgres import PostgresDatabase

    assert open_together(lambda: PostgresDatabase.open(pg_url, max_size=1)) == (4, [])


def test_servers_opening_a_new_home_together_all_open_it(tmp_path: Path) -> None:
    """Servers of one process making the state file at the same moment: none is told the database
    is locked (it happened to two wallet servers racing for a top-up)."""
    # Each attempt races once; without the fix, about one in five of them failed.
    for attempt in range(40):
        path = tmp_path / f"home{attempt}" / "state.sqlite3"
        assert open_together(lambda: SqliteDatabase.open(path)) == (4, [])  # noqa: B023 - used at once
