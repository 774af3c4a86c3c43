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
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    including the items skipped; ``entities`` and ``facts`` are the rows the import added.
    ``seconds`` splits the wall time: ``load`` (read and validate the file, index its
    passages), ``build`` (the adds' model work, checks and synonym step: the
    :class:`graphmem.graph.builder.BuildTimings` wall) and ``store`` (the rest of the adds:
    chunking, the write, index refreshes), and ``total``; inside ``build``, summed over the
    batches, ``extract`` (the file lookup, run beside the passage embedding, so it overlaps
    ``embed``), ``embed`` and ``synonyms``."""

    path: str
    extractor: str
    items: int
    imported: int
    already_stored: int
    skipped: int
    entities: int
    facts: int
    problems: tuple[Problem, ...]
    seconds: Mapping[str, float] = field(default_factory=dict)


def import_openie(
    path: str | Path,
    store: str | Path,
    config: MemoryConfig | None = None,
    *,
    embedder: Embedder | None = None,
    progress: Callable[[str], None] | None = None,
    batch: int = IMPORT_BATCH,
) -> ImportReport:
    """Store the passages and triples of the OpenIE file ``path`` in the memory at ``store``.

    ``config`` configures the memory (chunking, embedder, graph); ``embedder`` shares a loaded
    model. Items known only by ``idx`` carry no text to store and are skipped with a problem.
    ``batch`` documents go into each :meth:`Memory.add` (one transaction, one index refresh);
    bulk imports of 10^5+ passages run faster with thousands per batch.

    Raises:
        InputError: the file is unreadable or not an OpenIE file, or no item in it is usable.
    """
    if batch < 1:
        raise InputError(f"batch must be at least 1, got {batch}", source=str(path))
    config = config if config is not None else MemoryConfig()
    say = progress or (lambda line: None)
    start = time.perf_counter()
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
    seconds = dict.fromkeys(("build", "extract", "embed", "synonyms", "store"), 0.0)
    seconds["load"] = time.perf_counter() - start
    with Memory(store, config, embedder=embedder, extractor=extractor) as mem:
        before = mem.stats()
        for at in range(0, len(docs), batch):
            t0 = time.perf_counter()
            mem.add(docs[at : at + batch], source=f"{path} docs")
            built = mem.last_build
            seconds["extract"] += built.extract
            seconds["embed"] += built.embed
            seconds["synonyms"] += built.synonyms
            seconds["build"] += built.wall
            seconds["store"] += time.perf_counter() - t0 - built.wall
            say(f"stored {min(at + batch, len(docs))} of {len(docs)} passages")
        after = mem.stats()
    seconds["total"] = time.perf_counter() - start
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
        seconds={k: round(v, 4) for k, v in seconds.items()},
    )
