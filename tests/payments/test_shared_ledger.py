"""Payers sharing one ledger file (servers in several processes with one VENICE_MCP_HOME, each of
which starts a payer and reconciles): a payment another live payer is sending is not resubmitted,
a refusal is recorded ``failed`` only when no other send of the header can have happened,
``settled`` is never overwritten, and a crashed payer's rows are reconciled at once. Also the 503
rule: only ``X402_NOT_CONFIGURED`` proves that nothing moved."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from tests.backend import sqlite_only, state_db
from venice_mcp.api.client import VeniceClient, WalletAuth
from venice_mcp.api.retry import RetryPolicy
from venice_mcp.config import Secret, Settings
from venice_mcp.payments.ledger import LEASE_S, Ledger, NewPayment, new_owner, owner_is_dead, retire_owner
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.payments.x402 import Payer, PaymentFailed, PaymentRefused, PaymentUnknown
from venice_mcp.sandbox import SandboxState, create_app
from venice_mcp.storage.schema import TABLES
from venice_mcp.storage.sqlite import SqliteDatabase

KEY = "0x" + "5a17" * 16
ADDRESS = EthAccountSigner(KEY).address
URL = "http://sandbox.test/api/v1"
TOPUP = "/x402/top-up"
ORIGIN = "https://api.venice.ai/api/v1"


async def _no_sleep(_: float) -> None:
    return None


Answer = Callable[[], Awaitable[httpx2.Response]]


class FirstPaidSend(httpx2.AsyncBaseTransport):
    """Hands the first payment-carrying top-up POST to ``answer`` (it never reaches the sandbox);
    everything else goes to the sandbox app."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, answer: Answer) -> None:
        self.inner, self.answer, self.fired = inner, answer, False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        paid = request.url.path.endswith(TOPUP) and "x-402-payment" in request.headers
        if paid and not self.fired:
            self.fired = True
            return await self.answer()
        return await self.inner.handle_async_request(request)


@asynccontextmanager
async def payer_on(
    sandbox: SandboxState,
    home: Path,
    *,
    answer: Answer | None = None,
    clock: Callable[[], float] = time.time,
    **limits: float,
) -> AsyncIterator[tuple[Payer, Ledger]]:
    """One payer (its own connection to the ledger file, as another process would have)."""
    inner = httpx2.ASGITransport(app=create_app(sandbox))
    transport: httpx2.AsyncBaseTransport = inner if answer is None else FirstPaidSend(inner, answer)
    settings = Settings(
        wallet_key=Secret(KEY),
        base_url=URL,
        home=home,
        **{"max_topup_usd": 5.0, "daily_topup_usd": 5.0, **limits},
    )
    signer = EthAccountSigner(KEY)
    async with state_db(home) as db, httpx2.AsyncClient(transport=transport) as http:
        ledger = Ledger(db)
        client = VeniceClient(
            http,
            base_url=URL,
            auth=WalletAuth(signer),
            retry=RetryPolicy(sleep=_no_sleep, jitter=lambda: 0.0),
        )
        yield Payer(client, signer, ledger, settings, clock=clock), ledger


def rate_limited() -> httpx2.Response:
    return httpx2.Response(429, json={"error": "Rate limit exceeded."}, headers={"retry-after": "60"})


def paid_submissions(sandbox: SandboxState) -> list[Any]:
    return [r for r in sandbox.requests if r.path == TOPUP and "x-402-payment" in r.headers]


# -- the reviewer's race: B reconciles while A's first send is in flight -----------------------


@pytest.mark.anyio
async def test_a_payment_another_live_payer_is_sending_is_not_resubmitted(tmp_path: Path) -> None:
    sandbox = SandboxState()
    b_outcomes: list[dict[str, Any]] = []
    async with payer_on(sandbox, tmp_path) as (payer_b, _):

        async def b_starts_meanwhile() -> httpx2.Response:
            b_outcomes.extend(await payer_b.reconcile())  # a second server's start, or an SSE session
            return rate_limited()

        async with payer_on(sandbox, tmp_path, answer=b_starts_meanwhile) as (payer_a, ledger):
            with anyio.fail_after(30), pytest.raises(PaymentFailed, match="rate-limited"):
                await payer_a.top_up(5.0)
            # Nothing reached Venice: A's only send was refused, and B left the row to A.
            assert b_outcomes == [] and paid_submissions(sandbox) == []
            [row] = await ledger.payments()
            assert row["status"] == "failed" and row["submissions"] == 1
            assert sandbox.balance(ADDRESS) == 0.0
            # So the allowance is really free again: this one settles, and the limit then holds.
            with anyio.fail_after(30):
                assert (await payer_a.top_up(5.0)).status == "settled"
                with pytest.raises(PaymentRefused, match="VENICE_MCP_DAILY_TOPUP_USD"):
                    await payer_b.top_up(5.0)
    assert sandbox.balance(ADDRESS) == 5.0 and len(sandbox.topups.settlements) == 1


@pytest.mark.anyio
async def test_a_refusal_never_overwrites_a_payment_another_payer_settled(tmp_path: Path) -> None:
    """The reviewer's demo with A's lease expired (B's clock is past it): B claims the row and
    settles it while A's first send is being refused. A must report it settled, not 'failed', and
    the $5 stays counted: no second $5 under a $5 limit."""
    sandbox = SandboxState()
    b_outcomes: list[dict[str, Any]] = []
    later = lambda: time.time() + LEASE_S + 1  # noqa: E731
    async with payer_on(sandbox, tmp_path, clock=later) as (payer_b, _):

        async def b_reconciles_meanwhile() -> httpx2.Response:
            b_outcomes.extend(await payer_b.reconcile())
            return rate_limited()

        async with payer_on(sandbox, tmp_path, answer=b_reconciles_meanwhile) as (payer_a, ledger):
            with anyio.fail_after(30):
                result = await payer_a.top_up(5.0)
            [b_result] = b_outcomes
            assert b_result["status"] == "settled"
            assert result.status == "settled" and result.payment_id == b_result["payment_id"]
            [row] = await ledger.payments()
            assert row["status"] == "settled" and row["payment_id"] == b_result["payment_id"]
            assert await ledger.topups_since(0, wallet=ADDRESS) == 5.0
            with anyio.fail_after(30), pytest.raises(PaymentRefused, match="VENICE_MCP_DAILY_TOPUP_USD"):
                await payer_a.top_up(5.0)
    assert sandbox.balance(ADDRESS) == 5.0 and len(sandbox.topups.settlements) == 1


@pytest.mark.anyio
async def test_a_refusal_after_another_payer_claimed_the_row_is_unknown_not_failed(tmp_path: Path) -> None:
    """B claimed the row (A's lease had expired) and may be sending it: A's 429 no longer proves
    that nothing moved, so the payment stays counted and open."""
    sandbox = SandboxState()
    async with state_db(tmp_path) as db_b:
        await _claimed_by_b_meanwhile(sandbox, tmp_path, Ledger(db_b))


async def _claimed_by_b_meanwhile(sandbox: SandboxState, tmp_path: Path, ledger_b: Ledger) -> None:
    owner_b = new_owner()

    async def b_claims_meanwhile() -> httpx2.Response:
        [open_row] = await ledger_b.open_payments(origin=URL, since=0)
        assert await ledger_b.claim_payment(
            open_row["intent_id"], owner=owner_b, now=time.time() + LEASE_S + 1
        )
        return rate_limited()

    async with payer_on(sandbox, tmp_path, answer=b_claims_meanwhile) as (payer_a, ledger):
        with anyio.fail_after(30), pytest.raises(PaymentUnknown, match="Another venice-mcp server"):
            await payer_a.top_up(5.0)
        [row] = await ledger.payments()
        assert row["status"] == "unknown" and await ledger.topups_since(0, wallet=ADDRESS) == 5.0
    retire_owner(owner_b)


# -- the ledger's rules --------------------------------------------------------------------------


def _payment(n: int) -> NewPayment:
    return NewPayment(
        intent_id=f"intent-{n}",
        origin=ORIGIN,
        reason="manual",
        wallet="0x" + "11" * 20,
        amount_usd=5.0,
        value="5000000",
        pay_to="0x" + "22" * 20,
        nonce=f"0x{n:064x}",
        valid_before=0,
        header_name="X-402-Payment",
        header="e30=",
    )


@pytest.mark.anyio
async def test_failed_is_written_only_when_no_other_send_can_have_happened(tmp_path: Path) -> None:
    async with state_db(tmp_path) as db:
        ledger = Ledger(db)
        a, b = new_owner(), new_owner()
        await ledger.reserve_payment(_payment(1), daily_limit_usd=100.0, owner=a)
        await ledger.count_submission("intent-1", owner=a)
        await ledger.count_submission("intent-1", owner=b)  # somebody else sent it too
        final = await ledger.finish_payment("intent-1", "failed", owner=a, own_submissions=1, detail="400")
        assert final is not None and final["status"] == "unknown" and "another payer" in final["detail"]
        # A writer that does not hold the row cannot mark it failed either.
        await ledger.reserve_payment(_payment(2), daily_limit_usd=100.0, owner=a)
        await ledger.count_submission("intent-2", owner=a)
        final = await ledger.finish_payment("intent-2", "failed", owner=b, own_submissions=1)
        assert final is not None and final["status"] == "unknown"
        assert await ledger.topups_since(0, wallet="0x" + "11" * 20) == 10.0
        retire_owner(a)
        retire_owner(b)


@pytest.mark.anyio
async def test_settled_is_never_overwritten(tmp_path: Path) -> None:
    async with state_db(tmp_path) as db:
        ledger = Ledger(db)
        a = new_owner()
        await ledger.reserve_payment(_payment(1), daily_limit_usd=100.0, owner=a)
        await ledger.count_submission("intent-1", owner=a)
        await ledger.finish_payment("intent-1", "settled", owner=a, payment_id="x402-1", credited_usd=5.0)
        for status in ("failed", "unknown"):
            final = await ledger.finish_payment(
                "intent-1", status, owner=a, own_submissions=1, detail="late 400"
            )
            assert final is not None and final["status"] == "settled" and final["payment_id"] == "x402-1"
        final = await ledger.finish_payment(
            "intent-1", "settled", owner=a, payment_id="x402-other", tx_hash="0xab"
        )
        assert final is not None and final["payment_id"] == "x402-1" and final["tx_hash"] == "0xab"
        assert await ledger.open_payments(origin=ORIGIN, since=0) == []
        retire_owner(a)


@pytest.mark.anyio
async def test_a_live_lease_blocks_a_claim_until_it_expires_or_is_released(tmp_path: Path) -> None:
    async with state_db(tmp_path) as db:
        ledger = Ledger(db)
        a, b = new_owner(), new_owner()
        now = time.time()
        await ledger.reserve_payment(_payment(1), daily_limit_usd=100.0, owner=a, now=now)
        assert await ledger.claim_payment("intent-1", owner=b, now=now + 1) is None
        assert await ledger.claim_payment("intent-1", owner=a, now=now + 1) is not None  # its own row
        claimed = await ledger.claim_payment("intent-1", owner=b, now=now + LEASE_S + 2)
        assert claimed is not None and claimed["owner"] == b
        await ledger.release_payment("intent-1", owner=b)
        assert await ledger.claim_payment("intent-1", owner=a, now=now + LEASE_S + 3) is not None
        retire_owner(a)
        retire_owner(b)


@pytest.mark.anyio
async def test_a_crashed_owners_rows_are_claimed_at_once(tmp_path: Path) -> None:
    """A killed server (a dead pid on this host) or a payer of this process that is gone holds
    nothing: its row is reconciled now, not after the lease runs out."""
    async with state_db(tmp_path) as db:
        await _crashed_owners_rows_are_claimed(Ledger(db))


async def _crashed_owners_rows_are_claimed(ledger: Ledger) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    host = socket.gethostname()
    dead_process = f"{host}|{child.pid}|{'0' * 32}"
    gone_payer = new_owner()
    retire_owner(gone_payer)
    me = new_owner()
    now = time.time()
    for n, owner in ((1, dead_process), (2, gone_payer)):
        await ledger.reserve_payment(_payment(n), daily_limit_usd=100.0, owner=owner, now=now)
        claimed = await ledger.claim_payment(f"intent-{n}", owner=me, now=now + 1)
        assert claimed is not None and claimed["owner"] == me
    retire_owner(me)


def test_owner_liveness() -> None:
    host = socket.gethostname()
    live = new_owner()
    assert not owner_is_dead(live)
    retire_owner(live)
    assert owner_is_dead(live) and owner_is_dead(None)
    assert not owner_is_dead(f"{host}|{os.getppid()}|x")  # a running process (our parent)
    assert not owner_is_dead(f"another-host.invalid|{2**22 + 1}|x")  # cannot tell: the lease decides
    assert not owner_is_dead("garbled")


@sqlite_only
@pytest.mark.anyio
async def test_an_old_ledger_gains_the_lease_columns_and_its_open_rows_stay_reconcilable(
    tmp_path: Path,
) -> None:
    old_schema = TABLES.replace(",\n    owner TEXT,\n    claimed_until REAL NOT NULL DEFAULT 0\n", "\n", 1)
    assert old_schema != TABLES
    path = tmp_path / "state.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(old_schema)
    conn.execute(
        "INSERT INTO payments (intent_id, ts, updated, origin, reason, wallet, amount_usd, value, pay_to,"
        " nonce, valid_before, header_name, header, status) VALUES ('old', ?, ?, ?, 'manual', '0x', 5,"
        " '5000000', '0x', '0x01', 0, 'X-402-Payment', 'e30=', 'unknown')",
        (time.time(), time.time(), ORIGIN),
    )
    conn.commit()
    conn.close()
    ledger = Ledger(await SqliteDatabase.open(path))
    await (await SqliteDatabase.open(path)).aclose()  # opening it again (another process) is a no-op
    columns = {r["name"] for r in await ledger.db.query("PRAGMA table_info(payments)")}
    assert {"owner", "claimed_until"} <= columns
    me = new_owner()
    claimed = await ledger.claim_payment("old", owner=me)
    assert claimed is not None and claimed["owner"] == me
    retire_owner(me)


# -- 503 ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_503_x402_not_configured_is_definitive(tmp_path: Path) -> None:
    sandbox = SandboxState()

    async def not_configured() -> httpx2.Response:
        return httpx2.Response(503, json={"error": "x402 is not configured", "code": "X402_NOT_CONFIGURED"})

    async with payer_on(sandbox, tmp_path, answer=not_configured) as (payer, ledger):
        with anyio.fail_after(30), pytest.raises(PaymentFailed, match="no money moved"):
            await payer.top_up(5.0)
        [row] = await ledger.payments()
    assert row["status"] == "failed" and row["submissions"] == 1 and paid_submissions(sandbox) == []


@pytest.mark.anyio
@pytest.mark.parametrize("body", [{"error": "Service unavailable"}, {"error": "busy", "code": "OVERLOADED"}])
async def test_any_other_503_is_ambiguous_and_the_same_payment_is_resubmitted(
    tmp_path: Path, body: dict[str, str]
) -> None:
    sandbox = SandboxState()

    async def unavailable() -> httpx2.Response:
        return httpx2.Response(503, json=body)

    async with payer_on(sandbox, tmp_path, answer=unavailable) as (payer, ledger):
        with anyio.fail_after(30):
            result = await payer.top_up(5.0)
        [row] = await ledger.payments()
    assert result.status == "settled" and result.submissions == 2
    assert row["status"] == "settled" and len(paid_submissions(sandbox)) == 1
    assert len(sandbox.topups.nonces()) == 1 and sandbox.balance(ADDRESS) == 5.0


@pytest.mark.anyio
async def test_an_expired_authorization_is_resubmitted_once_not_four_times(tmp_path: Path) -> None:
    """Past validBefore a stored payment cannot settle anew: reconcile asks Venice once whether it
    was credited and leaves it unknown, instead of four sends with backoff before every top-up."""
    sandbox = SandboxState()
    sandbox.topups.faults.in_progress = 8  # every send answers 409: the outcome stays unknown
    async with payer_on(sandbox, tmp_path) as (payer, ledger):
        with anyio.fail_after(30), pytest.raises(PaymentUnknown):
            await payer.top_up(5.0)
        [row] = await ledger.payments()
        assert row["status"] == "unknown" and row["submissions"] == 4
    expired = lambda: float(row["valid_before"]) + 1  # noqa: E731
    async with payer_on(sandbox, tmp_path, clock=expired) as (later, ledger):
        with anyio.fail_after(30):
            outcomes = await later.reconcile()
        assert len(outcomes) == 1 and (await ledger.payments())[0]["submissions"] == 5
    assert len(paid_submissions(sandbox)) == 5 and sandbox.balance(ADDRESS) == 0.0
