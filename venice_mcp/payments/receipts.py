"""Payments received from agents in charging mode (payments/payee.py), in the state database.

Each authorization an agent sends is written here before anything else happens to it: before the
facilitator is asked, before Venice is called. The row is unique per (network, asset, payer,
nonce), so the same authorization is refused the second time, across concurrent calls, workers
sharing the file and restarts. It keeps the signed payload: a settlement whose outcome is unknown
is resubmitted with the very same payload, never a new one.

States move forward only: ``received`` → ``verified`` → ``settling`` → ``settled``; or ``voided``
(refused, or the call failed: never settled), ``failed`` (the facilitator refused to settle) and
``unknown`` (settlement sent, outcome unknown; resubmitted at the next start). Everything but
``voided`` and ``failed`` counts against the paying agents' daily share of the operator's Venice
credit (VENICE_MCP_DAILY_VENICE_USD).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal

from venice_mcp.payments.ledger import DAY_S
from venice_mcp.storage import Database

State = Literal["received", "verified", "settling", "settled", "voided", "failed", "unknown"]
COUNTED = ("received", "verified", "settling", "settled", "unknown")
# The order states move in; a write never moves a row backwards (or out of a final state).
_RANK = {"received": 0, "verified": 1, "settling": 2, "unknown": 3, "settled": 9, "voided": 9, "failed": 9}


class Replayed(Exception):
    """This authorization was received before (whatever became of it)."""


class DailyShareSpent(Exception):
    """Paying agents have used the operator's daily share of Venice credit."""

    def __init__(self, spent: float, limit: float) -> None:
        super().__init__("daily share spent")
        self.spent = spent
        self.limit = limit


@dataclass(frozen=True)
class Received:
    """A checked authorization, as the payee hands it to the store."""

    network: str
    asset: str
    payer: str
    nonce: str
    value: int
    pay_to: str
    valid_before: int
    payload: dict[str, Any]
    requirement: dict[str, Any]
    scheme: str = "exact"


@dataclass(frozen=True)
class Receipt:
    id: int
    tool: str
    state: str
    payer: str
    value: int
    price_usd: float
    venice_usd: float
    payload: dict[str, Any]
    requirement: dict[str, Any]
    tx_hash: str | None
    owner: str | None
    scheme: str
    settle_amount: int | None  # what is (being) settled: the price, or for upto what the call cost


class Receipts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def receive(
        self,
        got: Received,
        *,
        tool: str,
        request_ref: str | None,
        price_usd: float,
        venice_usd: float,
        daily_limit: float,
        owner: str,
    ) -> int:
        """Write the authorization as ``received``; refuse a replay or a call past the daily share,
        atomically: one transaction, holding the daily share's lock (every worker's receipts count
        against one share), checks and writes; the unique key refuses a replay all the same."""
        now = time.time()
        async with self._db.transaction() as tx:
            await tx.lock("venice-mcp:daily-share")
            seen = await tx.one(
                "SELECT 1 AS seen FROM received_payments WHERE network=? AND asset=? AND payer=? AND nonce=?",
                (got.network, got.asset.lower(), got.payer.lower(), got.nonce.lower()),
            )
            if seen is not None:
                raise Replayed()
            marks = ",".join("?" * len(COUNTED))
            total = await tx.one(
                "SELECT COALESCE(SUM(venice_usd), 0) AS spent FROM received_payments"
                f" WHERE ts > ? AND state IN ({marks})",
                (now - DAY_S, *COUNTED),
            )
            spent = float(total["spent"]) if total else 0.0
            if spent + venice_usd > daily_limit + 1e-9:
                raise DailyShareSpent(spent, daily_limit)
            return await tx.insert(
                "INSERT INTO received_payments (ts, updated, tool, request_ref, network, asset, payer,"
                " nonce, value, pay_to, valid_before, price_usd, venice_usd, payload, requirement, scheme,"
                " state, owner) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'received',?)",
                (
                    now,
                    now,
                    tool,
                    request_ref,
                    got.network,
                    got.asset.lower(),
                    got.payer.lower(),
                    got.nonce.lower(),
                    str(got.value),
                    got.pay_to.lower(),
                    got.valid_before,
                    price_usd,
                    venice_usd,
                    json.dumps(got.payload, separators=(",", ":")),
                    json.dumps(got.requirement, separators=(",", ":")),
                    got.scheme,
                    owner,
                ),
            )

    async def move(
        self, row: int, state: State, *, tx_hash: str | None = None, detail: str | None = None
    ) -> bool:
        """Move a row forward to ``state``; False (and nothing written) if that would move it back
        or out of a final state."""
        async with self._db.transaction() as tx:
            found = await tx.one(
                "SELECT state FROM received_payments WHERE id=?" + self._db.for_update, (row,)
            )
            if found is None or _RANK[state] < _RANK[found["state"]] or _RANK[found["state"]] == 9:
                return False
            await tx.execute(
                "UPDATE received_payments SET state=?, updated=?, tx_hash=COALESCE(?, tx_hash),"
                " detail=COALESCE(?, detail), submissions=submissions+? WHERE id=?",
                (state, time.time(), tx_hash, detail, 1 if state == "settling" else 0, row),
            )
            return True

    async def settling(self, row: int, amount: int, venice_usd: float | None) -> bool:
        """Fix what will be settled (and the call's Venice cost, when known) before it is sent, so
        a resubmission sends the very same request."""
        async with self._db.transaction() as tx:
            found = await tx.one(
                "SELECT state FROM received_payments WHERE id=?" + self._db.for_update, (row,)
            )
            if found is None or found["state"] != "verified":
                return False
            await tx.execute(
                "UPDATE received_payments SET state='settling', updated=?, settle_amount=?,"
                " venice_usd=COALESCE(?, venice_usd), submissions=submissions+1 WHERE id=?",
                (time.time(), str(amount), venice_usd, row),
            )
            return True

    async def resubmitting(self, row: int) -> None:
        """Count one more submission of the same payload (an unknown settlement retried)."""
        await self._db.execute(
            "UPDATE received_payments SET submissions=submissions+1, updated=? WHERE id=?", (time.time(), row)
        )

    async def get(self, row: int) -> Receipt | None:
        rows = await self._db.query("SELECT * FROM received_payments WHERE id=?", (row,))
        return _receipt(rows[0]) if rows else None

    async def open_rows(self) -> list[Receipt]:
        """Rows whose settlement was sent without a known outcome, or not yet sent: reconcile them."""
        rows = await self._db.query(
            "SELECT * FROM received_payments"
            " WHERE state IN ('received','verified','settling','unknown') ORDER BY id"
        )
        return [_receipt(r) for r in rows]

    async def summary(self, since: float) -> list[dict[str, Any]]:
        """Revenue by day and tool (settled only), for the operator's spending report."""
        day = self._db.day_of("ts")
        rows = await self._db.query(
            f"SELECT {day} AS day, tool, COUNT(*) AS calls,"
            " CAST(SUM(CAST(COALESCE(settle_amount, value) AS BIGINT)) AS BIGINT) AS units,"
            f" SUM(venice_usd) AS venice_usd FROM received_payments WHERE state='settled' AND ts > ?"
            f" GROUP BY {day}, tool ORDER BY 1, tool",
            (since,),
        )
        return [dict(r) for r in rows]


def _receipt(row: Any) -> Receipt:
    return Receipt(
        id=row["id"],
        tool=row["tool"],
        state=row["state"],
        payer=row["payer"],
        value=int(row["value"]),
        price_usd=row["price_usd"],
        venice_usd=row["venice_usd"],
        payload=json.loads(row["payload"]),
        requirement=json.loads(row["requirement"]),
        tx_hash=row["tx_hash"],
        owner=row["owner"],
        scheme=row["scheme"],
        settle_amount=None if row["settle_amount"] is None else int(row["settle_amount"]),
    )
