"""Ctrl-C during ``graphmem ingest --extractor llm`` while the model server hangs: the job stops
within seconds, exit status 130, one line on stderr, the store as of the last committed batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import connect_ro, doc_count, fake_server_module, make_corpus, write_jsonl

pytest.importorskip("openai", reason="the LLM extractor needs graphmem[llm]")

ROOT = Path(__file__).resolve().parents[2]
server_module = fake_server_module()
Reply = server_module.Reply

#: How long the job may take to stop after SIGINT: it must not wait for the hanging request
#: (before the fix it was still running minutes later). Under a second on a quiet machine; 5-8 s
#: seen with the 2 cores saturated by other work, hence the margin.
STOP_WITHIN_S = 20.0


def test_sigint_stops_a_job_waiting_on_a_hanging_server(tmp_path: Path) -> None:
    records = make_corpus(6)
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    store = tmp_path / "mem"
    hang_on = records[4]["text"]  # the first passage of the third batch

    def respond(request: Any) -> Any:
        text = request.last_user_message
        if hang_on in text:
            return Reply.text("never sent", delay_s=600.0)
        if "Named entities:" in text:
            return Reply.json({"triples": [["Saltmere", "lies on", "Ferrow Coast"]]})
        return Reply.json({"entities": ["Saltmere", "Ferrow Coast"]})

    with server_module.FakeOpenAIServer(responder=respond) as server:
        command = [
            sys.executable, "-m", "pipelines", "ingest", str(corpus), "--store", str(store),
            "--extractor", "llm", "--llm-model", "fake-model", "--llm-base-url", server.base_url,
            "--llm-timeout", "300", "--batch-size", "2", "--prefetch", "0", "--no-progress",
            "--report", str(tmp_path / "report.json"),
        ]
        # faulthandler: a job that fails to stop shows where it hangs (see the timeout below)
        env = {**os.environ, "OPENAI_API_KEY": "test-key", "PYTHONFAULTHANDLER": "1"}
        stderr = tmp_path / "stderr.txt"
        with stderr.open("wb") as err:
            # a test run started in the background of a non-interactive shell (`make test &`)
            # inherits SIGINT ignored, which a child inherits too and Python then keeps: give
            # the job a handled SIGINT, as a user's Ctrl-C finds it (handlers reset on exec)
            previous = signal.signal(signal.SIGINT, signal.default_int_handler)
            try:
                proc = subprocess.Popen(
                    command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, env=env
                )
            finally:
                signal.signal(signal.SIGINT, previous)
        try:
            deadline = time.monotonic() + 120
            while not any(hang_on in r.last_user_message for r in server.requests):
                assert proc.poll() is None, stderr.read_text(errors="replace")
                assert time.monotonic() < deadline, "the job never reached the hanging request"
                time.sleep(0.05)
            time.sleep(0.5)  # well inside the hanging request
            assert proc.poll() is None
            proc.send_signal(signal.SIGINT)
            start = time.monotonic()
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
                time.sleep(2)
                pytest.fail(
                    "ingest still running 60 s after SIGINT; its stderr:\n"
                    + stderr.read_text(errors="replace")
                )
            elapsed = time.monotonic() - start
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    message = stderr.read_text(errors="replace")
    assert code == 130, message
    assert elapsed < STOP_WITHIN_S, f"took {elapsed:.1f} s to stop"
    assert message == (
        "interrupted: 2 batches committed are kept; rerun the same command to continue\n"
    )
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert (report["ok"], report["error"], report["batches"], report["documents_added"]) == (
        False, "interrupted", 2, 4,
    )
    assert doc_count(store) == 4
    with connect_ro(store) as c:
        ids = [row[0] for row in c.execute("SELECT doc_id FROM documents ORDER BY id")]
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert ids == ["p0000", "p0001", "p0002", "p0003"]
