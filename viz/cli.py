"""The ``viz`` command: ``graphmem viz --store DIR -o graph.html [--query Q | --entity NAME]``.

Defined here as a standalone click command (:data:`viz_command`) because graphmem never imports
viz; it can be registered as a console script or added to graphmem's CLI group by whoever wires
the two together. Errors print one line to stderr and exit with status 1, like graphmem's CLI.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from graphmem.errors import GraphMemError


@click.command(name="viz")
@click.option("--store", "store", required=True, envvar="GRAPHMEM_STORE",
              type=click.Path(file_okay=False, path_type=Path),
              help="Memory directory. Env: GRAPHMEM_STORE.")
@click.option("-o", "--output", "output", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (one self-contained page, works offline).")
@click.option("--query", default=None,
              help="Explain this query: seeds, PPR scores, ranked passages.")
@click.option("--entity", default=None, help="Show the neighbourhood of this entity.")
@click.option("--max-nodes", default=200, show_default=True, type=click.IntRange(min=1),
              help="Most nodes to draw; the page says how many were left out.")
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(min=1),
              help="Passages to retrieve for --query.")
@click.option("-v", "--verbose", count=True, help="Log progress (-v) or debug detail (-vv).")
def viz_command(
    store: Path, output: Path, query: str | None, entity: str | None, max_nodes: int, top_k: int,
    verbose: int,
) -> None:
    """Write an interactive HTML view of the memory graph: the overview (most central entities),
    one entity's neighbourhood (--entity) or why a query retrieved its passages (--query)."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    from viz.render import render
    from viz.source import open_memory

    try:
        if query is not None and entity is not None:
            raise click.UsageError("pass either --query or --entity, not both")
        with open_memory(store) as mem:
            report = render(
                mem, output, query=query, entity=entity, max_nodes=max_nodes, top_k=top_k
            )
    except (GraphMemError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"wrote {report.path} ({report.view} view, {report.note}) in {report.seconds:.1f}s")


main = viz_command

if __name__ == "__main__":  # pragma: no cover
    viz_command()
