"""Knowledge-update benchmark (issue 12): does the newest statement of a changed attribute win,
and does ``as_of=`` answer as the memory stood at a past date?

The corpus comes from ``benchmarks/knowledge_update.py`` (seeded, generated text): people who
move, change jobs and remarry, organisations that change CEO or name, plus distractors. The same
passages (one document each) are stored twice:

* **graphmem (time)**: every document carries its date (``Document.time``); current questions
  use the default retrieval, as-of questions ``retrieve(q, as_of=<date>)``.
* **graphmem (no time)**: the documents without ``time``, retrieval without ``as_of``.
* **dense**: ``Memory.dense_ranking`` over the no-time store (cosine only, no dates), and
  **dense (date filter)**: the same ranking with passages dated after ``as_of`` dropped (a
  baseline for as-of questions; on current questions it equals dense).

Both stores get the passages in one ``add`` call, in an order that says nothing about time.

Metrics (one gold passage per question):

* **Current@1**: share of current questions whose gold (the newest passage stating the
  attribute) ranks first, hence above every outdated passage of that attribute.
* **AsOf@1**: share of as-of questions whose gold (the passage current at that date) ranks first.
* **R@5**: gold among the top 5. **Newest>old**: the gold is retrieved (top ``--top-k``) and ranks
  above every outdated passage of its attribute that was retrieved (first place not required).

    python benchmarks/bench_knowledge_update.py --out benchmarks/results/knowledge_update.json
    python benchmarks/bench_knowledge_update.py --seed 1 --store /tmp/ku-store   # keep the stores

Needs a graphmem with issue 12's time support (``Document.time``, ``retrieve(as_of=)``); on one
without it the run stops with a message, unless ``--skip-time`` (only the rows without time).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import inspect
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the generator lives next to this file

import knowledge_update as ku

from graphmem import Document, Memory
from graphmem.config import EmbedConfig, ExtractConfig, MemoryConfig, TemporalConfig
from graphmem.text import normalize_name

SYSTEMS = ("graphmem (time)", "graphmem (no time)", "dense", "dense (date filter)")


def time_support_missing() -> list[str]:
    """What this graphmem lacks for the time-aware row (empty when it has all of it)."""
    missing = []
    if "time" not in {f.name for f in dataclasses.fields(Document)}:
        missing.append("Document.time")
    if "as_of" not in inspect.signature(Memory.retrieve).parameters:
        missing.append("Memory.retrieve(..., as_of=)")
    return missing


def as_of_time(day: str) -> dt.datetime:
    """An as-of date as a tz-aware datetime: the start of that day, UTC."""
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)


def documents(corpus: ku.Corpus, *, with_time: bool) -> list[Document]:
    if with_time:
        return [Document(p.text, id=p.id, time=p.time) for p in corpus.passages]
    return [Document(p.text, id=p.id) for p in corpus.passages]


def open_store(
    root: Path,
    name: str,
    corpus: ku.Corpus,
    models: dict,
    with_time: bool,
    config: MemoryConfig | None = None,
) -> tuple[Memory, float]:
    """The memory at root/name holding the corpus (built when missing); seconds spent adding."""
    mem = Memory(root / name, config, **models)
    t = time.perf_counter()
    mem.add(documents(corpus, with_time=with_time))  # stored documents are skipped
    return mem, time.perf_counter() - t


def check_store_dir(root: Path, corpus: ku.Corpus) -> None:
    """A kept store directory must hold this corpus (same seed and sizes), never a mix."""
    stamp = root / "corpus.json"
    mine = {"seed": corpus.seed, "params": corpus.params, "fingerprint": corpus.fingerprint()}
    if stamp.exists():
        theirs = json.loads(stamp.read_text())
        if theirs != mine:
            sys.exit(f"{root} holds the corpus {theirs}, not {mine}: use another --store directory")
    else:
        root.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps(mine) + "\n")


def rank_of(ranking: Sequence[str], pid: str) -> int | None:
    try:
        return ranking.index(pid) + 1
    except ValueError:
        return None


def score(corpus: ku.Corpus, questions: list[ku.Question], rankings: dict[str, list[str]]) -> dict:
    """Metrics over ``questions`` given each question's ranking (passage ids, best first)."""
    n = len(questions)
    if n == 0:
        return {}
    at1 = r5 = newest = 0
    by_relation: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_template: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for q in questions:
        ranking = rankings[q.id]
        r = rank_of(ranking, q.gold)
        hit = r == 1
        at1 += hit
        r5 += r is not None and r <= 5
        old = [x for x in (rank_of(ranking, p) for p in q.outdated) if x is not None]
        newest += r is not None and all(r < x for x in old)
        by_relation[q.relation][0] += hit
        by_relation[q.relation][1] += 1
        by_template[corpus.passage(q.gold).template][0] += hit
        by_template[corpus.passage(q.gold).template][1] += 1
    return {
        "n": n,
        "at1": round(at1 / n, 4),
        "recall@5": round(r5 / n, 4),
        "newest_above_outdated": round(newest / n, 4),
        "at1_by_relation": {k: round(a / b, 4) for k, (a, b) in sorted(by_relation.items())},
        "n_by_relation": {k: b for k, (a, b) in sorted(by_relation.items())},
        "at1_by_gold_template": {k: round(a / b, 4) for k, (a, b) in sorted(by_template.items())},
    }


def misses(
    corpus: ku.Corpus, questions: list[ku.Question], rankings: dict[str, list[str]], limit: int
) -> list[dict]:
    """The first ``limit`` questions whose gold was not first: what ranked first instead."""
    out = []
    for q in questions:
        ranking = rankings[q.id]
        if ranking and ranking[0] == q.gold:
            continue
        top = corpus.passage(ranking[0]) if ranking else None
        out.append(
            {
                "question": q.text,
                "as_of": q.as_of,
                "gold": corpus.passage(q.gold).text,
                "gold_time": corpus.passage(q.gold).time,
                "gold_rank": rank_of(ranking, q.gold),
                "first": None if top is None else top.text,
                "first_time": None if top is None else top.time,
                "first_is": None
                if top is None
                else (
                    "outdated"
                    if top.id in q.outdated
                    else "future"
                    if top.id in q.future
                    else "other"
                ),
            }
        )
        if len(out) == limit:
            break
    return out


def supersession_roles():
    """The engine's single-valued relations as ``(normalised predicate -> (relation name, key is
    subject), normalize_predicate, entity kinds never a value)``, or None on a graphmem without
    graphmem.temporal."""
    try:
        from graphmem.config import TemporalConfig
        from graphmem.temporal import VALUELESS_KINDS, normalize_predicate, relation_roles, role_of
    except ImportError:
        return None
    relations = TemporalConfig().single_valued
    roles = relation_roles(relations)

    def role(predicate: str) -> tuple[str, bool] | None:  # as the engine reads it: suffixes too
        found = role_of(normalize_predicate(predicate), roles)
        return None if found is None else (relations[found[0]].name, found[1])

    return role, VALUELESS_KINDS


def extractor_predicates(corpus: ku.Corpus, extractor) -> dict[str, dict]:
    """Per fact template (``relation/key``): how many passages used it, the predicates the
    extractor produced for them (with counts), the share of passages with a triple linking
    subject and value (either direction), and one example. Shows which paraphrases a
    predicate-based supersession rule can see. With graphmem.temporal: ``recognised`` = share of
    passages with a triple the engine files under the template's relation, key and value the
    right way round; ``misread`` = triples it files under a single-valued relation with another
    key or value (a date read as a place: "settled in Dublin in April 2015")."""
    engine = supersession_roles()
    facts = [p for p in corpus.passages if p.relation is not None]
    out: dict[str, dict] = {}
    for p, ex in zip(facts, extractor.extract_batch([p.text for p in facts])):
        row = out.setdefault(
            p.template,
            {"n": 0, "predicates": defaultdict(int), "links_subject_value": 0, "example": None},
        )
        row["n"] += 1
        key, value = normalize_name(p.subject), normalize_name(p.value)
        triples = [(t.subject, t.predicate, t.object) for t in ex.triples]
        for _, pred, _ in triples:
            row["predicates"][pred] += 1
        row["links_subject_value"] += any({s, o} == {key, value} for s, _, o in triples)
        if engine is not None:
            role_of_predicate, valueless = engine
            kinds = {m.name: m.kind for m in ex.mentions}
            row.setdefault("recognised", 0)
            row.setdefault("misread", [])
            found = False
            for s, pred, o in triples:
                role = role_of_predicate(pred)
                if role is None:
                    continue
                k, v = (s, o) if role[1] else (o, s)
                if kinds.get(k) in valueless or kinds.get(v) in valueless:
                    continue  # the engine skips these ("settled in ... in April 2015")
                if role[0] == p.relation and (k, v) == (key, value):
                    found = True
                else:
                    row["misread"].append(f"({s}, {pred}, {o}) -> {role[0]}")
            row["recognised"] += found
        if row["example"] is None:
            row["example"] = {"text": p.text, "triples": triples}
    for row in out.values():
        row["predicates"] = dict(sorted(row["predicates"].items(), key=lambda kv: -kv[1]))
        row["links_subject_value"] = round(row["links_subject_value"] / row["n"], 3)
        if "recognised" in row:
            row["recognised"] = round(row["recognised"] / row["n"], 3)
            row["misread"] = row["misread"][:3]
    return dict(sorted(out.items()))


def check_hits(corpus: ku.Corpus, q: ku.Question, hits: Sequence, checks: dict[str, int]) -> None:
    """Count hits whose ``time`` is not their passage's date, and as-of hits dated after as_of
    (both should stay 0)."""
    for h in hits:
        checks["hits"] += 1
        day = corpus.passage(h.doc_id).time
        stamp = getattr(h, "time", None)
        if stamp is None or stamp.astimezone(dt.timezone.utc).date().isoformat() != day:
            checks["hit_time_mismatch"] += 1
        if q.as_of is not None and day > q.as_of:
            checks["hit_after_as_of"] += 1


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--people", type=int, default=30)
    ap.add_argument("--orgs", type=int, default=10)
    ap.add_argument("--renamed-orgs", type=int, default=5)
    ap.add_argument("--towns", type=int, default=5)
    ap.add_argument("--top-k", type=int, default=10, help="hits asked per question (>= 5)")
    ap.add_argument(
        "--store", type=Path, default=None, help="keep the stores here (default: a temp dir)"
    )
    ap.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    ap.add_argument(
        "--skip-time",
        action="store_true",
        help="measure only graphmem (no time) and dense (for a graphmem without time support)",
    )
    ap.add_argument(
        "--exclude",
        default="",
        help="comma-separated fact templates not to use (relation/key, see --predicates)",
    )
    ap.add_argument(
        "--predicates",
        action="store_true",
        help="only print the extractor's predicates per passage template (no stores, no embedder)",
    )
    ap.add_argument("--misses", type=int, default=15, help="misses kept per system in the JSON")
    ap.add_argument(
        "--outdated-scale",
        type=float,
        default=TemporalConfig().outdated_scale,
        help="TemporalConfig.outdated_scale of the time-aware memory (default: the library's)",
    )
    args = ap.parse_args()
    if args.top_k < 5:
        ap.error("--top-k must be at least 5 (Recall@5)")

    try:
        corpus = ku.generate(
            args.seed,
            people=args.people,
            orgs=args.orgs,
            renamed_orgs=args.renamed_orgs,
            towns=args.towns,
            exclude=[t for t in args.exclude.split(",") if t],
        )
    except (ValueError, RuntimeError) as exc:  # unknown template, name pools too small
        ap.error(str(exc))
    from graphmem.extract import SpacyExtractor

    if args.predicates:
        table = extractor_predicates(corpus, SpacyExtractor(ExtractConfig()))
        for key, row in table.items():
            seen = f" engine={row['recognised']:.2f}" if "recognised" in row else ""
            print(
                f"{key:32} n={row['n']:<3} linked={row['links_subject_value']:.2f}{seen}  "
                + ", ".join(f"{p!r}:{c}" for p, c in row["predicates"].items())
            )
            for m in row.get("misread", []):
                print(f"{'':32} misread: {m}")
        return

    missing = time_support_missing()
    if missing and not args.skip_time:
        sys.exit(
            "bench_knowledge_update: this graphmem has no "
            + " and no ".join(missing)
            + " (issue 12's time support), so the graphmem (time) row cannot run. Run it on a "
            "graphmem with time support, or pass --skip-time to measure only graphmem (no time) "
            "and dense."
        )
    with_time = not args.skip_time
    sizes = corpus.sizes()
    print(f"seed {args.seed}: " + ", ".join(f"{k} {v}" for k, v in sizes.items()), flush=True)
    current = [q for q in corpus.questions if q.kind == "current"]
    as_of = [q for q in corpus.questions if q.kind == "as_of"]

    from graphmem.embed import SentenceTransformerEmbedder

    models = {
        "embedder": SentenceTransformerEmbedder(EmbedConfig()),
        "extractor": SpacyExtractor(ExtractConfig()),
    }
    root = args.store if args.store is not None else Path(tempfile.mkdtemp(prefix="ku-bench-"))
    check_store_dir(root, corpus)
    timings: dict[str, float] = {}
    checks = {"hits": 0, "hit_time_mismatch": 0, "hit_after_as_of": 0}
    rankings: dict[str, dict[str, list[str]]] = {s: {} for s in SYSTEMS}
    k = args.top_k
    try:
        plain, timings["ingest_no_time_s"] = open_store(root, "without_time", corpus, models, False)
        with plain:
            t = time.perf_counter()
            qs = corpus.questions
            for q, hits in zip(qs, plain.retrieve_many([q.text for q in qs], top_k=k)):
                rankings["graphmem (no time)"][q.id] = [h.doc_id for h in hits]
            timings["query_no_time_s"] = time.perf_counter() - t
            t = time.perf_counter()
            everything = plain.dense_ranking([q.text for q in qs], top_k=len(corpus.passages))
            timings["query_dense_s"] = time.perf_counter() - t
            for q, ranking in zip(qs, everything):
                rankings["dense"][q.id] = ranking[:k]
                if q.as_of is not None:
                    ranking = [p for p in ranking if corpus.passage(p).time <= q.as_of]
                rankings["dense (date filter)"][q.id] = ranking[:k]
        if with_time:
            timed, timings["ingest_time_s"] = open_store(
                root, "with_time", corpus, models, True,
                MemoryConfig(temporal=TemporalConfig(outdated_scale=args.outdated_scale)),
            )
            with timed:
                t = time.perf_counter()
                for q, hits in zip(
                    current, timed.retrieve_many([q.text for q in current], top_k=k)
                ):
                    rankings["graphmem (time)"][q.id] = [h.doc_id for h in hits]
                    check_hits(corpus, q, hits, checks)
                for q in as_of:
                    hits = timed.retrieve(q.text, top_k=k, as_of=as_of_time(q.as_of))
                    rankings["graphmem (time)"][q.id] = [h.doc_id for h in hits]
                    check_hits(corpus, q, hits, checks)
                timings["query_time_s"] = time.perf_counter() - t
    finally:
        if args.store is None:
            shutil.rmtree(root, ignore_errors=True)

    systems = [s for s in SYSTEMS if rankings[s]]
    results = {
        s: {
            "current": score(corpus, current, rankings[s]),
            "as_of": score(corpus, as_of, rankings[s]),
            "misses": {
                "current": misses(corpus, current, rankings[s], args.misses),
                "as_of": misses(corpus, as_of, rankings[s], args.misses),
            },
        }
        for s in systems
    }

    print()
    print(
        f"{'system':22} {'Current@1':>9} {'AsOf@1':>7} {'Cur R@5':>8} {'AsOf R@5':>8} "
        f"{'Cur newest>old':>14}"
    )
    for s in systems:
        c, a = results[s]["current"], results[s]["as_of"]
        print(
            f"{s:22} {c['at1']:9.3f} {a['at1']:7.3f} {c['recall@5']:8.3f} {a['recall@5']:8.3f} "
            f"{c['newest_above_outdated']:14.3f}"
        )
    relations = list(results[systems[0]]["current"]["at1_by_relation"])
    for kind in ("current", "as_of"):
        print()
        n = results[systems[0]][kind]["n_by_relation"]
        print(
            f"{kind + ' @1 by relation':22} "
            + " ".join(f"{r + ' (' + str(n[r]) + ')':>16}" for r in relations)
        )
        for s in systems:
            by = results[s][kind]["at1_by_relation"]
            print(f"{s:22} " + " ".join(f"{by[r]:16.3f}" for r in relations))
    print()
    if with_time:
        print("checks (graphmem (time) hits): " + ", ".join(f"{k} {v}" for k, v in checks.items()))
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))

    if args.out is not None:
        report = {
            "benchmark": "knowledge_update",
            "seed": args.seed,
            "params": corpus.params,
            "sizes": sizes,
            "corpus_fingerprint": corpus.fingerprint(),
            "top_k": k,
            "time_support": not missing,
            "outdated_scale": args.outdated_scale,
            "systems": list(systems),
            "results": results,
            "seconds": {k: round(v, 2) for k, v in timings.items()},
            "checks": checks if with_time else None,
            "extractor_predicates": extractor_predicates(corpus, models["extractor"]),
            "command": " ".join(["python", "benchmarks/bench_knowledge_update.py", *sys.argv[1:]]),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
