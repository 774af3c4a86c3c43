"""``python -m pipelines ingest ...``: the batch ingestion command without graphmem's CLI."""

from __future__ import annotations

import click

from pipelines.cli import ingest


@click.group()
def main() -> None:
    """graphmem batch jobs."""


main.add_command(ingest)

if __name__ == "__main__":
    main()
