"""The one place failures become text the model can act on.

Venice's errors (``api/errors.py``) carry Venice's own words and the next step; an unknown model
names its nearest matches; a refused option names the allowed values; a refused input says why.
Anything else is a bug: it is logged on the server and the model sees only a short generic error.
"""

from __future__ import annotations

from mcp.server.mcpserver.exceptions import ToolError

from venice_mcp.api.errors import AuthenticationError, VeniceError
from venice_mcp.catalog import UnknownModelError
from venice_mcp.inputs import InputError
from venice_mcp.media_specs import PreflightError

NOTHING_SPENT = "Nothing was sent to Venice and nothing was spent."


def translate(exc: Exception, tool: str) -> ToolError | None:
    """The ToolError for an anticipated failure of ``tool``, or None for a bug."""
    if isinstance(exc, AuthenticationError) and "Admin API key required" in str(exc):
        return ToolError(
            f"Venice refused {tool}: 'Admin API key required'. The configured VENICE_API_KEY is an "
            "INFERENCE key; billing, key management and the rate-limit log need an ADMIN key. Create "
            "one at https://venice.ai/settings/api and set it as VENICE_API_KEY if this server should "
            "see account data (rate limits work with any key: venice_api_keys view=rate_limits)."
        )
    if isinstance(exc, VeniceError):
        return ToolError(exc.agent_message())
    if isinstance(exc, UnknownModelError):
        return ToolError(str(exc))
    if isinstance(exc, PreflightError):
        return ToolError(f"{exc} {NOTHING_SPENT}")
    if isinstance(exc, InputError):
        return ToolError(str(exc))
    if isinstance(exc, ValueError) and "not JSON compliant" in str(exc):
        # json.dumps(allow_nan=False), as the HTTP client encodes request bodies.
        return ToolError(
            f"An argument of {tool} holds NaN or Infinity, which JSON cannot carry. {NOTHING_SPENT} "
            "Use a finite number (or null)."
        )
    return None
