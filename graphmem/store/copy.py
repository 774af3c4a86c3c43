"""Copying a memory between stores of any kind (``graphmem copy``): SQLite to PostgreSQL, back,
or between two of either. Every table is read in one snapshot of the source and written in one
transaction into an empty target, ids kept (:meth:`Store.export_rows`,
:meth:`Store.import_rows`), so the copy holds the same rows and answers every query with the
same passages and scores. A failed copy leaves the target as it was."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from graphmem.config import StoreConfig
from graphmem.errors import InputError, NotFoundError
from graphmem.store.open import is_url, open_store, redacted, store_exists
from graphmem.store.schema import COLUMNS

__all__ = ["CopyReport", "copy_store"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CopyReport:
    """What :func:`copy_store` copied: the two locations (no passwords) and rows per table."""

    source: str
    target: str
    rows: dict[str, int]


def _shown(location: str | Path) -> str:
    return redacted(str(location)) if is_url(location) else str(location)


def copy_store(
    source: str | Path, target: str | Path, config: StoreConfig | None = None
) -> CopyReport:
    """Copy the store at ``source`` into the new or empty store at ``target`` (a memory
    directory or a ``postgresql://`` URL each). A missing source is a NotFoundError, a target
    holding documents a StoreError, copying a store onto itself an InputError."""
    if _shown(source) == _shown(target):
        raise InputError("source and target are the same store", source=_shown(source))
    if not store_exists(source):
        raise NotFoundError(f"no graphmem store at {_shown(source)}")
    src = open_store(source, StoreConfig(read_only=True))
    try:
        with src.snapshot():  # one commit of the source, even while it is being written
            tables = {t: src.export_rows(t) for t in COLUMNS}
    finally:
        src.close()
    dst = open_store(target, config)
    try:
        dst.import_rows(tables)
    finally:
        dst.close()
    report = CopyReport(_shown(source), _shown(target), {t: len(r) for t, r in tables.items()})
    log.info("copied %s to %s: %s", report.source, report.target, report.rows)
    return report
