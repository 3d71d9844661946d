"""Putting the spend gate's question to the person, in whichever protocol era the client speaks.

The SDK's resolver machinery (``mcp.server.mcpserver.resolve``) does the asking:

- handshake era (2024-11-05 … 2025-11-25): a standalone ``elicitation/create`` mid-call;
- 2026-07-28: the call returns an ``InputRequiredResult`` carrying the question and a sealed
  ``requestState``; the client asks the person and calls the tool again with the answer, and the
  tool runs again from the start. The answer counts only with the state this server sealed (a
  forged or edited one is refused before the tool runs), only for the same tool and arguments, and
  only for the exact question asked: a changed price asks again. Nothing is spent before it.

Only a client that declared elicitation is asked; for any other the asker answers None, and the
gate falls back to ``confirmation_required`` + ``confirm=true``.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import (
    AcceptedElicitation,
    Elicit,
    Resolve,
    build_resolver_plans,
    resolve_arguments,
)
from mcp.shared.exceptions import MCPError, NoBackChannelError
from mcp.types import InputRequiredResult
from pydantic import BaseModel, Field

from venice_mcp.payments.budget import Asker

log = logging.getLogger(__name__)


class Approval(BaseModel):
    approve: bool = Field(description="Run this paid call?")


class InputNeeded(Exception):
    """2026-07-28: the question goes back to the client; the boundary returns this result."""

    def __init__(self, result: InputRequiredResult) -> None:
        super().__init__("input required")
        self.result = result


class SpendQuestion:
    """The resolver that asks. Its class name is the question's key on the wire, the same on every
    worker and every round."""

    def __init__(self, question: str) -> None:
        self.question = question

    def __call__(self) -> Elicit[Approval]:
        return Elicit(self.question, Approval)


def asker(ctx: Context[Any]) -> Asker:
    async def ask(question: str) -> bool | None:
        capabilities = ctx.client_capabilities
        elicitation = capabilities.elicitation if capabilities is not None else None
        # A bare {} (before elicitation had modes) means form support; URL-only cannot ask this.
        if elicitation is None or (elicitation.form is None and elicitation.url is not None):
            return None
        resolver = SpendQuestion(question)
        wanted = {"approval": (Resolve(resolver), True)}
        try:
            resolved = await resolve_arguments(wanted, build_resolver_plans(wanted, set()), {}, ctx)
        except NoBackChannelError:  # stateless HTTP or JSON responses: nobody can be asked mid-call
            log.info("elicitation has no back-channel here; asking the agent to confirm instead")
            return None
        except MCPError as exc:  # the client could not ask: fail closed, nothing is spent
            log.info("elicitation failed (%s); the call is not run", exc.error.message)
            return False
        if isinstance(resolved, InputRequiredResult):
            raise InputNeeded(resolved)
        outcome = resolved["approval"]
        return isinstance(outcome, AcceptedElicitation) and bool(outcome.data.approve)

    return ask
