"""A remote memory: :class:`Client` talks to ``graphmem serve`` over HTTP with the method names,
signatures, return types and errors of :class:`graphmem.Memory`, so moving code from an embedded
memory to a server is one line::

    mem = Memory("./mem")                                  # embedded
    mem = Client("http://127.0.0.1:8765", token="...")     # remote; the rest stays

404 raises :class:`~graphmem.NotFoundError`, 409 :class:`~graphmem.ConflictError`, 422
:class:`~graphmem.InputError` (its ``source`` is the field the server named); anything else the
server refuses raises :class:`ServerError` with the status and the server's error body.
Needs httpx (``pip install 'graphmem[server]'``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphmem.closing import Closing
from graphmem.errors import (
    ConflictError,
    GraphMemError,
    InputError,
    MissingDependencyError,
    NotFoundError,
)
from graphmem.server.wire import (
    delete_report_from_json,
    document_json,
    hit_from_json,
    info_from_json,
)
from graphmem.store.base import DeleteReport, DocumentInfo
from graphmem.types import Document, Hit

try:
    import httpx
except ImportError as exc:  # pragma: no cover - httpx is in the server extra
    raise MissingDependencyError(
        "graphmem.client needs httpx: pip install 'graphmem[server]'"
    ) from exc

__all__ = ["Client", "ServerError"]


class ServerError(GraphMemError):
    """A reply that is not a success and maps to no graphmem error (401, 413, 5xx...)."""

    def __init__(self, status: int, code: str, message: str, field: str | None):
        super().__init__(f"HTTP {status} {code}: {message}" + (f" ({field})" if field else ""))
        self.status, self.code, self.message, self.field = status, code, message, field


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

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        reply = self._http.request(method, path, json=body)
        if reply.is_success:
            return reply.json()
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
        raise ServerError(reply.status_code, code, message, field)

    @staticmethod
    def _batch(items: Iterable[str | Document] | str | Document, source: str) -> dict[str, Any]:
        if isinstance(items, (str, Document)):
            items = [items]
        return {"documents": [document_json(i) for i in items], "source": source}

    def add(
        self, items: Iterable[str | Document] | str | Document, *, source: str = "add()"
    ) -> list[str]:
        """:meth:`graphmem.Memory.add` on the server: one transaction, ids in input order."""
        return list(self._call("POST", "/v1/documents", self._batch(items, source))["ids"])

    def upsert(
        self, items: Iterable[str | Document] | str | Document, *, source: str = "upsert()"
    ) -> list[str]:
        """:meth:`graphmem.Memory.upsert` on the server."""
        return list(self._call("PUT", "/v1/documents", self._batch(items, source))["ids"])

    def update(self, doc_id: str, item: str | Document) -> None:
        """:meth:`graphmem.Memory.update` on the server (unknown id: NotFoundError)."""
        self._call("PUT", f"/v1/documents/{_seg(doc_id)}", document_json(item))

    def delete(self, doc_id: str) -> DeleteReport:
        """:meth:`graphmem.Memory.delete` on the server (unknown id: NotFoundError)."""
        return delete_report_from_json(self._call("DELETE", f"/v1/documents/{_seg(doc_id)}"))

    def delete_many(self, doc_ids: Iterable[str]) -> list[DeleteReport]:
        """Delete several documents; an unknown id deletes none (NotFoundError)."""
        out = self._call("DELETE", "/v1/documents", {"ids": list(doc_ids)})
        return [delete_report_from_json(d) for d in out["deleted"]]

    def documents(self) -> list[DocumentInfo]:
        """:meth:`graphmem.Memory.documents` on the server, oldest first."""
        return [info_from_json(d) for d in self._call("GET", "/v1/documents")["documents"]]

    def document(self, doc_id: str) -> DocumentInfo:
        """One stored document's listing (NotFoundError when it is not stored)."""
        return info_from_json(self._call("GET", f"/v1/documents/{_seg(doc_id)}"))

    def retrieve(
        self,
        query: str,
        top_k: int = 5,
        *,
        namespace: str = "default",
        as_of: str | None = None,
        since: str | None = None,
        until: str | None = None,
        where: dict[str, Any] | None = None,
    ) -> list[Hit]:
        """:meth:`graphmem.Memory.retrieve` on the server: Hits equal to the embedded ones.
        Times are ISO-8601 strings here (the server parses them as Memory does)."""
        body: dict[str, Any] = {"query": query, "top_k": top_k, "namespace": namespace}
        for key, value in (("as_of", as_of), ("since", since), ("until", until), ("where", where)):
            if value is not None:
                body[key] = value
        out = self._call("POST", "/v1/retrieve", body)
        return [hit_from_json(h) for h in out["hits"]]

    def stats(self) -> dict[str, Any]:
        """:meth:`graphmem.Memory.stats` of the server's memory."""
        return dict(self._call("GET", "/v1/stats"))

    def ready(self) -> bool:
        """True when the server answers /readyz with 200 (models loaded, store open)."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False


def _seg(doc_id: str) -> str:
    """``doc_id`` as one URL path segment (a ``/`` or ``?`` in an id must not change the route)."""
    from urllib.parse import quote

    return quote(doc_id, safe="")
