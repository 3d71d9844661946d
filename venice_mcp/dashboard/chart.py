"""Spend per day as a stacked bar chart, rendered on the server as SVG: no script, nothing vendored.

Every bar segment carries its numbers (``data-day``, ``data-series``, ``data-usd``) and a
``<title>`` (a tooltip, and what a screen reader says); the legend beside it is an HTML list with
each series' total, so the figures are readable without the picture.
"""

from __future__ import annotations

import math
from html import escape

from venice_mcp.payments.budget import format_usd

# The most series drawn apart; the rest are summed as "other". Colours (style.css, .s0-.s7) have
# at least 3:1 contrast against the page, as WCAG asks of graphics.
MAX_SERIES = 7
OTHER = "other"
WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 10, 26


def series_order(split: dict[str, dict[str, float]]) -> list[tuple[str, float]]:
    """(series, total) by total, largest first, with everything past MAX_SERIES as "other"."""
    totals: dict[str, float] = {}
    for per_day in split.values():
        for key, usd in per_day.items():
            totals[key] = totals.get(key, 0.0) + usd
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) <= MAX_SERIES:
        return ranked
    rest = sum(usd for _, usd in ranked[MAX_SERIES - 1 :])
    return [*ranked[: MAX_SERIES - 1], (OTHER, rest)]


def _nice_ceiling(value: float) -> float:
    """1, 2 or 5 times a power of ten, at or above ``value``."""
    if value <= 0:
        return 1.0
    power: float = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-12))


def stacked_bars(chart_id: str, title: str, days: list[str], split: dict[str, dict[str, float]]) -> str:
    """The chart and its legend, as an HTML fragment."""
    order = series_order(split)
    if not order:
        return f'<p class="empty" id="{escape(chart_id)}-empty">No spend in these {len(days)} days.</p>'
    named = {name for name, _ in order if name != OTHER}
    index = {name: i for i, (name, _) in enumerate(order)}
    day_totals = [sum(split.get(day, {}).values()) for day in days]
    top = _nice_ceiling(max(day_totals))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(days)
    bar = max(1.0, slot * 0.7)
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{escape(chart_id)}-title" data-max-usd="{top:.6g}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(format_usd(top * fraction))}</text>"
        )
    for i, day in enumerate(days):
        x = LEFT + i * slot + (slot - bar) / 2
        if i % 5 == (len(days) - 1) % 5:  # label today and every fifth day before it
            parts.append(
                f'<text class="axis" x="{x + bar / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                f"{escape(day[5:])}</text>"
            )
        stacks: dict[str, float] = {}
        for key, usd in split.get(day, {}).items():
            name = key if key in named else OTHER
            stacks[name] = stacks.get(name, 0.0) + usd
        y = TOP + plot_h
        for name in sorted(stacks, key=lambda n: index[n]):
            usd = stacks[name]
            h = plot_h * usd / top
            y -= h
            label = f"{day} · {name}: {format_usd(usd)}"
            parts.append(
                f'<rect class="s{index[name]}" x="{x:.1f}" y="{y:.2f}" width="{bar:.1f}"'
                f' height="{max(h, 0.5):.2f}" data-day="{escape(day)}" data-series="{escape(name)}"'
                f' data-usd="{usd:.8f}"><title>{escape(label)}</title></rect>'
            )
    parts.append("</svg>")
    legend = "".join(
        f'<li data-series="{escape(name)}" data-usd="{usd:.8f}"><span class="swatch s{i}"></span>'
        f"{escape(name)} <b>{escape(format_usd(usd))}</b></li>"
        for i, (name, usd) in enumerate(order)
    )
    return "".join(parts) + f'<ul class="legend" aria-label="{escape(title)}: totals">{legend}</ul>'
