"""Every error the server sends is one JSON shape:
``{"error": {"code": ..., "message": ..., "field": ...}}`` (``field`` null when no one field is
to blame). Handlers here turn graphmem's errors, validation errors, unknown routes and crashes
into it, so a client never sees an HTML page or a traceback."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from graphmem.errors import ConflictError, GraphMemError, InputError, NotFoundError

log = logging.getLogger(__name__)

__all__ = ["ApiError", "error_body", "field_path", "install_error_handlers"]

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large",
                 415: "unsupported_media_type", 422: "invalid", 500: "internal"}


class ApiError(Exception):
    """An error answered as-is: status, machine-readable code, message and the field at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def _json(status: int, code: str, message: str, field: str | None = None,
          headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, field), status_code=status, headers=headers)


def field_path(loc: Sequence[Any]) -> str | None:
    """A validation location as a path: ``("body", "documents", 3, "text")`` ->
    ``"documents[3].text"`` (the leading ``body``/``query``/``path`` dropped)."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    if not parts and loc:
        return str(loc[0])  # the whole body (or query...) is at fault
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or None


_ITEM = re.compile(r"\bitem (\d+)\b")


def _input_field(exc: InputError) -> str | None:
    """The batch item an InputError names (``"add() item 3"`` -> ``documents[3]``)."""
    m = _ITEM.search(exc.source or "") or _ITEM.search(str(exc))
    return f"documents[{m.group(1)}]" if m else None


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that make every error JSON (see the module docstring)."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return _json(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else code
        return _json(exc.status_code, code, detail, None, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = "body" if first.get("type") == "json_invalid" else field_path(first.get("loc", ()))
        msg = first.get("msg", "invalid request")
        if len(errors) > 1:
            msg += f" (and {len(errors) - 1} more problems)"
        return _json(422, "invalid", msg, field)

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return _json(404, "not_found", str(exc))

    @app.exception_handler(ConflictError)
    async def _conflict(_: Request, exc: ConflictError) -> JSONResponse:
        m = _ITEM.search(str(exc))
        return _json(409, "conflict", str(exc), f"documents[{m.group(1)}]" if m else None)

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> JSONResponse:
        return _json(422, "invalid", str(exc), _input_field(exc))

    @app.exception_handler(GraphMemError)
    async def _graphmem(_: Request, exc: GraphMemError) -> JSONResponse:
        log.error("request failed: %s", exc)
        return _json(500, "graphmem_error", f"{type(exc).__name__}: {exc}")

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the traceback; the client gets no internals
        return _json(500, "internal", "internal server error")
