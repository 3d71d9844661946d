"""Venice's model feature suffixes: ``<model-id>:<key>=<value>[&<key>=<value>…]``.

A suffix flips ``venice_parameters`` from the model string (for clients that cannot send them) and
wins over the same keys in ``venice_parameters``. Prices and capabilities belong to the model
before the colon, so the catalog and the spend gate look at that one, with the switches applied.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

# The keys Venice reads from a suffix (venice-chat.md); anything else is ignored by Venice too.
SUFFIX_KEYS = frozenset(
    {
        "enable_web_search",
        "enable_web_citations",
        "enable_web_scraping",
        "include_venice_system_prompt",
        "include_search_results_in_stream",
        "return_search_results_as_documents",
        "character_slug",
        "strip_thinking_response",
        "disable_thinking",
    }
)
_BOOLS = {"true": True, "false": False}


def split(model: str) -> tuple[str, dict[str, Any]]:
    """``"glm:enable_web_search=on&disable_thinking=true"`` → ``("glm", {"enable_web_search": "on",
    "disable_thinking": True})``. A model without a suffix comes back unchanged with no switches."""
    base, colon, suffix = model.partition(":")
    if not colon:
        return model, {}
    switches: dict[str, Any] = {}
    for pair in suffix.split("&"):
        key, _, value = pair.partition("=")
        if key in SUFFIX_KEYS:
            text = unquote(value)
            switches[key] = _BOOLS.get(text.lower(), text) if key != "character_slug" else text
    return base, switches
