"""One module per Venice capability; each has ``register(server)`` and an ``ENDPOINTS`` map.

Tool modules deliberately do not use ``from __future__ import annotations``: the SDK builds each
tool's argument model from its annotations at registration, and string annotations make it
evaluate every one (``typing.get_type_hints``), which nearly doubled ``build_server``'s share of
cold start (~160 ms -> ~85 ms for 33 tools).
"""
