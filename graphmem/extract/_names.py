"""Which named-entity spans become graph nodes, and under which name, decided from the parse.

Helpers for :class:`graphmem.extract._args._DocArgs`; like that module this one never imports
spaCy, it only reads attributes of the ``Doc``/``Token``/``Span`` objects it is handed. The
decisions use coarse POS tags, morphological features, dependencies and NER labels, never an
English word list, so they carry over to another language's pipeline:

* **Articles.** A leading determiner is never part of a node's name, so "The Salt Lantern" and
  "Salt Lantern" are one node. Titles whose article belongs to the name ("The Hague",
  "The Beatles") are merged the same way on purpose: every mention of the thing, with or without
  the article, lands on the one node ``hague``; keeping the article would split it in two. The
  tagger sometimes reads the article of a quoted title as a proper noun (``"The Sporting News"``
  -> ``The/PROPN``); :func:`article_forms` lets such a token be recognised because the same word
  is tagged as an article (``PronType=Art``) elsewhere in the passage.
* **Calendar times.** A DATE/TIME entity is a node only when it is anchored to the calendar
  (:func:`is_calendar_time`): a year, a day number, a named month/day/holiday. Relative phrases
  ("three years later", "the following year"), durations ("two decades") and generic times
  ("summer", "annually") would otherwise become hub nodes joining unrelated passages.
* **Short forms.** Within one passage, a later PERSON/ORG mention whose words are the trailing
  words of exactly one longer PERSON/ORG name mentioned before it ("Achebe" after
  "Dorian Achebe") is that name (:class:`ShortForms`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from graphmem.text import normalize_name

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

#: NER kinds whose short forms are resolved to an earlier full name in the same passage. They
#: count as one kind: the small English model labels a lone surname ORG about as often as
#: PERSON ("Kondo" after "Koji Kondo", "Shakur" after "Tupac Shakur" on MuSiQue). Places are
#: left out on purpose: "York" after "New York" or "Georgia" after "South Georgia" are usually
#: different places.
ALIAS_KINDS = frozenset({"PERSON", "ORG"})


def article_forms(doc: Doc) -> frozenset[str]:
    """Lowercase forms the parse of ``doc`` tags as articles (a DET with ``PronType=Art``).

    Universal Dependencies features, so the set is "the"/"a"/"an" for English and
    "der"/"die"/"das"/... for a German pipeline, without a word list here."""
    return frozenset(
        t.lower_ for t in doc if t.pos_ == "DET" and "Art" in t.morph.get("PronType", [])
    )


def is_calendar_time(span: Span) -> bool:
    """Whether a DATE/TIME entity names a point on the calendar rather than a relative or
    generic time, so that it is worth a node.

    Anchored: a token with a digit that is not merely the count of a common-noun unit ("1995",
    "May 1995", "the 1990s", "end of 2014", "mid-19th century"), or a proper noun ("March", "Christmas"). Not
    anchored: "three years later", "3 years later" (the number counts "years"), "the following
    year", "two decades", "summer", "annually". Structural on purpose: the rule reads POS tags
    and dependencies, not the words ``later``/``following``.
    """
    for tok in span:
        if tok.pos_ == "PROPN":
            return True
        if any(ch.isdigit() for ch in tok.text):
            head = tok.head
            counts_a_unit = (
                tok.dep_ == "nummod"
                and head.pos_ == "NOUN"
                and span.start <= head.i < span.end
                # a plain number ("3", "2,530"), not an ordinal ("19th century")
                and tok.text.replace(",", "").replace(".", "").isdigit()
            )
            if not counts_a_unit:
                return True
    return False


class NamedSpan(NamedTuple):
    """A named entity as :class:`ShortForms` sees it: where it starts, its NER kind, its
    node name and label, and its trimmed tokens."""

    start: int
    kind: str
    name: str
    label: str
    span: Span


# A word a full name may continue with before a short form it ends with: "Wall Street | Journal",
# "Dorian | Achebe". A preposition or conjunction there means the short form is another entity
# inside the name: "Bank of | Sierra Leone", "Families, Systems and | Health".
_NAME_WORD_POS = frozenset({"PROPN", "NOUN", "ADJ"})


class ShortForms:
    """Full names for in-passage short forms.

    Built from the passage's named entities of any kind, in text order. A PERSON/ORG mention,
    made of proper nouns only, is the full name when its words are the trailing words of exactly
    one distinct longer name seen before it ("Achebe" after "Dorian Achebe", "Journal" after
    "Wall Street Journal"), that name being a PERSON/ORG too (see :data:`ALIAS_KINDS`) and
    joining the rest of it to the short form with a name word (see ``_NAME_WORD_POS``). A proper noun the NER missed ("Kondo"
    as a plain noun phrase) is resolved the same way against earlier PERSON/ORG names.

    Any second candidate, of any kind, leaves the mention alone: "Achebe" after both "Dorian
    Achebe" and "Chinua Achebe", or "Cascade" after "Cascade Falls" (ORG) and "Cascade City"
    (GPE). A mention resolved to a full name is not itself a candidate for later ones, so
    "Dorian Chinua Achebe", "Chinua Achebe", "Achebe" all resolve to the first.

    Leading words are not matched: on MuSiQue passages such matches were mostly places the small
    NER model labels PERSON ("Devon" the planter after "Devon Falls", the city "Au Gres" after
    "Au Gres Township"), while the trailing ones were nearly all right (surnames, "the Society").
    """

    __slots__ = ("_aliases", "_full")

    def __init__(self, names: Iterable[NamedSpan]) -> None:
        self._full: dict[tuple[str, ...], NamedSpan] = {}  # words of a full name -> first mention
        self._aliases: dict[int, NamedSpan] = {}  # start of a short form -> its full name
        for entry in names:
            words = _words(entry.span)
            if not words:
                continue
            candidates = self._candidates(words, entry.start)
            if not candidates:
                self._full.setdefault(words, entry)
            elif (
                len(candidates) == 1
                and candidates[0].kind in ALIAS_KINDS
                and entry.kind in ALIAS_KINDS
                and all(t.pos_ == "PROPN" for t in entry.span)
            ):
                self._aliases[entry.start] = candidates[0]

    def of_entity(self, start: int, name: str) -> tuple[str, str] | None:
        """(full name, label) for the named entity starting at token ``start`` whose node name is
        ``name``, or None when it is not a short form."""
        full = self._aliases.get(start)
        if full is None or full.name == name:
            return None
        return full.name, full.label

    def of_proper_noun(self, span: Span) -> tuple[str, str] | None:
        """(full name, label) for a noun phrase of proper nouns outside any entity, or None."""
        if not all(t.pos_ == "PROPN" for t in span):
            return None
        candidates = self._candidates(_words(span), span.start)
        if len(candidates) == 1 and candidates[0].kind in ALIAS_KINDS:
            return candidates[0].name, candidates[0].label
        return None

    def _candidates(self, words: tuple[str, ...], before: int) -> list[NamedSpan]:
        return [
            full
            for w, full in self._full.items()
            if full.start < before and _ends_with(full, w, words)
        ]


def _words(span: Span) -> tuple[str, ...]:
    return tuple(normalize_name(t.text) or t.text for t in span)


def _ends_with(full: NamedSpan, full_words: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """Whether ``words`` are the trailing words of the longer name ``full``, joined to the rest
    of it by a name word."""
    n = len(words)
    if len(full_words) <= n or full_words[-n:] != words:
        return False
    return full.span[len(full_words) - n - 1].pos_ in _NAME_WORD_POS
