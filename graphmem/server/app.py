"""The FastAPI application: routes of the /v1 API plus /healthz and /readyz (and, with the
``mcp`` extra, the MCP tools at /mcp: :mod:`graphmem.mcp.http`; the explorer's routes:
:mod:`graphmem.server.explore`; plugged-in pages such as the explorer at /:
:mod:`graphmem.server.pages`).

Routes validate and check limits, then hand the work to :class:`MemoryService` (reads on the
reader pool, writes on the single writer thread) and convert the results with
:mod:`graphmem.server.wire`. Only public Memory methods are called; the one-document lookups
use ``Memory.store.documents(ids)``, the listing Memory.documents() is built on."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Response

from graphmem.errors import NotFoundError
from graphmem.export import write_export
from graphmem.mcp import mcp_available
from graphmem.memory import Memory
from graphmem.server import schemas as s
from graphmem.server.access import Access, NamespaceQuery, namespace_for, require_token
from graphmem.server.errors import ApiError, install_error_handlers
from graphmem.server.explore import add_explore_routes
from graphmem.server.limits import BodyLimit, LoopbackHosts, check_query
from graphmem.server.pages import StaticPage, load_pages, mount_pages
from graphmem.server.service import MemoryService
from graphmem.server.settings import ServerSettings
from graphmem.server.wire import (
    answer_json,
    delete_report_json,
    document_from_json,
    hit_json,
    info_json,
)

log = logging.getLogger(__name__)

__all__ = ["create_app", "timed"]

T = TypeVar("T")


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """``fn(*args, **kwargs)`` and the seconds it took."""
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0

# GraphML has no registered media type; this one makes browsers download it, never render it.
_EXPORT_TYPES = {"graphml": "application/graphml+xml", "json": "application/json"}



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


def create_app(service: MemoryService, settings: ServerSettings,
               pages: Sequence[StaticPage] | None = None) -> FastAPI:
    """The app over a started ``service``; closing the app (lifespan end) closes the service.
    ``pages``: web pages to serve (default: those of the installed plugins, e.g. the explorer
    at ``/`` from ``viz``; see :mod:`graphmem.server.pages`)."""

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
    if not settings.tokens:  # loopback only (ServerSettings.check): keep rebound names out
        app.add_middleware(LoopbackHosts)

    app.state.graphmem_settings = settings  # read by require_token

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_token)])

    @v1.post("/documents", response_model=s.IdsOut, summary="Add documents (Memory.add)")
    async def add(body: s.DocumentsIn, grant: Access,
                  namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace, body.namespace)
        _check_batch(body.documents, settings)
        docs = [document_from_json(d.model_dump()) for d in body.documents]
        source = body.source or "add()"
        return {"ids": await service.add(docs, source, ns)}

    @v1.put("/documents", response_model=s.IdsOut, summary="Upsert documents (Memory.upsert)")
    async def upsert(body: s.DocumentsIn, grant: Access,
                     namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace, body.namespace)
        _check_batch(body.documents, settings)
        docs = [document_from_json(d.model_dump()) for d in body.documents]
        source = body.source or "upsert()"
        return {"ids": await service.write(
            lambda m: m.upsert(docs, source=source, namespace=ns))}

    @v1.put("/documents/{doc_id:path}", response_model=s.IdsOut,
            summary="Replace one stored document (Memory.update; unknown id: 404)")
    async def update(doc_id: str, body: s.DocumentIn, grant: Access,
                     namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace)
        _check_text(body.text, "text", settings)
        doc = document_from_json(body.model_dump())
        await service.write(lambda m: m.update(doc_id, doc, namespace=ns))
        return {"ids": [doc_id]}

    @v1.get("/documents", response_model=s.DocumentsOut, summary="List stored documents")
    async def list_documents(grant: Access, namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace)
        listed = await service.read(lambda m: m.documents(namespace=ns))
        return {"count": len(listed), "documents": [info_json(d) for d in listed]}

    @v1.get("/documents/{doc_id:path}", response_model=s.DocumentInfoOut, summary="One document")
    async def get_document(doc_id: str, grant: Access,
                           namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace)
        found = await service.read(lambda m: m.store.scoped(ns).documents([doc_id]))
        if not found:
            raise NotFoundError(f"document {doc_id!r} is not stored in namespace {ns!r}")
        return info_json(found[0])

    def _delete_all(m: Memory, ids: list[str], ns: str) -> list[dict[str, Any]]:
        # runs on the writer thread, so no other server write lands between check and deletes
        stored = {d.doc_id for d in m.store.scoped(ns).documents(ids)}
        missing = [i for i in ids if i not in stored]
        if missing:
            raise NotFoundError(f"documents not stored in namespace {ns!r}: "
                                f"{', '.join(map(repr, missing[:10]))}")
        return [delete_report_json(m.delete(i, namespace=ns)) for i in ids]

    @v1.delete("/documents", response_model=s.DeletedOut,
               summary="Delete documents by id (all or none when an id is unknown)")
    async def delete_many(body: s.DeleteRequest, grant: Access,
                          namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace, body.namespace)
        if len(body.ids) > settings.max_documents:
            raise ApiError(422, "too_many", f"at most {settings.max_documents} ids per request",
                           "ids")
        seen: set[str] = set()
        for i, doc_id in enumerate(body.ids):
            if doc_id in seen:
                raise ApiError(422, "duplicate", f"id {doc_id!r} is given twice", f"ids[{i}]")
            seen.add(doc_id)
        return {"deleted": await service.write(lambda m: _delete_all(m, body.ids, ns))}

    @v1.delete("/documents/{doc_id:path}", response_model=s.DeleteReportOut,
               summary="Delete one document (Memory.delete)")
    async def delete_one(doc_id: str, grant: Access,
                         namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace)
        return delete_report_json(await service.write(lambda m: m.delete(doc_id, namespace=ns)))

    @v1.post("/retrieve", response_model=s.HitsOut, summary="Retrieve passages (Memory.retrieve)")
    async def retrieve(body: s.RetrieveRequest, grant: Access, response: Response,
                       namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace, body.namespace)
        check_query(body.query, body.top_k, settings)
        hits, seconds = await service.read(
            lambda m: timed(
                m.retrieve, body.query, top_k=body.top_k, namespace=ns, as_of=body.as_of,
                since=body.since, until=body.until, where=body.where,
            )
        )
        # what the retrieval itself took on the reader, so a client can tell the server's
        # HTTP cost (its round trip minus this) from the memory's (W3C Server-Timing)
        response.headers["Server-Timing"] = f"memory;dur={seconds * 1000:.3f}"
        return {"hits": [hit_json(h) for h in hits]}

    @v1.post("/answer", response_model=s.AnswerOut,
             summary="Answer a question from the retrieved passages, citing them (Memory.answer; "
             "needs a server started with --llm-model, else 501)")
    async def answer(body: s.AnswerRequest, grant: Access,
                     namespace: NamespaceQuery = None) -> dict[str, Any]:
        ns = namespace_for(grant, namespace, body.namespace)
        check_query(body.question, body.top_k, settings, field="question")
        if service.config.llm is None:
            raise ApiError(501, "no_llm", "this server has no LLM: start it with --llm-model "
                           "(and OPENAI_BASE_URL / OPENAI_API_KEY for the endpoint)")
        from graphmem.llm.errors import LLMError

        try:  # a reader: the LLM call is slow, and answer() only retrieves (no write)
            return answer_json(await service.read(lambda m: m.answer(
                body.question, top_k=body.top_k, max_steps=body.max_steps, namespace=ns)))
        except LLMError as exc:
            raise ApiError(502, "llm_error", f"the LLM gave no usable answer: {exc}") from exc

    @v1.get("/stats", summary="Row counts and store facts (Memory.stats); no namespace and a "
            "token bound to none: the whole store")
    async def stats(grant: Access, namespace: NamespaceQuery = None) -> dict[str, Any]:
        if namespace is None and not grant.bound:
            return await service.read(lambda m: m.stats())
        ns = namespace_for(grant, namespace)

        def one(m: Memory) -> dict[str, Any]:
            out = m.stats(namespace=ns)
            out["namespaces"] = len(grant.visible(m.namespaces()))  # only those it may see
            return out

        return await service.read(one)

    @v1.get("/graph/export", response_class=Response,
            summary="The stored graph, directed, as GraphML or node-link JSON (Memory.to_graph)")
    async def graph_export(grant: Access, format: Literal["graphml", "json"] = "json",
                           namespace: NamespaceQuery = None) -> Response:
        ns = namespace_for(grant, namespace)
        data = await service.read(lambda m: write_export(m.to_graph(namespace=ns), format))
        return Response(data, media_type=_EXPORT_TYPES[format])

    add_explore_routes(v1, service, settings)

    # ---- namespaces (list / delete), filtered by the token's binding -------------------------

    @v1.get("/namespaces", response_model=s.NamespacesOut,
            summary="The namespaces holding documents that this token may use")
    async def list_namespaces(grant: Access) -> dict[str, Any]:
        return {"namespaces": grant.visible(await service.read(lambda m: m.namespaces()))}

    @v1.delete("/namespaces/{name:path}", response_model=s.NamespaceDeletedOut,
               summary="Delete a namespace and everything in it (Memory.delete_namespace)")
    async def delete_namespace(name: str, grant: Access) -> dict[str, Any]:
        ns = namespace_for(grant, name)
        removed = await service.write(lambda m: m.delete_namespace(ns))
        return {"namespace": ns, "deleted": removed}

    # ---- end of the namespaces block ----------------------------------------------------------

    app.include_router(v1)
    mount_pages(app, load_pages() if pages is None else pages)
    if mcp_available():  # the MCP tools as streamable HTTP at /mcp, behind the same tokens
        from graphmem.mcp.http import mount_mcp

        mcp_running.append(mount_mcp(app, service, settings))
    else:
        log.info("no /mcp endpoint: pip install 'graphmem[mcp]' for it")

    @app.get("/healthz", summary="Liveness: the process answers (with its process id, which "
             "tells the workers of `serve --workers N` apart)")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "worker": os.getpid()}

    @app.get("/readyz", summary="Readiness: models loaded and the store open")
    async def readyz() -> dict[str, str]:
        if not service.ready:
            raise ApiError(503, "not_ready", "models not loaded or the store is closing")
        return {"status": "ready"}

    return app
