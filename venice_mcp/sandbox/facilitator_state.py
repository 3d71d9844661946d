"""What the sandbox facilitator remembers: simulated USDC balances, simulated Permit2 allowances
(``upto``), spent authorization nonces (one settlement per payer and nonce, EIP-3009 and Permit2
nonces apart, as on-chain they live in different contracts) and every verify/settle call, for
tests to inspect."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import anyio

UNITS_PER_USD = 1_000_000  # USDC has 6 decimals
# A payer nobody configured can pay: charging-mode tests need no set-up to see a call succeed.
DEFAULT_BALANCE_USD = 100.0
# ERC20.allowance(payer, Permit2) nobody configured: approved "for everything" (type(uint256).max),
# as after the usual one-time approve(Permit2, max). A max allowance is never spent down.
UNLIMITED_ALLOWANCE = 2**256 - 1


@dataclass
class FacilitatorSettlement:
    payer: str
    pay_to: str
    amount: int  # USDC atomic units
    nonce: str
    transaction: str
    network: str
    resource: str | None  # paymentPayload.resource.url, when the payee sent one
    signature: str
    authorization: dict[str, str]  # as settled: an identical resubmission gets this settlement back
    submissions: int = 1
    scheme: str = "exact"
    # What the payer signed for: ``upto``'s permitted.amount; for ``exact`` the amount itself.
    maximum: int | None = None

    @property
    def nonce_space(self) -> str:
        """EIP-3009 nonces (bytes32, in USDC) and Permit2 nonces (uint256, in Permit2) never meet."""
        return "permit2" if self.scheme == "upto" else "eip3009"

    def as_dict(self) -> dict[str, Any]:
        return {
            "payer": self.payer,
            "payTo": self.pay_to,
            "amount": str(self.amount),
            "nonce": self.nonce,
            "transaction": self.transaction,
            "network": self.network,
            "resource": self.resource,
            "submissions": self.submissions,
            "scheme": self.scheme,
            "maximum": str(self.amount if self.maximum is None else self.maximum),
        }


def _units(usd: float) -> int:
    if usd < 0:
        raise ValueError("a balance must be >= 0")
    return round(usd * UNITS_PER_USD)


@dataclass
class FacilitatorBook:
    default_balance_usd: float = DEFAULT_BALANCE_USD
    settlements: list[FacilitatorSettlement] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # {"route", "body"} per verify/settle
    _balances: dict[str, int] = field(default_factory=dict)  # lower-case address -> atomic units
    _allowances: dict[str, int] = field(default_factory=dict)  # lower-case address -> atomic units
    _spent: dict[tuple[str, str, str], FacilitatorSettlement] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: anyio.Event | None = None

    # -- balances ------------------------------------------------------------------------------

    def set_balance(self, address: str, usd: float) -> None:
        with self._lock:
            self._balances[address.lower()] = _units(usd)

    def balance_units(self, address: str) -> int:
        with self._lock:
            return self._balance(address.lower())

    def balance(self, address: str) -> float:
        return self.balance_units(address) / UNITS_PER_USD

    def _balance(self, key: str) -> int:
        return self._balances.get(key, _units(self.default_balance_usd))

    # -- Permit2 allowances (upto) -------------------------------------------------------------

    def set_permit2_allowance(self, address: str, units: int | None) -> None:
        """ERC20.allowance(address, Permit2) in atomic units; None restores the unlimited default."""
        with self._lock:
            if units is None:
                self._allowances.pop(address.lower(), None)
                return
            if not 0 <= units <= UNLIMITED_ALLOWANCE:
                raise ValueError("an allowance is a uint256")
            self._allowances[address.lower()] = units

    def permit2_allowance(self, address: str) -> int:
        with self._lock:
            return self._allowances.get(address.lower(), UNLIMITED_ALLOWANCE)

    # -- nonces and settlements ----------------------------------------------------------------

    def spent(self, payer: str, nonce: str, scheme: str = "exact") -> FacilitatorSettlement | None:
        space = "permit2" if scheme == "upto" else "eip3009"
        with self._lock:
            return self._spent.get((space, payer.lower(), nonce.lower()))

    def settle(self, settlement: FacilitatorSettlement) -> FacilitatorSettlement:
        """Spend the nonce and move the funds, atomically; if the nonce was spent meanwhile, the
        earlier settlement is returned and nothing moves (the caller compares the two). An
        ``upto`` settlement also needs (and spends, unless unlimited) the payer's Permit2
        allowance; one of 0 moves nothing yet still spends the nonce."""
        key = (settlement.nonce_space, settlement.payer.lower(), settlement.nonce.lower())
        with self._lock:
            earlier = self._spent.get(key)
            if earlier is not None:
                return earlier
            payer, pay_to = settlement.payer.lower(), settlement.pay_to.lower()
            allowance = self._allowances.get(payer, UNLIMITED_ALLOWANCE)
            if settlement.scheme == "upto" and allowance < settlement.amount:
                raise AllowanceRequired
            if self._balance(payer) < settlement.amount:
                raise InsufficientFunds
            if settlement.scheme == "upto" and allowance != UNLIMITED_ALLOWANCE:
                self._allowances[payer] = allowance - settlement.amount
            self._balances[payer] = self._balance(payer) - settlement.amount
            self._balances[pay_to] = self._balance(pay_to) + settlement.amount
            self._spent[key] = settlement
            self.settlements.append(settlement)
        self._signal()
        return settlement

    def called(self, route: str, body: Any) -> None:
        with self._lock:
            self.calls.append({"route": route, "body": body})

    async def wait_settlements(self, count: int) -> None:
        """Until at least ``count`` payments were settled (bound it with fail_after)."""
        while len(self.settlements) < count:
            if self._changed is None:
                self._changed = anyio.Event()
            await self._changed.wait()

    def _signal(self) -> None:
        event, self._changed = self._changed, None
        if event is not None:
            event.set()

    # -- control -------------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "settlements": [s.as_dict() for s in self.settlements],
                "balances": {a: str(u) for a, u in self._balances.items()},
                "permit2Allowances": {a: str(u) for a, u in self._allowances.items()},
                "defaultBalanceUsd": self.default_balance_usd,
            }

    def clear(self) -> None:
        with self._lock:
            self.settlements.clear()
            self.calls.clear()
            self._balances.clear()
            self._allowances.clear()
            self._spent.clear()
            self.default_balance_usd = DEFAULT_BALANCE_USD


class InsufficientFunds(Exception):
    """The payer's balance fell below the amount between verification and settlement."""


class AllowanceRequired(Exception):
    """The payer's Permit2 allowance fell below the amount between verification and settlement."""
