"""The triples of the synthetic corpus, as an OpenIE file (issue 14, the bulk path).

:mod:`synthetic_corpus` writes every relation it states from known entities, so it can also write
what an extractor should find: one HippoRAG-style item per passage (``title``, ``text``,
``extracted_entities``, ``extracted_triples``) that ``graphmem import-openie`` and
:func:`graphmem.openie_import.import_openie` read. A memory built from it skips extraction; it
is labelled "extraction skipped" wherever it is measured.

The triples follow the passages' wording, one per entity a passage mentions besides its subject
(the generator lists those mentions in a fixed order per passage kind, which is what gives each
its predicate):

    entity passage of a town:  (town, "lies in", region), (town, "twinned with", other town)
    extra passage about a work: (work, "adapted for the stage by", person), (work, "staged in", town)

Years and counts are left out (the questions never ask for them). Streaming, like the
generator: one item at a time, bounded memory.

    python benchmarks/synthetic_openie.py --passages 10000 --questions 300 --out-dir DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_corpus import Generator, _write_list

# passage kind (type of its subject) -> predicate of each mention, in the generator's order
ENTITY_PREDICATES: dict[str, tuple[str, ...]] = {
    "region": ("borders",),
    "town": ("lies in", "twinned with"),
    "org": ("founded by", "has headquarters in"),
    "person": ("born in", "worked for"),
    "work": ("written by", "published by"),
}
EXTRA_PREDICATES: dict[str, tuple[str, ...]] = {
    "town": ("hosted a fair organised by", "hosted as guest of honour"),
    "org": ("opened an office led by", "opened an office in"),
    "person": ("gave a lecture at", "gave a lecture in"),
    "work": ("adapted for the stage by", "staged in"),
    "region": ("held a fair opened by", "held its regional fair in"),
}


def items(gen: Generator) -> Iterator[dict[str, object]]:
    """One OpenIE item per passage of ``gen``, in corpus order."""
    name = gen.name
    for idx, (extra, i) in enumerate(gen.sources()):
        if extra:
            p = gen.extra_passage(i)
            subject, others = p.mentions[0], p.mentions[1:]
            predicates = EXTRA_PREDICATES[gen.layout.type_of(subject)]
        else:
            p = gen.entity_passage(i)
            subject, others = i, p.mentions
            predicates = ENTITY_PREDICATES[gen.layout.type_of(subject)]
        triples = [[name(subject), pred, name(o)] for pred, o in zip(predicates, others)]
        yield {
            "idx": idx,
            "title": p.title,
            "text": p.text,
            "extracted_entities": [name(e) for e in dict.fromkeys((subject, *others))],
            "extracted_triples": triples,
        }


def write_openie(gen: Generator, path: Path) -> int:
    """Write ``{"docs": [...]}`` for ``gen`` to ``path``, one item per line; returns the count."""
    count = 0

    def counted() -> Iterator[dict[str, object]]:
        nonlocal count
        for item in items(gen):
            count += 1
            yield item

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"docs": ')
        _write_list(f, counted())
        f.write("}\n")
    return count


def write_questions(gen: Generator, questions: int, path: Path) -> None:
    """The generator's first ``questions`` questions (2WikiMultiHopQA records) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        _write_list(f, (gen.question_record(q) for q in range(questions)))


def main(argv: list[str] | None = None) -> None:
    """CLI: write ``openie.json`` and ``questions.json`` for one (seed, size) corpus."""
    ap = argparse.ArgumentParser(description="write the synthetic corpus as an OpenIE file")
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", type=Path, required=True)
    args = ap.parse_args(argv)
    gen = Generator(args.passages, args.seed)
    n = write_openie(gen, args.out_dir / "openie.json")
    write_questions(gen, args.questions, args.out_dir / "questions.json")
    json.dump({"items": n, "questions": args.questions}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
