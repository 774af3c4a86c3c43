"""A remote memory: :class:`Client` talks to ``graphmem serve`` over HTTP with the method names,
signatures, return types and errors of :class:`graphmem.Memory`, so moving code from an embedded
memory to a server is one line::

    mem = Memory("./mem")                                  # embedded
    mem = Client("http://127.0.0.1:8765", token="...")     # remote; the rest stays

404 raises :class:`~graphmem.NotFoundError`, 409 :class:`~graphmem.ConflictError`, 422
:class:`~graphmem.InputError` (its ``source`` is the field the server named), 403 (a namespace
the token is not bound to) :class:`ForbiddenError`; anything else the server refuses raises
:class:`ServerError` with the status and the server's error body.
Needs httpx (``pip install 'graphmem[server]'``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from graphmem.closing import Closing
from graphmem.errors import (
    ConflictError,
    GraphMemError,
    InputError,
    MissingDependencyError,
    NotFoundError,
)
from graphmem.graph.neighbours import Neighbourhood
from graphmem.server.wire import (
    answer_from_json,
    delete_report_from_json,
    document_json,
    hit_from_json,
    info_from_json,
    neighbourhood_from_json,
)
from graphmem.store.base import DeleteReport, DocumentInfo
from graphmem.trace import Trace
from graphmem.types import Answer, Document, Hit, SeedFact

try:
    import httpx
except ImportError as exc:  # pragma: no cover - httpx is in the server extra
    raise MissingDependencyError(
        "graphmem.client needs httpx: pip install 'graphmem[server]'"
    ) from exc

__all__ = ["Client", "ForbiddenError", "ServerError"]


class ServerError(GraphMemError):
    """A reply that is not a success and maps to no graphmem error (401, 413, 5xx...)."""

    def __init__(self, status: int, code: str, message: str, field: str | None):
        super().__init__(f"HTTP {status} {code}: {message}" + (f" ({field})" if field else ""))
        self.status, self.code, self.message, self.field = status, code, message, field


class ForbiddenError(ServerError):
    """403: the token may not use the namespace named (the message names it)."""


class Client(Closing):
    """A memory served at ``base_url`` (``token``: a bearer token of the server's list).

    ``timeout`` is per request, in seconds: a large add waits for the server's model work."""

    def __init__(self, base_url: str = "http://127.0.0.1:8765", *, token: str | None = None,
                 timeout: float = 300.0, transport: httpx.BaseTransport | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers,
                                  timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: Any = None, *,
              namespace: str | None = None) -> Any:
        params = {"namespace": namespace} if namespace is not None else None
        reply = self._http.request(method, path, json=body, params=params)
        if reply.is_success:
            return reply.json()
        _raise(reply)

    @staticmethod
    def _batch(items: Iterable[str | Document] | str | Document, source: str) -> dict[str, Any]:
        if isinstance(items, (str, Document)):
            items = [items]
        return {"documents": [document_json(i) for i in items], "source": source}

    # ``namespace=None`` everywhere: the server's default for the token (its first bound
    # namespace, else "default"), so a client of a tenant-bound token needs to name none.

    def add(
        self, items: Iterable[str | Document] | str | Document, *, source: str = "add()",
        namespace: str | None = None,
    ) -> list[str]:
        """:meth:`graphmem.Memory.add` on the server: one transaction, ids in input order."""
        body = self._batch(items, source)
        return list(self._call("POST", "/v1/documents", body, namespace=namespace)["ids"])

    def upsert(
        self, items: Iterable[str | Document] | str | Document, *, source: str = "upsert()",
        namespace: str | None = None,
    ) -> list[str]:
        """:meth:`graphmem.Memory.upsert` on the server."""
        body = self._batch(items, source)
        return list(self._call("PUT", "/v1/documents", body, namespace=namespace)["ids"])

    def update(self, doc_id: str, item: str | Document, *, namespace: str | None = None) -> None:
        """:meth:`graphmem.Memory.update` on the server (unknown id: NotFoundError)."""
        self._call("PUT", f"/v1/documents/{_seg(doc_id)}", document_json(item),
                   namespace=namespace)

    def delete(self, doc_id: str, *, namespace: str | None = None) -> DeleteReport:
        """:meth:`graphmem.Memory.delete` on the server (unknown id: NotFoundError)."""
        return delete_report_from_json(
            self._call("DELETE", f"/v1/documents/{_seg(doc_id)}", namespace=namespace))

    def delete_many(self, doc_ids: Iterable[str], *,
                    namespace: str | None = None) -> list[DeleteReport]:
        """Delete several documents; an unknown id deletes none (NotFoundError)."""
        out = self._call("DELETE", "/v1/documents", {"ids": list(doc_ids)}, namespace=namespace)
        return [delete_report_from_json(d) for d in out["deleted"]]

    def documents(self, *, namespace: str | None = None) -> list[DocumentInfo]:
        """:meth:`graphmem.Memory.documents` on the server, oldest first."""
        out = self._call("GET", "/v1/documents", namespace=namespace)
        return [info_from_json(d) for d in out["documents"]]

    def document(self, doc_id: str, *, namespace: str | None = None) -> DocumentInfo:
        """One stored document's listing (NotFoundError when it is not stored)."""
        return info_from_json(
            self._call("GET", f"/v1/documents/{_seg(doc_id)}", namespace=namespace))

    def retrieve(
        self,
        query: str,
        top_k: int = 5,
        *,
        namespace: str | None = None,
        as_of: object = None,
        since: object = None,
        until: object = None,
        where: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        """:meth:`graphmem.Memory.retrieve` on the server: Hits equal to the embedded ones.
        Times may be datetimes, dates or ISO-8601 strings (sent as ISO-8601; the server parses
        them as Memory does)."""
        body: dict[str, Any] = {"query": query, "top_k": top_k}
        if namespace is not None:
            body["namespace"] = namespace
        for key, value in (("as_of", as_of), ("since", since), ("until", until)):
            if value is not None:
                body[key] = _iso(value)
        if where is not None:
            body["where"] = dict(where)
        out = self._call("POST", "/v1/retrieve", body)
        return [hit_from_json(h) for h in out["hits"]]

    def answer(self, question: str, top_k: int = 5, *, max_steps: int = 1,
               namespace: str | None = None) -> Answer:
        """:meth:`graphmem.Memory.answer` on the server (HTTP 501, a :class:`ServerError`,
        when the server was started without ``--llm-model``)."""
        body: dict[str, Any] = {"question": question, "top_k": top_k, "max_steps": max_steps}
        if namespace is not None:
            body["namespace"] = namespace
        return answer_from_json(self._call("POST", "/v1/answer", body))

    def trace(self, query: str, top_k: int = 5, *, keep: int = 40,
              namespace: str | None = None) -> Trace:
        """:meth:`graphmem.Memory.trace` on the server. ``keep`` bounds the nodes sent (the
        hits and seeds first, then the best-scored), so ``scores`` holds those nodes only."""
        body: dict[str, Any] = {"query": query, "top_k": top_k, "nodes": keep}
        if namespace is not None:
            body["namespace"] = namespace
        out = self._call("POST", "/v1/trace", body)
        nodes = out["nodes"]
        return Trace(
            query=out["query"], mode=out["mode"],
            hits=tuple(hit_from_json(h) for h in out["hits"]),
            ranks={n["id"]: int(n["rank"]) for n in nodes if n["rank"] is not None},
            scores={n["id"]: float(n["score"]) for n in nodes if n["score"] > 0},
            seed_entities={n["id"]: float(n["seed_weight"]) for n in nodes
                           if n["seed_weight"] is not None},
            seed_passages=frozenset(n["id"] for n in nodes
                                    if n["seed"] and n["seed_weight"] is None),
            seed_facts=tuple(SeedFact(f["subject"], f["predicate"], f["object"],
                                      float(f["score"])) for f in out["seed_facts"]),
        )

    def neighbours(self, nodes: Iterable[str], *, limit: int = 25,
                   namespace: str | None = None) -> Neighbourhood:
        """:meth:`graphmem.Memory.neighbours` on the server."""
        body: dict[str, Any] = {"nodes": list(nodes), "limit": limit}
        if namespace is not None:
            body["namespace"] = namespace
        return neighbourhood_from_json(self._call("POST", "/v1/graph/neighbours", body))

    def stats(self, *, namespace: str | None = None) -> dict[str, Any]:
        """:meth:`graphmem.Memory.stats`: of ``namespace``, else (a token bound to no
        namespace) of the whole store."""
        return dict(self._call("GET", "/v1/stats", namespace=namespace))

    def namespaces(self) -> list[str]:
        """:meth:`graphmem.Memory.namespaces`: those this client's token may use."""
        return list(self._call("GET", "/v1/namespaces")["namespaces"])

    def delete_namespace(self, namespace: str) -> int:
        """:meth:`graphmem.Memory.delete_namespace` on the server: documents removed."""
        return int(self._call("DELETE", f"/v1/namespaces/{_seg(namespace)}")["deleted"])

    def export(self, format: str = "json", *, namespace: str | None = None) -> bytes:
        """The stored graph as the server exports it (``graphml`` or ``json`` bytes)."""
        params: dict[str, str] = {"format": format}
        if namespace is not None:
            params["namespace"] = namespace
        reply = self._http.get("/v1/graph/export", params=params)
        if not reply.is_success:
            _raise(reply)
        return reply.content

    def ready(self) -> bool:
        """True when the server answers /readyz with 200 (models loaded, store open)."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False


def _raise(reply: httpx.Response) -> None:
    """Raise the graphmem error a failed reply stands for."""
    try:
        err = reply.json()["error"]
        code, message, field = err["code"], err["message"], err.get("field")
    except (ValueError, KeyError, TypeError):
        code, message, field = "error", reply.text[:200], None
    if reply.status_code == 404:
        raise NotFoundError(message)
    if reply.status_code == 409:
        raise ConflictError(message)
    if reply.status_code == 422:
        raise InputError(message, source=field)
    if reply.status_code == 403:
        raise ForbiddenError(reply.status_code, code, message, field)
    raise ServerError(reply.status_code, code, message, field)


def _iso(value: object) -> object:
    """A datetime or date as ISO-8601; anything else as given (the server names what is bad)."""
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _seg(doc_id: str) -> str:
    """``doc_id`` as one URL path segment (a ``/`` or ``?`` in an id must not change the route)."""
    from urllib.parse import quote

    return quote(doc_id, safe="")
