"""The SDK's tool, resource and prompt registries, filled on first use instead of at start.

Building them (argument models, JSON schemas, template validators) is most of what venice-mcp
would add to a host's wait for ``initialize``; a client asks for the lists right after it, and
the first list or call builds them. A fill may add to the registry it fills.

The SDK (pinned <3) keeps its registries in ``_tool_manager``, ``_resource_manager`` and
``_prompt_manager`` and offers no public hook for a lazy one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.prompts.base import Prompt
from mcp.server.mcpserver.prompts.manager import PromptManager
from mcp.server.mcpserver.resources import Resource, ResourceManager, ResourceTemplate
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.tools.tool_manager import ToolManager

from venice_mcp.loading import loading

Fill = Callable[[], None]


class _Deferred:
    _fill: Fill | None = None

    def _ready(self) -> None:
        if self._fill is not None:
            fill, self._fill = self._fill, None
            with loading():
                fill()


class DeferredTools(_Deferred, ToolManager):
    def __init__(self, fill: Fill) -> None:
        ToolManager.__init__(self)
        self._fill = fill

    def get_tool(self, name: str) -> Tool | None:
        self._ready()
        return super().get_tool(name)

    def list_tools(self) -> list[Tool]:
        self._ready()
        return super().list_tools()

    def remove_tool(self, name: str) -> None:
        self._ready()
        super().remove_tool(name)


class DeferredResources(_Deferred, ResourceManager):
    def __init__(self, fill: Fill) -> None:
        ResourceManager.__init__(self)
        self._fill = fill

    def list_resources(self) -> list[Resource]:
        self._ready()
        return super().list_resources()

    def list_templates(self) -> list[ResourceTemplate]:
        self._ready()
        return super().list_templates()

    async def get_resource(self, uri: Any, context: Any) -> Any:
        self._ready()
        return await super().get_resource(uri, context)


class DeferredPrompts(_Deferred, PromptManager):
    def __init__(self, fill: Fill) -> None:
        PromptManager.__init__(self)
        self._fill = fill

    def get_prompt(self, name: str) -> Prompt | None:
        self._ready()
        return super().get_prompt(name)

    def list_prompts(self) -> list[Prompt]:
        self._ready()
        return super().list_prompts()

    def remove_prompt(self, name: str) -> None:
        self._ready()
        super().remove_prompt(name)


def defer(server: MCPServer[Any], *, tools: Fill, resources: Fill, prompts: Fill) -> None:
    """Give ``server`` registries that run each fill when first used."""
    server._tool_manager = DeferredTools(tools)
    server._resource_manager = DeferredResources(resources)
    server._prompt_manager = DeferredPrompts(prompts)
