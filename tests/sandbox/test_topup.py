"""The sandbox's x402 routes: top-up discovery and strict settlement (signatures checked for real,
credited once per nonce), and the SIWX-gated balance and transactions reads."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from tests.sandbox.payments import (
    PAY_TO,
    authorization,
    b64,
    high_s,
    sign,
    unb64,
    v2_shape,
    venice_shape,
    with_v,
)
from tests.sandbox.siwe import Wallet
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.payments.x402 import select_requirement, sign_payment
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

TOPUP = "/x402/top-up"


async def discover(client: httpx2.AsyncClient) -> dict[str, Any]:
    response = await client.post(TOPUP)
    assert response.status_code == 402
    return response.json()  # type: ignore[no-any-return]


async def pay(
    client: httpx2.AsyncClient, payload: dict[str, Any], header: str = "X-402-Payment"
) -> httpx2.Response:
    return await client.post(TOPUP, headers={header: b64(payload)})


def good(wallet: Wallet, value: int = 5_000_000) -> dict[str, Any]:
    auth = authorization(wallet, value=value)
    return venice_shape(auth, sign(wallet.key, auth))


async def test_discovery_without_content_type_is_venice_form_d(client: httpx2.AsyncClient) -> None:
    response = await client.post(TOPUP)  # no body, no Content-Type: as venice-x402-client sends it
    assert response.status_code == 402
    body = response.json()
    assert unb64(response.headers["payment-required"]) == body
    assert body["x402Version"] == 2 and set(body) == {"x402Version", "accepts"}
    base, solana = body["accepts"]
    assert base["network"] == "eip155:8453" and base["amount"] == "5000000" and base["payTo"] == PAY_TO
    assert base["asset"] == "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"
    assert base["extra"] == {"name": "USD Coin", "version": "2"}
    assert solana["network"] == "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"


@pytest.mark.parametrize("header", ["PAYMENT-SIGNATURE", "X-402-Payment", "X-PAYMENT"])
async def test_valid_payment_is_credited_once_per_nonce(
    client: httpx2.AsyncClient, state: SandboxState, header: str
) -> None:
    wallet = Wallet.random()
    payload = good(wallet, 7_500_000)
    first = await pay(client, payload, header)
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert (
        data["walletAddress"] == wallet.address
        and data["amountCredited"] == 7.5
        and data["newBalance"] == 7.5
    )
    receipt = unb64(first.headers["payment-response"])
    assert (
        receipt["success"] is True
        and receipt["network"] == "eip155:8453"
        and receipt["payer"] == wallet.address
    )
    assert receipt["transaction"].startswith("0x") and len(receipt["transaction"]) == 66
    again = await pay(client, payload, header)
    assert again.status_code == 200 and again.json()["data"]["paymentId"] == data["paymentId"]
    assert state.balance(wallet.address) == 7.5
    assert [e["type"] for e in state.ledger(wallet.address)] == ["TOP_UP"]
    # A different nonce is a different payment.
    assert (await pay(client, good(wallet), header)).status_code == 200
    assert state.balance(wallet.address) == 12.5


async def test_v2_payload_shape_from_the_project_payer(
    client: httpx2.AsyncClient, state: SandboxState
) -> None:
    wallet = Wallet.random()
    req = select_requirement(await discover(client))
    signed = sign_payment(EthAccountSigner(wallet.key), req, 5_000_000, shape="x402v2")
    response = await client.post(TOPUP, headers={signed.header_name: signed.header})
    assert response.status_code == 200, response.text
    assert state.balance(wallet.address) == 5.0
    [entry] = state.topups.submissions
    assert entry["shape"] == "x402v2" and entry["header"] == "payment-signature"


async def test_v2_payload_with_another_recipient_in_accepted_is_refused(client: httpx2.AsyncClient) -> None:
    wallet = Wallet.random()
    accepted = (await discover(client))["accepts"][0]
    auth = authorization(wallet)
    payload = v2_shape(auth, sign(wallet.key, auth), {**accepted, "payTo": "0x" + "12" * 20})
    response = await pay(client, payload, "PAYMENT-SIGNATURE")
    assert response.status_code == 400 and response.json()["error"] == "INVALID_PAYMENT_RECIPIENT"


def _bad_signature(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet)
    return venice_shape(auth, sign(Wallet.random().key, auth))  # signed by someone else


def _wrong_pay_to(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet, to="0x" + "12" * 20)
    return venice_shape(auth, sign(wallet.key, auth))


def _below_minimum(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet, value=4_999_999)
    return venice_shape(auth, sign(wallet.key, auth))


def _above_maximum(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet, value=10_000_000_001)
    return venice_shape(auth, sign(wallet.key, auth))


def _high_s(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet)
    return venice_shape(auth, high_s(sign(wallet.key, auth)))


def _v_zero(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet)
    sig = sign(wallet.key, auth)
    return venice_shape(auth, with_v(sig, int(sig[-2:], 16) - 27))


def _v_29(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet)
    return venice_shape(auth, with_v(sign(wallet.key, auth), 29))


def _short_signature(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet)
    return venice_shape(auth, sign(wallet.key, auth)[:-2])


def _integer_field(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet)
    sig = sign(wallet.key, auth)
    return venice_shape({**auth, "validAfter": int(auth["validAfter"])}, sig)


def _short_nonce(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet, nonce="0x" + "ab" * 16)
    return venice_shape(auth, "0x" + "00" * 65)


def _expired(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet, validBefore="1700000000")
    return venice_shape(auth, sign(wallet.key, auth))


def _not_yet_valid(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet, validAfter="4000000000", validBefore="4000000300")
    return venice_shape(auth, sign(wallet.key, auth))


def _sepolia_domain(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet)
    return venice_shape(auth, sign(wallet.key, auth, name="USDC", chain_id=84532))


def _wrong_network(wallet: Wallet) -> dict[str, Any]:
    auth = authorization(wallet)
    return venice_shape(auth, sign(wallet.key, auth), network="eip155:84532")


def _wrong_scheme(wallet: Wallet) -> dict[str, Any]:
    return {**good(wallet), "scheme": "upto"}


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (_bad_signature, "PAYMENT_VERIFICATION_FAILED"),
        (_wrong_pay_to, "INVALID_PAYMENT_RECIPIENT"),
        (_below_minimum, "AMOUNT_TOO_LOW"),
        (_above_maximum, "AMOUNT_TOO_HIGH"),
        (_high_s, "PAYMENT_VERIFICATION_FAILED"),
        (_v_zero, "PAYMENT_VERIFICATION_FAILED"),
        (_v_29, "PAYMENT_VERIFICATION_FAILED"),
        (_short_signature, "PAYMENT_VERIFICATION_FAILED"),
        (_integer_field, "INVALID_PAYMENT_FORMAT"),
        (_short_nonce, "INVALID_PAYMENT_FORMAT"),
        (_expired, "PAYMENT_VERIFICATION_FAILED"),
        (_not_yet_valid, "PAYMENT_VERIFICATION_FAILED"),
        (_sepolia_domain, "PAYMENT_VERIFICATION_FAILED"),
        (_wrong_network, "UNSUPPORTED_NETWORK"),
        (_wrong_scheme, "UNSUPPORTED_SCHEME"),
    ],
)
async def test_bad_payments_are_rejected_and_credit_nothing(
    client: httpx2.AsyncClient, state: SandboxState, make: Any, code: str
) -> None:
    wallet = Wallet.random()
    response = await pay(client, make(wallet))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == code
    assert state.balance(wallet.address) == 0.0 and state.topups.settlements == {}


async def test_malformed_header_is_invalid_payment_format(client: httpx2.AsyncClient) -> None:
    response = await client.post(TOPUP, headers={"PAYMENT-SIGNATURE": "not base64 json!"})
    assert response.status_code == 400 and response.json()["error"] == "INVALID_PAYMENT_FORMAT"


async def test_payment_header_elsewhere_is_refused(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    body = {"model": "default", "messages": [{"role": "user", "content": "hi"}]}
    response = await client.post(
        "/chat/completions",
        json=body,
        headers={"SIGN-IN-WITH-X": wallet.header(), "X-PAYMENT": b64(good(wallet))},
    )
    assert response.status_code == 400 and response.json()["code"] == "PAYMENT_HEADER_NOT_ACCEPTED"


async def test_timeout_after_credit_then_resubmission_credits_once(
    client: httpx2.AsyncClient, state: SandboxState
) -> None:
    wallet = Wallet.random()
    state.topups.faults.timeout_after_credit = 1
    payload = good(wallet)
    first = await pay(client, payload)
    assert first.status_code == 504 and first.json()["error"] == "SETTLEMENT_TIMEOUT"
    assert state.balance(wallet.address) == 5.0  # it landed anyway
    second = await pay(client, payload)
    assert second.status_code == 200 and second.json()["data"]["newBalance"] == 5.0
    assert len(state.topups.settlements) == 1 and len(state.topups.nonces()) == 1


async def test_in_progress_and_rate_limit_faults_process_nothing(
    client: httpx2.AsyncClient, state: SandboxState
) -> None:
    wallet = Wallet.random()
    state.topups.faults.in_progress = 1
    state.topups.faults.rate_limited = 1
    payload = good(wallet)
    assert (await pay(client, payload)).status_code == 429
    conflict = await pay(client, payload)
    assert conflict.status_code == 409 and conflict.json()["error"] == "PAYMENT_IN_PROGRESS"
    assert state.balance(wallet.address) == 0.0
    assert (await pay(client, payload)).status_code == 200
    assert state.balance(wallet.address) == 5.0


# -- balance and transactions ------------------------------------------------------------------


@pytest.mark.parametrize("route", ["balance", "transactions"])
async def test_wallet_reads_need_the_wallets_own_siwx(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet, route: str
) -> None:
    path = f"/x402/{route}/{wallet.address}"
    missing = await client.get(path)
    assert missing.status_code == 402 and missing.json()["accepts"] == []
    assert unb64(missing.headers["payment-required"])["accepts"] == []
    bad = await client.get(path, headers={"SIGN-IN-WITH-X": wallet.header(signer=Wallet.random())})
    assert bad.status_code == 401 and bad.json() == {"error": "Invalid Sign-in-with-x signature"}
    other = Wallet.random()
    forbidden = await client.get(path, headers={"SIGN-IN-WITH-X": other.header()})
    assert forbidden.status_code == 403 and "your own wallet" in forbidden.json()["error"]
    own = await client.get(path, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert own.status_code == 200 and own.json()["success"] is True
    # The sandbox's own host is an accepted SIWX domain (Venice's SDK signs with the URL's host).
    assert (
        await client.get(path, headers={"SIGN-IN-WITH-X": wallet.header(domain="sandbox.test")})
    ).status_code == 200


async def test_balance_shape_and_diem(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    path = f"/x402/balance/{wallet.address}"
    data = (await client.get(path, headers={"SIGN-IN-WITH-X": wallet.header()})).json()["data"]
    assert data == {
        "walletAddress": wallet.address,
        "balanceUsd": 10.0,
        "canConsume": True,
        "minimumTopUpUsd": 5,
        "suggestedTopUpUsd": 10,
    }
    fresh = Wallet.random()
    state.diem[fresh.address.lower()] = 5.25
    data = (
        await client.get(f"/x402/balance/{fresh.address}", headers={"SIGN-IN-WITH-X": fresh.header()})
    ).json()
    assert data["data"]["balanceUsd"] == 0 and data["data"]["diemBalanceUsd"] == 5.25
    assert data["data"]["canConsume"] is True


async def test_transactions_are_paged_newest_first_with_request_ids(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    body = {"model": "default", "messages": [{"role": "user", "content": "hi"}]}
    chat = await client.post("/chat/completions", json=body, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert chat.status_code == 200
    path = f"/x402/transactions/{wallet.address}"
    page = (await client.get(path, params={"limit": 1}, headers={"SIGN-IN-WITH-X": wallet.header()})).json()[
        "data"
    ]
    [charge] = page["transactions"]
    assert charge["type"] == "CHARGE" and charge["requestId"] == chat.json()["id"] and charge["amount"] < 0
    assert page["pagination"] == {"limit": 1, "offset": 0, "hasMore": True}
    rest = await client.get(
        path, params={"limit": 1, "offset": 1}, headers={"SIGN-IN-WITH-X": wallet.header()}
    )
    assert [t["type"] for t in rest.json()["data"]["transactions"]] == ["TOP_UP"]
    bad = await client.get(path, params={"limit": 0}, headers={"SIGN-IN-WITH-X": wallet.header()})
    assert bad.status_code == 400
