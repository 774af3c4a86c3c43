"""Many namespaces in one store: does a query cost what its namespace costs, or the store?

Builds a store holding ``--namespaces`` small namespaces (``--docs`` generated passages each,
fictional people, towns and firms, different in every namespace) and a second store holding
only namespace 0's documents, then asks the same questions of namespace 0 in both, interleaved
query by query so that both see the same machine load. Reports per store: the first query
(index load), p50/p95 of the rest, and whether every hit list is identical (isolation).

    python benchmarks/bench_namespaces.py --namespaces 1000 --docs 4 --out benchmarks/results/namespaces.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from graphmem import Document, Memory
from graphmem.config import EmbedConfig, ExtractConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.extract import SpacyExtractor

FIRST = ["Ilse", "Tomas", "Rhea", "Bruno", "Maren", "Otto", "Sanne", "Piet", "Liv", "Arno"]
LAST = ["Vell", "Harrow", "Quist", "Morrow", "Tallis", "Brack", "Odell", "Fenn", "Sorrel", "Crane"]
TOWNS = ["Dunmore", "Carrow", "Ellsby", "Marsh End", "Hollin", "Wexley", "Brisk", "Tolland"]
FIRMS = ["Kestrel Mills", "Ashby Glass", "Norr Foods", "Pike Motors", "Vane Textiles"]


def namespace_docs(n: int, docs: int, rng: random.Random) -> tuple[list[Document], list[str]]:
    """``docs`` passages and as many questions for namespace ``n`` (names carry ``n``)."""
    out, questions = [], []
    for i in range(docs):
        person = f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}-{i}"
        town, firm = rng.choice(TOWNS), f"{rng.choice(FIRMS)} {n}"
        out.append(Document(f"{person} was born in {town}. {person} works for {firm}.", id=f"d{i}"))
        questions.append(f"Where was {person} born?")
    return out, questions


def timed(mem: Memory, q: str, ns: str) -> tuple[float, list[str]]:
    t = time.perf_counter()
    hits = mem.retrieve(q, top_k=3, namespace=ns)
    return (time.perf_counter() - t) * 1000, [h.chunk_id for h in hits]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--namespaces", type=int, default=1000)
    ap.add_argument("--docs", type=int, default=4, help="documents per namespace")
    ap.add_argument("--rounds", type=int, default=25, help="passes over namespace 0's questions")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    embedder, extractor = SentenceTransformerEmbedder(EmbedConfig()), SpacyExtractor(ExtractConfig())
    rng = random.Random(args.seed)
    spaces = [namespace_docs(n, args.docs, rng) for n in range(args.namespaces)]
    with tempfile.TemporaryDirectory() as tmp:
        big = Memory(Path(tmp) / "big", embedder=embedder, extractor=extractor)
        one = Memory(Path(tmp) / "one", embedder=embedder, extractor=extractor)
        t0 = time.perf_counter()
        for n, (docs, _) in enumerate(spaces):
            big.add(docs, namespace=f"ns{n}")
        build_s = time.perf_counter() - t0
        one.add(spaces[0][0], namespace="ns0")
        questions = spaces[0][1]
        reopened = {
            "big": Memory(big.path, embedder=embedder, extractor=extractor),
            "one": Memory(one.path, embedder=embedder, extractor=extractor),
        }
        first = {k: timed(m, questions[0], "ns0")[0] for k, m in reopened.items()}
        lat: dict[str, list[float]] = {"big": [], "one": []}
        same = True
        for _ in range(args.rounds):
            for q in questions:
                a, b = timed(reopened["big"], q, "ns0"), timed(reopened["one"], q, "ns0")
                lat["big"].append(a[0])
                lat["one"].append(b[0])
                same &= a[1] == b[1]
        stats = big.stats()
        size_mb = (big.path / "graphmem.sqlite").stat().st_size / 1e6
        for m in (big, one, *reopened.values()):
            m.close()

    def q(xs: list[float], p: float) -> float:
        return round(statistics.quantiles(xs, n=100)[int(p) - 1], 2)

    report = {
        "namespaces": args.namespaces,
        "docs_per_namespace": args.docs,
        "store_documents": stats["documents"],
        "store_mb": round(size_mb, 1),
        "build_s": round(build_s, 1),
        "queries_per_store": len(lat["big"]),
        "identical_hits": same,
        "first_query_ms": {k: round(v, 1) for k, v in first.items()},
        "p50_ms": {k: q(v, 50) for k, v in lat.items()},
        "p95_ms": {k: q(v, 95) for k, v in lat.items()},
        "p50_ratio_big_over_one": round(q(lat["big"], 50) / q(lat["one"], 50), 3),
        "loadavg": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
