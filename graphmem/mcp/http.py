"""The MCP tools on the HTTP server: streamable HTTP at ``/mcp`` (used by
:func:`graphmem.server.app.create_app` when the ``mcp`` extra is installed).

The endpoint runs stateless with JSON responses: every POST carries one JSON-RPC message and
gets its answer back in the response body, and no session state is held between requests, so
it behaves like the rest of the API (and a restarted server loses nothing a client relied on).
It sits behind the same bearer tokens as ``/v1``, checked before the SDK sees the request."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from graphmem.server.auth import token_ok
from graphmem.server.errors import error_body

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Receive, Scope, Send

    from graphmem.server.service import MemoryService
    from graphmem.server.settings import ServerSettings

__all__ = ["MCP_PATH", "mount_mcp"]

MCP_PATH = "/mcp"


class _BearerGuard:
    """ASGI wrapper: answers 401 (the API's JSON error) unless the request carries one of
    ``tokens``; without tokens (a loopback-only server) every request passes."""

    def __init__(self, app: ASGIApp, tokens: tuple[str, ...]):
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.tokens:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope.get("headers", [])}
            if not token_ok(headers.get("authorization"), self.tokens):
                from starlette.responses import JSONResponse

                response = JSONResponse(
                    error_body("unauthorized", "missing or wrong bearer token"),
                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def mount_mcp(app: FastAPI, service: MemoryService,
              settings: ServerSettings) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """Add the MCP endpoint to ``app``; returns the context manager the app's lifespan must
    hold open while serving (the SDK's session manager: it runs the protocol's tasks)."""
    from graphmem.mcp.tools import build_mcp_server

    config = getattr(service, "config", None)  # a stand-in service (tests) may have none
    server = build_mcp_server(service, settings, with_answer=getattr(config, "llm", None) is not None)
    inner = server.streamable_http_app(
        streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
        max_request_body_size=settings.max_body_bytes, host=settings.host)
    # a plain route, not a mount: a mount would redirect /mcp to /mcp/
    app.router.add_route(MCP_PATH, _BearerGuard(inner, settings.tokens),  # type: ignore[arg-type]
                         methods=["GET", "POST", "DELETE"], include_in_schema=False)
    return server.session_manager.run
