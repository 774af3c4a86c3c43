"""graphmem as an MCP server (the official ``mcp`` SDK, the ``mcp`` extra).

The tools (remember, recall, forget, stats and, with an LLM, answer) are built by
:func:`graphmem.mcp.tools.build_mcp_server` over a :class:`~graphmem.server.service.MemoryService`;
``graphmem mcp`` serves them over stdio and ``graphmem serve`` mounts them under ``/mcp``
(streamable HTTP). Importing this package does not load the SDK: :func:`require_mcp_extra` does,
on demand, so ``import graphmem`` never pays for (or needs) it."""

from __future__ import annotations

from graphmem.errors import MissingDependencyError

__all__ = ["mcp_available", "require_mcp_extra"]


def require_mcp_extra() -> None:
    """Import the MCP SDK, or raise MissingDependencyError naming the extra."""
    try:
        import mcp.server.mcpserver  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"graphmem's MCP tools need the official MCP SDK ({exc.name} is missing or too "
            "old; mcp>=2 is required): pip install 'graphmem[mcp]'"
        ) from exc


def mcp_available() -> bool:
    """True when the MCP SDK can be imported (the HTTP server mounts /mcp only then)."""
    try:
        require_mcp_extra()
    except MissingDependencyError:
        return False
    return True
