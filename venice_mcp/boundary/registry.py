"""Registering tool functions with the MCP server: one wrapper for all.

The server calls ``install_tools`` when its (deferred) tool registry is first used, so the tool
modules are imported and every argument model built after the handshake, not before it.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from venice_mcp.boundary.arguments import Arguments
from venice_mcp.config import Settings

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from mcp.types import CallToolResult, InputRequiredResult

    from venice_mcp.tools._declare import Kind, ToolInfo

log = logging.getLogger("venice_mcp.tools")

# Tool modules in the order tools/list shows them.
MODULES = (
    "catalog",
    "text",
    "wallet",
    "images",
    "audio",
    "music",
    "video",
    "jobs",
    "responses",
    "augment",
    "crypto",
    "characters",
    "account",
)

# Only what differs from the spec's defaults (readOnlyHint false, destructiveHint true,
# idempotentHint false, openWorldHint true): every tool reaches Venice, an outside system.
_HINTS: dict[str, dict[str, bool]] = {
    "read_only": {"read_only_hint": True},
    "paid": {"destructive_hint": False},
    "waits": {"destructive_hint": False, "idempotent_hint": True},
    "admin": {},
}


# Charging mode: what only the operator may see or call (their wallet, account, keys and spending).
OPERATOR_TOOLSETS = frozenset({"wallet", "account"})
OPERATOR_TOOLS = frozenset({"venice_spending"})


def operator_only(name: str, info: ToolInfo) -> bool:
    return info.admin or name in OPERATOR_TOOLS or bool(OPERATOR_TOOLSETS & set(info.toolsets))


def tool_annotations(title: str, kind: Kind) -> ToolAnnotations:
    return ToolAnnotations(title=title, **_HINTS[kind])


def install_tools(server: MCPServer[Any], settings: Settings) -> None:
    """Add every tool ``settings`` enables (toolsets, admin tools) to the server's registry."""
    for tool in build_tools(settings):
        server._tool_manager._tools[tool.name] = tool


def tool_functions(settings: Settings) -> list[tuple[Callable[..., Any], ToolInfo]]:
    """The tool functions these settings enable, in tools/list order."""
    from venice_mcp.tools._declare import info_of

    found = []
    for stem in MODULES:
        module = importlib.import_module(f"venice_mcp.tools.{stem}")
        for fn in vars(module).values():
            info = info_of(fn)
            if info is None or fn.__module__ != module.__name__:
                continue
            if info.admin and not settings.admin_tools:
                continue
            if settings.charging and operator_only(fn.__name__, info):
                continue  # not listed, so not callable: paying agents are not the operator
            if "core" in info.toolsets or set(info.toolsets) & set(settings.toolsets):
                found.append((fn, info))
    return found


def build_tools(settings: Settings) -> list[Tool]:
    from venice_mcp.schemas import compact

    tools = []
    for fn, info in tool_functions(settings):
        tool = Tool.from_function(
            wrap(fn),
            name=fn.__name__,
            description=inspect.cleandoc(fn.__doc__ or ""),
            annotations=tool_annotations(info.title, info.kind),
        )
        tool.parameters = compact(tool.parameters)
        tool.fn_metadata = Arguments.of(tool.fn_metadata, output_schema=info.output)
        tools.append(tool)
    return tools


def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(call, **arguments) -> Reply`` as an SDK tool ``run(ctx, **arguments) -> CallToolResult``."""
    from mcp.server.mcpserver import Context
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import CallToolResult

    from venice_mcp.boundary.asking import InputNeeded, asker
    from venice_mcp.boundary.charging import payment_result, settled
    from venice_mcp.boundary.eras import to_result
    from venice_mcp.boundary.errors import translate
    from venice_mcp.call import Call
    from venice_mcp.context import Runtime
    from venice_mcp.payments.budget import SpendStopped
    from venice_mcp.payments.payee import PAYMENT_META, ChargeRefused, PaymentNeeded
    from venice_mcp.reply import Reply

    name = fn.__name__
    signature = inspect.signature(fn)
    first, *arguments = signature.parameters.values()
    if first.annotation is not Call:
        raise TypeError(f"tool function {name} must take 'call: Call' first")

    async def run(ctx: Context[Any], **kwargs: Any) -> CallToolResult | InputRequiredResult:
        runtime = ctx.request_context.lifespan_context
        assert isinstance(runtime, Runtime), "server lifespan did not run"
        state = await runtime.state()
        charging = state.payee is not None
        call = Call(
            name,
            state,
            ask=asker(ctx),
            progress=ctx.report_progress,
            payment=(ctx.request_context.meta or {}).get(PAYMENT_META) if charging else None,
            request_ref=str(ctx.request_id) if charging else None,
        )
        try:
            result = await attempt(call, ctx, kwargs)
        except BaseException:
            if call.admission is not None:  # the call failed: its payment is never settled
                assert state.payee is not None
                with anyio.CancelScope(shield=True):  # recorded even when the call was cancelled
                    await state.payee.void(call.admission, "the call failed")
            raise
        if call.admission is not None:
            assert state.payee is not None
            return await settled(state.payee, call.admission, result, ctx.protocol_version, call.charged_usd)
        return result

    async def attempt(
        call: Call, ctx: Context[Any], kwargs: dict[str, Any]
    ) -> CallToolResult | InputRequiredResult:
        try:
            reply = await fn(call, **kwargs)
        except InputNeeded as needed:
            return needed.result
        except SpendStopped as stop:
            reply = Reply(stop.text(), stop.data())
        except PaymentNeeded as needed:
            return payment_result(needed.body, ctx.protocol_version)
        except ChargeRefused as refused:
            raise ToolError(str(refused)) from None
        except ToolError:
            raise
        except Exception as exc:
            error = translate(exc, name)
            if error is None:
                # A bug: the traceback goes to the server's log (stderr), the agent gets a reason
                # to stop retrying, never the exception text (it may quote arguments or headers).
                log.exception("%s failed on an unexpected %s", name, type(exc).__name__)
                error = ToolError(
                    f"{name} stopped on an unexpected {type(exc).__name__}, a bug in venice-mcp "
                    "(the server log has the details). Retrying the same call will fail the same way."
                )
            else:
                log.info("%s failed: %s", name, type(exc).__name__)
            raise error from exc
        return to_result(reply, ctx.protocol_version)

    context = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context)
    run.__name__ = run.__qualname__ = name
    run.__module__ = fn.__module__
    run.__doc__ = fn.__doc__
    run.__annotations__ = {
        "ctx": Context,
        **{p.name: p.annotation for p in arguments},
        "return": CallToolResult,
    }
    setattr(  # noqa: B010 - the SDK reads the published arguments from the signature
        run,
        "__signature__",
        signature.replace(parameters=[context, *arguments], return_annotation=CallToolResult),
    )
    return run
