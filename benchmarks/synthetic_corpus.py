"""A seeded, streaming generator of a synthetic encyclopedic corpus with multi-hop questions
(issue 14, "Growing memories"): scale runs at 10^4-10^6 passages need a realistic graph shape and
answers that can be checked, and no real corpus of that size ships with gold passages.

Entities are fictional regions, towns, organisations, people and works. Every name holds one
*core* word built from syllables (consonant cluster + single vowel, twice, then a closing
syllable); the core is a bijection of the entity's index, so names are unique by construction
(up to 1.44 million entities) and, being invented, unlikely to match real ones. Passages are
short encyclopedic paragraphs titled by their subject: one per entity, plus extra passages
about an entity (titled by it as well) that mention others. Relation targets (birth town,
author, publisher, founder, headquarters, region) are drawn from a Zipf law over each type, so
a few hubs are mentioned very often and most entities rarely or never.

Questions follow 2- and 3-hop chains ("the author of <work> was born in <town>; <town> lies in
<region>") and are written in the 2WikiMultiHopQA format that ``graphmem eval`` reads
(``supporting_facts``, ``evidences``, and a ``context`` holding the gold passages' text, so a
gold passage is identified by title *and* text although extra passages share its title). The
answer occurs in the last gold passage.

Nothing is held in memory but one ``array`` of mention counts: every attribute is a hash of
(seed, entity, attribute), so a passage is computed from its index alone, and both files are
written record by record (O(N) time, bounded memory). Only the standard library is used.

    python benchmarks/synthetic_corpus.py --passages 2000 --questions 100 --out-dir /tmp/s --summary
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import statistics
import sys
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split())


ONSETS = _split("b d f g k l m n p r s t v z br dr gr kr tr th sk st vr")
VOWELS = tuple("aeiou")
# closing syllables: a consonant run, one vowel, a consonant run (100 of them)
CODAS = tuple(o + v + c for o in "rlmnv" for v in VOWELS for c in ("th", "nd", "sk", "rm"))
SYLLABLES = tuple(o + v for o in ONSETS for v in VOWELS)  # 120
CAPACITY = len(SYLLABLES) ** 2 * len(CODAS)  # distinct cores: 1,440,000
MULTIPLIER = 1_000_003  # prime, coprime to CAPACITY: index -> core is a permutation

GIVEN = _split(
    "Alvo Bessa Corin Daela Emrik Fenna Galen Hesper Ilvy Jorah Kesra Lunet Maelis Nerys Orvin "
    "Pelle Quira Rhoswen Sabeth Tamsin Ulric Vesna Wynne Ysolde Zarek"
)
REGION_KINDS = ("Highlands", "Vale", "Marches", "Coast", "Basin", "Uplands")
ORG_KINDS = ("Press", "Foundation", "Guild", "Institute", "Company", "Society", "Works")
WORK_NOUNS = ("Lantern", "Orchard", "Tide", "Ledger", "Harvest", "Compass", "Mirror", "Winter")
WORK_KINDS = ("novel", "poetry collection", "play", "opera", "memoir", "atlas")
OCCUPATIONS = _split("painter botanist cartographer composer mason historian surveyor "
                     "novelist physician weaver")
FEATURES = ("a stone bridge", "a covered market", "salt marshes", "an old mill", "a lighthouse",
            "terraced vineyards", "a canal basin", "a clock tower")
# name of each type around its core word {c}, with {w} one of the words
NAME_SHAPES = {"region": ("{c} {w}", REGION_KINDS), "town": ("{c}", ("",)),
               "org": ("{c} {w}", ORG_KINDS), "person": ("{w} {c}", GIVEN),
               "work": ("The {w} of {c}", WORK_NOUNS)}
# shares of the entities by type (the rest are extra passages)
TYPES = (("region", 0.01), ("town", 0.07), ("org", 0.07), ("person", 0.45), ("work", 0.40))
EXTRA_SHARE = 0.2
MASK = (1 << 64) - 1
# kind -> (subject type, relations followed, question template); three 2-hop, three 3-hop
QUESTION_KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "author_town": ("work", ("author", "birth_town"), "Where was the author of {s} born?"),
    "publisher_hq": ("work", ("publisher", "headquarters"),
                     "In which town are the headquarters of the publisher of {s}?"),
    "person_region": ("person", ("birth_town", "region_of"),
                      "In which region is the birthplace of {s}?"),
    "author_region": ("work", ("author", "birth_town", "region_of"),
                      "In which region was the author of {s} born?"),
    "founder_region": ("org", ("founder", "birth_town", "region_of"),
                       "In which region was the founder of the {s} born?"),
    "publisher_region": ("work", ("publisher", "headquarters", "region_of"),
                         "In which region are the headquarters of the publisher of {s}?"),
}
# relation -> (target type, hash attribute); the label is the one written in ``evidences``
RELATIONS = {"region_of": ("region", 10), "birth_town": ("town", 11), "employer": ("org", 12),
             "author": ("person", 13), "publisher": ("org", 14), "founder": ("person", 15),
             "headquarters": ("town", 16)}
RELATION_LABELS = {"author": "author", "birth_town": "place of birth", "publisher": "publisher",
                   "headquarters": "headquarters location", "founder": "founded by",
                   "region_of": "located in", "employer": "employer"}
# extra passages, by the type of their subject {s}; they state no relation the questions follow
EXTRA_TEMPLATES = {
    "town": "In {year}, {s} hosted a fair organised by the {org}; the guest of honour was "
            "{person}.",
    "org": "In {year}, the {s} opened an office in {town}, led by {person}.",
    "person": "In {year}, {s} gave a lecture at the {org} in {town}.",
    "work": "{s} was adapted for the stage in {year} by {person} at a theatre in {town}.",
    "region": "The {s} held its {year} regional fair in {town}, opened by {person}.",
}


def _mix(*parts: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps): every attribute is a pure function of
    (seed, entity, attribute), which is what lets the generator stream without state."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h = (h ^ (p & MASK)) * 0xBF58476D1CE4E5B9 & MASK
        h = (h ^ (h >> 31)) * 0x94D049BB133111EB & MASK
        h ^= h >> 29
    return h


def _coprime_step(n: int, key: int) -> int:
    """A multiplier coprime to ``n`` (so ``i * step % n`` visits every index once)."""
    step = key % n or 1
    while math.gcd(step, n) != 1:
        step += 1
    return step


@dataclass(frozen=True)
class Layout:
    """How ``passages`` are split into entities of each type and extra passages."""

    passages: int
    entities: int
    starts: dict[str, int]
    sizes: dict[str, int]

    @classmethod
    def of(cls, passages: int) -> Layout:
        """The layout of a corpus of ``passages`` (at least 100)."""
        if passages < 100:
            raise ValueError("--passages must be at least 100")
        entities = passages - int(passages * EXTRA_SHARE)
        if entities > CAPACITY:
            raise ValueError(f"at most {CAPACITY} entities (got {entities})")
        sizes = {t: max(2, int(entities * share)) for t, share in TYPES}
        sizes["work"] = entities - sum(v for t, v in sizes.items() if t != "work")
        starts, at = {}, 0
        for t, _ in TYPES:
            starts[t] = at
            at += sizes[t]
        return cls(passages, entities, starts, sizes)

    def type_of(self, e: int) -> str:
        """The type of entity ``e``."""
        return next(t for t, _ in reversed(TYPES) if e >= self.starts[t])


@dataclass(frozen=True)
class Passage:
    """One passage: its title, text and the entities its text mentions besides its subject."""

    title: str
    text: str
    mentions: tuple[int, ...]


@dataclass(frozen=True)
class Question:
    """A multi-hop question: its chain of gold entities and (subject, relation, object) steps."""

    id: str
    text: str
    answer: str
    gold: tuple[int, ...]
    evidences: tuple[tuple[int, str, int], ...]


class Generator:
    """Names, attributes, passages and questions of one (seed, size) corpus, all on demand."""

    def __init__(self, passages: int, seed: int = 0) -> None:
        self.layout = Layout.of(passages)
        self.seed = seed
        self.offset = _mix(seed, 1) % CAPACITY
        self.order_step = _coprime_step(self.layout.entities, _mix(seed, 2))

    def _h(self, e: int, attr: int) -> int:
        return _mix(self.seed, e, attr)

    def _zipf(self, kind: str, e: int, attr: int) -> int:
        """An entity of ``kind`` drawn by a Zipf law (P(rank r) ~ 1/r) over its ranks: the
        continuous inverse CDF of 1/r on [1, n + 1), floored."""
        n = self.layout.sizes[kind]
        r = int((n + 1) ** (self._h(e, attr) / 2.0**64))
        return self.layout.starts[kind] + min(max(r, 1), n) - 1

    def core(self, e: int) -> str:
        """The unique invented word of entity ``e`` (a bijection of ``e`` below CAPACITY)."""
        k = (e * MULTIPLIER + self.offset) % CAPACITY
        k, c = divmod(k, len(CODAS))
        a, b = divmod(k, len(SYLLABLES))
        return (SYLLABLES[a] + SYLLABLES[b] + CODAS[c]).capitalize()

    def name(self, e: int) -> str:
        """The display name of entity ``e``, shaped by its type around its core word."""
        shape, words = NAME_SHAPES[self.layout.type_of(e)]
        return shape.format(c=self.core(e), w=words[self._h(e, 3) % len(words)])

    # ---- attributes (relations are Zipf-distributed over the target type) --------------------
    def follow(self, relation: str, e: int) -> int:
        """The entity that ``relation`` (a key of ``RELATIONS``) leads to from ``e``."""
        kind, attr = RELATIONS[relation]
        return self._zipf(kind, e, attr)

    def birth_year(self, person: int) -> int:
        return 1850 + self._h(person, 17) % 120

    # ---- passages ----------------------------------------------------------------------------
    def entity_passage(self, e: int) -> Passage:
        """The main passage of entity ``e``: it states every relation the questions follow."""
        kind, n, h = self.layout.type_of(e), self.name, self._h(e, 4)
        if kind == "region":
            other = self._zipf("region", e, 20)
            text = (f"The {n(e)} is a region known for its {WORK_KINDS[h % 6]} festivals. "
                    f"It borders the {n(other)}.")
            return Passage(n(e), text, (other,) if other != e else ())
        if kind == "town":
            region, twin = self.follow("region_of", e), self._zipf("town", e, 21)
            text = (f"{n(e)} is a town that lies in the {n(region)}. It has "
                    f"{FEATURES[h % len(FEATURES)]} and about {1000 + h % 90000} inhabitants.")
            mentions = (region,)
            if twin != e:
                text += f" {n(e)} is twinned with {n(twin)}."
                mentions += (twin,)
            return Passage(n(e), text, mentions)
        if kind == "org":
            founder, hq = self.follow("founder", e), self.follow("headquarters", e)
            year = self.birth_year(founder) + 25 + h % 30
            text = (f"The {n(e)} is an organisation founded in {year} by {n(founder)}. "
                    f"Its headquarters are in {n(hq)}.")
            return Passage(n(e), text, (founder, hq))
        if kind == "person":
            town, org, year = (self.follow("birth_town", e), self.follow("employer", e),
                               self.birth_year(e))
            text = (f"{n(e)} (born {year}) is a {OCCUPATIONS[h % len(OCCUPATIONS)]} who was born "
                    f"in {n(town)}. {n(e)} worked for the {n(org)} for {5 + h % 30} years.")
            return Passage(n(e), text, (town, org))
        author, pub = self.follow("author", e), self.follow("publisher", e)
        year = self.birth_year(author) + 20 + h % 50
        text = (f"{n(e)} is a {year} {WORK_KINDS[h % len(WORK_KINDS)]} written by {n(author)}. "
                f"It was published by the {n(pub)}.")
        return Passage(n(e), text, (author, pub))

    def extra_passage(self, x: int) -> Passage:
        """Extra passage ``x``: about a Zipf-chosen entity (its title), mentioning others, but
        stating none of the relations the questions follow (a distractor, not a gold passage)."""
        key = self.layout.entities + x
        h = self._h(key, 5)
        kind = ("town", "org", "person", "work", "region")[h % 5]
        s = self._zipf(kind, key, 30)
        town, person, org = (self._zipf("town", key, 31), self._zipf("person", key, 32),
                             self._zipf("org", key, 33))
        n, year = self.name, 1900 + (h >> 8) % 120
        text = EXTRA_TEMPLATES[kind].format(s=n(s), year=year, org=n(org), person=n(person),
                                            town=n(town))
        others = {"org": org, "person": person, "town": town}
        mentions = (s, *(others[r] for r in ("org", "person", "town") if "{" + r in
                                                 EXTRA_TEMPLATES[kind]))
        return Passage(n(s), text, mentions)

    def sources(self) -> Iterator[tuple[bool, int]]:
        """(is extra, index) of every passage in corpus order: entities in a seeded permuted
        order, with the extra passages spread evenly among them."""
        total, entities = self.layout.passages, self.layout.entities
        extras = total - entities
        e_next = x_next = 0
        for i in range(total):
            if (i + 1) * extras // total > i * extras // total:
                yield True, x_next
                x_next += 1
            else:
                yield False, e_next * self.order_step % entities
                e_next += 1

    def passages(self) -> Iterator[Passage]:
        """Every passage in corpus order (see :meth:`sources`)."""
        for extra, i in self.sources():
            yield self.extra_passage(i) if extra else self.entity_passage(i)

    def question(self, q: int) -> Question:
        """Question ``q``: kinds rotate; the subjects of one kind are distinct (a seeded
        permutation of the subject type); the gold passages are the chain's entities but the
        answer, whose name occurs in the last gold passage."""
        kinds = tuple(QUESTION_KINDS)
        subject_type, relations, template = QUESTION_KINDS[kinds[q % len(kinds)]]
        size = self.layout.sizes[subject_type]
        key = _mix(self.seed, 6, q % len(kinds))
        j = q // len(kinds)
        s = self.layout.starts[subject_type] + (j * _coprime_step(size, key) + key) % size
        ev, at = [], s
        for rel in relations:
            nxt = self.follow(rel, at)
            ev.append((at, RELATION_LABELS[rel], nxt))
            at = nxt
        text = template.format(s=self.name(s))
        gold = tuple(step[0] for step in ev)
        return Question(f"synth-{self.seed}-{q}", text, self.name(at), gold, tuple(ev))

    def question_record(self, q: int) -> dict[str, object]:
        """Question ``q`` as a 2WikiMultiHopQA record (gold passages' text in ``context``)."""
        qu = self.question(q)
        golds = [self.entity_passage(e) for e in qu.gold]
        return {
            "_id": qu.id,
            "type": "compositional",
            "hops": len(qu.gold),
            "question": qu.text,
            "answer": qu.answer,
            "supporting_facts": [[p.title, 0] for p in golds],
            "evidences": [[self.name(s), r, self.name(o)] for s, r, o in qu.evidences],
            "context": [[p.title, [p.text]] for p in golds],
        }


def _write_list(out: TextIO, records: Iterator[dict[str, object]]) -> None:
    """Write ``records`` as a JSON list, one record per line, without holding the list."""
    out.writelines((",\n" if i else "[\n") + json.dumps(rec, ensure_ascii=False) for i, rec in enumerate(records))
    out.write("\n]\n")


def generate(passages: int, questions: int, seed: int, out_dir: Path | None) -> dict[str, object]:
    """Write ``corpus.json`` and ``questions.json`` into ``out_dir`` (``None``: write nothing)
    and return the summary: counts, mention-degree distribution and question hop counts."""
    gen = Generator(passages, seed)
    mentions = array("I", bytes(4 * gen.layout.entities))

    def corpus_records() -> Iterator[dict[str, object]]:
        for p in gen.passages():
            for e in set(p.mentions):
                mentions[e] += 1
            yield {"title": p.title, "text": p.text}

    hops = {2: 0, 3: 0}

    def question_records() -> Iterator[dict[str, object]]:
        for q in range(questions):
            rec = gen.question_record(q)
            hops[int(rec["hops"])] += 1  # type: ignore[call-overload]
            yield rec

    if out_dir is None:
        deque(itertools.chain(corpus_records(), question_records()), maxlen=0)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        with open(out_dir / "corpus.json", "w", encoding="utf-8", newline="\n") as f:
            _write_list(f, corpus_records())
        with open(out_dir / "questions.json", "w", encoding="utf-8", newline="\n") as f:
            _write_list(f, question_records())
    return summarise(gen, mentions, hops, questions)


def summarise(gen: Generator, mentions: array, hops: dict[int, int], questions: int) -> dict:
    """Counts and the mention-degree distribution (passages mentioning each entity, its own
    passage aside)."""
    counts = list(mentions)
    ents = len(counts)
    top = heapq.nlargest(10, range(ents), key=counts.__getitem__)
    return {
        "passages": gen.layout.passages,
        "entities": dict(gen.layout.sizes),
        "extra_passages": gen.layout.passages - gen.layout.entities,
        "questions": questions,
        "question_hops": {str(k): v for k, v in hops.items()},
        "mentions_total": sum(counts),
        "mention_degree": {
            "max": max(counts),
            "median": statistics.median(counts),
            "mean": round(sum(counts) / ents, 3),
            "share_never": round(counts.count(0) / ents, 4),
            "share_once": round(counts.count(1) / ents, 4),
            "top_hubs": [[gen.name(e), counts[e]] for e in top],
        },
    }


def main(argv: list[str] | None = None) -> None:
    """CLI: write the corpus and questions, optionally print the summary as JSON."""
    ap = argparse.ArgumentParser(description="generate a synthetic multi-hop corpus (issue 14)")
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", type=Path, default=None, help="write corpus.json, questions.json")
    ap.add_argument("--summary", action="store_true", help="print counts and degree distribution")
    args = ap.parse_args(argv)
    if args.out_dir is None and not args.summary:
        ap.error("give --out-dir, --summary or both")
    summary = generate(args.passages, args.questions, args.seed, args.out_dir)
    if args.summary:
        json.dump(summary, sys.stdout, indent=1, ensure_ascii=False)
        print()


if __name__ == "__main__":
    main()
