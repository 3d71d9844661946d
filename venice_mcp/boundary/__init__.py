"""The one boundary between tool functions and MCP.

Tool functions (``venice_mcp/tools/*``) are plain ``async def venice_x(call, <arguments>) -> Reply``.
``install_tools`` registers every one of them with the MCP server through the same wrapper, which:

- resolves the app state (``context.Runtime``, built on first use);
- gives the function a ``Call`` whose asker puts the spend gate's question to the person in the
  client's protocol era (``asking``);
- turns a stop at the spend gate into its reply, and the error tree of the Venice client, the
  catalog, the input loader and the model checks into ToolError text (``errors``);
- assembles the Reply into the result the client's protocol version can read (``eras``).

Tools, resources and prompts are built on the first request that needs them, not at start
(``deferred``); ``registry.install_tools`` builds the tools.
"""
