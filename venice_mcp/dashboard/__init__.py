"""The operator's page: where the money went, at a glance, in a browser (issue 13).

Imported only when a dashboard is served (the HTTP transport, or ``venice-mcp dashboard``), never
by the stdio server. ``data`` reads the state, ``render`` and ``chart`` make the HTML, ``access``
decides who sees it, ``app`` serves it.
"""
