"""Call records are written in batches, off the tool call's path, and never lost by a clean stop."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.backend import state_db
from venice_mcp.payments import ledger as ledger_module
from venice_mcp.payments.ledger import CallRecord, Ledger

pytestmark = pytest.mark.anyio


def record(n: int) -> CallRecord:
    return CallRecord(f"tool{n}", "api_key", "ok", model="m", estimate_usd=0.001, request_id=f"r{n}")


async def test_a_reader_sees_every_record_queued_before_it(tmp_path: Path) -> None:
    async with state_db(tmp_path) as db:
        ledger = Ledger(db)
        for n in range(500):
            ledger.record_call(record(n))
        rows = await ledger.calls()
        assert [r["tool"] for r in rows] == [f"tool{n}" for n in range(500)]
        assert (await ledger.calls_for_requests(["r7"]))["r7"]["tool"] == "tool7"
        await ledger.aclose()


async def test_recording_writes_nothing_until_the_batch_is_due(tmp_path: Path) -> None:
    async with state_db(tmp_path) as db:
        ledger = Ledger(db)
        batches: list[int] = []
        written = anyio.Event()
        original = db.execute_batch

        async def spy(sql: str, rows: Sequence[Any]) -> None:
            batches.append(len(rows))
            await original(sql, rows)
            written.set()

        db.execute_batch = spy  # type: ignore[method-assign]
        for n in range(3):
            ledger.record_call(record(n))
        assert batches == []  # queued: the tool call did not wait on the database
        with anyio.fail_after(10 + ledger_module.WRITE_EVERY_S):
            await written.wait()  # the writer's own batch, WRITE_EVERY_S later
        assert batches == [3]
        await ledger.aclose()


async def test_close_writes_what_is_queued_for_another_process(tmp_path: Path) -> None:
    async with state_db(tmp_path) as db:
        ledger = Ledger(db)
        for n in range(10):
            ledger.record_call(record(n))
        await ledger.aclose()
    async with state_db(tmp_path) as db:  # a second connection, as another process would open
        other = Ledger(db)
        assert len(await other.calls()) == 10
        await other.aclose()


async def test_a_failed_write_is_logged_and_later_records_still_land(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with state_db(tmp_path) as db:
        ledger = Ledger(db)
        original = db.execute_batch
        calls = {"n": 0}

        async def flaky(sql: str, rows: Sequence[Any]) -> None:
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("disk full")
            await original(sql, rows)

        db.execute_batch = flaky  # type: ignore[method-assign]
        ledger.record_call(record(1))
        await ledger.calls()  # the first batch fails (logged), nothing raised here
        ledger.record_call(record(2))
        assert [r["tool"] for r in await ledger.calls()] == ["tool2"]
        assert "could not record" in caplog.text
        await ledger.aclose()
