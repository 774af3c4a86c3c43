"""Configuration of the temporal layer (dated facts that get superseded): which relations hold
one value at a time and how validity is decided. Part of :mod:`graphmem.config`, which
re-exports both classes; a module of its own to keep each config module small."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SINGLE_VALUED", "SingleValued", "TemporalConfig"]


@dataclass(frozen=True)
class SingleValued:
    """A relation that holds one value at a time for its key entity: ``predicates`` have the
    key as subject ((x, live in, paris): where x lives), ``inverse`` ones as object
    ((acme, employ, x): who x works for). Predicates are matched after
    :func:`graphmem.temporal.normalize_predicate` (lower case, "be"/"now"/... dropped) and
    spelled as the extractor writes them: spaCy's OpenIE gives lemma phrases ("move to").
    ``cues`` are the words (or word sequences) by which a question asks for the relation ("Who
    employs x?", "Where does x live?"), matched case-insensitively against the question's words
    as written (list inflected forms): see :mod:`graphmem.retrieve.intent`."""

    name: str
    predicates: tuple[str, ...]
    inverse: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()


# The relations superseded by default: the predicates spaCy's OpenIE writes for how people say
# where someone lives, works, whom they married and who leads or names something, read off its
# parses of the 32 templates of benchmarks/knowledge_update.py (`--predicates` prints them;
# "rebrande" is the small model's lemma of "rebranded"). Phrases of two or more words also
# match as the end of a longer predicate (graphmem.temporal.role_of).
SINGLE_VALUED: tuple[SingleValued, ...] = (
    SingleValued(
        "residence",
        ("live in", "move to", "relocate to", "settle in", "reside in", "move back to",
         "based in", "live at", "move into", "resident of", "home in"),
        cues=("live", "lives", "lived", "living", "reside", "resides", "resided", "based",
              "home", "resident"),
    ),
    SingleValued(
        "employer",
        ("work for", "work at", "join", "employed by", "employed at", "take at", "hire by",
         "employee of", "start at", "job at", "position at"),
        ("employ", "hire"),
        cues=("work", "works", "worked", "working", "employ", "employs", "employed", "employer",
              "employers", "job"),
    ),
    SingleValued(
        "spouse",
        ("marry", "married to", "wed", "husband of", "wife of"),
        cues=("married", "marry", "spouse", "husband", "wife", "wed"),
    ),
    SingleValued(
        "leader",
        ("appoint",),
        ("ceo of", "lead", "chief executive of", "president of", "chairman of", "director of",
         "leader of", "head of"),
        cues=("ceo", "chief executive", "lead", "leads", "led", "leader", "run", "runs", "ran",
              "head", "heads", "headed", "president", "chairman"),
    ),
    SingleValued(
        "name",
        ("rename", "renamed", "rename to", "rename as", "known as", "go by", "rebrand as",
         "rebrande as", "change name to", "called"),
        cues=("called", "name", "renamed", "known as", "go by"),
    ),
)


@dataclass(frozen=True)
class TemporalConfig:
    """Facts in time (:mod:`graphmem.temporal`). Facts of a ``single_valued`` relation about the
    same entity supersede each other by the time they were stated; ``enabled=False`` treats
    every fact as timeless. A superseded fact never seeds the walk, and a passage whose every
    single-valued fact is superseded at the time asked about scores ``outdated_scale`` times
    its score (1.0: no demotion), so that the current statement ranks above outdated ones.

    With an LLM configured (``MemoryConfig.llm``), ``llm_judge`` also asks the model, while a
    passage is added, which earlier facts about the subject of each of its facts it contradicts
    (:mod:`graphmem.graph.conflicts`), covering paraphrases the predicate lists miss; judged
    pairs then compete like facts of one single-valued relation. ``llm_judge=False`` neither
    asks nor uses stored judgements (an ablation that needs no rebuild). Each call shows the
    model the ``judge_candidates`` earlier facts about the subject nearest the new fact by
    embedding cosine (20: about 400 prompt tokens of short triples, and more than a person in
    the benchmarks ever has facts); one add or upsert makes at most ``max_judge_calls`` calls
    (64: eight rounds of the client's default 8 concurrent requests, a few seconds against a
    hosted model; facts past the bound are left to the rules and logged). Raise it for bulk
    ingests where every paraphrase matters."""

    single_valued: tuple[SingleValued, ...] = SINGLE_VALUED
    enabled: bool = True
    outdated_scale: float = 0.5
    answer_scale: float = 2.0
    llm_judge: bool = True
    judge_candidates: int = 20
    max_judge_calls: int = 64

    def __post_init__(self) -> None:
        if not 0.0 <= self.outdated_scale <= 1.0:
            raise ValueError(
                f"TemporalConfig.outdated_scale must be in [0, 1], got {self.outdated_scale}"
            )
        if not self.answer_scale >= 1.0:
            raise ValueError(f"TemporalConfig.answer_scale must be >= 1, got {self.answer_scale}")
        if self.judge_candidates < 1:
            raise ValueError(
                f"TemporalConfig.judge_candidates must be >= 1, got {self.judge_candidates}"
            )
        if self.max_judge_calls < 0:
            raise ValueError(
                f"TemporalConfig.max_judge_calls must be >= 0, got {self.max_judge_calls}"
            )
