"""Evaluation: benchmark loaders (MuSiQue, HotpotQA, 2WikiMultiHopQA), metrics, a BM25 baseline."""

from graphmem.eval.bm25 import BM25Index, analyze
from graphmem.eval.datasets import (
    BENCHMARKS,
    CorpusPassage,
    QAExample,
    join_sentences,
    load_2wikimultihopqa,
    load_benchmark,
    load_corpus,
    load_hotpotqa,
    load_musique,
    match_gold,
    passage_key,
)
from graphmem.eval.metrics import (
    all_at_k,
    answer_tokens,
    evaluate_rankings,
    exact_match,
    f1_score,
    normalize_answer,
    recall_at_k,
)

__all__ = [
    "BENCHMARKS",
    "BM25Index",
    "CorpusPassage",
    "QAExample",
    "all_at_k",
    "analyze",
    "answer_tokens",
    "evaluate_rankings",
    "exact_match",
    "f1_score",
    "join_sentences",
    "load_2wikimultihopqa",
    "load_benchmark",
    "load_corpus",
    "load_hotpotqa",
    "load_musique",
    "match_gold",
    "normalize_answer",
    "passage_key",
    "recall_at_k",
]
