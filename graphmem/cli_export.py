"""``graphmem export``: the stored graph as GraphML or JSON for graph tools (Gephi, yEd,
Cytoscape, networkx), over :meth:`graphmem.Memory.to_graph`. Registered on the ``graphmem``
group by :mod:`graphmem.cli`."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

import click

from graphmem.cli_options import fail, namespace_option, open_memory, store_option
from graphmem.errors import GraphMemError
from graphmem.export import FORMATS, write_export

__all__ = ["export"]

log = logging.getLogger(__name__)


@click.command("export")
@store_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Output format.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (replaced whole, never left half-written). Default: standard output.",
)
@namespace_option
def export(store: Path, fmt: str, out: Path | None, namespace: str) -> None:
    """Export the knowledge graph, directed, as GraphML or JSON.

    Nodes: entities ("entity:<name>": name, label, type) and passages ("passage:<chunk id>":
    chunk_id, doc_id, text, title, metadata as a JSON string). Edges: facts subject -> object
    (predicate, support, weight, sources = the supporting chunk ids as a JSON array string),
    mentions passage -> entity, synonyms (cosine). JSON is networkx node-link data
    {"directed", "multigraph", "graph", "nodes", "edges"}. In GraphML, characters XML 1.0
    cannot hold (C0 controls but tab and newline, so carriage return too) are written as
    escape text such as \\x01 or \\r; JSON keeps them exactly. Reads only: no model is loaded
    and the store is not written."""
    try:
        with open_memory(store) as mem:
            graph = mem.to_graph(namespace=namespace)
    except GraphMemError as exc:
        fail(exc)
        return
    data = write_export(graph, fmt)
    if out is None:
        sys.stdout.flush()  # anything written as text first goes out first
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        _write_whole(out, data)
    log.info(
        "exported %d nodes and %d edges as %s to %s",
        graph.number_of_nodes(),
        graph.number_of_edges(),
        fmt,
        out or "standard output",
    )


def _write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename,
    so an interrupted export never leaves a truncated file behind."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; an export is meant to be shared
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from exc
