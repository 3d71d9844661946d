"""`venice-mcp migrate --to postgresql://…` copies a SQLite home's payments, jobs, call records and
received payments to PostgreSQL: every row once, however often it runs."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from tests.storage.race_worker import authorization, payment
from venice_mcp import cli
from venice_mcp.jobs import JobStore
from venice_mcp.payments.ledger import CallRecord, Ledger
from venice_mcp.payments.receipts import Receipts
from venice_mcp.storage.postgres import PostgresDatabase
from venice_mcp.storage.sqlite import SqliteDatabase

TABLES = ("payments", "jobs", "received_payments", "calls")


def fill(home: Path) -> dict[str, list[dict[str, object]]]:
    async def go() -> dict[str, list[dict[str, object]]]:
        db = await SqliteDatabase.in_home(home)
        ledger = Ledger(db)
        for n in range(3):
            await ledger.reserve_payment(payment(5.0), daily_limit_usd=100.0)
            ledger.record_call(CallRecord("venice_chat", "wallet", "ok", model="m", charge_usd=0.01 * n))
        ledger.record_call(CallRecord("venice_chat", "wallet", "ok", model="m", charge_usd=0.0))  # a twin row
        ledger.record_call(CallRecord("venice_chat", "wallet", "ok", model="m", charge_usd=0.0), ts=1.0)
        ledger.record_call(CallRecord("venice_chat", "wallet", "ok", model="m", charge_usd=0.0), ts=1.0)
        await ledger.aclose()
        jobs = JobStore(db)
        await jobs.create(kind="music", model="m", queue_id="q1", base_url="http://x", params={"p": 1})
        await Receipts(db).receive(
            authorization("0x01"),
            tool="venice_chat",
            request_ref=None,
            price_usd=0.01,
            venice_usd=0.005,
            daily_limit=10,
            owner="o",
        )
        rows = {t: await db.query(f"SELECT * FROM {t} ORDER BY id") for t in TABLES}
        await db.aclose()
        return rows

    return anyio.run(go)


def copied(url: str) -> dict[str, list[dict[str, object]]]:
    async def go() -> dict[str, list[dict[str, object]]]:
        db = await PostgresDatabase.open(url)
        try:
            return {t: await db.query(f"SELECT * FROM {t} ORDER BY id") for t in TABLES}
        finally:
            await db.aclose()

    return anyio.run(go)


def without_ids(rows: list[dict[str, object]], table: str) -> list[dict[str, object]]:
    return [{k: v for k, v in r.items() if k != "id" or table == "jobs"} for r in rows]


def test_migrate_copies_every_row_once_even_when_run_twice(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VENICE_MCP_HOME", str(tmp_path))
    monkeypatch.delenv("VENICE_MCP_DATABASE_URL", raising=False)
    source = fill(tmp_path)
    assert cli.main(["migrate", "--to", pg_url]) == 0
    assert "calls: 6 copied, 0 already there" in capsys.readouterr().out
    assert cli.main(["migrate", "--to", pg_url]) == 0
    assert "calls: 0 copied, 6 already there" in capsys.readouterr().out
    target = copied(pg_url)
    for table in TABLES:
        assert without_ids(target[table], table) == without_ids(source[table], table), table


def test_migrate_without_a_home_database_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENICE_MCP_HOME", str(tmp_path / "empty"))
    assert cli.main(["migrate", "--to", "postgresql://u:pw@127.0.0.1:1/x"]) == cli.EXIT_USAGE
