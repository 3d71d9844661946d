"""Who may see the dashboard.

* Every request must name an allowed Host (the same list the MCP endpoints accept): a page that
  a DNS-rebound site could read would hand it the numbers.
* Without VENICE_MCP_AUTH_TOKEN the server is bound to loopback (``check_exposure``), and the
  dashboard also answers loopback peers only: the local machine.
* With a token, a viewer proves it once: the login form posts it (in the body, never a URL), and
  gets a session cookie, signed with a key derived from the token (HMAC-SHA256), HttpOnly,
  SameSite=Strict, scoped to /dashboard, valid for SESSION_S. ``Authorization: Bearer <token>``
  works too, for scripts. Changing the token ends every session.

Only a viewer who proved the token is "authenticated"; prompts are shown to that viewer alone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from starlette.requests import Request
from starlette.responses import Response

from venice_mcp.config import Secret
from venice_mcp.transports import is_loopback

COOKIE = "venice_mcp_dashboard"
COOKIE_PATH = "/dashboard"
SESSION_S = 7 * 86_400
_VERSION = "v1"


class Verdict(Enum):
    BAD_HOST = "bad_host"  # 421: not a name this server answers to
    FORBIDDEN = "forbidden"  # 403: no token set and the peer is not this machine
    SIGN_IN = "sign_in"  # 401: a token is set and was not proved
    LOCAL = "local"  # open: no token, a loopback peer
    AUTHENTICATED = "authenticated"  # the token was proved (cookie or bearer)


def host_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    """The SDK's rule (transport_security.py), for Host and Origin values alike: an exact match,
    or ``name:*`` for any port."""
    if not host:
        return False
    for entry in allowed:
        if host == entry or (entry.endswith(":*") and host.startswith(entry[:-2] + ":")):
            return True
    return False


class Sessions:
    """Signed session values: ``v1.<expiry>.<nonce>.<hmac>``; nothing of the token in them."""

    def __init__(self, token: Secret) -> None:
        self._key = hmac.new(token.get().encode(), b"venice-mcp dashboard session", hashlib.sha256).digest()

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, now: float | None = None) -> str:
        expiry = int((time.time() if now is None else now) + SESSION_S)
        body = f"{_VERSION}.{expiry}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, value: str | None, now: float | None = None) -> bool:
        if not value or value.count(".") != 3:
            return False
        body, signature = value.rsplit(".", 1)
        version, expiry, _ = body.split(".")
        if version != _VERSION or not hmac.compare_digest(signature, self._sign(body)):
            return False
        return expiry.isdigit() and int(expiry) > (time.time() if now is None else now)


@dataclass(frozen=True)
class Access:
    token: Secret | None
    allowed_hosts: tuple[str, ...]
    allowed_origins: tuple[str, ...]

    @cached_property
    def sessions(self) -> Sessions | None:
        return Sessions(self.token) if self.token is not None else None

    def token_matches(self, supplied: str) -> bool:
        return self.token is not None and hmac.compare_digest(supplied.encode(), self.token.get().encode())

    def origin_allowed(self, request: Request) -> bool:
        """A form post from another site is refused (absent Origin: not a browser's cross-site post)."""
        origin = request.headers.get("origin")
        return origin is None or host_allowed(origin, self.allowed_origins)

    def check(self, request: Request) -> Verdict:
        if not host_allowed(request.headers.get("host"), self.allowed_hosts):
            return Verdict.BAD_HOST
        if self.token is None:
            peer = request.client.host if request.client else ""
            return Verdict.LOCAL if is_loopback(peer) else Verdict.FORBIDDEN
        bearer = request.headers.get("authorization", "")
        if bearer.startswith("Bearer ") and self.token_matches(bearer[len("Bearer ") :]):
            return Verdict.AUTHENTICATED
        sessions = self.sessions
        if sessions is not None and sessions.valid(request.cookies.get(COOKIE)):
            return Verdict.AUTHENTICATED
        return Verdict.SIGN_IN

    def start_session(self, response: Response, request: Request) -> None:
        sessions = self.sessions
        assert sessions is not None
        response.set_cookie(
            COOKIE,
            sessions.issue(),
            max_age=SESSION_S,
            path=COOKIE_PATH,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )

    @staticmethod
    def end_session(response: Response) -> None:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
