"""Retrieval evaluation on LoCoMo: graphmem vs dense vs BM25 over the same turn passages.

Every conversation is its own namespace of one memory: its turns become documents (:func:`turns_to_documents`,
one per turn, id = ``dia_id``), and its questions are ranked only against them. Gold is the
question's evidence turns. Per method the report gives ``recall@{1,2,5,10}``, ``all@5`` and
``mrr`` overall (categories 1-4 pooled over questions) and per category; category 5
(adversarial) is reported apart and never enters the overall figure.

* ``graphmem`` — :meth:`Memory.retrieve`, ``3 × top_k`` passages deep, first ``top_k`` documents;
* ``dense`` — :meth:`Memory.dense_ranking` over the very passage vectors the memory stores;
* ``bm25`` — :class:`~graphmem.eval.bm25.BM25Index` over the same passage texts.

Builds go through the extraction and embedding caches (:func:`graphmem.eval.building.build_memory`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.config import MemoryConfig
from graphmem.conversation import DEFAULT_WINDOW, Turn, turns_to_documents
from graphmem.embed import Embedder, make_embedder
from graphmem.eval.bm25 import BM25Index
from graphmem.eval.building import build_memory
from graphmem.eval.harness import DEPTH_FACTOR, METHODS, check_methods
from graphmem.eval.locomo import (
    ADVERSARIAL,
    CATEGORIES,
    LocomoConversation,
    LocomoQuestion,
    load_locomo,
)
from graphmem.eval.metrics import evaluate_rankings
from graphmem.extract import Extractor, SpacyExtractor
from graphmem.memory import Memory
from graphmem.types import Document

log = logging.getLogger(__name__)

__all__ = ["LOCOMO_METRICS", "LocomoReport", "group_metrics", "run_locomo"]

LOCOMO_METRICS: tuple[str, ...] = ("recall@1", "recall@2", "recall@5", "recall@10", "all@5", "mrr")
"""The metrics reported per method and group, in table order."""
OVERALL = "overall"
"""The group of categories 1-4 together."""

Progress = Callable[[str], None]
Ranker = Callable[[str], list[str]]


def group_name(category: int) -> str:
    """The report key of one category: ``"category_1"`` ... ``"category_5"``."""
    return f"category_{category}"


def group_metrics(
    rankings: Sequence[Sequence[str]], questions: Sequence[LocomoQuestion]
) -> dict[str, dict[str, float]]:
    """:data:`LOCOMO_METRICS` of ``rankings`` (one per question) for ``overall`` (categories
    1-4) and each category present, category 5 included but only under its own key."""
    groups: dict[str, list[int]] = {OVERALL: []}
    for i, q in enumerate(questions):
        if q.category != ADVERSARIAL:
            groups[OVERALL].append(i)
        groups.setdefault(group_name(q.category), []).append(i)
    out: dict[str, dict[str, float]] = {}
    for name in [OVERALL, *(group_name(c) for c in sorted(CATEGORIES))]:
        members = groups.get(name)
        if not members:
            continue
        metrics = evaluate_rankings(
            [rankings[i] for i in members],
            [questions[i].gold for i in members],
            recall_ks=(1, 2, 5, 10),
            all_ks=(5,),
        )
        out[name] = {k: round(metrics[k], 4) for k in LOCOMO_METRICS}
    return out


@dataclass(frozen=True)
class LocomoReport:
    """What :func:`run_locomo` measured. ``methods[method][group][metric]``, groups
    ``overall`` and ``category_N``; ``counts[group]`` is the number of questions in it;
    ``latency_ms[method]`` holds p50 and p95 per question."""

    questions: int
    conversations: int
    passages: int
    window: int
    top_k: int
    methods: dict[str, dict[str, dict[str, float]]]
    counts: dict[str, int]
    latency_ms: dict[str, dict[str, float]]
    build_seconds: float
    problems: tuple[str, ...]
    per_question: tuple[dict[str, Any], ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON-ready dict (``per_question`` only when collected)."""
        out: dict[str, Any] = {
            "format": "locomo",
            "questions": self.questions,
            "conversations": self.conversations,
            "passages": self.passages,
            "window": self.window,
            "top_k": self.top_k,
            "categories": {group_name(c): n for c, n in CATEGORIES.items()},
            "counts": self.counts,
            "methods": self.methods,
            "latency_ms": self.latency_ms,
            "build_seconds": self.build_seconds,
            "problems": list(self.problems),
        }
        if self.per_question is not None:
            out["per_question"] = list(self.per_question)
        return out

    def table(self) -> str:
        """Plain text: per group a header line, then one row per method and metric column."""
        lines = []
        for group, count in self.counts.items():
            label = "overall (categories 1-4)" if group == OVERALL else group
            if group != OVERALL:
                label += f" {CATEGORIES[int(group.rsplit('_', 1)[1])]}"
                if group == group_name(ADVERSARIAL):
                    label += " (apart: not in overall)"
            lines.append(f"{label}: {count} questions")
            lines.append(f"  {'method':<10}" + "".join(f"{m:>11}" for m in LOCOMO_METRICS))
            for method, groups in self.methods.items():
                cells = "".join(f"{groups[group][m]:>11.3f}" for m in LOCOMO_METRICS)
                lines.append(f"  {method:<10}{cells}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the memories


def _memory_dir(root: Path, conversation: str) -> Path:
    """Where a conversation's passages live: one memory for all, a namespace each."""
    return root


def _namespace(conversation: str) -> str:
    """The namespace of one conversation's passages."""
    return conversation


def _first_docs(doc_ids: Sequence[str], k: int) -> list[str]:
    out: dict[str, None] = {}
    for d in doc_ids:
        out.setdefault(d, None)
        if len(out) == k:
            break
    return list(out)


def _memory_rankers(mem: Memory, conversation: str, top_k: int) -> dict[str, Ranker]:
    ns = _namespace(conversation)

    def graph_rank(q: str) -> list[str]:
        hits = mem.retrieve(q, top_k=DEPTH_FACTOR * top_k, namespace=ns)
        return _first_docs([h.doc_id for h in hits], top_k)

    def dense_rank(q: str) -> list[str]:
        return mem.dense_ranking([q], top_k, namespace=ns)[0]

    return {"graphmem": graph_rank, "dense": dense_rank}


def _bm25_ranker(docs: Sequence[Document], top_k: int) -> Ranker:
    index = BM25Index([d.text for d in docs])
    ids = [str(d.id) for d in docs]
    return lambda q: [ids[i] for i, _ in index.search(q, top_k)]


def _rank_all(rankers: dict[str, Ranker], chosen: Sequence[str], questions: Sequence[str]):
    """Per chosen method: rankings and per-question milliseconds (one untimed warm-up query)."""
    out: dict[str, tuple[list[list[str]], list[float]]] = {}
    for method in chosen:
        rank = rankers[method]
        rank(questions[0])
        rankings, millis = [], []
        for q in questions:
            start = time.perf_counter()
            rankings.append(rank(q))
            millis.append((time.perf_counter() - start) * 1000.0)
        out[method] = (rankings, millis)
    return out


def run_locomo(
    path: str | Path,
    methods: Sequence[str] = METHODS,
    top_k: int = 10,
    *,
    window: int = DEFAULT_WINDOW,
    cache_dir: str | Path | None = None,
    config: MemoryConfig | None = None,
    store_dir: str | Path | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    extractor: Extractor | None = None,
    include_rankings: bool = False,
    documents: Callable[[Sequence[Turn]], list[Document]] | None = None,
    variant: str | None = None,
) -> LocomoReport:
    """Evaluate ``methods`` on the LoCoMo file at ``path`` (see the module docstring).

    Passages are :func:`turns_to_documents` with ``window`` turns of context. The memory is
    built under ``store_dir`` (kept and reused; one per window, so variants never mix; one
    namespace per conversation) or in a
    temporary directory removed afterwards; ``embedder``/``extractor`` share loaded models.
    ``documents`` replaces :func:`turns_to_documents` to measure another passage unit (one
    document per turn, id = turn id); ``variant`` then names its stores (default
    ``window-N``)."""
    chosen = check_methods(methods)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be an integer >= 1, got {top_k!r}")
    config = config if config is not None else MemoryConfig()
    say = progress or (lambda line: None)
    data = load_locomo(path)
    if not data.questions:
        raise ValueError(f"{path}: no question has valid evidence")
    uses_memory = "graphmem" in chosen or "dense" in chosen
    if uses_memory:
        embedder = embedder or make_embedder(config.embed)
        extractor = extractor or SpacyExtractor(config.extract)
    temp = store_dir is None
    root = Path(tempfile.mkdtemp(prefix="graphmem-locomo-") if store_dir is None else store_dir)
    root = root / (variant or f"window-{window}")
    make_docs = documents or (lambda turns: turns_to_documents(turns, window=window))
    rankings: dict[str, list[list[str]]] = {m: [] for m in chosen}
    millis: dict[str, list[float]] = {m: [] for m in chosen}
    ordered: list[LocomoQuestion] = []
    passages = 0
    build_seconds = 0.0
    try:
        for conv in data.conversations:
            qs = [q for q in data.questions if q.conversation == conv.id]
            if not qs:
                continue
            docs = make_docs(conv.turns)
            passages += len(docs)
            runs, seconds = _run_conversation(
                conv, docs, qs, chosen, top_k, root, config, embedder, extractor, cache_dir, say
            )
            build_seconds += seconds
            for m, (r, t) in runs.items():
                rankings[m].extend(r)
                millis[m].extend(t)
            ordered.extend(qs)
    finally:
        if temp:
            shutil.rmtree(root.parent, ignore_errors=True)
    results = {m: group_metrics(rankings[m], ordered) for m in chosen}
    counts = {OVERALL: sum(q.category != ADVERSARIAL for q in ordered)}
    for c in sorted(CATEGORIES):
        n = sum(q.category == c for q in ordered)
        if n:
            counts[group_name(c)] = n
    latency = {
        m: dict(zip(("p50", "p95"), (round(float(x), 3) for x in np.percentile(millis[m], [50, 95]))))
        for m in chosen
    }
    per_question = None
    if include_rankings:
        per_question = tuple(
            {
                "conversation": q.conversation,
                "index": q.index,
                "category": q.category,
                "question": q.question,
                "gold": list(q.gold),
                "rankings": {m: rankings[m][i] for m in chosen},
            }
            for i, q in enumerate(ordered)
        )
    return LocomoReport(
        questions=len(ordered),
        conversations=len(data.conversations),
        passages=passages,
        window=window,
        top_k=top_k,
        methods=results,
        counts=counts,
        latency_ms=latency,
        build_seconds=round(build_seconds, 2),
        problems=data.problems,
        per_question=per_question,
    )


def _run_conversation(
    conv: LocomoConversation,
    docs: list[Document],
    questions: list[LocomoQuestion],
    chosen: Sequence[str],
    top_k: int,
    root: Path,
    config: MemoryConfig,
    embedder: Embedder | None,
    extractor: Extractor | None,
    cache_dir: str | Path | None,
    say: Progress,
) -> tuple[dict[str, tuple[list[list[str]], list[float]]], float]:
    """One conversation's rankings per method, and the seconds its memory took to build."""
    texts = [q.question for q in questions]
    rankers: dict[str, Ranker] = {}
    if "bm25" in chosen:
        rankers["bm25"] = _bm25_ranker(docs, top_k)
    if embedder is None or extractor is None:
        return _rank_all(rankers, chosen, texts), 0.0
    mem_dir = _memory_dir(root, conv.id)
    say(f"{conv.id}: building {len(docs)} passages in {mem_dir} ...")
    seconds, _ = build_memory(
        mem_dir, docs, config, embedder, extractor, cache_dir, namespace=_namespace(conv.id)
    )
    with Memory(mem_dir, config, embedder=embedder, extractor=extractor) as mem:
        for q in texts:  # first-shape kernel builds, untimed (see graphmem.eval.harness)
            mem.embedder.encode([q])
        rankers.update(_memory_rankers(mem, conv.id, top_k))
        say(f"{conv.id}: ranking {len(texts)} questions ...")
        return _rank_all(rankers, chosen, texts), seconds
