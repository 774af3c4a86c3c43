"""A seeded generator of a knowledge-update corpus: fictional people and organisations whose
attributes change over dated passages, with questions about the current value and about a past
date (issue 12's knowledge-update benchmark; run it with ``bench_knowledge_update.py``).

Only the standard library is used (``random.Random(seed)``): the same seed gives the same corpus,
byte for byte, on every machine. The output is plain dataclasses; the runner turns passages into
``graphmem.Document`` s at the point of use.

Tracked attributes (single-valued relations), each a *timeline* of 2-4 dated values:

* ``residence`` (person -> city), ``employer`` (person -> organisation), ``spouse`` (person ->
  person, for some people), ``leader`` (organisation -> its CEO), ``name`` (an organisation or a
  town -> what it is called after each rename).

Every statement of a value is one short passage, phrased by one of several paraphrase templates
("moved to", "now lives in", "relocated to ... in 2021", "lives in"); distractor passages
(hobbies, trips, events) mention the same entities without stating a tracked attribute.

Questions:

* ``current``: "Where does X live?"; gold = the timeline's newest passage; ``outdated`` = its
  other passages.
* ``as_of``: "Where did X live in March 2019?" with ``as_of`` a date strictly between two
  statements; gold = the passage current at that date. The question text names the month and
  year (only the year when the whole year lies inside the interval); the time itself is carried
  by ``as_of``.

    python benchmarks/knowledge_update.py --seed 0 --summary
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import random
from collections.abc import Collection
from dataclasses import asdict, dataclass, field


def _split(words: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(words.split(sep))


MONTHS = _split(
    "January February March April May June July August September October November December"
)

FIRST_NAMES = _split(
    "Amara Bastian Caroline Dario Elin Farah Gideon Hanne Ilse Joaquin Kaia Lennart Mirela "
    "Nadim Odile Pavel Quinta Rasmus Selin Tobias Ulla Viktor Wanda Xander Yara Zoltan Anouk "
    "Bruno Cosima Dmitri Esme Florian Greta Hugo Ines Jonas Katya Leandro Maren Niko Oona Piet "
    "Rosalind Soren Thea Umberto Vera Wilhelm Yusuf Zelda"
)
# invented surnames: an onset and an ending (checked unique below)
SURNAME_ONSETS = _split(
    "Vantr Oskw Brenn Kav Thal Mald Quen Rask Dorv Fenw Hald Lorq Marr Pell Sarn Tullb Wexl "
    "Yarn Zell Corm Glenv Istr Jorv Nemb Ulv Prax Strell Krov Ashv Belm Drusk Emb Farq Gwyn "
    "Hesk Ibb Jask Kild Lunt Morv Nisk Obr Pask Rulv Scav Trev Vosk Whit Yelv Zamb"
)
SURNAME_ENDINGS = _split(
    "ell ick worth ane oven ard ings mere ovic aski enby ique arro ith elle onte"
)
ORG_STEMS_A = _split(
    "Quill Bright Cor Vel Hollow Ember Iron Lumen North Silver Tarn Wren Ash Cobalt Dusk Fern "
    "Gale Harbor Juniper Kestrel Lark Mosa"
)
ORG_STEMS_B = _split(
    "mark fen vane wick gate field crest stone brook spire ridge loom haven forge line hart"
)
ORG_KINDS = _split(
    "Systems Analytics Logistics Robotics Foods Textiles Biolabs Capital Media Energy Pharma "
    "Studios Shipping Software Instruments Optics"
)
TOWN_FIRST = _split("Port Upper Lower North East West Old Saint Glen Fort")
TOWN_STEMS = _split(
    "Aldwick Harrowby Marrowfield Kessel Brackwater Dunmoor Fallowmere Greyholt Ilverton "
    "Lockhaven Orrinsby Pellridge Quarrow Tamsworth Vellacombe Wyndle Yarrowdale Ebbingham "
    "Colworth Sandwyck Thornbury Mirrowgate Ashcombe Brindlecote Hollinsby Rookhallow Skelwith "
    "Fennimere Caddeston Larkspire Oxleigh Wimbourne"
)
CITIES = _split(
    "Berlin Paris Lisbon Oslo Toronto Melbourne Nairobi Seoul Montreal Vienna Prague Copenhagen "
    "Dublin Madrid Osaka Santiago Helsinki Edinburgh Rotterdam Krakow Valencia Zurich Auckland "
    "Reykjavik"
)
HOBBIES = _split(
    "pottery, rock climbing, the cello, birdwatching, chess, sailing, watercolour, "
    "long-distance running, beekeeping, woodworking, salsa dancing, astronomy",
    ", ",
)
PET_NAMES = _split("Biscuit Pepper Moss Juno Tofu Clementine Ziggy Olive")
TOPICS = _split(
    "supply chains, open data, urban gardening, battery recycling, accessibility",
    ", ",
)

# ---- templates ---------------------------------------------------------------------------------
# {s} subject, {v} value, {prev} the previous value (templates marked later-only need it),
# {year}, {month}: the passage's date. A key names each template (reported by the benchmark).

FACT_TEMPLATES: dict[str, dict[str, str]] = {
    "residence": {
        "lives_in": "{s} lives in {v}.",
        "moved_to": "{s} moved to {v}.",
        "now_lives_in": "{s} now lives in {v}.",
        "relocated_year": "{s} relocated to {v} in {year}.",
        "settled_month": "{s} settled in {v} in {month} {year}.",
        "new_home": "{s} has made a new home in {v}.",
        "based_in": "{s} is based in {v} these days.",
    },
    "employer": {
        "joined": "{s} joined {v}.",
        "works_for": "{s} works for {v}.",
        "took_job_year": "{s} took a job at {v} in {year}.",
        "hired_month": "{s} was hired by {v} in {month} {year}.",
        "new_position": "{s} started a new position at {v}.",
        "employed_at": "{s} is now employed at {v}.",
    },
    "spouse": {
        "married_year": "{s} married {v} in {year}.",
        "married_to": "{s} is married to {v}.",
        "got_married_month": "{s} and {v} got married in {month} {year}.",
        "wed": "{s} wed {v} in a small ceremony.",
        "after_divorce": "After divorcing {prev}, {s} married {v}.",
    },
    "leader": {
        "became_ceo_year": "{v} became CEO of {s} in {year}.",
        "appointed": "{s} appointed {v} as chief executive.",
        "is_ceo": "{v} is the CEO of {s}.",
        "took_over_month": "{v} took over as head of {s} in {month} {year}.",
        "now_leads": "{v} now leads {s}.",
        "board_named": "The board of {s} named {v} its new chief executive.",
        "succeeded": "{v} succeeded {prev} as CEO of {s}.",
    },
    "name": {
        "renamed": "{s} was renamed {v}.",
        "changed_name_year": "{s} changed its name to {v} in {year}.",
        "now_known_as": "{s} is now known as {v}.",
        "rebranded_month": "{s} rebranded as {v} in {month} {year}.",
        "goes_by": "{s} now goes by the name {v}.",
    },
}
LATER_ONLY = {"after_divorce", "succeeded"}
# renamed towns get town-specific phrasings in place of the corporate ones
TOWN_NAME_TEMPLATES = {
    "renamed": "The town of {s} was renamed {v}.",
    "voted_rename_year": "Residents of {s} voted in {year} to rename the town {v}.",
    "now_known_as": "{s} is now known as {v}.",
    "officially_called_month": "Since {month} {year}, {s} has officially been called {v}.",
}

CURRENT_QUESTIONS = {
    "residence": (
        "Where does {s} live?",
        "Where does {s} live now?",
        "Which city is {s} based in these days?",
    ),
    "employer": (
        "Where does {s} work?",
        "Which company does {s} work for now?",
        "Who employs {s}?",
    ),
    "spouse": ("Who is {s} married to?", "Who is the spouse of {s} now?"),
    "leader": ("Who is the CEO of {s}?", "Who leads {s} now?", "Who runs {s} today?"),
    "name": ("What is {s} called now?", "What is the current name of {s}?"),
}
AS_OF_QUESTIONS = {
    "residence": ("Where did {s} live in {when}?", "In {when}, which city was {s} living in?"),
    "employer": (
        "Where did {s} work in {when}?",
        "Which company was {s} working for in {when}?",
        "Who employed {s} in {when}?",
    ),
    "spouse": ("Who was {s} married to in {when}?", "In {when}, who was the spouse of {s}?"),
    "leader": ("Who was the CEO of {s} in {when}?", "Who led {s} in {when}?"),
    "name": ("What was {s} called in {when}?", "What name did {s} go by in {when}?"),
}

PERSON_DISTRACTORS = {
    "hobby": "{s} took up {hobby} in {year}.",
    "conference": "{s} visited {city} for a conference in {month} {year}.",
    "marathon": "{s} ran a half marathon in {city}.",
    "pet": "{s} adopted a dog named {pet}.",
    "talk": "{s} gave a talk at {org} about {topic}.",
    "dinner": "{s} had dinner with {person} in {city}.",
}
ORG_DISTRACTORS = {
    "office": "{s} opened a new office in {city} in {year}.",
    "revenue": "{s} reported record revenue in {year}.",
    "sponsor": "{s} sponsored a charity run in {city}.",
    "visit": "{person} toured the headquarters of {s}.",
}
TOWN_DISTRACTORS = {
    "festival": "{s} hosted a jazz festival in {year}.",
    "bridge": "A new footbridge opened in {s} in {month} {year}.",
}


# ---- output types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """One dated passage. ``relation``/``value`` are None for a distractor."""

    id: str
    text: str
    time: str  # ISO date, YYYY-MM-DD
    subject: str
    relation: str | None
    value: str | None
    template: str  # "family/key": "residence/moved_to", "town/renamed", "person-distractor/pet"


@dataclass(frozen=True)
class Question:
    """``gold`` is the passage id that answers; ``outdated`` the timeline's other passages that
    were no longer current at the question's time (for ``current``: all the older ones; for
    ``as_of``: the older ones before the gold; later ones are ``future``)."""

    id: str
    kind: str  # "current" | "as_of"
    relation: str
    subject: str
    text: str
    value: str
    gold: str
    outdated: tuple[str, ...]
    future: tuple[str, ...] = ()
    as_of: str | None = None  # ISO date for "as_of" questions


@dataclass(frozen=True)
class Timeline:
    subject: str
    relation: str
    values: tuple[str, ...]
    passages: tuple[str, ...]  # passage ids, oldest first
    dates: tuple[str, ...]


@dataclass
class Corpus:
    seed: int
    params: dict[str, object]
    passages: list[Passage] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    timelines: list[Timeline] = field(default_factory=list)
    entities: dict[str, list[str]] = field(default_factory=dict)  # kind -> names

    def passage(self, pid: str) -> Passage:
        return self._by_id()[pid]

    def _by_id(self) -> dict[str, Passage]:
        cached = getattr(self, "_index", None)
        if cached is None or len(cached) != len(self.passages):
            cached = {p.id: p for p in self.passages}
            self._index = cached
        return cached

    def sizes(self) -> dict[str, int]:
        n_fact = sum(p.relation is not None for p in self.passages)
        return {
            "passages": len(self.passages),
            "fact_passages": n_fact,
            "distractor_passages": len(self.passages) - n_fact,
            "timelines": len(self.timelines),
            "current_questions": sum(q.kind == "current" for q in self.questions),
            "as_of_questions": sum(q.kind == "as_of" for q in self.questions),
            **{f"{k}_entities": len(v) for k, v in self.entities.items()},
        }

    def to_json(self) -> dict:
        return {
            "seed": self.seed,
            "params": self.params,
            "entities": self.entities,
            "passages": [asdict(p) for p in self.passages],
            "questions": [asdict(q) for q in self.questions],
            "timelines": [asdict(t) for t in self.timelines],
        }

    def fingerprint(self) -> str:
        """A hash of the passages (id, text, time): equal corpora, equal fingerprints."""
        h = hashlib.sha256()
        for p in self.passages:
            h.update(f"{p.id}\t{p.text}\t{p.time}\n".encode())
        return h.hexdigest()[:16]


# ---- generation --------------------------------------------------------------------------------


class _Names:
    """Unique invented names; every name drawn is distinct from all others drawn."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()
        self.used_surnames: set[str] = set()
        self.used_words: set[str] = set()
        self.used_onsets: set[str] = set()

    def _take(self, make) -> str:
        for _ in range(10_000):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("name pool exhausted: ask for fewer entities")

    def person(self, *, distinct_onset: bool = False) -> str:
        """A first name and an invented surname no one else has; ``distinct_onset``: nor its
        first syllable (for the people questions are about, so that no two of them look alike)."""

        def make() -> str:
            for _ in range(10_000):
                onset = self.rng.choice(SURNAME_ONSETS)
                if distinct_onset and onset in self.used_onsets:
                    continue
                surname = onset + self.rng.choice(SURNAME_ENDINGS)
                if surname not in self.used_surnames:
                    if distinct_onset:
                        self.used_onsets.add(onset)
                    break
            else:
                raise RuntimeError("surname pool exhausted: ask for fewer people")
            return f"{self.rng.choice(FIRST_NAMES)} {surname}"

        name = self._take(make)
        self.used_surnames.add(name.split()[-1])
        return name

    def org(self) -> str:
        def make() -> str:
            for _ in range(10_000):
                stem = self.rng.choice(ORG_STEMS_A) + self.rng.choice(ORG_STEMS_B)
                if stem not in self.used_words:
                    break
            else:
                raise RuntimeError("organisation pool exhausted: ask for fewer organisations")
            return f"{stem} {self.rng.choice(ORG_KINDS)}"

        name = self._take(make)
        self.used_words.add(name.split()[0])
        return name

    def town(self) -> str:
        def make() -> str:
            for _ in range(10_000):
                stem = self.rng.choice(TOWN_STEMS)
                if stem not in self.used_words:
                    break
            else:
                raise RuntimeError("town pool exhausted: ask for fewer towns")
            return f"{self.rng.choice(TOWN_FIRST)} {stem}"

        name = self._take(make)
        self.used_words.add(name.split()[-1])
        return name


def _dates(rng: random.Random, n: int) -> list[dt.date]:
    """``n`` increasing dates in different years, 1-4 years apart, at least 60 days apart, the
    first in 2008-2013, none after 2025."""
    while True:
        years = [rng.randint(2008, 2013)]
        for _ in range(n - 1):
            years.append(years[-1] + rng.randint(1, 4))
        if years[-1] > 2025:
            continue
        out = []
        for y in years:
            days_in_year = (dt.date(y + 1, 1, 1) - dt.date(y, 1, 1)).days
            out.append(dt.date(y, 1, 1) + dt.timedelta(days=rng.randrange(days_in_year)))
        if all((b - a).days >= 60 for a, b in itertools.pairwise(out)):
            return out


def _when(as_of: dt.date, before: dt.date, after: dt.date, rng: random.Random) -> str:
    """How the question names ``as_of``: its year alone when the whole year lies strictly inside
    (before, after) (the year is then unambiguous), else month and year."""
    year = as_of.year
    if before.year < year < after.year and rng.random() < 0.5:
        return str(year)
    return f"{MONTHS[as_of.month - 1]} {year}"


def _fill(template: str, day: dt.date, **kw: str) -> str:
    return template.format(year=day.year, month=MONTHS[day.month - 1], **kw)


def template_names() -> list[str]:
    """Every fact template as ``relation/key`` (town renames as ``town/key``)."""
    names = [f"{r}/{k}" for r, family in FACT_TEMPLATES.items() for k in family]
    return names + [f"town/{k}" for k in TOWN_NAME_TEMPLATES]


def generate(
    seed: int = 0,
    *,
    people: int = 30,
    orgs: int = 10,
    renamed_orgs: int = 5,
    towns: int = 5,
    spouse_share: float = 0.4,
    exclude: Collection[str] = (),
) -> Corpus:
    """The corpus for ``seed`` (same arguments, same corpus). ``exclude``: fact templates not
    to use, as ``relation/key`` (``"spouse/wed"``; town renames are ``"town/renamed"``)."""
    unknown = set(exclude) - set(template_names())
    if unknown:
        raise ValueError(f"unknown templates {sorted(unknown)}; known: {template_names()}")
    rng = random.Random(seed)
    names = _Names(rng)
    params = {
        "people": people,
        "orgs": orgs,
        "renamed_orgs": renamed_orgs,
        "towns": towns,
        "spouse_share_pct": round(spouse_share * 100),
        "exclude": sorted(exclude),
    }
    corpus = Corpus(seed=seed, params=params)

    person_names = [names.person(distinct_onset=True) for _ in range(people)]
    employer_names = [names.org() for _ in range(orgs)]
    renamed_org_names = [names.org() for _ in range(renamed_orgs)]
    town_names = [names.town() for _ in range(towns)]
    partners: list[str] = []
    executives: list[str] = []
    new_names: list[str] = []

    facts: list[tuple[dt.date, str, str, str | None, str, str | None]] = []
    # (date, subject, relation, value, template key, text); ids are given after shuffling
    timelines: list[
        tuple[str, str, list[str], list[int]]
    ] = []  # subject, relation, values, fact idx

    decks: dict[str, list[str]] = {}

    def draw(family: str, templates: dict[str, str], *, first: bool = False) -> str:
        """A template key from a shuffled deck per template family, refilled when empty: every
        paraphrase is used about equally often. ``first``: the first statement of a timeline,
        which cannot use a template naming the previous value."""
        deck = decks.setdefault(family, [])
        for _ in range(2):
            for j, key in enumerate(deck):
                if not (first and key in LATER_ONLY) and f"{family}/{key}" not in exclude:
                    return deck.pop(j)
            refill = list(templates)
            rng.shuffle(refill)
            deck.extend(refill)
        raise ValueError("no template allowed")

    def timeline(subject: str, relation: str, values: list[str], town: bool = False) -> None:
        days = _dates(rng, len(values))
        idx = []
        templates = TOWN_NAME_TEMPLATES if town else FACT_TEMPLATES[relation]
        for i, (value, day) in enumerate(zip(values, days)):
            family = "town" if town else relation
            key = draw(family, templates, first=i == 0)
            prev = values[i - 1] if i > 0 else ""
            text = _fill(templates[key], day, s=subject, v=value, prev=prev)
            idx.append(len(facts))
            facts.append((day, subject, relation, value, f"{family}/{key}", text))
        timelines.append((subject, relation, values, idx))

    def distinct_values(pool: list[str], n: int) -> list[str]:
        """n different values (nobody moves back: every statement in a timeline is a change)."""
        return rng.sample(pool, n)

    for person in person_names:
        timeline(person, "residence", distinct_values(list(CITIES), rng.randint(2, 4)))
        timeline(person, "employer", distinct_values(employer_names, rng.randint(2, 4)))
        if rng.random() < spouse_share:
            spouses = [names.person() for _ in range(rng.randint(2, 3))]
            partners.extend(spouses)
            timeline(person, "spouse", spouses)
    for org in employer_names:
        ceos = [names.person() for _ in range(rng.randint(2, 4))]
        executives.extend(ceos)
        timeline(org, "leader", ceos)
    for org in renamed_org_names:
        renames = [names.org() for _ in range(rng.randint(2, 4))]
        new_names.extend(renames)
        timeline(org, "name", renames)
    for town in town_names:
        renames = [names.town() for _ in range(rng.randint(2, 3))]
        new_names.extend(renames)
        timeline(town, "name", renames, town=True)

    # distractors: 1-3 per person, 1-2 per organisation and town, dated 2008-2025
    distractors: list[tuple[dt.date, str, str, str]] = []

    def distractor(subject: str, family: str, templates: dict[str, str]) -> None:
        key = draw(family, templates)
        day = dt.date.fromordinal(
            rng.randint(dt.date(2008, 1, 1).toordinal(), dt.date(2025, 12, 31).toordinal())
        )
        others = [p for p in person_names if p != subject]
        text = _fill(
            templates[key],
            day,
            s=subject,
            hobby=rng.choice(HOBBIES),
            city=rng.choice(CITIES),
            pet=rng.choice(PET_NAMES),
            org=rng.choice(employer_names),
            topic=rng.choice(TOPICS),
            person=rng.choice(others),
        )
        distractors.append((day, subject, f"{family}/{key}", text))

    for person in person_names:
        for _ in range(rng.randint(1, 3)):
            distractor(person, "person-distractor", PERSON_DISTRACTORS)
    for org in employer_names + renamed_org_names:
        for _ in range(rng.randint(1, 2)):
            distractor(org, "org-distractor", ORG_DISTRACTORS)
    for town in town_names:
        for _ in range(rng.randint(1, 2)):
            distractor(town, "town-distractor", TOWN_DISTRACTORS)

    # passage ids in a shuffled order: neither id nor position says which passage is newer
    items: list[tuple[str, int]] = [("f", i) for i in range(len(facts))]
    items += [("d", i) for i in range(len(distractors))]
    rng.shuffle(items)
    fact_pid: dict[int, str] = {}
    for n, (kind, i) in enumerate(items):
        pid = f"ku-{n:04d}"
        if kind == "f":
            day, subject, relation, value, key, text = facts[i]
            fact_pid[i] = pid
            corpus.passages.append(
                Passage(pid, text, day.isoformat(), subject, relation, value, key)
            )
        else:
            day, subject, key, text = distractors[i]
            corpus.passages.append(Passage(pid, text, day.isoformat(), subject, None, None, key))

    qn = 0
    for subject, relation, values, idx in timelines:
        pids = [fact_pid[i] for i in idx]
        days = [facts[i][0] for i in idx]
        corpus.timelines.append(
            Timeline(
                subject, relation, tuple(values), tuple(pids), tuple(d.isoformat() for d in days)
            )
        )
        q = rng.choice(CURRENT_QUESTIONS[relation]).format(s=subject)
        corpus.questions.append(
            Question(
                f"q-{qn:04d}",
                "current",
                relation,
                subject,
                q,
                values[-1],
                pids[-1],
                tuple(pids[:-1]),
            )
        )
        qn += 1
        for i in range(len(values) - 1):  # one as-of question per interval between statements
            lo, hi = days[i].toordinal() + 1, days[i + 1].toordinal() - 1
            as_of = dt.date.fromordinal(rng.randint(lo, hi))
            when = _when(as_of, days[i], days[i + 1], rng)
            q = rng.choice(AS_OF_QUESTIONS[relation]).format(s=subject, when=when)
            corpus.questions.append(
                Question(
                    f"q-{qn:04d}",
                    "as_of",
                    relation,
                    subject,
                    q,
                    values[i],
                    pids[i],
                    tuple(pids[:i]),
                    tuple(pids[i + 1 :]),
                    as_of.isoformat(),
                )
            )
            qn += 1

    corpus.entities = {
        "person": person_names,
        "partner": partners,
        "executive": executives,
        "employer_org": employer_names,
        "renamed_org": renamed_org_names,
        "town": town_names,
        "new_name": new_names,
    }
    return corpus


def main() -> None:
    ap = argparse.ArgumentParser(description="generate the knowledge-update corpus")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--people", type=int, default=30)
    ap.add_argument("--summary", action="store_true", help="print sizes and a sample, not JSON")
    args = ap.parse_args()
    corpus = generate(args.seed, people=args.people)
    if args.summary:
        print(json.dumps(corpus.sizes(), indent=2))
        for p in corpus.passages[:12]:
            print(p.time, p.id, p.text)
        for q in corpus.questions[:8]:
            print(q.kind, q.as_of, q.text, "->", q.value, q.gold)
    else:
        print(json.dumps(corpus.to_json(), indent=1))


if __name__ == "__main__":
    main()
