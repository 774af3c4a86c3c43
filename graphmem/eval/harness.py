"""Retrieval evaluation on a multi-hop QA question file: graphmem vs dense vs BM25, side by side.

:func:`run_eval` loads the questions (format detected: MuSiQue, HotpotQA or 2WikiMultiHopQA),
takes the passages of a corpus file or, without one, the questions' own paragraphs, builds a
:class:`~graphmem.Memory` over them and ranks documents for every question with each method:

* ``graphmem`` — :meth:`Memory.retrieve` (fact linking + Personalized PageRank), retrieved
  ``3 × top_k`` passages deep and cut to the first ``top_k`` distinct documents;
* ``dense`` — :meth:`Memory.dense_ranking`: cosine over the very passage vectors the memory
  stores, so the difference to ``graphmem`` is the graph;
* ``bm25`` — :class:`~graphmem.eval.bm25.BM25Index` over ``title + text``.

The build goes through :class:`~graphmem.cache.CachingExtractor` and
:class:`~graphmem.cache.CachingEmbedder`, so evaluating the same corpus again (with other
retrieval settings) skips spaCy and the embedder (:mod:`graphmem.eval.building`). With an
OpenIE file (``openie=``) the memory holds that file's triples instead of spaCy's. Queries go to the models directly: latency is
measured one question at a time, in the steady state — after an untimed pass that embeds every
question once (first-shape kernel builds) and one untimed query per method (index load, JIT
compile) — and includes everything a user would wait for: query embedding for ``dense``, the
whole ``retrieve`` for ``graphmem``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.config import MemoryConfig
from graphmem.embed import Embedder, make_embedder
from graphmem.errors import InputError
from graphmem.eval.bm25 import BM25Index
from graphmem.eval.building import build_memory, openie_extractor
from graphmem.eval.datasets import CorpusPassage, load_corpus, match_gold
from graphmem.eval.formats import load_questions
from graphmem.eval.metrics import evaluate_rankings
from graphmem.extract import Extractor, SpacyExtractor
from graphmem.memory import Memory
from graphmem.types import Document

log = logging.getLogger(__name__)

__all__ = ["DEPTH_FACTOR", "METHODS", "METRIC_KEYS", "EvalReport", "check_methods", "run_eval"]

METHODS: tuple[str, ...] = ("graphmem", "dense", "bm25")
"""Valid method names, in report order."""
DEPTH_FACTOR = 3
"""graphmem retrieves this many times ``top_k`` passages to fill ``top_k`` distinct documents."""
METRIC_KEYS: tuple[str, ...] = (
    "recall@1",
    "recall@2",
    "recall@5",
    "recall@10",
    "all@2",
    "all@5",
    "all@8",
    "mrr",
    "latency_ms_p50",
    "latency_ms_p95",
)
"""The metrics every method reports (methods may add more: ``ppr_share``, ``index_seconds``)."""
STORE_COUNTS = ("documents", "chunks", "entities", "facts", "synonym_edges")

Progress = Callable[[str], None]
Ranker = Callable[[str], list[str]]


@dataclass(frozen=True)
class EvalReport:
    """What :func:`run_eval` measured. ``methods`` maps each method to its metrics:
    ``recall@{1,2,5,10}``, ``all@{2,5,8}``, ``mrr``, ``latency_ms_p50``, ``latency_ms_p95``."""

    questions: int
    passages: int
    format: str
    top_k: int
    methods: dict[str, dict[str, float]]
    build_seconds: float
    store: dict[str, int]
    cache: dict[str, int]
    per_question: tuple[dict[str, Any], ...] | None = None
    openie: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON-ready dict (``per_question`` only when it was collected)."""
        out: dict[str, Any] = {
            "questions": self.questions,
            "passages": self.passages,
            "format": self.format,
            "top_k": self.top_k,
            "methods": self.methods,
            "build_seconds": self.build_seconds,
            "store": self.store,
            "cache": self.cache,
        }
        if self.openie is not None:
            out["openie"] = self.openie
        if self.per_question is not None:
            out["per_question"] = list(self.per_question)
        return out

    def table(self) -> str:
        """A plain-text table: one row per method, a column per metric of :data:`METRIC_KEYS`."""
        width = max(len(m) for m in METRIC_KEYS) + 1
        lines = [f"{'method':<10}" + "".join(f"{m:>{width}}" for m in METRIC_KEYS)]
        for method, values in self.methods.items():
            cells = [
                f"{values[m]:>{width}.1f}"
                if m.startswith("latency")
                else f"{values[m]:>{width}.3f}"
                for m in METRIC_KEYS
            ]
            lines.append(f"{method:<10}" + "".join(cells))
        return "\n".join(lines)


def check_methods(methods: Sequence[str]) -> tuple[str, ...]:
    """The requested methods without repeats, in the given order; unknown names raise
    ``ValueError`` listing the valid ones."""
    if isinstance(methods, str):
        methods = [methods]
    chosen = tuple(dict.fromkeys(m.strip() for m in methods))
    unknown = [m for m in chosen if m not in METHODS]
    if unknown or not chosen:
        what = f"unknown method {unknown[0]!r}" if unknown else "no method given"
        raise ValueError(f"{what}; valid methods: {', '.join(METHODS)}")
    return chosen


def _first_docs(doc_ids: Sequence[str], k: int) -> list[str]:
    """The first ``k`` distinct documents of a passage ranking (long documents span passages)."""
    out: dict[str, None] = {}
    for d in doc_ids:
        out.setdefault(d, None)
        if len(out) == k:
            break
    return list(out)


@dataclass
class _Run:
    """One method's rankings, per-question milliseconds and method-specific extra numbers."""

    rankings: list[list[str]]
    millis: list[float]
    extra: dict[str, float] = field(default_factory=dict)


def _timed(rank: Ranker, questions: Sequence[str]) -> _Run:
    """Rank every question, timing each; the first question runs once untimed beforehand."""
    rank(questions[0])
    rankings, millis = [], []
    for q in questions:
        start = time.perf_counter()
        rankings.append(rank(q))
        millis.append((time.perf_counter() - start) * 1000.0)
    return _Run(rankings, millis)


def _memory_runs(
    mem: Memory, chosen: Sequence[str], questions: Sequence[str], top_k: int, say: Progress
) -> dict[str, _Run]:
    """The ``graphmem`` and ``dense`` runs (those chosen) on a built memory.

    Every question is embedded once, alone and untimed, first: torch's first bf16 forward at a
    new input shape builds its kernels (measured 0.1-0.5 s, against ~9 ms after), a one-off cost
    per process that would otherwise land on whichever method happened to run first.
    """
    say(f"warming the query embedder on {len(questions)} questions ...")
    for q in questions:
        mem.embedder.encode([q])
    depth = DEPTH_FACTOR * top_k
    modes: list[str] = []

    def graph_rank(q: str) -> list[str]:
        hits = mem.retrieve(q, top_k=depth)
        modes.append(hits[0].explanation.mode if hits else "empty")
        return _first_docs([h.doc_id for h in hits], top_k)

    def dense_rank(q: str) -> list[str]:
        return mem.dense_ranking([q], top_k)[0]

    runs: dict[str, _Run] = {}
    for method, rank in (("graphmem", graph_rank), ("dense", dense_rank)):
        if method in chosen:
            say(f"{method}: ranking {len(questions)} questions ...")
            runs[method] = _timed(rank, questions)
    if "graphmem" in runs:
        timed_modes = modes[1:]  # the warm-up query is not counted
        runs["graphmem"].extra["ppr_share"] = timed_modes.count("ppr") / len(timed_modes)
    return runs


def _bm25_run(
    corpus: Sequence[CorpusPassage], questions: Sequence[str], top_k: int, say: Progress
) -> _Run:
    """The ``bm25`` run over ``title + text`` of every passage."""
    say(f"bm25: ranking {len(questions)} questions ...")
    start = time.perf_counter()
    index = BM25Index([f"{p.title}\n{p.text}" for p in corpus])
    index_seconds = time.perf_counter() - start
    run = _timed(lambda q: [f"p{i}" for i, _ in index.search(q, top_k)], questions)
    run.extra["index_seconds"] = round(index_seconds, 3)
    return run


def run_eval(
    questions_path: str | Path,
    corpus_path: str | Path | None = None,
    methods: Sequence[str] = METHODS,
    top_k: int = 10,
    cache_dir: str | Path | None = None,
    config: MemoryConfig | None = None,
    store_dir: str | Path | None = None,
    progress: Progress | None = None,
    *,
    embedder: Embedder | None = None,
    extractor: Extractor | None = None,
    include_rankings: bool = False,
    openie: str | Path | None = None,
) -> EvalReport:
    """Evaluate ``methods`` on the questions in ``questions_path``.

    ``corpus_path`` is a ``corpus.json`` (list of ``{"title", "text"}``); without it the corpus
    is the questions' own paragraphs. Documents are ``Document(text, title, id=f"p{i}")`` in
    corpus order. The memory is built in ``store_dir`` (kept, and reused when it already holds
    this corpus) or in a temporary directory removed afterwards; extraction and embedding go
    through the cache in ``cache_dir`` (default :func:`graphmem.cache.default_cache_dir`).
    ``config`` configures the memory (chunking, models, graph, retrieval); ``embedder`` and
    ``extractor`` share already loaded models. Metrics at a cut-off beyond ``top_k`` see only
    ``top_k`` documents. ``progress`` receives one line per stage; ``include_rankings`` adds
    every question's rankings to the report. ``openie`` is a HippoRAG-style OpenIE file
    (:mod:`graphmem.extract.openie_file`) whose triples build the memory instead of the
    extractor's; its passages are matched to the corpus by title and text, and the report's
    ``openie`` entry says how many matched.
    """
    chosen = check_methods(methods)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be an integer >= 1, got {top_k!r}")
    config = config if config is not None else MemoryConfig()
    say = progress or (lambda line: None)
    if openie is not None and extractor is not None:
        raise ValueError("give either extractor or openie, not both")

    question_set = load_questions(questions_path)
    if corpus_path is not None:
        corpus: list[CorpusPassage] = load_corpus(corpus_path)
        source = str(corpus_path)
    else:
        corpus = list(question_set.passages)
        source = f"{questions_path} (its own paragraphs)"
    if not corpus and corpus_path is None:
        raise InputError(
            "the question file carries no passages (its records have no 'context'); "
            "give the corpus file that holds them (--corpus)",
            source=str(questions_path),
        )
    if not corpus:
        raise InputError("the corpus has no passages", source=source)
    examples = question_set.examples
    gold = [frozenset(f"p{i}" for i in idx) for idx in match_gold(examples, corpus, source=source)]
    questions = [e.question for e in examples]
    say(f"{len(questions)} {question_set.format} questions, {len(corpus)} passages")

    runs: dict[str, _Run] = {}
    build_seconds = 0.0
    cache_stats: dict[str, int] = {}
    store_counts: dict[str, int] = {}
    openie_summary: dict[str, Any] | None = None
    if "graphmem" in chosen or "dense" in chosen:
        from_file = None
        if openie is not None:
            from_file, openie_summary = openie_extractor(openie, corpus, config, say)
            extractor = from_file
        if embedder is None:
            embedder = make_embedder(config.embed)
        if extractor is None:
            extractor = SpacyExtractor(config.extract)
        docs = [Document(text=p.text, title=p.title, id=f"p{i}") for i, p in enumerate(corpus)]
        temp = store_dir is None
        mem_dir = (
            Path(store_dir)
            if store_dir is not None
            else Path(tempfile.mkdtemp(prefix="graphmem-eval-"))
        )
        try:
            say(f"building the memory in {mem_dir} ...")
            build_seconds, cache_stats = build_memory(
                mem_dir, docs, config, embedder, extractor, cache_dir
            )
            say(f"built in {build_seconds:.1f}s (cache: {cache_stats})")
            if from_file is not None and openie_summary is not None:
                # windows the build asked for that the file lacked (0 when the store was reused)
                openie_summary["windows_not_in_file"] = from_file.missing
            with Memory(mem_dir, config, embedder=embedder, extractor=extractor) as mem:
                stats = mem.stats()
                store_counts = {k: int(stats[k]) for k in STORE_COUNTS if k in stats}
                runs.update(_memory_runs(mem, chosen, questions, top_k, say))
        finally:
            if temp:
                shutil.rmtree(mem_dir, ignore_errors=True)
    if "bm25" in chosen:
        runs["bm25"] = _bm25_run(corpus, questions, top_k, say)

    results: dict[str, dict[str, float]] = {}
    for method in chosen:
        run = runs[method]
        metrics = evaluate_rankings(run.rankings, gold)
        p50, p95 = np.percentile(run.millis, [50, 95])
        metrics["latency_ms_p50"] = round(float(p50), 3)
        metrics["latency_ms_p95"] = round(float(p95), 3)
        metrics.update(run.extra)
        results[method] = metrics

    per_question = None
    if include_rankings:
        per_question = tuple(
            {
                "id": e.id,
                "question": e.question,
                "gold": sorted(g),
                "rankings": {m: runs[m].rankings[i] for m in chosen},
            }
            for i, (e, g) in enumerate(zip(examples, gold, strict=True))
        )
    return EvalReport(
        questions=len(questions),
        passages=len(corpus),
        format=question_set.format,
        top_k=top_k,
        methods=results,
        build_seconds=round(build_seconds, 2),
        store=store_counts,
        cache=cache_stats,
        per_question=per_question,
        openie=openie_summary,
    )
