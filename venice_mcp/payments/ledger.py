"""The ledger: every paid call (and, with the wallet payer, every payment), in the state database.

Rows never hold the private key or sign-in headers; only what a person auditing spend needs (tool,
model, estimate, charge, Venice's request id). A payment row keeps its signed payment header (a
signed USDC transfer authorization, valid for minutes): it is written and committed BEFORE the
header is sent, so after a crash or an ambiguous answer the very same authorization is resubmitted
and a second one is never signed for the same intent.

Payment statuses: ``pending`` (signed and committed; its outcome not yet known) → ``settled``
(Venice credited it) | ``failed`` (Venice refused it before anything moved) | ``unknown`` (still
ambiguous after bounded resubmission; resubmitted again at the next start). Everything but
``failed`` counts against the rolling 24-hour top-up limit.

Several payers may share one ledger: servers in several processes with the same VENICE_MCP_HOME,
or workers on several machines with one PostgreSQL (within one process, every connection shares
one payer). A payer sending a payment
holds a lease on its row (``owner``: host, pid and a per-payer uuid; ``claimed_until``), set when
the row is committed and refreshed at every send; reconciliation claims a row only when that
lease has expired or its owner is a dead process on this host (only the lease's expiry speaks
for another host's owner). Statuses move only forward:
``settled`` is never overwritten, and ``failed`` is written only when no send but the writer's own
can have reached Venice (otherwise ``unknown``, which keeps counting and is resubmitted later).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

import anyio

from venice_mcp.storage import Database

log = logging.getLogger(__name__)

# Statuses that may have moved money: they count against the daily limit.
COUNTED = ("pending", "settled", "unknown")
OPEN = ("pending", "unknown")
DAY_S = 86_400.0
_TOPUPS = (
    "SELECT COALESCE(SUM(amount_usd), 0) AS total FROM payments WHERE ts >= ?"
    f" AND lower(wallet) = lower(?) AND status IN ({','.join('?' * len(COUNTED))})"
)
# How long a payer's claim on a payment row lasts without a refresh (it is refreshed at every send;
# one send and the wait before the next take well under this).
LEASE_S = 300.0

# Owners (see new_owner) of the payers alive in this process: a row leased by this pid under an
# owner not in here was left by a payer that is gone.
_LIVE_OWNERS: set[str] = set()


def new_owner() -> str:
    """A lease owner id: ``host|pid|uuid`` (one per payer; registered as alive in this process)."""
    owner = f"{socket.gethostname()}|{os.getpid()}|{uuid.uuid4().hex}"
    _LIVE_OWNERS.add(owner)
    return owner


def retire_owner(owner: str) -> None:
    _LIVE_OWNERS.discard(owner)


def owner_is_dead(owner: str | None) -> bool:
    """True only when ``owner`` surely no longer runs: no owner, a payer of this process that is
    gone, or a process of this host that has exited. Another host's owner is never known dead."""
    if not owner:
        return True
    parts = owner.rsplit("|", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return owner not in _LIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it exists (another user's); anything else: assume alive
        return False
    return False


@dataclass(frozen=True)
class CallRecord:
    tool: str
    auth: str
    status: str  # ok | error | declined | confirmation_required
    model: str | None = None
    estimate_usd: float | None = None
    charge_usd: float | None = None
    request_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class NewPayment:
    """A signed payment about to be committed (status ``pending``)."""

    intent_id: str
    origin: str
    reason: str  # manual | auto
    wallet: str
    amount_usd: float
    value: str  # USDC atomic units, as signed
    pay_to: str
    nonce: str
    valid_before: int
    header_name: str
    header: str


_INSERT_CALL = (
    "INSERT INTO calls (ts, tool, model, auth, estimate_usd, charge_usd, request_id, status, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Queued call records are written together at most this often (or when someone reads them).
WRITE_EVERY_S = 0.5


class CallWriter:
    """Writes call records in batches, so a tool call never waits on the database.

    A call record is bookkeeping (what ran, what it cost), not money: queueing it costs the event
    loop an append; a task started by the first record of a batch writes what accumulated
    WRITE_EVERY_S later, in one transaction (SQLite in a thread, PostgreSQL without blocking the
    loop). At worst a killed process loses the records of its last half second. Payments never go
    through here; they are committed before they are sent (see the module docstring). Readers
    flush first, so they see every record queued.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._rows: list[tuple[Any, ...]] = []
        self._task: asyncio.Task[None] | None = None
        self._writing = anyio.Lock()  # one batch at a time: a flush waits for the one in flight

    def put(self, row: tuple[Any, ...]) -> None:
        self._rows.append(row)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._later())

    async def flush(self) -> None:
        """Write every record queued so far."""
        async with self._writing:
            rows, self._rows = self._rows, []
            if rows:
                try:
                    # Shielded: a reader whose request is cancelled must not drop the rows it took.
                    with anyio.CancelScope(shield=True):
                        await self._db.execute_batch(_INSERT_CALL, rows)
                except Exception:  # a full disk must not take tool calls down with it
                    log.exception("could not record %d call(s) in the ledger", len(rows))

    async def aclose(self) -> None:
        # The flush waits out a batch in flight, so the task is cancelled only while it sleeps or
        # queues for a batch that this flush already wrote.
        await self.flush()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _later(self) -> None:
        await anyio.sleep(WRITE_EVERY_S)
        await self.flush()


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._writer = CallWriter(db)

    async def aclose(self) -> None:
        """Write every queued call record (the database stays open)."""
        await self._writer.aclose()

    def record_call(self, record: CallRecord, *, ts: float | None = None) -> None:
        """Queue the record; the CallWriter writes it within WRITE_EVERY_S."""
        self._writer.put(
            (
                time.time() if ts is None else ts,
                record.tool,
                record.model,
                record.auth,
                record.estimate_usd,
                record.charge_usd,
                record.request_id,
                record.status,
                record.detail,
            )
        )

    async def calls(self, since: float = 0.0) -> list[dict[str, Any]]:
        await self._writer.flush()
        rows = await self.db.query("SELECT * FROM calls WHERE ts >= ? ORDER BY ts", (since,))
        return [dict(r) for r in rows]

    # -- payments -------------------------------------------------------------------------------

    async def topups_since(self, since: float, *, wallet: str) -> float:
        """USD the wallet topped up since ``since`` that may have moved money (pending, settled,
        unknown). The limits belong to the wallet: every Venice origin it paid counts alike, so
        the same server spelled two ways (127.0.0.1 and localhost) is still one allowance."""
        rows = await self.db.query(_TOPUPS, (since, wallet, *COUNTED))
        return float(rows[0]["total"])

    async def reserve_payment(
        self,
        payment: NewPayment,
        *,
        daily_limit_usd: float,
        owner: str | None = None,
        now: float | None = None,
        lease_s: float = LEASE_S,
    ) -> tuple[bool, float]:
        """Commit a signed payment as ``pending`` if it fits the rolling 24 h limit, leased to
        ``owner`` (the payer about to send it) so that nobody reconciles it meanwhile.

        The sum and the insert run in one transaction holding the wallet's lock (SQLite's BEGIN
        IMMEDIATE; a PostgreSQL advisory lock), so two callers (tasks, threads, processes or
        workers on other machines) can never both fit into an allowance only one fits.
        Returns (inserted, USD already counted in the window before this payment).
        """
        now = time.time() if now is None else now
        async with self.db.transaction() as tx:
            await tx.lock("venice-mcp:topups:" + payment.wallet.lower())
            total = await tx.one(_TOPUPS, (now - DAY_S, payment.wallet, *COUNTED))
            used = float(total["total"]) if total else 0.0
            if used + payment.amount_usd > daily_limit_usd + 1e-9:
                return False, used
            await tx.execute(
                "INSERT INTO payments (intent_id, ts, updated, origin, reason, wallet, amount_usd, value,"
                " pay_to, nonce, valid_before, header_name, header, status, owner, claimed_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    payment.intent_id,
                    now,
                    now,
                    payment.origin,
                    payment.reason,
                    payment.wallet,
                    payment.amount_usd,
                    payment.value,
                    payment.pay_to,
                    payment.nonce,
                    payment.valid_before,
                    payment.header_name,
                    payment.header,
                    owner,
                    now + lease_s if owner else 0.0,
                ),
            )
        return True, used

    async def payment(self, intent_id: str) -> dict[str, Any] | None:
        rows = await self.db.query("SELECT * FROM payments WHERE intent_id = ?", (intent_id,))
        return dict(rows[0]) if rows else None

    async def claim_payment(
        self, intent_id: str, *, owner: str, now: float | None = None, lease_s: float = LEASE_S
    ) -> dict[str, Any] | None:
        """Lease an open payment to ``owner`` for resubmission, atomically; None when it is no
        longer open, another payer that is still alive holds an unexpired lease on it, or another
        payer is claiming it this very moment (PostgreSQL: the row is locked, so it is skipped)."""
        now = time.time() if now is None else now
        async with self.db.transaction() as tx:
            # Another payer claiming this very row right now will have it: pass it over.
            row = await tx.one(
                "SELECT * FROM payments WHERE intent_id = ?" + self.db.skip_locked, (intent_id,)
            )
            if row is None or row["status"] not in OPEN:
                return None
            held = row["owner"]
            if held and held != owner and float(row["claimed_until"]) > now and not owner_is_dead(held):
                return None
            await tx.execute(
                "UPDATE payments SET owner = ?, claimed_until = ? WHERE intent_id = ?",
                (owner, now + lease_s, intent_id),
            )
            return await tx.one("SELECT * FROM payments WHERE intent_id = ?", (intent_id,))

    async def count_submission(
        self, intent_id: str, *, owner: str | None = None, now: float | None = None, lease_s: float = LEASE_S
    ) -> int:
        """Count one send of the payment (before it goes out) and refresh ``owner``'s lease, if it
        still holds it. Returns the row's submissions, every payer's sends included."""
        now = time.time() if now is None else now
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE payments SET submissions = submissions + 1, updated = ?,"
                " claimed_until = CASE WHEN owner = ? THEN ? ELSE claimed_until END WHERE intent_id = ?",
                (now, owner, now + lease_s, intent_id),
            )
            row = await tx.one("SELECT submissions FROM payments WHERE intent_id = ?", (intent_id,))
        return int(row["submissions"]) if row is not None else 0

    async def release_payment(self, intent_id: str, *, owner: str) -> None:
        """End ``owner``'s lease (it stopped sending): others may resubmit the payment now."""
        await self.db.execute(
            "UPDATE payments SET claimed_until = 0 WHERE intent_id = ? AND owner = ?", (intent_id, owner)
        )

    async def finish_payment(
        self,
        intent_id: str,
        status: str,
        *,
        owner: str | None = None,
        own_submissions: int | None = None,
        payment_id: str | None = None,
        tx_hash: str | None = None,
        credited_usd: float | None = None,
        new_balance_usd: float | None = None,
        detail: str | None = None,
    ) -> dict[str, Any] | None:
        """Record an outcome, conditionally, in one transaction; return the row as it now stands.

        ``settled`` is never overwritten (a later ``failed``/``unknown`` leaves it, and the caller
        reports it settled). ``failed`` means "nothing moved" and is written only when ``owner``
        still holds the row and its submissions are exactly the ``own_submissions`` this payer
        counted: no other send of the header can have happened. Otherwise it is recorded as
        ``unknown`` (still counted against the limit, resubmitted later). The writer's lease ends.
        """
        async with self.db.transaction() as tx:
            row = await tx.one(
                "SELECT status, submissions, owner FROM payments WHERE intent_id = ?" + self.db.for_update,
                (intent_id,),
            )
            if row is None:
                return None
            if row["status"] == "settled":
                status = "settled" if status == "settled" else ""
            elif status == "failed" and not (
                owner is not None
                and row["owner"] == owner
                and own_submissions is not None
                and int(row["submissions"]) == own_submissions
            ):
                status = "unknown"
                detail = (
                    "another payer sharing this ledger may also have sent this payment; " + (detail or "")
                ).strip()
            if status == "settled" and row["status"] == "settled":
                # Already settled (another payer's answer came first): fill in what it lacked.
                await tx.execute(
                    "UPDATE payments SET payment_id = COALESCE(payment_id, ?),"
                    " tx_hash = COALESCE(tx_hash, ?), credited_usd = COALESCE(credited_usd, ?),"
                    " new_balance_usd = COALESCE(new_balance_usd, ?) WHERE intent_id = ?",
                    (payment_id, tx_hash, credited_usd, new_balance_usd, intent_id),
                )
            elif status:
                await tx.execute(
                    "UPDATE payments SET status = ?, updated = ?, payment_id = COALESCE(?, payment_id),"
                    " tx_hash = COALESCE(?, tx_hash), credited_usd = COALESCE(?, credited_usd),"
                    " new_balance_usd = COALESCE(?, new_balance_usd), detail = ? WHERE intent_id = ?",
                    (
                        status,
                        time.time(),
                        payment_id,
                        tx_hash,
                        credited_usd,
                        new_balance_usd,
                        detail,
                        intent_id,
                    ),
                )
            if owner is not None:
                await tx.execute(
                    "UPDATE payments SET claimed_until = 0 WHERE intent_id = ? AND owner = ?",
                    (intent_id, owner),
                )
            return await tx.one("SELECT * FROM payments WHERE intent_id = ?", (intent_id,))

    async def open_payments(self, *, origin: str, since: float) -> list[dict[str, Any]]:
        """Payments whose outcome is not known yet (oldest first): reconcile these."""
        rows = await self.db.query(
            f"SELECT * FROM payments WHERE origin = ? AND ts >= ? AND status IN ({','.join('?' * len(OPEN))})"
            " ORDER BY ts",
            (origin, since, *OPEN),
        )
        return [dict(r) for r in rows]

    async def payments(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Payment rows without their signed headers (for reports)."""
        rows = await self.db.query(
            "SELECT id, intent_id, ts, updated, origin, reason, wallet, amount_usd, value, pay_to, nonce,"
            " valid_before, status, submissions, payment_id, tx_hash, credited_usd, new_balance_usd, detail"
            " FROM payments WHERE ts >= ? ORDER BY ts",
            (since,),
        )
        return [dict(r) for r in rows]

    async def calls_for_requests(self, request_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The latest local call row for each of these Venice request ids."""
        if not request_ids:
            return {}
        await self._writer.flush()
        marks = ",".join("?" * len(request_ids))
        rows = await self.db.query(
            f"SELECT * FROM calls WHERE request_id IN ({marks}) ORDER BY ts", request_ids
        )
        return {str(r["request_id"]): dict(r) for r in rows}
