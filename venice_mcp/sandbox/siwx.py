"""SIGN-IN-WITH-X verification, written independently of the client in venice_mcp.payments so that
a bug shared by signer and verifier cannot hide: decode, parse EIP-4361 by hand, recover the
EIP-191 signer with eth_account, enforce Venice's domain/chain/time/nonce rules."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from venice_mcp.sandbox.errors import VeniceError

CHAIN_ID = 8453
VENICE_DOMAINS = frozenset({"api.venice.ai", "venice.ai"})
MAX_AGE_S = 300.0
MAX_SKEW_S = 30.0
TIMESTAMP_TOLERANCE_MS = 30_000

_HEADER_RE = re.compile(r"^(?P<domain>\S+) wants you to sign in with your Ethereum account:$")
_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE_RE = re.compile(r"^[A-Za-z0-9]{8,}$")
_TAGS = ("URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time", "Not Before", "Request ID")
_GENERIC = "Sign-in-with-X authentication failed"


def fail(reason: str, message: str) -> VeniceError:
    return VeniceError(401, {"error": message, "code": f"X402_SIGN_IN_{reason}"})


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    statement: str | None
    fields: dict[str, str]
    resources: tuple[str, ...]


def parse_message(text: str) -> SiweMessage:
    """Parse EIP-4361 text (LF lines): header, address, optional statement, tagged fields."""
    lines = text.split("\n")
    head = _HEADER_RE.match(lines[0]) if lines else None
    if head is None or len(lines) < 3 or lines[2] != "":
        raise fail("INVALID_MESSAGE", "Sign-in-with-X message could not be parsed")
    rest = lines[3:]
    statement: str | None = None
    if rest and rest[0] and not rest[0].startswith("URI: "):
        statement = rest[0]
        rest = rest[1:]
    if not rest or rest[0] != "":
        raise fail("INVALID_MESSAGE", "Sign-in-with-X message could not be parsed")
    rest = rest[1:]
    fields: dict[str, str] = {}
    resources: list[str] = []
    in_resources = False
    for line in rest:
        if in_resources and line.startswith("- "):
            resources.append(line[2:])
            continue
        if line == "Resources:":
            in_resources = True
            continue
        tag, sep, value = line.partition(": ")
        if not sep or tag not in _TAGS or tag in fields:
            raise fail("INVALID_MESSAGE", "Sign-in-with-X message could not be parsed")
        fields[tag] = value
    if "Nonce" not in fields or "Issued At" not in fields:
        raise fail("INVALID_MESSAGE", "Sign-in-with-X message is missing its Nonce or Issued At")
    return SiweMessage(head.group("domain"), lines[1], statement, fields, tuple(resources))


def build_message(p: dict[str, Any], chain: int) -> str:
    """Rebuild the exact bytes of the structured form (bare Chain ID), as Venice does."""
    statement = p.get("statement")
    out = f"{p['domain']} wants you to sign in with your Ethereum account:\n{p['address']}\n\n"
    out += f"{statement}\n\n" if statement else "\n"
    lines = [
        f"URI: {p['uri']}",
        f"Version: {p.get('version') or '1'}",
        f"Chain ID: {chain}",
        f"Nonce: {p['nonce']}",
        f"Issued At: {p['issuedAt']}",
    ]
    for key, tag in (
        ("expirationTime", "Expiration Time"),
        ("notBefore", "Not Before"),
        ("requestId", "Request ID"),
    ):
        if p.get(key):
            lines.append(f"{tag}: {p[key]}")
    if p.get("resources"):
        lines.append("Resources:")
        lines.extend(f"- {r}" for r in p["resources"])
    return out + "\n".join(lines)


def _chain(value: Any) -> int:
    """8453, "8453" or "eip155:8453" style → the integer; anything else is INVALID_CHAIN_ID."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        ref = value.removeprefix("eip155:")
        if ref.isdigit():
            return int(ref)
    raise fail("INVALID_CHAIN_ID", _GENERIC)


def _time(value: str) -> float:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise fail("INVALID_MESSAGE", f"Invalid timestamp in Sign-in-with-X message: {value}") from None


def _bare_host(value: str) -> str:
    host = value.lower().split("://", 1)[-1].split("/", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def decode(header: str) -> dict[str, Any]:
    try:
        raw = base64.b64decode(header.strip() + "=" * (-len(header.strip()) % 4), altchars=b"-_")
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise fail("PARSE_ERROR", "Sign-in-with-X header is not base64-encoded JSON") from None
    if not isinstance(payload, dict):
        raise fail("PARSE_ERROR", "Sign-in-with-X header is not base64-encoded JSON")
    return payload


def verify(
    header: str, *, host: str, now: float, extra_domains: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """Check a SIGN-IN-WITH-X value; return (address, nonce). The caller consumes the nonce."""
    p = decode(header)
    if p.get("type") not in (None, "eip191", "eip1271"):
        raise fail("INVALID_SIGNATURE", "Only EVM (EIP-191) sign-in is supported by the sandbox")
    address, signature = p.get("address"), p.get("signature")
    if not isinstance(address, str) or not isinstance(signature, str) or not address or not signature:
        raise fail("INVALID_PAYLOAD", "Sign-in-with-X payload needs address, message and signature")
    if not _ADDRESS_RE.match(address):
        raise fail("INVALID_WALLET", _GENERIC)
    payload_chain = _chain(p["chainId"]) if p.get("chainId") is not None else None
    message = p.get("message")
    if message is None:
        needed = ("domain", "uri", "nonce", "issuedAt")
        if payload_chain is None or not all(isinstance(p.get(k), str) and p.get(k) for k in needed):
            raise fail("INVALID_PAYLOAD", "Sign-in-with-X payload needs a message or its structured fields")
        message = build_message(p, payload_chain)
    if not isinstance(message, str):
        raise fail("INVALID_PAYLOAD", "Sign-in-with-X message must be a string")

    msg = parse_message(message)
    if msg.address.lower() != address.lower():
        raise fail("ADDRESS_MISMATCH", "Sign-in-with-X message address does not match the payload address")
    chain_line = msg.fields.get("Chain ID", "1")  # EIP-4361 reads a missing Chain ID as 1
    if not chain_line.isdigit():
        raise fail("INVALID_CHAIN_ID", _GENERIC)
    msg_chain = int(chain_line)
    if payload_chain is not None and payload_chain != msg_chain:
        raise fail("CHAIN_MISMATCH", "Sign-in-with-X chainId does not match the message Chain ID")
    if msg_chain != CHAIN_ID:
        raise fail("UNSUPPORTED_CHAIN", f"Unsupported chain: {msg_chain}. Only Base (8453) is supported")

    domain = msg.domain.lower()
    allowed = {d.lower() for d in VENICE_DOMAINS | extra_domains}
    if not (domain == host.lower() or _bare_host(domain) in allowed | {_bare_host(host)}):
        raise fail("DOMAIN_MISMATCH", f"Sign-in-with-X domain not allowed: {msg.domain}")

    nonce = msg.fields["Nonce"]
    if not _NONCE_RE.match(nonce):
        raise fail("MISSING_NONCE", "Sign-in-with-X nonce must be at least 8 alphanumeric characters")

    issued = _time(msg.fields["Issued At"])
    if now - issued > MAX_AGE_S:
        raise fail("EXPIRED", "Sign-in-with-X message has expired (Issued At is more than 5 minutes old)")
    if issued - now > MAX_SKEW_S:
        raise fail("FUTURE_TIMESTAMP", "Sign-in-with-X Issued At is in the future")
    if "Expiration Time" in msg.fields and _time(msg.fields["Expiration Time"]) <= now:
        raise fail("EXPIRED", "Sign-in-with-X message has expired")
    if "Not Before" in msg.fields and _time(msg.fields["Not Before"]) > now:
        raise fail("NOT_BEFORE", "Sign-in-with-X message is not valid yet (Not Before)")
    stamp = p.get("timestamp")
    if stamp is not None:
        if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
            raise fail("TIMESTAMP_MISMATCH", "Sign-in-with-X timestamp must be Unix milliseconds")
        if abs(stamp - issued * 1000) > TIMESTAMP_TOLERANCE_MS:
            raise fail("TIMESTAMP_MISMATCH", "Sign-in-with-X timestamp does not match Issued At")

    if _recover(message, signature).lower() != address.lower():
        raise fail("INVALID_SIGNATURE", "Invalid Sign-in-with-X signature")
    return address, nonce


def _recover(message: str, signature: str) -> str:
    # eth_account costs ~0.5 s to import; load it only when a wallet actually signs in.
    from eth_account import Account
    from eth_account.messages import encode_defunct

    try:
        sig = bytes.fromhex(signature.removeprefix("0x"))
        if len(sig) != 65:
            return ""
        return str(Account.recover_message(encode_defunct(text=message), signature=sig))
    except Exception:  # any malformed signature is just an invalid one
        return ""
