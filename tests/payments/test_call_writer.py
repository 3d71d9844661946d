"""Call records are written off the event loop, in batches, and never lost by a clean stop."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.backend import state_db
from venice_mcp.payments.ledger import CallRecord, Ledger


def record(n: int) -> CallRecord:
    return CallRecord(f"tool{n}", "api_key", "ok", model="m", estimate_usd=0.001, request_id=f"r{n}")


def test_a_reader_sees_every_record_queued_before_it(tmp_path: Path) -> None:
    ledger = Ledger(state_db(tmp_path))
    for n in range(500):
        ledger.record_call(record(n))
    rows = ledger.calls()
    assert [r["tool"] for r in rows] == [f"tool{n}" for n in range(500)]
    assert ledger.calls_for_requests(["r7"])["r7"]["tool"] == "tool7"
    ledger.close()


def test_recording_does_not_write_on_the_callers_thread(tmp_path: Path) -> None:
    db = state_db(tmp_path)
    ledger = Ledger(db)
    writers: list[str] = []
    original = db.execute_batch

    def spy(sql: str, rows: object) -> None:
        writers.append(threading.current_thread().name)
        original(sql, rows)  # type: ignore[arg-type]

    db.execute_batch = spy  # type: ignore[method-assign]
    for n in range(3):
        ledger.record_call(record(n))
    ledger.calls()
    assert writers and threading.current_thread().name not in writers


def test_close_writes_what_is_queued_for_another_process(tmp_path: Path) -> None:
    ledger = Ledger(state_db(tmp_path))
    for n in range(10):
        ledger.record_call(record(n))
    ledger.close()
    other = Ledger(state_db(tmp_path))  # a second connection, as another process would open
    assert len(other.calls()) == 10
    other.close()


def test_a_failed_write_is_logged_and_later_records_still_land(tmp_path: Path, caplog: object) -> None:
    db = state_db(tmp_path)
    ledger = Ledger(db)
    original = db.execute_batch
    calls = {"n": 0}

    def flaky(sql: str, rows: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk full")
        original(sql, rows)  # type: ignore[arg-type]

    db.execute_batch = flaky  # type: ignore[method-assign]
    ledger.record_call(record(1))
    ledger.calls()  # the first batch fails (logged), nothing raised here
    ledger.record_call(record(2))
    assert [r["tool"] for r in ledger.calls()] == ["tool2"]
    assert "could not record" in str(getattr(caplog, "text", ""))
    ledger.close()
