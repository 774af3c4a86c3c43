"""Evaluation: benchmark loaders (MuSiQue, HotpotQA, 2WikiMultiHopQA), metrics, a BM25 baseline,
and the harness that compares graphmem, dense and BM25 retrieval (:func:`run_eval`)."""

from graphmem.eval.bm25 import BM25Index, analyze, words
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
from graphmem.eval.formats import FORMATS, QuestionSet, detect_format, load_questions
from graphmem.eval.harness import METHODS, METRIC_KEYS, EvalReport, run_eval
from graphmem.eval.metrics import (
    all_at_k,
    answer_tokens,
    evaluate_rankings,
    exact_match,
    f1_score,
    mrr,
    normalize_answer,
    recall_at_k,
    reciprocal_rank,
)

__all__ = [
    "BENCHMARKS",
    "FORMATS",
    "METHODS",
    "METRIC_KEYS",
    "BM25Index",
    "CorpusPassage",
    "EvalReport",
    "QAExample",
    "QuestionSet",
    "all_at_k",
    "analyze",
    "answer_tokens",
    "detect_format",
    "evaluate_rankings",
    "exact_match",
    "f1_score",
    "join_sentences",
    "load_2wikimultihopqa",
    "load_benchmark",
    "load_corpus",
    "load_hotpotqa",
    "load_musique",
    "load_questions",
    "match_gold",
    "mrr",
    "normalize_answer",
    "passage_key",
    "recall_at_k",
    "reciprocal_rank",
    "run_eval",
    "words",
]
