"""The /_sandbox control surface, for tests that run the sandbox in another process and cannot
reach the SandboxState object. Not part of Venice's API, so never under /api/v1."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from venice_mcp.sandbox.state import SandboxState

_FAULT_FIELDS = ("path", "method", "status", "retry_after", "delay", "drop", "times", "message")


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


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

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"ok": True})

    table: list[tuple[str, str, Callable[[Request], Awaitable[Response]]]] = [
        ("/_sandbox/faults", "POST", add_fault),
        ("/_sandbox/faults", "GET", list_faults),
        ("/_sandbox/credit", "POST", credit),
        ("/_sandbox/balance/{address}", "GET", balance),
        ("/_sandbox/requests", "GET", requests),
        ("/_sandbox/reset", "POST", reset),
    ]
    return [Route(path, fn, methods=[method]) for path, method, fn in table]
