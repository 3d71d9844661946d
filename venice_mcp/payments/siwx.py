"""SIGN-IN-WITH-X: one freshly signed EIP-4361 proof per request (and per retry).

Venice consumes a SIWX nonce the moment the signature verifies and caps a proof's age at five
minutes, so headers are never cached or reused. The header carries Venice's message form:
base64(JSON {address, message, signature, timestamp, chainId}), as Venice's own client sends it.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from venice_mcp.payments.signer import Signer

HEADER = "SIGN-IN-WITH-X"
CHAIN_ID = 8453
STATEMENT = "Sign in to Venice AI"
LIFETIME = timedelta(minutes=5)


def iso_ms(t: datetime) -> str:
    """ISO-8601 UTC with milliseconds and Z, byte-identical to JavaScript's toISOString()."""
    t = t.astimezone(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class SiweFields:
    domain: str
    address: str
    uri: str
    nonce: str
    issued_at: str
    expiration_time: str | None = None
    statement: str | None = STATEMENT
    chain_id: int = CHAIN_ID
    version: str = "1"


def format_message(f: SiweFields) -> str:
    """The exact EIP-4361 text: LF-separated, no trailing newline."""
    head = f"{f.domain} wants you to sign in with your Ethereum account:\n{f.address}\n\n"
    head += f"{f.statement}\n\n" if f.statement else "\n"
    lines = [
        f"URI: {f.uri}",
        f"Version: {f.version}",
        f"Chain ID: {f.chain_id}",
        f"Nonce: {f.nonce}",
        f"Issued At: {f.issued_at}",
    ]
    if f.expiration_time:
        lines.append(f"Expiration Time: {f.expiration_time}")
    return head + "\n".join(lines)


def domain_for(url: str) -> str:
    """The SIWE domain for a request URL: its host (with port), as Venice's SDK derives it."""
    return urlsplit(url).netloc


def new_nonce() -> str:
    return secrets.token_hex(8)


def sign_in_header(
    signer: Signer,
    url: str,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    nonce: Callable[[], str] = new_nonce,
) -> str:
    """Build and sign a fresh SIGN-IN-WITH-X header value for one request to ``url``."""
    issued = now()
    fields = SiweFields(
        domain=domain_for(url),
        address=signer.address,
        uri=url,
        nonce=nonce(),
        issued_at=iso_ms(issued),
        expiration_time=iso_ms(issued + LIFETIME),
    )
    message = format_message(fields)
    payload = {
        "address": signer.address,
        "message": message,
        "signature": signer.sign_message(message),
        "timestamp": int(issued.timestamp() * 1000),
        "chainId": CHAIN_ID,
    }
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
