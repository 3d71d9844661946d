"""Who is calling: route classes are declared per route, and each class has Venice's own rules
for Bearer keys, SIWX wallets and anonymous callers (venice-api.md §1.1)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from venice_mcp.sandbox import siwx, x402
from venice_mcp.sandbox.errors import error
from venice_mcp.sandbox.state import ADMIN, SandboxState

SIWX_HEADERS = ("sign-in-with-x", "x-sign-in-with-x")


class Access(enum.Enum):
    PUBLIC = "public"  # /models*: credentials optional, an invalid key is ignored
    WALLET = "wallet"  # inference: Bearer or SIWX (SIWX wins)
    BEARER = "bearer"  # /characters*: any Bearer key; SIWX alone → 401
    ADMIN = "admin"  # /api_keys management, /billing/*: ADMIN Bearer key only


@dataclass(frozen=True)
class Caller:
    key_type: str | None = None  # INFERENCE / ADMIN for Bearer callers
    wallet: str | None = None  # checksummed address for SIWX callers

    @property
    def anonymous(self) -> bool:
        return self.key_type is None and self.wallet is None


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _siwx_header(headers: Mapping[str, str]) -> str | None:
    for name in SIWX_HEADERS:
        if headers.get(name):
            return headers[name]
    return None


def authenticate(
    access: Access, headers: Mapping[str, str], state: SandboxState, *, host: str, url: str
) -> Caller:
    """Resolve the caller or raise Venice's 401/402. ``headers`` must have lower-case names."""
    token = _bearer(headers)
    proof = _siwx_header(headers)
    if access is Access.PUBLIC:
        key_type = state.api_keys.get(token) if token else None
        return Caller(key_type=key_type)
    if token is None and proof is None:
        raise x402.no_credentials(host, url, state.clock())
    if access is Access.WALLET and proof is not None:
        address, nonce = siwx.verify(
            proof, host=host, now=state.clock(), extra_domains=frozenset(state.extra_domains)
        )
        # Consumed as soon as the signature verifies, even if the request fails afterwards.
        if not state.use_nonce(address, nonce):
            raise siwx.fail("NONCE_REUSED", "Sign-in-with-X nonce has already been used")
        return Caller(wallet=address)
    key_type = state.api_keys.get(token) if token else None
    if key_type is None:  # unknown key, or a SIWX header alone on a Bearer-only route
        raise error(401, "Authentication failed")
    if access is Access.ADMIN and key_type != ADMIN:
        raise error(401, "Admin API key required")
    return Caller(key_type=key_type)
