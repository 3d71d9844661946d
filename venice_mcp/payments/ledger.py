"""The local ledger: every paid call (and, with the wallet payer, every payment), in SQLite.

Rows never hold the private key or sign-in headers; only what a person auditing spend needs (tool,
model, estimate, charge, Venice's request id). A payment row keeps its signed payment header (a
signed USDC transfer authorization, valid for minutes): it is written and committed BEFORE the
header is sent, so after a crash or an ambiguous answer the very same authorization is resubmitted
and a second one is never signed for the same intent.

Payment statuses: ``pending`` (signed and committed; its outcome not yet known) → ``settled``
(Venice credited it) | ``failed`` (Venice refused it before anything moved) | ``unknown`` (still
ambiguous after bounded resubmission; resubmitted again at the next start). Everything but
``failed`` counts against the rolling 24-hour top-up limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from venice_mcp.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    tool TEXT NOT NULL,
    model TEXT,
    auth TEXT NOT NULL,
    estimate_usd REAL,
    charge_usd REAL,
    request_id TEXT,
    status TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS calls_ts ON calls(ts);
CREATE INDEX IF NOT EXISTS calls_request ON calls(request_id);
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    intent_id TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    updated REAL NOT NULL,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    wallet TEXT NOT NULL,
    amount_usd REAL NOT NULL,
    value TEXT NOT NULL,
    pay_to TEXT NOT NULL,
    nonce TEXT NOT NULL UNIQUE,
    valid_before INTEGER NOT NULL,
    header_name TEXT NOT NULL,
    header TEXT NOT NULL,
    status TEXT NOT NULL,
    submissions INTEGER NOT NULL DEFAULT 0,
    payment_id TEXT,
    tx_hash TEXT,
    credited_usd REAL,
    new_balance_usd REAL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS payments_ts ON payments(ts);
"""

# Statuses that may have moved money: they count against the daily limit.
COUNTED = ("pending", "settled", "unknown")
OPEN = ("pending", "unknown")
DAY_S = 86_400.0


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


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.ensure(SCHEMA)

    def record_call(self, record: CallRecord, *, ts: float | None = None) -> int:
        return self.db.execute(
            "INSERT INTO calls (ts, tool, model, auth, estimate_usd, charge_usd, request_id, status, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ),
        )

    def calls(self, since: float = 0.0) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM calls WHERE ts >= ? ORDER BY ts", (since,))
        return [dict(r) for r in rows]

    # -- payments -------------------------------------------------------------------------------

    def topups_since(self, since: float, *, origin: str) -> float:
        """USD of top-ups since ``since`` that may have moved money (pending, settled, unknown)."""
        rows = self.db.query(
            f"SELECT COALESCE(SUM(amount_usd), 0) AS total FROM payments WHERE ts >= ? AND origin = ?"
            f" AND status IN ({','.join('?' * len(COUNTED))})",
            (since, origin, *COUNTED),
        )
        return float(rows[0]["total"])

    def reserve_payment(
        self, payment: NewPayment, *, daily_limit_usd: float, now: float | None = None
    ) -> tuple[bool, float]:
        """Commit a signed payment as ``pending`` if it fits the rolling 24 h limit.

        The sum and the insert run in one BEGIN IMMEDIATE transaction, so two callers (tasks,
        threads or processes sharing the file) can never both fit into an allowance only one fits.
        Returns (inserted, USD already counted in the window before this payment).
        """
        now = time.time() if now is None else now
        with self.db.transaction() as conn:
            used = float(
                conn.execute(
                    f"SELECT COALESCE(SUM(amount_usd), 0) FROM payments WHERE ts >= ? AND origin = ?"
                    f" AND status IN ({','.join('?' * len(COUNTED))})",
                    (now - DAY_S, payment.origin, *COUNTED),
                ).fetchone()[0]
            )
            if used + payment.amount_usd > daily_limit_usd + 1e-9:
                return False, used
            conn.execute(
                "INSERT INTO payments (intent_id, ts, updated, origin, reason, wallet, amount_usd, value,"
                " pay_to, nonce, valid_before, header_name, header, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
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
                ),
            )
        return True, used

    def payment(self, intent_id: str) -> dict[str, Any] | None:
        rows = self.db.query("SELECT * FROM payments WHERE intent_id = ?", (intent_id,))
        return dict(rows[0]) if rows else None

    def count_submission(self, intent_id: str) -> None:
        self.db.execute(
            "UPDATE payments SET submissions = submissions + 1, updated = ? WHERE intent_id = ?",
            (time.time(), intent_id),
        )

    def finish_payment(
        self,
        intent_id: str,
        status: str,
        *,
        payment_id: str | None = None,
        tx_hash: str | None = None,
        credited_usd: float | None = None,
        new_balance_usd: float | None = None,
        detail: str | None = None,
    ) -> None:
        self.db.execute(
            "UPDATE payments SET status = ?, updated = ?, payment_id = COALESCE(?, payment_id),"
            " tx_hash = COALESCE(?, tx_hash), credited_usd = COALESCE(?, credited_usd),"
            " new_balance_usd = COALESCE(?, new_balance_usd), detail = ? WHERE intent_id = ?",
            (status, time.time(), payment_id, tx_hash, credited_usd, new_balance_usd, detail, intent_id),
        )

    def open_payments(self, *, origin: str, since: float) -> list[dict[str, Any]]:
        """Payments whose outcome is not known yet (oldest first): reconcile these."""
        rows = self.db.query(
            f"SELECT * FROM payments WHERE origin = ? AND ts >= ? AND status IN ({','.join('?' * len(OPEN))})"
            " ORDER BY ts",
            (origin, since, *OPEN),
        )
        return [dict(r) for r in rows]

    def payments(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Payment rows without their signed headers (for reports)."""
        rows = self.db.query(
            "SELECT id, intent_id, ts, updated, origin, reason, wallet, amount_usd, value, pay_to, nonce,"
            " valid_before, status, submissions, payment_id, tx_hash, credited_usd, new_balance_usd, detail"
            " FROM payments WHERE ts >= ? ORDER BY ts",
            (since,),
        )
        return [dict(r) for r in rows]

    def calls_for_requests(self, request_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The latest local call row for each of these Venice request ids."""
        if not request_ids:
            return {}
        marks = ",".join("?" * len(request_ids))
        rows = self.db.query(f"SELECT * FROM calls WHERE request_id IN ({marks}) ORDER BY ts", request_ids)
        return {str(r["request_id"]): dict(r) for r in rows}
