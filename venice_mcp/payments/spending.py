"""What calls cost and what the wallet topped up, summed by day, tool and model.

One reading of the ledger's rows (``Ledger.calls`` and ``Ledger.payments``), shared by
``venice_spending``, ``venice_wallet_balance`` and the dashboard, so that every figure a person
sees is computed the same way. Pure functions over rows: no SQL here, whatever stores the rows.

Days are UTC days (``YYYY-MM-DD``), as in every other report of this server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from venice_mcp.payments.ledger import OPEN

Row = Mapping[str, Any]
# Calls stopped at the spend gate: nothing was sent to Venice.
STOPPED = ("confirmation_required", "declined")


def day_of(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def spend_of(row: Row) -> tuple[float, float]:
    """(USD Venice reported, USD estimated where it reported nothing) for one call row.

    Only calls that ran count: a failed call is not taken as spent (Venice charges for what it
    served), and a call stopped at the gate never reached Venice.
    """
    if row["status"] != "ok":
        return 0.0, 0.0
    if row["charge_usd"] is not None:
        return float(row["charge_usd"]), 0.0
    return 0.0, float(row["estimate_usd"] or 0.0)


def spent(calls: Iterable[Row]) -> tuple[float, float]:
    """(reported, estimated) USD of these calls together."""
    actual = estimated = 0.0
    for row in calls:
        a, e = spend_of(row)
        actual += a
        estimated += e
    return actual, estimated


@dataclass
class Bucket:
    """Calls of one day, tool or model: how many, how many failed, their estimates and charges."""

    calls: int = 0
    errors: int = 0
    estimated_usd: float = 0.0
    actual_usd: float = 0.0

    def add(self, row: Row) -> None:
        self.calls += 1
        self.errors += row["status"] != "ok"
        self.estimated_usd += float(row["estimate_usd"] or 0)
        self.actual_usd += float(row["charge_usd"] or 0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TopUps:
    settled_usd: float = 0.0
    open_usd: float = 0.0  # pending or unknown: may have moved money


@dataclass
class Spending:
    by_day: dict[str, Bucket] = field(default_factory=dict)
    by_tool: dict[str, Bucket] = field(default_factory=dict)
    by_model: dict[str, Bucket] = field(default_factory=dict)
    topups_by_day: dict[str, TopUps] = field(default_factory=dict)
    stopped_at_gate: int = 0


def summarize(calls: Iterable[Row], payments: Iterable[Row]) -> Spending:
    """Calls by day, tool and model (stopped ones only counted), top-ups by day."""
    out = Spending()
    for row in calls:
        if row["status"] in STOPPED:
            out.stopped_at_gate += 1
            continue
        out.by_day.setdefault(day_of(row["ts"]), Bucket()).add(row)
        out.by_tool.setdefault(row["tool"], Bucket()).add(row)
        out.by_model.setdefault(row["model"] or "-", Bucket()).add(row)
    for pay in payments:
        if pay["status"] == "settled":
            out.topups_by_day.setdefault(day_of(pay["ts"]), TopUps()).settled_usd += float(pay["amount_usd"])
        elif pay["status"] in OPEN:
            out.topups_by_day.setdefault(day_of(pay["ts"]), TopUps()).open_usd += float(pay["amount_usd"])
    return out


def daily_split(calls: Iterable[Row], axis: Literal["tool", "model"]) -> dict[str, dict[str, float]]:
    """USD spent (reported, else estimated) per day and per tool or model: {day: {key: usd}}."""
    out: dict[str, dict[str, float]] = {}
    for row in calls:
        actual, estimated = spend_of(row)
        if actual or estimated:
            key = str(row[axis] or "-")
            per_day = out.setdefault(day_of(row["ts"]), {})
            per_day[key] = per_day.get(key, 0.0) + actual + estimated
    return out
