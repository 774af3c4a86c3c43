"""LLM extraction throughput against a scripted server with a fixed latency per call.

Runs :class:`graphmem.llm.LLMExtractor` over N passages (the demo corpus repeated, each copy
with an index suffix so no two requests are alike) against ``tests/llm/server.py``'s
FakeOpenAIServer, which answers every call after ``--delay`` seconds with valid NER or triple
JSON for the passage it was sent, and reports per client concurrency:

  * passages/s and the speed-up over concurrency 1;
  * wall time against the ideal (two request waves per ceil(N / concurrency) passages, each
    wave one delay long) and the largest number of requests the server saw at once;
  * HTTP calls per passage and prompt / completion tokens per passage (the server reports
    usage estimated as characters / 4, a common rule of thumb for English text).

The client's response cache is off, so every run makes every call. What this measures is the
client's scheduling (thread pool, semaphore, connection pool) with model time held fixed; a
real server adds its own queueing on top.

    python benchmarks/bench_llm.py --passages 64 --delay 0.2 --concurrency 1 4 8 16 \
        --out benchmarks/results/llm.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graphmem.llm import LLMClient, LLMConfig, LLMExtractor
from tests.llm.server import FakeOpenAIServer, RecordedRequest, Reply

CORPUS = ROOT / "examples" / "sample_corpus.jsonl"
# Capitalised word runs ("Odile Marchetti", "The Salt Lantern") and years: a stand-in for NER.
_NAME_RE = re.compile(r"\b(?:[A-Z][\w'-]*(?:\s+(?:of\s+)?[A-Z][\w'-]*)*|\d{4})\b")
_PASSAGE_RE = re.compile(r"Passage:\n(.*?)(?:\n\nNamed entities: (.*))?\Z", re.DOTALL)


def load_passages(n: int) -> list[str]:
    rows = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line.strip()]
    return [f"{rows[i % len(rows)]['text']} (Record {i}.)" for i in range(n)]


def estimate_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def respond(request: RecordedRequest) -> Reply:
    """NER or triple JSON for the passage in the request's last user message."""
    messages = request.body.get("messages") or []
    prompt_tokens = sum(estimate_tokens(m.get("content", "")) for m in messages)
    match = _PASSAGE_RE.search(request.last_user_message)
    if match is None:
        return Reply.fail(400, "no passage in the request")
    passage, listed = match.group(1), match.group(2)
    if listed is None:
        entities = list(dict.fromkeys(_NAME_RE.findall(passage)))
        value: dict[str, Any] = {"entities": entities}
    else:
        entities = json.loads(listed)["entities"]
        value = {
            "triples": [[a, "related to", b] for a, b in itertools.pairwise(entities) if a != b]
        }
    content = json.dumps(value)
    return Reply.text(
        content, prompt_tokens=prompt_tokens, completion_tokens=estimate_tokens(content)
    )


def run(server: FakeOpenAIServer, passages: list[str], concurrency: int) -> dict[str, Any]:
    config = LLMConfig(
        model="fake-model",
        base_url=server.base_url,
        api_key="bench",
        max_concurrency=concurrency,
        cache=False,
        max_retries=0,
    )
    server.max_in_flight = 0
    with LLMClient(config) as client:
        extractor = LLMExtractor(client)
        started = time.perf_counter()
        results = extractor.extract_batch(passages)
        wall = time.perf_counter() - started
        usage = client.usage.as_dict()
    n = len(passages)
    bad = extractor.report.bad_replies
    if bad or not all(r.triples for r in results):
        raise SystemExit(f"concurrency {concurrency}: {bad} bad replies; extraction incomplete")
    ideal = 2 * math.ceil(n / concurrency) * server.delay_s
    return {
        "concurrency": concurrency,
        "passages": n,
        "wall_s": round(wall, 3),
        "passages_per_s": round(n / wall, 2),
        "ideal_s": round(ideal, 3),
        "efficiency": round(ideal / wall, 3),
        "server_max_in_flight": server.max_in_flight,
        "calls_per_passage": round(usage["calls"] / n, 2),
        "prompt_tokens_per_passage": round(usage["prompt_tokens"] / n, 1),
        "completion_tokens_per_passage": round(usage["completion_tokens"] / n, 1),
        "triples_per_passage": round(sum(len(r.triples) for r in results) / n, 2),
        "retries": usage["retries"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--passages", type=int, default=64)
    ap.add_argument("--delay", type=float, default=0.2, help="server latency per call (s)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "llm.json")
    args = ap.parse_args()

    passages = load_passages(args.passages)
    rows = []
    with FakeOpenAIServer(responder=respond, delay_s=args.delay) as server:
        run(server, passages[:2], 2)  # warm up imports and the connection path
        for c in args.concurrency:
            row = run(server, passages, c)
            rows.append(row)
            print(f"  concurrency {c:>3}: {row['wall_s']:.2f} s", flush=True)
    base = rows[0]["passages_per_s"] if rows and rows[0]["concurrency"] == 1 else None
    for row in rows:
        row["speedup_vs_1"] = round(row["passages_per_s"] / base, 2) if base else None

    head = (
        f"{'conc':>4} {'wall s':>7} {'ideal s':>7} {'pass/s':>7} {'speed-up':>8} "
        f"{'in flight':>9} {'calls/p':>7} {'prompt tok/p':>12} {'compl tok/p':>11}"
    )
    print(f"\n{args.passages} passages, {args.delay * 1000:g} ms per call, cache off\n{head}")
    for r in rows:
        print(
            f"{r['concurrency']:>4} {r['wall_s']:>7.2f} {r['ideal_s']:>7.2f} "
            f"{r['passages_per_s']:>7.2f} {r['speedup_vs_1'] or 0:>7.2f}x "
            f"{r['server_max_in_flight']:>9} {r['calls_per_passage']:>7.2f} "
            f"{r['prompt_tokens_per_passage']:>12.1f} {r['completion_tokens_per_passage']:>11.1f}"
        )
    report = {
        "benchmark": "LLMExtractor throughput vs client concurrency (FakeOpenAIServer)",
        "passages": args.passages,
        "delay_s_per_call": args.delay,
        "token_counts": "estimated by the fake server as ceil(characters / 4) per message",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
