"""``graphmem documents``: what a memory holds, one line per document (over
:meth:`graphmem.Memory.documents`). Registered on the ``graphmem`` group by :mod:`graphmem.cli`."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from graphmem.cli_options import fail, namespace_option, open_memory, store_option
from graphmem.errors import GraphMemError
from graphmem.text import printable

if TYPE_CHECKING:
    from graphmem.store.base import DocumentInfo

__all__ = ["document_json", "documents"]


def document_json(doc: DocumentInfo) -> dict[str, Any]:
    """One document as the ``--json`` output lists it (``added_at`` and the ``time`` it states
    in ISO-8601, UTC; no stated time: null)."""
    added = _iso(doc.added_at)
    return {
        "id": doc.doc_id,
        "title": doc.title,
        "passages": doc.passages,
        "metadata": dict(doc.metadata),
        "added_at": added,
        "time": None if doc.time is None else _iso(doc.time),
        "namespace": doc.namespace,
    }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="seconds")


@click.command("documents")
@store_option
@namespace_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def documents(store: Path, namespace: str, as_json: bool) -> None:
    """List the stored documents, oldest first.

    Text: one line per document, ID, passage count and title separated by tabs (no title: empty;
    control characters, tabs included, are shown escaped). --json: {"count": N, "documents":
    [{"id", "title", "passages", "metadata", "added_at", "time", "namespace"}, ...]}, added_at
    and time (the time the document states, or null) in ISO-8601 UTC.
    Reads only: no model is loaded and the store is not written."""
    try:
        with open_memory(store) as mem:
            listed = mem.documents(namespace=namespace)
    except GraphMemError as exc:
        fail(exc)
        return
    if as_json:
        out = {"count": len(listed), "documents": [document_json(d) for d in listed]}
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    for d in listed:
        click.echo(f"{printable(d.doc_id)}\t{d.passages}\t{printable(d.title or '')}")
    if not listed:
        click.echo("(no documents)", err=True)
