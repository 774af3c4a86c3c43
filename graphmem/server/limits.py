"""The request-body limit, as pure ASGI middleware: a body larger than the limit is refused
with 413 before it is read whole (a declared ``Content-Length`` over the limit at once; a
streamed body as soon as the bytes counted so far pass it), so no handler ever buffers it."""

from __future__ import annotations

import json
from typing import Any

from graphmem.server.errors import ApiError, error_body
from graphmem.server.settings import ServerSettings, is_loopback

__all__ = ["BodyLimit", "LoopbackHosts", "check_query", "host_name"]

Scope = dict[str, Any]


class BodyLimit:
    """Wrap an ASGI app; HTTP request bodies above ``max_bytes`` get a JSON 413.

    The body is read here (up to the limit) and replayed to the app, because an exception
    raised from inside the app's own body read would surface as some other error there."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                await _send_error(send, 400, "bad_request", "invalid Content-Length", None)
                return
            if too_big:
                await self._refuse(send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False
        whole = b"".join(chunks)

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as servers do

        await self.app(scope, replay, send)

    async def _refuse(self, send: Any) -> None:
        await _send_error(send, 413, "too_large",
                          f"request body is larger than {self.max_bytes} bytes", "body")


def host_name(header: str) -> str:
    """The host of a ``Host`` header value, without its port (``[::1]:8765`` -> ``::1``)."""
    header = header.strip()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


class LoopbackHosts:
    """Wrap an ASGI app; refuse (421, JSON) a request whose ``Host`` header names anything
    but a loopback address.

    Installed when the server runs without tokens, which it only does on loopback. Why: a web
    page on another site can point its own domain name at 127.0.0.1 (DNS rebinding) and then
    call the API from the user's browser as a same-origin page; the browser still sends that
    domain in ``Host``, so checking it keeps such pages out of an unauthenticated memory."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if not is_loopback(host_name(raw)):
                await _send_error(send, 421, "bad_host", f"Host {raw!r} is not a loopback "
                                  "address: a server without tokens answers only requests "
                                  "sent to localhost, 127.0.0.1 or [::1]", "host")
                return
        await self.app(scope, receive, send)


async def _send_error(send: Any, status: int, code: str, message: str, field: str | None) -> None:
    payload = json.dumps(error_body(code, message, field)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})


def check_query(query: str, top_k: int, settings: ServerSettings, field: str = "query") -> None:
    """422 naming the field for a ``top_k`` over the limit, a query over the length limit or a
    blank query (/v1/retrieve, /v1/trace; /v1/answer's ``question``)."""
    if top_k > settings.max_top_k:
        raise ApiError(422, "too_large", f"top_k is {top_k}, the limit is "
                       f"{settings.max_top_k}", "top_k")
    if len(query) > settings.max_query_chars:
        raise ApiError(422, "too_long", f"{field} has {len(query)} characters, the limit "
                       f"is {settings.max_query_chars}", field)
    if not query.strip():
        raise ApiError(422, "invalid", f"{field} must not be blank", field)
