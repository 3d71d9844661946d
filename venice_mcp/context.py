"""What every tool call can reach (settings, the Venice client, the catalog, the outputs, the
ledger, jobs, the payer), and the Runtime that builds it on first use.

The state is built when the first tool call or resource read needs it, not at server start: a
host's ``initialize`` is answered before any of it (or its imports, or the wallet's signing
library) is loaded. Payments a crash left pending are reconciled in that first build, before any
tool runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio

from venice_mcp.config import Settings

# The simulator serves a facilitator beside the Venice API (--sandbox: nothing settles on-chain).
SANDBOX_FACILITATOR_URL = "http://sandbox.local/facilitator"

if TYPE_CHECKING:
    import httpx2

    from venice_mcp.api.client import Auth, VeniceClient
    from venice_mcp.api.retry import RetryPolicy
    from venice_mcp.catalog import Catalog
    from venice_mcp.inputs import InputLoader
    from venice_mcp.jobs import JobRunner, JobStore
    from venice_mcp.outputs import OutputStore
    from venice_mcp.payments.budget import SpendGate
    from venice_mcp.payments.ledger import Ledger
    from venice_mcp.payments.payee import Payee
    from venice_mcp.payments.x402 import Payer
    from venice_mcp.storage import Database


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
    payee: Payee | None = None  # charging mode only: agents pay each paid call (x402 over MCP)


def make_auth(settings: Settings) -> Auth:
    from venice_mcp.api.client import BearerAuth, NoAuth, WalletAuth

    if settings.wallet_key is not None:
        from venice_mcp.payments.signer import EthAccountSigner  # eth_account loads at the first signature

        return WalletAuth(EthAccountSigner(settings.wallet_key.get()))
    if settings.api_key is not None:
        return BearerAuth(settings.api_key.get())
    return NoAuth()


class Runtime:
    """One server's AppState, built once on first use and closed with the server (every
    connection holds the same Runtime: see venice_mcp/shared.py)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._retry = retry
        self._state: AppState | None = None
        self._db: Database | None = None
        self._lock = anyio.Lock()

    async def state(self) -> AppState:
        if self._state is None:
            async with self._lock:
                if self._state is None:
                    self._state = await self._build()
        return self._state

    async def _build(self) -> AppState:
        import httpx2

        from venice_mcp.api.client import VeniceClient
        from venice_mcp.catalog import Catalog
        from venice_mcp.inputs import InputLoader, InputPolicy
        from venice_mcp.jobs import JobRunner, JobStore
        from venice_mcp.outputs import OutputStore
        from venice_mcp.payments.budget import SpendGate
        from venice_mcp.payments.ledger import Ledger
        from venice_mcp.payments.x402 import start_payer
        from venice_mcp.storage import open_database

        settings = self.settings
        # First, so nothing else needs closing when it fails.
        db = self._db = await open_database(settings)
        transport = self._transport
        # Idle connections expire before 5 s, the idle timeout of uvicorn (the sandbox) and other
        # common servers: at an equal 5 s, a request sent on a connection the server was closing
        # that instant failed with a ReadError, and a POST lost so is never retried (it may have
        # been charged). Seen in the workers bench, about one call in 50,000.
        limits = httpx2.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=4.0)
        client = VeniceClient(
            # Built on the first Venice request, not here: see VeniceClient.
            lambda: httpx2.AsyncClient(transport=transport, limits=limits, follow_redirects=False),
            base_url=settings.base_url,
            auth=make_auth(settings),
            retry=self._retry,
        )
        policy = InputPolicy(
            roots=settings.readable_roots,
            allow_local=settings.local_inputs_allowed,
            private=settings.home,
            readable_private=settings.outputs,
            sealed=settings.sealed,
            secrets=settings.secret_values(),
        )
        # Inputs given as URLs are fetched from the real network, never through the Venice
        # transport (which tests and --sandbox replace).
        inputs = InputLoader(policy)
        try:
            ledger = Ledger(db)
            # Wallet mode: payments a crash left pending are resubmitted before any tool runs.
            payer = await start_payer(settings, client, ledger)
            payee = await self._start_payee(db) if settings.charging else None
        except BaseException:
            with anyio.CancelScope(shield=True):
                await client.aclose()
                await inputs.aclose()
                await db.aclose()
            self._db = None
            raise
        jobs = JobStore(db, unguessable=settings.charging)
        outputs = OutputStore(settings.outputs, sealed=settings.sealed, unguessable=settings.charging)
        return AppState(
            settings=settings,
            client=client,
            catalog=Catalog(client),
            outputs=outputs,
            gate=SpendGate(settings),
            ledger=ledger,
            inputs=inputs,
            jobs=jobs,
            runner=JobRunner(jobs, client, outputs),
            payer=payer,
            payee=payee,
        )

    async def _start_payee(self, db: Database) -> Payee:
        """Charging mode: the payee, after settling what a previous run left open. With --sandbox
        the facilitator is the simulator's own (the same in-process transport as Venice)."""
        import httpx2

        from venice_mcp.payments.facilitator import Facilitator
        from venice_mcp.payments.payee import Payee
        from venice_mcp.payments.receipts import Receipts

        settings = self.settings
        transport = self._transport if settings.sandbox else None
        url = SANDBOX_FACILITATOR_URL if settings.sandbox else settings.facilitator_url
        facilitator = Facilitator(
            url,
            lambda: httpx2.AsyncClient(transport=transport, follow_redirects=False),
            timeout_s=settings.facilitator_timeout_s,
        )
        sleep = self._retry.sleep if self._retry is not None else anyio.sleep
        payee = Payee(settings, Receipts(db), facilitator, sleep=sleep)
        await payee.reconcile()
        return payee

    async def aclose(self) -> None:
        state, self._state = self._state, None
        with anyio.CancelScope(shield=True):  # close connections even when cancelled
            if state is not None:
                await state.client.aclose()
                await state.inputs.aclose()
                await state.ledger.aclose()
                if state.payee is not None:
                    await state.payee.aclose()
            if self._db is not None:
                await self._db.aclose()
                self._db = None
