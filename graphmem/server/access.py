"""Who may do what: the bearer-token check every /v1 route depends on, and the namespace a
request works in, checked against the token's binding (see :mod:`graphmem.server.auth`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.security import HTTPBearer

from graphmem.server.auth import Grant, NamespaceDenied, grant_for
from graphmem.server.errors import ApiError
from graphmem.server.settings import ServerSettings
from graphmem.validate import check_namespace

__all__ = ["Access", "NamespaceQuery", "namespace_for", "require_token"]

_bearer = HTTPBearer(auto_error=False, description="A token of --tokens / GRAPHMEM_TOKENS.")


async def require_token(request: Request, _: Annotated[Any, Security(_bearer)]) -> Grant:
    """What the request's token may use (401 when it is missing or wrong)."""
    settings: ServerSettings = request.app.state.graphmem_settings
    grant = grant_for(request.headers.get("authorization"), settings.tokens, settings.bindings)
    if grant is None:
        raise ApiError(401, "unauthorized", "missing or wrong bearer token",
                       headers={"WWW-Authenticate": "Bearer"})
    return grant


Access = Annotated[Grant, Depends(require_token)]  # FastAPI caches it: one check a request

_NS_HELP = ("Namespace to work in. Default: the token's first namespace, or \"default\" for "
            "a token bound to none. A namespace the token is not bound to: 403.")
NamespaceQuery = Annotated[str | None, Query(description=_NS_HELP)]


def namespace_for(grant: Grant, query: str | None, body: str | None = None) -> str:
    """The namespace a request works in (query parameter or body field; both: they must
    agree), checked against the token's binding: 403 naming the namespace otherwise."""
    if query is not None and body is not None and query != body:
        raise ApiError(422, "invalid", f"namespace {query!r} in the query and {body!r} in the "
                       "body disagree", "namespace")
    try:
        ns = grant.namespace(query if query is not None else body)
    except NamespaceDenied as exc:
        raise ApiError(403, "forbidden_namespace", str(exc), "namespace") from exc
    try:
        return check_namespace(ns, "namespace")
    except ValueError as exc:  # InputError: a name no namespace can have
        raise ApiError(422, "invalid", str(exc), "namespace") from exc
