"""Jobs in process: bad records, strict mode, resume, the extraction cache, ids, the report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ingest_helpers import dump_store, make_corpus, write_jsonl

from graphmem.extract import SpacyExtractor
from graphmem.ids import doc_id_for
from graphmem.types import Extraction
from pipelines import IngestError
from pipelines.report import STAGES


class CountingExtractor:
    """Delegates to a real extractor and records every text it is asked about."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.name = inner.name
        self.seen: list[str] = []

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        self.seen.extend(texts)
        return self.inner.extract_batch(texts)


class CountingSpacy(SpacyExtractor):
    """A spaCy extractor (so the job treats it as one: same cache fingerprint) that records
    every text it is asked about; shares the session extractor's loaded pipeline."""

    def __init__(self, loaded: SpacyExtractor):
        super().__init__(loaded.config)
        self._nlp = loaded.nlp
        self.seen: list[str] = []

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        self.seen.extend(texts)
        return super().extract_batch(texts)


class CountingEmbedder:
    """Delegates to a real embedder; counts texts; raises on a list containing ``fail_on``."""

    def __init__(self, inner: Any, fail_on: str | None = None):
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self.fail_on = fail_on

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_on is not None and any(self.fail_on in t for t in texts):
            raise RuntimeError("embedder failed on purpose")
        return self.inner.encode(texts)


def test_bad_records_of_each_source_type_are_reported_and_skipped(tmp_path, ingest):
    jl = tmp_path / "a.jsonl"
    jl.write_text(
        '{"id": "j1", "text": "Velka Stroud was born in Saltmere."}\n'
        '{"id": "j2", "text": "broken\n'
        '{"id": "j3", "text": "Saltmere lies on the Ferrow Coast."}\n',
        encoding="utf-8",
    )
    js = tmp_path / "b.json"
    js.write_text(
        json.dumps(
            [{"title": "Kelvaro", "text": "Kelvaro is a port."}, {"title": "Empty"}], indent=1
        ),
        encoding="utf-8",
    )
    d = tmp_path / "notes"
    d.mkdir()
    (d / "good.txt").write_text("Orrin Tarrow built the Kelvaro lighthouse.", encoding="utf-8")
    (d / "bad.txt").write_bytes(b"Fine line.\nBroken \xfe line.\n")
    report = ingest([jl, js, d], tmp_path / "mem")
    assert report.bad_record_examples == (
        f"{jl}:2: malformed JSON: Unterminated string starting at (column 22)",
        f'{js}:6: record 1: missing or non-string "text"',
        f"{d / 'bad.txt'}:2: not valid UTF-8 (byte offset 18)",
    )
    assert (report.bad_records, report.documents_read, report.documents_added) == (3, 4, 4)
    assert report.store["documents"] == 4
    assert report.ok


def _bad_fifth_record(kind: str, tmp_path: Path) -> tuple[list[Path], str]:
    """Six records whose fifth is bad, as ``kind`` input; returns the paths and the error prefix."""
    texts = [r["text"] for r in make_corpus(6)]
    if kind == "jsonl":
        f = tmp_path / "c.jsonl"
        lines = [json.dumps({"id": f"d{i}", "text": t}) for i, t in enumerate(texts)]
        lines[4] = '{"id": "d4", "text": '
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return [f], f"{f}:5: malformed JSON"
    if kind == "json":
        f = tmp_path / "c.json"
        records: list[dict[str, Any]] = [{"title": f"d{i}", "text": t} for i, t in enumerate(texts)]
        records[4] = {"title": "d4", "text": ""}
        f.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]", encoding="utf-8")
        return [f], f'{f}:6: record 4: "text" is empty'
    d = tmp_path / "dir"
    d.mkdir()
    for i, t in enumerate(texts):
        (d / f"d{i}.txt").write_bytes(t.encode() if i != 4 else b"\xff\xfe")
    return [d], f"{d / 'd4.txt'}:1: not valid UTF-8"


@pytest.mark.parametrize("kind", ["jsonl", "json", "dir"])
def test_strict_stops_at_the_first_bad_record_keeping_earlier_batches(kind, tmp_path, ingest):
    paths, prefix = _bad_fifth_record(kind, tmp_path)
    store = tmp_path / "mem"
    with pytest.raises(IngestError) as err:
        ingest(paths, store, batch_size=2, strict=True)
    assert str(err.value).startswith(prefix)
    report = err.value.report
    # batches [0, 1] and [2, 3] are committed; [4 (bad), 5] is not, nor anything after it
    assert (report.batches, report.documents_added, report.bad_records) == (2, 4, 1)
    assert report.error is not None and report.error.startswith(prefix)
    assert report.store["documents"] == len(dump_store(store)["documents"]) == 4
    again = ingest(paths, store, batch_size=2)  # not strict: skips the bad record, continues
    assert (again.documents_added, again.documents_skipped, again.bad_records) == (1, 4, 1)
    assert again.store["documents"] == 5


def test_rerun_of_a_finished_job_touches_no_model(tmp_path, ingest, extractor, embedder):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(20))
    store = tmp_path / "mem"
    first = ingest([corpus], store, batch_size=8)
    assert (first.documents_added, first.batches, first.chunks) == (20, 3, 20)
    before = dump_store(store)
    counting_x, counting_e = CountingSpacy(extractor), CountingEmbedder(embedder)
    from pipelines import IngestConfig, run_ingest

    again = run_ingest(
        [corpus],
        store,
        IngestConfig(workers=0, batch_size=8, progress=False),
        extractor=counting_x,
        embedder=counting_e,
    )
    assert (again.documents_read, again.documents_added, again.documents_skipped) == (20, 0, 20)
    assert (again.batches, again.chunks, again.entities) == (0, 0, 0)
    assert counting_x.seen == [] and counting_e.calls == 0
    assert again.seconds["load"] == 0.0
    assert dump_store(store) == before


def test_extractions_are_cached_before_the_commit(tmp_path, ingest, extractor, embedder):
    records = make_corpus(12)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    reference = ingest([corpus], tmp_path / "ref", batch_size=4)

    store = tmp_path / "mem"
    failing = CountingEmbedder(embedder, fail_on=records[5]["text"])  # batch 1's passages
    from pipelines import IngestConfig, run_ingest

    config = IngestConfig(workers=0, batch_size=4, progress=False)
    with pytest.raises(IngestError) as err:
        run_ingest([corpus], store, config, extractor=extractor, embedder=failing)
    assert "embedder failed on purpose" in str(err.value)
    assert (err.value.report.batches, err.value.report.store["documents"]) == (1, 4)

    counting = CountingSpacy(extractor)
    resumed = run_ingest([corpus], store, config, extractor=counting, embedder=embedder)
    batch_1 = {r["text"] for r in records[4:8]}
    assert not batch_1 & set(counting.seen)  # extracted before the failure: served by the cache
    assert resumed.extraction_cache["extraction_hits"] >= 4
    assert resumed.extraction_cache["extraction_misses"] == len(counting.seen)
    assert (resumed.documents_added, resumed.documents_skipped) == (8, 4)
    assert dump_store(store) == dump_store(tmp_path / "ref")
    assert reference.store == resumed.store


def test_ids_duplicates_and_conflicts(tmp_path, ingest):
    a, b, c = (r["text"] for r in make_corpus(3))
    corpus = write_jsonl(
        tmp_path / "c.jsonl",
        [
            {"text": a},
            {"text": a},
            {"id": "x", "text": b},
            {"id": "x", "text": c},
            {"id": "y", "text": b},
        ],
    )
    store = tmp_path / "mem"
    report = ingest([corpus], store, batch_size=2, prefetch=2, on_conflict="skip")
    assert (report.documents_read, report.documents_added, report.documents_skipped) == (5, 3, 1)
    assert report.bad_record_examples == (
        (
            f"{corpus}:4: document 'x' is already stored (or earlier in the input) with "
            "different text; skipped, the earlier one kept (--on-conflict replace replaces it)"
        ),
    )
    assert sorted(r[1] for r in dump_store(store)["documents"]) == sorted([doc_id_for(a), "x", "y"])
    again = ingest([corpus], store, batch_size=2, on_conflict="skip")
    assert (again.documents_added, again.documents_skipped, again.bad_records) == (0, 4, 1)


class _Usage:
    def as_dict(self) -> dict[str, int]:
        return {"calls": 4, "cache_hits": 1, "prompt_tokens": 40, "completion_tokens": 12}


class _Client:
    usage = _Usage()


class UsageExtractor(CountingExtractor):
    """An extractor that looks like graphmem.llm.LLMExtractor to the report (``client.usage``)."""

    client = _Client()


def test_report_carries_stages_usage_and_writes_json(tmp_path, ingest, extractor):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(6))
    report = ingest(
        [corpus], tmp_path / "mem", batch_size=4, extractor_override=UsageExtractor(extractor)
    )
    assert report.llm_usage == {
        "calls": 4,
        "cache_hits": 1,
        "prompt_tokens": 40,
        "completion_tokens": 12,
    }
    assert tuple(report.seconds) == STAGES
    assert report.seconds["wall"] > 0 and report.passages_per_second > 0
    assert report.extraction_cache == {"extraction_hits": 0, "extraction_misses": 6}
    path = tmp_path / "out" / "report.json"
    report.write(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["ok"] is True and data["documents_added"] == 6 and data["batches"] == 2
    assert data["store"] == report.store and data["store"]["documents"] == 6
