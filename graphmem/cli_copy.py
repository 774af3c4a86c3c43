"""``graphmem copy --from A --to B``: copy a memory between an SQLite directory and PostgreSQL
(either way, or between two of a kind), over :func:`graphmem.store.copy.copy_store`.
Registered on the ``graphmem`` group by :mod:`graphmem.cli`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from graphmem.cli_options import StoreLocation, fail
from graphmem.errors import GraphMemError

__all__ = ["copy_command"]


@click.command("copy")
@click.option("--from", "source", required=True, type=StoreLocation(),
              help="The memory to copy: a directory or a postgresql:// URL.")
@click.option("--to", "target", required=True, type=StoreLocation(),
              help="Where to copy it: a new or empty directory or postgresql://...?schema= URL.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def copy_command(source: Path | str, target: Path | str, as_json: bool) -> None:
    """Copy every row of the memory at --from into the empty store at --to, ids kept: the copy
    answers every query as the original. One snapshot of the source, one transaction into the
    target (a failed copy leaves it unchanged). Loads no model."""
    from graphmem.store.copy import copy_store

    try:
        report = copy_store(source, target)
    except GraphMemError as exc:
        fail(exc)
        return
    if as_json:
        click.echo(json.dumps({"from": report.source, "to": report.target, "rows": report.rows}))
        return
    rows = ", ".join(f"{n} {t}" for t, n in report.rows.items() if t != "meta")
    click.echo(f"copied {report.source} to {report.target}: {rows}")
