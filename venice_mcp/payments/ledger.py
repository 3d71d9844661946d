"""The local ledger: every paid call (and, with the wallet payer, every payment), in SQLite.

Rows never hold secrets: no keys, no signatures of sign-in headers; only what a person auditing
spend needs (tool, model, estimate, charge, Venice's request id).
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
"""


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
