"""Crash phase of ``bench_server.py``: writers add uniquely-identified documents while the
server is SIGKILLed mid-write, the server restarts on the same store, and every add is
accounted for: each one answered 2xx is stored with all its passages, none is half-written,
and the store passes ``graphmem check``."""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from server_load import ROOT, Served, start_server

from graphmem.chunking import split_text
from graphmem.memory import STORE_FILE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrashConfig:
    """Rounds of write-then-SIGKILL on one store; writers keep the single writer thread busy."""

    rounds: int = 3
    writers: int = 4
    """Concurrent adding clients: more than one, so a write is always queued or running."""
    kill_after_s: tuple[float, float] = (3.0, 8.0)
    """The SIGKILL comes at a uniformly drawn time in this range after the writers start."""
    seed: int = 0


def crash_text(doc_id: str, n: int) -> str:
    """A document naming its id; every third is long enough for several passages (windows of
    200 tokens), so a half-written document would show as missing passages."""
    sentence = (f"{doc_id} records that Maelis Tornquist{n} was born in Vardenholm{n}, studied "
                f"at Ostrava College {n % 7} and later directed the Keswyn Theatre. ")
    return sentence * (12 if n % 3 == 0 else 1)


@dataclass
class Sent:
    doc_id: str
    text: str
    outcome: str  # "acked" (2xx with the id), "refused" (an HTTP error status), "unanswered"


def _writer(url: str, tag: str, stop: threading.Event, out: list[Sent]) -> None:
    n = 0
    with httpx.Client(base_url=url, timeout=120) as http:
        while not stop.is_set():
            doc_id = f"crash-{tag}-{n}"
            text = crash_text(doc_id, n)
            n += 1
            try:
                reply = http.post("/v1/documents", json={"documents": [{"id": doc_id,
                                                                        "text": text}]})
            except httpx.HTTPError:
                out.append(Sent(doc_id, text, "unanswered"))
                return  # the server is gone
            ok = reply.is_success and reply.json().get("ids") == [doc_id]
            out.append(Sent(doc_id, text, "acked" if ok else "refused"))


def _round(served: Served, r: int, cfg: CrashConfig, rng: random.Random) -> dict[str, Any]:
    stop = threading.Event()
    sent: list[list[Sent]] = [[] for _ in range(cfg.writers)]
    threads = [threading.Thread(target=_writer, args=(served.url, f"r{r}w{w}", stop, sent[w]),
                                daemon=True) for w in range(cfg.writers)]
    for t in threads:
        t.start()
    wait = rng.uniform(*cfg.kill_after_s)
    time.sleep(wait)
    acked_before = sum(s.outcome == "acked" for ws in sent for s in ws)
    served.kill()
    stop.set()
    for t in threads:
        t.join(180)
    flat = [s for ws in sent for s in ws]
    log.info("round %d: SIGKILL after %.1f s, %d acked, %d unanswered", r, wait,
             sum(s.outcome == "acked" for s in flat), sum(s.outcome == "unanswered" for s in flat))
    return {"round": r, "kill_after_s": round(wait, 2), "acked_before_kill": acked_before,
            "sent": flat}


def _stored_passages(store: Path, doc_ids: list[str]) -> dict[str, list[str]]:
    """Passage texts per document id, in position order, read straight from the SQLite file."""
    conn = sqlite3.connect(f"file:{store / STORE_FILE}?mode=ro", uri=True)
    try:
        out: dict[str, list[str]] = {}
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i:i + 500]
            rows = conn.execute(
                "SELECT d.doc_id, c.text FROM documents d LEFT JOIN chunks c ON c.doc = d.id "
                f"WHERE d.doc_id IN ({','.join('?' * len(part))}) ORDER BY d.doc_id, c.position",
                part).fetchall()
            for doc_id, text in rows:
                out.setdefault(doc_id, [])
                if text is not None:
                    out[doc_id].append(text)
        return out
    finally:
        conn.close()


def _check(store: Path) -> dict[str, Any]:
    """``graphmem check --json`` on the store, as a user would run it."""
    out = subprocess.run([sys.executable, "-m", "graphmem.cli", "check", "--store", str(store),
                          "--json"], capture_output=True, text=True, check=False, cwd=ROOT,
                         timeout=600)
    try:
        report = json.loads(out.stdout)
    except ValueError:
        report = {"stdout": out.stdout[-500:], "stderr": out.stderr[-500:]}
    return {"exit_status": out.returncode, "report": report}


def run_crash(store: Path, logs: Path, cfg: CrashConfig, serve_args: list[str]) -> dict[str, Any]:
    """``cfg.rounds`` write-and-kill rounds on ``store`` (each starts the server on what the
    previous kill left), then a last restart and the accounting."""
    rng = random.Random(cfg.seed)
    rounds, restarts = [], []
    for r in range(cfg.rounds):
        served = start_server(store, logs / "crash-server.log", *serve_args)
        restarts.append(round(served.started_s, 1))
        rounds.append(_round(served, r, cfg, rng))
    served = start_server(store, logs / "crash-server.log", *serve_args)  # the restart checked
    restarts.append(round(served.started_s, 1))
    sent = [s for rd in rounds for s in rd["sent"]]
    try:
        listed = httpx.get(served.url + "/v1/documents", timeout=300).json()["documents"]
        probe = next((s for s in reversed(sent) if s.outcome == "acked"), None)
        found = None
        if probe is not None:  # the restarted readers' index holds the last acked document
            hits = httpx.post(served.url + "/v1/retrieve", timeout=120,
                              json={"query": probe.text[:200], "top_k": 5}).json()["hits"]
            found = any(h.get("doc_id") == probe.doc_id for h in hits)
    finally:
        exit_status = served.stop()
    present = {d["id"]: d["passages"] for d in listed}
    stored = _stored_passages(store, [s.doc_id for s in sent])
    acked = [s for s in sent if s.outcome == "acked"]
    unsure = [s for s in sent if s.outcome != "acked"]
    lost = [s.doc_id for s in acked if s.doc_id not in present]
    half = [s.doc_id for s in sent if s.doc_id in stored and stored[s.doc_id] != split_text(s.text)]
    count_mismatch = [s.doc_id for s in sent if s.doc_id in present
                      and present[s.doc_id] != len(split_text(s.text))]
    check = _check(store)
    return {
        "config": {"rounds": cfg.rounds, "writers": cfg.writers,
                   "kill_after_s": list(cfg.kill_after_s)},
        "rounds": [{k: v for k, v in rd.items() if k != "sent"}
                   | {"acked": sum(s.outcome == "acked" for s in rd["sent"]),
                      "unanswered": sum(s.outcome == "unanswered" for s in rd["sent"]),
                      "refused": sum(s.outcome == "refused" for s in rd["sent"])}
                   for rd in rounds],
        "restart_ready_s": restarts,
        "acked": len(acked),
        "acked_multi_passage": sum(len(split_text(s.text)) > 1 for s in acked),
        "lost_acked": len(lost), "lost_samples": lost[:10],
        "unacked": len(unsure),
        "unacked_stored_whole": sum(s.doc_id in stored for s in unsure),
        "half_written": len(half), "half_written_samples": half[:10],
        "passage_count_mismatch": len(count_mismatch),
        "last_acked_retrievable": found,
        "check_exit_status": check["exit_status"], "check": check["report"],
        "final_server_exit_status": exit_status,
    }
