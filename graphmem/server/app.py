"""The FastAPI application: routes of the /v1 API plus /healthz and /readyz (and, with the
``mcp`` extra, the MCP tools at /mcp: :mod:`graphmem.mcp.http`).

Routes validate and check limits, then hand the work to :class:`MemoryService` (reads on the
reader pool, writes on the single writer thread) and convert the results with
:mod:`graphmem.server.wire`. Only public Memory methods are called; the one-document lookups
use ``Memory.store.documents(ids)``, the listing Memory.documents() is built on."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response, Security
from fastapi.security import HTTPBearer

from graphmem.errors import NotFoundError
from graphmem.export import write_export
from graphmem.mcp import mcp_available
from graphmem.memory import Memory
from graphmem.server import schemas as s
from graphmem.server.auth import token_ok
from graphmem.server.errors import ApiError, install_error_handlers
from graphmem.server.limits import BodyLimit
from graphmem.server.service import MemoryService
from graphmem.server.settings import ServerSettings
from graphmem.server.wire import delete_report_json, document_from_json, hit_json, info_json

log = logging.getLogger(__name__)

__all__ = ["create_app"]

# GraphML has no registered media type; this one makes browsers download it, never render it.
_EXPORT_TYPES = {"graphml": "application/graphml+xml", "json": "application/json"}

_bearer = HTTPBearer(auto_error=False, description="A token of --tokens / GRAPHMEM_TOKENS.")


def _check_batch(docs: Sequence[s.DocumentIn], settings: ServerSettings) -> None:
    if len(docs) > settings.max_documents:
        raise ApiError(422, "too_many", f"at most {settings.max_documents} documents per "
                       f"request, got {len(docs)}", "documents")
    for i, d in enumerate(docs):
        _check_text(d.text, f"documents[{i}].text", settings)


def _check_text(text: str, field: str, settings: ServerSettings) -> None:
    if len(text) > settings.max_text_chars:
        raise ApiError(422, "too_long", f"text has {len(text)} characters, the limit is "
                       f"{settings.max_text_chars}", field)


def create_app(service: MemoryService, settings: ServerSettings) -> FastAPI:
    """The app over a started ``service``; closing the app (lifespan end) closes the service."""

    mcp_running: list[Callable[[], AbstractAsyncContextManager[Any]]] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp_running[0]() if mcp_running else nullcontext():
            yield
        log.info("shutting down: finishing running writes")
        service.close()

    app = FastAPI(title="graphmem", version="1", lifespan=lifespan,
                  description="Graph memory: documents in, explained passages out.")
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    async def require_token(request: Request, _: Annotated[Any, Security(_bearer)]) -> None:
        if settings.tokens and not token_ok(request.headers.get("authorization"),
                                            settings.tokens):
            raise ApiError(401, "unauthorized", "missing or wrong bearer token",
                           headers={"WWW-Authenticate": "Bearer"})

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_token)])

    @v1.post("/documents", response_model=s.IdsOut, summary="Add documents (Memory.add)")
    async def add(body: s.DocumentsIn) -> dict[str, Any]:
        _check_batch(body.documents, settings)
        docs = [document_from_json(d.model_dump()) for d in body.documents]
        source = body.source or "add()"
        return {"ids": await service.add(docs, source)}

    @v1.put("/documents", response_model=s.IdsOut, summary="Upsert documents (Memory.upsert)")
    async def upsert(body: s.DocumentsIn) -> dict[str, Any]:
        _check_batch(body.documents, settings)
        docs = [document_from_json(d.model_dump()) for d in body.documents]
        source = body.source or "upsert()"
        return {"ids": await service.write(lambda m: m.upsert(docs, source=source))}

    @v1.put("/documents/{doc_id:path}", response_model=s.IdsOut,
            summary="Replace one stored document (Memory.update; unknown id: 404)")
    async def update(doc_id: str, body: s.DocumentIn) -> dict[str, Any]:
        _check_text(body.text, "text", settings)
        doc = document_from_json(body.model_dump())
        await service.write(lambda m: m.update(doc_id, doc))
        return {"ids": [doc_id]}

    @v1.get("/documents", response_model=s.DocumentsOut, summary="List stored documents")
    async def list_documents() -> dict[str, Any]:
        listed = await service.read(lambda m: m.documents())
        return {"count": len(listed), "documents": [info_json(d) for d in listed]}

    @v1.get("/documents/{doc_id:path}", response_model=s.DocumentInfoOut, summary="One document")
    async def get_document(doc_id: str) -> dict[str, Any]:
        found = await service.read(lambda m: m.store.documents([doc_id]))
        if not found:
            raise NotFoundError(f"document {doc_id!r} is not stored")
        return info_json(found[0])

    def _delete_all(m: Memory, ids: list[str]) -> list[dict[str, Any]]:
        # runs on the writer thread, so no other server write lands between check and deletes
        stored = {d.doc_id for d in m.store.documents(ids)}
        missing = [i for i in ids if i not in stored]
        if missing:
            raise NotFoundError(f"documents not stored: {', '.join(map(repr, missing[:10]))}")
        return [delete_report_json(m.delete(i)) for i in ids]

    @v1.delete("/documents", response_model=s.DeletedOut,
               summary="Delete documents by id (all or none when an id is unknown)")
    async def delete_many(body: s.DeleteRequest) -> dict[str, Any]:
        if len(body.ids) > settings.max_documents:
            raise ApiError(422, "too_many", f"at most {settings.max_documents} ids per request",
                           "ids")
        seen: set[str] = set()
        for i, doc_id in enumerate(body.ids):
            if doc_id in seen:
                raise ApiError(422, "duplicate", f"id {doc_id!r} is given twice", f"ids[{i}]")
            seen.add(doc_id)
        return {"deleted": await service.write(lambda m: _delete_all(m, body.ids))}

    @v1.delete("/documents/{doc_id:path}", response_model=s.DeleteReportOut,
               summary="Delete one document (Memory.delete)")
    async def delete_one(doc_id: str) -> dict[str, Any]:
        return delete_report_json(await service.write(lambda m: m.delete(doc_id)))

    @v1.post("/retrieve", response_model=s.HitsOut, summary="Retrieve passages (Memory.retrieve)")
    async def retrieve(body: s.RetrieveRequest) -> dict[str, Any]:
        if body.top_k > settings.max_top_k:
            raise ApiError(422, "too_large", f"top_k is {body.top_k}, the limit is "
                           f"{settings.max_top_k}", "top_k")
        if len(body.query) > settings.max_query_chars:
            raise ApiError(422, "too_long", f"query has {len(body.query)} characters, the limit "
                           f"is {settings.max_query_chars}", "query")
        if not body.query.strip():
            raise ApiError(422, "invalid", "query must not be blank", "query")
        hits = await service.read(
            lambda m: m.retrieve(
                body.query, top_k=body.top_k, namespace=body.namespace, as_of=body.as_of,
                since=body.since, until=body.until, where=body.where,
            )
        )
        return {"hits": [hit_json(h) for h in hits]}

    @v1.get("/stats", summary="Row counts and store facts (Memory.stats)")
    async def stats() -> dict[str, Any]:
        return await service.read(lambda m: m.stats())

    @v1.get("/graph/export", response_class=Response,
            summary="The stored graph, directed, as GraphML or node-link JSON (Memory.to_graph)")
    async def graph_export(format: Literal["graphml", "json"] = "json") -> Response:
        data = await service.read(lambda m: write_export(m.to_graph(), format))
        return Response(data, media_type=_EXPORT_TYPES[format])

    app.include_router(v1)
    if mcp_available():  # the MCP tools as streamable HTTP at /mcp, behind the same tokens
        from graphmem.mcp.http import mount_mcp

        mcp_running.append(mount_mcp(app, service, settings))
    else:
        log.info("no /mcp endpoint: pip install 'graphmem[mcp]' for it")

    @app.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: models loaded and the store open")
    async def readyz() -> dict[str, str]:
        if not service.ready:
            raise ApiError(503, "not_ready", "models not loaded or the store is closing")
        return {"status": "ready"}

    return app
