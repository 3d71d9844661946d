"""What an endpoint handler gets: the parsed request, the caller, and a way to bill the wallet."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from venice_mcp.sandbox.auth import Caller
from venice_mcp.sandbox.state import SandboxState


@dataclass
class Context:
    request: Request
    state: SandboxState
    caller: Caller
    body: Any
    path: str  # without /api/v1
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers
    tokens_used: int = 0

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params)

    def deprecation(self, model: dict[str, Any]) -> None:
        """Venice's headers on a request to a model scheduled for retirement: by its catalog
        entry's ``deprecation``, or as a test scheduled it (POST /_sandbox/deprecations)."""
        model_id = str(model.get("id"))
        plan = self.state.deprecations.get(model_id)
        listed = model.get("model_spec", {}).get("deprecation")
        if plan is None and isinstance(listed, dict) and isinstance(listed.get("date"), str):
            plan = {"date": listed["date"][:10]}
            if isinstance(listed.get("replacementModelId"), str):
                plan["replacement"] = listed["replacementModelId"]
        if plan is None:
            return
        self.headers["x-venice-deprecated"] = "true"
        self.headers["x-venice-model-deprecation-date"] = plan["date"]
        warning = f"The model {model_id} is deprecated and will be removed on {plan['date']}."
        if plan.get("replacement"):
            self.headers["x-venice-deprecated-replacement"] = plan["replacement"]
            warning += f" Please migrate to {plan['replacement']}."
        self.headers["x-venice-model-deprecation-warning"] = warning

    def charge(self, usd: float, *, request_id: str, model_id: str | None) -> None:
        """Debit a wallet caller after serving; API-key callers are not metered by the sandbox."""
        if self.caller.wallet is not None and usd > 0:
            self.state.charge(self.caller.wallet, usd, request_id=request_id, model_id=model_id)


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)
