"""Facilitator faults: a settle whose answer is lost after the payment settled (a resubmission
gets the first settlement, nothing is charged twice) and one that fails before settling."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
import httpx2
import pytest

from tests.sandbox.facilitation import AMOUNT, PAY_TO, body, payer
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio

SETTLE = "/facilitator/settle"


async def test_timeout_after_settling_then_resubmission_settles_once(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    state.faults.add(SETTLE, delay=600, after=True)  # settles, then never answers in time
    account = payer()
    request = body(account)
    answered: list[httpx2.Response] = []

    async def first_try() -> None:
        answered.append(await fac.post(SETTLE, json=request))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first_try)
            await state.facilitator.wait_settlements(1)
            await anyio.wait_all_tasks_blocked()
            tg.cancel_scope.cancel()  # the payee's client gives up: a timeout
    assert answered == []
    (settled,) = state.facilitator.settlements

    retry = (await fac.post(SETTLE, json=request)).json()
    assert retry == {
        "success": True,
        "payer": account.address,
        "transaction": settled.transaction,
        "network": "eip155:8453",
    }
    assert len(state.facilitator.settlements) == 1 and settled.submissions == 2
    assert state.facilitator.balance_units(account.address) == 100_000_000 - AMOUNT


async def test_a_released_stall_after_settling_still_answers_success(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    state.faults.add(SETTLE, delay=600, after=True)
    answered: list[dict[str, Any]] = []

    async def first_try() -> None:
        answered.append((await fac.post(SETTLE, json=body(payer()))).json())

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first_try)
            await state.facilitator.wait_settlements(1)
            await anyio.wait_all_tasks_blocked()
            assert answered == []  # settled, yet still stalled
            state.faults.release_delays()
    assert [a["success"] for a in answered] == [True]


@pytest.mark.parametrize("fault", [{"status": 504}, {"drop": True}])
async def test_answer_lost_after_settling_then_resubmission_gets_the_original(
    fac: httpx2.AsyncClient, state: SandboxState, fault: dict[str, Any]
) -> None:
    state.faults.add(SETTLE, after=True, **fault)
    request = body(payer())
    try:
        lost = await fac.post(SETTLE, json=request)
        assert lost.status_code == 504
    except httpx2.TransportError:
        assert fault == {"drop": True}
    (settled,) = state.facilitator.settlements
    retry = (await fac.post(SETTLE, json=request)).json()
    assert (retry["success"], retry["transaction"]) == (True, settled.transaction)
    assert len(state.facilitator.settlements) == 1


async def test_failure_before_settling_settles_nothing(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    state.faults.add(SETTLE, status=503)
    account = payer()
    request = body(account)
    failed = await fac.post(SETTLE, json=request)
    assert failed.status_code == 503
    assert state.facilitator.settlements == [] and state.facilitator.calls == []
    assert state.facilitator.balance_units(account.address) == 100_000_000
    assert (await fac.post(SETTLE, json=request)).json()["success"] is True  # the fault fired once
    assert state.facilitator.balance_units(PAY_TO) == 100_000_000 + AMOUNT


async def test_stall_before_settling_then_timeout_settles_nothing(
    fac: httpx2.AsyncClient, state: SandboxState
) -> None:
    state.faults.add(SETTLE, delay=600)
    request = body(payer())
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(fac.post, SETTLE, json=request))
            await anyio.wait_all_tasks_blocked()
            assert state.faults.pending == []  # the fault has fired: the request is stalled in it
            tg.cancel_scope.cancel()
    assert state.facilitator.settlements == []
    assert (await fac.post(SETTLE, json=request)).json()["success"] is True


async def test_faults_on_settle_leave_verify_alone(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    state.faults.add(SETTLE, status=500)
    assert (await fac.post("/facilitator/verify", json=body(payer()))).json()["isValid"] is True
    assert len(state.faults.pending) == 1


async def test_out_of_process_control_of_settle_faults(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    added = await fac.post("/_sandbox/faults", json={"path": SETTLE, "status": 504, "after": True})
    assert added.status_code == 200 and added.json()["after"] is True
    request = body(payer())
    assert (await fac.post(SETTLE, json=request)).status_code == 504
    waited = await fac.get("/_sandbox/facilitator/wait", params={"count": 1, "timeout": 5})
    assert waited.json() == {"settled": 1, "ok": True}
    (listed,) = (await fac.get("/_sandbox/facilitator/settlements")).json()
    assert (await fac.post(SETTLE, json=request)).json()["transaction"] == listed["transaction"]
    assert len((await fac.get("/_sandbox/facilitator/settlements")).json()) == 1


async def test_release_route_ends_a_stall(fac: httpx2.AsyncClient, state: SandboxState) -> None:
    await fac.post("/_sandbox/faults", json={"path": SETTLE, "delay": 600, "after": True})
    answered: list[int] = []

    async def first_try() -> None:
        answered.append((await fac.post(SETTLE, json=body(payer()))).status_code)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(first_try)
            await state.facilitator.wait_settlements(1)
            await anyio.wait_all_tasks_blocked()
            assert (await fac.post("/_sandbox/faults/release")).json() == {"ok": True}
    assert answered == [200]
