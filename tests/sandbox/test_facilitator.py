"""The sandbox as an x402 facilitator: /facilitator/supported, /verify and /settle, with real
EIP-712 checks, spent nonces, simulated balances and idempotent resubmission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx2
import pytest
from eth_account.signers.local import LocalAccount

from tests.sandbox.facilitation import (
    AMOUNT,
    NOW,
    PAY_TO,
    RESOURCE,
    authorization,
    body,
    payer,
    requirements,
)
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

OTHER = "0x1111111111111111111111111111111111111111"


async def verify(fac: httpx2.AsyncClient, request: Any) -> dict[str, Any]:
    response = await fac.post("/facilitator/verify", json=request)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def settle(fac: httpx2.AsyncClient, request: Any) -> dict[str, Any]:
    response = await fac.post("/facilitator/settle", json=request)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_supported_lists_exact_and_upto_on_base_and_a_signer(fac: httpx2.AsyncClient) -> None:
    supported = (await fac.get("/facilitator/supported")).json()
    (signer,) = supported["signers"]["eip155:*"]
    assert signer.startswith("0x") and len(signer) == 42
    assert supported["kinds"] == [
        {"x402Version": 2, "scheme": "exact", "network": "eip155:8453"},
        {
            "x402Version": 2,
            "scheme": "upto",
            "network": "eip155:8453",
            "extra": {"facilitatorAddress": signer},
        },
    ]
    assert supported["extensions"] == []


async def test_facilitator_lives_outside_the_venice_api(fac: httpx2.AsyncClient) -> None:
    assert (await fac.get("/api/v1/facilitator/supported")).status_code == 404


async def test_valid_payment_verifies_without_moving_funds(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    assert await verify(fac, body(account)) == {"isValid": True, "payer": account.address}
    assert state.facilitator.settlements == []
    assert state.facilitator.balance(account.address) == 100.0  # the default simulated balance


async def test_settle_moves_funds_and_records_the_settlement(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    request = body(account)
    receipt = await settle(fac, request)
    tx = receipt.pop("transaction")
    assert receipt == {"success": True, "payer": account.address, "network": "eip155:8453"}
    assert tx.startswith("0x") and len(bytes.fromhex(tx[2:])) == 32
    (settled,) = state.facilitator.settlements
    assert (settled.payer, settled.pay_to, settled.amount, settled.transaction, settled.resource) == (
        account.address,
        PAY_TO,
        AMOUNT,
        tx,
        RESOURCE,
    )
    assert settled.nonce == request["paymentPayload"]["payload"]["authorization"]["nonce"]
    assert state.facilitator.balance_units(account.address) == 100_000_000 - AMOUNT
    assert state.facilitator.balance_units(PAY_TO) == 100_000_000 + AMOUNT
    listed = (await fac.get("/_sandbox/facilitator/settlements")).json()
    assert [(s["payer"], s["payTo"], s["amount"], s["transaction"]) for s in listed] == [
        (account.address, PAY_TO, str(AMOUNT), tx)
    ]


async def test_settled_payment_no_longer_verifies(fac: httpx2.AsyncClient) -> None:
    request = body(payer())
    assert (await settle(fac, request))["success"] is True
    verdict = await verify(fac, request)
    assert (verdict["isValid"], verdict["invalidReason"]) == (False, "invalid_exact_evm_nonce_already_used")


# -- refusals: each check has its own reason, on verify and on settle alike -------------------

Build = Callable[[LocalAccount], Any]


def _signed_by_another_key(a: LocalAccount) -> Any:
    return body(a, signer=payer())


def _signed_for_another_chain(a: LocalAccount) -> Any:
    return body(a, chain_id=84532)


def _tampered_after_signing(a: LocalAccount) -> Any:
    request = body(a)
    request["paymentPayload"]["payload"]["authorization"]["validBefore"] = str(NOW + 600)
    return request


def _truncated_signature(a: LocalAccount) -> Any:
    request = body(a)
    request["paymentPayload"]["payload"]["signature"] = request["paymentPayload"]["payload"]["signature"][:-2]
    return request


def _version(outer: int, inner: int) -> Build:
    def build(a: LocalAccount) -> Any:
        request = body(a)
        request["x402Version"] = outer
        request["paymentPayload"]["x402Version"] = inner
        return request

    return build


def _accepted(**changes: Any) -> Build:
    return lambda a: body(a, accepted=requirements(**changes))


def _both(**changes: Any) -> Build:
    return lambda a: body(a, req=requirements(**changes))


def _no_authorization(a: LocalAccount) -> Any:
    request = body(a)
    del request["paymentPayload"]["payload"]["authorization"]
    return request


REFUSALS: dict[str, tuple[Build, str]] = {
    "wrong payTo": (
        lambda a: body(a, auth=authorization(a, to=OTHER)),
        "invalid_exact_evm_payload_recipient_mismatch",
    ),
    "underpaid": (
        lambda a: body(a, auth=authorization(a, value=str(AMOUNT - 1))),
        "invalid_exact_evm_payload_authorization_value_mismatch",
    ),
    "overpaid": (
        lambda a: body(a, auth=authorization(a, value=str(AMOUNT + 1))),
        "invalid_exact_evm_payload_authorization_value_mismatch",
    ),
    "wrong network": (_both(network="eip155:84532"), "invalid_network"),
    "wrong asset": (
        _both(asset="0x036CbD53842c5426634e7929541eC2318f3dCF7e"),
        "invalid_payment_requirements",
    ),
    "other scheme": (_both(scheme="batch-settlement"), "unsupported_scheme"),
    "accepted other scheme": (_accepted(scheme="upto"), "invalid_exact_evm_scheme"),
    "accepted other network": (_accepted(network="eip155:84532"), "invalid_exact_evm_network_mismatch"),
    "accepted other asset": (_accepted(asset=OTHER), "invalid_exact_evm_accepted_mismatch"),
    "accepted other payTo": (_accepted(payTo=OTHER), "invalid_exact_evm_accepted_mismatch"),
    "accepted other amount": (_accepted(amount=str(AMOUNT * 2)), "invalid_exact_evm_accepted_mismatch"),
    "expired": (
        lambda a: body(a, auth=authorization(a, validBefore=str(NOW - 1))),
        "invalid_exact_evm_payload_authorization_valid_before",
    ),
    "expiring within the buffer": (
        lambda a: body(a, auth=authorization(a, validBefore=str(NOW + 3))),
        "invalid_exact_evm_payload_authorization_valid_before",
    ),
    "not yet valid": (
        lambda a: body(a, auth=authorization(a, validAfter=str(NOW + 30))),
        "invalid_exact_evm_payload_authorization_valid_after",
    ),
    "signed by another key": (_signed_by_another_key, "invalid_exact_evm_payload_signature"),
    "signed for another chain": (_signed_for_another_chain, "invalid_exact_evm_payload_signature"),
    "tampered after signing": (_tampered_after_signing, "invalid_exact_evm_payload_signature"),
    "truncated signature": (_truncated_signature, "invalid_exact_evm_payload_signature"),
    "x402 v1 request": (_version(1, 2), "invalid_x402_version"),
    "x402 v1 payload": (_version(2, 1), "invalid_x402_version"),
    "no authorization": (_no_authorization, "invalid_payload"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_verify_refuses_with_its_own_reason(
    fac: httpx2.AsyncClient, state: SandboxState, case: str
) -> None:
    build, reason = REFUSALS[case]
    account = payer()
    verdict = await verify(fac, build(account))
    assert verdict["isValid"] is False
    assert verdict["invalidReason"] == reason, verdict
    assert isinstance(verdict["invalidMessage"], str) and verdict["invalidMessage"]


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_settle_refuses_and_moves_nothing(
    fac: httpx2.AsyncClient, state: SandboxState, case: str
) -> None:
    build, reason = REFUSALS[case]
    account = payer()
    receipt = await settle(fac, build(account))
    assert (receipt["success"], receipt["errorReason"], receipt["transaction"]) == (False, reason, ""), (
        receipt
    )
    assert isinstance(receipt["network"], str)
    assert state.facilitator.settlements == []
    assert state.facilitator.balance_units(account.address) == 100_000_000


async def test_refusals_name_the_payer_once_the_authorization_is_readable(fac: httpx2.AsyncClient) -> None:
    account = payer()
    late = await verify(fac, body(account, auth=authorization(account, validBefore=str(NOW - 1))))
    assert late["payer"] == account.address
    assert "payer" not in await verify(fac, _version(1, 2)(account))


async def test_a_body_that_is_not_json_is_an_invalid_payload(fac: httpx2.AsyncClient) -> None:
    response = await fac.post(
        "/facilitator/verify", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.json()["invalidReason"] == "invalid_payload"


async def test_insufficient_funds(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    account = payer()
    state.facilitator.set_balance(account.address, 0.009999)  # one unit short of $0.01
    request = body(account)
    assert (await verify(fac, request))["invalidReason"] == "insufficient_funds"
    receipt = await settle(fac, request)
    assert (receipt["success"], receipt["errorReason"], receipt["payer"]) == (
        False,
        "insufficient_funds",
        account.address,
    )
    state.facilitator.set_balance(account.address, 0.01)  # exactly enough
    assert (await settle(fac, request))["success"] is True
    assert state.facilitator.balance_units(account.address) == 0


async def test_balance_is_spent_across_payments(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    account = payer()
    state.facilitator.set_balance(account.address, 0.015)
    assert (await settle(fac, body(account)))["success"] is True
    assert (await settle(fac, body(account)))["errorReason"] == "insufficient_funds"


async def test_another_authorization_reusing_a_spent_nonce_is_refused(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    first = authorization(account)
    assert (await settle(fac, body(account, auth=first)))["success"] is True
    replay = authorization(account, nonce=first["nonce"], validBefore=str(NOW + 90))  # validly signed
    assert (await verify(fac, body(account, auth=replay)))[
        "invalidReason"
    ] == "invalid_exact_evm_nonce_already_used"
    receipt = await settle(fac, body(account, auth=replay))
    assert (receipt["success"], receipt["errorReason"]) == (False, "invalid_exact_evm_nonce_already_used")
    assert len(state.facilitator.settlements) == 1
    assert state.facilitator.balance_units(account.address) == 100_000_000 - AMOUNT


async def test_the_same_nonce_is_free_for_another_payer(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    a, b = payer(), payer()
    nonce = authorization(a)["nonce"]
    assert (await settle(fac, body(a, auth=authorization(a, nonce=nonce))))["success"] is True
    assert (await settle(fac, body(b, auth=authorization(b, nonce=nonce))))["success"] is True
    assert len(state.facilitator.settlements) == 2


# -- idempotent resubmission -------------------------------------------------------------------


async def test_resubmitting_the_same_payment_returns_the_first_settlement(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    request = body(account)
    first = await settle(fac, request)
    # Even once the authorization has expired and the balance is gone: a late retry still succeeds.
    state.clock = lambda: float(NOW + 3600)
    state.facilitator.set_balance(account.address, 0)
    again = await settle(fac, request)
    assert again == first and first["success"] is True
    (settled,) = state.facilitator.settlements
    assert settled.submissions == 2
    assert state.facilitator.balance_units(PAY_TO) == 100_000_000 + AMOUNT


async def test_concurrent_settles_of_one_payment_settle_it_once(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    request = body(payer())
    receipts: list[dict[str, Any]] = []

    async def one() -> None:
        receipts.append(await settle(fac, request))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(one)
    assert len(receipts) == 4 and all(r == receipts[0] and r["success"] for r in receipts)
    assert len(state.facilitator.settlements) == 1


async def test_control_route_sets_balances(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    account = payer()
    answer = await fac.post("/_sandbox/facilitator/balances", json={"address": account.address, "usd": 0})
    assert answer.json() == {"address": account.address, "usd": 0.0, "units": "0"}
    assert (await settle(fac, body(account)))["errorReason"] == "insufficient_funds"
    for bad in ({"address": account.address}, {"address": account.address, "usd": -1}, {"usd": 5}, [1]):
        assert (await fac.post("/_sandbox/facilitator/balances", json=bad)).status_code == 400
    await fac.post("/_sandbox/facilitator/balances", json={"address": account.address, "usd": 5})
    assert state.facilitator.balance(account.address) == 5.0


async def test_reset_forgets_settlements_and_balances(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    account = payer()
    state.facilitator.set_balance(account.address, 1)
    request = body(account)
    assert (await settle(fac, request))["success"] is True
    assert (await fac.post("/_sandbox/reset")).status_code == 200
    assert state.facilitator.settlements == [] and state.facilitator.calls == []
    assert state.facilitator.balance(account.address) == 100.0
    assert (await verify(fac, request))["isValid"] is True  # its nonce is unspent again


async def test_verify_and_settle_calls_are_recorded(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    request = body(payer())
    await verify(fac, request)
    await settle(fac, request)
    assert [(c["route"], c["body"]) for c in state.facilitator.calls] == [
        ("verify", request),
        ("settle", request),
    ]
