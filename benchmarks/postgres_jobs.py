"""Helpers of bench_postgres.py: two ``pipelines ingest`` jobs over the two halves of a corpus
(at once, or one after the other as a control), and the comparison of two stores by name."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _half_cmd(path: Path, url: str, batch: int, report: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines", "ingest", str(path), "--store", url,
            "--no-progress", "--no-cache", "--workers", "1", "--batch-size", str(batch),
            "--report", str(report)]


def _wait(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"a half job failed:\n{err.decode()[-3000:]}")


def two_jobs(corpus: list[dict[str, Any]], url: str, work: Path, batch: int, *,
             concurrent: bool = True, tag: str = "") -> dict[str, Any]:
    """Two ``pipelines ingest`` processes on disjoint halves into one store: at once
    (``concurrent``), or the first half's job to its end and then the second's (the control:
    the same processes, settings and batches, one writer at a time)."""
    half = len(corpus) // 2
    reports = []
    start = time.perf_counter()
    procs = []
    for i, part in enumerate((corpus[:half], corpus[half:])):
        path = work / f"half{i}{tag}.json"
        path.write_text(json.dumps(part), encoding="utf-8")
        report = work / f"half{i}{tag}.report.json"
        proc = subprocess.Popen(_half_cmd(path, url, batch, report), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not concurrent:
            _wait(proc)
        procs.append(proc)
        reports.append(report)
    for p in procs:
        if p.returncode is None:
            _wait(p)
    wall = time.perf_counter() - start
    jobs = [json.loads(r.read_text(encoding="utf-8")) for r in reports]
    return {
        "mode": "concurrent" if concurrent else "sequential (half 0, then half 1)",
        "wall_s": round(wall, 2),
        "passages_per_s": round(sum(j["chunks"] for j in jobs) / wall, 2),
        "job_wall_s": [j["seconds"]["wall"] for j in jobs],
        "job_commit_s": [j["seconds"].get("commit") for j in jobs],
        "note": "each job's wall includes loading its models (about 10 s)",
    }


def _score_range(pairs: dict[Any, float], keys: set[Any]) -> list[float] | None:
    scores = [pairs[k] for k in keys]
    return [round(min(scores), 6), round(max(scores), 6)] if scores else None


def _examples(pairs: dict[Any, float], keys: set[Any], n: int = 10) -> list[list[Any]]:
    """Up to ``n`` of the pairs ``keys`` (entities as (namespace, name)) as [name, name, score],
    lowest score first."""
    rows = sorted(keys, key=lambda k: pairs[k])[:n]
    return [[k[0][1], k[1][1], round(pairs[k], 6)] for k in rows]


def synonym_diff(one: list[tuple[Any, ...]], two: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Synonym edges of two stores by entity-name pair: how many in each, how many in only
    one, the score range of those (how close to the threshold) and up to ten of them, and for the pairs in both the
    largest score difference."""
    a = {r[:2]: r[2] for r in one}
    b = {r[:2]: r[2] for r in two}
    only_a, only_b, both = set(a) - set(b), set(b) - set(a), set(a) & set(b)
    diffs = [abs(a[k] - b[k]) for k in both]
    return {
        "pairs": [len(a), len(b)],
        "only_in_first": len(only_a),
        "only_in_second": len(only_b),
        "in_both": len(both),
        "in_both_with_other_score": sum(d > 0 for d in diffs),
        "max_abs_score_diff_in_both": max(diffs, default=0.0),
        "only_in_first_score_range": _score_range(a, only_a),
        "only_in_second_score_range": _score_range(b, only_b),
        "only_in_first_examples": _examples(a, only_a),
        "only_in_second_examples": _examples(b, only_b),
    }


def compare_to_single_job(one: dict[str, Any], two: dict[str, Any]) -> dict[str, Any]:
    """Store ``two`` (by name, tests/dumps.py ``by_name``) against ``one``, the reference (the
    single job's store, or the sequential control's). Two things depend on the order and
    batching documents arrive in, on either store and with one writer
    (graphmem/graph/synonyms.py): an entity's label and kind are those of the first passage
    that stored it, and synonym edges (a name's vector depends on the batch that embedded it;
    ``synonym_top_k`` caps each new entity's targets). Those are compared apart; in
    ``synonym_pairs`` "first" is ``one`` and "second" is ``two``."""
    order_free = [t for t in one if t not in ("entities", "synonyms")]
    names = {t: sorted(r[:2] for r in rows) for t, rows in (("one", one["entities"]), ("two", two["entities"]))}
    label_kind = set(one["entities"]) ^ set(two["entities"])
    syn = synonym_diff(one["synonyms"], two["synonyms"])
    return {
        "counts_equal": {k: len(v) for k, v in one.items()} == {k: len(v) for k, v in two.items()},
        "rows_equal": {t: one[t] == two[t] for t in order_free},
        "entity_names_equal": names["one"] == names["two"],
        "entities_with_other_label_or_kind": len({r[:2] for r in label_kind}),
        "synonym_pairs_equal": syn["only_in_first"] == 0 and syn["only_in_second"] == 0,
        "synonym_pairs": syn,
    }
