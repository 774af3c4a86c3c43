"""The ``viz`` command: ``graphmem viz --store DIR -o graph.html [--query Q | --entity NAME]``.

Defined here as a standalone click command (:data:`viz_command`) because graphmem never imports
viz; graphmem's CLI loads it through the ``graphmem.commands`` entry-point group. Its ``--store``,
``-v`` and error reporting are graphmem's own (:mod:`graphmem.cli_options`): errors print one
line to stderr and exit with status 1, like graphmem's CLI.
"""

from __future__ import annotations

from pathlib import Path

import click

from graphmem.cli_options import reported_errors, setup_logging, store_option, verbose_option


@click.command(name="viz")
@store_option
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
@verbose_option
def viz_command(
    store: Path | str, output: Path, query: str | None, entity: str | None, max_nodes: int,
    top_k: int, verbose: int,
) -> None:
    """Write an interactive HTML view of the memory graph: the overview (most central entities),
    one entity's neighbourhood (--entity) or why a query retrieved its passages (--query)."""
    setup_logging(verbose)
    from viz.render import render
    from viz.source import open_memory

    with reported_errors(ValueError):
        if query is not None and entity is not None:
            raise click.UsageError("pass either --query or --entity, not both")
        with open_memory(store) as mem:
            report = render(
                mem, output, query=query, entity=entity, max_nodes=max_nodes, top_k=top_k
            )
    click.echo(f"wrote {report.path} ({report.view} view, {report.note}) in {report.seconds:.1f}s")


main = viz_command

if __name__ == "__main__":  # pragma: no cover
    viz_command()
