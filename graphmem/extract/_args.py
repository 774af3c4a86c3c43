"""Argument resolution and mention collection for the rules in :mod:`graphmem.extract._rules`.

Like that module it never imports spaCy: it only reads attributes of the ``Doc``/``Token``/``Span``
objects it is handed. :class:`_DocArgs` is the base of the rules' per-``Doc`` pass: it maps tokens
to graph nodes, collects triples and derives the passage's mentions.

Arguments are graph nodes, so they are chosen to merge across passages: the named-entity span
when the head token lies inside an entity, otherwise the head noun with its contiguous
compound/adjective/possessor modifiers; leading determiners, possessive pronouns and edge
punctuation are dropped ("the Eiffel Tower" -> ``eiffel tower``, "her career" -> ``career``),
while proper-noun possessors are kept ("St. Maurice's Abbey"). Pronouns, relative pronouns and
numeric-only entities are never arguments.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from graphmem.text import normalize_name
from graphmem.types import Mention, Triple

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Numeric NER types are dropped as mentions and as arguments: on Wikipedia-style text they are
# mostly counts and ordinals ("second son", "11 children") that would become hub nodes joining
# unrelated passages. DATE and TIME are kept: birth/death years are real multi-hop facts.
JUNK_ENT_LABELS = frozenset({"CARDINAL", "ORDINAL", "PERCENT", "QUANTITY", "MONEY"})

# fmt: off
PRONOUNS = frozenset(
    {
        "i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "yourselves", "he",
        "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "we",
        "us", "our", "ours", "ourselves", "they", "them", "their", "theirs", "themselves", "this",
        "that", "these", "those", "who", "whom", "whose", "which", "what", "whoever", "whomever",
        "whatever", "whichever", "one", "ones", "someone", "somebody", "something", "anyone",
        "anybody", "anything", "everyone", "everybody", "everything", "nobody", "nothing", "none",
        "each", "other", "others", "another", "both", "all", "some", "any", "either", "neither",
        "there", "here", "such",
    }
)
# fmt: on
_TEMPORAL = frozenset({"DATE", "TIME"})
_NOUN_POS = ("NOUN", "PROPN")
# Left dependents of a noun that belong to its name ("Eiffel" Tower, "American" writer, John 's).
_NAME_MODS = frozenset({"compound", "amod", "nmod", "poss", "nummod", "npadvmod", "quantmod"})
# Longer "names" are NER run-ons over lists and tables, not nodes worth merging.
_MAX_NAME_TOKENS = 10
# Tokens trimmed from either edge of an argument span.
_EDGE_POS = frozenset({"DET", "PUNCT", "SPACE", "CCONJ", "PRON", "PART", "ADP", "SCONJ"})


class Arg(NamedTuple):
    """A resolved argument: normalised name, surface label, kind, first token index."""

    name: str
    label: str
    kind: str
    start: int


def _clean_label(text: str) -> str:
    return " ".join(text.split())


# Personal pronouns resolved to the passage's topic person when pronoun resolution is on.
_PERSONAL = frozenset({"he", "she", "him"})


class _DocArgs:
    """Argument, triple and mention bookkeeping for one pass of the rules over one ``Doc``."""

    __slots__ = ("args", "doc", "ent_of", "resolve_pronouns", "triples")

    def __init__(self, doc: Doc, resolve_pronouns: bool = False) -> None:
        self.doc = doc
        self.resolve_pronouns = resolve_pronouns
        self.ent_of: dict[int, Span] = {}
        for ent in doc.ents:
            for i in range(ent.start, ent.end):
                self.ent_of[i] = ent
        self.args: dict[int, Arg | None] = {}
        self.triples: dict[Triple, None] = {}

    # ------------------------------------------------------------------ arguments

    def _span_arg(self, start: int, end: int, kind: str, head: int | None = None) -> Arg | None:
        """Trim edge tokens from ``doc[start:end]`` and turn it into an :class:`Arg`.

        A span crossing a line break (an entity running from a title line into the text) is cut
        to the line holding ``head``, or to its last line when ``head`` is None."""
        doc = self.doc
        for j in range(start, end):
            if doc[j].is_space and "\n" in doc[j].text:
                if head is not None and head < j:
                    end = j
                    break
                start = j + 1
        while start < end and doc[start].pos_ in _EDGE_POS:
            start += 1
        while end > start and doc[end - 1].pos_ in _EDGE_POS:
            end -= 1
        if start >= end or end - start > _MAX_NAME_TOKENS:
            return None
        label = _clean_label(doc[start:end].text)
        name = normalize_name(label)
        if (
            not name
            or name in PRONOUNS
            or not any(ch.isalnum() for ch in name)
            or (len(name) == 1 and name.isascii())  # "d." (died), stray initials
        ):
            return None
        return Arg(name, normalize_label(label), kind, start)

    def _topic_person(self, i: int) -> Arg | None:
        """The first PERSON named before token ``i``: in encyclopedic passages "he"/"she" almost
        always means the person the passage is about, which is also its first named person."""
        for ent in self.doc.ents:
            if ent.start >= i:
                return None
            if ent.label_ == "PERSON":
                return self._span_arg(ent.start, ent.end, ent.label_, ent.root.i)
        return None

    def arg(self, tok: Token) -> Arg | None:
        """The graph node a token stands for, or None when it cannot be one (cached)."""
        i = tok.i
        if i in self.args:
            return self.args[i]
        result: Arg | None = None
        if tok.pos_ == "PRON" or tok.lower_ in PRONOUNS:
            if self.resolve_pronouns and tok.lower_ in _PERSONAL:
                result = self._topic_person(i)
        elif i in self.ent_of:
            ent = self.ent_of[i]
            if ent.label_ not in JUNK_ENT_LABELS:
                result = self._span_arg(ent.start, ent.end, ent.label_, i)
        elif tok.pos_ in _NOUN_POS:
            start = i
            for child in reversed(list(tok.lefts)):
                if child.right_edge.i != start - 1 or child.dep_ not in _NAME_MODS:
                    break
                if child.pos_ == "PRON" or (i - child.left_edge.i) > 6:
                    break
                child_ent = self.ent_of.get(child.i)
                if child_ent is not None and child_ent.label_ in JUNK_ENT_LABELS:
                    break  # "two sons" -> "sons", "second son" -> "son"
                start = child.left_edge.i
            result = self._span_arg(start, i + 1, "NP", i)
        self.args[i] = result
        return result

    def args_of(self, toks: Iterable[Token]) -> list[Arg]:
        """Arguments for tokens and all their coordinated conjuncts ("X, Y and Z")."""
        out: list[Arg] = []
        for tok in toks:
            for t in (tok, *tok.conjuncts):
                a = self.arg(self._named_appositive(t))
                if a is not None and a not in out:
                    out.append(a)
        return out

    def _named_appositive(self, tok: Token) -> Token:
        """For a common noun with a named appositive ("the chancellor, Angela Merkel,") the
        name: it is the better node for the clause's triples."""
        if tok.pos_ == "NOUN" and tok.i not in self.ent_of:
            for c in tok.children:
                if c.dep_ == "appos" and c.i in self.ent_of:
                    return c
        return tok

    # ------------------------------------------------------------------ triples

    def add(self, subj: Arg, pred: str, obj: Arg) -> None:
        # A date as subject is nearly always a mis-parse ("Theobald (c. 854-895), count of ...").
        if subj.name != obj.name and pred and subj.kind not in _TEMPORAL:
            self.triples[Triple(subj.name, pred, obj.name)] = None

    def add_all(self, subjs: list[Arg], pred: str, objs: list[Arg]) -> None:
        for s in subjs:
            for o in objs:
                self.add(s, pred, o)

    def prep_objects(self, prep: Token) -> list[Arg]:
        """Objects of a preposition token (with conjuncts)."""
        return self.args_of(c for c in prep.children if c.dep_ == "pobj")

    # ------------------------------------------------------------------ mentions

    def _mentions(self) -> tuple[Mention, ...]:
        cands: list[Arg] = []
        for ent in self.doc.ents:
            if ent.label_ not in JUNK_ENT_LABELS:
                a = self._span_arg(ent.start, ent.end, ent.label_)
                if a is not None:
                    cands.append(a)
        used = {n for t in self.triples for n in (t.subject, t.object)}
        cands.extend(a for a in self.args.values() if a is not None and a.name in used)
        cands.sort(key=lambda a: a.start)
        first: dict[str, Arg] = {}
        kind: dict[str, str] = {}
        for a in cands:
            first.setdefault(a.name, a)
            if a.kind != "NP":
                kind.setdefault(a.name, a.kind)
        return tuple(Mention(n, a.label, kind.get(n, "NP")) for n, a in first.items())


def normalize_label(label: str) -> str:
    """Surface label with edge punctuation and whitespace trimmed but case kept."""
    return label.strip("\"'`“”‘’«»„‚()[]{}<>,;:!?、。，；：！？ ")
