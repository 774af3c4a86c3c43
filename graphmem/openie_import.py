"""Importing OpenIE made elsewhere into a memory: the API behind ``graphmem import-openie``.

:func:`import_openie` loads and validates a HippoRAG-style extraction file
(:func:`graphmem.extract.openie_file.load_openie`), stores every usable item's passage as a
document (``title`` + ``text``, with the content-hash id a ``graphmem ingest`` of the same
``{"title", "text"}`` record would get, so importing and ingesting the same passage store it
once) and its triples through :class:`~graphmem.extract.openie.OpenIEExtractor`, exactly as any
extractor's output is stored: embedded facts and entities, synonym edges, title entities.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from graphmem.config import MemoryConfig
from graphmem.embed import Embedder
from graphmem.errors import InputError
from graphmem.extract.openie import OpenIEExtractor
from graphmem.extract.openie_file import Problem, load_openie
from graphmem.memory import Memory
from graphmem.types import Document

__all__ = ["IMPORT_BATCH", "ImportReport", "import_openie"]

log = logging.getLogger(__name__)

IMPORT_BATCH = 512
"""Documents per :meth:`Memory.add` call (one transaction each): an interrupted import keeps the
batches written, and rerunning it skips them."""


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_openie` did.

    ``items`` counts the file's ``docs``; ``imported`` the documents newly stored,
    ``already_stored`` those the memory held already (same text), ``skipped`` the items that
    could not be imported at all. ``problems`` lists everything malformed, by item index,
    including the items skipped; ``entities`` and ``facts`` are the rows the import added."""

    path: str
    extractor: str
    items: int
    imported: int
    already_stored: int
    skipped: int
    entities: int
    facts: int
    problems: tuple[Problem, ...]


def import_openie(
    path: str | Path,
    store: str | Path,
    config: MemoryConfig | None = None,
    *,
    embedder: Embedder | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Store the passages and triples of the OpenIE file ``path`` in the memory at ``store``.

    ``config`` configures the memory (chunking, embedder, graph); ``embedder`` shares a loaded
    model. Items known only by ``idx`` carry no text to store and are skipped with a problem.

    Raises:
        InputError: the file is unreadable or not an OpenIE file, or no item in it is usable.
    """
    config = config if config is not None else MemoryConfig()
    say = progress or (lambda line: None)
    source = load_openie(path)
    problems = list(source.problems)
    usable = []
    for item in source.items:
        if item.text is None:
            problems.append(Problem(item.position, "", "has only an 'idx', no passage text to store; skipped"))
        else:
            usable.append(item)
    problems.sort(key=lambda p: p.item)
    if not usable:
        raise InputError(
            f"no usable passage among its {source.total} items ({len(problems)} problems, "
            f"the first: {problems[0]})" if problems else "its 'docs' list is empty",
            source=str(path),
        )
    extractor = OpenIEExtractor(source, config.chunk)
    docs = [Document(text=item.text, title=item.title) for item in usable if item.text]
    say(f"{path}: {len(docs)} passages to store, {len(problems)} problems")
    with Memory(store, config, embedder=embedder, extractor=extractor) as mem:
        before = mem.stats()
        for start in range(0, len(docs), IMPORT_BATCH):
            mem.add(docs[start : start + IMPORT_BATCH], source=f"{path} docs")
            say(f"stored {min(start + IMPORT_BATCH, len(docs))} of {len(docs)} passages")
        after = mem.stats()
    imported = after["documents"] - before["documents"]
    if extractor.missing:  # not expected: every passage stored comes from the file
        log.warning("%d windows had no extraction from %s", extractor.missing, path)
    return ImportReport(
        path=str(path),
        extractor=source.name,
        items=source.total,
        imported=imported,
        already_stored=len(docs) - imported,
        skipped=source.total - len(docs),
        entities=after["entities"] - before["entities"],
        facts=after["facts"] - before["facts"],
        problems=tuple(problems),
    )
