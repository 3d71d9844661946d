"""What every tool call can reach: settings, the Venice client, the model catalog, the outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context

from venice_mcp.api.client import VeniceClient
from venice_mcp.catalog import Catalog
from venice_mcp.config import Settings
from venice_mcp.inputs import InputLoader
from venice_mcp.jobs import JobRunner, JobStore
from venice_mcp.outputs import OutputStore
from venice_mcp.payments.budget import SpendGate
from venice_mcp.payments.ledger import Ledger
from venice_mcp.payments.x402 import Payer


@dataclass
class AppState:
    settings: Settings
    client: VeniceClient
    catalog: Catalog
    outputs: OutputStore
    gate: SpendGate
    ledger: Ledger
    inputs: InputLoader
    jobs: JobStore  # queued music/video jobs, persisted
    runner: JobRunner  # waits on those jobs (bounded, with progress)
    payer: Payer | None = None  # wallet mode only: top-ups, balance, Venice's wallet ledger


def app_state(ctx: Context[Any]) -> AppState:
    state = ctx.request_context.lifespan_context
    assert isinstance(state, AppState), "server lifespan did not run"
    return state
