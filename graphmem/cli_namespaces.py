"""``graphmem namespaces``, ``graphmem delete-namespace`` and ``graphmem facts``: the
namespaces of a memory and an entity's facts in time (over :meth:`graphmem.Memory.namespaces`,
:meth:`~graphmem.Memory.delete_namespace` and :meth:`~graphmem.Memory.facts_about`).
Registered on the ``graphmem`` group by :mod:`graphmem.cli`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from graphmem.cli_options import fail, namespace_option, open_memory, store_option
from graphmem.errors import GraphMemError
from graphmem.text import printable

if TYPE_CHECKING:
    from graphmem.facts import FactInfo

__all__ = ["delete_namespace", "fact_json", "facts", "namespaces"]


@click.command("namespaces")
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def namespaces(store: Path, as_json: bool) -> None:
    """List the namespaces that hold documents, sorted, with their document counts.

    Text: one line per namespace, name and document count separated by a tab. --json:
    {"namespaces": [{"name", "documents"}, ...]}. Reads only: no model is loaded."""
    try:
        with open_memory(store) as mem:
            listed = [(ns, mem.stats(namespace=ns)["documents"]) for ns in mem.namespaces()]
    except GraphMemError as exc:
        fail(exc)
        return
    if as_json:
        out = {"namespaces": [{"name": ns, "documents": n} for ns, n in listed]}
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    for ns, n in listed:
        click.echo(f"{printable(ns)}\t{n}")
    if not listed:
        click.echo("(no namespaces)", err=True)


@click.command("delete-namespace")
@click.argument("namespace")
@store_option
def delete_namespace(namespace: str, store: Path) -> None:
    """Delete NAMESPACE and everything in it (documents, passages, facts, entities), in one
    transaction. A namespace holding nothing is an error."""
    try:
        with open_memory(store) as mem:
            removed = mem.delete_namespace(namespace)
    except GraphMemError as exc:
        fail(exc)
        return
    click.echo(f"deleted namespace {printable(namespace)}: {removed} documents")


def _time(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def fact_json(f: FactInfo) -> dict[str, Any]:
    """One fact as ``graphmem facts --json`` lists it (times ISO-8601, null: unbounded)."""
    return {
        "subject": f.subject,
        "predicate": f.predicate,
        "object": f.object,
        "holds": f.holds,
        "valid_from": _time(f.valid_from),
        "valid_until": _time(f.valid_until),
        "intervals": [[_time(a), _time(b)] for a, b in f.intervals],
        "superseded_by": [list(t) for t in f.superseded_by],
        "sources": [
            {"doc_id": s.doc_id, "chunk_id": s.chunk_id, "time": _time(s.time)} for s in f.sources
        ],
    }


def _interval(a: datetime | None, b: datetime | None) -> str:
    return f"[{_time(a) or '...'} .. {_time(b) or 'now'}]"


@click.command("facts")
@click.argument("name")
@store_option
@namespace_option
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="TIME",
    help="The facts as they stood at TIME (ISO-8601; naive = UTC). Default: now.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def facts(name: str, store: Path, namespace: str, as_of: str | None, as_json: bool) -> None:
    """The facts about entity NAME (as subject or object), holding ones first, each with the
    intervals it held in, what superseded it and the documents stating it.

    Text: one line per fact, "holds" or "ended", then (subject | predicate | object) and its
    intervals ("..." : unbounded start, "now": still holds), then indented lines for what
    superseded it and its sources. --json: {"name", "namespace", "as_of", "facts": [{"subject",
    "predicate", "object", "holds", "valid_from", "valid_until", "intervals", "superseded_by",
    "sources": [{"doc_id", "chunk_id", "time"}]}]}. Unknown names list no facts."""
    try:
        with open_memory(store) as mem:
            found = mem.facts_about(name, namespace=namespace, as_of=as_of)
    except (GraphMemError, ValueError) as exc:
        fail(exc)
        return
    if as_json:
        out = {"name": name, "namespace": namespace, "as_of": as_of,
               "facts": [fact_json(f) for f in found]}
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    p = printable
    for f in found:
        spans = " ".join(_interval(a, b) for a, b in f.intervals)
        state = "holds" if f.holds else "ended"
        click.echo(f"{state} ({p(f.subject)} | {p(f.predicate)} | {p(f.object)}) {spans}")
        for s, pr, o in f.superseded_by:
            click.echo(f"   superseded by: ({p(s)} | {p(pr)} | {p(o)})")
        for src in f.sources:
            click.echo(f"   source: {p(src.doc_id)} {_time(src.time) or ''}".rstrip())
    if not found:
        click.echo(f"(no facts about {p(name)})", err=True)
