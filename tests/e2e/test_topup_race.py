"""Four workers (``serve --workers 4``) on one database race twenty $10 top-ups for a $20 daily
limit, from twenty concurrent clients: exactly $20 is paid, no authorization is signed twice, and
the ledger and the simulator (a process of its own, standing in for Venice and the facilitator)
agree on every payment. On PostgreSQL (the several-machines setup) and on one SQLite home shared
by the four workers alike: the rule lives in the database, not in a process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from eth_account import Account
from mcp import Client
from mcp.types import CallToolResult, TextContent

from tests.backend import fresh_schema
from tests.e2e.helpers import CALL_TIMEOUT, Sandbox, http_child
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.storage import Database

pytestmark = pytest.mark.anyio

CLIENTS = 20
# Each worker's payer takes its own top-ups one at a time, so the first round of the race is one
# top-up per worker: with $10 each, four workers that did not see each other could pay $40.
AMOUNT_USD = 10.0
DAILY_USD = 20.0
WORKERS = 4
# On PostgreSQL the race is made to overlap: writes to the payments table are held until this many
# workers wait on a lock, then all go at once. Workers that checked the window without the wallet's
# lock would all have read $0 by then: three are enough to pay $30, and the 20 clients reach at
# least three of the four workers but for a chance of about 1 in 10^5.
OVERLAP = 3
WAITING = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
)


def text_of(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


@asynccontextmanager
async def state_database(
    request: pytest.FixtureRequest, backend: str, home: Path
) -> AsyncIterator[tuple[str, Database]]:
    """The VENICE_MCP_DATABASE_URL the workers get ("" keeps SQLite in the home), and that database."""
    if backend == "sqlite":
        from venice_mcp.storage.sqlite import SqliteDatabase

        home.mkdir(parents=True)
        db: Database = await SqliteDatabase.in_home(home)
        try:
            yield "", db
        finally:
            await db.aclose()
        return
    server: str = request.getfixturevalue("postgres_server")  # skips where none can be started
    from venice_mcp.storage.postgres import PostgresDatabase

    with fresh_schema(server) as url:
        db = await PostgresDatabase.open(url)
        try:
            yield url, db
        finally:
            await db.aclose()


@asynccontextmanager
async def payment_writes_held(db: Database, backend: str) -> AsyncIterator[None]:
    """PostgreSQL: no worker writes a payment until OVERLAP workers are waiting on a lock (the
    wallet's, or this one), so their checks of the daily window run at once. Reads go on (SHARE
    ROW EXCLUSIVE blocks only writes). SQLite: nothing is held; BEGIN IMMEDIATE takes the file's
    one write lock before the check, so the race cannot overlap there."""
    if backend == "sqlite":
        yield
        return
    async with db.transaction() as tx:
        await tx.execute("LOCK TABLE payments IN SHARE ROW EXCLUSIVE MODE")
        yield
        # Nothing signals a lock wait; poll for it (bounded by the caller's fail_after).
        while len(await db.query(WAITING)) < OVERLAP:
            await anyio.sleep(0.01)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_four_workers_racing_twenty_top_ups_pay_exactly_the_daily_limit_once_each(
    sandbox: Sandbox, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    key = "0x" + bytes(Account.create().key).hex()
    address = EthAccountSigner(key).address
    home = tmp_path / "home"
    async with state_database(request, backend, home) as (url, db):
        env = {
            "VENICE_BASE_URL": sandbox.api,
            "VENICE_WALLET_KEY": key,
            "VENICE_MCP_DAILY_TOPUP_USD": str(DAILY_USD),
            "VENICE_MCP_MAX_TOPUP_USD": str(AMOUNT_USD),
            "VENICE_MCP_DATABASE_URL": url,
        }
        results: list[CallToolResult] = []

        async with http_child(home, "--workers", str(WORKERS), **env) as server:
            connected, go = [0], anyio.Event()

            async def top_up() -> None:
                async with Client(server.base + "/mcp") as client:
                    # Every client connected first, then all call at once: the tightest race.
                    connected[0] += 1
                    if connected[0] == CLIENTS:
                        go.set()
                    await go.wait()
                    args = {"amount_usd": AMOUNT_USD, "confirm": True}
                    results.append(await client.call_tool("venice_wallet_top_up", args))

            with anyio.fail_after(CALL_TIMEOUT * 2):
                async with anyio.create_task_group() as tg, payment_writes_held(db, backend):
                    for _ in range(CLIENTS):
                        tg.start_soon(top_up)
        payments: list[dict[str, Any]] = await db.query("SELECT * FROM payments ORDER BY id")

    paid = [r for r in results if not r.is_error]
    refused = [r for r in results if r.is_error]
    assert len(results) == CLIENTS
    assert len(paid) == DAILY_USD / AMOUNT_USD, [text_of(r) for r in refused][:3]
    for result in paid:
        assert text_of(result).startswith(f"Topped up ${AMOUNT_USD:.2f}"), text_of(result)
    for result in refused:  # each loser is told why, and that nothing moved
        text = text_of(result)
        assert "VENICE_MCP_DAILY_TOPUP_USD" in text and "Nothing was paid" in text, text

    # The ledger: four settled payments, $20 in all, one distinct signed nonce each.
    assert [p["status"] for p in payments] == ["settled"] * len(paid)
    assert sum(p["amount_usd"] for p in payments) == DAILY_USD
    ledger_nonces = {str(p["nonce"]).lower() for p in payments}
    assert len(ledger_nonces) == len(payments)

    # Venice's side: the same payments, each authorization submitted and settled once.
    book = await sandbox.control("GET", "topups")
    assert {n.lower() for n in book["nonces"]} == ledger_nonces
    assert len(book["submissions"]) == len(payments)
    settlements = book["settlements"]
    assert {s["nonce"].lower() for s in settlements} == ledger_nonces
    assert sum(s["credited_usd"] for s in settlements) == DAILY_USD
    assert {s["payment_id"] for s in settlements} == {p["payment_id"] for p in payments}
    balance = await sandbox.control("GET", f"balance/{address}")
    assert balance["balance"] == DAILY_USD
