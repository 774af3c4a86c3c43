"""Opt-in tests against a real small model served locally (``make test-llm``; marker ``llm``).

The model is Qwen2.5-Coder-1.5B-Instruct (GGUF) served by xllamacpp on 127.0.0.1 through
``scripts/local_llm.py`` (see its docstring; ``make test-llm`` runs ``ensure-model`` first).
These tests print what the model produced, timings and token usage (run with ``-s`` to see
them); their assertions are deliberately loose, since a 1.5B model is far from perfect:

* the LLM extractor over the 17 demo passages gives triples for most of them;
* a memory built with the LLM extractor answers the three demo questions with citations, and
  its retrieval finds most of their supporting passages. Answer correctness is printed, not
  asserted: this model, asked for one short answer, often stops one hop early (it named the
  company instead of its founder) or takes a nearby place name.

Both share one server and one response cache (per module), so the second test's ingestion is
answered from the cache when the first ran. Set ``GRAPHMEM_LLM_TEST_CACHE=/some/file.sqlite``
to keep that cache across runs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.llm

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "sample_corpus.jsonl"
QUESTIONS = ROOT / "examples" / "questions.json"
# the three questions `make demo` asks
DEMO_QUESTIONS = (
    "In which valley was the author of The Salt Lantern born?",
    "Who founded the company where the drummer of The Lowmoor Signal worked?",
    "In which province was the designer of the Ferrow Bridge born?",
)
CONCURRENCY = 4  # the server's parallel slots (scripts/local_llm.py)
REPLY_TOKENS = 512  # per extraction step; a short passage needs about 100


def _load_script() -> ModuleType:
    """scripts/local_llm.py as a module (scripts/ is not a package)."""
    if "local_llm" in sys.modules:
        return sys.modules["local_llm"]
    spec = importlib.util.spec_from_file_location("local_llm", ROOT / "scripts" / "local_llm.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_llm"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def local_llm() -> Iterator[Any]:
    pytest.importorskip("openai", reason="the LLM client needs graphmem[llm]")
    script = _load_script()
    try:
        script.ensure_model(install=False)
    except script.ModelSetupError as exc:
        pytest.skip(f"local model not set up ({exc}); run `make test-llm`")
    with script.local_llm_server() as llm:
        yield llm


@pytest.fixture(scope="module")
def cache_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh response cache per run, or ``$GRAPHMEM_LLM_TEST_CACHE`` to keep replies across
    runs (then the timings below measure cache hits, which the printed usage shows)."""
    kept = os.environ.get("GRAPHMEM_LLM_TEST_CACHE")
    if kept:
        return Path(kept)
    return tmp_path_factory.mktemp("llm-cache") / "responses.sqlite"


@pytest.fixture(scope="module")
def llm_config(local_llm: Any) -> Any:
    from graphmem.llm import LLMConfig

    # Generous timeout: four slots share two cores, and a busy machine slows them further.
    return LLMConfig(
        model=local_llm.model,
        base_url=local_llm.base_url,
        max_concurrency=CONCURRENCY,
        timeout_s=900.0,
        max_retries=1,
    )


def _corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line.strip()]


def _plain(value: Any) -> Any:
    """Usage counters as plain data, whether a dict or a :class:`graphmem.llm.Usage`."""
    as_dict = getattr(value, "as_dict", None)
    return as_dict() if callable(as_dict) else value


def _show(title: str, value: Any) -> None:
    print(f"\n== {title}\n{json.dumps(value, indent=2, ensure_ascii=False, default=str)}")


def test_extractor_on_demo_corpus(llm_config: Any, cache_file: Path) -> None:
    from graphmem.llm import LLMClient, LLMExtractor

    docs = _corpus()
    texts = [d["text"] for d in docs]
    with LLMClient(llm_config, cache_path=cache_file) as client:
        extractor = LLMExtractor(client, max_tokens=REPLY_TOKENS)
        started = time.perf_counter()
        results = extractor.extract_batch(texts)
        wall = time.perf_counter() - started
        usage = client.usage.as_dict()

    per_doc = {
        d["id"]: {
            "entities": [m.label for m in ex.mentions],
            "triples": [[t.subject, t.predicate, t.object] for t in ex.triples],
        }
        for d, ex in zip(docs, results)
    }
    with_triples = sum(1 for ex in results if ex.triples)
    summary = {
        "model": llm_config.model,
        "passages": len(texts),
        "passages_with_triples": with_triples,
        "triples": sum(len(ex.triples) for ex in results),
        "wall_s": round(wall, 1),
        "s_per_passage": round(wall / len(texts), 2),
        "concurrency": llm_config.max_concurrency,
        "usage": usage,
        "report": extractor.report.as_dict(),
    }
    _show("extractions", per_doc)
    _show("extraction summary", summary)

    assert usage["failures"] == 0
    assert with_triples >= 0.8 * len(texts), summary
    assert extractor.report.bad_replies <= 2, summary
    # the facts the first demo question walks through, in some wording
    names = {n for ex in results for t in ex.triples for n in (t.subject, t.object)}
    for name in ("odile marchetti", "pellavon", "the salt lantern"):
        assert name in names, f"{name!r} missing from the extracted triples"


def test_memory_answers_demo_questions(llm_config: Any, cache_file: Path, tmp_path: Path) -> None:
    from graphmem import Document, Memory, MemoryConfig
    from graphmem.llm import LLMClient, LLMExtractor

    if not hasattr(Memory, "answer"):
        pytest.skip("Memory.answer() is not there yet")
    gold = {q["question"]: q for q in json.loads(QUESTIONS.read_text("utf-8"))}
    docs = [
        Document(id=d["id"], text=d["text"], title=d.get("title"), metadata=d.get("metadata", {}))
        for d in _corpus()
    ]
    # One client for extraction, the recognition filter and answers. It shares the module's
    # response cache, so after the extraction test the ingestion makes no HTTP call.
    with LLMClient(llm_config, cache_path=cache_file) as client:
        extractor = LLMExtractor(client, max_tokens=REPLY_TOKENS)
        config = MemoryConfig(llm=llm_config)
        with Memory(tmp_path / "mem", config, extractor=extractor, llm=client) as mem:
            started = time.perf_counter()
            mem.add(docs)
            ingest_s = time.perf_counter() - started
            _show(
                "ingest",
                {
                    "wall_s": round(ingest_s, 1),
                    "stats": mem.stats(),
                    "usage": client.usage.as_dict(),
                },
            )
            rows = []
            for question in DEMO_QUESTIONS:
                started = time.perf_counter()
                answer = mem.answer(question, top_k=5)
                hit_docs = [h.doc_id for h in answer.hits]
                supporting = gold[question]["supporting"]
                rows.append(
                    {
                        "question": question,
                        "expected": gold[question]["answer"],
                        "answer": answer.text,
                        "correct": gold[question]["answer"].lower() in answer.text.lower(),
                        "citations": [
                            f"[{c.number}] {c.doc_id}" if hasattr(c, "doc_id") else c
                            for c in answer.citations
                        ],
                        "hits": hit_docs,
                        "supporting_in_hits": f"{sum(d in hit_docs for d in supporting)}"
                        f"/{len(supporting)}",
                        "cited_docs": [getattr(c, "doc_id", None) for c in answer.citations],
                        "seconds": round(time.perf_counter() - started, 1),
                        "usage": _plain(answer.usage),
                    }
                )
    _show("answers", rows)
    correct = sum(r["correct"] for r in rows)
    found = sum(int(r["supporting_in_hits"].split("/")[0]) for r in rows)
    needed = sum(int(r["supporting_in_hits"].split("/")[1]) for r in rows)
    print(
        f"\n{correct}/{len(rows)} answers correct; {found}/{needed} supporting passages retrieved"
    )

    # What must hold whatever the model's skill: an answer for every question, citations only
    # of passages that were shown, and retrieval over the LLM-built graph finding most of the
    # supporting passages. Whether a 1.5B model chains two hops correctly is reported above,
    # not asserted (it answered 0 of 3 in our runs; see the module docstring).
    for row in rows:
        assert row["answer"].strip(), row
        assert all(d in row["hits"] for d in row["cited_docs"] if d is not None), row
    assert found >= 0.6 * needed, rows
