"""Workers in separate processes, each with its own connection pool on one PostgreSQL, racing for
what only one of them may have: the last top-up allowance, one received authorization, the daily
share, one payment to reconcile. The database decides (locks and unique keys), never timing."""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from tests.storage.race_worker import WALLET, payment
from venice_mcp.payments.ledger import Ledger
from venice_mcp.storage.postgres import PostgresDatabase

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
RACERS = 6


async def _line(stream: BufferedByteReceiveStream) -> str:
    return (await stream.receive_until(b"\n", 65536)).decode()


async def race(url: str, *racers: list[str]) -> list[Any]:
    """Start every racer, wait until all are connected, release them at once; their outcomes."""
    procs: list[Process] = []
    try:
        with anyio.fail_after(60):
            for args in racers:
                procs.append(
                    await anyio.open_process(
                        [sys.executable, "-m", "tests.storage.race_worker", args[0], url, *args[1:]], cwd=ROOT
                    )
                )
            outs = [BufferedByteReceiveStream(p.stdout) for p in procs if p.stdout is not None]
            for out in outs:
                assert await _line(out) == "ready"
            for proc in procs:
                assert proc.stdin is not None
                await proc.stdin.send(b"go\n")
            results = [json.loads(await _line(out)) for out in outs]
            for proc in procs:
                assert await proc.wait() == 0
            return results
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def test_workers_racing_for_the_last_allowance_pay_exactly_the_daily_limit(pg_url: str) -> None:
    db = await PostgresDatabase.open(pg_url)
    try:
        # $15 of a $20 day is spent: six workers each want $5 more, one of them gets it.
        for _ in range(3):
            assert (await Ledger(db).reserve_payment(payment(5.0), daily_limit_usd=20.0))[0]
        won = await race(pg_url, *[["topup", "5", "20"]] * RACERS)
        assert sorted(won) == [False] * (RACERS - 1) + [True]
        assert await Ledger(db).topups_since(time.time() - 3600, wallet=WALLET) == 20.0
    finally:
        await db.aclose()


async def test_workers_racing_from_an_empty_day_fit_exactly_the_limit(pg_url: str) -> None:
    await (
        await PostgresDatabase.open(pg_url)
    ).aclose()  # migrated before the race, so the racers only race to pay
    won = await race(pg_url, *[["topup", "5", "12"]] * RACERS)
    assert won.count(True) == 2  # $10 of $12: a third $5 does not fit


async def test_one_authorization_sent_to_every_worker_is_accepted_once(pg_url: str) -> None:
    await (await PostgresDatabase.open(pg_url)).aclose()
    nonce = "0x" + uuid.uuid4().hex
    outcomes = await race(pg_url, *[["receive", nonce, "0.01", "20"]] * RACERS)
    assert sorted(outcomes) == ["accepted"] + ["replayed"] * (RACERS - 1)


async def test_workers_share_one_daily_share_of_venice_credit(pg_url: str) -> None:
    await (await PostgresDatabase.open(pg_url)).aclose()
    racers = [["receive", "0x" + uuid.uuid4().hex, "1", "3"] for _ in range(RACERS)]
    outcomes = await race(pg_url, *racers)
    assert sorted(outcomes) == ["accepted"] * 3 + ["spent"] * (RACERS - 3)


async def test_an_abandoned_payment_is_claimed_by_exactly_one_worker(pg_url: str) -> None:
    db = await PostgresDatabase.open(pg_url)
    try:
        gone = payment(5.0)
        # Leased by a worker on another machine, whose lease ran out: only its expiry frees it.
        ledger = Ledger(db)
        await ledger.reserve_payment(gone, daily_limit_usd=20.0, owner="elsewhere.invalid|4242|x", lease_s=-1)
        owners = await race(pg_url, *[["claim", gone.intent_id]] * RACERS)
        [winner] = [o for o in owners if o is not None]
        row = await ledger.payment(gone.intent_id)
        assert row is not None and row["owner"] == winner and row["claimed_until"] > time.time()
    finally:
        await db.aclose()


async def test_a_live_lease_on_another_host_is_not_claimed(pg_url: str) -> None:
    db = await PostgresDatabase.open(pg_url)
    try:
        sending = payment(5.0)
        await Ledger(db).reserve_payment(sending, daily_limit_usd=20.0, owner="elsewhere.invalid|4242|x")
        assert await race(pg_url, ["claim", sending.intent_id], ["claim", sending.intent_id]) == [None, None]
    finally:
        await db.aclose()
