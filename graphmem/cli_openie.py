"""``graphmem import-openie``: the click layer over :func:`graphmem.openie_import.import_openie`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from graphmem.cli_options import store_option
from graphmem.errors import GraphMemError
from graphmem.store.open import redacted


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@click.command("import-openie")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@store_option
@click.option(
    "--show-problems",
    default=10,
    show_default=True,
    type=click.IntRange(min=0),
    help="List at most this many of the malformed items and triples (0: count them only).",
)
@click.option(
    "--batch",
    default=512,
    show_default=True,
    type=click.IntRange(min=1),
    help="Documents per write transaction; thousands make bulk imports of 10^5+ passages faster.",
)
def import_openie_command(file: Path, store: Path, show_problems: int, batch: int) -> None:
    """Store the passages and LLM triples of the OpenIE file FILE in the memory at --store.

    FILE is HippoRAG's OpenIE output: {"docs": [{"title", "text" or "passage", "idx",
    "extracted_entities", "extracted_triples"}, ...]}. Each item's passage becomes a document
    (title + text) with the item's triples as its facts, embedded like any extractor's output.
    Malformed items and triples are reported by index and left out; the rest is imported.
    Exit status 1 when FILE is not an OpenIE file or holds no usable passage.
    """
    from graphmem.openie_import import import_openie

    try:
        report = import_openie(
            file, store, progress=lambda line: click.echo(line, err=True), batch=batch
        )
    except (GraphMemError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"{file}: {_plural(report.items, 'item')}: {report.imported} imported, "
        f"{report.already_stored} already stored, {report.skipped} skipped; "
        f"{_plural(len(report.problems), 'problem')}"
    )
    click.echo(
        f"added {_plural(report.entities, 'entity').replace('entitys', 'entities')} and "
        f"{_plural(report.facts, 'fact')} to {redacted(str(store))} (extractor {report.extractor})"
    )
    for problem in report.problems[:show_problems]:
        click.echo(f"  {problem}")
    hidden = len(report.problems) - show_problems
    if hidden > 0 and show_problems > 0:
        click.echo(f"  ... and {hidden} more (--show-problems {len(report.problems)} lists all)")
