"""The /_sandbox control surface, for tests that run the sandbox in another process and cannot
reach the SandboxState object. Not part of Venice's API, so never under /api/v1."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from venice_mcp.sandbox.state import SandboxState

_FAULT_FIELDS = ("path", "method", "status", "retry_after", "delay", "drop", "times", "message", "after")


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


async def _long_poll(
    request: Request, wait: Callable[[int], Awaitable[None]], current: Callable[[], int], key: str
) -> Response:
    """Wait until ``current()`` reaches the query's ``count`` (at most ``timeout`` seconds, ≤ 120):
    200 when it did, 408 when it did not, with the count under ``key``."""
    try:
        count = int(request.query_params.get("count", "1"))
        timeout = min(float(request.query_params.get("timeout", "30")), 120.0)
    except ValueError:
        return JSONResponse({"error": "count and timeout must be numbers"}, status_code=400)
    with anyio.move_on_after(timeout):
        await wait(count)
    got = current()
    return JSONResponse({key: got, "ok": got >= count}, status_code=200 if got >= count else 408)


def routes(state: SandboxState) -> list[BaseRoute]:
    async def add_fault(request: Request) -> Response:
        spec = await _json(request)
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            return JSONResponse({"error": "expected a JSON object with at least 'path'"}, status_code=400)
        unknown = set(spec) - set(_FAULT_FIELDS)
        if unknown:
            return JSONResponse({"error": f"unknown fault fields: {sorted(unknown)}"}, status_code=400)
        kwargs = {k: v for k, v in spec.items() if k != "path"}
        try:
            fault = state.faults.add(spec["path"], **kwargs)
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(fault.as_dict())

    async def list_faults(request: Request) -> Response:
        return JSONResponse([f.as_dict() for f in state.faults.pending])

    async def credit(request: Request) -> Response:
        spec = await _json(request)
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("address"), str)
            or not isinstance(spec.get("usd"), (int, float))
            or isinstance(spec.get("usd"), bool)
            or spec["usd"] < 0
        ):
            return JSONResponse({"error": "expected {address: string, usd: number >= 0}"}, status_code=400)
        balance = state.credit(spec["address"], float(spec["usd"]))
        return JSONResponse({"address": spec["address"], "balance": balance})

    async def balance(request: Request) -> Response:
        address = request.path_params["address"]
        return JSONResponse(
            {"address": address, "balance": state.balance(address), "ledger": state.ledger(address)}
        )

    async def requests(request: Request) -> Response:
        return JSONResponse([r.as_dict() for r in state.requests])

    async def topups(request: Request) -> Response:
        return JSONResponse(state.topups.as_dict())

    async def topup_faults(request: Request) -> Response:
        """Switch top-up faults on: {"timeout_after_credit": 1, "hang_after_credit": 1, ...}."""
        spec = await _json(request)
        faults = state.topups.faults
        if not isinstance(spec, dict) or set(spec) - set(faults.FIELDS):
            return JSONResponse(
                {"error": f"expected an object with fields of {list(faults.FIELDS)}"}, status_code=400
            )
        for name, value in spec.items():
            ok = value is None if name == "retry_after" else False
            ok = ok or (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)
            if not ok:
                return JSONResponse({"error": f"{name} must be a number >= 0"}, status_code=400)
            setattr(faults, name, value if name == "retry_after" else int(value))
        return JSONResponse(faults.as_dict())

    async def topup_wait(request: Request) -> Response:
        """Long-poll until ``count`` payment submissions arrived (at most ``timeout`` seconds)."""
        return await _long_poll(
            request, state.topups.wait_submissions, lambda: len(state.topups.submissions), "arrived"
        )

    async def topup_release(request: Request) -> Response:
        state.topups.release()
        return JSONResponse({"ok": True})

    async def diem(request: Request) -> Response:
        spec = await _json(request)
        usd = spec.get("usd") if isinstance(spec, dict) else None
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("address"), str)
            or (usd is not None and (not isinstance(usd, (int, float)) or isinstance(usd, bool) or usd < 0))
        ):
            return JSONResponse(
                {"error": "expected {address: string, usd: number >= 0 | null}"}, status_code=400
            )
        key = spec["address"].lower()
        if usd:
            state.diem[key] = float(usd)
        else:
            state.diem.pop(key, None)
        return JSONResponse({"address": spec["address"], "diem_usd": state.diem.get(key)})

    async def deprecate(request: Request) -> Response:
        """Schedule a model's retirement: {"model": id, "date": "YYYY-MM-DD", "replacement": id?}."""
        spec = await _json(request)
        fields = ("model", "date", "replacement")
        if (
            not isinstance(spec, dict)
            or set(spec) - set(fields)
            or not all(isinstance(spec.get(k), str) and spec[k] for k in fields[:2])
            or not isinstance(spec.get("replacement", ""), str)
        ):
            return JSONResponse({"error": "expected {model, date, replacement?} strings"}, status_code=400)
        plan = {
            "date": spec["date"],
            **({"replacement": spec["replacement"]} if spec.get("replacement") else {}),
        }
        state.deprecations[spec["model"]] = plan
        return JSONResponse({"model": spec["model"], **plan})

    async def release_faults(request: Request) -> Response:
        """End every injected stall now (a delay fault's request then goes on)."""
        state.faults.release_delays()
        return JSONResponse({"ok": True})

    async def facilitator_settlements(request: Request) -> Response:
        return JSONResponse([s.as_dict() for s in state.facilitator.settlements])

    async def facilitator_balance(request: Request) -> Response:
        """Set a payer's simulated USDC balance: {"address": "0x…", "usd": 5}."""
        spec = await _json(request)
        usd = spec.get("usd") if isinstance(spec, dict) else None
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("address"), str)
            or not isinstance(usd, (int, float))
            or isinstance(usd, bool)
            or usd < 0
        ):
            return JSONResponse({"error": "expected {address: string, usd: number >= 0}"}, status_code=400)
        state.facilitator.set_balance(spec["address"], float(usd))
        address = spec["address"]
        return JSONResponse(
            {
                "address": address,
                "usd": state.facilitator.balance(address),
                "units": str(state.facilitator.balance_units(address)),
            }
        )

    async def facilitator_allowance(request: Request) -> Response:
        """Set a payer's simulated USDC allowance to Permit2 (``upto``), in atomic units:
        {"address": "0x…", "units": "0"}; "units": null restores the default, unlimited."""
        spec = await _json(request)
        units = spec.get("units", ...) if isinstance(spec, dict) else ...
        if isinstance(units, str) and re.fullmatch(r"[0-9]{1,78}", units):
            units = int(units)
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("address"), str)
            or not (units is None or (isinstance(units, int) and not isinstance(units, bool)))
            or (isinstance(units, int) and not 0 <= units < 2**256)
        ):
            return JSONResponse(
                {"error": "expected {address: string, units: uint256 (number or decimal string) | null}"},
                status_code=400,
            )
        address = spec["address"]
        state.facilitator.set_permit2_allowance(address, units)
        return JSONResponse({"address": address, "units": str(state.facilitator.permit2_allowance(address))})

    async def facilitator_wait(request: Request) -> Response:
        """Long-poll until ``count`` settlements exist (at most ``timeout`` seconds)."""
        return await _long_poll(
            request, state.facilitator.wait_settlements, lambda: len(state.facilitator.settlements), "settled"
        )

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"ok": True})

    table: list[tuple[str, str, Callable[[Request], Awaitable[Response]]]] = [
        ("/_sandbox/faults", "POST", add_fault),
        ("/_sandbox/faults", "GET", list_faults),
        ("/_sandbox/faults/release", "POST", release_faults),
        ("/_sandbox/credit", "POST", credit),
        ("/_sandbox/balance/{address}", "GET", balance),
        ("/_sandbox/requests", "GET", requests),
        ("/_sandbox/reset", "POST", reset),
        ("/_sandbox/topups", "GET", topups),
        ("/_sandbox/topups/faults", "POST", topup_faults),
        ("/_sandbox/topups/wait", "GET", topup_wait),
        ("/_sandbox/topups/release", "POST", topup_release),
        ("/_sandbox/diem", "POST", diem),
        ("/_sandbox/deprecations", "POST", deprecate),
        ("/_sandbox/facilitator/settlements", "GET", facilitator_settlements),
        ("/_sandbox/facilitator/balances", "POST", facilitator_balance),
        ("/_sandbox/facilitator/allowances", "POST", facilitator_allowance),
        ("/_sandbox/facilitator/wait", "GET", facilitator_wait),
    ]
    return [Route(path, fn, methods=[method]) for path, method, fn in table]
