"""Everything the dashboard shows, read in one place, through the ledger and the job store.

This is the dashboard's only way to the state: when the ledger gets a storage interface (PostgreSQL
for several workers), this is the one file to port; every other dashboard module sees a
``Snapshot``. Because it reads the shared state, it shows every worker's activity, not only this
process's.

Reading costs nothing: nothing here calls Venice (the credit shown is the last one Venice reported
to a top-up, kept in the ledger) and nothing is written: a page load is in no spend figure.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio

from venice_mcp.config import Settings
from venice_mcp.jobs import JobStore
from venice_mcp.payments.ledger import DAY_S, Ledger
from venice_mcp.payments.spending import Bucket, Spending, daily_split, day_of, spent, summarize
from venice_mcp.storage import Database

DAYS = 30
LAST_TOPUPS = 10
LAST_JOBS = 20
LAST_ERRORS = 10
PROMPT_CHARS = 80  # prompts are cut here, and shown to an authenticated operator only


@dataclass(frozen=True)
class Limits:
    max_call_usd: float
    max_topup_usd: float
    daily_topup_usd: float
    topped_up_24h_usd: float
    auto_topup: bool


@dataclass(frozen=True)
class TopUp:
    ts: float
    amount_usd: float
    status: str
    reason: str
    tx_hash: str | None
    payment_id: str | None


@dataclass(frozen=True)
class Credit:
    """The wallet's Venice credit as Venice last reported it (after a top-up), and when."""

    usd: float
    ts: float


@dataclass(frozen=True)
class JobRow:
    id: str
    kind: str
    model: str
    status: str
    quote_usd: float | None
    created: float
    file_name: str | None  # the saved output, under the output folder
    prompt: str | None  # cut to PROMPT_CHARS; None unless the viewer authenticated
    error: str | None


@dataclass(frozen=True)
class ErrorRow:
    ts: float
    tool: str
    model: str | None
    request_id: str | None
    detail: str | None


@dataclass(frozen=True)
class RevenueRow:
    """Charging mode: what agents paid this server for one tool on one day, beside what those
    calls cost at Venice."""

    day: str
    tool: str
    received_usd: float
    venice_cost_usd: float

    @property
    def margin_usd(self) -> float:
        return self.received_usd - self.venice_cost_usd


@dataclass(frozen=True)
class Snapshot:
    now: float
    mode: str | None  # wallet | api_key | none; None: a standalone page, not the paying server
    sandbox: bool
    days: list[str]  # the chart's days, oldest first, today last (UTC)
    by_tool_daily: dict[str, dict[str, float]]  # {day: {tool: usd}}
    by_model_daily: dict[str, dict[str, float]]
    spending: Spending  # the last DAYS days
    today: Bucket
    today_reported_usd: float
    today_estimated_usd: float
    limits: Limits
    wallet: str | None
    credit: Credit | None
    topups: list[TopUp]
    jobs: list[JobRow]
    errors: list[ErrorRow]
    revenue: list[RevenueRow] | None = None  # None: charging mode is not there
    prompts_shown: bool = False

    @property
    def today_usd(self) -> float:
        return self.today_reported_usd + self.today_estimated_usd

    def as_json(self) -> dict[str, Any]:
        """The numbers, for scripts (``/dashboard/data.json``) and the browser test."""
        out = asdict(self)
        out["spending"] = {
            "by_day": {k: b.as_dict() for k, b in self.spending.by_day.items()},
            "by_tool": {k: b.as_dict() for k, b in self.spending.by_tool.items()},
            "by_model": {k: b.as_dict() for k, b in self.spending.by_model.items()},
            "topups_by_day": {k: asdict(t) for k, t in self.spending.topups_by_day.items()},
            "stopped_at_gate": self.spending.stopped_at_gate,
        }
        out["today"]["usd"] = self.today_usd
        return out


class Store:
    """The state under VENICE_MCP_HOME, opened on the first read (a home with no database yet
    reads as empty and is not created)."""

    def __init__(self, settings: Settings, *, server: bool = True) -> None:
        self.settings = settings
        # Standalone (``venice-mcp dashboard``), these settings are not what the server pays with.
        self.server = server
        self._db: Database | None = None
        self._ledger: Ledger | None = None
        self._jobs: JobStore | None = None
        self._wallet: str | None = None
        self._lock = anyio.Lock()

    async def _open(self) -> tuple[Ledger, JobStore] | None:
        async with self._lock:
            if self._ledger is None or self._jobs is None:
                from venice_mcp.storage import has_state, open_database

                if not has_state(self.settings):
                    return None
                self._db = await open_database(self.settings)
                self._ledger, self._jobs = Ledger(self._db), JobStore(self._db)
            return self._ledger, self._jobs

    def wallet_address(self) -> str | None:
        """The configured wallet's address (derived locally, once; no request)."""
        if self._wallet is None and self.settings.wallet_key is not None:
            from venice_mcp.payments.signer import EthAccountSigner

            self._wallet = EthAccountSigner(self.settings.wallet_key.get()).address
        return self._wallet

    async def aclose(self) -> None:
        async with self._lock:
            if self._ledger is not None:
                await self._ledger.aclose()
            if self._db is not None:
                await self._db.aclose()
            self._db = self._ledger = self._jobs = None

    async def _revenue(self, since: float) -> list[RevenueRow] | None:
        """Charging mode: settled agent payments per day and tool, beside the Venice cost of the
        calls they paid for; None where this home never took a payment (and is not charging)."""
        from venice_mcp.payments.receipts import Receipts
        from venice_mcp.payments.x402 import UNITS_PER_USD

        db = self._db
        taken = db is not None and bool(await db.query("SELECT 1 AS taken FROM received_payments LIMIT 1"))
        if db is None or not taken:
            return [] if self.settings.charging else None  # never create the table: the page writes nothing
        return [
            RevenueRow(r["day"], r["tool"], r["units"] / UNITS_PER_USD, float(r["venice_usd"] or 0))
            for r in await Receipts(db).summary(since)
        ]

    async def read(self, *, show_prompts: bool, now: float | None = None) -> Snapshot:
        now = time.time() if now is None else now
        days = [day_of(now - i * DAY_S) for i in range(DAYS - 1, -1, -1)]
        # From the start of the first UTC day shown, so that day is whole.
        since = now - (DAYS - 1) * DAY_S - (now % DAY_S)
        opened = await self._open()
        settings = self.settings
        if opened is None:
            calls: list[dict[str, Any]] = []
            payments: list[dict[str, Any]] = []
            jobs: list[JobRow] = []
        else:
            ledger, job_store = opened
            calls, payments = await ledger.calls(since), await ledger.payments(since)
            jobs = [_job_row(j.summary(), show_prompts) for j in await job_store.list(limit=LAST_JOBS)]
        wallet = self.wallet_address() or (str(payments[-1]["wallet"]) if payments else None)
        topped_24h = 0.0
        if opened is not None and wallet is not None:
            topped_24h = await opened[0].topups_since(now - DAY_S, wallet=wallet)
        today = [c for c in calls if day_of(c["ts"]) == days[-1]]
        reported, estimated = spent(today)
        today_bucket = summarize(today, []).by_day.get(days[-1], Bucket())
        credit = next(
            (
                Credit(float(p["new_balance_usd"]), float(p["updated"]))
                for p in reversed(payments)
                if p["status"] == "settled" and p["new_balance_usd"] is not None
            ),
            None,
        )
        errors = [
            ErrorRow(c["ts"], c["tool"], c["model"], c["request_id"], c["detail"])
            for c in reversed(calls)
            if c["status"] == "error"
        ][:LAST_ERRORS]
        topups = [
            TopUp(p["ts"], p["amount_usd"], p["status"], p["reason"], p["tx_hash"], p["payment_id"])
            for p in reversed(payments)
        ][:LAST_TOPUPS]
        return Snapshot(
            now=now,
            mode=settings.auth_mode if self.server else None,
            sandbox=settings.sandbox,
            days=days,
            by_tool_daily=daily_split(calls, "tool"),
            by_model_daily=daily_split(calls, "model"),
            spending=summarize(calls, payments),
            today=today_bucket,
            today_reported_usd=reported,
            today_estimated_usd=estimated,
            limits=Limits(
                max_call_usd=settings.max_call_usd,
                max_topup_usd=settings.max_topup_usd,
                daily_topup_usd=settings.daily_topup_usd,
                topped_up_24h_usd=topped_24h,
                auto_topup=settings.auto_topup,
            ),
            wallet=wallet,
            credit=credit,
            topups=topups,
            jobs=jobs,
            errors=errors,
            revenue=await self._revenue(since),
            prompts_shown=show_prompts,
        )


def _job_row(job: dict[str, Any], show_prompts: bool) -> JobRow:
    prompt = job["params"].get("prompt") if show_prompts else None
    return JobRow(
        id=job["id"],
        kind=job["kind"],
        model=job["model"],
        status=job["status"],
        quote_usd=job["quote_usd"],
        created=job["created"],
        file_name=Path(job["output_path"]).name if job["output_path"] else None,
        prompt=str(prompt)[:PROMPT_CHARS] if isinstance(prompt, str) else None,
        error=str(job["error"])[:200] if job["error"] else None,
    )
