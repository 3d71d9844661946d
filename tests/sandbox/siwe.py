"""Test-side SIWX signing with eth_account directly (independent of venice_mcp.payments)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def siwe_text(
    *,
    domain: str,
    address: str,
    nonce: str,
    issued_at: datetime,
    chain_id: int | str = 8453,
    uri: str = "https://api.venice.ai",
    statement: str | None = "Sign in to Venice AI",
    expiration: datetime | None = None,
    not_before: datetime | None = None,
) -> str:
    text = f"{domain} wants you to sign in with your Ethereum account:\n{address}\n\n"
    text += f"{statement}\n\n" if statement else "\n"
    lines = [
        f"URI: {uri}",
        "Version: 1",
        f"Chain ID: {chain_id}",
        f"Nonce: {nonce}",
        f"Issued At: {iso(issued_at)}",
    ]
    if expiration is not None:
        lines.append(f"Expiration Time: {iso(expiration)}")
    if not_before is not None:
        lines.append(f"Not Before: {iso(not_before)}")
    return text + "\n".join(lines)


def encode(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


@dataclass
class Wallet:
    key: str
    address: str

    @classmethod
    def random(cls) -> Wallet:
        acct = Account.create()
        return cls("0x" + bytes(acct.key).hex(), str(acct.address))

    def sign(self, text: str) -> str:
        signed = Account.sign_message(encode_defunct(text=text), private_key=self.key)
        return "0x" + bytes(signed.signature).hex()

    def header(
        self,
        *,
        domain: str = "api.venice.ai",
        nonce: str | None = None,
        issued_at: datetime | None = None,
        chain_id: int | str = 8453,
        payload_chain: Any = 8453,
        signer: Wallet | None = None,
        timestamp_ms: int | None = None,
        expiration: datetime | None = None,
        not_before: datetime | None = None,
    ) -> str:
        """A SIGN-IN-WITH-X value in Venice's message form; every knob can be made wrong."""
        issued = issued_at or datetime.now(timezone.utc)
        text = siwe_text(
            domain=domain,
            address=self.address,
            nonce=nonce or secrets.token_hex(8),
            issued_at=issued,
            chain_id=chain_id,
            expiration=expiration if expiration is not None else issued + timedelta(minutes=5),
            not_before=not_before,
        )
        payload: dict[str, Any] = {
            "address": self.address,
            "message": text,
            "signature": (signer or self).sign(text),
            "timestamp": timestamp_ms if timestamp_ms is not None else int(issued.timestamp() * 1000),
        }
        if payload_chain is not None:
            payload["chainId"] = payload_chain
        return encode(payload)

    def structured_header(self, *, domain: str = "api.venice.ai") -> str:
        """The x402 structured form: fields instead of message; Venice rebuilds the bytes."""
        now = datetime.now(timezone.utc)
        fields = {
            "domain": domain,
            "address": self.address,
            "uri": "https://api.venice.ai",
            "version": "1",
            "nonce": secrets.token_hex(8),
            "issuedAt": iso(now),
            "expirationTime": iso(now + timedelta(minutes=5)),
            "statement": "Sign in to Venice AI",
            "chainId": "eip155:8453",
            "type": "eip191",
        }
        text = siwe_text(
            domain=domain,
            address=self.address,
            nonce=fields["nonce"],
            issued_at=now,
            expiration=now + timedelta(minutes=5),
        )
        return encode({**fields, "signature": self.sign(text)})
