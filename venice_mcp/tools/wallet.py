"""Wallet tools: balance and limits, top-ups, Venice's wallet ledger, and local spending.

A top-up moves real USDC. Its hard limits (VENICE_MCP_MAX_TOPUP_USD per top-up and
VENICE_MCP_DAILY_TOPUP_USD per rolling 24 h) are checked first and no argument can raise them;
then, like every paid call, it goes through the spend gate: a top-up above VENICE_MCP_MAX_CALL_USD
(all of them, with the defaults: Venice's minimum is $5) needs the person's approval through
elicitation, or ``confirm=true`` once the person agreed. Automatic top-ups (VENICE_MCP_AUTO_TOPUP)
skip the gate: turning them on is the owner's approval, and they stay within the same hard limits.
"""

import time
from dataclasses import asdict
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp.call import Call
from venice_mcp.context import AppState
from venice_mcp.payments.budget import Estimate
from venice_mcp.payments.ledger import DAY_S
from venice_mcp.payments.spending import day_of, spent, summarize
from venice_mcp.payments.x402 import Payer, fmt_usd
from venice_mcp.reply import Reply
from venice_mcp.tools._common import Confirm, usd
from venice_mcp.tools._declare import tool

# The Venice operations these tools reach through the payer (tools/spec_coverage.py reads this).
ENDPOINTS = {
    "GET /x402/balance/{walletAddress}": ("venice_wallet_balance",),
    "POST /x402/top-up": ("venice_wallet_top_up",),
    "GET /x402/transactions/{walletAddress}": ("venice_wallet_transactions",),
}


def _payer(state: AppState, tool: str) -> Payer:
    if state.payer is None:
        mode = "an API key" if state.settings.auth_mode == "api_key" else "no credentials"
        raise ToolError(
            f"{tool} needs a wallet: set VENICE_WALLET_KEY (the 0x private key of a dedicated, low-balance "
            f"Base wallet) in the server's environment and restart it. This server runs with {mode}; "
            "venice_spending shows what its calls cost."
        )
    return state.payer


@tool("Wallet balance and limits", "read_only", "wallet")
async def venice_wallet_balance(call: Call) -> Reply:
    """Wallet address, Venice credit, and 24 h top-ups and spend against each limit."""
    state = call.state
    payer = _payer(state, "venice_wallet_balance")
    info = await payer.balance()
    limits = await payer.limits()
    since = time.time() - DAY_S
    actual, estimated = spent(await state.ledger.calls(since))
    open_payments = len(await state.ledger.open_payments(origin=payer.origin, since=since))
    lines = [
        f"Wallet {info.address}: Venice credit {usd(info.balance_usd)}"
        + (" (can make calls)" if info.can_consume else " (below the $0.10 needed to make calls)"),
    ]
    if info.diem_usd is not None:
        lines.append(
            f"Linked Venice account DIEM: {usd(info.diem_usd)} this epoch (spent first; a USDC top-up "
            "does not help while DIEM is the limit)."
        )
    lines += [
        f"Top-ups, last 24 h: {fmt_usd(limits.topped_up_24h_usd)} of {fmt_usd(limits.daily_topup_usd)} "
        f"(VENICE_MCP_DAILY_TOPUP_USD); {fmt_usd(limits.remaining_24h_usd)} left.",
        f"Per top-up limit: {fmt_usd(limits.max_topup_usd)} (VENICE_MCP_MAX_TOPUP_USD); Venice's minimum "
        f"is {usd(info.minimum_top_up_usd or 5)}.",
        f"Per-call auto-approve limit: {usd(limits.max_call_usd)} (VENICE_MCP_MAX_CALL_USD).",
        "Automatic top-up: "
        + (f"on, {fmt_usd(limits.auto_amount_usd)} at a time" if limits.auto_topup else "off")
        + " (VENICE_MCP_AUTO_TOPUP).",
        f"Spent by calls, last 24 h: {usd(actual)} reported by Venice"
        + (f" + about {usd(estimated)} estimated" if estimated else "")
        + ".",
    ]
    if open_payments:
        lines.append(
            f"{open_payments} top-up(s) with an unknown outcome: they are resubmitted (never re-signed) "
            "at the next top-up or server start."
        )
    structured = {
        "address": info.address,
        "balance_usd": info.balance_usd,
        "can_consume": info.can_consume,
        "diem_balance_usd": info.diem_usd,
        "minimum_top_up_usd": info.minimum_top_up_usd,
        "limits": limits.as_dict(),
        "spent_24h_usd": {"actual": round(actual, 6), "estimated": round(estimated, 6)},
        "open_payments": open_payments,
    }
    return Reply("\n".join(lines), structured)


@tool("Top up the wallet", "paid", "wallet")
async def venice_wallet_top_up(
    call: Call,
    amount_usd: Annotated[
        float,
        Field(gt=0, le=10_000, description="USD to pay in (Venice's minimum is $5)."),
    ],
    confirm: Confirm = False,
) -> Reply:
    """Pay USDC on Base into the wallet's Venice credit (x402). Real money, within the owner's limits."""
    state = call.state
    payer = _payer(state, "venice_wallet_top_up")
    # Hard limits first: never ask about what cannot be paid. A payment of unknown outcome
    # counts against the daily limit until the top-up reconciles it, so then that check
    # waits for the reconcile (it may free the allowance).
    await payer.check_amount(amount_usd, daily=not await payer.has_open_payments())
    estimate = Estimate(amount_usd, "a USDC top-up of this wallet's Venice credit; not refundable")
    await call.approve(model=None, estimate=estimate, confirm=confirm)
    paid = await payer.top_up(amount_usd)
    limits = await payer.limits()
    tx, pid = paid.transaction or "not reported", paid.payment_id or "not reported"
    receipt = (
        f"Venice credited {usd(paid.credited_usd)}, new balance {usd(paid.new_balance_usd)}. "
        f"Settlement transaction {tx}; payment id {pid}."
    )
    used, limit = fmt_usd(limits.topped_up_24h_usd), fmt_usd(limits.daily_topup_usd)
    totals = f"Top-ups in the last 24 h: {used} of {limit}."
    if paid.new_payment:
        text = f"Topped up {fmt_usd(paid.amount_usd)}: {receipt} {totals}"
    else:
        text = (
            f"An earlier {fmt_usd(paid.amount_usd)} top-up whose outcome was unknown has just settled: "
            f"{receipt} No new payment was signed for the {fmt_usd(amount_usd)} asked for; check the "
            f"balance and call venice_wallet_top_up again if more credit is still needed. {totals}"
        )
    return Reply(text, {**paid.as_dict(), "limits": limits.as_dict()})


@tool("Wallet transactions", "read_only", "wallet")
async def venice_wallet_transactions(
    call: Call,
    limit: Annotated[int, Field(ge=1, le=100, description="Newest first.")] = 20,
    offset: Annotated[int, Field(ge=0)] = 0,
) -> Reply:
    """Venice's ledger for this wallet, joined with the tool calls it paid for."""
    state = call.state
    payer = _payer(state, "venice_wallet_transactions")
    data = await payer.transactions(limit, offset)
    rows = [r for r in data.get("transactions") or [] if isinstance(r, dict)]
    ids = sorted({str(r["requestId"]) for r in rows if r.get("requestId")})
    local = await state.ledger.calls_for_requests(ids)
    lines = [
        f"Wallet {data.get('walletAddress') or payer.address}: balance {usd(data.get('currentBalance'))}"
    ]
    for row in rows:
        mine = local.get(str(row.get("requestId"))) if row.get("requestId") else None
        if mine is not None:
            row["local"] = {
                "tool": mine["tool"],
                "model": mine["model"],
                "estimate_usd": mine["estimate_usd"],
                "at": day_of(mine["ts"]),
            }
        amount = row.get("amount")
        what = f"{mine['tool']} ({mine['model']})" if mine else (row.get("modelId") or "")
        lines.append(
            f"{row.get('createdAt', '?')} {row.get('type', '?'):<7} "
            f"{'+' if isinstance(amount, (int, float)) and amount > 0 else ''}{amount} → "
            f"{row.get('balanceAfter')} {what}".rstrip()
        )
    pagination = data.get("pagination") or {}
    if pagination.get("hasMore"):
        lines.append(f"More: call again with offset={offset + limit}.")
    structured = {
        "wallet": data.get("walletAddress") or payer.address,
        "current_balance_usd": data.get("currentBalance"),
        "transactions": rows,
        "pagination": pagination,
    }
    return Reply("\n".join(lines), structured)


async def _revenue(state: Any, since: float) -> list[dict[str, Any]]:
    """What paying agents settled (charging mode, this home's received payments), by day and tool."""
    from venice_mcp.payments.receipts import Receipts
    from venice_mcp.payments.x402 import UNITS_PER_USD

    rows = await Receipts(state.ledger.db).summary(since)
    return [
        {
            "day": r["day"],
            "tool": r["tool"],
            "calls": r["calls"],
            "received_usd": r["units"] / UNITS_PER_USD,
            "venice_usd": r["venice_usd"],
        }
        for r in rows
    ]


@tool("Spending", "read_only", "core")
async def venice_spending(
    call: Call,
    days: Annotated[int, Field(ge=1, le=365, description="Days back, counting today.")] = 7,
) -> Reply:
    """What this server's calls cost, by day, tool and model, and wallet top-ups (free)."""
    state = call.state
    since = time.time() - days * DAY_S
    summary = summarize(await state.ledger.calls(since), await state.ledger.payments(since))
    by = {"day": summary.by_day, "tool": summary.by_tool, "model": summary.by_model}
    topups = summary.topups_by_day
    stopped = summary.stopped_at_gate
    lines = [f"Spending over the last {days} day(s) ({state.settings.auth_mode} mode):"]
    if not by["day"] and not topups:
        lines.append("No paid calls recorded.")
    for axis in ("day", "tool", "model"):
        if by[axis]:
            lines.append(f"By {axis}:")
            for key, b in sorted(by[axis].items()):
                lines.append(
                    f"  {key}: {b.calls} call(s), estimated {usd(b.estimated_usd)}, "
                    f"reported {usd(b.actual_usd)}" + (f", {b.errors} failed" if b.errors else "")
                )
    if topups:
        lines.append("Wallet top-ups by day:")
        for key, t in sorted(topups.items()):
            lines.append(
                f"  {key}: {fmt_usd(t.settled_usd)} settled"
                + (f", {fmt_usd(t.open_usd)} outcome unknown" if t.open_usd else "")
            )
    if stopped:
        lines.append(f"{stopped} call(s) stopped at the spend gate (nothing spent).")
    revenue = await _revenue(state, since)
    if revenue:
        lines.append("Paid by agents (charging mode), settled, by day and tool:")
        for r in revenue:
            lines.append(
                f"  {r['day']} {r['tool']}: {r['calls']} call(s), received {usd(r['received_usd'])}, "
                f"Venice cost estimated {usd(r['venice_usd'])}"
            )
    structured: dict[str, Any] = {
        "days": days,
        "auth": state.settings.auth_mode,
        "by_day": {k: b.as_dict() for k, b in summary.by_day.items()},
        "by_tool": {k: b.as_dict() for k, b in summary.by_tool.items()},
        "by_model": {k: b.as_dict() for k, b in summary.by_model.items()},
        "topups_by_day": {k: asdict(t) for k, t in topups.items()},
        "stopped_at_gate": stopped,
        "revenue": revenue,
    }
    return Reply("\n".join(lines), structured)
