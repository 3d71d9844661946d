"""The dashboard's HTML, rendered on the server from a Snapshot: every number is in the markup, so
the page works without JavaScript (live.js only swaps in a fresh ``live`` fragment every 5 s).

Everything from the state is escaped here. Nothing secret reaches a Snapshot in the first place
(no keys, tokens, signed payment headers); prompts arrive cut short, and only for an
authenticated viewer.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import escape

from venice_mcp import __version__
from venice_mcp.dashboard.chart import stacked_bars
from venice_mcp.dashboard.data import Snapshot
from venice_mcp.payments.budget import format_usd

BASE = "/dashboard"
REFRESH_S = 5
_TX = re.compile(r"^0x[0-9a-fA-F]{64}$")


def _usd(value: float | None) -> str:
    return escape(format_usd(value))


def _time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _cell(value: object) -> str:
    return "<td>—</td>" if value is None or value == "" else f"<td>{escape(str(value))}</td>"


def _table(table_id: str, caption: str, head: list[str], rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="empty" id="{table_id}-empty">{escape(empty)}</p>'
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    return (
        f'<div class="scroll"><table id="{table_id}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _head(title: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{BASE}/static/style.css">'
    )


def login_page(message: str | None = None) -> str:
    """The token form. It posts the token in the body, never in a URL; it shows no data."""
    note = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return (
        _head("venice-mcp · sign in")
        + '</head><body><main class="login"><h1>venice-mcp dashboard</h1>'
        + note
        + f'<form method="post" action="{BASE}/login"><label for="token">Access token'
        " (VENICE_MCP_AUTH_TOKEN)</label>"
        '<input id="token" name="token" type="password" autocomplete="current-password" required>'
        '<button type="submit">Sign in</button></form></main></body></html>'
    )


def page(snap: Snapshot, *, can_sign_out: bool) -> str:
    sign_out = (
        f'<form method="post" action="{BASE}/logout" class="inline"><button type="submit">Sign out'
        "</button></form>"
        if can_sign_out
        else ""
    )
    modes = {
        "wallet": "paying with a wallet (x402)",
        "api_key": "paying with an API key",
        "none": "no credentials",
    }
    mode = modes[snap.mode] if snap.mode else "the state of this machine's server"
    return (
        _head("venice-mcp · dashboard")
        # Without JavaScript the whole page reloads now and then instead.
        + '<noscript><meta http-equiv="refresh" content="30"></noscript>'
        + f'<script src="{BASE}/static/live.js" defer></script></head><body>'
        + f'<header><h1>venice-mcp</h1><p class="meta">{escape(mode)}'
        + (' · <strong class="badge">sandbox</strong>' if snap.sandbox else "")
        + f' · v{escape(__version__)} · <a href="{BASE}">refresh</a> {sign_out}</p></header>'
        + f'<main id="live" data-live="{BASE}/live" data-every="{REFRESH_S}">{fragment(snap)}</main>'
        + "</body></html>"
    )


def fragment(snap: Snapshot) -> str:
    """What refreshes: everything under the header."""
    return "".join(
        (
            f'<p class="meta" id="updated" data-ts="{snap.now:.3f}">Updated {_time(snap.now)} UTC;'
            " reading this page costs nothing and is in no figure.</p>",
            _today(snap),
            _charts(snap),
            _revenue(snap),
            _wallet(snap),
            _jobs(snap),
            _errors(snap),
        )
    )


def _today(snap: Snapshot) -> str:
    lim = snap.limits
    used = min(1.0, lim.topped_up_24h_usd / lim.daily_topup_usd) if lim.daily_topup_usd else 1.0
    estimated = (
        f" (Venice reported {_usd(snap.today_reported_usd)}, estimated {_usd(snap.today_estimated_usd)})"
        if snap.today_estimated_usd
        else ""
    )
    return (
        '<section aria-labelledby="h-today"><h2 id="h-today">Today</h2><div class="cards">'
        f'<div class="card"><h3>Spent today (UTC)</h3><p class="big" id="today-spend"'
        f' data-usd="{snap.today_usd:.8f}">{_usd(snap.today_usd)}</p>'
        f'<p id="today-calls" data-calls="{snap.today.calls}" data-errors="{snap.today.errors}">'
        f"{snap.today.calls} call(s), {snap.today.errors} failed{estimated}</p></div>"
        f'<div class="card"><h3>Top-ups, last 24 h</h3><p class="big" id="topups-24h"'
        f' data-usd="{lim.topped_up_24h_usd:.8f}" data-limit-usd="{lim.daily_topup_usd:.8f}">'
        f"{_usd(lim.topped_up_24h_usd)} <span>of {_usd(lim.daily_topup_usd)}</span></p>"
        f'<progress max="1" value="{used:.4f}" aria-label="share of the daily top-up limit used">'
        f"{used:.0%}</progress><p>VENICE_MCP_DAILY_TOPUP_USD; at most {_usd(lim.max_topup_usd)} per"
        " top-up (VENICE_MCP_MAX_TOPUP_USD)"
        + ("; automatic top-up on" if lim.auto_topup else "")
        + "</p></div>"
        f'<div class="card"><h3>Per-call limit</h3><p class="big" id="max-call"'
        f' data-usd="{lim.max_call_usd:.8f}">{_usd(lim.max_call_usd)}</p>'
        "<p>VENICE_MCP_MAX_CALL_USD: above it a person is asked first.</p></div>"
        "</div></section>"
    )


def _charts(snap: Snapshot) -> str:
    sp = snap.spending
    n = len(snap.days)
    rows = [
        f'<tr data-tool="{escape(tool)}"><th scope="row">{escape(tool)}</th><td>{b.calls}</td>'
        f"<td>{b.errors}</td><td>{_usd(b.estimated_usd)}</td><td>{_usd(b.actual_usd)}</td></tr>"
        for tool, b in sorted(sp.by_tool.items())
    ]
    return (
        f'<section aria-labelledby="h-spend"><h2 id="h-spend">Spend per day, last {n} days</h2>'
        "<p>What each day's calls cost: as Venice reported it, else as estimated. Days are UTC.</p>"
        '<div class="charts"><figure><figcaption>By tool</figcaption>'
        + stacked_bars("chart-tool", f"Spend per day by tool, last {n} days", snap.days, snap.by_tool_daily)
        + "</figure><figure><figcaption>By model</figcaption>"
        + stacked_bars(
            "chart-model", f"Spend per day by model, last {n} days", snap.days, snap.by_model_daily
        )
        + "</figure></div>"
        + _table(
            "by-tool",
            f"Calls by tool, last {n} days",
            ["Tool", "Calls", "Failed", "Estimated", "Reported by Venice"],
            rows,
            "No calls recorded.",
        )
        + (
            f"<p>{sp.stopped_at_gate} call(s) stopped at the spend gate (nothing spent).</p>"
            if sp.stopped_at_gate
            else ""
        )
        + "</section>"
    )


def _revenue(snap: Snapshot) -> str:
    # Charging mode only (see data._revenue): absent until this server takes payments itself.
    if snap.revenue is None:
        return ""
    rows = [
        f"<tr><td>{escape(r.day)}</td><th scope='row'>{escape(r.tool)}</th><td>{_usd(r.received_usd)}</td>"
        f"<td>{_usd(r.venice_cost_usd)}</td><td>{_usd(r.margin_usd)}</td></tr>"
        for r in snap.revenue
    ]
    return (
        '<section aria-labelledby="h-revenue"><h2 id="h-revenue">Revenue beside Venice cost</h2>'
        + _table(
            "revenue",
            "Payments received per day and tool",
            ["Day", "Tool", "Received", "Venice cost", "Margin"],
            rows,
            "No payments received.",
        )
        + "</section>"
    )


def _tx(tx: str | None) -> str:
    if not tx:
        return "<td>—</td>"
    code = f"<code>{escape(tx)}</code>"
    if _TX.match(tx):
        return f'<td><a href="https://basescan.org/tx/{escape(tx)}" rel="noreferrer">{code}</a></td>'
    return f"<td>{code}</td>"


def _wallet(snap: Snapshot) -> str:
    if snap.wallet is None and not snap.topups:
        return (
            '<section aria-labelledby="h-wallet"><h2 id="h-wallet">Wallet</h2>'
            "<p>No wallet: this server pays with an API key or not at all (VENICE_WALLET_KEY).</p></section>"
        )
    credit = (
        f'<span id="credit" data-usd="{snap.credit.usd:.8f}">{_usd(snap.credit.usd)}</span>'
        f" as Venice reported it after the top-up of {_time(snap.credit.ts)} UTC"
        if snap.credit
        else "not known yet (Venice reports it with each top-up; this page never asks Venice)"
    )
    rows = [
        f'<tr data-status="{escape(t.status)}" data-usd="{t.amount_usd:.8f}"><td>{_time(t.ts)}</td>'
        f"<td>{_usd(t.amount_usd)}</td>{_cell(t.status)}{_cell(t.reason)}{_tx(t.tx_hash)}"
        f"{_cell(t.payment_id)}</tr>"
        for t in snap.topups
    ]
    return (
        '<section aria-labelledby="h-wallet"><h2 id="h-wallet">Wallet</h2>'
        f'<p>Address <code id="wallet">{escape(snap.wallet or "unknown")}</code></p>'
        f"<p>Venice credit: {credit}</p>"
        + _table(
            "topups",
            "Last top-ups",
            ["Time (UTC)", "Amount", "Status", "Why", "Settlement transaction", "Payment id"],
            rows,
            "No top-ups in the last 30 days.",
        )
        + "</section>"
    )


def _jobs(snap: Snapshot) -> str:
    rows = []
    for j in snap.jobs:
        link = (
            f'<td><a href="{BASE}/outputs/{escape(j.file_name)}">{escape(j.file_name)}</a></td>'
            if j.file_name
            else "<td>—</td>"
        )
        rows.append(
            f'<tr data-job="{escape(j.id)}" data-status="{escape(j.status)}">'
            f"<td><code>{escape(j.id)}</code></td>"
            f"{_cell(j.kind)}{_cell(j.model)}{_cell(j.status)}<td>{_usd(j.quote_usd)}</td>"
            f"<td>{_time(j.created)}</td>{link}{_cell(j.error or j.prompt)}</tr>"
        )
    note = "" if snap.prompts_shown else "<p>Prompts are shown only after signing in with the token.</p>"
    return (
        '<section aria-labelledby="h-jobs"><h2 id="h-jobs">Music and video jobs</h2>'
        + _table(
            "jobs",
            "Latest jobs",
            ["Job", "Kind", "Model", "Status", "Quote", "Queued (UTC)", "File", "Prompt or error"],
            rows,
            "No jobs.",
        )
        + (note if rows else "")
        + "</section>"
    )


def _errors(snap: Snapshot) -> str:
    rows = [
        f"<tr><td>{_time(e.ts)}</td>{_cell(e.tool)}{_cell(e.model)}{_cell(e.detail)}{_cell(e.request_id)}</tr>"
        for e in snap.errors
    ]
    return (
        '<section aria-labelledby="h-errors"><h2 id="h-errors">Last errors</h2>'
        + _table(
            "errors",
            "Calls that failed",
            ["Time (UTC)", "Tool", "Model", "Error", "Request id"],
            rows,
            "No failed calls in the last 30 days.",
        )
        + "</section>"
    )
