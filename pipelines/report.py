"""What an ingestion job did: counts, bad records, seconds per stage, model usage."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graphmem.errors import GraphMemError
from graphmem.types import Extraction
from pipelines.config import IngestConfig

log = logging.getLogger(__name__)

__all__ = ["STAGES", "IngestError", "IngestInterrupted", "IngestReport", "Tally"]

#: Stages timed by a job. They overlap (extraction of later batches runs while earlier ones are
#: embedded and committed), so their seconds can add up to more than ``wall``:
#:
#: * ``load``: loading the embedding model (or starting the Ray actors) in the job process;
#: * ``read``: parsing and validating input records;
#: * ``prepare``: document ids, the stored-document check, chunking;
#: * ``extract``: extraction tasks, summed over tasks in flight (cache lookups included);
#: * ``embed``: embedding passages, entity names and facts;
#: * ``synonyms``: linking new entities to similar ones;
#: * ``commit``: the writer's other time in ``Memory.add`` (store lookups, the transaction,
#:   index refresh, waiting for the embedder);
#: * ``wait``: the writer idle, waiting for a batch's extraction or passage embedding;
#: * ``wall``: the whole job, start to end.
STAGES = ("load", "read", "prepare", "extract", "embed", "synonyms", "commit", "wait", "wall")


@dataclass
class Tally:
    """Running counts of a job (mutable; :meth:`freeze` turns it into an :class:`IngestReport`)."""

    records: int = 0
    read: int = 0
    added: int = 0
    replaced: int = 0
    skipped: int = 0
    bad: int = 0
    unread: int = 0
    bad_examples: list[str] = field(default_factory=list)
    failed: int = 0
    failed_ids: list[str] = field(default_factory=list)
    batches: int = 0
    chunks: int = 0
    entities: int = 0
    facts: int = 0
    synonym_edges: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def count_batch(self, counts: Mapping[str, int]) -> None:
        """Add a committed batch with the row counts of its build (``Memory.last_build``)."""
        self.batches += 1
        self.chunks += counts.get("passages", 0)
        self.entities += counts.get("new_entities", 0)
        self.facts += counts.get("new_facts", 0)
        self.synonym_edges += counts.get("synonym_edges", 0)

    def count_bad(self, bad: str, unread: int, listed: int) -> None:
        """Add a bad record (``FILE:LINE: what is wrong``); the first ``listed`` are kept and
        logged, later ones only counted."""
        self.bad += 1
        self.unread += unread
        if len(self.bad_examples) < listed:
            self.bad_examples.append(bad)
            log.warning("bad record skipped: %s", bad)
        elif self.bad == listed + 1:
            log.warning("more bad records: counted in the report, not listed")

    def count_failed(self, doc_ids: Sequence[str], listed: int) -> None:
        """Add documents stored with a failed extraction; the first ``listed`` are kept by id."""
        self.failed += len(doc_ids)
        room = max(0, listed - len(self.failed_ids))
        self.failed_ids.extend(doc_ids[:room])

    def freeze(
        self,
        *,
        paths: tuple[str, ...],
        store_path: str,
        config: IngestConfig,
        extractor: str,
        seconds: dict[str, float],
        extraction_cache: dict[str, int],
        llm_usage: dict[str, Any] | None,
        store: dict[str, int],
        error: str | None,
    ) -> IngestReport:
        """The report of a job with these counts; ``seconds`` must include ``wall``."""
        wall = seconds["wall"]
        return IngestReport(
            paths=paths,
            store_path=store_path,
            runner=config.runner,
            workers=config.workers,
            batch_size=config.batch_size,
            extractor=extractor,
            documents_read=self.read,
            documents_added=self.added,
            documents_skipped=self.skipped,
            documents_replaced=self.replaced,
            bad_records=self.bad,
            bad_record_examples=tuple(self.bad_examples),
            records_unread=self.unread,
            failed_extractions=self.failed,
            failed_extraction_ids=tuple(self.failed_ids),
            chunks=self.chunks,
            entities=self.entities,
            facts=self.facts,
            synonym_edges=self.synonym_edges,
            batches=self.batches,
            seconds=seconds,
            passages_per_second=round(self.chunks / wall, 2) if wall > 0 else 0.0,
            extraction_cache=extraction_cache,
            llm_usage=llm_usage,
            store=store,
            error=error,
            namespace=config.namespace,
        )


@dataclass(frozen=True)
class IngestReport:
    """The outcome of :func:`pipelines.run_ingest`.

    * ``documents_read``: valid records read from the input;
    * ``documents_added``: documents written by this run;
    * ``documents_skipped``: already stored with the same content (a rerun, or repeated in the
      input), so neither extracted nor embedded;
    * ``documents_replaced``: records that replaced a document of the same id with other
      content, stored or earlier in the input (``on_conflict="replace"``; counted in
      ``documents_read``, not in ``documents_added``);
    * ``bad_records``: records skipped as invalid (all counted; the first ones listed in
      ``bad_record_examples`` as ``"FILE:LINE: reason"``);
    * ``failed_extractions``: documents this run stored whose extraction failed for at least
      one passage (an unusable model reply: the document is stored, without the entities and
      facts of that passage; nothing of it was cached, so deleting the document and rerunning
      asks the model again); the first ones by id in ``failed_extraction_ids``. Under
      ``strict`` the job stops before such a document's batch instead;
    * ``chunks``, ``entities``, ``facts``, ``synonym_edges``: rows this run added;
    * ``batches``: transactions committed by this run;
    * ``seconds``: per stage, see :data:`STAGES`; ``passages_per_second`` = chunks / wall;
    * ``extraction_cache``: hits and misses of the extraction cache (hits on a rerun are
      passages extracted by an interrupted earlier run);
    * ``llm_usage``: the LLM client's counters when the extractor has ``client.usage``;
    * ``store``: row counts of the namespace written to (``namespace``) at the end;
    * ``error``: why the job stopped early (``None`` when it completed);
    * ``records_unread``: records never read because a syntax error ended their ``.json`` file
      (each such error is one bad record and says how many followed it; counted by reading
      the rest of the file leniently, so an estimate). They are not in ``bad_records``.
    """

    paths: tuple[str, ...]
    store_path: str
    runner: str
    workers: int
    batch_size: int
    extractor: str
    documents_read: int
    documents_added: int
    documents_skipped: int
    bad_records: int
    bad_record_examples: tuple[str, ...]
    failed_extractions: int
    failed_extraction_ids: tuple[str, ...]
    chunks: int
    entities: int
    facts: int
    synonym_edges: int
    batches: int
    seconds: dict[str, float]
    passages_per_second: float
    extraction_cache: dict[str, int]
    llm_usage: dict[str, Any] | None
    store: dict[str, int]
    error: str | None = None
    records_unread: int = 0
    documents_replaced: int = 0
    namespace: str = "default"

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out

    def write(self, path: str | Path) -> None:
        """Write the report as indented JSON (directories created)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(
            json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    def summary(self) -> str:
        """A few human-readable lines."""
        s = self.seconds
        stages = ", ".join(f"{k} {s[k]:.1f}s" for k in STAGES if k != "wall")
        lines = [
            (
                f"read {self.documents_read} documents: added {self.documents_added}, "
                + (f"replaced {self.documents_replaced}, " if self.documents_replaced else "")
                + f"skipped {self.documents_skipped} already stored, "
                f"{self.bad_records} bad records skipped"
            ),
            (
                f"added {self.chunks} passages, {self.entities} entities, {self.facts} facts, "
                f"{self.synonym_edges} synonym edges in {self.batches} batches"
            ),
            (
                f"{s['wall']:.1f}s wall, {self.passages_per_second:.1f} passages/s "
                f"({self.runner} runner, {self.workers} workers); busy: {stages}"
            ),
            ("store: " if self.namespace == "default" else f"namespace {self.namespace}: ")
            + ", ".join(f"{k} {v}" for k, v in self.store.items()),
        ]
        if self.llm_usage:
            lines.append("llm: " + ", ".join(f"{k} {v}" for k, v in self.llm_usage.items()))
        if self.records_unread:
            lines.append(
                f"{self.records_unread} records not read: a .json file ended at a syntax error "
                "(see bad records)"
            )
        for example in self.bad_record_examples[:10]:
            lines.append(f"bad record: {example}")
        if self.bad_records > 10:
            lines.append(f"... {self.bad_records - 10} more bad records (see the JSON report)")
        if self.failed_extractions:
            shown = ", ".join(self.failed_extraction_ids[:10])
            more = self.failed_extractions - min(10, len(self.failed_extraction_ids))
            if more > 0:
                shown += f" and {more} more (see the JSON report)"
            lines.append(
                f"extraction failed for {self.failed_extractions} documents (stored without "
                f"their entities and facts): {shown}; once the model server works, delete them "
                "(graphmem delete ID) and rerun to extract them again"
            )
        if self.error:
            lines.append(f"stopped: {self.error}")
        return "\n".join(lines)


class IngestError(GraphMemError):
    """A job stopped early (strict mode met a bad record, a model or store failed). Batches
    committed before stay committed; ``report`` describes the run up to the stop."""

    def __init__(self, message: str, report: IngestReport):
        super().__init__(message)
        self.report = report


class IngestInterrupted(KeyboardInterrupt):
    """The job was interrupted (Ctrl-C). A KeyboardInterrupt, so code that stops on Ctrl-C still
    does; ``batches`` were committed before and stay committed, ``report`` describes the run up
    to the interruption."""

    def __init__(self, report: IngestReport):
        super().__init__(f"interrupted after {report.batches} committed batches")
        self.report = report
        self.batches = report.batches


def count_failures(
    tally: Tally, owners: Sequence[str], extractions: Sequence[Extraction], strict: bool, listed: int
) -> str | None:
    """Count and log the documents whose extraction failed (``owners`` names the document of
    each extraction; the first reason of each counts). In strict mode, count nothing and return
    the message that stops the job before their batch."""
    failed: dict[str, str] = {}
    for owner, extraction in zip(owners, extractions):
        if extraction.failure is not None:
            failed.setdefault(owner, extraction.failure)
    if failed and strict:
        doc_id, reason = next(iter(failed.items()))
        return (
            f"document {doc_id!r}: extraction failed: {reason} "
            "(strict mode: stopped before this document's batch)"
        )
    for doc_id, reason in failed.items():
        log.warning("document %r stored without entities and facts: %s", doc_id, reason)
    tally.count_failed(list(failed), listed)
    return None
