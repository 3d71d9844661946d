"""venice-mcp: every Venice.ai capability as typed MCP tools."""

__version__ = "0.1.0"
