"""The sandbox facilitator's ``upto`` scheme: a Permit2 authorization for a maximum, verified for
real, settled for the actual amount (0 to the maximum) once, with simulated allowances."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from eth_account.signers.local import LocalAccount

from tests.sandbox.facilitation import NOW, PAY_TO, RESOURCE, payer
from tests.sandbox.permits import FACILITATOR, MAXIMUM, authorization, body, charging, requirements
from venice_mcp.sandbox import SandboxState
from venice_mcp.sandbox.facilitator_upto import permit2_digest

pytestmark = pytest.mark.anyio

OTHER = "0x1111111111111111111111111111111111111111"
START = 100_000_000  # every payer's default simulated balance, $100
VECTOR = json.loads((Path(__file__).parent / "data" / "upto_x402_vector.json").read_text())


async def post(fac: httpx2.AsyncClient, route: str, request: Any, status: int = 200) -> dict[str, Any]:
    response = await fac.post(f"/facilitator/{route}", json=request)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


async def verify(fac: httpx2.AsyncClient, request: Any, status: int = 200) -> dict[str, Any]:
    return await post(fac, "verify", request, status)


async def settle(fac: httpx2.AsyncClient, request: Any, status: int = 200) -> dict[str, Any]:
    return await post(fac, "settle", request, status)


async def test_supported_announces_the_address_clients_bind_into_the_witness(
    fac: httpx2.AsyncClient,
) -> None:
    supported = (await fac.get("/facilitator/supported")).json()
    (upto,) = [k for k in supported["kinds"] if k["scheme"] == "upto"]
    assert upto == {
        "x402Version": 2,
        "scheme": "upto",
        "network": "eip155:8453",
        "extra": {"facilitatorAddress": FACILITATOR},
    }
    assert supported["signers"]["eip155:*"] == [FACILITATOR]


# -- the x402 package's own signature ----------------------------------------------------------


def _vector_request(amount: int | None = None) -> dict[str, Any]:
    req = dict(VECTOR["requirements"])
    return {
        "x402Version": 2,
        "paymentPayload": {"x402Version": 2, "accepted": req, "payload": VECTOR["payload"]},
        "paymentRequirements": req if amount is None else {**req, "amount": str(amount)},
    }


def test_the_digest_is_the_x402_packages() -> None:
    raw = VECTOR["payload"]["permit2Authorization"]
    auth = {
        "from": raw["from"],
        "token": raw["permitted"]["token"],
        "amount": raw["permitted"]["amount"],
        "spender": raw["spender"],
        "nonce": raw["nonce"],
        "deadline": raw["deadline"],
        "to": raw["witness"]["to"],
        "facilitator": raw["witness"]["facilitator"],
        "validAfter": raw["witness"]["validAfter"],
    }
    assert "0x" + permit2_digest(auth).hex() == VECTOR["digest"]


async def test_a_payload_signed_by_the_x402_package_verifies_and_settles(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    assert VECTOR["payload"]["permit2Authorization"]["witness"]["facilitator"] == FACILITATOR
    assert await verify(fac, _vector_request()) == {"isValid": True, "payer": VECTOR["address"]}
    receipt = await settle(fac, _vector_request(amount=12_345))
    assert (receipt["success"], receipt["amount"], receipt["payer"]) == (True, "12345", VECTOR["address"])
    assert state.facilitator.balance_units(VECTOR["address"]) == START - 12_345


async def test_the_x402_packages_signature_over_other_data_is_refused(fac: httpx2.AsyncClient) -> None:
    request = _vector_request()
    request["paymentPayload"]["payload"]["permit2Authorization"]["deadline"] = str(NOW + 3600)
    verdict = await verify(fac, request)
    assert (verdict["isValid"], verdict["invalidReason"]) == (False, "invalid_permit2_signature")


# -- verify and settle -------------------------------------------------------------------------


async def test_valid_authorization_verifies_without_moving_funds(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    assert await verify(fac, body(account)) == {"isValid": True, "payer": account.address}
    assert state.facilitator.settlements == []
    assert state.facilitator.balance_units(account.address) == START


async def test_settling_less_than_the_maximum_charges_only_that(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    request = body(account)
    receipt = await settle(fac, charging(request, 12_000))
    tx = receipt.pop("transaction")
    assert receipt == {"success": True, "payer": account.address, "network": "eip155:8453", "amount": "12000"}
    assert tx.startswith("0x") and len(bytes.fromhex(tx[2:])) == 32
    assert state.facilitator.balance_units(account.address) == START - 12_000
    assert state.facilitator.balance_units(PAY_TO) == START + 12_000
    (settled,) = state.facilitator.settlements
    assert (settled.scheme, settled.amount, settled.maximum, settled.resource) == (
        "upto",
        12_000,
        MAXIMUM,
        RESOURCE,
    )
    listed = (await fac.get("/_sandbox/facilitator/settlements")).json()
    nonce = request["paymentPayload"]["payload"]["permit2Authorization"]["nonce"]
    assert listed == [
        {
            "payer": account.address,
            "payTo": PAY_TO,
            "amount": "12000",
            "nonce": nonce,
            "transaction": tx,
            "network": "eip155:8453",
            "resource": RESOURCE,
            "submissions": 1,
            "scheme": "upto",
            "maximum": str(MAXIMUM),
        }
    ]


async def test_settling_the_whole_maximum(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    account = payer()
    assert (await settle(fac, body(account)))["amount"] == str(MAXIMUM)
    assert state.facilitator.balance_units(account.address) == START - MAXIMUM


async def test_settling_more_than_the_maximum_is_refused_and_spends_nothing(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    request = body(account)
    receipt = await settle(fac, charging(request, MAXIMUM + 1))
    assert (receipt["success"], receipt["errorReason"], receipt["transaction"], receipt["payer"]) == (
        False,
        "invalid_upto_evm_payload_settlement_exceeds_amount",
        "",
        account.address,
    )
    assert state.facilitator.settlements == []
    assert state.facilitator.balance_units(account.address) == START
    assert (await settle(fac, charging(request, MAXIMUM)))["success"] is True  # the nonce is still free


async def test_a_zero_settlement_moves_nothing_has_no_transaction_and_consumes_the_authorization(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    request = body(account)
    receipt = await settle(fac, charging(request, 0))
    assert receipt == {
        "success": True,
        "payer": account.address,
        "transaction": "",
        "network": "eip155:8453",
        "amount": "0",
    }
    assert state.facilitator.balance_units(account.address) == START
    assert state.facilitator.balance_units(PAY_TO) == START
    (settled,) = state.facilitator.settlements
    assert (settled.amount, settled.transaction, settled.maximum) == (0, "", MAXIMUM)
    assert await settle(fac, charging(request, 0)) == receipt  # the same retry: the same answer
    assert settled.submissions == 2
    later = await settle(fac, charging(request, 5))  # single use, whatever the amount
    assert (later["success"], later["errorReason"]) == (False, "permit2_invalid_nonce")
    assert state.facilitator.balance_units(account.address) == START


async def test_settled_authorization_no_longer_verifies(fac: httpx2.AsyncClient) -> None:
    request = body(payer())
    assert (await settle(fac, charging(request, 1)))["success"] is True
    verdict = await verify(fac, request)
    assert (verdict["isValid"], verdict["invalidReason"]) == (False, "permit2_invalid_nonce")


async def test_the_spec_examples_hex_nonce_is_the_same_uint256(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    decimal = authorization(account)
    hexed = authorization(account, nonce=hex(int(decimal["nonce"])))
    assert (await verify(fac, body(account, auth=hexed)))["isValid"] is True
    assert (await settle(fac, body(account, auth=decimal)))["success"] is True
    assert state.facilitator.settlements[0].nonce == decimal["nonce"]
    verdict = await verify(fac, body(account, auth=hexed))
    assert verdict["invalidReason"] == "permit2_invalid_nonce"


# -- refusals: each check has its own reason, on verify and on settle alike -------------------

Build = Callable[[LocalAccount], Any]


def _auth(**changes: Any) -> Build:
    return lambda a: body(a, auth=authorization(a, **changes))


def _tampered(a: LocalAccount) -> Any:
    request = body(a)
    request["paymentPayload"]["payload"]["permit2Authorization"]["permitted"]["amount"] = str(MAXIMUM * 10)
    request["paymentRequirements"]["amount"] = str(MAXIMUM * 10)
    request["paymentPayload"]["accepted"]["amount"] = str(MAXIMUM * 10)
    return request


def _truncated(a: LocalAccount) -> Any:
    request = body(a)
    inner = request["paymentPayload"]["payload"]
    inner["signature"] = inner["signature"][:-2]
    return request


def _exact_payload(a: LocalAccount) -> Any:
    request = body(a)
    inner = request["paymentPayload"]["payload"]
    inner["authorization"] = inner.pop("permit2Authorization")
    return request


def _bad_nonce(a: LocalAccount) -> Any:
    request = body(a)
    request["paymentPayload"]["payload"]["permit2Authorization"]["nonce"] = "-1"
    return request


def _accepted(**changes: Any) -> Build:
    return lambda a: body(a, accepted=requirements(**changes))


def _both(**changes: Any) -> Build:
    return lambda a: body(a, req=requirements(**changes))


def _version(a: LocalAccount) -> Any:
    request = body(a)
    request["paymentPayload"]["x402Version"] = 1
    return request


# case -> (request, verify's reason, settle's reason when it differs)
REFUSALS: dict[str, tuple[Build, str, str | None]] = {
    "signed by another key": (lambda a: body(a, signer=payer()), "invalid_permit2_signature", None),
    "signed for another chain": (lambda a: body(a, chain_id=84532), "invalid_permit2_signature", None),
    "signed for another contract": (lambda a: body(a, contract=OTHER), "invalid_permit2_signature", None),
    "tampered after signing": (_tampered, "invalid_permit2_signature", None),
    "truncated signature": (_truncated, "invalid_permit2_signature", None),
    # A maximum under what is asked: a mismatch at verify, too little to settle the asked amount.
    "maximum below the amount": (
        lambda a: body(
            a, auth=authorization(a, amount=MAXIMUM - 1), accepted=requirements(amount=str(MAXIMUM - 1))
        ),
        "permit2_amount_mismatch",
        "invalid_upto_evm_payload_settlement_exceeds_amount",
    ),
    "another token": (_auth(token=OTHER), "permit2_token_mismatch", None),
    "another spender": (
        _auth(spender="0x402085c248EeA27D92E8b30b2C58ed07f9E20001"),  # the exact scheme's proxy
        "invalid_permit2_spender",
        None,
    ),
    "witness pays another": (_auth(to=OTHER), "invalid_permit2_recipient_mismatch", None),
    "witness names another facilitator": (_auth(facilitator=OTHER), "upto_facilitator_mismatch", None),
    "expired": (_auth(deadline=str(NOW - 1)), "permit2_deadline_expired", None),
    "expiring within the buffer": (_auth(deadline=str(NOW + 3)), "permit2_deadline_expired", None),
    "not yet valid": (_auth(valid_after=NOW + 30), "permit2_not_yet_valid", None),
    "another network": (_both(network="eip155:84532"), "invalid_network", None),
    "another asset": (_both(asset=OTHER), "invalid_payment_requirements", None),
    "accepted exact": (_accepted(scheme="exact"), "invalid_upto_evm_scheme", None),
    "accepted another network": (
        _accepted(network="eip155:84532"),
        "invalid_upto_evm_network_mismatch",
        None,
    ),
    "accepted another payTo": (_accepted(payTo=OTHER), "invalid_upto_evm_accepted_mismatch", None),
    "accepted another amount": (_accepted(amount="1"), "invalid_upto_evm_accepted_mismatch", None),
    "an exact-shaped payload": (_exact_payload, "invalid_payload", None),
    "a nonce that is no uint256": (_bad_nonce, "invalid_payload", None),
    "x402 v1 payload": (_version, "invalid_x402_version", None),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_verify_refuses_with_its_own_reason(fac: httpx2.AsyncClient, case: str) -> None:
    build, reason, _ = REFUSALS[case]
    verdict = await verify(fac, build(payer()))
    assert (verdict["isValid"], verdict["invalidReason"]) == (False, reason), verdict
    assert isinstance(verdict["invalidMessage"], str) and verdict["invalidMessage"]


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_settle_refuses_and_moves_nothing(
    fac: httpx2.AsyncClient, state: SandboxState, case: str
) -> None:
    build, reason, at_settle = REFUSALS[case]
    account = payer()
    receipt = await settle(fac, build(account))
    assert (receipt["success"], receipt["errorReason"], receipt["transaction"]) == (
        False,
        at_settle or reason,
        "",
    ), receipt
    assert state.facilitator.settlements == []
    assert state.facilitator.balance_units(account.address) == START


# -- allowance and balance ---------------------------------------------------------------------


async def test_a_short_permit2_allowance_is_412_allowance_required(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    state.facilitator.set_permit2_allowance(account.address, MAXIMUM - 1)
    request = body(account)
    verdict = await verify(fac, request, status=412)
    assert (verdict["isValid"], verdict["invalidReason"], verdict["payer"]) == (
        False,
        "permit2_allowance_required",
        account.address,
    )
    assert "PERMIT2_ALLOWANCE_REQUIRED" in verdict["invalidMessage"]
    receipt = await settle(fac, charging(request, MAXIMUM), status=412)
    assert (receipt["success"], receipt["errorReason"]) == (False, "permit2_allowance_required")
    assert state.facilitator.settlements == []
    # Settling needs only the actual amount approved, and spends that much of the allowance.
    assert (await settle(fac, charging(request, MAXIMUM - 1)))["success"] is True
    assert state.facilitator.permit2_allowance(account.address) == 0
    assert state.facilitator.balance_units(account.address) == START - (MAXIMUM - 1)


async def test_the_default_allowance_is_unlimited_and_not_spent(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    assert (await settle(fac, body(account)))["success"] is True
    assert state.facilitator.permit2_allowance(account.address) == 2**256 - 1


async def test_the_allowance_is_checked_before_the_balance_and_the_clock(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    state.facilitator.set_permit2_allowance(account.address, 0)
    state.facilitator.set_balance(account.address, 0)
    late = body(account, auth=authorization(account, deadline=str(NOW - 1)))
    assert (await verify(fac, late, status=412))["invalidReason"] == "permit2_allowance_required"
    state.facilitator.set_permit2_allowance(account.address, None)
    assert (await verify(fac, late))["invalidReason"] == "insufficient_funds"


async def test_insufficient_funds(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    account = payer()
    state.facilitator.set_balance(account.address, 0.04)  # $0.05 authorized
    request = body(account)
    verdict = await verify(fac, request)
    assert (verdict["invalidReason"], verdict["payer"]) == ("insufficient_funds", account.address)
    too_much = await settle(fac, charging(request, 40_001))
    assert (too_much["success"], too_much["errorReason"]) == (False, "insufficient_funds")
    assert (await settle(fac, charging(request, 40_000)))["success"] is True  # the chain needs only this
    assert state.facilitator.balance_units(account.address) == 0


async def test_control_route_sets_allowances(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    account = payer()
    route = "/_sandbox/facilitator/allowances"
    answer = await fac.post(route, json={"address": account.address, "units": "0"})
    assert answer.json() == {"address": account.address, "units": "0"}
    assert (await verify(fac, body(account), status=412))["invalidReason"] == "permit2_allowance_required"
    assert (await fac.post(route, json={"address": account.address, "units": MAXIMUM})).status_code == 200
    assert (await verify(fac, body(account)))["isValid"] is True
    for bad in (
        {"address": account.address},
        {"address": account.address, "units": -1},
        {"address": account.address, "units": "1.5"},
        {"address": account.address, "units": 2**256},
        {"address": account.address, "units": True},
        {"units": 5},
        [1],
    ):
        assert (await fac.post(route, json=bad)).status_code == 400, bad
    restored = await fac.post(route, json={"address": account.address, "units": None})
    assert restored.json()["units"] == str(2**256 - 1)


async def test_reset_forgets_allowances(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    account = payer()
    state.facilitator.set_permit2_allowance(account.address, 0)
    assert (await fac.post("/_sandbox/reset")).status_code == 200
    assert state.facilitator.permit2_allowance(account.address) == 2**256 - 1


# -- resubmission ------------------------------------------------------------------------------


async def test_resubmitting_the_same_settlement_returns_the_first(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    request = charging(body(account), 7_000)
    first = await settle(fac, request)
    # Even once the permit has expired and the balance is gone: a late retry still succeeds.
    state.clock = lambda: float(NOW + 3600)
    state.facilitator.set_balance(account.address, 0)
    again = await settle(fac, request)
    assert again == first and first["success"] is True
    (settled,) = state.facilitator.settlements
    assert settled.submissions == 2
    assert state.facilitator.balance_units(PAY_TO) == START + 7_000


async def test_settling_again_for_another_amount_is_refused(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    request = body(account)
    assert (await settle(fac, charging(request, 7_000)))["success"] is True
    for amount in (6_000, 8_000, 0):
        receipt = await settle(fac, charging(request, amount))
        assert (receipt["success"], receipt["errorReason"]) == (False, "permit2_invalid_nonce"), amount
    assert len(state.facilitator.settlements) == 1
    assert state.facilitator.balance_units(account.address) == START - 7_000


async def test_another_authorization_reusing_a_spent_nonce_is_refused(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    account = payer()
    first = authorization(account)
    assert (await settle(fac, body(account, auth=first)))["success"] is True
    replay = authorization(account, nonce=first["nonce"], deadline=str(NOW + 90))  # validly signed
    receipt = await settle(fac, body(account, auth=replay))
    assert (receipt["success"], receipt["errorReason"]) == (False, "permit2_invalid_nonce")
    other = payer()  # Permit2 nonces are per owner
    assert (await settle(fac, body(other, auth=authorization(other, nonce=first["nonce"]))))[
        "success"
    ] is True


async def test_concurrent_settles_of_one_authorization_settle_it_once(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    request = charging(body(payer()), 9_000)
    receipts: list[dict[str, Any]] = []

    async def one() -> None:
        receipts.append(await settle(fac, request))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(one)
    assert len(receipts) == 4 and all(r == receipts[0] and r["success"] for r in receipts)
    assert len(state.facilitator.settlements) == 1


async def test_answer_lost_after_settling_then_resubmission_gets_the_original(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    state.faults.add("/facilitator/settle", after=True, status=504)
    account = payer()
    request = charging(body(account), 3_000)
    assert (await fac.post("/facilitator/settle", json=request)).status_code == 504
    (settled,) = state.facilitator.settlements
    retry = await settle(fac, request)
    assert (retry["success"], retry["transaction"], retry["amount"]) == (True, settled.transaction, "3000")
    assert state.facilitator.balance_units(account.address) == START - 3_000
