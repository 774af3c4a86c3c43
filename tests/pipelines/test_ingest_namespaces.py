"""``ingest --namespace``: skipping, conflicts and kill -9 + rerun, each within one namespace."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from ingest_helpers import QUERIES, dump_store, make_corpus, write_jsonl

from graphmem import Memory
from pipelines import IngestError
from pipelines.cli import ingest as ingest_command

ROOT = Path(__file__).resolve().parents[2]


def _ids(store: Path, namespace: str) -> list[str]:
    with Memory(store) as mem:
        return sorted(d.doc_id for d in mem.documents(namespace=namespace))


def test_each_namespace_skips_and_conflicts_on_its_own(tmp_path, ingest):
    records = make_corpus(12)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    edited = write_jsonl(tmp_path / "e.jsonl",
                         [{**r, "text": r["text"] + " It burned down."} for r in records[:3]])
    store = tmp_path / "mem"
    first = ingest([corpus], store, batch_size=5, namespace="a")
    assert (first.documents_added, first.documents_skipped, first.namespace) == (12, 0, "a")
    assert first.store["documents"] == 12
    # the same records in another namespace are new there, and stored there only
    second = ingest([corpus], store, batch_size=5, namespace="b")
    assert (second.documents_added, second.documents_skipped) == (12, 0)
    assert _ids(store, "a") == _ids(store, "b") == sorted(r["id"] for r in records)
    assert _ids(store, "default") == []
    rerun = ingest([corpus], store, batch_size=5, namespace="a")
    assert (rerun.documents_added, rerun.documents_skipped) == (0, 12)
    # edited records conflict in "a" (stop before the batch), replace there, never touch "b"
    with pytest.raises(IngestError) as err:
        ingest([edited], store, namespace="a")
    assert err.value.report.batches == 0 and "already stored" in str(err.value)
    replaced = ingest([edited], store, namespace="a", on_conflict="replace")
    assert (replaced.documents_replaced, replaced.documents_added) == (3, 0)
    with Memory(store) as mem:
        texts = {d.doc_id: d for d in mem.documents(namespace="b")}
        assert len(texts) == 12
        hits = mem.retrieve(records[0]["text"], top_k=1, namespace="b")
        assert hits[0].text == records[0]["text"] and hits[0].namespace == "b"
        hits = mem.retrieve(records[0]["text"], top_k=1, namespace="a")
        assert hits[0].text.endswith("It burned down.")
    fresh = ingest([edited], store, namespace="c")  # no conflict where the ids are not stored
    assert (fresh.documents_added, fresh.namespace) == (3, "c")


def test_command_names_the_namespace_and_refuses_a_bad_one(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(2))
    result = CliRunner().invoke(
        ingest_command, [str(corpus), "--store", str(tmp_path / "mem"), "--namespace", " ",
                         "--workers", "0"])
    assert result.exit_code == 1
    assert "error: " in result.output and "namespace is empty" in result.output
    assert not (tmp_path / "mem").exists()


def _start(corpus: Path, store: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "pipelines", "ingest", str(corpus), "--store", str(store),
               "--namespace", "t", "--batch-size", "10", "--workers", "1", "--no-progress"]
    with log.open("ab") as err:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)


def _count(store: Path, namespace: str) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{store / 'graphmem.sqlite'}?mode=ro", uri=True) as c:
            return int(c.execute("SELECT count(*) FROM documents WHERE namespace = ?",
                                 (namespace,)).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_killed_then_resumed_in_a_namespace_equals_an_uninterrupted_run(
    tmp_path, ingest, embedder
):
    n = 60
    corpus = write_jsonl(tmp_path / "c.jsonl", make_corpus(n))
    reference, store = tmp_path / "reference", tmp_path / "mem"
    for target in (reference, store):  # both already hold the corpus in "default"
        ingest([corpus], target, batch_size=10)
    ingest([corpus], reference, batch_size=10, namespace="t")

    log = tmp_path / "stderr.txt"
    proc = _start(corpus, store, log)
    deadline = time.monotonic() + 180
    while _count(store, "t") < 10:
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = _count(store, "t")
    assert killed % 10 == 0 and 10 <= killed < n

    report = tmp_path / "report.json"
    rerun = subprocess.run(
        [sys.executable, "-m", "pipelines", "ingest", str(corpus), "--store", str(store),
         "--namespace", "t", "--batch-size", "10", "--workers", "1", "--no-progress",
         "--report", str(report)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    done = json.loads(report.read_text())
    assert (done["documents_added"], done["documents_skipped"]) == (n - killed, killed)
    assert done["namespace"] == "t" and done["store"]["documents"] == n
    assert f"namespace t: documents {n}," in rerun.stdout
    assert dump_store(store) == dump_store(reference)
    with Memory(store, embedder=embedder) as ours, Memory(reference, embedder=embedder) as ref:
        for ns in ("default", "t"):
            got = [[h.chunk_id for h in hs] for hs in ours.retrieve_many(QUERIES, 5, namespace=ns)]
            want = [[h.chunk_id for h in hs] for hs in ref.retrieve_many(QUERIES, 5, namespace=ns)]
            assert got == want
