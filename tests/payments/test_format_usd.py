"""Prices people read: a short chat costs ~$0.00003 and must not show as "$0.0000"."""

from __future__ import annotations

import pytest

from venice_mcp.payments.budget import format_usd


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "unknown"),
        (0, "$0"),
        (0.000025, "$0.000025"),
        (0.00042, "$0.00042"),
        (0.0031, "$0.0031"),
        (0.01, "$0.01"),
        (1.5, "$1.50"),
        (12.345, "$12.35"),
    ],
)
def test_format_usd(value: float | None, shown: str) -> None:
    assert format_usd(value) == shown
