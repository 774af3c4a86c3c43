"""Edited records (an id taken by other content): --on-conflict error|skip|replace, and text
file ids that do not depend on how the directory was typed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ingest_helpers import dump_store, make_corpus, write_jsonl
from test_ingest_job import CountingEmbedder

from graphmem import Memory, read_documents
from pipelines import IngestConfig, IngestError, run_ingest
from pipelines.cli import ingest as ingest_command


def _edited(record: dict[str, Any], note: str = "It was rebuilt later.") -> dict[str, Any]:
    return {**record, "text": f"{record['text']} {note}"}


def _docs(store: Path) -> list[tuple[str, str]]:
    """(doc_id, text of its first passage) of every stored document, oldest first."""
    by_doc = {r[0]: r[1] for r in dump_store(store)["documents"]}
    first = {r[2]: r[4] for r in dump_store(store)["chunks"] if r[3] == 0}
    return [(by_doc[d], first[d]) for d in sorted(by_doc)]


@pytest.fixture
def v1(tmp_path: Path) -> list[dict[str, Any]]:
    return make_corpus(10)[:6]


def test_by_default_a_conflict_stops_the_job_before_its_batch(tmp_path, ingest, v1):
    store = tmp_path / "mem"
    ingest([write_jsonl(tmp_path / "v1.jsonl", v1)], store, batch_size=2)
    before = _docs(store)
    new = make_corpus(10)[6:]
    corpus = write_jsonl(
        tmp_path / "v2.jsonl", [new[0], new[1], v1[0], _edited(v1[3]), new[2], new[3]]
    )
    with pytest.raises(IngestError) as err:
        ingest([corpus], store, batch_size=2)
    assert str(err.value) == (
        f"{corpus}:4: document 'p0003' is already stored (or earlier in the input) with "
        "different text (--on-conflict error: stopped before this record's batch; "
        "--on-conflict replace replaces the stored document, skip keeps it)"
    )
    report = err.value.report
    assert (report.batches, report.documents_added, report.documents_replaced) == (1, 2, 0)
    assert report.error == str(err.value) and report.bad_records == 0
    # the batch before is committed; nothing of the conflicting record's batch, nor after it
    assert _docs(store) == before + [("p0006", new[0]["text"]), ("p0007", new[1]["text"])]

    metadata_only = write_jsonl(tmp_path / "v3.jsonl", [{**v1[1], "metadata": {"n": 99}}])
    with pytest.raises(
        IngestError,
        match="'p0001' is already stored .* with the same text but "
        "another title or metadata \\(--on-conflict error",
    ):
        ingest([metadata_only], store)
    assert len(_docs(store)) == 8


def test_replace_equals_upserting_batch_by_batch(tmp_path, ingest, embedder, extractor, v1):
    new = make_corpus(10)[6:]
    v2 = [
        _edited(v1[1]),  # text edited
        v1[2],  # unchanged
        new[0],
        {**v1[3], "metadata": {"n": 99}},  # metadata edited
        _edited(v1[5], "A first draft."),  # superseded by the record after next, same batch
        new[1],
        _edited(v1[5], "The final text."),
        new[2],
    ]
    first, second = write_jsonl(tmp_path / "v1.jsonl", v1), write_jsonl(tmp_path / "v2.jsonl", v2)
    store = tmp_path / "job"
    ingest([first], store, batch_size=4)
    report = ingest([second], store, batch_size=4, on_conflict="replace")
    assert (report.documents_read, report.documents_added, report.documents_replaced) == (8, 3, 3)
    assert (report.documents_skipped, report.bad_records, report.batches) == (2, 0, 2)
    assert report.summary().startswith(
        "read 8 documents: added 3, replaced 3, skipped 2 already stored, 0 bad records skipped"
    )

    with Memory(tmp_path / "plain", embedder=embedder, extractor=extractor) as mem:
        for docs in (read_documents(first), read_documents(second)):
            for start in range(0, len(docs), 4):
                mem.upsert(docs[start : start + 4])
    assert dump_store(store) == dump_store(tmp_path / "plain")
    texts = dict(_docs(store))
    assert (texts["p0001"], texts["p0005"]) == (v2[0]["text"], v2[6]["text"])
    [p3] = [r for r in dump_store(store)["documents"] if r[1] == "p0003"]
    assert json.loads(p3[4]) == {"title": v1[3]["title"], "n": 99}

    before = dump_store(store)
    again = ingest([second], store, batch_size=4, on_conflict="replace")
    assert (again.documents_added, again.documents_replaced, again.documents_skipped) == (0, 0, 8)
    assert again.batches == 0 and dump_store(store) == before


def test_an_id_repeated_across_batches_ends_with_its_last_record(tmp_path, ingest):
    a, b, c, d = make_corpus(4)
    x1, x2 = {**a, "id": "x"}, _edited({**a, "id": "x"})
    corpus = write_jsonl(tmp_path / "c.jsonl", [x1, b, x2, c, d])
    store = tmp_path / "mem"
    report = ingest([corpus], store, batch_size=2, prefetch=2, on_conflict="replace")
    assert (report.documents_added, report.documents_replaced) == (4, 1)
    assert dict(_docs(store))["x"] == x2["text"]
    again = ingest([corpus], store, batch_size=2, on_conflict="replace")  # replays x1 then x2
    assert (again.documents_added, again.documents_replaced, again.documents_skipped) == (0, 2, 3)
    assert dict(_docs(store))["x"] == x2["text"] and len(_docs(store)) == 4


def test_replace_resumes_after_a_failure_to_the_uninterrupted_store(
    tmp_path, ingest, embedder, extractor, v1
):
    v2 = [_edited(r) for r in v1]
    first, second = write_jsonl(tmp_path / "v1.jsonl", v1), write_jsonl(tmp_path / "v2.jsonl", v2)
    for name in ("ref", "mem"):
        ingest([first], tmp_path / name, batch_size=2)
    ingest([second], tmp_path / "ref", batch_size=2, on_conflict="replace")

    failing = CountingEmbedder(embedder, fail_on=v2[2]["text"])  # batch 1's passages
    config = IngestConfig(workers=0, batch_size=2, progress=False, on_conflict="replace")
    with pytest.raises(IngestError, match="embedder failed on purpose") as err:
        run_ingest([second], tmp_path / "mem", config, extractor=extractor, embedder=failing)
    assert (err.value.report.batches, err.value.report.documents_replaced) == (1, 2)
    resumed = ingest([second], tmp_path / "mem", batch_size=2, on_conflict="replace")
    assert (resumed.documents_replaced, resumed.documents_skipped) == (4, 2)
    assert dump_store(tmp_path / "mem") == dump_store(tmp_path / "ref")


@pytest.mark.usefixtures("shared_models")
def test_the_command_exit_status_follows_on_conflict(tmp_path: Path, v1) -> None:
    store = tmp_path / "mem"
    base = ["--store", str(store), "--workers", "0", "--no-progress"]
    runner = CliRunner()
    assert (
        runner.invoke(
            ingest_command, [str(write_jsonl(tmp_path / "v1.jsonl", v1)), *base]
        ).exit_code
        == 0
    )
    corpus = str(write_jsonl(tmp_path / "v2.jsonl", [_edited(v1[4])]))
    conflict = f"{corpus}:1: document 'p0004' is already stored (or earlier in the input) with different text"

    result = runner.invoke(ingest_command, [corpus, *base])  # the default: error
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {conflict} (--on-conflict error: stopped")
    result = runner.invoke(ingest_command, [corpus, *base, "--on-conflict", "skip"])
    assert result.exit_code == 0
    assert f"bad record: {conflict}; skipped, the earlier one kept" in result.stdout
    result = runner.invoke(ingest_command, [corpus, *base, "--on-conflict", "replace"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("read 1 documents: added 0, replaced 1, skipped 0 already")
    assert dict(_docs(store))["p0004"] == _edited(v1[4])["text"]
    assert "--on-conflict [error|skip|replace]" in runner.invoke(ingest_command, ["--help"]).output


def test_a_directory_typed_two_ways_is_stored_once(tmp_path, ingest, monkeypatch):
    notes = tmp_path / "work" / "notes"
    notes.mkdir(parents=True)
    for i, record in enumerate(make_corpus(3)):
        (notes / f"n{i}.md").write_text(record["text"], encoding="utf-8")
    monkeypatch.chdir(tmp_path / "work")
    store = tmp_path / "mem"
    first = ingest([Path("notes/")], store)
    assert first.documents_added == 3
    again = ingest([notes.resolve()], store)  # $PWD/notes
    assert (again.documents_added, again.documents_skipped, again.bad_records) == (0, 3, 0)
    assert [d for d, _ in _docs(store)] == ["notes/n0.md", "notes/n1.md", "notes/n2.md"]
