"""Venice error bodies, and an exception that carries one out of any depth of handler code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

# Canonical messages from Venice's error-codes page, used for injected faults.
STATUS_MESSAGES = {
    400: "Invalid request parameters",
    401: "Authentication failed",
    402: (
        "Insufficient USD or Diem balance to complete request. "
        "Visit https://venice.ai/settings/api to add credits."
    ),
    403: "Unauthorized access",
    404: "Specified model not found",
    413: "The request payload is too large. Please reduce the size of your request.",
    415: "Invalid request content-type",
    422: "Your prompt violates the content policy of Venice.ai or the model provider",
    429: "Rate limit exceeded",
    500: "Inference processing failed",
    502: "Upstream request failed due to a temporary error. Please retry.",
    503: "The model is at capacity. Please try again later.",
    504: (
        "The request took too long to complete and was timed-out. For long-running inference requests, "
        "use the streaming API by setting stream=true in your request."
    ),
}
OVERLOADED = "The model is currently overloaded. Please try again later."


class VeniceError(Exception):
    """Raised anywhere in the request path; the app turns it into the JSON response Venice sends."""

    def __init__(
        self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, body.get("error"))
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def error(status: int, message: str, **extra: Any) -> VeniceError:
    """StandardError ``{"error": message}`` plus optional extra fields such as ``code``."""
    return VeniceError(status, {"error": message, **extra})


def detailed_error(issues: list[dict[str, Any]]) -> VeniceError:
    """Zod-style DetailedError: ``details`` is the nested ``_errors`` tree of ``issues``."""
    details: dict[str, Any] = {"_errors": []}

    def add(issue: dict[str, Any]) -> None:
        if issue.get("code") == "invalid_union" and issue.get("unionErrors"):
            # As zod's format(): a failed union contributes its branches' messages, not "Invalid input".
            for branch in issue["unionErrors"]:
                for sub in branch.get("issues", []):
                    add(sub)
            return
        node = details
        for key in issue.get("path", []):
            node = node.setdefault(str(key), {"_errors": []})
        if issue["message"] not in node["_errors"]:
            node["_errors"].append(issue["message"])

    for issue in issues:
        add(issue)
    return VeniceError(400, {"error": "Invalid request parameters", "details": details, "issues": issues})
