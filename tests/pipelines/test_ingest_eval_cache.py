"""graphmem-ingest and the evaluation harness key cached extractions alike, so each reuses what
the other extracted (both by the extractor's name alone, which carries its settings)."""

from __future__ import annotations

from ingest_helpers import make_corpus, write_jsonl

from graphmem.config import ExtractConfig, MemoryConfig
from graphmem.eval.building import build_memory
from graphmem.extract import SpacyExtractor
from graphmem.types import Document
from pipelines import IngestConfig
from pipelines.backends import make_backend


def test_eval_reuses_the_extractions_ingest_cached(tmp_path, ingest, extractor, embedder):
    records = make_corpus(6)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    cache_dir = tmp_path / "cache"
    report = ingest([corpus], tmp_path / "ingested", cache_dir=cache_dir)
    extracted = report.extraction_cache["extraction_misses"]
    assert extracted > 0 and report.extraction_cache["extraction_hits"] == 0

    docs = [
        Document(text=r["text"], id=r["id"], title=r["title"], metadata=r["metadata"])
        for r in records
    ]
    _, stats = build_memory(
        tmp_path / "eval", docs, MemoryConfig(), embedder, extractor, cache_dir
    )
    assert (stats["extraction_hits"], stats["extraction_misses"]) == (extracted, 0)


def test_ingest_backends_name_the_extractor_as_it_names_itself(embedder):
    """The ingest cache fingerprint is the backend's extractor name: the configured spaCy
    extractor's own name, whichever runner and pronoun setting."""
    for resolve in (True, False):
        extract = ExtractConfig(resolve_pronouns=resolve)
        want = SpacyExtractor(extract).name
        for workers in (0, 2):
            config = IngestConfig(workers=workers, memory=MemoryConfig(extract=extract))
            backend = make_backend(config, None, embedder)
            try:
                assert backend.extractor_name == want
            finally:
                backend.close()
