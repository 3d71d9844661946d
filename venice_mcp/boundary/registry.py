"""Registering tool functions with the MCP server: one wrapper for all, built on first use.

``install_tools`` swaps the server's tool registry for one that imports the tool modules and
builds every tool (argument models, schemas) the first time a client lists or calls tools. The
handshake is answered before any of that: it is most of what a host waits for at start.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.tools.tool_manager import ToolManager
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.types import ToolAnnotations
from pydantic import PrivateAttr

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


def tool_annotations(title: str, kind: Kind) -> ToolAnnotations:
    return ToolAnnotations(title=title, **_HINTS[kind])


class Arguments(FuncMetadata):
    """The SDK's argument handling, except that a string stays a string where one is accepted.

    The SDK parses any string argument as JSON unless the parameter is exactly ``str``, so that
    hosts which send a list as '["a"]' still work. For an optional text (``str | None``) that
    turned a prompt such as "[1, 2, 3]" into a list and refused the call; it also cost a failed
    JSON parse per optional text on every call. Parameters that cannot take a string are
    pre-parsed as before.
    """

    _parsed: frozenset[str] = PrivateAttr(default=frozenset())

    @classmethod
    def of(cls, metadata: FuncMetadata) -> Arguments:
        out = cls(
            arg_model=metadata.arg_model,
            output_schema=metadata.output_schema,
            output_model=metadata.output_model,
            wrap_output=metadata.wrap_output,
        )
        out._parsed = frozenset(
            key
            for name, field in metadata.arg_model.model_fields.items()
            if not _takes_str(field.annotation)
            for key in (name, field.alias)
            if key
        )
        return out

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        if not any(key in self._parsed and isinstance(value, str) for key, value in data.items()):
            return data
        return super().pre_parse_json({k: v for k, v in data.items() if k in self._parsed}) | {
            k: v for k, v in data.items() if k not in self._parsed
        }


def _takes_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _takes_str(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_takes_str(arm) for arm in typing.get_args(annotation))
    if typing.get_origin(annotation) is typing.Literal:
        return any(isinstance(v, str) for v in typing.get_args(annotation))
    return False


class LazyToolManager(ToolManager):
    """The SDK's tool registry, filled by ``build`` on first use."""

    def __init__(self, build: Callable[[], list[Tool]]) -> None:
        super().__init__()
        self._build: Callable[[], list[Tool]] | None = build

    def _ready(self) -> None:
        if self._build is not None:
            build, self._build = self._build, None
            for tool in build():
                self._tools[tool.name] = tool

    def get_tool(self, name: str) -> Tool | None:
        self._ready()
        return super().get_tool(name)

    def list_tools(self) -> list[Tool]:
        self._ready()
        return super().list_tools()

    def add_tool(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Tool:
        self._ready()
        return super().add_tool(fn, *args, **kwargs)

    def remove_tool(self, name: str) -> None:
        self._ready()
        super().remove_tool(name)


def install_tools(server: MCPServer[Any], settings: Settings) -> None:
    """Register every tool ``settings`` enables (toolsets, admin tools), built on first use.

    The SDK (pinned <3) keeps tools in ``_tool_manager`` and has no public hook for a lazy registry.
    """
    server._tool_manager = LazyToolManager(lambda: build_tools(settings))


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
        tool.fn_metadata = Arguments.of(tool.fn_metadata)
        tools.append(tool)
    return tools


def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(call, **arguments) -> Reply`` as an SDK tool ``run(ctx, **arguments) -> CallToolResult``."""
    from mcp.server.mcpserver import Context
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import CallToolResult

    from venice_mcp.boundary.asking import InputNeeded, asker
    from venice_mcp.boundary.eras import to_result
    from venice_mcp.boundary.errors import translate
    from venice_mcp.call import Call
    from venice_mcp.context import Runtime
    from venice_mcp.payments.budget import SpendStopped
    from venice_mcp.reply import Reply

    name = fn.__name__
    signature = inspect.signature(fn)
    first, *arguments = signature.parameters.values()
    if first.annotation is not Call:
        raise TypeError(f"tool function {name} must take 'call: Call' first")

    async def run(ctx: Context[Any], **kwargs: Any) -> CallToolResult | InputRequiredResult:
        runtime = ctx.request_context.lifespan_context
        assert isinstance(runtime, Runtime), "server lifespan did not run"
        call = Call(name, await runtime.state(), ask=asker(ctx), progress=ctx.report_progress)
        try:
            reply = await fn(call, **kwargs)
        except InputNeeded as needed:
            return needed.result
        except SpendStopped as stop:
            reply = Reply(stop.text(), stop.data())
        except ToolError:
            raise
        except Exception as exc:
            error = translate(exc, name)
            if error is None:
                raise
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
