"""The wallet signer: the only object that ever holds the private key.

Everything else (SIWX, top-ups) sees the ``Signer`` protocol: an address and two signing calls.
``eth_account`` costs about half a second to import, so it is loaded here, on first use, and only
when a wallet is configured.
"""

from __future__ import annotations

from typing import Any, Protocol


class Signer(Protocol):
    @property
    def address(self) -> str:
        """EIP-55 checksummed address."""
        ...

    def sign_message(self, text: str) -> str:
        """EIP-191 personal_sign of the UTF-8 text; returns 0x + 130 hex digits."""
        ...

    def sign_typed_data(self, typed: dict[str, Any]) -> str:
        """EIP-712 signature of a full typed-data message; returns 0x + 130 hex digits."""
        ...


class EthAccountSigner:
    """A local private key behind the Signer protocol (eth-account, with coincurve when present).

    The account is made on first use (the first signature or address), so a server whose calls
    sign nothing never imports eth_account.
    """

    __slots__ = ("_account", "_key")

    def __init__(self, private_key: str) -> None:
        self._key = private_key
        self._account: Any = None

    def _loaded(self) -> Any:
        if self._account is None:
            from eth_account import Account

            self._account = Account.from_key(self._key)
        return self._account

    @property
    def address(self) -> str:
        return str(self._loaded().address)

    def sign_message(self, text: str) -> str:
        from eth_account.messages import encode_defunct

        signed = self._loaded().sign_message(encode_defunct(text=text))
        return "0x" + bytes(signed.signature).hex()

    def sign_typed_data(self, typed: dict[str, Any]) -> str:
        from eth_account.messages import encode_typed_data

        signed = self._loaded().sign_message(encode_typed_data(full_message=typed))
        return "0x" + bytes(signed.signature).hex()

    def __repr__(self) -> str:
        return f"EthAccountSigner(address={self.address})"

    def __reduce__(self) -> Any:
        raise TypeError("a signer cannot be pickled: it holds a private key")


def generate_throwaway_key() -> str:
    """A fresh random key for the sandbox: never funded, never the user's."""
    import secrets

    return "0x" + secrets.token_hex(32)
