"""SQLite runs its statements on the event loop, one connection for every task: a transaction is
whole only while its body runs statements alone. A body that awaits something else and lets
another task's statement in is refused, rather than committing that statement with it."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from venice_mcp.storage.sqlite import SqliteDatabase

pytestmark = pytest.mark.anyio


async def test_another_tasks_statement_inside_an_open_transaction_is_refused(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "state.sqlite3")
    refused: list[BaseException] = []
    inside = anyio.Event()

    async def intruder() -> None:
        await inside.wait()
        try:
            await db.execute(
                "INSERT INTO jobs (id, kind, model, queue_id, status, base_url, created, updated)"
                " VALUES ('j2', 'music', 'm', 'q2', 'queued', 'b', 0, 0)"
            )
        except RuntimeError as exc:
            refused.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(intruder)
        with pytest.raises(RuntimeError, match="boom"):
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO jobs (id, kind, model, queue_id, status, base_url, created, updated)"
                    " VALUES ('j1', 'music', 'm', 'q1', 'queued', 'b', 0, 0)"
                )
                inside.set()
                with anyio.fail_after(5):
                    while not refused:  # a body that awaits: the intruder runs now
                        await anyio.sleep(0)
                raise RuntimeError("boom")  # rolls back: nothing of either task is kept
    assert "awaited something other than its own statements" in str(refused[0])
    assert await db.query("SELECT id FROM jobs") == []
    await db.aclose()


async def test_statements_after_a_transaction_run_as_usual(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / "state.sqlite3")
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO jobs (id, kind, model, queue_id, status, base_url, created, updated)"
            " VALUES ('j1', 'music', 'm', 'q1', 'queued', 'b', 0, 0)"
        )
    assert await db.execute("UPDATE jobs SET status = 'failed' WHERE id = 'j1'") == 1
    assert await db.query("SELECT status FROM jobs") == [{"status": "failed"}]
    await db.aclose()
